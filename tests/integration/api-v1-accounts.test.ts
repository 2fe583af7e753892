/**
 * Accounts, risk control, manual orders, force exits and sessions through /api/v1 on a real root
 * (embedded PGlite and PostgreSQL): what the operator sets through the API is what the account's
 * sessions trade with. The halt test runs two replay sessions on one account and checks, in the
 * journal, that neither enters after the candle that followed the halt, and that both enter again
 * after the resume.
 */
import { describe, expect, it } from 'vitest';
import { waveCsv } from '../../engine/testing/wave-candles';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';
import { until } from '../support/until';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const N = 4_000;

const FUTURES_ACCOUNT = { id: 'desk', name: 'Desk futures', marketType: 'futures', initialBalance: 10_000, leverage: 3, maxVolumeShare: 1, risk: { maxLeverage: 5, maxOpenPositions: 2, maxSymbolExposurePct: 200, riskPerTradePct: 0.5, dailyLossLimitPct: 50, maxDrawdownPct: 90 } };

const replay = (symbol: string, extra: Record<string, unknown> = {}) => ({
  accountId: 'desk',
  mode: 'replay',
  exchange: 'binance',
  symbol,
  timeframe: '5m',
  strategies: ['ma-crossover'],
  params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
  fusion: { entryThreshold: 0.05 },
  from: T0 + 400 * TF,
  speed: 150,
  veto: 'off',
  ...extra,
});

interface Clients {
  admin: ApiV1Client;
  trader: ApiV1Client;
  viewer: ApiV1Client;
}

async function setup(app: AuthTestRoot): Promise<Clients> {
  const admin = apiV1Client(app.root, { cookie: (await app.signedInAs('admin')).cookie });
  const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
  const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
  for (const [symbol, phase, base] of [['BTC/USDT', 0, 100], ['ETH/USDT', 1.3, 50]] as const) {
    const imported = await trader.call('importCandles', { query: { exchange: 'binance', symbol, timeframe: '5m' }, body: waveCsv({ count: N, phase, base, startMs: T0, timeframeMs: TF }) });
    expect(imported.status).toBe(200);
  }
  return { admin, trader, viewer };
}

/** Entries journaled for `symbol` (executed decisions that opened a position). */
async function decisions(app: AuthTestRoot, symbol: string, outcome: 'executed' | 'denied') {
  await app.root.engine.journal.flush();
  // Until the symbol's first decision is journaled the journal names it as unknown.
  const page = await app.root.engine.listDecisions({ symbol, outcome, limit: 1000 } as never).catch(() => ({ items: [] }));
  return page.items;
}

async function entries(app: AuthTestRoot, symbol: string): Promise<{ timeMs: number }[]> {
  return (await decisions(app, symbol, 'executed')).filter((d) => d.reason.startsWith('entered'));
}

async function denialsWhileHalted(app: AuthTestRoot, symbol: string, reason: string): Promise<number> {
  return (await decisions(app, symbol, 'denied')).filter((d) => d.reason === `halted: manual: ${reason}`).length;
}

describe.each(AUTH_TEST_BACKENDS)('accounts and sessions through /api/v1 on $name', { timeout: 180_000 }, (backend) => {
  const roots = useAuthTestRoots(backend);

  it('creates an account, reads and changes its settings, and refuses bad input naming the field', async () => {
    const app = await roots.open();
    const { admin, trader, viewer } = await setup(app);
    const created = await admin.call('createAccount', { body: FUTURES_ACCOUNT });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'desk', kind: 'paper', settings: { name: 'Desk futures', marketType: 'futures', leverage: 3, takerFeeBps: 10, quoteCurrency: 'USDT' } });
    // Creating accounts is an admin's job.
    expect((await trader.call('createAccount', { body: { ...FUTURES_ACCOUNT, id: 'mine' } })).status).toBe(403);
    const list = await viewer.call('listAccounts');
    expect(list.body.accounts.map((a: { id: string }) => a.id)).toEqual(['default', 'desk']);

    const bad = [
      [{ ...FUTURES_ACCOUNT, id: 'zero', initialBalance: 0 }, 'initialBalance'],
      [{ ...FUTURES_ACCOUNT, id: 'neg', initialBalance: -100 }, 'initialBalance'],
      [{ ...FUTURES_ACCOUNT, id: 'lev', leverage: 500 }, 'leverage'],
      [{ ...FUTURES_ACCOUNT, id: 'spotlev', marketType: 'spot', leverage: 3 }, 'leverage'],
      [{ ...FUTURES_ACCOUNT, id: 'desk' }, 'id'],
    ] as const;
    for (const [body, field] of bad) {
      const answer = await admin.call('createAccount', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(answer.body.error.fieldErrors), JSON.stringify(body)).toContain(field);
    }
    // A venue account wraps the keys stored for its venue: refused, naming the field, until an admin stores them and enables live trading.
    const venueLink = { id: 'keys', kind: 'venue', venue: 'binanceusdm', name: 'USD-M keys' };
    const notEnabled = await admin.call('createAccount', { body: venueLink });
    expect(notEnabled.status).toBe(400);
    expect(notEnabled.body.error.fieldErrors.venue).toEqual(['field "venue" was "binanceusdm": live trading on "binanceusdm" is not enabled; an admin enables it on the credentials page']);
    const unknownVenue = await admin.call('createAccount', { body: { ...venueLink, venue: 'kraken' } });
    expect(unknownVenue.status).toBe(400);
    expect(Object.keys(unknownVenue.body.error.fieldErrors)).toEqual(['venue']);
    const paperFieldOnVenue = await admin.call('createAccount', { body: { ...venueLink, initialBalance: 5 } });
    expect(paperFieldOnVenue.status).toBe(400);
    expect((await viewer.call('listAccounts')).body.accounts.map((a: { id: string }) => a.id)).toEqual(['default', 'desk']);
    const missing = await viewer.call('getAccount', { path: { id: 'nope' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('"nope"');

    const settings = await viewer.call('getAccountSettings', { path: { id: 'desk' } });
    expect(settings.body.risk).toMatchObject({ maxOpenPositions: 2, riskPerTradePct: 0.5, maxLeverage: 5 });
    const changed = await admin.call('updateAccountSettings', { path: { id: 'desk' }, body: { settings: { takerFeeBps: 4 }, risk: { maxOpenPositions: 3 } } });
    expect(changed.status).toBe(200);
    expect(changed.body.settings.takerFeeBps).toBe(4);
    expect(changed.body.risk.maxOpenPositions).toBe(3);
    // A save changes the limits it names: the account's own others stay (not the installation defaults).
    expect(changed.body.risk).toMatchObject({ riskPerTradePct: 0.5, maxLeverage: 5, maxSymbolExposurePct: 200, dailyLossLimitPct: 50, maxDrawdownPct: 90 });
    const typo = await admin.call('updateAccountSettings', { path: { id: 'desk' }, body: { risk: { riskPerTrade: 0.1 } } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.fieldErrors).toEqual({ 'risk.riskPerTrade': ['unknown field'] });
    // The risk engine now sizes with the new fee (costs follow the fee model).
    const view = await viewer.call('getAccount', { path: { id: 'desk' } });
    expect(view.body.risk.limits).toMatchObject({ maxOpenPositions: 3, costs: { takerFeeBps: 4, spreadBps: 2, slippageBps: 2 } });
    const refused = await admin.call('updateAccountSettings', { path: { id: 'desk' }, body: { settings: { marketType: 'spot', initialBalance: 1 }, risk: { maxLeverage: -1 } } });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.error.fieldErrors).sort()).toEqual(['risk.maxLeverage', 'settings.initialBalance', 'settings.leverage', 'settings.marketType']);
    // Nothing of the refused update was written.
    expect((await viewer.call('getAccountSettings', { path: { id: 'desk' } })).body.settings).toMatchObject({ marketType: 'futures', initialBalance: 10_000, takerFeeBps: 4 });
    expect((await trader.call('updateAccountSettings', { path: { id: 'desk' }, body: { risk: { maxOpenPositions: 1 } } })).status).toBe(403);
  });

  it('places a manual order through the account risk engine (201), denies what risk refuses (422), and force-closes the position', async () => {
    const app = await roots.open();
    const { admin, trader, viewer } = await setup(app);
    await admin.call('createAccount', { body: { ...FUTURES_ACCOUNT, spreadBps: 0, slippageBps: 0, takerFeeBps: 0, makerFeeBps: 0 } });
    // Last stored BTC close is the price a manual order is sized at (no session has traded it yet).
    const lastClose = 100 * (1 + 0.03 * Math.sin((N - 1) / 6));
    const order = { symbol: 'BTC/USDT', side: 'long', price: lastClose, stopPrice: lastClose - 2, leverage: 3 };
    // The preview (a viewer may ask) sizes it as the placement below will, and sends, stores and journals nothing.
    const preview = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: order });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ approved: true, reason: null, lossAtStop: 50, lossAtStopPctEquity: 0.5, costs: { takerFeeBps: 0, spreadBps: 0, slippageBps: 0 } });
    expect(preview.body.amount).toBeCloseTo(25, 9);
    expect(preview.body.sizedAmount).toBe(preview.body.amount);
    expect(preview.body.leverage).toBe(3);
    // Notional 25 x lastClose at leverage 3: a third of it is margin.
    expect(preview.body.marginUsed).toBeCloseTo((25 * lastClose) / 3, 6);
    expect((await viewer.call('getAccount', { path: { id: 'desk' } })).body.positions).toEqual([]);
    expect(await decisions(app, 'BTC/USDT', 'executed')).toEqual([]);
    // Over a limit (leverage 6 against the account's maxLeverage 5): refused, with the size it was checked at.
    const overLeverage = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: { ...order, leverage: 6 } });
    expect(overLeverage.body).toMatchObject({ approved: false, reason: 'leverage_requested 6 exceeds maxLeverage 5', amount: 0, notional: 0 });
    expect(overLeverage.body.sizedAmount).toBeCloseTo(25, 9);
    const badField = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: { ...order, price: -1 } });
    expect(badField.status).toBe(400);
    expect(Object.keys(badField.body.error.fieldErrors)).toEqual(['price']);
    expect((await viewer.call('previewAccountOrder', { path: { id: 'nope' }, body: order })).status).toBe(404);
    // An order that gives no leverage is evaluated at the account's 3x, the one its venue opens positions at.
    const { leverage: _given, ...noLeverage } = order;
    const atAccount = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: noLeverage });
    expect(atAccount.body).toMatchObject({ approved: true, leverage: 3, amount: preview.body.amount, marginUsed: preview.body.marginUsed });
    // 4x passes the limits, but the account would margin the position at 3x: previewed (a quarter margin), not placed.
    const atFour = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: { ...order, leverage: 4 } });
    expect(atFour.body).toMatchObject({ approved: true, leverage: 4 });
    expect(atFour.body.marginUsed).toBeCloseTo((25 * lastClose) / 4, 6);
    const placedAtFour = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: { ...order, leverage: 4 } });
    expect(placedAtFour.status).toBe(400);
    expect(placedAtFour.body.error.fieldErrors).toEqual({
      leverage: [`field "leverage" was 4: account "desk" opens every position at 3x (its leverage setting): place at 3x (or leave leverage out), or change the account's leverage on its page while it holds no position`],
    });
    expect((await viewer.call('getAccount', { path: { id: 'desk' } })).body.positions).toEqual([]);
    expect(await decisions(app, 'BTC/USDT', 'denied')).toEqual([]);
    // The market entry fills at the last price: a price 5 % away from it is refused (400 naming it), nothing sent or journaled.
    const farPrice = lastClose * 1.05;
    const farOff = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: { ...noLeverage, price: farPrice } });
    expect(farOff.status).toBe(400);
    expect(farOff.body.error.fieldErrors).toEqual({
      price: [
        `field "price" was ${farPrice}: 5.0% away from BTC/USDT's last price 101.39161 on account "desk" (more than the 1% a placement allows): a market order fills near the last price; preview again at 101.39161 and place at that price`,
      ],
    });
    expect((await viewer.call('getAccount', { path: { id: 'desk' } })).body.positions).toEqual([]);
    expect(await decisions(app, 'BTC/USDT', 'denied')).toEqual([]);
    expect(await decisions(app, 'BTC/USDT', 'executed')).toEqual([]);
    const placed = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: noLeverage });
    expect(placed.status).toBe(201);
    // No costs: loss at the stop = 0.5 % of 10,000 = 50 = amount x 2, so the amount is 25.
    expect(placed.body.whatIf.amount).toBeCloseTo(25, 9);
    expect(placed.body.entry).toMatchObject({ side: 'buy', status: 'filled', amount: 25 });
    expect(placed.body.stop).toMatchObject({ side: 'sell', type: 'stop', stopPrice: lastClose - 2, reduceOnly: true, status: 'new' });
    // ETH's last stored close, 50 x (1 + 0.03 sin((N - 1) / 6 + 1.3)) = 51.46656: an order is checked at it. 51.8 is 0.65 % above
    // it (placeable) and a stop at 51.6 is below 51.8 but above the last price: on the wrong side of the fill.
    const ethClose = 50 * (1 + 0.03 * Math.sin((N - 1) / 6 + 1.3));
    const wrongSide = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: { symbol: 'ETH/USDT', side: 'long', price: 51.8, stopPrice: 51.6, leverage: 3 } });
    expect(wrongSide.status).toBe(422);
    expect(wrongSide.body).toMatchObject({ outcome: 'denied', reason: 'stop 51.6 is on the wrong side of price 51.4666 for a long', entry: null });
    // While the account is halted every entry is denied; a force exit still goes through (below).
    await trader.call('haltAccount', { path: { id: 'desk' }, body: { reason: 'desk review' } });
    const denied = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: { symbol: 'ETH/USDT', side: 'long', price: ethClose, stopPrice: 49, leverage: 3 } });
    expect(denied.status).toBe(422);
    expect(denied.body).toMatchObject({ outcome: 'denied', reason: 'halted: manual: desk review' });
    // Denied before any sizing: no size refused (null in JSON).
    const haltedPreview = await viewer.call('previewAccountOrder', { path: { id: 'desk' }, body: { symbol: 'ETH/USDT', side: 'long', price: 50, stopPrice: 49, leverage: 3 } });
    expect(haltedPreview.status).toBe(200);
    expect(haltedPreview.body).toMatchObject({ approved: false, reason: 'halted: manual: desk review', amount: 0, sizedAmount: null });
    const unpriced = await trader.call('placeAccountOrder', { path: { id: 'desk' }, body: { symbol: 'XRP/USDT', side: 'long', price: 1, stopPrice: 0.9 } });
    expect(unpriced.status).toBe(404);

    const part = await trader.call('closeAccountPosition', { path: { id: 'desk' }, body: { symbol: 'BTC/USDT', amount: 10 } });
    expect(part.status).toBe(200);
    expect(part.body).toMatchObject({ remaining: 15, cancelledStopIds: [], order: { side: 'sell', amount: 10, status: 'filled', reduceOnly: true } });
    const all = await trader.call('closeAccountPosition', { path: { id: 'desk' }, body: { symbol: 'BTC/USDT' } });
    expect(all.body).toMatchObject({ remaining: 0, cancelledStopIds: [placed.body.stop.id] });
    const none = await trader.call('closeAccountPosition', { path: { id: 'desk' }, body: { symbol: 'BTC/USDT' } });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toContain('no open position on "BTC/USDT"');
  });

  it('new risk limits saved through the API reach a running replay session at its next entry', async () => {
    const app = await roots.open();
    const { admin, trader, viewer } = await setup(app);
    await admin.call('createAccount', { body: FUTURES_ACCOUNT });
    const started = await trader.call('startSession', { body: replay('BTC/USDT', { speed: 60 }) });
    expect(started.status).toBe(201);
    /** The loss at the stop each executed entry was sized for, % of equity (the risk engine's check, journaled with the entry). */
    const sizedLossPct = async () => {
      const executed = (await decisions(app, 'BTC/USDT', 'executed')).filter((d) => d.reason.startsWith('entered'));
      return executed.map((d) => ({ timeMs: d.timeMs, pct: ((d.inputs.risk as { name: string; value: number }[]).find((c) => c.name === 'est_loss_pct_equity') as { value: number }).value }));
    };
    await until('two entries at the first limits', async () => (await sizedLossPct()).length >= 2);
    // Sized so that the loss at the stop is the account's 0.5 % budget (no cap binds at this size).
    for (const entry of await sizedLossPct()) expect(entry.pct).toBeCloseTo(0.5, 9);

    const saved = await admin.call('updateAccountSettings', { path: { id: 'desk' }, body: { risk: { riskPerTradePct: 0.2 } } });
    expect(saved.status).toBe(200);
    const session = await viewer.call('getSession', { path: { id: started.body.id } });
    const savedAtMs = (session.body.state as { lastCandleMs: number }).lastCandleMs;
    await until('an entry after the new limits', async () => (await sizedLossPct()).some((e) => e.timeMs > savedAtMs + TF));
    const later = (await sizedLossPct()).filter((e) => e.timeMs > savedAtMs + TF);
    // The running session sized its next entries with the new 0.2 % budget: nothing restarted.
    for (const entry of later) expect(entry.pct).toBeCloseTo(0.2, 9);
    // The limits the save did not name are still the account's in the engine that session trades through.
    expect((await viewer.call('getAccount', { path: { id: 'desk' } })).body.risk.limits).toMatchObject({ riskPerTradePct: 0.2, maxOpenPositions: 2, maxLeverage: 5, dailyLossLimitPct: 50, maxDrawdownPct: 90 });
    expect((await viewer.call('getSession', { path: { id: started.body.id } })).body.state).toMatchObject({ status: 'running' });
    expect((await trader.call('stopSession', { path: { id: started.body.id } })).status).toBe(200);
  });

  it('halts two replay sessions of one account through the API by their next candle, and resumes them', async () => {
    const app = await roots.open();
    const { admin, trader, viewer } = await setup(app);
    await admin.call('createAccount', { body: FUTURES_ACCOUNT });
    const btc = await trader.call('startSession', { body: replay('BTC/USDT') });
    expect(btc.status).toBe(201);
    expect(btc.body).toMatchObject({ id: 'replay:desk:binance:BTC/USDT:5m', status: 'running', config: { mode: 'replay', accountId: 'desk', speed: 150 } });
    const eth = await trader.call('startSession', { body: replay('ETH/USDT') });
    expect(eth.status).toBe(201);
    await until('entries in both sessions', async () => (await entries(app, 'BTC/USDT')).length >= 2 && (await entries(app, 'ETH/USDT')).length >= 2);

    const halted = await trader.call('haltAccount', { path: { id: 'desk' }, body: { reason: 'api halt' } });
    expect(halted.status).toBe(200);
    expect(halted.body).toMatchObject({ accountId: 'desk', halted: true, haltReason: 'manual: api halt' });
    const sessions = (await viewer.call('listSessions')).body.sessions as { id: string; symbol: string; state: { lastCandleMs: number } | null }[];
    const atHalt = new Map(sessions.filter((s) => s.state).map((s) => [s.symbol, s.state!.lastCandleMs]));
    // Halting again is idempotent: 200, the first reason stands.
    expect((await trader.call('haltAccount', { path: { id: 'desk' }, body: { reason: 'again' } })).body.haltReason).toBe('manual: api halt');
    await until('denials in both sessions', async () => (await denialsWhileHalted(app, 'BTC/USDT', 'api halt')) > 0 && (await denialsWhileHalted(app, 'ETH/USDT', 'api halt')) > 0);
    for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
      const late = (await entries(app, symbol)).filter((d) => d.timeMs > atHalt.get(symbol)! + 2 * TF);
      expect(late, `${symbol} entries after the halt`).toEqual([]);
    }
    const account = await viewer.call('getAccount', { path: { id: 'desk' } });
    expect(account.body.risk).toMatchObject({ halted: true, haltReason: 'manual: api halt' });

    const before = new Map(((await viewer.call('listSessions')).body.sessions as typeof sessions).filter((s) => s.state).map((s) => [s.symbol, s.state!.lastCandleMs]));
    const resumed = await trader.call('resumeAccount', { path: { id: 'desk' }, body: { reason: 'news passed' } });
    expect(resumed.body.halted).toBe(false);
    await until('entries after the resume', async () => {
      for (const symbol of ['BTC/USDT', 'ETH/USDT']) if (!(await entries(app, symbol)).some((d) => d.timeMs > before.get(symbol)!)) return false;
      return true;
    });

    // The global halt reaches the account too, and is cleared by the global resume.
    const all = await trader.call('haltAllAccounts', { body: { reason: 'kill switch' } });
    expect(all.body.halt).toMatchObject({ halted: true, reason: 'kill switch' });
    expect(all.body.accounts.map((a: { accountId: string; haltReason: string }) => [a.accountId, a.haltReason])).toEqual([
      ['default', 'manual: global: kill switch'],
      ['desk', 'manual: global: kill switch'],
    ]);
    // While "halt all" holds, one account cannot be resumed alone: its two sessions stay halted.
    const alone = await trader.call('resumeAccount', { path: { id: 'desk' }, body: { reason: 'just this one' } });
    expect(alone.status).toBe(400);
    expect(alone.body.error.fieldErrors.globalHalt).toEqual([
      expect.stringMatching(/^field "globalHalt" was "kill switch": every account is halted \("halt all": kill switch, by .+\): account "desk" cannot resume alone; resume all accounts first$/),
    ]);
    await until('denials under the global halt in both sessions', async () => (await denialsWhileHalted(app, 'BTC/USDT', 'global: kill switch')) > 0 && (await denialsWhileHalted(app, 'ETH/USDT', 'global: kill switch')) > 0);
    expect((await viewer.call('getAccount', { path: { id: 'desk' } })).body.risk).toMatchObject({ halted: true, haltReason: 'manual: global: kill switch' });
    const cleared = await trader.call('resumeAllAccounts', { body: { reason: 'all clear' } });
    expect(cleared.body.halt.halted).toBe(false);
    expect(cleared.body.accounts.every((a: { halted: boolean }) => !a.halted)).toBe(true);

    const one = await viewer.call('getSession', { path: { id: btc.body.id } });
    expect(one.body).toMatchObject({ id: btc.body.id, symbol: 'BTC/USDT' });
    const stopped = await trader.call('stopSession', { path: { id: btc.body.id } });
    expect(stopped.body.status).toBe('stopped');
    expect((await trader.call('stopSession', { path: { id: eth.body.id } })).body.status).toBe('stopped');
    expect((await viewer.call('getSession', { path: { id: 'replay:desk:binance:NOPE/USDT:5m' } })).status).toBe(404);
  });

  it("a halt through the API over a daily-loss breaker halt holds in the account's session past every UTC midnight", async () => {
    const app = await roots.open();
    const { admin, trader, viewer } = await setup(app);
    await admin.call('createAccount', { body: { ...FUTURES_ACCOUNT, risk: { ...FUTURES_ACCOUNT.risk, dailyLossLimitPct: 5 } } });
    // The daily-loss breaker trips (day start 10,000, then 9,400: 6 % > 5 %), stored as a session of the account stores it.
    const rt = await app.root.engine.accounts.runtime('desk');
    const release = rt.acquire();
    rt.risk.engine().onEquity(T0, 10_000);
    rt.risk.engine().onEquity(T0 + TF, 9_400);
    await rt.persist();
    release();
    expect(rt.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'daily_loss: equity 9400 is 6% below day start 10000 (limit 5%)' });
    // The operator's halt replaces it (a daily-loss halt lifts itself at the next UTC day; the operator's does not).
    const halted = await trader.call('haltAccount', { path: { id: 'desk' }, body: { reason: 'exchange outage' } });
    expect(halted.body).toMatchObject({ halted: true, haltReason: 'manual: exchange outage' });
    // A replay over twelve days of candles: every entry is denied by the operator's halt, on every day.
    const session = await trader.call('startSession', { body: replay('BTC/USDT', { speed: 'max' }) });
    expect(session.status).toBe(201);
    await until('the replay completes', async () => (await viewer.call('getSession', { path: { id: session.body.id } })).body.status === 'completed');
    expect(await entries(app, 'BTC/USDT')).toEqual([]);
    const denied = await decisions(app, 'BTC/USDT', 'denied');
    const days = new Set(denied.map((d) => Math.floor(d.timeMs / 86_400_000)));
    expect(days.size).toBeGreaterThan(5);
    expect(new Set(denied.map((d) => d.reason))).toEqual(new Set(['halted: manual: exchange outage']));
  });

  it('refuses sessions it cannot run, naming the field: no candles at the start, unknown account, a spot account on a futures venue, live mode for a trader, reconcile "cancel" outside live', async () => {
    const app = await roots.open();
    const { admin, trader } = await setup(app);
    await admin.call('createAccount', { body: { ...FUTURES_ACCOUNT, id: 'cash', marketType: 'spot', leverage: 1 } });
    const late = await trader.call('startSession', { body: replay('BTC/USDT', { accountId: 'cash', from: T0 + N * TF }) });
    expect(late.status).toBe(400);
    expect(late.body.error.fieldErrors.from[0]).toContain('no stored candles of binance BTC/USDT 5m start at or after it');
    const unknown = await trader.call('startSession', { body: replay('BTC/USDT', { accountId: 'ghost' }) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/account "ghost" does not exist; the accounts are ("cash", "default"|"default", "cash")$/);
    const futures = await trader.call('startSession', { body: replay('BTC/USDT', { accountId: 'cash', exchange: 'binanceusdm' }) });
    expect(futures.status).toBe(400);
    expect(futures.body.error.fieldErrors.accountId[0]).toContain('is a spot account');
    const live = await trader.call('startSession', { body: replay('BTC/USDT', { mode: 'live', liveTrading: true }) });
    expect(live.status).toBe(403);
    const speed = await trader.call('startSession', { body: replay('BTC/USDT', { speed: 0 }) });
    expect(speed.status).toBe(400);
    expect(Object.keys(speed.body.error.fieldErrors)).toEqual(['speed']);
    // Foreign venue orders are met only by a live session: "cancel" on a replay or paper one is refused, not ignored.
    for (const mode of ['replay', 'paper']) {
      const cancel = await trader.call('startSession', { body: replay('BTC/USDT', { mode, reconcile: 'cancel' }) });
      expect(cancel.status, mode).toBe(400);
      expect(cancel.body.error.fieldErrors, mode).toEqual({ reconcile: ['applies to live sessions only: use adopt or mode live (got "cancel")'] });
    }
    // Nothing was left behind by the refusals.
    expect((await trader.call('listSessions')).body.sessions).toEqual([]);
  });
});
