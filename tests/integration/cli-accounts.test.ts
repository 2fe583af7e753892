/**
 * `accounts` CLI: the same engine methods as the control API (create, show, halt, resume, global
 * halt, force exit), on embedded PGlite, with the audit entries the CLI writes. Bad input exits 2
 * naming the flag or field and value, and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { ActorKind, AuditOutcome } from '../../db/repositories/audit-repository';
import { runAccountsCommand } from '../../scripts/commands/accounts';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';

describe('accounts CLI', () => {
  const { open } = useAuthTestRoots(AUTH_TEST_BACKENDS[0]);

  const run = async (app: AuthTestRoot, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAccountsCommand(args, {
      accounts: app.root.engine.accounts,
      audit: (action, target, after) => app.root.auth.recordAudit({ actorId: null, actorEmail: null, actorKind: ActorKind.Cli, action, target, outcome: AuditOutcome.Ok, before: null, after }),
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('creates, shows, halts (idempotently), resumes and halts all accounts, auditing each change', async () => {
    const app = await open();
    const created = await run(app, ['create', '--id', 'swing', '--name', 'Swing', '--market-type', 'futures', '--balance', '25000', '--leverage', '3']);
    expect(created).toMatchObject({ code: 0, out: 'created account swing (futures, 25000 USDT)' });
    const listed = (await run(app, ['list'])).out.split('\n');
    expect(listed.map((l) => l.split(/\s+/)[0])).toEqual(['default', 'swing']);
    // The balance an account started with, said so (its equity now is what `show` prints).
    expect(listed[1]).toBe(`${'swing'.padEnd(20)} futures  started with 25000 USDT  Swing`);
    const shown = await run(app, ['show', '--id', 'swing']);
    expect(shown.out).toBe('swing: equity 25000.00 USDT, wallet 25000.00\nswing: trading\nVaR 99%: no open positions\n0 open orders');
    expect((await run(app, ['halt', '--id', 'swing', '--reason', 'FOMC'])).out).toBe('swing: HALTED (manual: FOMC)');
    expect((await run(app, ['halt', '--id', 'swing', '--reason', 'again'])).out).toBe('swing: HALTED (manual: FOMC)');
    expect((await run(app, ['resume', '--id', 'swing', '--reason', 'done'])).out).toBe('swing: trading');
    expect((await run(app, ['halt', '--all', '--reason', 'outage'])).out).toBe('default: HALTED (manual: global: outage)\nswing: HALTED (manual: global: outage)');
    expect((await app.root.engine.accounts.globalHalt()).halted).toBe(true);
    expect((await run(app, ['resume', '--all', '--reason', 'back'])).out).toBe('default: trading\nswing: trading');
    const audit = await app.root.auth.audit.list({ limit: 20 });
    expect(audit.items.map((e) => [e.actorKind, e.action, e.target]).reverse()).toEqual([
      ['cli', 'account.create', 'swing'],
      ['cli', 'account.halt', 'swing'],
      ['cli', 'account.halt', 'swing'],
      ['cli', 'account.resume', 'swing'],
      ['cli', 'accounts.halt', null],
      ['cli', 'accounts.resume', null],
    ]);
  });

  it('refuses bad input naming the flag or field, and changes nothing', async () => {
    const app = await open();
    const negative = await run(app, ['create', '--id', 'neg', '--name', 'N', '--market-type', 'spot', '--balance=-5']);
    expect(negative.code).toBe(2);
    expect(negative.err).toContain('field "initialBalance" was -5: must be above 0');
    const word = await run(app, ['create', '--id', 'w', '--name', 'N', '--market-type', 'spot', '--balance', 'lots']);
    expect(word.err).toContain('field "balance" was "lots": expected a number');
    expect((await run(app, ['show', '--id', 'ghost'])).err).toContain('account "ghost" does not exist; the accounts are "default"');
    expect((await run(app, ['halt', '--id', 'default'])).err).toContain('missing --reason');
    const flat = await run(app, ['close', '--id', 'default', '--symbol', 'BTC/USDT']);
    expect(flat).toMatchObject({ code: 2 });
    expect(flat.err).toContain('account "default" has no open position on "BTC/USDT"');
    expect((await run(app, ['frobnicate'])).code).toBe(2);
    // A venue account needs the venue's stored keys and an admin's enablement first.
    const venue = await run(app, ['create', '--id', 'usdm', '--name', 'USD-M', '--venue', 'binanceusdm']);
    expect(venue).toMatchObject({ code: 2 });
    expect(venue.err).toContain('field "venue" was "binanceusdm": live trading on "binanceusdm" is not enabled; an admin enables it on the credentials page');
    expect((await app.root.engine.accounts.list()).map((a) => a.id)).toEqual(['default']);
    expect((await app.root.auth.audit.list({ limit: 5 })).items).toEqual([]);
  });
});
