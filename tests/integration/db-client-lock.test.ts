import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
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

describe('embedded database lock', () => {
  it('refuses a second open of the same directory and frees it on close', async () => {
    const dataDir = tempDir();
    const first = await createDatabase({ dataDir });
    const error = await createDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseInUseError);
    expect((error as Error).message).toContain('already open in this process');
    await first.close();
    expect(existsSync(path.join(dataDir, 'pglite', 'aethelred.lock'))).toBe(false);
    const again = await createDatabase({ dataDir });
    expect(await again.ping()).toBe(true);
    await again.close();
  });

  it('names the live process that holds the database and what to do', async () => {
    const dataDir = tempDir();
    mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
    // pid 1 is always alive (init); the lock looks held by another process.
    writeFileSync(path.join(dataDir, 'pglite', 'aethelred.lock'), '1');
    const error = await createDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseInUseError);
    expect((error as Error).message).toBe(
      `the embedded database in "${path.join(dataDir, 'pglite')}" is in use by process 1; stop that process (the server or another CLI command) first, or set DATABASE_URL to use PostgreSQL, which allows many processes`,
    );
  });

  it('takes over a lock left by a process that died', async () => {
    const dataDir = tempDir();
    mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dataDir, 'pglite', 'aethelred.lock'), dead);
    const database = await createDatabase({ dataDir });
    expect(await database.ping()).toBe(true);
    await database.close();
  });
});
