import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { NotFoundError, ValidationError } from '../core/errors';
import { createPaperExchange } from '../execution/paper-exchange';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { createAccountBook, unknownAccountMessage, VENUE_READ_CLIENT_MAX_AGE_MS } from './account-book';
import type { Balance, Exchange, Position } from '../ports/exchange';
import type { VenueConnector } from '../ports/venue-link';
import type { AccountSettingsInput } from './account-config';
import { paperConfigOf } from '../trading/run-spec';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';

const T0 = Date.UTC(2024, 0, 1);
const LIMITS = { maxLeverage: 3, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 100, maxOpenPositions: 3, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS };
const FUTURES: AccountSettingsInput = { name: 'Futures', marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 0, slippageBps: 0, leverage: 5, maxVolumeShare: 1 };

/** Two "processes" over the same stores: each builds its own book (its own runtimes). */
function stores() {
  const riskState = createInMemoryRiskStateRepository();
  const accounts = createInMemoryAccountRepository(riskState);
  const settings = createInMemorySettingsRepository();
  const candles = createInMemoryCandleRepository();
  return { riskState, accounts, settings, candles };
}
function book(s: ReturnType<typeof stores>, clock = createManualClock(T0)) {
  return createAccountBook({ clock, logger: silentLogger, ...s, defaultRiskLimits: async () => ({ ...LIMITS }) });
}

describe('paper exchange state', () => {
  it('round-trips wallet, positions, open orders and finished client order ids exactly', async () => {
    const clock = createManualClock(T0);
    const config = paperConfigOf({ id: 'x', settings: { ...FUTURES, quoteCurrency: 'USDT', maxVolumeShare: 1, marginMode: 'cross', leverage: 5 } as never });
    const a = createPaperExchange(config, { clock });
    a.onCandle('BTC/USDT', T0, 100, 101, 99, 100, 1_000);
    const entry = await a.createOrder({ clientOrderId: 'e1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 10 });
    await a.createOrder({ clientOrderId: 's1', symbol: 'BTC/USDT', side: 'sell', type: 'stop', amount: 10, stopPrice: 95, reduceOnly: true });
    a.onCandle('BTC/USDT', T0 + 60_000, 100, 103, 99.5, 102, 1_000);
    // Entry 10 @ 100, taker 5 bps: fee 0.5; marked at 102: unrealised +20.
    expect(a.walletBalance()).toBeCloseTo(10_000 - 0.5, 9);
    expect(a.equity()).toBeCloseTo(10_000 - 0.5 + 20, 9);
    const state = JSON.parse(JSON.stringify(a.exportState()));
    const b = createPaperExchange(config, { clock });
    b.restoreState(state);
    expect(b.totals()).toEqual(a.totals());
    expect(b.openOrders()).toEqual(a.openOrders());
    expect(await b.fetchPosition('BTC/USDT')).toEqual(await a.fetchPosition('BTC/USDT'));
    // The entry's client id is known after the restore: resubmitting it returns the same order, not a new one.
    expect(await b.createOrder({ clientOrderId: 'e1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 10 })).toEqual(await a.fetchOrder(entry.id, 'BTC/USDT'));
    // Both go on identically: a candle through the stop closes the position at 95 on both.
    for (const x of [a, b]) x.onCandle('BTC/USDT', T0 + 120_000, 102, 102, 94, 96, 1_000);
    expect(b.totals()).toEqual(a.totals());
    expect(b.positionAmountSigned('BTC/USDT')).toBe(0);
    // 10 x (95 - 100) = -50 realised; fees 0.5 + 10 x 95 x 5 bps = 0.975.
    expect(b.walletBalance()).toBeCloseTo(10_000 - 50 - 0.975, 9);
  });

  it('refuses to restore into an exchange that has traded, or a state of another market type', () => {
    const clock = createManualClock(T0);
    const futures = createPaperExchange(paperConfigOf({ id: 'f', settings: FUTURES as never }), { clock });
    const state = futures.exportState();
    const spot = createPaperExchange({ ...paperConfigOf({ id: 's', settings: FUTURES as never }), marketType: 'spot', leverage: 1 }, { clock });
    expect(() => spot.restoreState(state)).toThrow(/state\.marketType.*the account trades spot/);
    futures.onCandle('BTC/USDT', T0, 1, 1, 1, 1, 1);
    expect(() => futures.restoreState(state)).toThrow(ValidationError);
  });
});

describe('account book', () => {
  it('creates accounts with validated settings and refuses bad input naming the field', async () => {
    const b = book(stores());
    const created = await b.create({ id: 'swing', ...FUTURES }, 'alice');
    expect(created.settings).toMatchObject({ marketType: 'futures', leverage: 5, quoteCurrency: 'USDT', marginMode: 'cross' });
    await expect(b.create({ id: 'swing', ...FUTURES }, 'alice')).rejects.toThrow(/field "id" was "swing": an account with this id exists already/);
    await expect(b.create({ id: 'zero', ...FUTURES, initialBalance: 0 }, 'alice')).rejects.toThrow(/field "initialBalance" was 0: must be above 0/);
    await expect(b.create({ id: 'neg', ...FUTURES, initialBalance: -5 }, 'alice')).rejects.toThrow(/field "initialBalance" was -5/);
    await expect(b.create({ id: 'lev', ...FUTURES, leverage: 200 }, 'alice')).rejects.toThrow(/field "leverage" was 200: must be <= 125/);
    await expect(b.create({ id: 'spot', ...FUTURES, marketType: 'spot', leverage: 3 }, 'alice')).rejects.toThrow(/field "leverage" was 3: a spot account trades without leverage/);
    await expect(b.create({ id: 'Bad Id', ...FUTURES }, 'alice')).rejects.toThrow(/field "id" was "Bad Id"/);
    await expect(b.get('nope')).rejects.toThrow(NotFoundError);
    await expect(b.get('nope')).rejects.toThrow('account "nope" does not exist; the accounts are "swing"');
    expect((await b.list()).map((a) => a.id)).toEqual(['swing']);
  });

  it('names the accounts that exist when an unknown one is asked for: none, some, or the first 10 and how many more', () => {
    expect(unknownAccountMessage('ghost', [])).toBe('account "ghost" does not exist, and no account exists yet: create one first');
    expect(unknownAccountMessage('ghost', ['default', 'swing'])).toBe('account "ghost" does not exist; the accounts are "default", "swing"');
    const twelve = Array.from({ length: 12 }, (_, k) => `a${k + 1}`);
    expect(unknownAccountMessage('ghost', twelve)).toBe(
      'account "ghost" does not exist; the accounts are "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10" and 2 more',
    );
  });

  it('restores the paper state a previous process stored after each change', async () => {
    const s = stores();
    const first = book(s);
    await first.create({ id: 'p', ...FUTURES }, 'alice');
    const rt = await first.runtime('p');
    rt.exchange().onCandle('BTC/USDT', T0, 100, 100, 100, 100, 1_000);
    await rt.exchange().createOrder({ clientOrderId: 'm1', symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: 2 });
    await rt.persist();
    const before = await first.view('p');
    // A new process (kill -9 of the first: nothing else was written) sees exactly the same account.
    const second = book(s);
    const after = await second.view('p');
    // As an operator sees it (JSON: -0 and 0 are one number there).
    const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    expect(json(after.totals)).toEqual(json(before.totals));
    expect(json(after.positions)).toEqual(json(before.positions));
    expect(after.positions[0]).toMatchObject({ symbol: 'BTC/USDT', side: 'short', amount: 2, entryPrice: 100 });
    expect(after.positions[0].liquidationPrice).toBeGreaterThan(100);
  });

  it('a halt written by one process stops entries in another at its next sync, and resume lets them through again', async () => {
    const s = stores();
    const clockA = createManualClock(T0);
    const clockB = createManualClock(T0);
    const a = book(s, clockA);
    const b = book(s, clockB);
    await a.create({ id: 'shared', ...FUTURES }, 'alice');
    const inB = await b.runtime('shared');
    expect(inB.risk.engine().isHalted()).toBe(false);
    clockA.set(T0 + 1_000);
    const halted = await a.halt('shared', 'news at 14:00');
    expect(halted).toMatchObject({ halted: true, haltReason: 'manual: news at 14:00' });
    // Idempotent: halting again keeps the first reason and answers the same status.
    expect(await a.halt('shared', 'again')).toMatchObject({ halted: true, haltReason: 'manual: news at 14:00' });
    expect(inB.risk.engine().isHalted()).toBe(false);
    await inB.syncControl();
    expect(inB.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: news at 14:00' });
    const denied = inB.risk.engine().evaluate({ symbol: 'BTC/USDT', side: 'long', price: 100, stopHint: 95, atr: NaN, equity: 10_000, currentPositionNotional: 0, totalOpenNotional: 0, openPositions: 0 });
    expect(denied).toMatchObject({ approved: false, reason: 'halted: manual: news at 14:00' });
    clockA.set(T0 + 2_000);
    await a.resume('shared');
    await inB.syncControl();
    expect(inB.risk.engine().isHalted()).toBe(false);
    await expect(a.halt('shared', '  ')).rejects.toThrow(/field "reason"/);
  });

  /** An account 'day' halted by its daily-loss breaker (stored): day start 10,000, then 9,400, 6 % down, past the 5 % limit. */
  async function haltedByDailyLoss() {
    const b = book(stores(), createManualClock(T0));
    await b.create({ id: 'day', ...FUTURES }, 'alice');
    const rt = await b.runtime('day');
    rt.risk.engine().onEquity(T0 + 60_000, 10_000);
    rt.risk.engine().onEquity(T0 + 120_000, 9_400);
    expect(rt.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'daily_loss: equity 9400 is 6% below day start 10000 (limit 5%)' });
    await rt.persist();
    return { b, rt };
  }

  it("an operator's halt replaces a daily-loss halt, so the next UTC day does not lift it", async () => {
    const { b, rt } = await haltedByDailyLoss();
    expect(await b.halt('day', 'exchange outage')).toMatchObject({ halted: true, haltReason: 'manual: exchange outage' });
    // The next UTC day rolls the day start; a daily-loss halt would lift here, the operator's stays.
    rt.risk.engine().onEquity(T0 + 86_400_000 + 60_000, 9_400);
    expect(rt.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: exchange outage' });
    // A manual halt is not replaced by a second one: the first reason stands.
    expect(await b.halt('day', 'again')).toMatchObject({ halted: true, haltReason: 'manual: exchange outage' });
  });

  it("'halt all' over a daily-loss halt holds past midnight too", async () => {
    const { b, rt } = await haltedByDailyLoss();
    await b.haltAll('exchange outage', 'alice');
    expect((await b.view('day')).risk).toMatchObject({ halted: true, haltReason: 'manual: global: exchange outage' });
    rt.risk.engine().onEquity(T0 + 86_400_000 + 60_000, 9_400);
    expect(rt.risk.engine().state()).toMatchObject({ halted: true, haltReason: 'manual: global: exchange outage' });
  });

  it('halts every account globally, starts new accounts halted while it holds, and resumes them all', async () => {
    const s = stores();
    const b = book(s);
    await b.create({ id: 'one', ...FUTURES }, 'alice');
    await b.create({ id: 'two', ...FUTURES, marketType: 'spot', leverage: 1 }, 'alice');
    const { accounts, halt } = await b.haltAll('exchange outage', 'alice');
    expect(halt).toMatchObject({ halted: true, reason: 'exchange outage', by: 'alice' });
    expect(accounts.map((a) => [a.accountId, a.halted, a.haltReason])).toEqual([
      ['one', true, 'manual: global: exchange outage'],
      ['two', true, 'manual: global: exchange outage'],
    ]);
    await b.create({ id: 'three', ...FUTURES }, 'alice');
    expect((await b.view('three')).risk).toMatchObject({ halted: true, haltReason: 'manual: global: exchange outage' });
    // One account cannot resume on its own while every account is halted: it would trade under "halt all".
    await expect(b.resume('one')).rejects.toThrow('field "globalHalt" was "exchange outage": every account is halted ("halt all": exchange outage, by alice): account "one" cannot resume alone; resume all accounts first');
    expect((await b.view('one')).risk.halted).toBe(true);
    const resumed = await b.resumeAll('alice');
    expect(resumed.halt.halted).toBe(false);
    expect(resumed.accounts.every((a) => !a.halted)).toBe(true);
    // Once "halt all" is lifted, one account halts and resumes on its own again.
    await b.halt('one', 'by hand');
    expect((await b.resume('one')).halted).toBe(false);
  });

  it('halt all halts every account it can load even when one fails, then reports that one', async () => {
    const s = stores();
    const b = book(s);
    await b.create({ id: 'a1', ...FUTURES }, 'alice');
    await b.create({ id: 'a2', ...FUTURES }, 'alice');
    await b.create({ id: 'a3', ...FUTURES }, 'alice');
    // a2's stored state no longer restores (a state of another market type): its runtime cannot be built.
    const spot = createPaperExchange({ ...paperConfigOf({ id: 'x', settings: FUTURES as never }), marketType: 'spot', leverage: 1 }, { clock: createManualClock(T0) });
    await s.accounts.saveState('a2', spot.exportState(), T0);
    await expect(b.haltAll('outage', 'alice')).rejects.toThrow(/state\.marketType/);
    const other = book(s);
    expect((await other.riskStatus('a1')).halted).toBe(true);
    expect((await other.riskStatus('a3')).halted).toBe(true);
    expect((await other.globalHalt()).halted).toBe(true);
  });

  it('force-closes part, then all, of a position (cancelling its stop), and refuses a flat symbol', async () => {
    const s = stores();
    const b = book(s);
    await b.create({ id: 'p', ...FUTURES }, 'alice');
    const rt = await b.runtime('p');
    const ex = rt.exchange();
    ex.onCandle('BTC/USDT', T0, 100, 100, 100, 100, 1_000);
    await ex.createOrder({ clientOrderId: 'e', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 4 });
    const stop = await ex.createOrder({ clientOrderId: 's', symbol: 'BTC/USDT', side: 'sell', type: 'stop', amount: 4, stopPrice: 90, reduceOnly: true });
    const part = await b.closePosition('p', { symbol: 'BTC/USDT', amount: 1.5 }, 'alice');
    expect(part).toMatchObject({ remaining: 2.5, cancelledStopIds: [] });
    expect(part.order).toMatchObject({ side: 'sell', amount: 1.5, status: 'filled', reduceOnly: true });
    await expect(b.closePosition('p', { symbol: 'BTC/USDT', amount: 3 }, 'alice')).rejects.toThrow(/field "amount" was 3: the position on BTC\/USDT is 2.5/);
    const all = await b.closePosition('p', { symbol: 'BTC/USDT' }, 'alice');
    expect(all).toMatchObject({ remaining: 0, cancelledStopIds: [stop.id] });
    await expect(b.closePosition('p', { symbol: 'BTC/USDT' }, 'alice')).rejects.toThrow(/account "p" has no open position on "BTC\/USDT"/);
    // A symbol the rule refuses, held nowhere: 400 naming the field (a 404 would suggest the market exists).
    await expect(b.closePosition('p', { symbol: 'btcusdt' }, 'alice')).rejects.toThrow(
      'field "symbol" was "btcusdt": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE); account "p" holds no position under this symbol',
    );
    // Exits pass while halted.
    ex.onCandle('BTC/USDT', T0 + 60_000, 100, 100, 100, 100, 1_000);
    await ex.createOrder({ clientOrderId: 'e2', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 1 });
    await b.halt('p', 'stop everything');
    expect((await b.closePosition('p', { symbol: 'BTC/USDT' }, 'alice')).remaining).toBe(0);
  });

  it('a whole force exit the volume cap fills in part keeps the stop protecting the rest', async () => {
    const b = book(stores());
    // At most 10 % of a candle's volume trades: 100 units on a candle of 1,000.
    await b.create({ id: 'thin', ...FUTURES, maxVolumeShare: 0.1 }, 'alice');
    const ex = (await b.runtime('thin')).exchange();
    ex.onCandle('BTC/USDT', T0, 100, 100, 100, 100, 1_000);
    await ex.createOrder({ clientOrderId: 'e', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 60 });
    ex.onCandle('BTC/USDT', T0 + 60_000, 100, 100, 100, 100, 1_000);
    await ex.createOrder({ clientOrderId: 'e2', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 90 });
    expect(ex.positionAmountSigned('BTC/USDT')).toBe(150);
    const stop = await ex.createOrder({ clientOrderId: 's', symbol: 'BTC/USDT', side: 'sell', type: 'stop', amount: 150, stopPrice: 90, reduceOnly: true });
    // The candle's 100 were used by 90 of the entry: 10 left for the close now, 140 stay open.
    const first = await b.closePosition('thin', { symbol: 'BTC/USDT' }, 'alice');
    expect(first).toMatchObject({ remaining: 140, cancelledStopIds: [] });
    expect(first.order).toMatchObject({ amount: 150, filled: 10, status: 'partially_filled', reduceOnly: true });
    expect(ex.openOrders('BTC/USDT').map((o) => [o.id, o.type])).toEqual([[stop.id, 'stop'], [first.order.id, 'market']]);
    // The next candle fills 100 more of the close at its open; its fall through 90 triggers the stop on what is left
    // (40), which the cap leaves for the candle after: there the close's last 40 fill, and the stop has nothing left.
    ex.onCandle('BTC/USDT', T0 + 120_000, 100, 100, 85, 88, 1_000);
    expect(ex.positionAmountSigned('BTC/USDT')).toBe(40);
    expect(ex.openOrders('BTC/USDT').find((o) => o.id === stop.id)).toMatchObject({ type: 'stop', reduceOnly: true });
    ex.onCandle('BTC/USDT', T0 + 180_000, 88, 89, 87, 88, 1_000);
    expect(ex.positionAmountSigned('BTC/USDT')).toBe(0);
    expect(ex.openOrders('BTC/USDT')).toEqual([]);
  });

  it('prices a symbol no session traded yet from its last stored candle', async () => {
    const s = stores();
    await s.candles.insertCandles({ exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' }, toColumns([
      { openTimeMs: T0, open: 10, high: 11, low: 9, close: 10.5, volume: 5 },
      { openTimeMs: T0 + 3_600_000, open: 10.5, high: 12, low: 10, close: 11.25, volume: 5 },
    ]));
    const b = book(s);
    await b.create({ id: 'p', ...FUTURES }, 'alice');
    const rt = await b.runtime('p');
    expect(rt.exchange().lastPrice('ETH/USDT')).toBeNaN();
    expect(await rt.ensurePrice('ETH/USDT')).toEqual({ exchange: 'binance', timeframe: '1h', price: 11.25 });
    expect(rt.exchange().lastPrice('ETH/USDT')).toBe(11.25);
    await expect(rt.ensurePrice('XRP/USDT')).rejects.toThrow(/no candles are stored for symbol "XRP\/USDT"/);
  });

  it('keeps market type and balance fixed, and applies new risk limits to the running engine', async () => {
    const b = book(stores());
    await b.create({ id: 'p', ...FUTURES }, 'alice');
    const rt = await b.runtime('p');
    const engine = rt.risk.engine();
    const refused = await b.update('p', { settings: { marketType: 'spot', initialBalance: 5 } }, 'alice');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(Object.keys(refused.fieldErrors).sort()).toEqual(['settings.initialBalance', 'settings.leverage', 'settings.marketType']);
    const ok = await b.update('p', { risk: { maxOpenPositions: 7 } }, 'bob');
    expect(ok.ok).toBe(true);
    // The engine sessions hold is the same object, now with the new limit.
    expect(rt.risk.engine()).toBe(engine);
    expect(engine.config.maxOpenPositions).toBe(7);
    expect((await b.get('p')).updatedBy).toBe('bob');
  });

  it("a process no session of the account runs never writes its stale day start and peak over the sessions'", async () => {
    const s = stores();
    const a = book(s);
    await a.create({ id: 'p', ...FUTURES }, 'alice');
    const inA = await a.runtime('p');
    inA.acquire(); // a session of the account runs in A
    inA.risk.engine().onEquity(T0 + 60_000, 10_000);
    await inA.persist();
    // B (a web server) loads the account now: day start and peak 10,000.
    const inB = await book(s).runtime('p');
    expect(inB.risk.engine().state()).toMatchObject({ dayStartEquity: 10_000, peakEquity: 10_000 });
    // A's session marks a new peak and stores it.
    inA.risk.engine().onEquity(T0 + 120_000, 10_500);
    await inA.persist();
    // B changes the paper state (as a manual order does) and stores it: its copy's peak (10,000) is not written.
    inB.exchange().onCandle('BTC/USDT', T0 + 120_000, 100, 100, 100, 100, 1_000);
    await inB.persist();
    expect(await s.accounts.loadState('p')).toMatchObject({ symbols: [expect.objectContaining({ symbol: 'BTC/USDT' })] });
    expect(await s.riskState.load('p')).toMatchObject({ dayStartEquity: 10_000, peakEquity: 10_500 });
  });

  it('a risk save whose write fails leaves the running engine on the limits still stored', async () => {
    const s = stores();
    const b = book(s);
    await b.create({ id: 'p', ...FUTURES }, 'alice');
    const engine = (await b.runtime('p')).risk.engine();
    const update = s.accounts.update.bind(s.accounts);
    s.accounts.update = async () => {
      throw new Error('connection lost');
    };
    await expect(b.update('p', { risk: { maxLeverage: 10, maxOpenPositions: 7 } }, 'bob')).rejects.toThrow('connection lost');
    // Neither stored nor traded with: the sessions still check 3x and 3 positions.
    expect([engine.config.maxLeverage, engine.config.maxOpenPositions]).toEqual([3, 3]);
    expect(await b.riskLimits('p')).toMatchObject({ maxLeverage: 3, maxOpenPositions: 3 });
    s.accounts.update = update;
    expect((await b.update('p', { risk: { maxLeverage: 10, maxOpenPositions: 7 } }, 'bob')).ok).toBe(true);
    expect([engine.config.maxLeverage, engine.config.maxOpenPositions]).toEqual([10, 7]);
  });

  it('a process adopts settings and limits another saved, at its next sync, even when no message told it', async () => {
    const s = stores();
    const a = book(s);
    await a.create({ id: 'p', ...FUTURES }, 'alice');
    // B (no control bus between them: a lost message) trades the account.
    const b = book(s, createManualClock(T0 + 5));
    const inB = await b.runtime('p');
    expect(inB.risk.engine().config.maxOpenPositions).toBe(3);
    expect((await a.update('p', { risk: { maxOpenPositions: 1 }, settings: { name: 'Renamed' } }, 'bob')).ok).toBe(true);
    expect(inB.risk.engine().config.maxOpenPositions).toBe(3);
    await inB.syncControl(); // what a session does before each candle
    expect(inB.risk.engine().config.maxOpenPositions).toBe(1);
    expect(inB.record()).toMatchObject({ settings: { name: 'Renamed' }, updatedBy: 'bob' });
    // A fee change that reached the store while B's session trades (A could not see it): B's venue stays as the session
    // trades it until the session stops, then the new fee model applies.
    const release = inB.acquire();
    const venue = inB.exchange();
    expect((await a.update('p', { settings: { takerFeeBps: 9 } }, 'bob')).ok).toBe(true);
    await inB.syncControl();
    expect(inB.exchange()).toBe(venue);
    expect(inB.record().settings.takerFeeBps).toBe(5);
    expect(inB.risk.engine().config.costs.takerFeeBps).toBe(5);
    release();
    await inB.syncControl();
    expect(inB.exchange()).not.toBe(venue);
    expect(inB.record().settings.takerFeeBps).toBe(9);
    expect(inB.risk.engine().config.costs.takerFeeBps).toBe(9);
  });

  it('a risk save changes the limits it names and keeps the account\'s others (not the defaults)', async () => {
    const s = stores();
    const b = book(s);
    await b.create({ id: 'p', ...FUTURES, risk: { dailyLossLimitPct: 2, maxLeverage: 4 } }, 'alice');
    expect(await b.riskLimits('p')).toMatchObject({ dailyLossLimitPct: 2, maxLeverage: 4, maxOpenPositions: 3 });
    const saved = await b.update('p', { risk: { maxOpenPositions: 5 } }, 'bob');
    expect(saved.ok).toBe(true);
    // Before: daily loss back to the default 5 and leverage to 3 (the defaults), silently.
    expect(await b.riskLimits('p')).toMatchObject({ dailyLossLimitPct: 2, maxLeverage: 4, maxOpenPositions: 5, maxDrawdownPct: 25 });
    expect((await b.runtime('p')).risk.engine().config).toMatchObject({ dailyLossLimitPct: 2, maxLeverage: 4, maxOpenPositions: 5 });
    // Another process reads the same limits.
    expect(await book(s).riskLimits('p')).toMatchObject({ dailyLossLimitPct: 2, maxLeverage: 4, maxOpenPositions: 5 });
    // A misspelt limit, or trading costs (the account's fee settings), is an error naming it; nothing is saved.
    const typo = await b.update('p', { risk: { riskPerTrade: 0.5, maxOpenPositions: 6 } }, 'bob');
    expect(typo).toEqual({ ok: false, fieldErrors: { 'risk.riskPerTrade': ['unknown field'] } });
    const costs = await b.update('p', { risk: { costs: { feeRateBps: 1 } } }, 'bob');
    expect(costs).toEqual({ ok: false, fieldErrors: { 'risk.costs': ['unknown field'] } });
    expect(await b.update('p', { risk: 3 }, 'bob')).toEqual({ ok: false, fieldErrors: { risk: ['expected an object of risk limits, e.g. {"maxOpenPositions": 3}'] } });
    expect((await b.riskLimits('p')).maxOpenPositions).toBe(5);
    await expect(b.create({ id: 'q', ...FUTURES, risk: { maxOpenPosition: 2 } }, 'alice')).rejects.toThrow('field "risk.maxOpenPosition" was 2: unknown field');
    await expect(b.create({ id: 'q', ...FUTURES, risk: 'tight' }, 'alice')).rejects.toThrow('field "risk" was "tight": expected an object of risk limits');
    await expect(b.get('q')).rejects.toThrow(NotFoundError);
  });
  it("reads a venue account through one keyed client, connecting again after a failed read and after the client's max age", async () => {
    const clock = createManualClock(T0);
    const balance: Balance = { currency: 'USDT', total: 1_000, free: 1_000, used: 0, equity: 1_010 };
    const counts = { connects: 0, closes: 0 };
    let failNextRead = false;
    const venues: VenueConnector = async (venueId) => {
      counts.connects++;
      return {
        ok: true,
        exchange: { id: venueId, fetchBalance: async () => balance, fetchOpenPositions: async () => [] } as unknown as Exchange,
        async holdings() {
          if (failNextRead) {
            failNextRead = false;
            throw new Error('venue unreachable');
          }
          return { openOrders: [], positions: [], balance, atMs: clock.nowMs() };
        },
        close: async () => void counts.closes++,
      };
    };
    const b = createAccountBook({ clock, logger: silentLogger, ...stores(), venues, defaultRiskLimits: async () => ({ ...LIMITS }) });
    // Linking reads the wallet once on a connection of its own, closed at once.
    await b.create({ id: 'usdm', kind: 'venue', venue: 'binanceusdm', name: 'USD-M' }, 'admin');
    expect(counts).toEqual({ connects: 1, closes: 1 });
    // Three views and an equity reading: one more connection, kept open.
    for (let i = 0; i < 3; i++) expect((await b.view('usdm')).equity).toBe(1_010);
    expect(await (await b.runtime('usdm')).equity()).toBe(1_010);
    expect(counts).toEqual({ connects: 2, closes: 1 });
    // A failed read drops the client (closed); the next read connects again.
    failNextRead = true;
    await expect(b.view('usdm')).rejects.toThrow('venue unreachable');
    expect((await b.view('usdm')).walletBalance).toBe(1_000);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the dropped client closes in the background
    expect(counts).toEqual({ connects: 3, closes: 2 });
    // Just before the max age the client is reused; at the max age a fresh one replaces it.
    clock.advance(VENUE_READ_CLIENT_MAX_AGE_MS - 1);
    await b.view('usdm');
    expect(counts.connects).toBe(3);
    clock.advance(1);
    await b.view('usdm');
    await new Promise((resolve) => setTimeout(resolve, 0)); // the dropped client closes in the background
    expect(counts).toEqual({ connects: 4, closes: 3 });
  });

  it("shows every open position of a venue account, also on markets it has no candles of, and the open orders of the markets it has", async () => {
    const s = stores();
    // Candles of ETH/USDT only on binanceusdm: a BTC/USDT long opened by hand on the venue has none.
    await s.candles.insertCandles({ exchange: 'binanceusdm', symbol: 'ETH/USDT', timeframe: '1h' }, toColumns([{ openTimeMs: T0, open: 3_000, high: 3_010, low: 2_990, close: 3_000, volume: 5 }]));
    const balance: Balance = { currency: 'USDT', total: 10_000, free: 4_000, used: 6_000, equity: 10_250 };
    const position = (symbol: string, side: 'long' | 'short', amount: number, entryPrice: number, markPrice: number, unrealizedPnl: number): Position => ({
      symbol, side, amount, entryPrice, markPrice, unrealizedPnl, realizedPnl: 0, leverage: 5, marginMode: 'cross', margin: (amount * markPrice) / 5, liquidationPrice: NaN, feesPaid: 0, fundingPaid: 0, openedAtMs: T0,
    });
    const btc = position('BTC/USDT', 'long', 0.5, 59_000, 60_000, 500);
    const eth = position('ETH/USDT', 'short', 2, 3_125, 3_000, 250);
    const asked: (readonly string[])[] = [];
    const venues: VenueConnector = async (venueId) => ({
      ok: true,
      exchange: { id: venueId, fetchBalance: async () => balance, fetchOpenPositions: async () => [btc, eth] } as unknown as Exchange,
      async holdings(symbols) {
        asked.push(symbols);
        // What reconcile answers: the positions of the markets it was asked about.
        return { openOrders: [], positions: [eth].filter((p) => symbols.includes(p.symbol)), balance, atMs: T0 };
      },
      close: async () => undefined,
    });
    const b = createAccountBook({ clock: createManualClock(T0), logger: silentLogger, ...s, venues, defaultRiskLimits: async () => ({ ...LIMITS }) });
    await b.create({ id: 'usdm', kind: 'venue', venue: 'binanceusdm', name: 'USD-M' }, 'admin');
    const view = await b.view('usdm');
    expect(asked).toEqual([['ETH/USDT']]);
    expect(view.positions).toEqual([
      { symbol: 'BTC/USDT', side: 'long', amount: 0.5, entryPrice: 59_000, markPrice: 60_000, unrealizedPnl: 500, liquidationPrice: null, margin: 6_000 },
      { symbol: 'ETH/USDT', side: 'short', amount: 2, entryPrice: 3_125, markPrice: 3_000, unrealizedPnl: 250, liquidationPrice: null, margin: 1_200 },
    ]);
    // 500 + 250
    expect(view.totals.unrealizedPnl).toBe(750);
    // BTC/USDT has no stored candles here: the portfolio VaR cannot be computed rather than leaving the BTC long out.
    expect(view.valueAtRisk.status).toBe('unavailable');
  });
});
