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
  /** Folder holding the SQL files and meta/_journal.json; defaults to db/migrations next to this module. */
  migrationsFolder?: string;
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

/**
 * Reports how many migrations are applied and the latest one's tag.
 * @throws RepositoryError when the database cannot be queried.
 */
export async function schemaVersion(database: Database, options: MigrateOptions = {}): Promise<SchemaVersion> {
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
    if (!exists[0]?.present) return { count: 0, tag: null, available: journal.entries.length };
    const rows = rowsOf<{ count: number; last: string | number | null }>(
      await database.db.execute(
        sql`select count(*)::int as count, max(created_at) as last from ${sql.identifier(migrationsSchema)}.${sql.identifier(MIGRATIONS_TABLE)}`,
      ),
    );
    const last = rows[0]?.last == null ? null : Number(rows[0].last);
    const entry = journal.entries.find((e) => e.when === last);
    return { count: Number(rows[0]?.count ?? 0), tag: entry?.tag ?? null, available: journal.entries.length };
  } catch (err) {
    throw new RepositoryError(`reading the schema version failed: ${messageOf(err)}`, driverErrorOf(err));
  }
}
