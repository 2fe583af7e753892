import { describe, expect, it } from 'vitest';
import { createEngine } from '../engine';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { DecisionRecord, JournalRepository, TradeRecord, TradeSummary } from '../ports/journal';
import { createAccountBook } from '../account/account-book';
import type { AccountSettingsInput } from '../account/account-config';
import { createJournalWriter } from '../journal/journal-writer';
import {
  createInMemoryAccountRepository,
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { defaultTradingSettings } from '../settings/trading-settings';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';

const BUILT_INS = createBuiltInCatalog();

const M5 = 300_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00Z
const KEY = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } as const;

/** 12 five-minute candles: open 100 + i, high open + 2, low open - 1, close open + 1, volume i + 1. */
const rows = Array.from({ length: 12 }, (_, i) => ({ openTimeMs: T0 + i * M5, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: i + 1 }));

/** The default account of these tests: a 10,000 USDT spot wallet without fee, spread or slippage. */
const FREE_PAPER: AccountSettingsInput = { name: 'Paper', marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 };

/** Stores two engines ("processes") share: risk state, settings and the account repository. */
function sharedStores() {
  const riskState = createInMemoryRiskStateRepository();
  return { riskState, settings: createInMemorySettingsRepository(), accounts: createInMemoryAccountRepository(riskState) };
}

async function setup(
  shared?: ReturnType<typeof sharedStores>,
  options: { wrapJournal?: (journal: JournalRepository) => JournalRepository; overviewStatsTtlMs?: number; account?: AccountSettingsInput } = {},
) {
  const clock = createManualClock(T0 + 12 * M5);
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(KEY, toColumns(rows));
  const journal = createInMemoryJournalRepository();
  const stores = shared ?? sharedStores();
  const { riskState, settings } = stores;
  let n = 0;
  const newId = () => `id-${++n}`;
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: stores.accounts,
    riskState,
    settings,
    candles,
    defaultRiskLimits: async () => defaultTradingSettings(BUILT_INS).risk,
    journal: createJournalWriter({ batchSize: 100 }, { repository: journal, logger: silentLogger }),
    newId,
  });
  await accounts.ensureDefault(options.account ?? FREE_PAPER);
  const runtime = await accounts.runtime('default');
  const exchange = runtime.exchange();
  const engine = createEngine(
    {
      clock,
      logger: silentLogger,
      candles,
      journal: options.wrapJournal ? options.wrapJournal(journal) : journal,
      riskState,
      backtestRuns: createInMemoryBacktestRunRepository(),
      overviewStatsTtlMs: options.overviewStatsTtlMs,
      newId,
      exchange,
      account: { exchange, marketType: 'spot', marginMode: 'cross' },
      accounts,
      settings,
    },
    { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
  );
  return { engine, journal, riskState, settings, exchange, clock, stores };
}

describe('engine.candleWindow', () => {
  it('returns the stored candles when they fit the budget', async () => {
    const { engine } = await setup();
    const w = await engine.candleWindow(KEY, T0 + M5, T0 + 3 * M5, 100);
    expect(w.bucketMs).toBe(M5);
    expect(w.candles).toEqual([rows[1], rows[2]]);
    expect(w.stream).toEqual({ firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 11 * M5, count: 12 });
  });

  it('aggregates a wide range into coarser buckets with exact OHLCV', async () => {
    const { engine } = await setup();
    // 12 candles into 4 points: ceil(12 / 2) = 6 -> 30-minute buckets
    const w = await engine.candleWindow(KEY, T0, T0 + 12 * M5, 4);
    expect(w.bucketMs).toBe(6 * M5);
    expect(w.candles).toEqual([
      { openTimeMs: T0, open: 100, high: 107, low: 99, close: 106, volume: 1 + 2 + 3 + 4 + 5 + 6 },
      { openTimeMs: T0 + 6 * M5, open: 106, high: 113, low: 105, close: 112, volume: 7 + 8 + 9 + 10 + 11 + 12 },
    ]);
  });

  it('names the field of a bad request', async () => {
    const { engine } = await setup();
    await expect(engine.candleWindow({ ...KEY, timeframe: '7m' as '5m' }, T0, T0 + M5, 10)).rejects.toThrow('field "timeframe" was "7m"');
    await expect(engine.candleWindow(KEY, T0, T0 - 1, 10)).rejects.toThrow('field "toMs"');
  });
});

describe('engine trading settings', () => {
  it('returns the defaults until something is saved', async () => {
    const { engine } = await setup();
    const s = await engine.getTradingSettings();
    expect(s.strategy).toEqual(defaultTradingSettings(BUILT_INS).strategy);
    expect(s.updated).toEqual({ strategy: null, risk: null });
  });

  it('writes nothing when any field is invalid and returns every field error', async () => {
    const { engine, settings } = await setup();
    const strategy = { ...defaultTradingSettings(BUILT_INS).strategy, cooldownMs: 1.5 };
    const risk = { ...defaultTradingSettings(BUILT_INS).risk, maxDrawdownPct: -5 };
    const result = await engine.updateTradingSettings({ strategy, risk }, 'admin@example.test');
    expect(result).toEqual({
      ok: false,
      fieldErrors: { 'strategy.cooldownMs': ['expected whole milliseconds'], 'risk.maxDrawdownPct': ['Too small: expected number to be >0'] },
    });
    expect(settings.rows.size).toBe(0);
  });

  it("stores a risk group as the default account's limits with its author and reconfigures the account's risk engine", async () => {
    const { engine, settings, clock, stores } = await setup();
    const risk = { ...defaultTradingSettings(BUILT_INS).risk, dailyLossLimitPct: 3 };
    const result = await engine.updateTradingSettings({ risk }, 'admin@example.test');
    expect(result.ok).toBe(true);
    expect(await stores.accounts.get('default')).toMatchObject({ riskLimits: risk, updatedAtMs: clock.nowMs(), updatedBy: 'admin@example.test' });
    // one owner: the risk group is not written under the legacy settings key
    expect(settings.rows.has('trading.risk')).toBe(false);
    const status = await engine.riskStatus();
    expect(status.limits.dailyLossLimitPct).toBe(3);
    // equity 10,000 at the day start: trips at 9,700
    expect(status.breakers[0]).toMatchObject({ name: 'daily_loss', tripEquity: 9_700, headroomPct: 3, headroomEquity: 300 });
  });
});

describe('engine halt and resume', () => {
  it('persists a manual halt so a new engine over the same store is halted, then resumes', async () => {
    const first = await setup();
    const halted = await first.engine.halt('  exchange maintenance ');
    expect(halted).toMatchObject({ halted: true, haltReason: 'manual: exchange maintenance', haltedAtMs: T0 + 12 * M5, equity: 10_000 });
    expect(first.riskState.saved.get('default')).toMatchObject({ halted: true, dayStartEquity: 10_000, peakEquity: 10_000, dayStartMs: T0 });

    const second = await setup(first.stores);
    expect((await second.engine.riskStatus()).halted).toBe(true);
    const denied = await second.engine.whatIf({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 95 });
    expect(denied).toMatchObject({ approved: false, reason: 'halted: manual: exchange maintenance' });
    expect(await second.engine.resume()).toMatchObject({ halted: false, haltReason: null });
    expect(first.riskState.saved.get('default')?.halted).toBe(false);
  });

  it('needs a reason to halt', async () => {
    const { engine } = await setup();
    await expect(engine.halt(' ')).rejects.toThrow('field "reason" was " ": give a reason for the halt');
  });
});

describe('engine.overview', () => {
  it('shows the empty account before anything has traded', async () => {
    const { engine } = await setup();
    const o = await engine.overview();
    expect(o.equity).toBe(10_000);
    expect(o.equitySource).toBe('trades');
    expect(o.equityCurve).toEqual([{ timeMs: T0 + 12 * M5, equity: 10_000, drawdownPct: 0 }]);
    expect(o.metrics.trades).toBe(0);
    expect(o.positions).toEqual([]);
    expect(o.valueAtRisk).toEqual({ status: 'flat', confidence: 0.99, lookbackCandles: 500 });
    expect(o.decisions).toEqual([]);
    expect(o.risk.halted).toBe(false);
    expect(o.risk.breakers.map((b) => [b.name, b.headroomPct])).toEqual([
      ['daily_loss', 5],
      ['max_drawdown', 25],
    ]);
  });

  it("counts the default account's session trades only and reports the open position with its unrealised PnL", async () => {
    const { engine, journal, exchange } = await setup();
    const t = (id: string, runId: string | null, accountId?: string): TradeRecord => ({
      id, runId, ...(accountId ? { accountId } : {}), exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ma-crossover', side: 'long', amount: 1,
      entryPrice: 100, exitPrice: 110, entryTimeMs: T0, exitTimeMs: T0 + M5, realizedPnl: 10, fees: 0, funding: 0, exitReason: 'signal',
    });
    // A session of another account and a backtest traded too: neither is this account's.
    await journal.appendTrades([t('live', null, 'default'), t('desk', null, 'desk'), t('backtest', 'run-1')]);
    const decision = (id: string, accountId: string | null): DecisionRecord => ({
      id, runId: null, ...(accountId ? { accountId } : {}), exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategy: 'ma-crossover',
      timeMs: T0 + 10 * M5, outcome: 'no_trade', side: 'flat', strength: 0, reason: 'flat', inputs: {},
    });
    await journal.appendDecisions([decision('d-default', 'default'), decision('d-desk', 'desk'), decision('d-webhook', null)]);
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 111, 113, 110, 112, 1_000);
    await exchange.createOrder({ clientOrderId: 'c1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 2 });
    exchange.onCandle('BTC/USDT', T0 + 12 * M5, 112, 116, 111, 115, 1_000);
    const o = await engine.overview();
    expect(o.metrics.trades).toBe(1);
    expect(o.metrics.winRatePct).toBe(100);
    expect(o.decisions.map((d) => d.id)).toEqual(['d-default']);
    // bought 2 at 112, marked at 115
    expect(o.positions).toEqual([{ symbol: 'BTC/USDT', side: 'long', amount: 2, entryPrice: 112, markPrice: 115, unrealizedPnl: 6, liquidationPrice: NaN }]);
    expect(o.equity).toBe(10_006);
    // VaR of long 2 at 115 (notional 230) over the 11 stored 5m returns (101+i)/(100+i) - 1 = 1/(100+i), i = 1..11, all
    // gains: at 99 %, k = max(1, ceil(11 x 0.01)) = 1, the smallest gain 230/111, so VaR = ES = -230/111 (a gain).
    expect(o.valueAtRisk).toMatchObject({ status: 'ok', timeframe: '5m', scenarios: 11, quantileRank: 1, tailCount: 1, lookbackCandles: 500 });
    if (o.valueAtRisk.status !== 'ok') throw new Error('expected figures');
    expect(o.valueAtRisk.valueAtRisk).toBeCloseTo(-230 / 111, 12);
    expect(o.valueAtRisk.expectedShortfall).toBeCloseTo(-230 / 111, 12);
    expect(o.valueAtRisk.varFraction).toBeCloseTo(-230 / 111 / 10_006, 14);
  });
});

describe('engine.overview with a long journal', () => {
  const MIN = 60_000;
  const liveTrade = (id: string, entryTimeMs: number, exitTimeMs: number, realizedPnl: number): TradeRecord => ({
    id, runId: null, accountId: 'default', exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ma-crossover', side: 'long', amount: 1,
    entryPrice: 100, exitPrice: 100 + realizedPnl, entryTimeMs, exitTimeMs, realizedPnl, fees: 0, funding: 0, exitReason: 'signal',
  });

  it('summarises 100,000 live trades without loading them into arrays of the overview', async () => {
    const { engine, journal } = await setup();
    // trade i: entry START + 15 min x i, open 10 min, net +2 (even i) or -1 (odd i); the last exits at T0 - 5 min
    const START = T0 - 100_000 * 15 * MIN;
    const batch: TradeRecord[] = [];
    for (let i = 0; i < 100_000; i++) batch.push(liveTrade(`t${i}`, START + i * 15 * MIN, START + i * 15 * MIN + 10 * MIN, i % 2 === 0 ? 2 : -1));
    await journal.appendTrades(batch);
    const o = await engine.overview();
    expect(o.metrics.trades).toBe(100_000);
    expect(o.metrics.winRatePct).toBe(50);
    // average trade (50,000 x 2 - 50,000) / 100,000 = 0.5 over |average loss| 1
    expect(o.metrics.expectancy).toBe(0.5);
    // 100,000 x 10 min open out of the 1,500,000 min before T0 plus the hour to now (T0 + 12 x 5 min)
    expect(o.metrics.exposurePct).toBeCloseTo((1_000_000 / 1_500_060) * 100, 10);
    // notional 100,000 x 1 x 100 / 10,000
    expect(o.metrics.turnover).toBe(1_000);
    // START is 1041 2/3 days before T0: exits on 1042 UTC days, all over before now -> start + 1042 + now
    expect(o.equityCurve).toHaveLength(1_044);
    expect(o.equityCurve[1_042]).toEqual({ timeMs: T0 - 1, equity: 10_000 + 50_000, drawdownPct: 0 });
    // the paper account still holds 10,000 (the journal was filled by hand): 50,000 below the 60,000 peak
    expect(o.metrics.maxDrawdownPct).toBeCloseTo((-50_000 / 60_000) * 100, 10);
    expect(o.statsAsOfMs).toBe(T0 + 12 * M5);
  });

  /** The in-memory journal with summarizeTrades counted and held until the test releases it. */
  function gatedJournal() {
    const calls: { release: () => void; fail: (e: Error) => void }[] = [];
    const wrap = (inner: JournalRepository): JournalRepository => ({
      ...inner,
      summarizeTrades(filter) {
        return new Promise<TradeSummary>((resolve, reject) => {
          calls.push({ release: () => void inner.summarizeTrades(filter).then(resolve, reject), fail: reject });
        });
      },
    });
    return { calls, wrap };
  }

  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('shares one summary between concurrent overviews and reuses it for 15 s', async () => {
    const gate = gatedJournal();
    const { engine, journal, clock } = await setup(undefined, { wrapJournal: gate.wrap });
    await journal.appendTrades([liveTrade('a', T0, T0 + M5, 10)]);
    const first = engine.overview();
    const second = engine.overview();
    await tick();
    expect(gate.calls).toHaveLength(1);
    gate.calls[0].release();
    const [a, b] = await Promise.all([first, second]);
    expect([a.metrics.trades, b.metrics.trades]).toEqual([1, 1]);
    expect([a.statsAsOfMs, b.statsAsOfMs]).toEqual([T0 + 12 * M5, T0 + 12 * M5]);

    // just under 15 s later the cached summary is still used: the new trade is not counted yet, and the payload says so
    await journal.appendTrades([liveTrade('b', T0 + M5, T0 + 2 * M5, -5)]);
    clock.advance(14_999);
    const cached = await engine.overview();
    expect(gate.calls).toHaveLength(1);
    expect(cached.metrics.trades).toBe(1);
    expect(cached.asOfMs).toBe(T0 + 12 * M5 + 14_999);
    expect(cached.statsAsOfMs).toBe(T0 + 12 * M5);

    // from 15 s the stale summary still answers at once while a fresh one is computed for the next call
    clock.advance(1);
    const stale = await engine.overview();
    expect(stale.metrics.trades).toBe(1);
    expect(stale.statsAsOfMs).toBe(T0 + 12 * M5);
    await tick();
    expect(gate.calls).toHaveLength(2);
    const alsoStale = await engine.overview(); // shares the computation under way
    expect(alsoStale.statsAsOfMs).toBe(T0 + 12 * M5);
    expect(gate.calls).toHaveLength(2);
    gate.calls[1].release();
    await tick();
    const f = await engine.overview();
    expect(f.metrics.trades).toBe(2);
    expect(f.metrics.winRatePct).toBe(50);
    expect(f.statsAsOfMs).toBe(T0 + 12 * M5 + 15_000);
    expect(gate.calls).toHaveLength(2);
  });

  it('does not keep a failed summary, and with a TTL of 0 starts a new computation on every call', async () => {
    const gate = gatedJournal();
    const { engine } = await setup(undefined, { wrapJournal: gate.wrap, overviewStatsTtlMs: 0 });
    const failing = engine.overview();
    await tick();
    gate.calls[0].fail(new Error('database down'));
    await expect(failing).rejects.toThrow('database down');
    // nothing was cached, so the next call waits for a new computation
    const retried = engine.overview();
    await tick();
    expect(gate.calls).toHaveLength(2);
    gate.calls[1].release();
    expect((await retried).metrics.trades).toBe(0);
    // with TTL 0 the last summary answers at once and each call starts the next computation
    await engine.overview();
    await tick();
    expect(gate.calls).toHaveLength(3);
    gate.calls[2].fail(new Error('database down again'));
    await tick();
    const afterFailure = await engine.overview(); // a failed refresh keeps the last good summary
    expect(afterFailure.metrics.trades).toBe(0);
    await tick();
    expect(gate.calls).toHaveLength(4);
    gate.calls[3].release();
  });

  it('names a bad TTL', async () => {
    await expect(setup(undefined, { overviewStatsTtlMs: -1 })).rejects.toThrow('field "overviewStatsTtlMs" was -1');
  });
});

describe('engine.placePaperOrder', () => {
  it('sizes through the risk engine, fills the entry, rests a stop and journals an executed decision', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    const result = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 95 }, 'trader@example.test');
    // default risk: 1 % of 10,000 = 100 at risk; this paper account has no fee, spread or slippage: 100 / (100 - 95) = 20
    expect(result.outcome).toBe('placed');
    expect(result.whatIf.amount).toBe(20);
    expect(result.entry).toMatchObject({ status: 'filled', averagePrice: 100 });
    expect(result.stop).toMatchObject({ type: 'stop', stopPrice: 95, reduceOnly: true, status: 'new' });
    const markers = await engine.chartMarkers({ key: KEY, fromMs: T0, toMs: T0 + 13 * M5, accountId: 'default' });
    expect(markers.stops).toEqual([{ orderId: result.stop?.id, side: 'sell', stopPrice: 95, amount: result.entry?.amount }]);
    // Every account's view draws no account's stops.
    expect((await engine.chartMarkers({ key: KEY, fromMs: T0, toMs: T0 + 13 * M5 })).stops).toEqual([]);
    expect(markers.decisions).toEqual([
      { id: result.decisionId, timeMs: T0 + 12 * M5, outcome: 'executed', side: 'long', reason: 'manual long by trader@example.test', stopPrice: 95 },
    ]);
  });

  it("sizes with the account's fee model so the loss at the stop is the 1 % budget", async () => {
    const { engine, exchange } = await setup(undefined, { account: { ...FREE_PAPER, takerFeeBps: 10, spreadBps: 4, slippageBps: 3 } });
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    const result = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 95 }, 'trader@example.test');
    // adverse move per fill: 4 / 2 + 3 = 5 bps -> entry fill 100.05, stop fill 95 x 0.9995 = 94.95250
    // loss per unit: 100.05 - 94.9525 + 0.001 x (100.05 + 94.9525) = 5.0975 + 0.1950025 = 5.2925025
    const amount = 100 / 5.2925025;
    expect(result.outcome).toBe('placed');
    expect(result.whatIf.amount).toBeCloseTo(amount, 9);
    expect(result.entry?.averagePrice).toBeCloseTo(100.05, 9);
    // taker fee 10 bps of the entry notional
    expect(result.entry?.fee).toBeCloseTo(amount * 100.05 * 0.001, 9);
    expect(result.stop).toMatchObject({ type: 'stop', stopPrice: 95, reduceOnly: true, status: 'new' });
    expect(result.stop?.amount).toBeCloseTo(amount, 9);
  });

  it('journals a denial and sends nothing when risk says no', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    const result = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 105 }, 'trader@example.test');
    expect(result).toMatchObject({ outcome: 'denied', reason: 'stop 105 is on the wrong side of price 100 for a long', entry: null });
    expect(exchange.openOrders()).toEqual([]);
    const markers = await engine.chartMarkers({ key: KEY, fromMs: T0, toMs: T0 + 13 * M5 });
    expect(markers.decisions.map((d) => d.outcome)).toEqual(['denied']);
  });

  it('refuses a price more than 1 % from the last price before anything is sent or journaled', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    // 102 is (102 - 100) / 100 = 2 % from the last price 100 the market entry would fill at.
    const error = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 102, stopPrice: 95 }, 'trader@example.test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'price', value: 102 });
    expect((error as Error).message).toBe(
      'field "price" was 102: 2.0% away from BTC/USDT\'s last price 100 on account "default" (more than the 1% a placement allows): a market order fills near the last price; preview again at 100 and place at that price',
    );
    expect(exchange.openOrders()).toEqual([]);
    expect(exchange.positionAmountSigned('BTC/USDT')).toBe(0);
    expect((await engine.chartMarkers({ key: KEY, fromMs: T0, toMs: T0 + 13 * M5 })).decisions).toEqual([]);
    // A preview at that price stays allowed: it is a what-if (sized at its own price, 100 / (102 - 95)).
    expect((await engine.whatIf({ symbol: 'BTC/USDT', side: 'long', price: 102, stopPrice: 95 })).amount).toBeCloseTo(100 / 7, 9);
  });

  it('refuses the far-off price that would shrink the loss at the stop on paper (641 with a stop at 1, BTC at 64,000)', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 64_000, 64_000, 64_000, 64_000, 1_000);
    // At 641 the 1 % budget would buy 100 / 640 = 0.15625 BTC, a 10,000 notional at 64,000 stopped out near 1: (64,000 - 641) / 64,000 = 99.0 %.
    await expect(engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 641, stopPrice: 1 }, 'trader@example.test')).rejects.toThrow(
      'field "price" was 641: 99.0% away from BTC/USDT\'s last price 64,000 on account "default" (more than the 1% a placement allows): a market order fills near the last price; preview again at 64,000 and place at that price',
    );
    expect(exchange.openOrders()).toEqual([]);
    expect(exchange.positionAmountSigned('BTC/USDT')).toBe(0);
  });

  it('sizes and checks an order within 1 % of the last price at the last price, keeping its stop', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    // 100.5 is 0.5 % off: sized at the fill price 100, not 100.5: 1 % of 10,000 = 100 at risk over 100 - 95 = 5 -> 20 (not 100 / 5.5).
    const result = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100.5, stopPrice: 95 }, 'trader@example.test');
    expect(result.outcome).toBe('placed');
    expect(result.whatIf).toMatchObject({ amount: 20, notional: 2_000, stopPrice: 95, lossAtStop: 100, lossAtStopPctEquity: 1 });
    expect(result.entry).toMatchObject({ status: 'filled', amount: 20, averagePrice: 100 });
    expect(result.stop).toMatchObject({ type: 'stop', stopPrice: 95, amount: 20 });
    // A stop below the client's 100.9 (0.9 % off) but above the last price 100 is on the wrong side of the fill: denied.
    const wrongSide = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100.9, stopPrice: 100.5 }, 'trader@example.test');
    expect(wrongSide).toMatchObject({ outcome: 'denied', reason: 'stop 100.5 is on the wrong side of price 100 for a long', entry: null });
    expect(exchange.positionAmountSigned('BTC/USDT')).toBe(20);
  });

  it('names the invalid field of a manual order', async () => {
    const { engine } = await setup();
    await expect(engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'up', price: 100, stopPrice: 95 }, 'x')).rejects.toThrow('field "side" was "up"');
  });
});

describe('engine.whatIf with a portfolio VaR limit', () => {
  it('denies a short whose VaR over the stored candles passes the limit, quoting the figures, and approves it under a wider one', async () => {
    const { engine } = await setup(undefined, { account: { ...FREE_PAPER, marketType: 'futures', leverage: 1 } });
    const limits = { ...defaultTradingSettings(BUILT_INS).risk, varConfidence: 0.99, varLookbackCandles: 10 };
    // Short 50 at 112 (1 % of 10 000 = 100 at a stop 2 away), notional 5600. The last 10 stored returns are
    // 1/(100+i), i = 2..11; the short loses most on the largest, 1/102: at 99 %, k = max(1, ceil(10 x 0.01)) = 1,
    // so VaR = ES = 5600/102 = 54.902 (rounded), 0.00549 of equity.
    const order = { symbol: 'BTC/USDT', side: 'short', price: 112, stopPrice: 114 };
    expect((await engine.accounts.update('default', { risk: { ...limits, maxVarFraction: 0.005 } }, 'test')).ok).toBe(true);
    const denied = await engine.whatIf(order);
    expect(denied).toMatchObject({ approved: false, reason: 'var_fraction 0.0055 of equity exceeds maxVarFraction 0.005 (VaR 54.902 and ES 54.902 at 99% over 10 candles of 5m)' });
    expect(denied.checks.find((c) => c.name === 'var_fraction')?.value).toBeCloseTo(5600 / 102 / 10_000, 14);
    expect((await engine.accounts.update('default', { risk: { ...limits, maxVarFraction: 0.0055 } }, 'test')).ok).toBe(true);
    expect(await engine.whatIf(order)).toMatchObject({ approved: true, amount: 50 });
  });
});
