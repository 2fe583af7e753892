/**
 * `create-token` CLI: issues an API token for an existing user without a browser (scripts,
 * Prometheus, bench:api), on embedded PGlite and on PostgreSQL. The printed token authenticates
 * with the requested role; bad flags, unknown or deactivated users and a role above the owner's
 * are refused with the flag and value named, and nothing is stored.
 */
import { describe, expect, it } from 'vitest';
import { runCreateTokenCommand } from '../../scripts/commands/create-token';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, TEST_PASSWORD, type AuthTestRoot } from '../support/auth-test-root';

describe.each(AUTH_TEST_BACKENDS)('create-token on $name', (backend) => {
  const { open } = useAuthTestRoots(backend);

  const run = async (app: AuthTestRoot, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCreateTokenCommand(args, { auth: app.root.auth, stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    return { code, out, err: err.join('\n') };
  };

  it('prints a token once that authenticates as the owner with the requested role, and audits it', async () => {
    const app = await open();
    await app.root.auth.createUser({ email: 'ops@example.test', password: TEST_PASSWORD, role: 'trader' });
    const { code, out, err } = await run(app, ['--email', 'OPS@example.test', '--role', 'viewer', '--name', 'grafana']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^aeth_[A-Za-z0-9_-]{43}$/);
    expect(err).toContain('issued viewer token "grafana" for ops@example.test');
    expect(err).not.toContain(out[0]);
    const actor = await app.root.auth.authenticate(new Headers({ authorization: `Bearer ${out[0]}` }));
    expect(actor).toMatchObject({ email: 'ops@example.test', role: 'viewer' });
    const tokens = await app.root.auth.tokens.list();
    expect(tokens.map((t) => [t.name, t.role, t.prefix])).toEqual([['grafana', 'viewer', out[0].slice(0, 11)]]);
    const audit = await app.root.auth.audit.list({ action: 'token.create_cli', limit: 10 });
    expect(audit.items.map((e) => [e.actorKind, e.target, e.outcome])).toEqual([['cli', out[0].slice(0, 11), 'ok']]);
  });

  it('refuses bad flags, unknown and deactivated users and a role above the owner, storing nothing', async () => {
    const app = await open();
    const viewer = await app.root.auth.createUser({ email: 'view@example.test', password: TEST_PASSWORD, role: 'viewer' });
    const gone = await app.root.auth.createUser({ email: 'gone@example.test', password: TEST_PASSWORD, role: 'admin' });
    await app.root.auth.users.setActive(gone.id, false);
    const cases: [string[], string][] = [
      [['--role', 'viewer'], 'create-token: --email is required'],
      [['--email', 'view@example.test', '--role', 'root'], 'create-token: --role "root" is not one of viewer, trader, admin'],
      [['--email', 'view@example.test', '--role', 'viewer', '--bogus'], "create-token: Unknown option '--bogus'"],
      [['--email', 'nobody@example.test', '--role', 'viewer'], 'create-token: --email "nobody@example.test": no such user; create one with create-user'],
      [['--email', 'gone@example.test', '--role', 'viewer'], 'create-token: --email "gone@example.test": the user is deactivated'],
      [['--email', 'view@example.test', '--role', 'admin'], 'create-token: --role "admin" is above the role "viewer" of view@example.test'],
      [['--email', 'view@example.test', '--role', 'viewer', '--name', ' '], 'create-token: --name " " must be 1-100 characters'],
    ];
    for (const [args, message] of cases) {
      const { code, out, err } = await run(app, args);
      expect({ args, code, out, first: err.split('\n')[0] }).toEqual({ args, code: 2, out: [], first: message });
    }
    expect(await app.root.auth.tokens.list(viewer.id)).toEqual([]);
    expect(await app.root.auth.tokens.list()).toEqual([]);
  });
});
