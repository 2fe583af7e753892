/**
 * A PostgreSQL database of a suite's own on the test server (TEST_DATABASE_URL, default 127.0.0.1:5432/test), for
 * suites that run several roots or processes on one database: created in `beforeAll`, dropped (with every root
 * the suite built through `rootOf`, stopped first) in `afterAll`, with a scratch data dir the roots share (so
 * their generated secrets match).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { buildRoot, type Root } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { NO_SCHEDULES } from './auth-test-root';

export const REPO_DIR = path.resolve(import.meta.dirname, '../..');

export interface ScratchPostgres {
  /** The database's URL. */
  readonly url: string;
  /** The scratch `AETHELRED_DATA_DIR` the roots share. */
  readonly dataDir: string;
  /**
   * Builds a root of `role` on the database (futures paper account, no job schedules, silent logs, then `env`
   * on top), stopped in `afterAll`, last built first.
   */
  rootOf(role: string, env?: Record<string, string>): Promise<Root>;
}

/** Registers the suite's database (`aethelred_<prefix>_<random>`); call at the top level of a test file. */
export function useScratchPostgres(prefix: string): ScratchPostgres {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `aethelred_${prefix}_${randomBytes(5).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `aethelred-${prefix}-`));
  const roots: Root[] = [];
  let admin: postgres.Sql | undefined;
  beforeAll(async () => {
    admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${database}`);
  }, 60_000);
  afterAll(async () => {
    for (const root of roots.reverse()) await root.stop().catch(() => undefined);
    await admin?.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);
  return {
    url: url.toString(),
    dataDir,
    async rootOf(role, env = {}) {
      const root = await buildRoot(
        loadConfig(
          { DATABASE_URL: url.toString(), AETHELRED_ROLE: role, AETHELRED_DATA_DIR: dataDir, AETHELRED_MARKET_TYPE: 'futures', AETHELRED_JOB_SCHEDULES: NO_SCHEDULES, LOG_LEVEL: 'silent', ...env },
          REPO_DIR,
        ),
      );
      roots.push(root);
      return root;
    },
  };
}
