/**
 * Database backends for the ML integration suites: embedded PGlite in a temp dir and a real
 * PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), each run in its
 * own random schema that is dropped afterwards. Same pattern as tests/integration/db-repositories.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabaseBackend {
  name: string;
  /** Opens and migrates a fresh database in its own schema. */
  open(): Promise<{ database: Database; dispose(): Promise<void> }>;
}

export const TEST_DATABASE_BACKENDS: TestDatabaseBackend[] = [
  {
    name: 'PGlite',
    async open() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-ml-db-'));
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const database = await createDatabase({ dataDir, schema });
      await migrateDatabase(database);
      return {
        database,
        async dispose() {
          await database.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      let database: Database;
      try {
        database = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
      } catch (err) {
        throw new Error(`PostgreSQL integration tests need a server at ${POSTGRES_URL} (override with TEST_DATABASE_URL): ${(err as Error).message}`, { cause: err });
      }
      await migrateDatabase(database);
      return {
        database,
        async dispose() {
          await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
          await database.close();
        },
      };
    },
  },
];
