/**
 * Sign-in, sessions and tokens against a real PGlite-backed root: cookie flags, the
 * failed-sign-in lockout, deactivation, log out everywhere, API tokens, first-run setup.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, logoutEverywhere, revokeApiToken, setUserActive, setUserRole } from '../../app/admin/actions';
import { setupFirstAdmin } from '../../app/(auth)/actions';
import { GATE } from '../../app/_server/auth/gate';
import { hashToken } from '../../app/_server/auth/auth-kit';
import { runOnConnection } from '../../app/_server/http/forwarding';
import { GET as me } from '../../app/api/me/route';
import { apiTokens, sessions } from '../../db/schema';
import { createAuthTestRoot, TEST_ORIGIN, TEST_PASSWORD, type AuthTestRoot } from '../support/auth-test-root';

let t: AuthTestRoot;
let admin: { cookie: string; userId: string; email: string };

beforeAll(async () => {
  t = await createAuthTestRoot();
  admin = await t.signedInAs('admin');
});
afterAll(async () => {
  await t?.close();
});

const whoAmI = (auth: { cookie?: string; bearer?: string }) =>
  me[GATE].run(
    t.root,
    new Request(`${TEST_ORIGIN}/api/me`, { headers: { ...(auth.cookie ? { cookie: auth.cookie } : {}), ...(auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {}) } }),
    {},
  );
const adminHeaders = () => new Headers({ cookie: admin.cookie });

describe('session cookies', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie without Secure over plain http', async () => {
    const { email } = await t.signedInAs('viewer');
    const response = await t.signIn(email, TEST_PASSWORD);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('aethelred.session_token='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    expect(cookie).not.toMatch(/;\s*Secure/i);
  });

  it('marks the session cookie Secure when the request arrived over https', async () => {
    const { email } = await t.signedInAs('viewer');
    const direct = await t.signIn(email, TEST_PASSWORD, 'https://trade.example.test');
    expect(direct.headers.getSetCookie().find((c) => c.includes('session_token='))).toMatch(/;\s*Secure/i);
    // Behind a TLS-terminating proxy listed in AETHELRED_TRUSTED_PROXIES, its X-Forwarded-Proto counts.
    const behindProxy = await createAuthTestRoot({ AETHELRED_TRUSTED_PROXIES: '10.9.0.0/16' });
    try {
      await behindProxy.root.auth.createUser({ email: 'p@example.test', password: TEST_PASSWORD, role: 'viewer' });
      const viaProxy = (remoteAddress: string) =>
        runOnConnection({ remoteAddress, encrypted: false }, () =>
          behindProxy.root.auth.handleAuthRequest(
            new Request(`${TEST_ORIGIN}/api/auth/sign-in/email`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', origin: TEST_ORIGIN, host: 'localhost:3000', 'x-forwarded-proto': 'https' },
              body: JSON.stringify({ email: 'p@example.test', password: TEST_PASSWORD }),
            }),
          ),
        );
      const proxied = (await viaProxy('10.9.0.1')).headers.getSetCookie().find((c) => c.includes('session_token='));
      expect(proxied).toMatch(/;\s*Secure/i);
      expect(proxied).toMatch(/;\s*HttpOnly/i);
      // The same header from a client that is not a listed proxy is ignored.
      const spoofed = (await viaProxy('203.0.113.7')).headers.getSetCookie().find((c) => c.includes('session_token='));
      expect(spoofed).toMatch(/;\s*HttpOnly/i);
      expect(spoofed).not.toMatch(/;\s*Secure/i);
    } finally {
      await behindProxy.close();
    }
  });

  it('uses __Secure- cookies when the public URL is https', async () => {
    const secure = await createAuthTestRoot({ AETHELRED_PUBLIC_URL: 'https://trade.example.test' });
    try {
      await secure.root.auth.createUser({ email: 'a@example.test', password: TEST_PASSWORD, role: 'viewer' });
      const response = await secure.signIn('a@example.test', TEST_PASSWORD, 'https://trade.example.test');
      expect(response.status).toBe(200);
      const cookie = response.headers.getSetCookie().find((c) => c.includes('session_token='));
      expect(cookie).toMatch(/^__Secure-aethelred\.session_token=.*;\s*Secure/i);
    } finally {
      await secure.close();
    }
  });

  it('serves only the allowed better-auth endpoints: public sign-up is 404', async () => {
    const response = await t.root.auth.handleAuthRequest(
      new Request(`${TEST_ORIGIN}/api/auth/sign-up/email`, { method: 'POST', headers: { 'content-type': 'application/json', origin: TEST_ORIGIN }, body: JSON.stringify({ email: 'x@y.z', password: 'long-enough-pw', name: 'x' }) }),
    );
    expect(response.status).toBe(404);
    expect(await t.root.auth.users.findByEmail('x@y.z')).toBeNull();
  });
});

describe('lockout', () => {
  it('locks an address after 5 failed sign-ins, refusing even the right password with 429', async () => {
    const { email } = await t.signedInAs('trader');
    for (let i = 1; i <= 4; i++) expect((await t.signIn(email, `wrong-password-${i}`)).status).toBe(401);
    expect((await t.root.auth.users.loginFailure(email))?.failedCount).toBe(4);
    expect((await t.signIn(email, 'wrong-password-5')).status).toBe(401);
    const locked = await t.signIn(email, TEST_PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(890);
    expect(locked.headers.getSetCookie()).toEqual([]);
    const audit = await t.root.auth.audit.list({ action: 'auth.sign_in', limit: 2 });
    expect(audit.items.map((e) => e.outcome)).toEqual(['denied', 'failed']);
  });

  it('clears the failure count after a successful sign-in below the threshold', async () => {
    const { email } = await t.signedInAs('trader');
    for (let i = 0; i < 3; i++) await t.signIn(email, 'wrong-password-x');
    expect((await t.signIn(email, TEST_PASSWORD)).status).toBe(200);
    expect(await t.root.auth.users.loginFailure(email)).toBeNull();
  });

  /** A sign-in POST with a body and content type of the caller's choosing, from a fresh client address. */
  let rawClient = 0;
  const rawSignIn = (contentType: string | null, body: string) =>
    runOnConnection({ remoteAddress: `10.9.${Math.floor(++rawClient / 250)}.${rawClient % 250}`, encrypted: false }, () =>
      t.root.auth.handleAuthRequest(
        new Request(`${TEST_ORIGIN}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { ...(contentType ? { 'content-type': contentType } : {}), origin: TEST_ORIGIN, host: new URL(TEST_ORIGIN).host },
          body,
        }),
      ),
    );

  it('refuses a form-encoded sign-in with 415 before better-auth, so it can neither get past a lockout nor go uncounted', async () => {
    const { email } = await t.signedInAs('trader');
    const form = (password: string) => new URLSearchParams({ email, password }).toString();
    // Repeated wrong passwords in a form body: each refused, none reaches better-auth (no session, no audit entry).
    const auditBefore = (await t.root.auth.audit.list({ action: 'auth.sign_in', limit: 1000 })).items.length;
    for (let i = 0; i < 6; i++) {
      const refused = await rawSignIn('application/x-www-form-urlencoded', form(`wrong-password-${i}`));
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as { error: { code: string; message: string } }).error).toEqual({
        code: 'unsupported_media_type:input',
        message: 'sign-in takes a JSON body (content-type: application/json) with "email" and "password"; got content-type "application/x-www-form-urlencoded"',
      });
    }
    expect((await t.root.auth.audit.list({ action: 'auth.sign_in', limit: 1000 })).items).toHaveLength(auditBefore);
    // Even the right password in a form body gets no session.
    const right = await rawSignIn('application/x-www-form-urlencoded', form(TEST_PASSWORD));
    expect(right.status).toBe(415);
    expect(right.headers.getSetCookie()).toEqual([]);
    expect((await rawSignIn('multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${email}\r\n--x--\r\n`)).status).toBe(415);
    expect((await rawSignIn(null, JSON.stringify({ email, password: TEST_PASSWORD }))).status).toBe(415);
    // A JSON body the lockout cannot read an address from is refused here too.
    expect((await rawSignIn('application/json', '{"email":')).status).toBe(400);
    expect((await rawSignIn('application/json', JSON.stringify({ email: [email], password: TEST_PASSWORD }))).status).toBe(400);

    // The JSON path still locks the address after 5 failures, and a form body then does not get past the lock.
    for (let i = 1; i <= 5; i++) expect((await rawSignIn('application/json; charset=utf-8', JSON.stringify({ email, password: `wrong-${i}` }))).status).toBe(401);
    expect((await t.root.auth.users.loginFailure(email))?.failedCount).toBe(5);
    expect((await t.signIn(email, TEST_PASSWORD)).status).toBe(429);
    const afterLock = await rawSignIn('application/x-www-form-urlencoded', form(TEST_PASSWORD));
    expect(afterLock.status).toBe(415);
    expect(afterLock.headers.getSetCookie()).toEqual([]);
  });
});

describe('deactivation and logout everywhere', () => {
  it('revokes every session of a deactivated user and refuses their sign-in', async () => {
    const viewer = await t.signedInAs('viewer');
    const second = await t.signIn(viewer.email, TEST_PASSWORD);
    expect(second.status).toBe(200);
    expect((await whoAmI({ cookie: viewer.cookie })).status).toBe(200);
    const result = await setUserActive[GATE].run(t.root, adminHeaders(), { userId: viewer.userId, active: 'false' });
    expect(result).toEqual({ ok: true, data: { userId: viewer.userId, active: false } });
    expect(await t.root.database.db.select().from(sessions).where(eq(sessions.userId, viewer.userId))).toEqual([]);
    expect((await whoAmI({ cookie: viewer.cookie })).status).toBe(401);
    expect((await t.signIn(viewer.email, TEST_PASSWORD)).status).toBe(401);
  });

  it('refuses to demote or deactivate the last admin', async () => {
    const solo = await createAuthTestRoot();
    try {
      const only = await solo.signedInAs('admin');
      const headers = new Headers({ cookie: only.cookie });
      expect(await setUserRole[GATE].run(solo.root, headers, { userId: only.userId, role: 'viewer' })).toMatchObject({ ok: false, status: 409 });
      expect(await setUserActive[GATE].run(solo.root, headers, { userId: only.userId, active: false })).toMatchObject({ ok: false, status: 409 });
    } finally {
      await solo.close();
    }
  });

  it('logs a user out of every session at once', async () => {
    const trader = await t.signedInAs('trader');
    const other = await t.signIn(trader.email, TEST_PASSWORD);
    const otherCookie = other.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const result = await logoutEverywhere[GATE].run(t.root, new Headers({ cookie: trader.cookie }), {});
    expect(result).toEqual({ ok: true, data: { sessionsRevoked: 2 } });
    expect((await whoAmI({ cookie: trader.cookie })).status).toBe(401);
    expect((await whoAmI({ cookie: otherCookie })).status).toBe(401);
  });
});

describe('API tokens', () => {
  it('stores only the SHA-256 of a token, accepts it as Bearer, records last use and stops accepting it once revoked', async () => {
    const trader = await t.signedInAs('trader');
    const { token, record } = await t.root.auth.issueToken({ userId: trader.userId, name: 'ci', role: 'viewer' });
    const [row] = await t.root.database.db.select().from(apiTokens).where(eq(apiTokens.id, record.id));
    expect(row.tokenHash).toBe(hashToken(token));
    expect(row.tokenHash).not.toContain(token);
    expect(row.lastUsedAtMs).toBeNull();
    const response = await whoAmI({ bearer: token });
    expect(await response.json()).toEqual({ userId: trader.userId, email: trader.email, role: 'viewer', via: 'token' });
    expect((await t.root.auth.tokens.list(trader.userId))[0].lastUsedAtMs).not.toBeNull();
    await t.root.auth.tokens.revoke(record.id, Date.now());
    expect((await whoAmI({ bearer: token })).status).toBe(401);
  });

  it('refuses a token above the owner role and caps a token when its owner is demoted', async () => {
    const trader = await t.signedInAs('trader');
    await expect(t.root.auth.issueToken({ userId: trader.userId, name: 'x', role: 'admin' })).rejects.toThrow('above its owner\'s role "trader"');
    const { token } = await t.root.auth.issueToken({ userId: trader.userId, name: 'y', role: 'trader' });
    await setUserRole[GATE].run(t.root, adminHeaders(), { userId: trader.userId, role: 'viewer' });
    expect(((await (await whoAmI({ bearer: token })).json()) as { role: string }).role).toBe('viewer');
  });

  it('lets only a browser session create or revoke API tokens: a token caller, even an admin one, gets 403 and changes nothing', async () => {
    const owner = await t.signedInAs('admin');
    const { token, record } = await t.root.auth.issueToken({ userId: owner.userId, name: 'leaked', role: 'admin' });
    const bearer = new Headers({ authorization: `Bearer ${token}` });
    const tokensOf = async () => (await t.root.auth.tokens.list(owner.userId)).map((r) => ({ id: r.id, revokedAtMs: r.revokedAtMs }));
    const before = await tokensOf();
    expect(await createApiToken[GATE].run(t.root, bearer, { name: 'replacement', role: 'admin' })).toEqual({
      ok: false,
      status: 403,
      error: { code: 'forbidden:auth', message: 'creating an API token needs a signed-in browser session: an API token (Authorization: Bearer) cannot do it; sign in to the app and use the API tokens page' },
    });
    expect(await revokeApiToken[GATE].run(t.root, bearer, { tokenId: record.id })).toEqual({
      ok: false,
      status: 403,
      error: { code: 'forbidden:auth', message: 'revoking an API token needs a signed-in browser session: an API token (Authorization: Bearer) cannot do it; sign in to the app and use the API tokens page' },
    });
    expect(await tokensOf()).toEqual(before);
    const denied = await t.root.auth.audit.list({ action: 'token.create', limit: 1 });
    expect(denied.items[0]).toMatchObject({ outcome: 'denied', actorId: owner.userId, actorKind: 'token' });
    // The same user in the browser still can.
    const session = new Headers({ cookie: owner.cookie, origin: TEST_ORIGIN });
    const created = await createApiToken[GATE].run(t.root, session, { name: 'replacement', role: 'viewer' });
    expect(created).toMatchObject({ ok: true, data: { token: expect.stringMatching(/^aeth_/) } });
    expect(await revokeApiToken[GATE].run(t.root, session, { tokenId: record.id })).toEqual({ ok: true, data: { tokenId: record.id } });
    expect((await whoAmI({ bearer: token })).status).toBe(401);
  });

  it('answers 401 to a malformed or unknown bearer token even alongside a valid cookie', async () => {
    const response = await me[GATE].run(t.root, new Request(`${TEST_ORIGIN}/api/me`, { headers: { cookie: admin.cookie, authorization: 'Bearer aeth_unknown' } }), {});
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized:auth', message: 'sign in first' } });
  });
});

describe('password change', () => {
  const changePassword = (cookie: string, body: Record<string, unknown>) =>
    t.root.auth.handleAuthRequest(
      new Request(`${TEST_ORIGIN}/api/auth/change-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: TEST_ORIGIN, cookie },
        body: JSON.stringify(body),
      }),
    );

  it('audits a failed and then a successful change of one\'s own password, never the passwords, and retires the old one', async () => {
    const viewer = await t.signedInAs('viewer');
    const newPassword = 'a-brand-new-passphrase';
    const wrong = await changePassword(viewer.cookie, { currentPassword: 'not-my-password', newPassword, revokeOtherSessions: true });
    expect(wrong.status).toBe(400);
    expect((await t.signIn(viewer.email, TEST_PASSWORD)).status).toBe(200);
    const right = await changePassword(viewer.cookie, { currentPassword: TEST_PASSWORD, newPassword, revokeOtherSessions: true });
    expect(right.status).toBe(200);
    expect((await t.signIn(viewer.email, TEST_PASSWORD)).status).toBe(401);
    expect((await t.signIn(viewer.email, newPassword)).status).toBe(200);

    const audit = await t.root.auth.audit.list({ action: 'auth.change_password', limit: 10 });
    const mine = audit.items.filter((e) => e.actorId === viewer.userId);
    expect(mine.map(({ actorId, actorEmail, actorKind, target, outcome, before, after }) => ({ actorId, actorEmail, actorKind, target, outcome, before, after }))).toEqual([
      { actorId: viewer.userId, actorEmail: viewer.email, actorKind: 'session', target: viewer.email, outcome: 'ok', before: null, after: null },
      { actorId: viewer.userId, actorEmail: viewer.email, actorKind: 'session', target: viewer.email, outcome: 'failed', before: null, after: { reason: 'invalid_password' } },
    ]);
    const stored = JSON.stringify(mine);
    for (const secret of [TEST_PASSWORD, newPassword, 'not-my-password']) expect(stored).not.toContain(secret);
  });

  it('records nothing for a password change without a session (better-auth answers 401)', async () => {
    const before = (await t.root.auth.audit.list({ action: 'auth.change_password', limit: 100 })).items.length;
    const response = await changePassword('', { currentPassword: TEST_PASSWORD, newPassword: 'another-new-passphrase' });
    expect(response.status).toBe(401);
    expect((await t.root.auth.audit.list({ action: 'auth.change_password', limit: 100 })).items).toHaveLength(before);
  });
});

describe('first-run setup', () => {
  it('creates the first admin only while none exists, then answers 404', async () => {
    const fresh = await createAuthTestRoot();
    try {
      const headers = new Headers({ origin: TEST_ORIGIN });
      expect(await setupFirstAdmin[GATE].run(fresh.root, headers, { email: 'short@example.test', password: 'short' })).toMatchObject({
        ok: false,
        status: 400,
        error: { code: 'bad_request:input', fieldErrors: { password: ['at least 10 characters'] } },
      });
      expect(await setupFirstAdmin[GATE].run(fresh.root, headers, { email: 'First@Example.test', password: TEST_PASSWORD })).toEqual({ ok: true, data: { email: 'first@example.test' } });
      expect((await fresh.signIn('first@example.test', TEST_PASSWORD)).status).toBe(200);
      expect(await setupFirstAdmin[GATE].run(fresh.root, headers, { email: 'second@example.test', password: TEST_PASSWORD })).toMatchObject({ ok: false, status: 404 });
      expect(await fresh.root.auth.users.findByEmail('second@example.test')).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('generates the auth secret and encryption key files with mode 0600 on first start', () => {
    for (const name of ['auth-secret', 'encryption-key']) {
      expect(statSync(path.join(t.dataDir, name)).mode & 0o777).toBe(0o600);
    }
  });
});
