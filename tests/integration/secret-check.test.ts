/**
 * A server started with other secrets than the database was written with refuses to start, naming the
 * variable (embedded PGlite in a temp dir; the check reads and writes one settings row, the same on
 * PostgreSQL). Fingerprints below were computed independently:
 * `printf 'aethelred secret fingerprint v1' | openssl dgst -sha256 -hmac "<secret>"`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRoot } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { secretFingerprint } from '../../app/_server/auth/secret-fingerprints';

const repo = path.resolve(import.meta.dirname, '../..');
const AUTH_A = 'a-secret-of-at-least-thirty-two-characters-A';
const AUTH_B = 'a-secret-of-at-least-thirty-two-characters-B';
const KEY_1 = Buffer.alloc(32, '1').toString('base64');
const KEY_2 = Buffer.alloc(32, '2').toString('base64');
const FINGERPRINTS = {
  [AUTH_A]: '0640dfcaff006f7f250453e131e8cb10ed44211f16bd5099108e55670f89f5d2',
  [AUTH_B]: '6d1b32fcdd437fee032a0abd5e8348ade91b36141d4d489bb1b10fc33edd1788',
  [KEY_1]: 'bf8ef1959701c66cb41d23c3ee9ce19490ad12b46ee99a06d575d41f6410b91f',
  [KEY_2]: '6454ee671fad12f6ab0d0c816a1fc58c1dbaa79c685eaea0c00a42a8ddfb197a',
};
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function start(dataDir: string, env: Record<string, string>) {
  const root = await buildRoot(loadConfig({ AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, repo));
  await root.stop();
}

describe('secrets a database was written with', () => {
  it('fingerprints a secret with HMAC-SHA256 of a fixed label', () => {
    for (const [secret, fingerprint] of Object.entries(FINGERPRINTS)) expect(secretFingerprint(secret)).toBe(fingerprint);
  });

  it('refuses a start with another auth secret or encryption key, naming each variable, and starts with the same ones', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-secrets-'));
    dirs.push(dataDir);
    await start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_A, AETHELRED_ENCRYPTION_KEY: KEY_1 });
    await expect(start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_B, AETHELRED_ENCRYPTION_KEY: KEY_1 })).rejects.toThrow(
      "refusing to start: AETHELRED_AUTH_SECRET: this server's value (set in AETHELRED_AUTH_SECRET) is not the one this database was written with (fingerprint 0640dfcaff00…, this server's 6d1b32fcdd43…). Start every server on this database with the same AETHELRED_AUTH_SECRET.",
    );
    await expect(start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_A, AETHELRED_ENCRYPTION_KEY: KEY_2 })).rejects.toThrow(
      "refusing to start: AETHELRED_ENCRYPTION_KEY: this server's value (set in AETHELRED_ENCRYPTION_KEY) is not the one this database was written with (fingerprint bf8ef1959701…, this server's 6454ee671fad…). Start every server on this database with the same AETHELRED_ENCRYPTION_KEY.",
    );
    await expect(start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_B, AETHELRED_ENCRYPTION_KEY: KEY_2 })).rejects.toThrow(
      /^refusing to start: AETHELRED_AUTH_SECRET: .*; AETHELRED_ENCRYPTION_KEY: .*\. Start every server on this database with the same AETHELRED_AUTH_SECRET and AETHELRED_ENCRYPTION_KEY\.$/,
    );
    // The refused starts changed nothing: the right secrets still start.
    await start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_A, AETHELRED_ENCRYPTION_KEY: KEY_1 });
  }, 120_000);

  it('names the file a secret was read from when its variable is unset', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-secrets-'));
    dirs.push(dataDir);
    // First start: secrets generated into files under the data dir.
    await start(dataDir, {});
    const error = (await start(dataDir, { AETHELRED_AUTH_SECRET: AUTH_A }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('SecretMismatchError');
    expect(error.message).toContain("AETHELRED_AUTH_SECRET: this server's value (set in AETHELRED_AUTH_SECRET) is not the one this database was written with");
    // The key in the file matches; only the auth secret is named.
    expect(error.message).not.toContain('AETHELRED_ENCRYPTION_KEY');
    await start(dataDir, {});
    rmSync(path.join(dataDir, 'encryption-key'));
    const regenerated = (await start(dataDir, {}).catch((e: unknown) => e)) as Error;
    expect(regenerated.message).toContain(`AETHELRED_ENCRYPTION_KEY: this server's value (read from ${path.join(dataDir, 'encryption-key')} because AETHELRED_ENCRYPTION_KEY is unset) is not the one this database was written with`);
  }, 120_000);
});
