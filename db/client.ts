/**
 * Database client factory: embedded PGlite persisted under `dataDir` when no URL is
 * given, postgres.js when it is. No module state: the composition root creates one
 * `Database`, passes `database.db` to the repositories and closes it on shutdown.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { RepositoryError, ValidationError } from '../engine/core/errors';
import * as schema from './schema';

export type DatabaseSchema = typeof schema;

/** The drizzle handle the repositories accept: either driver, same query API. */
export type Db = PgDatabase<PgQueryResultHKT, DatabaseSchema>;

export interface DatabaseConfig {
  /** postgres:// URL; when undefined an embedded PGlite database is used. */
  url?: string;
  /** Directory for local state; PGlite keeps its files in `${dataDir}/pglite`. */
  dataDir: string;
  /** Postgres schema to put every table in (search_path); created when missing. Lowercase identifier. */
  schema?: string;
}

interface DatabaseCommon {
  /** The schema tables live in (`public` unless configured). */
  schema: string;
  /** True when a trivial query succeeds. Never throws. */
  ping(): Promise<boolean>;
  /** Closes the connection(s). Safe to call more than once. */
  close(): Promise<void>;
}

export type Database =
  | (DatabaseCommon & { kind: 'pglite'; db: PgliteDatabase<DatabaseSchema> })
  | (DatabaseCommon & { kind: 'postgres'; db: PostgresJsDatabase<DatabaseSchema> });

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

/**
 * Opens the database. With `schema`, the schema is created if missing and set as the
 * connection's search_path, so migrations and queries stay inside it.
 * @throws ValidationError when `schema` is not a lowercase SQL identifier.
 * @throws RepositoryError when the database cannot be opened or reached.
 */
export async function createDatabase(config: DatabaseConfig): Promise<Database> {
  const schemaName = config.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) {
    throw new ValidationError('schema', schemaName, 'must be a lowercase identifier (a-z, 0-9, _)');
  }
  if (config.url === undefined) {
    const dir = path.join(config.dataDir, 'pglite');
    let client: PGlite;
    await mkdir(dir, { recursive: true });
    const releaseLock = await lockDataDir(dir);
    try {
      client = await PGlite.create(dir);
      if (config.schema !== undefined) {
        await client.exec(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"; SET search_path TO "${schemaName}"`);
      }
    } catch (err) {
      await releaseLock();
      throw new RepositoryError(`cannot open PGlite database in "${dir}": ${messageOf(err)}`, err);
    }
    const db = drizzlePglite({ client, schema });
    return {
      kind: 'pglite',
      db,
      schema: schemaName,
      ping: () => pingWith(db),
      close: once(async () => {
        try {
          if (!client.closed) await client.close();
        } finally {
          await releaseLock();
        }
      }),
    };
  }

  const client = postgres(config.url, {
    max: 10,
    onnotice: () => {},
    connection: config.schema !== undefined ? { search_path: schemaName } : {},
  });
  const db = drizzlePostgres({ client, schema });
  try {
    if (config.schema !== undefined) await db.execute(sql.raw(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`));
    else await db.execute(sql`select 1`);
  } catch (err) {
    await client.end({ timeout: 1 });
    throw new RepositoryError(`cannot connect to PostgreSQL at ${redactUrl(config.url)}: ${messageOf(err)}`, driverErrorOf(err));
  }
  return {
    kind: 'postgres',
    db,
    schema: schemaName,
    ping: () => pingWith(db),
    close: once(() => client.end({ timeout: 5 })),
  };
}

/** Raised when another live process holds the embedded database. */
export class DatabaseInUseError extends RepositoryError {}

/**
 * PGlite is single-process: two processes opening the same directory corrupt it. A lock file
 * holding the owner's pid guards the directory; a lock left by a dead process is taken over.
 * @throws DatabaseInUseError naming the owning pid and what to do.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dir, 'aethelred.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return once(() => rm(lockFile, { force: true }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RepositoryError(`cannot lock "${dir}": ${messageOf(err)}`, err);
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseInUseError(
          `the embedded database in "${dir}" is in use by process ${owner}; stop that process (the server or another CLI command) first, or set DATABASE_URL to use PostgreSQL, which allows many processes`,
        );
      }
      if (owner === process.pid) {
        throw new DatabaseInUseError(`the embedded database in "${dir}" is already open in this process; open it once and share it`);
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new DatabaseInUseError(`could not lock the embedded database in "${dir}"`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pingWith(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

/** Message of an error, unwrapping drizzle's "Failed query" wrapper to the driver's own message. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (err.message.startsWith('Failed query') && cause instanceof Error) return cause.message;
    return err.message;
  }
  return String(err);
}

/** The driver's error under drizzle's "Failed query" wrapper (whose message repeats every parameter). */
export function driverErrorOf(err: unknown): unknown {
  if (err instanceof Error && err.message.startsWith('Failed query') && err.cause !== undefined) return err.cause;
  return err;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
