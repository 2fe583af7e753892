/**
 * Applies the drizzle-kit migrations in db/migrations. Run on start; idempotent.
 * The migrations bookkeeping table lives in the database's own schema when one is
 * configured (so isolated test schemas are self-contained), else in `drizzle`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { RepositoryError } from '../engine/core/errors';
import { driverErrorOf, messageOf, type Database } from './client';
import { rowsOf } from './repositories/sql-helpers';

const MIGRATIONS_TABLE = '__drizzle_migrations';

export interface MigrateOptions {
  /**
   * Folder holding the SQL files and meta/_journal.json; defaults to db/migrations next to this module,
   * which holds only when this module runs from its source file: bundles pass {@link migrationsFolderIn}.
   */
  migrationsFolder?: string;
}

/** The migrations folder of the project at `projectDir` (a bundled server or CLI resolves it from there, not from its own file). */
export function migrationsFolderIn(projectDir: string): string {
  return path.join(projectDir, 'db/migrations');
}

/** Applied-migration summary for /api/health. */
export interface SchemaVersion {
  /** Number of migrations applied. */
  count: number;
  /** Tag of the latest applied migration (e.g. `0000_init`), null when none or unknown. */
  tag: string | null;
  /** Number of migrations shipped with this build; `count < available` means pending. */
  available: number;
}

function defaultMigrationsFolder(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
}

function migrationsSchemaOf(database: Database): string {
  return database.schema === 'public' ? 'drizzle' : database.schema;
}

/**
 * Applies pending migrations in one transaction.
 * @throws RepositoryError naming the failing statement's error.
 */
export async function migrateDatabase(database: Database, options: MigrateOptions = {}): Promise<void> {
  const config = {
    migrationsFolder: options.migrationsFolder ?? defaultMigrationsFolder(),
    migrationsSchema: migrationsSchemaOf(database),
    migrationsTable: MIGRATIONS_TABLE,
  };
  try {
    if (database.kind === 'pglite') await migratePglite(database.db, config);
    else await migratePostgres(database.db, config);
  } catch (err) {
    throw new RepositoryError(`migrating the database failed: ${messageOf(err)}`, driverErrorOf(err));
  }
}

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

/** Migrations applied to the database and the journal this build ships. */
async function readMigrations(database: Database, options: MigrateOptions): Promise<{ entries: JournalEntry[]; count: number; last: number | null }> {
  const folder = options.migrationsFolder ?? defaultMigrationsFolder();
  const journal = JSON.parse(await readFile(path.join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: JournalEntry[];
  };
  const migrationsSchema = migrationsSchemaOf(database);
  try {
    const exists = rowsOf<{ present: boolean }>(
      await database.db.execute(
        sql`select to_regclass(${`"${migrationsSchema}"."${MIGRATIONS_TABLE}"`}) is not null as present`,
      ),
    );
    if (!exists[0]?.present) return { entries: journal.entries, count: 0, last: null };
    const rows = rowsOf<{ count: number; last: string | number | null }>(
      await database.db.execute(
        sql`select count(*)::int as count, max(created_at) as last from ${sql.identifier(migrationsSchema)}.${sql.identifier(MIGRATIONS_TABLE)}`,
      ),
    );
    return { entries: journal.entries, count: Number(rows[0]?.count ?? 0), last: rows[0]?.last == null ? null : Number(rows[0].last) };
  } catch (err) {
    throw new RepositoryError(`reading the schema version failed: ${messageOf(err)}`, driverErrorOf(err));
  }
}

/**
 * Reports how many migrations are applied and the latest one's tag.
 * @throws RepositoryError when the database cannot be queried.
 */
export async function schemaVersion(database: Database, options: MigrateOptions = {}): Promise<SchemaVersion> {
  const { entries, count, last } = await readMigrations(database, options);
  return { count, tag: entries.find((e) => e.when === last)?.tag ?? null, available: entries.length };
}

/** Which migrations this build ships that the database lacks, and whether a newer build migrated it. */
export interface MigrationStatus {
  /** Number of migrations applied to the database. */
  applied: number;
  /** Number of migrations shipped with this build. */
  available: number;
  /** Tags of shipped migrations not applied yet, oldest first (drizzle applies those newer than the last applied one). */
  pending: string[];
  /** The database's latest migration is one this build does not ship (a newer build migrated it). */
  ahead: boolean;
}

/**
 * Compares the database with the migrations this build ships.
 * @throws RepositoryError when the database cannot be queried.
 */
export async function migrationStatus(database: Database, options: MigrateOptions = {}): Promise<MigrationStatus> {
  const { entries, count, last } = await readMigrations(database, options);
  const pending = entries.filter((e) => last === null || e.when > last).map((e) => e.tag);
  const ahead = last !== null && !entries.some((e) => e.when === last);
  return { applied: count, available: entries.length, pending, ahead };
}
