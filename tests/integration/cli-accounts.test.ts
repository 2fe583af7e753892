/**
 * `accounts` CLI: the same engine methods as the control API (create, show, halt, resume, global
 * halt, force exit, manual orders and their preview), on embedded PGlite, with the audit entries the
 * CLI writes. Bad input exits 2 naming the flag or field and value, and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { ActorKind, AuditOutcome } from '../../db/repositories/audit-repository';
import { runAccountsCommand } from '../../scripts/commands/accounts';
import { waveCsv } from '../../engine/testing/wave-candles';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';

/** As the CLI prints money and prices: grouped, two decimals. */
const fmt = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** As the CLI prints a check's figure: at most 4 decimals. */
const round4 = (n: number) => String(Math.round(n * 10_000) / 10_000);

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

  it('previews a manual order through the account risk engine (nothing sent), places it, and says why a denied one was not placed', async () => {
    const app = await open();
    const N = 600;
    await app.root.engine.importCandleText({ csv: waveCsv({ count: N, startMs: Date.UTC(2024, 0, 1), timeframeMs: 300_000 }), key: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, name: 'wave' });
    await app.root.engine.accounts.create(
      {
        id: 'desk',
        name: 'Desk',
        marketType: 'futures',
        initialBalance: 10_000,
        leverage: 3,
        marginMode: 'isolated',
        maxVolumeShare: 1,
        makerFeeBps: 0,
        takerFeeBps: 0,
        spreadBps: 0,
        slippageBps: 0,
        risk: { maxLeverage: 5, maxOpenPositions: 2, maxSymbolExposurePct: 200, riskPerTradePct: 0.5, dailyLossLimitPct: 50, maxDrawdownPct: 90 },
      },
      'test',
    );
    // The last stored close (the wave's last point): the price a market entry fills at with no costs.
    const price = 100 * (1 + 0.03 * Math.sin((N - 1) / 6));
    const order = ['--id', 'desk', '--symbol', 'BTC/USDT', '--side', 'long', '--price', String(price), '--stop', String(price - 2), '--leverage', '3'];

    // No costs: the loss at the stop is 0.5 % of 10,000 = 50 = amount x 2, so 25; notional 25 x price, a third of it margin.
    // maxLossPctEquityPerTrade is the installation default (2 %): the account set no other.
    // Isolated liquidation (tier 1, MMR 0.4 %): (margin - 25 x price) / (25 x 0.004 - 25).
    const json = await run(app, ['order', ...order, '--preview', '--json']);
    expect(json.code).toBe(0);
    const preview = JSON.parse(json.out);
    expect(preview).toMatchObject({ approved: true, reason: null, lossAtStopPctEquity: 0.5 });
    expect(preview.amount).toBeCloseTo(25, 9);
    expect(preview.sizedAmount).toBe(preview.amount);
    expect(preview.marginUsed).toBeCloseTo((25 * price) / 3, 6);
    expect(preview.liquidationPrice).toBeCloseTo(((25 * price) / 3 - 25 * price) / (25 * 0.004 - 25), 6);
    const text = await run(app, ['order', ...order, '--preview']);
    expect(text.out.split('\n')).toEqual([
      `desk: risk approves long 25.000000 BTC/USDT, notional ${fmt(25 * price)}, margin ${fmt((25 * price) / 3)} at 3x, liquidation ${fmt(((25 * price) / 3 - 25 * price) / (25 * 0.004 - 25))}`,
      `stop ${fmt(price - 2)}, loss at the stop 50.00 (0.50% of equity)`,
      `checks: leverage_requested 3 / 5 ok · leverage_after ${round4((25 * price) / 10_000)} / 5 ok · est_loss_pct_equity 0.5 / 2 ok · symbol_exposure_pct ${round4((25 * price) / 100)} / 200 ok · open_positions 1 / 2 ok`,
    ]);
    // Past a limit: the size refused, and nothing is sent.
    const over = await run(app, ['order', ...order.slice(0, -1), '6', '--preview']);
    expect(over.out.split('\n')[0]).toBe('desk: risk denies long BTC/USDT: leverage_requested 6 exceeds maxLeverage 5 (size refused 25.000000)');
    expect((await app.root.engine.accounts.view('desk')).positions).toEqual([]);
    expect((await app.root.auth.audit.list({ limit: 5 })).items).toEqual([]);
    // 4x passes the limits but the venue opens every position of the account at its 3x: a what-if, not an order.
    const other = await run(app, ['order', ...order.slice(0, -1), '4', '--preview']);
    expect(other.out.split('\n')[0]).toBe(`desk: risk approves long 25.000000 BTC/USDT, notional ${fmt(25 * price)}, margin ${fmt((25 * price) / 4)} at 4x, liquidation ${fmt(((25 * price) / 4 - 25 * price) / (25 * 0.004 - 25))}`);
    const refused = await run(app, ['order', ...order.slice(0, -1), '4']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(
      'field "leverage" was 4: account "desk" opens every position at 3x (its leverage setting): place at 3x (or leave leverage out), or change the account\'s leverage on its page while it holds no position',
    );
    expect((await app.root.engine.accounts.view('desk')).positions).toEqual([]);
    expect((await app.root.auth.audit.list({ limit: 5 })).items).toEqual([]);

    // The market entry fills at the last price 98.07279: 103 is (103 - 98.07279) / 98.07279 = 5.0 % away from it, refused naming the price.
    const farOff = await run(app, ['order', ...order.slice(0, -2).map((a) => (a === String(price) ? '103' : a))]);
    expect(farOff.code).toBe(2);
    expect(farOff.err).toBe(
      'accounts: field "price" was 103: 5.0% away from BTC/USDT\'s last price 98.072787 on account "desk" (more than the 1% a placement allows): a market order fills near the last price; preview again at 98.072787 and place at that price',
    );
    expect((await app.root.engine.accounts.view('desk')).positions).toEqual([]);
    expect((await app.root.auth.audit.list({ limit: 5 })).items).toEqual([]);

    // No --leverage: the account's 3x, as the preview above.
    const placed = await run(app, ['order', ...order.slice(0, -2)]);
    expect(placed.code).toBe(0);
    const [placedLine] = placed.out.split('\n').slice(-1);
    expect(placedLine.replace(/\(decision [\w-]+\)$/, '(decision …)')).toBe(`placed: entry paper-desk-1 filled at ${fmt(price)}, stop paper-desk-2 at ${fmt(price - 2)} (decision …)`);
    const view = await app.root.engine.accounts.view('desk');
    expect(view.positions).toMatchObject([{ symbol: 'BTC/USDT', side: 'long' }]);
    expect(view.positions[0].amount).toBeCloseTo(25, 9);
    await app.root.engine.accounts.halt('desk', 'review');
    const denied = await run(app, ['order', ...order]);
    expect(denied.code).toBe(1);
    expect(denied.out.split('\n')).toEqual(['desk: risk denies long BTC/USDT: halted: manual: review', expect.stringMatching(/^not placed \(denied\): halted: manual: review \(decision .+\)$/)]);
    const badSide = await run(app, ['order', ...order.map((a) => (a === 'long' ? 'up' : a))]);
    expect(badSide.code).toBe(2);
    expect(badSide.err).toContain('field "side" was "up"');
    const audit = await app.root.auth.audit.list({ limit: 5 });
    expect(audit.items.map((e) => [e.actorKind, e.action, e.target, (e.after as { outcome: string }).outcome]).reverse()).toEqual([
      ['cli', 'account.order', 'desk BTC/USDT', 'placed'],
      ['cli', 'account.order', 'desk BTC/USDT', 'denied'],
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
