import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger, type ManualClock } from '../core/clock';
import { ExchangeError } from '../core/errors';
import type { Candle, CandleColumns } from '../core/types';
import { createPaperExchange } from '../execution/paper-exchange';
import type { Exchange, Order } from '../ports/exchange';
import { createRiskEngine, VALUE_AT_RISK_DEFAULTS, type RiskEngine } from '../risk/risk-engine';
import type { RiskStateRecord, RiskStateRepository } from '../ports/risk-state';
import { createAccountBook } from '../account/account-book';
import type { ClosedTrade } from '../loop/trading-loop';
import type { CandleRepository } from '../ports/candles';
import type { Logger } from '../core/logger';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
} from '../testing/in-memory-repositories';
import { clientIdPrefixOf, createLiveSession, type CandleFeed } from './live-session';
import type { OhlcvWatcher } from '../execution/ccxt-ohlcv-watcher';
import { createWatchingCandleFeed } from './watching-candle-feed';
import type { LiveCheckpoint, LiveCheckpointStore } from '../ports/live-sessions';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 700;

/** Synthetic five-minute candles (not market data): waves that make the MA crossover trade often. */
const waveSeries = (length: number): Candle[] => Array.from({ length }, (_, i) => {
  const close = 100 * (1 + 0.05 * Math.sin(i / 15) + 0.01 * Math.sin(i / 3));
  const open = i === 0 ? 100 : 100 * (1 + 0.05 * Math.sin((i - 1) / 15) + 0.01 * Math.sin((i - 1) / 3));
  return { openTimeMs: T0 + i * TF, open, high: Math.max(open, close) * 1.001, low: Math.min(open, close) * 0.999, close, volume: 1_000 };
});
const CANDLES = waveSeries(N);

/** A venue feed that serves every candle opened by now, including the still-forming one. */
function feedFor(clock: ManualClock, failures: { remaining: number; error: () => Error } = { remaining: 0, error: () => new Error('') }, candles: readonly Candle[] = CANDLES) {
  const calls: number[] = [];
  const feed: CandleFeed = {
    async fetchOhlcv(_symbol, _tf, sinceMs = 0, limit = 500) {
      calls.push(sinceMs);
      if (failures.remaining > 0) {
        failures.remaining--;
        throw failures.error();
      }
      return candles.filter((c) => c.openTimeMs >= sinceMs && c.openTimeMs <= clock.nowMs()).slice(0, limit);
    },
  };
  return { feed, calls };
}

function memoryCheckpoints(): LiveCheckpointStore & { saved: LiveCheckpoint[] } {
  const saved: LiveCheckpoint[] = [];
  return {
    saved,
    async load(id) {
      return [...saved].reverse().find((c) => c.sessionId === id) ?? null;
    },
    async save(c) {
      saved.push({ ...c });
    },
  };
}

function harness(opts: {
  startAt: number;
  stopAt: number;
  feed?: ReturnType<typeof feedFor>;
  checkpoints?: ReturnType<typeof memoryCheckpoints>;
  exchange?: ReturnType<typeof paperWithLog>;
  candles?: Pick<CandleRepository, 'insertCandles'>;
  logger?: Logger;
  /** Default 100; null leaves it to the session (max(300, the strategies' startup history)). */
  warmupCandles?: number | null;
  strategies?: { name: string; params: Record<string, unknown> }[];
  /** Default: a manual clock at `startAt`. */
  clock?: ManualClock;
  /** Default: the session's own risk engine and an in-memory store. */
  risk?: RiskEngine;
  riskState?: RiskStateRepository;
  featureRowsAhead?: number;
}) {
  const clock = opts.clock ?? createManualClock(opts.startAt);
  const { feed, calls } = opts.feed ?? feedFor(clock);
  const checkpoints = opts.checkpoints ?? memoryCheckpoints();
  const venue = opts.exchange ?? paperWithLog(clock);
  const sleeps: number[] = [];
  const trades: ClosedTrade[] = [];
  const session = createLiveSession(
    {
      id: 'live-btc',
      market: { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' },
      strategies: opts.strategies ?? [{ name: 'ma-crossover', params: { fastPeriod: 5, slowPeriod: 20 } }],
      fusion: { weights: Object.fromEntries((opts.strategies ?? [{ name: 'ma-crossover' }]).map((x) => [x.name, 1])), ttlMs: TF },
      decisionDetail: 'off',
      allowShort: false,
      ...(opts.warmupCandles === null ? {} : { warmupCandles: opts.warmupCandles ?? 100 }),
      ...(opts.featureRowsAhead === undefined ? {} : { featureRowsAhead: opts.featureRowsAhead }),
      pollIntervalMs: 60_000,
      backoff: { baseMs: 1_000, maxMs: 8_000 },
      pageSize: 50,
    },
    {
      clock,
      logger: opts.logger ?? silentLogger,
      feed,
      candles: opts.candles,
      exchange: venue.exchange,
      account: venue.paper,
      simulator: venue.simulator,
      risk: opts.risk ?? createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 90, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, accountId: 'live-btc' }, { clock }),
      riskState: opts.riskState ?? createInMemoryRiskStateRepository(),
      checkpoints,
      journal: null,
      veto: null,
      newId: () => 'id',
      async sleep(ms) {
        sleeps.push(ms);
        clock.advance(Math.max(ms, 1));
        if (clock.nowMs() >= opts.stopAt) queueMicrotask(() => void session.stop());
      },
      random: () => 1,
      onTradeClosedHook: (handler) => venue.onClosed.push((t) => {
        trades.push(t);
        handler(t);
      }),
    },
  );
  return { session, clock, calls, sleeps, checkpoints, trades, venue };
}

/** A paper venue that logs every order it created (unique ids) and every clientOrderId submitted. */
function paperWithLog(clock: ManualClock) {
  const onClosed: ((t: ClosedTrade) => void)[] = [];
  const paper = createPaperExchange(
    { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 2, slippageBps: 2, maxVolumeShare: 1 },
    { clock, listener: { onTradeClosed: (t) => onClosed.forEach((f) => f(t)) } },
  );
  const created = new Map<string, Order>();
  const submitted: string[] = [];
  const exchange: Exchange = {
    ...paper,
    async createOrder(request) {
      submitted.push(request.clientOrderId);
      const order = await paper.createOrder(request);
      created.set(order.id, order);
      return order;
    },
    cancelOrder: (id, symbol) => paper.cancelOrder(id, symbol),
  };
  // The venue lives through each candle once (a real venue keeps running while we are down).
  let lastSeenMs = -Infinity;
  const simulator = {
    symbolIndex: (symbol: string) => paper.symbolIndex(symbol),
    onCandleRow(index: number, candles: CandleColumns, row: number) {
      if (candles.openTimeMs[row] <= lastSeenMs) return;
      lastSeenMs = candles.openTimeMs[row];
      paper.onCandleRow(index, candles, row);
    },
  };
  return { paper, exchange, created, submitted, onClosed, simulator };
}

describe('live session', () => {
  it('processes every closed candle once, in order, never the forming one', async () => {
    // Start 5 s after candle 300 opened: candles 0..299 are closed, 300 is forming.
    const h = harness({ startAt: T0 + 300 * TF + 5_000, stopAt: T0 + 600 * TF + 5_000 });
    await h.session.start();
    expect(h.session.state().lastCandleMs).toBe(T0 + 299 * TF);
    await h.session.done();
    const state = h.session.state();
    expect(state.status).toBe('stopped');
    // Stop at 600*TF + 5 s: candle 599 closed at 600*TF, candle 600 is forming.
    expect(state.lastCandleMs).toBe(T0 + 599 * TF);
    expect(state.candlesProcessed).toBe(300);
    const times = h.checkpoints.saved.map((c) => c.lastCandleMs);
    expect(times).toEqual(Array.from({ length: 300 }, (_, k) => T0 + (300 + k) * TF));
    expect(h.trades.length).toBeGreaterThan(2);
  });

  it('trades the same over thousands of candles whether its feature columns keep every row or only its lookback', async () => {
    // 3,000 candles after 100 of warm-up: with 1 row ahead the loop keeps its lookback (1,024 rows at least)
    // and drops older rows about every candle; with 10 M rows it never drops one.
    const long = waveSeries(3_400);
    const run = async (featureRowsAhead: number) => {
      const clock = createManualClock(T0 + 300 * TF + 5_000);
      const h = harness({ startAt: clock.nowMs(), stopAt: T0 + 3_300 * TF + 5_000, featureRowsAhead, clock, feed: feedFor(clock, undefined, long) });
      await h.session.start();
      await h.session.done();
      expect(h.session.state().candlesProcessed).toBe(3_000);
      return h.trades.map((t) => [t.side, t.entryTimeMs, t.entryPrice, t.exitTimeMs, t.exitPrice, t.amount, t.realizedPnl, t.fees]);
    };
    const bounded = await run(1);
    expect(bounded.length).toBeGreaterThan(20);
    expect(bounded).toEqual(await run(10_000_000));
  });

  it("warms with 300 candles, or the strategies' startup history when it is longer", async () => {
    const key = { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' } as const;
    // Start 5 s after candle 600 opened: candles 0..599 are closed.
    const start = T0 + 600 * TF + 5_000;
    // ma-crossover(5, 20) needs 138 (ATR(14): 13 + 125) and the loop's risk ATR(14) 138: below 300, so 300 candles, 300..599.
    const standard = createInMemoryCandleRepository();
    const a = harness({ startAt: start, stopAt: start, candles: standard, warmupCandles: null });
    await a.session.start();
    await a.session.stop();
    expect(a.calls[0]).toBe(T0 + 300 * TF);
    expect(await standard.countCandles(key)).toBe(300);
    // ema-trend with EMA(100): ceil(ln 1e-4 / ln(99/101)) = ceil(9.2103 / 0.0200007) = ceil(460.5) = 461 candles, 139..599.
    const long = createInMemoryCandleRepository();
    const b = harness({ startAt: start, stopAt: start, candles: long, warmupCandles: null, strategies: [{ name: 'ema-trend', params: { period: 100 } }] });
    await b.session.start();
    await b.session.stop();
    expect(b.calls[0]).toBe(T0 + 139 * TF);
    expect(await long.countCandles(key)).toBe(461);
  });

  it('stores the warm-up and every processed closed candle, never the forming one', async () => {
    const candles = createInMemoryCandleRepository();
    // Warm-up reads the 100 candles up to 299 (200..299); polling processes 300..599; 600 is forming at the stop.
    const h = harness({ startAt: T0 + 300 * TF + 5_000, stopAt: T0 + 600 * TF + 5_000, candles });
    await h.session.start();
    await h.session.done();
    expect(h.session.state().candlesProcessed).toBe(300);
    const key = { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' } as const;
    expect(await candles.countCandles(key)).toBe(400);
    const stored = await candles.loadCandles(key, 0, Number.MAX_SAFE_INTEGER);
    const expected = CANDLES.slice(200, 600);
    expect(Array.from(stored.openTimeMs)).toEqual(expected.map((c) => c.openTimeMs));
    expect(Array.from(stored.open)).toEqual(expected.map((c) => c.open));
    expect(Array.from(stored.high)).toEqual(expected.map((c) => c.high));
    expect(Array.from(stored.low)).toEqual(expected.map((c) => c.low));
    expect(Array.from(stored.close)).toEqual(expected.map((c) => c.close));
    expect(Array.from(stored.volume)).toEqual(expected.map((c) => c.volume));
    expect(stored.openTimeMs.includes(T0 + 600 * TF)).toBe(false);
  });

  it('logs a failed candle write and keeps trading', async () => {
    const warnings: { obj: object; msg?: string }[] = [];
    const logger: Logger = { ...silentLogger, warn: (obj, msg) => warnings.push({ obj, msg }) };
    let attempts = 0;
    const failing: Pick<CandleRepository, 'insertCandles'> = {
      async insertCandles() {
        attempts++;
        throw new Error('connection refused');
      },
    };
    const h = harness({ startAt: T0 + 300 * TF + 5_000, stopAt: T0 + 310 * TF + 5_000, candles: failing, logger });
    await h.session.start();
    await h.session.done();
    // Same candles processed as without storage: 300..309, one checkpoint each.
    expect(h.session.state()).toMatchObject({ status: 'stopped', candlesProcessed: 10, lastCandleMs: T0 + 309 * TF, reconnects: 0 });
    expect(h.checkpoints.saved.map((c) => c.lastCandleMs)).toEqual(Array.from({ length: 10 }, (_, k) => T0 + (300 + k) * TF));
    // One write for the warm-up, one per polled batch (one closed candle per wake-up here).
    expect(attempts).toBe(11);
    expect(warnings).toHaveLength(11);
    expect(warnings[0].msg).toBe('storing polled candles failed; the session keeps trading');
    expect(warnings[0].obj).toMatchObject({ session: 'live-btc', fromMs: T0 + 200 * TF, toMs: T0 + 299 * TF, count: 100 });
  });

  it('reconnects with exponential backoff and then backfills every missed candle', async () => {
    const failures = { remaining: 0, error: () => new ExchangeError('retryable', 'ECONNRESET') as Error };
    const startAt = T0 + 200 * TF + 1_000;
    let h!: ReturnType<typeof harness>;
    const clockProxy = { nowMs: () => h.clock.nowMs() } as ManualClock;
    const feed = feedFor(clockProxy, failures);
    h = harness({ startAt, stopAt: T0 + 230 * TF, feed });
    await h.session.start();
    failures.remaining = 3;
    await h.session.done();
    // Jitter factor is 0.5 + random/2 = 1 with random() = 1: delays are exactly 1 s, 2 s, 4 s.
    const firstBackoff = h.sleeps.indexOf(1_000);
    expect(h.sleeps.slice(firstBackoff, firstBackoff + 3)).toEqual([1_000, 2_000, 4_000]);
    expect(h.session.state().reconnects).toBe(3);
    const processed = h.checkpoints.saved.map((c) => c.lastCandleMs);
    expect(processed[0]).toBe(T0 + 200 * TF);
    for (let k = 1; k < processed.length; k++) expect(processed[k] - processed[k - 1]).toBe(TF);
    expect(processed.at(-1)).toBe(T0 + 228 * TF);
  });

  it('resumes after a crash from its checkpoint without duplicating an order', async () => {
    const checkpoints = memoryCheckpoints();
    let first!: ReturnType<typeof harness>;
    const clockA = { nowMs: () => first.clock.nowMs() } as ManualClock;
    first = harness({ startAt: T0 + 150 * TF + 1_000, stopAt: T0 + 450 * TF, feed: feedFor(clockA), checkpoints });
    await first.session.start();
    await first.session.done();
    const ordersBefore = first.venue.created.size;
    expect(ordersBefore).toBeGreaterThan(2);
    // Crash: the checkpoints from 10 candles before the last order on never reached the store, so the
    // orders of those candles were placed but the session does not know it.
    const lastOrderCloseMs = Number(first.venue.submitted.at(-1)!.split('-').at(-1));
    const lostFrom = lastOrderCloseMs - TF - 10 * TF;
    const kept = checkpoints.saved.filter((c) => c.lastCandleMs < lostFrom);
    checkpoints.saved.splice(0, checkpoints.saved.length, ...kept);
    const resumeAfter = checkpoints.saved.at(-1)!.lastCandleMs;

    let second!: ReturnType<typeof harness>;
    const clockB = { nowMs: () => second.clock.nowMs() } as ManualClock;
    // Same venue (it kept its orders), same session id, restarted at the crash time.
    second = harness({ startAt: first.clock.nowMs(), stopAt: first.clock.nowMs() + 1, feed: feedFor(clockB), checkpoints, exchange: first.venue });
    await second.session.start();
    expect(second.session.state().lastCandleMs).toBe(resumeAfter);
    const submittedBefore = first.venue.submitted.length;
    await second.session.done();
    // The replayed candles created no new order at the venue.
    const end = second.session.state();
    expect(end.candlesProcessed).toBe((end.lastCandleMs! - resumeAfter) / TF);
    expect(end.candlesProcessed).toBeGreaterThanOrEqual(11);
    expect(first.venue.created.size).toBe(ordersBefore);
    // Any order the replay did submit reused a client id the venue already knew.
    const replayed = first.venue.submitted.slice(submittedBefore);
    expect(replayed.every((id) => first.venue.submitted.indexOf(id) < submittedBefore)).toBe(true);
  });

  it('resumes a paper account stored a candle behind its checkpoint after what the account settled, so that candle is not lost', async () => {
    // Session A trades a paper account (the simulator is the account's own exchange); after each candle its checkpoint is
    // stored, then the account's state: keep both per candle.
    const states = new Map<number, ReturnType<ReturnType<typeof createPaperExchange>['exportState']>>();
    const recorded = memoryCheckpoints();
    let venueA!: ReturnType<typeof paperWithLog>;
    const checkpoints: typeof recorded = {
      ...recorded,
      async save(c) {
        await recorded.save(c);
        states.set(c.lastCandleMs, structuredClone(venueA.paper.exportState()));
      },
    };
    let first!: ReturnType<typeof harness>;
    const clockA = { nowMs: () => first.clock.nowMs() } as ManualClock;
    venueA = paperWithLog(clockA);
    first = harness({ startAt: T0 + 150 * TF + 1_000, stopAt: T0 + 450 * TF, feed: feedFor(clockA), checkpoints, exchange: { ...venueA, simulator: venueA.paper } });
    await first.session.start();
    await first.session.done();
    // A candle whose settling moved the wallet (a fill and its fee).
    const times = [...states.keys()].sort((a, b) => a - b);
    const k = times.findIndex((t, i) => i > 0 && states.get(t)!.wallet !== states.get(times[i - 1])!.wallet);
    expect(k).toBeGreaterThan(0);
    const lostMs = times[k];
    // The stop came between candle `lostMs`'s checkpoint and its account write: the account as stored is the one before it.
    recorded.saved.splice(recorded.saved.findIndex((c) => c.lastCandleMs === lostMs) + 1);
    let second!: ReturnType<typeof harness>;
    const clockB = { nowMs: () => second.clock.nowMs() } as ManualClock;
    const venueB = paperWithLog(clockB);
    venueB.paper.restoreState(structuredClone(states.get(times[k - 1])!));
    // Restarted right after the lost candle closed, for that candle alone.
    second = harness({ startAt: lostMs + TF + 1_000, stopAt: lostMs + TF + 2_000, feed: feedFor(clockB), checkpoints: recorded, exchange: { ...venueB, simulator: venueB.paper } });
    await second.session.start();
    expect(second.session.state().lastCandleMs).toBe(times[k - 1]);
    await second.session.done();
    expect(second.session.state()).toMatchObject({ lastCandleMs: lostMs, candlesProcessed: 1 });
    // The candle was traded again: the account holds what session A's held after it, wallet, fees and position alike
    // (order times are the restarted process's clock, and the protective stop's ATR, warmed on less history, differs in
    // the 7th digit).
    const [a, b] = [states.get(lostMs)!, venueB.paper.exportState()];
    expect(b.wallet).toBe(a.wallet);
    expect(b.wallet).not.toBe(states.get(times[k - 1])!.wallet);
    expect(b.orders.map((o) => [o.clientOrderId, o.type, o.status, o.amount, o.filled, o.fee])).toEqual(a.orders.map((o) => [o.clientOrderId, o.type, o.status, o.amount, o.filled, o.fee]));
    expect(b.symbols.map((x) => [x.symbol, x.amountSigned, x.feesPaid, x.lastOpenTimeMs])).toEqual(a.symbols.map((x) => [x.symbol, x.amountSigned, x.feesPaid, x.lastOpenTimeMs]));
  });

  it('halts with the reason on a fatal venue error', async () => {
    let h!: ReturnType<typeof harness>;
    const failures = { remaining: 0, error: () => new ExchangeError('fatal', 'invalid API key (-2015)') as Error };
    const feed = feedFor({ nowMs: () => h.clock.nowMs() } as ManualClock, failures);
    h = harness({ startAt: T0 + 200 * TF + 1_000, stopAt: T0 + 300 * TF, feed });
    await h.session.start();
    failures.remaining = 1;
    await h.session.done();
    expect(h.session.state()).toMatchObject({ status: 'halted', lastError: 'invalid API key (-2015)' });
  });

  /**
   * A session trading the default account of an account book (its risk saves are compare-and-sets) meets
   * a fatal venue error at candle 205 while an operator in another process writes to the account at that
   * same moment (after the session's last read, before its halt save). Returns what is stored before the
   * operator's write and after the session ended.
   */
  async function fatalErrorDuringOperatorWrite(operator: (web: Awaited<ReturnType<ReturnType<typeof createAccountBook>['runtime']>>) => Promise<void>) {
    const stores = {
      riskState: createInMemoryRiskStateRepository(),
      settings: createInMemorySettingsRepository(),
      candles: createInMemoryCandleRepository(),
    };
    const accounts = createInMemoryAccountRepository(stores.riskState);
    const clock = createManualClock(T0 + 200 * TF + 1_000);
    const limits = { maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 90, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, feeRateBps: 0, ...VALUE_AT_RISK_DEFAULTS };
    const book = () => createAccountBook({ clock, logger: silentLogger, accounts, ...stores, defaultRiskLimits: async () => ({ ...limits }) });
    await book().ensureDefault({ name: 'Paper', marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 });
    const trader = await book().runtime('default');
    const venue = feedFor(clock);
    let before: RiskStateRecord | null = null;
    let failedAtMs = NaN;
    const feed: CandleFeed = {
      async fetchOhlcv(...args) {
        if (clock.nowMs() < T0 + 205 * TF || Number.isFinite(failedAtMs)) return venue.feed.fetchOhlcv(...args);
        failedAtMs = clock.nowMs();
        before = await stores.riskState.load('default');
        await operator(await book().runtime('default'));
        throw new ExchangeError('fatal', 'invalid API key (-2015)');
      },
    };
    const h = harness({ startAt: clock.nowMs(), stopAt: T0 + 300 * TF, clock, feed: { feed, calls: venue.calls }, risk: trader.risk.engine(), riskState: trader.riskStore });
    await h.session.start();
    await h.session.done();
    expect(h.session.state()).toMatchObject({ status: 'halted', lastError: 'invalid API key (-2015)' });
    return { before: before as RiskStateRecord | null, after: await stores.riskState.load('default'), failedAtMs };
  }

  it('stores its own halt after a fatal venue error when an operator resumed the account at that moment', async () => {
    const { before, after, failedAtMs } = await fatalErrorDuringOperatorWrite(async (web) => {
      await web.risk.halt('audit', 10_000);
      await web.risk.resume(10_000);
    });
    // The session stored its candles' risk state at version 1; the operator's halt and resume made it 3
    // (the resume cleared day start and peak for a re-base at the next equity).
    expect(before).toMatchObject({ halted: false, haltVersion: 1 });
    expect(failedAtMs).toBe(T0 + 205 * TF);
    expect(after).toEqual({
      ...before,
      dayStartMs: 0,
      peakEquity: 0,
      halted: true,
      haltReason: 'manual: venue error: invalid API key (-2015)',
      haltedAtMs: T0 + 205 * TF,
      updatedAtMs: T0 + 205 * TF,
      haltVersion: 4,
    });
  });

  it('keeps an operator halt written at the moment of its fatal venue error, with the operator reason', async () => {
    const { before, after } = await fatalErrorDuringOperatorWrite(async (web) => {
      await web.risk.halt('audit', 10_000);
    });
    expect(after).toEqual({ ...before, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 205 * TF, updatedAtMs: T0 + 205 * TF, haltVersion: 2 });
  });

  it('trades the same candles and orders on a websocket feed that fails for a while as on polling, processing each candle once', async () => {
    const startAt = T0 + 300 * TF + 5_000;
    const stopAt = T0 + 450 * TF + 5_000;
    const baseline = harness({ startAt, stopAt });
    await baseline.session.start();
    await baseline.session.done();

    const clock = createManualClock(startAt);
    const polling = feedFor(clock);
    const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
    // REST answers after a network round trip (a macrotask), so the socket gets its turns meanwhile.
    const rest: CandleFeed = { fetchOhlcv: async (...args) => (await macrotask(), polling.feed.fetchOhlcv(...args)) };
    // The socket: at each new clock time, the candle closed last (final values) and the forming one with other
    // values (close + 50), so a forming candle reaching the loop would change the trades; down for candles 360..369.
    let sentAtMs = -1;
    const watcher: OhlcvWatcher = {
      async watchOhlcv() {
        while (clock.nowMs() === sentAtMs) await macrotask();
        sentAtMs = clock.nowMs();
        if (sentAtMs >= T0 + 360 * TF && sentAtMs < T0 + 370 * TF) throw new ExchangeError('retryable', 'socket closed');
        const k = Math.floor((sentAtMs - T0) / TF);
        return [CANDLES[k - 1], { ...CANDLES[k], close: CANDLES[k].close + 50 }];
      },
      close: async () => undefined,
    };
    const logs: string[] = [];
    const logger: Logger = { ...silentLogger, info: (_o, msg) => void logs.push(`info ${msg}`), warn: (_o, msg) => void logs.push(`warn ${msg}`) };
    const feed = createWatchingCandleFeed(
      { graceMs: 1_000, backoff: { baseMs: 1, maxMs: 4 } },
      // Backoff and grace last one macrotask here: the manual clock, not real time, paces the session.
      { rest, watcher, clock, logger, sleep: macrotask, random: () => 1 },
    );
    const stored = createInMemoryCandleRepository();
    const h = harness({ startAt, stopAt, clock, feed: { feed, calls: polling.calls }, candles: stored, logger });
    await h.session.start();
    await h.session.done();
    await feed.close();

    expect(h.session.state()).toMatchObject({ status: 'stopped', candlesProcessed: 150, lastCandleMs: T0 + 449 * TF });
    expect(h.checkpoints.saved.map((c) => c.lastCandleMs)).toEqual(Array.from({ length: 150 }, (_, k) => T0 + (300 + k) * TF));
    // The same orders and trades as polling (three orders, one round trip): no candle twice, no forming candle.
    expect(baseline.venue.submitted).toHaveLength(3);
    expect(baseline.trades).toHaveLength(1);
    expect(h.venue.submitted).toEqual(baseline.venue.submitted);
    expect(h.trades.map((t) => [t.entryTimeMs, t.exitTimeMs, t.realizedPnl])).toEqual(baseline.trades.map((t) => [t.entryTimeMs, t.exitTimeMs, t.realizedPnl]));
    const key = { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' } as const;
    expect(Array.from((await stored.loadCandles(key, T0 + 300 * TF, T0 + 450 * TF)).close)).toEqual(CANDLES.slice(300, 450).map((c) => c.close));
    // REST answered the warm-up (two pages of 50 from candle 200) and the outage: 359, which the socket went down
    // before closing, to 369; the socket answered 300..358 and 370..449.
    expect(polling.calls.map((sinceMs) => (sinceMs - T0) / TF)).toEqual([200, 250, ...Array.from({ length: 11 }, (_, k) => 359 + k)]);
    // Polling alone asks once per candle after its warm-up: 2 + 150.
    expect(baseline.calls).toHaveLength(152);
    expect(logs).toContain('warn candle websocket failed; polling over REST until it recovers');
    expect(logs).toContain('info candle websocket recovered; candles come from the websocket again');
  });
});

describe('client order id prefix of a session', () => {
  it('keeps a short session id and hashes a long one so every client id fits Binance\'s 36 characters', () => {
    expect(clientIdPrefixOf('live-btc')).toBe('live-btc');
    expect(clientIdPrefixOf('x'.repeat(16))).toBe('x'.repeat(16));
    // 32-bit FNV-1a of the UTF-8 bytes (computed independently with Python; the same scheme gives
    // 0xe40c292c for "a", the published FNV-1a test vector).
    const long = clientIdPrefixOf('live:binanceusdm:BTC/USDT:5m');
    expect(long).toBe('ls-1dd0f19a');
    expect(clientIdPrefixOf('live:binanceusdm:BTC/USDT:1m')).toBe('ls-1ddb7ef6');
    expect(`${long}-entry-${Date.UTC(2024, 0, 1)}`).toHaveLength(31);
  });
});
