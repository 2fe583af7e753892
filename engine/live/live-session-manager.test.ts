import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { Candle } from '../core/types';
import { createPaperExchange, type PaperExchange } from '../execution/paper-exchange';
import { createJournalWriter } from '../journal/journal-writer';
import type { ClosedTrade } from '../loop/trading-loop';
import type { CandleRepository } from '../ports/candles';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
} from '../testing/in-memory-repositories';
import { createAccountBook } from '../account/account-book';
import { applyVenueLeverage, createLiveSessionManager } from './live-session-manager';
import { clientIdPrefixOf } from './live-session';
import type { Order } from '../ports/exchange';
import type { VenueConnectResult } from '../ports/venue-link';
import { createInMemoryLiveSessionStore } from '../testing/in-memory-live-session-store';
import type { CandleFeed } from './live-session';
import type { ControlCommand, ControlPublisher } from '../ports/control-bus';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const CANDLES: Candle[] = Array.from({ length: 600 }, (_, i) => {
  const close = 100 * (1 + 0.05 * Math.sin(i / 15));
  return { openTimeMs: T0 + i * TF, open: close, high: close * 1.001, low: close * 0.999, close, volume: 1_000 };
});

async function manager(
  store = createInMemoryLiveSessionStore(),
  startAt = T0 + 400 * TF + 1_000,
  candles?: Pick<CandleRepository, 'insertCandles'>,
  realVenue?: (paper: PaperExchange) => VenueConnectResult,
  venueUnreachable = false,
  control?: ControlPublisher,
) {
  const clock = createManualClock(startAt);
  /** Every feed built, by exchange, with how often it was closed. */
  const feeds: { exchange: string; closed: number }[] = [];
  const feedFor = (exchange: string): CandleFeed => {
    const built = { exchange, closed: 0 };
    feeds.push(built);
    return {
      async fetchOhlcv(_s, _t, since = 0, limit = 500) {
        if (venueUnreachable) throw new Error(`${exchange} is unreachable`);
        return CANDLES.filter((c) => c.openTimeMs >= since && c.openTimeMs <= clock.nowMs()).slice(0, limit);
      },
      async close() {
        built.closed++;
      },
    };
  };
  const riskState = createInMemoryRiskStateRepository();
  const settings = createInMemorySettingsRepository();
  const journalRepository = createInMemoryJournalRepository();
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: createInMemoryAccountRepository(riskState),
    riskState,
    settings,
    candles: createInMemoryCandleRepository(),
    defaultRiskLimits: async () => ({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 90, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS }),
    // The keyed venue of live sessions: a paper exchange of its own standing in for the real one.
    venues: async (venueId) => (realVenue ? realVenue(venuePaper) : { ok: false, reason: `no API keys are stored for "${venueId}"` }),
  });
  const venuePaper = createPaperExchange({ id: 'binance', marketType: 'spot', initialBalance: 5_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 }, { clock });
  await accounts.ensureDefault({ name: 'Paper', marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 2, slippageBps: 2, maxVolumeShare: 1 });
  // A live session trades the venue account of its exchange (linked when the test has a venue).
  if (realVenue) await accounts.create({ id: 'binance-keys', kind: 'venue', venue: 'binance', name: 'Binance keys' }, 'test');
  const m = createLiveSessionManager({
    clock,
    logger: silentLogger,
    store,
    accounts,
    feedFor,
    candles: candles as never,
    realVenueFor: async (exchange) =>
      realVenue ? realVenue(venuePaper) : { ok: false, reason: `no API keys are stored for "${exchange}"; an admin must add them and enable live trading` },
    journal: createJournalWriter({ batchSize: 100 }, { repository: journalRepository, logger: silentLogger }),
    veto: () => null,
    newId: () => 'id',
    // Sessions wait for the next candle until stopped.
    sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    random: () => 0.5,
    control,
  });
  return { m, store, clock, feeds, journal: journalRepository };
}

const request = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: ['ma-crossover'], veto: 'off' };

describe('live session manager', () => {
  it('sends a stop and an alert for a session running in another process over the control bus, and acts on them where it runs', async () => {
    const store = createInMemoryLiveSessionStore();
    const sent: ControlCommand[] = [];
    const control: ControlPublisher = {
      async publish(command) {
        sent.push(command);
        return { ...command, id: `m${sent.length}`, origin: 'A', sentAtMs: 0 };
      },
    };
    const b = await manager(store);
    const a = await manager(store, undefined, undefined, undefined, false, control);
    const state = await b.m.start(request);
    expect(b.m.runningHere(null)).toEqual([state.id]);
    expect(b.m.runningHere('other')).toEqual([]);
    expect(a.m.runningHere(null)).toEqual([]);
    // A has no session of the market: it forwards the alert to B's (a missing stop is sent as null).
    expect(await a.m.routeOrForward({ symbol: 'BTCUSDT', side: 'short', strength: 0.5, stopHint: NaN })).toBe(state.id);
    expect(await a.m.routeOrForward({ symbol: 'ETH/USDT', side: 'short', strength: 0.5, stopHint: NaN })).toBeNull();
    expect(b.m.routeHere(state.id, { symbol: 'BTC/USDT', side: 'short', strength: 0.5, stopHint: null })).toBe(true);
    expect(a.m.routeHere(state.id, { symbol: 'BTC/USDT', side: 'short', strength: 0.5, stopHint: null })).toBe(false);
    // A stop asked of A marks the record and tells B, which stops the session now.
    expect((await a.m.stop(state.id)).status).toBe('stopping');
    expect(sent).toEqual([
      { kind: 'external-alert', sessionId: state.id, alert: { symbol: 'BTCUSDT', side: 'short', strength: 0.5, stopHint: null } },
      { kind: 'stop-session', sessionId: state.id },
    ]);
    expect(await a.m.stopHere(state.id)).toBe(false);
    expect(await b.m.stopRequested()).toEqual([state.id]);
    expect(b.m.runningHere(null)).toEqual([]);
    expect(store.records.get(state.id)?.status).toBe('stopped');
  });


  it('starts one dry-run session per market, stores it, and stops it', async () => {
    const { m, store } = await manager();
    const state = await m.start(request);
    expect(state).toMatchObject({ id: 'live:binance:BTC/USDT:5m', status: 'running', lastCandleMs: T0 + 399 * TF });
    const again = await m.start(request);
    expect(again.id).toBe(state.id);
    expect(store.records.get(state.id)).toMatchObject({ status: 'running', liveTrading: false, symbol: 'BTC/USDT' });
    const listed = await m.list();
    expect(listed).toHaveLength(1);
    expect(listed[0].state?.status).toBe('running');
    // Outside alerts reach the session of their market (TradingView's "BTCUSDT" matches "BTC/USDT").
    expect(m.routeExternalSignal({ symbol: 'BTCUSDT', side: 'long', strength: 1, stopHint: NaN })).toBe(state.id);
    expect(m.routeExternalSignal({ exchange: 'kraken', symbol: 'BTC/USDT', side: 'long', strength: 1, stopHint: NaN })).toBeNull();
    expect(m.routeExternalSignal({ symbol: 'ETH/USDT', side: 'long', strength: 1, stopHint: NaN })).toBeNull();
    // An alert naming an account reaches that account's session alone.
    expect(m.routeExternalSignal({ symbol: 'BTCUSDT', side: 'long', strength: 1, stopHint: NaN, accountId: 'default' })).toBe(state.id);
    expect(m.routeExternalSignal({ symbol: 'BTCUSDT', side: 'long', strength: 1, stopHint: NaN, accountId: 'desk' })).toBeNull();
    expect(await m.routeOrForward({ symbol: 'BTCUSDT', side: 'long', strength: 1, stopHint: NaN, accountId: 'desk' })).toBeNull();
    const stopped = await m.stop(state.id);
    expect(stopped.status).toBe('stopped');
    expect(store.records.get(state.id)?.status).toBe('stopped');
  });

  it('resumes a paper session stored with reconcile "cancel" from before that was refused, as adopt', async () => {
    const first = await manager();
    const { id } = await first.m.start(request);
    await first.m.stopAll();
    const record = first.store.records.get(id)!;
    first.store.records.set(id, { ...record, config: { ...record.config, reconcile: 'cancel' } });
    const second = await manager(first.store, T0 + 420 * TF + 1_000);
    expect(await second.m.resumeAll()).toBe(1);
    expect((await second.m.list())[0].state?.status).toBe('running');
    await second.m.stopAll();
  });

  it('resumes the sessions that were running when the process stopped', async () => {
    const first = await manager();
    await first.m.start(request);
    await first.m.stopAll();
    expect(first.store.records.get('live:binance:BTC/USDT:5m')?.status).toBe('running');
    const second = await manager(first.store, T0 + 420 * TF + 1_000);
    expect(await second.m.resumeAll()).toBe(1);
    const [session] = await second.m.list();
    expect(session.state?.status).toBe('running');
    await second.m.stopAll();
  });

  it('refuses bad requests naming the field, and live trading without an enabled venue', async () => {
    const { m, store } = await manager();
    const cases: [Record<string, unknown>, string][] = [
      [{ strategies: ['moon'] }, 'strategies'],
      [{ symbol: 'btc-usdt' }, 'symbol'],
      [{ timeframe: '7m' }, 'timeframe'],
      [{ liveTrading: true }, 'accountId'],
      [{ liveTrading: true, accountId: 'default' }, 'accountId'],
      // Foreign venue orders are only met by a live session: "cancel" elsewhere is refused, not ignored.
      [{ reconcile: 'cancel' }, 'reconcile'],
      [{ mode: 'paper', reconcile: 'cancel' }, 'reconcile'],
      [{ mode: 'replay', from: T0, reconcile: 'cancel' }, 'reconcile'],
      // A live request with "cancel" passes the request check and stops at the venue account.
      [{ liveTrading: true, reconcile: 'cancel' }, 'accountId'],
    ];
    for (const [patch, field] of cases) {
      const error = await m.start({ ...request, ...patch }).catch((e: unknown) => e);
      expect(error, JSON.stringify(patch)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    const live = (await m.start({ ...request, liveTrading: true }).catch((e: unknown) => e)) as Error;
    expect(live.message).toBe(
      'field "accountId" was undefined: a live session trades a venue account and "binance" has none: an admin stores its API keys, enables live trading and creates one (POST /api/v1/accounts with kind "venue")',
    );
    const paperCancel = (await m.start({ ...request, mode: 'paper', reconcile: 'cancel' }).catch((e: unknown) => e)) as Error;
    expect(paperCancel.message).toBe('field "reconcile" was "cancel": applies to live sessions only: use adopt or mode live');
    const onPaper = (await m.start({ ...request, liveTrading: true, accountId: 'default' }).catch((e: unknown) => e)) as Error;
    expect(onPaper.message).toContain('account "default" is a paper account; a live session on "binance" trades that venue\'s account');
    expect(store.records.size).toBe(0);
  });

  it('shares one feed per exchange and closes it when the last session of the exchange stops', async () => {
    const { m, feeds } = await manager();
    const btc = await m.start(request);
    const eth = await m.start({ ...request, symbol: 'ETH/USDT' });
    const futures = await m.start({ ...request, exchange: 'binanceusdm', symbol: 'SOL/USDT' });
    expect(feeds).toEqual([
      { exchange: 'binance', closed: 0 },
      { exchange: 'binanceusdm', closed: 0 },
    ]);
    await m.stop(btc.id);
    expect(feeds[0].closed).toBe(0); // ETH/USDT still polls binance
    await m.stop(eth.id);
    expect(feeds[0].closed).toBe(1);
    // A new session builds a fresh feed; the closed one is never reused.
    const again = await m.start(request);
    expect(feeds).toHaveLength(3);
    expect(feeds[2]).toEqual({ exchange: 'binance', closed: 0 });
    await m.stop(again.id);
    await m.stop(futures.id);
    expect(feeds.map((f) => f.closed)).toEqual([1, 1, 1]);
  });

  it('closes every feed once when the process stops all sessions', async () => {
    const { m, feeds } = await manager();
    await m.start(request);
    await m.start({ ...request, exchange: 'binanceusdm', symbol: 'SOL/USDT' });
    await m.stopAll();
    expect(feeds.map((f) => [f.exchange, f.closed])).toEqual([
      ['binance', 1],
      ['binanceusdm', 1],
    ]);
  });

  it('closes the feed when a session fails to start', async () => {
    const store = createInMemoryLiveSessionStore();
    const broken = { ...store, upsert: async () => Promise.reject(new Error('database is down')) };
    const { m, feeds } = await manager(broken);
    await expect(m.start(request)).rejects.toThrow('database is down');
    expect(feeds).toEqual([{ exchange: 'binance', closed: 1 }]);
  });

  it('leaves no session record behind when a new session fails to start, and keeps a restarted one stopped with the reason', async () => {
    const { m, store } = await manager(createInMemoryLiveSessionStore(), undefined, undefined, undefined, true);
    await expect(m.start(request)).rejects.toThrow('binance is unreachable');
    expect(await store.list()).toEqual([]);
    expect(await m.list()).toEqual([]);

    const earlier = await manager();
    const started = await earlier.m.start(request);
    await earlier.m.stop(started.id);
    const again = await manager(earlier.store, undefined, undefined, undefined, true);
    await expect(again.m.start(request)).rejects.toThrow('binance is unreachable');
    expect(await again.store.get(started.id)).toMatchObject({ status: 'stopped', lastError: 'binance is unreachable' });
  });

  it('hands candle storage to its sessions, which store the closed candles they poll', async () => {
    const candles = createInMemoryCandleRepository();
    // Start at candle 400 + 1 s: warm-up stores the 300 closed candles 100..399 (candle 400 is forming).
    const { m } = await manager(createInMemoryLiveSessionStore(), T0 + 400 * TF + 1_000, candles);
    await m.start(request);
    await m.stopAll();
    const stored = await candles.loadCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, 0, Number.MAX_SAFE_INTEGER);
    expect(stored.length).toBe(300);
    expect(stored.openTimeMs[0]).toBe(T0 + 100 * TF);
    expect(stored.openTimeMs[299]).toBe(T0 + 399 * TF);
    expect(Array.from(stored.close)).toEqual(CANDLES.slice(100, 400).map((c) => c.close));
  });

  it('closes the keyed venue client once when its session stops, when all stop, and when reconciliation fails', async () => {
    const venueCloses: number[] = [];
    const venue = (reconcileFails: boolean) => (paper: PaperExchange): VenueConnectResult => {
      const index = venueCloses.push(0) - 1;
      return {
        ok: true,
        exchange: paper,
        holdings: async () => {
          if (reconcileFails) throw new Error('venue unreachable');
          return { openOrders: [], positions: [], balance: await paper.fetchBalance(), atMs: 0 };
        },
        close: async () => void venueCloses[index]++,
      };
    };
    // Each manager first links its venue account: that reads the wallet once and closes its client.
    const first = await manager(createInMemoryLiveSessionStore(), undefined, undefined, venue(false));
    expect(venueCloses).toEqual([1]);
    const live = await first.m.start({ ...request, liveTrading: true });
    expect(live.id).toBe('live:binance-keys:binance:BTC/USDT:5m');
    expect(venueCloses).toEqual([1, 0]);
    await first.m.stop(live.id);
    expect(venueCloses).toEqual([1, 1]);

    const second = await manager(createInMemoryLiveSessionStore(), undefined, undefined, venue(false));
    await second.m.start({ ...request, liveTrading: true });
    await second.m.stopAll();
    expect(venueCloses).toEqual([1, 1, 1, 1]);

    const third = await manager(createInMemoryLiveSessionStore(), undefined, undefined, venue(true));
    await expect(third.m.start({ ...request, liveTrading: true })).rejects.toThrow('venue unreachable');
    expect(venueCloses).toEqual([1, 1, 1, 1, 1, 1]);
    expect(third.feeds).toEqual([]); // refused before a feed was built
  });

  it('adopts its own stop, cancels its stale entry and a second stop, and leaves a foreign order by default; cancels the foreign one with reconcile "cancel"; journals both', async () => {
    const id = 'live:binance-keys:binance:BTC/USDT:5m';
    const prefix = clientIdPrefixOf(id);
    const order = (orderId: string, clientOrderId: string, type: Order['type'], createdAtMs: number, symbol = 'BTC/USDT'): Order => ({
      id: orderId, clientOrderId, symbol, side: 'sell', type, status: 'new', amount: 2, filled: 0, price: type === 'limit' ? 110 : null, stopPrice: type === 'stop' ? 90 : null,
      averagePrice: NaN, fee: 0, reduceOnly: type !== 'limit', createdAtMs, updatedAtMs: createdAtMs, reason: null,
    });
    // On the venue: the session's stop of the entry at candle 390 (trailed at 395), a limit entry left from
    // candle 398, a take-profit, an order placed by hand, and an order on another symbol.
    const open = [
      order('11', `${prefix}-stop-${T0 + 391 * TF}`, 'stop', T0 + 391 * TF),
      order('12', `${prefix}-trail-${T0 + 396 * TF}`, 'stop', T0 + 396 * TF),
      order('13', `${prefix}-entry-${T0 + 399 * TF}`, 'limit', T0 + 399 * TF),
      order('14', `${prefix}-tp1-${T0 + 391 * TF}`, 'limit', T0 + 391 * TF),
      order('15', 'web_manual_7', 'limit', T0 + 350 * TF),
      order('16', `${prefix}-stop-${T0 + 391 * TF}`, 'stop', T0 + 391 * TF, 'ETH/USDT'),
    ];
    const cancelled: string[] = [];
    const venue = (paper: PaperExchange): VenueConnectResult => ({
      ok: true,
      exchange: {
        ...paper,
        async cancelOrder(orderId: string) {
          cancelled.push(orderId);
          return { ...open.find((o) => o.id === orderId)!, status: 'cancelled' as const };
        },
      },
      holdings: async () => ({ openOrders: open.filter((o) => !cancelled.includes(o.id)), positions: [], balance: await paper.fetchBalance(), atMs: 0 }),
      close: async () => undefined,
    });
    const store = createInMemoryLiveSessionStore();
    // The checkpoint tracked the first stop (order 11); the trail to order 12 was placed but not checkpointed.
    const position = { side: 'long' as const, amount: 2, price: 100, fee: 0.2, timeMs: T0 + 391 * TF, strategy: 'ma-crossover', stopOrderId: '99', stopFilledJournaled: 0, initialStop: 90 };
    await store.upsert({ id, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', config: {}, status: 'stopped', lastCandleMs: null, liveTrading: true, lastError: null, startedAtMs: 0, updatedAtMs: 0, spec: null });
    await store.save({ sessionId: id, lastCandleMs: T0 + 399 * TF, updatedAtMs: 0, venuePosition: position });
    const first = await manager(store, undefined, undefined, venue);
    await first.m.start({ ...request, liveTrading: true });
    await first.m.stop(id);
    // Stop 99 is gone: the newest own stop (12, the trail) is adopted, the older one (11) cancelled, the
    // entry remainder (13) cancelled, the take-profit (14) kept, the hand-placed order (15) left, ETH untouched.
    expect(cancelled).toEqual(['13', '11']);
    expect((await store.load(id))?.venuePosition?.stopOrderId).toBe('12');
    const firstDecisions = (await first.journal.listDecisions({ symbol: 'BTC/USDT', runId: null, strategy: 'reconcile' })).items;
    expect(firstDecisions.map((d) => [d.outcome, d.reason])).toEqual([
      ['executed', `start-up reconciliation: adopted stop ${prefix}-trail-${T0 + 396 * TF}; kept ${prefix}-tp1-${T0 + 391 * TF}; cancelled ${prefix}-entry-${T0 + 399 * TF}, ${prefix}-stop-${T0 + 391 * TF}; left foreign web_manual_7`],
    ]);

    // Restarted with reconcile "cancel": the stop stays adopted, the hand-placed order is cancelled now.
    const second = await manager(store, undefined, undefined, venue);
    await second.m.start({ ...request, liveTrading: true, reconcile: 'cancel' });
    await second.m.stop(id);
    expect(cancelled).toEqual(['13', '11', '15']);
    expect((await store.load(id))?.venuePosition?.stopOrderId).toBe('12');
    const secondDecisions = (await second.journal.listDecisions({ symbol: 'BTC/USDT', runId: null, strategy: 'reconcile' })).items;
    expect(secondDecisions.map((d) => [d.outcome, d.reason, (d.inputs.cancelled as { id: string }[]).map((c) => c.id)])).toEqual([
      ['executed', `start-up reconciliation: adopted stop ${prefix}-trail-${T0 + 396 * TF}; kept ${prefix}-tp1-${T0 + 391 * TF}; cancelled web_manual_7`, ['15']],
    ]);
  });
});

describe('applyVenueLeverage', () => {
  it("sets the margin mode, then the leverage, of the session's symbol; refuses a fractional leverage naming the field", async () => {
    const calls: string[] = [];
    const venue = {
      setMarginMode: async (symbol: string, mode: string) => void calls.push(`margin ${symbol} ${mode}`),
      setLeverage: async (symbol: string, leverage: number) => void calls.push(`leverage ${symbol} ${leverage}`),
    };
    await applyVenueLeverage(venue, 'ETH/USDT', { leverage: 3, marginMode: 'isolated' });
    expect(calls).toEqual(['margin ETH/USDT isolated', 'leverage ETH/USDT 3']);
    await expect(applyVenueLeverage(venue, 'ETH/USDT', { leverage: 2.5, marginMode: 'cross' })).rejects.toThrow(
      "field \"leverage\" was 2.5: a venue sets whole leverages only: set the venue account's leverage to 2 or 3 on its page",
    );
    expect(calls).toHaveLength(2);
    await expect(applyVenueLeverage({}, 'ETH/USDT', { leverage: 2, marginMode: 'cross' })).rejects.toThrow('this venue client cannot set leverage or margin mode');
  });
});
