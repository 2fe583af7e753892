/**
 * The dashboard's account and session actions through the gate, on a PGlite root, with form posts as
 * the browser sends them (strings, dotted names): create and edit with one message per field, halt and
 * resume with a reason kept in the audit log, the strategies page's halt acting on `default` through
 * the same account book, force exit, and a refused session start that names the field and stores nothing.
 */
import { VENUE_IDS } from '../../engine/venues/registry';
import { TIMEFRAME_MS } from '../../engine/core/types';
import { afterEach, describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { createAccount, forceExitPosition, haltAccount, resumeAccount, updateAccount } from '../../app/accounts/actions';
import { startLiveSession } from '../../app/live/actions';
import { haltTrading, resumeTrading } from '../../app/strategies/actions';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const form = (fields: Record<string, string | string[]>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) data.append(key, v);
  return data;
};

let app: AuthTestRoot | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

async function setup() {
  app = await createAuthTestRoot();
  const headers = async (role: 'trader' | 'admin') => new Headers({ cookie: (await app!.signedInAs(role)).cookie, origin: TEST_ORIGIN });
  return { app, admin: await headers('admin'), trader: await headers('trader') };
}

describe('dashboard account actions', () => {
  it('creates an account from a form post, naming every invalid field first, and edits settings and limits', async () => {
    const { app, admin } = await setup();
    const bad = await createAccount[GATE].run(app.root, admin, form({ id: 'Desk!', name: 'Desk', marketType: 'futures', initialBalance: '-5', leverage: '500', makerFeeBps: '' }));
    expect(bad).toMatchObject({ ok: false, status: 400 });
    expect(!bad.ok && bad.error.fieldErrors).toEqual({
      id: ['expected an account id like "default"'],
      initialBalance: ['must be above 0'],
      leverage: ['must be <= 125'],
    });
    expect((await app.root.engine.accounts.list()).map((a) => a.id)).toEqual(['default']);

    const ok = await createAccount[GATE].run(app.root, admin, form({ id: 'desk', name: 'Desk', marketType: 'futures', initialBalance: '10000', leverage: '3', makerFeeBps: '' }));
    expect(ok).toEqual({ ok: true, data: { id: 'desk' } });
    expect((await app.root.engine.accounts.get('desk')).settings).toMatchObject({ marketType: 'futures', initialBalance: 10_000, leverage: 3, makerFeeBps: 2 });

    const refused = await updateAccount[GATE].run(app.root, admin, form({ id: 'desk', 'settings.takerFeeBps': '-1', 'risk.maxOpenPositions': '0' }));
    expect(refused).toMatchObject({ ok: false, status: 400 });
    expect(Object.keys((!refused.ok && refused.error.fieldErrors) || {}).sort()).toEqual(['risk.maxOpenPositions', 'settings.takerFeeBps']);
    const saved = await updateAccount[GATE].run(app.root, admin, form({ id: 'desk', 'settings.name': 'Desk 2', 'risk.maxOpenPositions': '2' }));
    expect(saved).toEqual({ ok: true, data: { id: 'desk' } });
    expect((await app.root.engine.accounts.get('desk')).settings.name).toBe('Desk 2');
    expect((await app.root.engine.accounts.riskLimits('desk')).maxOpenPositions).toBe(2);
  });

  it('halts and resumes with a reason each, and the audit log keeps both reasons', async () => {
    const { app, trader } = await setup();
    expect(await resumeAccount[GATE].run(app.root, trader, form({ id: 'default', reason: ' ' }))).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { reason: [expect.stringContaining('give a reason')] } } });
    expect(await haltAccount[GATE].run(app.root, trader, form({ id: 'default', reason: 'CPI at 14:30' }))).toEqual({ ok: true, data: { halted: true, haltReason: 'manual: CPI at 14:30' } });
    expect(await resumeAccount[GATE].run(app.root, trader, form({ id: 'default', reason: 'print is out' }))).toEqual({ ok: true, data: { halted: false, haltReason: null } });
    const entries = (await app.root.auth.audit.list({ limit: 10 })).items.filter((e) => e.action.startsWith('account.'));
    expect(entries.map((e) => [e.action, e.target, e.outcome, (e.after as { reason?: string } | null)?.reason ?? null])).toEqual([
      ['account.resume', 'default', 'ok', 'print is out'],
      ['account.halt', 'default', 'ok', 'CPI at 14:30'],
      // The refused resume (no reason) is recorded too, as failed.
      ['account.resume', null, 'failed', null],
    ]);
  });

  it('has the strategies page halt and resume the default account through the account book, for traders, each with a reason', async () => {
    const { app, trader } = await setup();
    expect(await haltTrading[GATE].run(app.root, trader, { reason: 'desk review' })).toEqual({ ok: true, data: { halted: true, haltReason: 'manual: desk review' } });
    expect((await app.root.engine.accounts.view('default')).risk).toMatchObject({ halted: true, haltReason: 'manual: desk review' });
    expect(await resumeTrading[GATE].run(app.root, trader, {})).toMatchObject({ ok: false, status: 400 });
    expect(await resumeTrading[GATE].run(app.root, trader, { reason: 'done' })).toEqual({ ok: true, data: { halted: false, haltReason: null } });
    expect((await app.root.engine.accounts.view('default')).risk.halted).toBe(false);
  });

  it('answers a force exit without a position with a message naming the symbol', async () => {
    const { app, trader } = await setup();
    const result = await forceExitPosition[GATE].run(app.root, trader, form({ id: 'default', symbol: 'BTC/USDT', amount: '' }));
    expect(result).toMatchObject({ ok: false, status: 404, error: { message: 'account "default" has no open position on "BTC/USDT"' } });
  });

  it('refuses a replay start without stored candles naming the field, and stores no session', async () => {
    const { app, trader } = await setup();
    const result = await startLiveSession[GATE].run(
      app.root,
      trader,
      form({ mode: 'replay', accountId: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover', from: '2024-01-01', speed: '100', veto: 'off' }),
    );
    expect(result).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { symbol: [expect.stringContaining('no candles are stored for binance BTC/USDT 5m')] } } });
    const paperWithFrom = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'paper', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover', from: '2024-01-01' }));
    expect(paperWithFrom).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { from: ['replay sessions only'] } } });
    const live = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'live', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover' }));
    expect(live).toMatchObject({ ok: false, status: 403 });
    const paperCancel = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'paper', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover', reconcile: 'cancel' }));
    const cancelRefused = 'field "reconcile" was "cancel": applies to live sessions only: use adopt or mode live';
    expect(paperCancel).toMatchObject({ ok: false, status: 400, error: { message: cancelRefused, fieldErrors: { reconcile: [cancelRefused] } } });
    const unknownVenue = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'paper', exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover' }));
    expect(unknownVenue).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { exchange: [`pick one of ${VENUE_IDS.join(', ')}`] } } });
    // Every engine timeframe passes the form's validation (a weekly replay gets as far as the candle check); others are refused naming the field.
    const weekly = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'replay', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1w', strategies: 'ma-crossover', from: '2024-01-01' }));
    expect(weekly).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { symbol: [expect.stringContaining('no candles are stored for binance BTC/USDT 1w')] } } });
    const sevenMinutes = await startLiveSession[GATE].run(app.root, trader, form({ mode: 'replay', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '7m', strategies: 'ma-crossover', from: '2024-01-01' }));
    expect(sevenMinutes).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { timeframe: [`pick one of ${Object.keys(TIMEFRAME_MS).join(', ')}`] } } });
    expect(await app.root.engine.listLiveSessions()).toEqual([]);
  });
});
