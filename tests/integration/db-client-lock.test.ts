import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, utimesSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, DatabaseInUseError } from '../../db/client';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Leaves a lease as another process would: the lease directory with its owner, refreshed `ageMs` ago. */
function leaveLease(dataDir: string, owner: string, ageMs: number): string {
  const lease = path.join(dataDir, 'pglite', 'aethelred.lease');
  mkdirSync(lease, { recursive: true });
  writeFileSync(path.join(dataDir, 'pglite', 'aethelred.lease.owner'), owner);
  const at = new Date(Date.now() - ageMs);
  utimesSync(lease, at, at);
  return lease;
}

const shortLease = { staleMs: 2_000, waitMs: 1_000 };

describe('embedded database lock', () => {
  it('refuses a second open of the same directory and frees it on close', async () => {
    const dataDir = tempDir();
    const first = await createDatabase({ dataDir });
    const lease = path.join(dataDir, 'pglite', 'aethelred.lease');
    expect(readFileSync(path.join(dataDir, 'pglite', 'aethelred.lease.owner'), 'utf8')).toBe(`${process.pid}@${Math.round(performance.timeOrigin)}`);
    const error = await createDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseInUseError);
    expect((error as Error).message).toBe(`the embedded database in "${path.join(dataDir, 'pglite')}" is already open in this process; open it once and share it`);
    await first.close();
    expect(existsSync(lease)).toBe(false);
    expect(existsSync(`${lease}.owner`)).toBe(false);
    const again = await createDatabase({ dataDir });
    expect(await again.ping()).toBe(true);
    await again.close();
  });

  it('names the process whose lease is fresh and what to do, after waiting for it', async () => {
    const dataDir = tempDir();
    leaveLease(dataDir, '4242@1700000000000', 0);
    const started = Date.now();
    const error = await createDatabase({ dataDir, lock: shortLease }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(error).toBeInstanceOf(DatabaseInUseError);
    expect((error as Error).message).toBe(
      `the embedded database in "${path.join(dataDir, 'pglite')}" is in use by process 4242; stop that process (the server or another CLI command) first, or set DATABASE_URL to use PostgreSQL, which allows many processes`,
    );
  });

  it('takes over without waiting a lease whose holder died (no refresh for longer than the stale time)', async () => {
    const dataDir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    leaveLease(dataDir, `${dead}@1700000000000`, 60_000);
    // No waiting allowed: a fresh lease would be refused at once, a stale one is taken over.
    const database = await createDatabase({ dataDir, lock: { staleMs: 2_000, waitMs: 0 } });
    expect(await database.ping()).toBe(true);
    await database.close();
  });

  it('takes over a fresh lease left by an earlier process with this same pid (a container restarted as pid 1) once it goes stale', async () => {
    const dataDir = tempDir();
    leaveLease(dataDir, `${process.pid}@1700000000000`, 0);
    const started = Date.now();
    const database = await createDatabase({ dataDir, lock: { staleMs: 2_000, waitMs: 5_000 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(await database.ping()).toBe(true);
    expect(readFileSync(path.join(dataDir, 'pglite', 'aethelred.lease.owner'), 'utf8')).toBe(`${process.pid}@${Math.round(performance.timeOrigin)}`);
    await database.close();
  });

  it('removes a pid lock file left by an earlier version', async () => {
    const dataDir = tempDir();
    mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
    writeFileSync(path.join(dataDir, 'pglite', 'aethelred.lock'), '1');
    const database = await createDatabase({ dataDir });
    expect(existsSync(path.join(dataDir, 'pglite', 'aethelred.lock'))).toBe(false);
    await database.close();
  });
});
