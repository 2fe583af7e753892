import { describe, expect, it } from 'vitest';
import { createEngine } from '../engine';
import { createManualClock, silentLogger } from '../core/clock';
import type { TradeRecord } from '../core/ports';
import { createPaperExchange } from '../execution/paper-exchange';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { defaultTradingSettings } from '../settings/trading-settings';

const M5 = 300_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00Z
const KEY = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } as const;

/** 12 five-minute candles: open 100 + i, high open + 2, low open - 1, close open + 1, volume i + 1. */
const rows = Array.from({ length: 12 }, (_, i) => ({ openTimeMs: T0 + i * M5, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: i + 1 }));

async function setup(shared?: { riskState: ReturnType<typeof createInMemoryRiskStateRepository>; settings: ReturnType<typeof createInMemorySettingsRepository> }) {
  const clock = createManualClock(T0 + 12 * M5);
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(KEY, toColumns(rows));
  const journal = createInMemoryJournalRepository();
  const riskState = shared?.riskState ?? createInMemoryRiskStateRepository();
  const settings = shared?.settings ?? createInMemorySettingsRepository();
  const exchange = createPaperExchange(
    { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
    { clock },
  );
  let n = 0;
  const engine = createEngine(
    {
      clock,
      logger: silentLogger,
      candles,
      journal,
      riskState,
      backtestRuns: createInMemoryBacktestRunRepository(),
      newId: () => `id-${++n}`,
      exchange,
      account: { exchange, marketType: 'spot', marginMode: 'cross' },
      settings,
    },
    { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
  );
  return { engine, journal, riskState, settings, exchange, clock };
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
    expect(s.strategy).toEqual(defaultTradingSettings().strategy);
    expect(s.updated).toEqual({ strategy: null, risk: null });
  });

  it('writes nothing when any field is invalid and returns every field error', async () => {
    const { engine, settings } = await setup();
    const strategy = { ...defaultTradingSettings().strategy, cooldownMs: 1.5 };
    const risk = { ...defaultTradingSettings().risk, maxDrawdownPct: -5 };
    const result = await engine.updateTradingSettings({ strategy, risk }, 'admin@example.test');
    expect(result).toEqual({
      ok: false,
      fieldErrors: { 'strategy.cooldownMs': ['expected whole milliseconds'], 'risk.maxDrawdownPct': ['Too small: expected number to be >0'] },
    });
    expect(settings.rows.size).toBe(0);
  });

  it('stores a risk group with its author and reconfigures the live risk engine', async () => {
    const { engine, settings, clock } = await setup();
    const risk = { ...defaultTradingSettings().risk, dailyLossLimitPct: 3 };
    const result = await engine.updateTradingSettings({ risk }, 'admin@example.test');
    expect(result.ok).toBe(true);
    expect(settings.rows.get('trading.risk')).toEqual({ key: 'trading.risk', value: risk, updatedAtMs: clock.nowMs(), updatedBy: 'admin@example.test' });
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

    const second = await setup({ riskState: first.riskState, settings: first.settings });
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
    expect(o.decisions).toEqual([]);
    expect(o.risk.halted).toBe(false);
    expect(o.risk.breakers.map((b) => [b.name, b.headroomPct])).toEqual([
      ['daily_loss', 5],
      ['max_drawdown', 25],
    ]);
  });

  it('counts live trades only and reports the open position with its unrealised PnL', async () => {
    const { engine, journal, exchange } = await setup();
    const t = (id: string, runId: string | null): TradeRecord => ({
      id, runId, exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ma-crossover', side: 'long', amount: 1,
      entryPrice: 100, exitPrice: 110, entryTimeMs: T0, exitTimeMs: T0 + M5, realizedPnl: 10, fees: 0, funding: 0, exitReason: 'signal',
    });
    await journal.appendTrades([t('live', null), t('backtest', 'run-1')]);
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 111, 113, 110, 112, 1_000);
    await exchange.createOrder({ clientOrderId: 'c1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 2 });
    exchange.onCandle('BTC/USDT', T0 + 12 * M5, 112, 116, 111, 115, 1_000);
    const o = await engine.overview();
    expect(o.metrics.trades).toBe(1);
    expect(o.metrics.winRatePct).toBe(100);
    // bought 2 at 112, marked at 115
    expect(o.positions).toEqual([{ symbol: 'BTC/USDT', side: 'long', amount: 2, entryPrice: 112, markPrice: 115, unrealizedPnl: 6, liquidationPrice: NaN }]);
    expect(o.equity).toBe(10_006);
  });
});

describe('engine.placePaperOrder', () => {
  it('sizes through the risk engine, fills the entry, rests a stop and journals an executed decision', async () => {
    const { engine, exchange } = await setup();
    exchange.onCandle('BTC/USDT', T0 + 11 * M5, 99, 101, 98, 100, 1_000);
    const result = await engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 95 }, 'trader@example.test');
    // default risk: 1 % of 10,000 = 100 at risk; loss per unit 5 + (100 + 95) x 10 bps = 5.195
    expect(result.outcome).toBe('placed');
    expect(result.whatIf.amount).toBeCloseTo(100 / 5.195, 12);
    expect(result.entry).toMatchObject({ status: 'filled', averagePrice: 100 });
    expect(result.stop).toMatchObject({ type: 'stop', stopPrice: 95, reduceOnly: true, status: 'new' });
    const markers = await engine.chartMarkers({ key: KEY, fromMs: T0, toMs: T0 + 13 * M5 });
    expect(markers.stops).toEqual([{ orderId: result.stop?.id, side: 'sell', stopPrice: 95, amount: result.entry?.amount }]);
    expect(markers.decisions).toEqual([
      { id: result.decisionId, timeMs: T0 + 12 * M5, outcome: 'executed', side: 'long', reason: 'manual long by trader@example.test', stopPrice: 95 },
    ]);
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

  it('names the invalid field of a manual order', async () => {
    const { engine } = await setup();
    await expect(engine.placePaperOrder({ symbol: 'BTC/USDT', side: 'up', price: 100, stopPrice: 95 }, 'x')).rejects.toThrow('field "side" was "up"');
  });
});
