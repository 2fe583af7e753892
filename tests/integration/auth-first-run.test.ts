/**
 * First run and invites against a real PGlite-backed root: the setup is audited as the admin it
 * created, and an invited user's session can do nothing but change the temporary password (API
 * tokens unaffected) until they have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupFirstAdmin } from '../../app/(auth)/actions';
import { createApiToken, inviteUser } from '../../app/admin/actions';
import { GATE, PASSWORD_CHANGE_REQUIRED } from '../../app/_server/auth/gate';
import { runOnConnection } from '../../app/_server/http/forwarding';
import { GET as me } from '../../app/api/me/route';
import { createAuthTestRoot, TEST_ORIGIN, TEST_PASSWORD, type AuthTestRoot } from '../support/auth-test-root';

let t: AuthTestRoot;

beforeAll(async () => {
  t = await createAuthTestRoot();
});
afterAll(async () => {
  await t?.close();
});

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
const whoAmI = (headers: Record<string, string>) => me[GATE].run(t.root, new Request(`${TEST_ORIGIN}/api/me`, { headers }), {});

describe('first run', () => {
  it('audits the setup as the admin it created, not as a webhook', async () => {
    const result = await setupFirstAdmin[GATE].run(t.root, new Headers({ origin: TEST_ORIGIN }), { email: 'owner@example.test', password: TEST_PASSWORD });
    expect(result).toEqual({ ok: true, data: { email: 'owner@example.test' } });
    const owner = await t.root.auth.users.findByEmail('owner@example.test');
    const entry = (await t.root.auth.audit.list({ action: 'user.setup_admin' })).items[0];
    expect(entry).toMatchObject({ actorId: owner!.id, actorEmail: 'owner@example.test', actorKind: 'anonymous', outcome: 'ok', target: 'owner@example.test' });
  });
});

describe('an invited user on a temporary password', () => {
  it('gets 403 with what to do from every route and action until the password is changed; API tokens are unaffected', async () => {
    const admin = await t.signedInAs('admin');
    const invited = await inviteUser[GATE].run(t.root, new Headers({ cookie: admin.cookie, origin: TEST_ORIGIN }), { email: 'new@example.test', role: 'trader' });
    if (!invited.ok) throw new Error(JSON.stringify(invited));
    const { temporaryPassword } = invited.data as { temporaryPassword: string };
    expect(await t.root.auth.users.findByEmail('new@example.test')).toMatchObject({ mustChangePassword: true });

    const signedIn = await t.signIn('new@example.test', temporaryPassword);
    expect(signedIn.status).toBe(200);
    const cookie = cookieOf(signedIn);
    const refused = await whoAmI({ cookie });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'forbidden:auth', message: PASSWORD_CHANGE_REQUIRED } });
    expect(await createApiToken[GATE].run(t.root, new Headers({ cookie, origin: TEST_ORIGIN }), { name: 'x', role: 'viewer' })).toMatchObject({
      ok: false,
      status: 403,
      error: { code: 'forbidden:auth', message: PASSWORD_CHANGE_REQUIRED },
    });
    expect(PASSWORD_CHANGE_REQUIRED).toContain('/change-password');

    // A token the user was issued (by the CLI, say) still works: only the session is held back.
    const { token } = await t.root.auth.issueToken({ userId: (await t.root.auth.users.findByEmail('new@example.test'))!.id, name: 'script', role: 'viewer' });
    expect((await whoAmI({ authorization: `Bearer ${token}` })).status).toBe(200);

    const newPassword = 'my-own-password-123';
    const changed = await runOnConnection({ remoteAddress: '10.1.0.1', encrypted: false }, () =>
      t.root.auth.handleAuthRequest(
        new Request(`${TEST_ORIGIN}/api/auth/change-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: TEST_ORIGIN, host: new URL(TEST_ORIGIN).host, cookie },
          body: JSON.stringify({ currentPassword: temporaryPassword, newPassword, revokeOtherSessions: true }),
        }),
      ),
    );
    expect(changed.status).toBe(200);
    expect(await t.root.auth.users.findByEmail('new@example.test')).toMatchObject({ mustChangePassword: false });
    const after = await whoAmI({ cookie: cookieOf(changed) });
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ email: 'new@example.test', role: 'trader', via: 'session' });
  });
});
