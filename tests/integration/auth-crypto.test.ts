/**
 * AES-256-GCM secret box (round trip, tamper and wrong-key detection), the webhook HMAC
 * against a value computed independently with `openssl dgst -sha256 -hmac`, encryption-key
 * validation in config, and credentials stored encrypted (never in plain text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { setExchangeCredential } from '../../app/admin/actions';
import { VENUE_IDS } from '../../engine/venues/registry';
import { loadConfig } from '../../app/_server/config';
import { GATE } from '../../app/_server/auth/gate';
import { createSecretBox, parseEncryptionKey, SecretBoxError } from '../../app/_server/auth/secret-box';
import { signWebhook } from '../../app/_server/auth/webhook-receiver';
import { auditLog, exchangeCredentials } from '../../db/schema';
import { createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';

const key = randomBytes(32);

describe('secret box', () => {
  it('round-trips text, including non-ASCII, with a fresh IV each time', () => {
    const box = createSecretBox(key);
    const a = box.encrypt('api-secret ✓ 42');
    const b = box.encrypt('api-secret ✓ 42');
    expect(a).not.toBe(b);
    expect(box.decrypt(a)).toBe('api-secret ✓ 42');
    expect(box.decrypt(b)).toBe('api-secret ✓ 42');
    expect(a).not.toContain('api-secret');
  });

  it('detects a flipped bit in the ciphertext, the tag or the IV', () => {
    const box = createSecretBox(key);
    const [version, iv, tag, body] = box.encrypt('top secret').split('.');
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] ^= 0x01;
      return bytes.toString('base64url');
    };
    for (const tampered of [[version, iv, tag, flip(body)], [version, iv, flip(tag), body], [version, flip(iv), tag, body]]) {
      expect(() => box.decrypt(tampered.join('.'))).toThrow(SecretBoxError);
    }
  });

  it('refuses ciphertext made with another key', () => {
    const sealed = createSecretBox(key).encrypt('x');
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow('it was altered or encrypted with another key');
  });

  it('refuses keys that are not 32 bytes and ciphertext in another format', () => {
    expect(() => parseEncryptionKey(Buffer.alloc(16).toString('base64'))).toThrow('must be 32 bytes of base64; got 16 bytes');
    expect(() => createSecretBox(key).decrypt('v2.a.b.c')).toThrow('not in the v1 format');
  });
});

describe('configuration of secrets', () => {
  it('names a bad AETHELRED_ENCRYPTION_KEY without echoing it', () => {
    expect(() => loadConfig({ AETHELRED_ENCRYPTION_KEY: 'too-short' }, '/srv')).toThrow(
      'invalid configuration:\n  AETHELRED_ENCRYPTION_KEY=(redacted): expected 32 bytes, base64-encoded (openssl rand -base64 32)',
    );
    expect(() => loadConfig({ AETHELRED_AUTH_SECRET: 'short' }, '/srv')).toThrow('AETHELRED_AUTH_SECRET=(redacted): expected at least 32 characters');
  });
});

describe('webhook signature', () => {
  it('matches HMAC-SHA256 over "timestamp.body" computed by openssl', () => {
    // printf '1700000000.{"symbol":"BTC/USDT"}' | openssl dgst -sha256 -hmac 'whsec-test'
    expect(signWebhook('whsec-test', '1700000000', '{"symbol":"BTC/USDT"}')).toBe('sha256=cba0c72b3f7e680d851aff797e9f2d4dc1ae6ea96c38c88faddd89b89aadc875');
  });
});

describe('exchange credentials', () => {
  let t: AuthTestRoot;
  beforeAll(async () => {
    t = await createAuthTestRoot();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores credentials encrypted, returns and audits only the last four characters of the key', async () => {
    const admin = await t.signedInAs('admin');
    const result = await setExchangeCredential[GATE].run(t.root, new Headers({ cookie: admin.cookie }), { exchange: 'Binance', apiKey: 'AKIA-1234-WXYZ', secret: 's3cr3t-value-999' });
    expect(result).toMatchObject({ ok: true, data: { exchange: 'binance', keyIdLast4: 'WXYZ' } });
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
    const [row] = await t.root.database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.exchange, 'binance'));
    expect(row.ciphertext).not.toContain('s3cr3t');
    expect(row.ciphertext).not.toContain('AKIA');
    expect(JSON.parse(t.root.auth.secretBox.decrypt(row.ciphertext))).toEqual({ apiKey: 'AKIA-1234-WXYZ', secret: 's3cr3t-value-999' });
    const audit = await t.root.database.db.select().from(auditLog).where(eq(auditLog.action, 'credential.set'));
    expect(JSON.stringify(audit)).not.toContain('s3cr3t');
    expect(audit[0].after).toMatchObject({ keyIdLast4: 'WXYZ' });
    expect(await t.root.auth.credentials.list()).toEqual([{ exchange: 'binance', keyIdLast4: 'WXYZ', setAtMs: expect.any(Number), setBy: admin.email }]);
  });

  it('refuses an exchange that is not a known venue, naming the field, and stores nothing', async () => {
    const admin = await t.signedInAs('admin');
    const before = await t.root.auth.credentials.list();
    const result = await setExchangeCredential[GATE].run(t.root, new Headers({ cookie: admin.cookie }), { exchange: 'binanceusd', apiKey: 'AKIA-5678-QRST', secret: 'typo-secret-value' });
    expect(result).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { exchange: [`unknown exchange: pick one of ${VENUE_IDS.join(', ')}`] } } });
    expect(await t.root.database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.exchange, 'binanceusd'))).toEqual([]);
    expect(await t.root.auth.credentials.list()).toEqual(before);
  });
});
