/**
 * First-run setup creates exactly one first admin, on embedded PGlite and on PostgreSQL: two
 * setups submitted at once, a setup claim held by another caller (live or left by a crash), a
 * failed creation that releases its claim, and the `create-admin` CLI on the same guarded path.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupFirstAdmin } from '../../app/(auth)/actions';
import { GATE } from '../../app/_server/auth/gate';
import { appSettings } from '../../db/schema';
import { FIRST_ADMIN_SETUP_KEY } from '../../db/repositories/user-repository';
import { runCreateUserCommand } from '../../scripts/commands/create-user';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, TEST_ORIGIN, TEST_PASSWORD, type AuthTestRoot } from '../support/auth-test-root';

describe.each(AUTH_TEST_BACKENDS)('first-run setup on $name', (backend) => {
  const { open } = useAuthTestRoots(backend);

  const headers = new Headers({ origin: TEST_ORIGIN });
  const setup = (app: AuthTestRoot, email: string) => setupFirstAdmin[GATE].run(app.root, headers, { email, password: TEST_PASSWORD });
  const claimRows = (app: AuthTestRoot) => app.root.database.db.select().from(appSettings).where(eq(appSettings.key, FIRST_ADMIN_SETUP_KEY));
  const userEmails = async (app: AuthTestRoot) => (await app.root.auth.users.list()).map((u) => `${u.email}:${u.role}`);

  it('creates exactly one admin when two setups are submitted at once; the other is refused', async () => {
    const app = await open();
    const results = await Promise.all([setup(app, 'one@example.test'), setup(app, 'two@example.test')]);
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    // The loser either met the winner's claim (409) or, if it came after, the finished admin (404).
    expect([409, 404]).toContain((losers[0] as { status: number }).status);
    const winnerEmail = (winners[0] as { data: { email: string } }).data.email;
    expect(await userEmails(app)).toEqual([`${winnerEmail}:admin`]);
    expect(await app.root.auth.users.countByRole('admin')).toBe(1);
    expect(await claimRows(app)).toEqual([]);
    expect(await setup(app, 'three@example.test')).toMatchObject({ ok: false, status: 404, error: { code: 'not_found' } });
    expect((await app.signIn(winnerEmail, TEST_PASSWORD)).status).toBe(200);
  });

  it('refuses setup while another caller holds a live claim, releases a failed claim and takes over a stale one', async () => {
    const app = await open();
    const db = app.root.database.db;
    await db.insert(appSettings).values({ key: FIRST_ADMIN_SETUP_KEY, value: { token: 'other', email: 'other@example.test' }, updatedAtMs: Date.now(), updatedBy: 'other@example.test' });
    expect(await setup(app, 'late@example.test')).toMatchObject({
      ok: false,
      status: 409,
      error: { code: 'conflict', message: 'first-run setup is already in progress; try again in a moment' },
    });
    expect(await userEmails(app)).toEqual([]);

    // A claim whose holder crashed 61 s ago (the limit is 60 s) no longer blocks setup.
    await db.update(appSettings).set({ updatedAtMs: Date.now() - 61_000 }).where(eq(appSettings.key, FIRST_ADMIN_SETUP_KEY));
    // A creation that fails (better-auth refuses the 9-character password) releases its claim.
    await expect(app.root.auth.createFirstAdmin({ email: 'short@example.test', password: '123456789' })).rejects.toMatchObject({ code: 'bad_request:input' });
    expect(await claimRows(app)).toEqual([]);
    expect(await userEmails(app)).toEqual([]);

    expect(await setup(app, 'first@example.test')).toEqual({ ok: true, data: { email: 'first@example.test' } });
    expect(await claimRows(app)).toEqual([]);
    expect(await userEmails(app)).toEqual(['first@example.test:admin']);
    const audit = await app.root.auth.audit.list({ action: 'user.setup_admin', limit: 10 });
    expect(audit.items.map((e) => `${e.target}:${e.outcome}`)).toEqual(['first@example.test:ok', 'late@example.test:failed']);
  });

  it('create-admin creates only the first admin; create-user --role admin still adds more', async () => {
    const app = await open();
    const out: string[] = [];
    const err: string[] = [];
    const io = { auth: app.root.auth, stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
    expect(await runCreateUserCommand(['--email', 'boot@example.test', '--password', TEST_PASSWORD], io, 'admin')).toBe(0);
    expect(await runCreateUserCommand(['--email', 'again@example.test', '--password', TEST_PASSWORD], io, 'admin')).toBe(2);
    expect(err).toEqual(['create-admin: an admin exists already; add more with create-user --role admin']);
    expect(await runCreateUserCommand(['--email', 'more@example.test', '--password', TEST_PASSWORD, '--role', 'admin'], io)).toBe(0);
    expect(await userEmails(app)).toEqual(['boot@example.test:admin', 'more@example.test:admin']);
    expect(out).toHaveLength(2);
  });
});
