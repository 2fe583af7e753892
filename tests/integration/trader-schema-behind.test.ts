/**
 * A trader or worker started against a database whose migrations are behind refuses to start (issue 18,
 * Bad input), on the real PostgreSQL (TEST_DATABASE_URL) in a schema of its own: the message names how
 * many and which migrations are missing and what to run, and the refused process applied none of them.
 * `npm run cli -- migrate --check` reports the same and exits 3; `migrate` applies them; then the trader
 * starts. A database migrated past this build only draws a warning.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoot } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { prepareSchema } from '../../app/_server/prepare-schema';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase, migrationStatus } from '../../db/migrate';
import type { Logger } from '../../engine/core/logger';
import { POSTGRES_URL } from '../support/ml-databases';
import { NO_SCHEDULES } from '../support/auth-test-root';

const repo = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(repo, 'db/migrations');
// The shipped journal, read independently of db/migrate.ts: the last two entries are what the database lacks.
const TAGS = (JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);
const MISSING = TAGS.slice(-2);

/** The migrations folder without its last two entries (a database written by an older build). */
function olderMigrations(dir: string): string {
  cpSync(MIGRATIONS, dir, { recursive: true });
  const file = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, -2);
  writeFileSync(file, JSON.stringify(journal));
  return dir;
}

describe('a trader or worker against a database whose migrations are behind', { timeout: 120_000 }, () => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-behind-'));
  const older = olderMigrations(mkdtempSync(path.join(tmpdir(), 'aethelred-older-migrations-')));
  const env = { DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: schema, AETHELRED_DATA_DIR: dataDir, AETHELRED_MARKET_TYPE: 'futures', AETHELRED_JOB_SCHEDULES: NO_SCHEDULES, LOG_LEVEL: 'silent' };
  const rootOf = (role: string) => buildRoot(loadConfig({ ...env, AETHELRED_ROLE: role }, repo));
  /** `migrate` from the sources, or from the bundle `npm run cli` and scripts/start-roles.sh run (scripts/run-cli.mjs). */
  const cli = (runner: 'sources' | 'bundle', ...args: string[]) =>
    spawnSync(process.execPath, [...(runner === 'bundle' ? ['scripts/run-cli.mjs'] : ['--import', 'tsx', 'scripts/cli.ts']), 'migrate', ...args], { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  let database: Database;

  beforeAll(async () => {
    database = await createDatabase({ url: POSTGRES_URL, dataDir, schema });
    await migrateDatabase(database, { migrationsFolder: older });
  });
  afterAll(async () => {
    await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(older, { recursive: true, force: true });
  });

  it('refuses to start a trader or a worker, naming the missing migrations and the command, and applies none', async () => {
    const expected = `the database is 2 migrations behind this build (${TAGS.length - 2} of ${TAGS.length} applied; missing: ${MISSING.join(', ')}): a trader process never migrates. Run \`npm run cli -- migrate\` with this DATABASE_URL (or start a web server of this build, which migrates), then start the trader again`;
    await expect(rootOf('trader')).rejects.toThrow(expected);
    await expect(rootOf('worker')).rejects.toThrow(`missing: ${MISSING.join(', ')}): a worker process never migrates.`);
    expect(await migrationStatus(database)).toEqual({ applied: TAGS.length - 2, available: TAGS.length, pending: MISSING, ahead: false });
  });

  it('migrate --check reports the missing migrations and exits 3; migrate (also from the npm run cli bundle) applies them; then the trader starts', async () => {
    const check = cli('sources', '--check');
    expect(check.stdout.trim()).toBe(`schema behind: ${TAGS.length - 2} of ${TAGS.length} migrations applied; missing: ${MISSING.join(', ')}`);
    expect(check.status).toBe(3);
    const migrated = cli('bundle');
    expect(migrated.stdout.trim(), migrated.stderr).toBe(`applied 2: ${MISSING.join(', ')}; ${TAGS.length} of ${TAGS.length} migrations applied`);
    expect(migrated.status).toBe(0);
    expect(cli('sources').stdout.trim()).toBe(`schema current: ${TAGS.length} of ${TAGS.length} migrations applied`);
    const trader = await rootOf('trader');
    await trader.stop();
  });

  it('only warns a trader about a database migrated by a newer build', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
    await prepareSchema(database, 'trader', logger, { migrationsFolder: older });
    expect(warnings).toEqual(['the database was migrated by a newer build than this one: upgrade this process soon']);
    expect((await migrationStatus(database, { migrationsFolder: older })).ahead).toBe(true);
  });
});
