/**
 * Database client factory: embedded PGlite persisted under `dataDir` when no URL is
 * given, postgres.js when it is. No module state: the composition root creates one
 * `Database`, passes `database.db` to the repositories and closes it on shutdown.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import lockfile from 'proper-lockfile';
import { RepositoryError, ValidationError } from '../engine/core/errors';
import * as schema from './schema';
import type { NotifyTransport } from '../engine/ports/control-bus';

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
  /** Lease timing for the embedded database; default `DEFAULT_DATA_DIR_LOCK`. */
  lock?: DataDirLockConfig;
}

interface DatabaseCommon {
  /** The schema tables live in (`public` unless configured). */
  schema: string;
  /** True when a trivial query succeeds. Never throws. */
  ping(): Promise<boolean>;
  /** Closes the connection(s). Safe to call more than once. */
  close(): Promise<void>;
  /**
   * LISTEN/NOTIFY on one channel (a lowercase identifier, see `controlChannelOf`). PostgreSQL: a
   * dedicated listening connection that postgres.js reconnects with backoff, calling `onListen` again
   * after each reconnect. PGlite: its single connection (never drops; `onListen` runs once).
   */
  notifications(channel: string): NotifyTransport;
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
    const releaseLock = await lockDataDir(dir, config.lock ?? DEFAULT_DATA_DIR_LOCK);
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
    const pglite = client;
    return {
      kind: 'pglite',
      db,
      schema: schemaName,
      ping: () => pingWith(db),
      notifications: (channel) => ({
        async listen(onPayload, onListen) {
          const unlisten = await pglite.listen(checkChannel(channel), onPayload);
          queueMicrotask(onListen);
          return () => unlisten();
        },
        async notify(payload) {
          await pglite.query('select pg_notify($1, $2)', [checkChannel(channel), payload]);
        },
      }),
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
    notifications: (channel) => ({
      async listen(onPayload, onListen) {
        const { unlisten } = await client.listen(checkChannel(channel), onPayload, onListen);
        return () => unlisten();
      },
      async notify(payload) {
        await client.notify(checkChannel(channel), payload);
      },
    }),
    close: once(() => client.end({ timeout: 5 })),
  };
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): string {
  if (!CHANNEL_NAME.test(channel)) throw new ValidationError('channel', channel, 'a notification channel is a lowercase identifier of at most 63 characters (a-z, 0-9, _)');
  return channel;
}

/**
 * The control bus channel of a schema: every process using the same schema of one database shares it;
 * other schemas (test runs, other installations) do not hear it. Names longer than PostgreSQL's
 * 63-byte identifier limit are shortened with a hash of the schema.
 */
export function controlChannelOf(schemaName: string): string {
  const plain = schemaName === 'public' ? 'aethelred_control' : `aethelred_control_${schemaName}`;
  return plain.length <= 63 ? plain : `aethelred_control_${createHash('sha256').update(schemaName).digest('hex').slice(0, 40)}`;
}

/** Raised when another live process holds the embedded database. */
export class DatabaseInUseError extends RepositoryError {}

/** Timing of the embedded database's lease (tests shorten it). */
export interface DataDirLockConfig {
  /** A lease not refreshed for this long belongs to a process that is gone and is taken over, ms (≥ 2000). */
  staleMs: number;
  /** How long to wait for a lease held by another process to be released or go stale, ms. */
  waitMs: number;
  /** Called when another process took the lease from under this one (this process stalled past `staleMs`). Default: throw, ending the process. */
  onCompromised?: (error: Error) => void;
}

/** Refreshed every 5 s; a holder killed with SIGKILL is taken over about 10 s later. */
export const DEFAULT_DATA_DIR_LOCK: DataDirLockConfig = { staleMs: 10_000, waitMs: 15_000 };

const LEASE_NAME = 'aethelred.lease';
const LEGACY_PID_LOCK = 'aethelred.lock';
/** Beside the lease (proper-lockfile removes the lease directory with rmdir, so it must stay empty). */
const OWNER_FILE = 'aethelred.lease.owner';

/** This process, told apart from an earlier process that had the same pid (containers restart as pid 1). */
function currentLeaseOwner(): string {
  return `${process.pid}@${Math.round(performance.timeOrigin)}`;
}

/**
 * PGlite is single-process: two processes opening the same directory corrupt it. The directory is
 * guarded by a lease (proper-lockfile: an atomically created lock directory whose mtime the holder
 * refreshes every `staleMs / 2`). Liveness is the refresh, not a pid, so a holder killed with SIGKILL
 * is taken over once its lease is stale, and a restarted container that is pid 1 again is not
 * mistaken for its predecessor. A clean exit (including on a signal) removes the lease.
 * @throws DatabaseInUseError naming the owning pid and what to do.
 */
async function lockDataDir(dir: string, config: DataDirLockConfig): Promise<() => Promise<void>> {
  const leasePath = path.join(dir, LEASE_NAME);
  const me = currentLeaseOwner();
  const options = { lockfilePath: leasePath, realpath: false, stale: config.staleMs, ...(config.onCompromised ? { onCompromised: config.onCompromised } : {}) };
  const tryLock = (retries: number) =>
    lockfile.lock(dir, { ...options, retries: retries === 0 ? 0 : { retries, factor: 1, minTimeout: 500, maxTimeout: 500 } });
  let release: () => Promise<void>;
  try {
    release = await tryLock(0).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      const owner = await readLeaseOwner(dir);
      if (owner === me) throw new DatabaseInUseError(`the embedded database in "${dir}" is already open in this process; open it once and share it`);
      // Held by another process: it may be alive, or dead with a lease that has not gone stale yet.
      return tryLock(Math.ceil(config.waitMs / 500));
    });
  } catch (error) {
    if (error instanceof DatabaseInUseError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      const owner = await readLeaseOwner(dir);
      const pid = owner?.split('@')[0] ?? 'unknown';
      throw new DatabaseInUseError(
        `the embedded database in "${dir}" is in use by process ${pid}; stop that process (the server or another CLI command) first, or set DATABASE_URL to use PostgreSQL, which allows many processes`,
      );
    }
    throw new RepositoryError(`cannot lock "${dir}": ${messageOf(error)}`, error);
  }
  await writeFile(path.join(dir, OWNER_FILE), me);
  // A pid lock file written by versions before the lease means nothing now.
  await rm(path.join(dir, LEGACY_PID_LOCK), { force: true });
  return once(async () => {
    await rm(path.join(dir, OWNER_FILE), { force: true });
    await release().catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ERELEASED') throw error;
    });
  });
}

async function readLeaseOwner(dir: string): Promise<string | null> {
  return readFile(path.join(dir, OWNER_FILE), 'utf8').then((text) => text.trim(), () => null);
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
