/**
 * Streamed backtests against whole-range ones on every real candle file in ../shared/data: the streamed run reads
 * the candles in chunks of 1,000, bounds its feature rows to the loop's lookback plus one phase (so old rows are
 * discarded every 97 candles once the window is full) and clears the risk engine's curve after every chunk. The
 * trades, journaled decisions, counters, halts and final equity must be the same; the return metrics equal within
 * 1e-9 relative (running sums), the trade metrics exactly. Then the bounded memory of a 2-million-candle run.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { CandleColumns, Timeframe } from '../core/types';
import { parseCandleCsv } from '../market/candle-csv';
import { streamCandleChunks } from '../market/candle-chunks';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { createWaveCandleSource } from '../testing/wave-candles';
import { createEquityThinner, resolveBacktest, runBacktest, simulate, simulateStreamed, type BacktestResult } from './run-backtest';

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const files = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.endsWith('.csv')).sort() : [];

/** The candles of `columns` as consecutive chunks of `size` rows (views, no copy). */
async function* chunksOf(columns: CandleColumns, size: number): AsyncGenerator<CandleColumns> {
  for (let from = 0; from < columns.length; from += size) {
    const to = Math.min(columns.length, from + size);
    const view = (c: Float64Array) => c.subarray(from, to);
    yield { length: to - from, openTimeMs: view(columns.openTimeMs), open: view(columns.open), high: view(columns.high), low: view(columns.low), close: view(columns.close), volume: view(columns.volume) };
  }
}

/** A backtest request over the whole of `columns`, for the market a file name like `binance_BTC-USDT-PERP_1h.csv` names. */
function requestOf(name: string, columns: CandleColumns) {
  const [, pair, timeframe] = /^[a-z]+_(.+)_(\w+)\.csv$/.exec(name) ?? [];
  const futures = pair.endsWith('-PERP');
  return {
    exchange: 'binance',
    symbol: pair.replace('-', '/'),
    timeframe: timeframe as Timeframe,
    from: columns.openTimeMs[0],
    to: columns.openTimeMs[columns.length - 1] + 1,
    strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'],
    fusion: { entryThreshold: 0.25 },
    decisionDetail: 'signals' as const,
    // A time stop counts rows from the entry: positions held across discarded rows must still close on time.
    exits: { timeStop: { bars: 60 } },
    ...(futures ? { paper: { marketType: 'futures', leverage: 3 } } : {}),
  };
}

/** Expects every return metric of `actual` within 1e-9 relative of `expected` (NaN where NaN). */
function expectMetricsClose(actual: BacktestResult['returnMetrics'], expected: BacktestResult['returnMetrics']): void {
  for (const [name, value] of Object.entries(expected) as [keyof typeof expected, number][]) {
    const got = actual[name];
    if (Number.isNaN(value)) expect(got, name).toBeNaN();
    else expect(Math.abs(got - value), `${name}: ${got} against ${value}`).toBeLessThanOrEqual(1e-9 * Math.max(1e-12, Math.abs(value)));
  }
}

describe('streamed and whole-range backtests', () => {
  if (files.length === 0) {
    it('are not compared without the shared data folder', () => {
      console.log(`shared data not found at ${dataDir}: streamed versus whole-range comparison not run (set AETHELRED_SHARED_DATA)`);
      expect(files).toHaveLength(0);
    });
    return;
  }

  it.each(files)('give the same trades, decisions and counters on %s, metrics within 1e-9', async (name) => {
    const timeframe = /_(\w+)\.csv$/.exec(name)![1] as Timeframe;
    const { columns } = await parseCandleCsv(path.join(dataDir, name), timeframe);
    const spec = { ...resolveBacktest(requestOf(name, columns)), chunkSize: 97 };
    const run = async (simulation: (deps: { journal: ReturnType<typeof createInMemoryJournalRepository>; newId: () => string; logger: typeof silentLogger }) => Promise<BacktestResult>) => {
      const journal = createInMemoryJournalRepository();
      let id = 0;
      const result = await simulation({ journal, newId: () => `id-${++id}`, logger: silentLogger });
      return { result, decisions: journal.decisions };
    };
    const whole = await run((deps) => simulate(spec, columns, 'run', deps));
    const streamed = await run((deps) => simulateStreamed(spec, { chunks: chunksOf(columns, 1_000), expectedCandles: columns.length }, 'run', deps, { maxFeatureRows: 1 }));
    expect(whole.result.trades.length).toBeGreaterThan(0);
    expect(streamed.result.trades).toEqual(whole.result.trades);
    expect(streamed.decisions).toEqual(whole.decisions);
    expect(streamed.result.stats).toEqual(whole.result.stats);
    expect(streamed.result.halts).toEqual(whole.result.halts);
    expect(streamed.result.finalEquity).toBe(whole.result.finalEquity);
    expect(streamed.result.candles).toBe(columns.length);
    expect(streamed.result.tradeMetrics).toEqual(whole.result.tradeMetrics);
    expectMetricsClose(streamed.result.returnMetrics, whole.result.returnMetrics);
    // The thinned curve: at most 1000 points + the last, starting and ending where the whole curve does.
    const curve = streamed.result.equity;
    expect(curve.length).toBeLessThanOrEqual(1_001);
    expect(curve[0]).toEqual(whole.result.equity[0]);
    expect(curve[curve.length - 1]).toEqual(whole.result.equity[whole.result.equity.length - 1]);
  });

  it('runBacktest streams a range above its threshold from the store, with the trades and stored metrics of a whole load', async (context) => {
    const name = 'binance_BTC-USDT_1h.csv';
    if (!files.includes(name)) context.skip(`${name} is not in ${dataDir}`);
    const { columns } = await parseCandleCsv(path.join(dataDir, name), '1h');
    const candles = createInMemoryCandleRepository();
    const request = requestOf(name, columns);
    await candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, columns);
    // The first 500 candles are history before `from`: both runs warm up on it.
    const from = columns.openTimeMs[500];
    const backtest = async (streamAboveCandles: number) => {
      const runs = createInMemoryBacktestRunRepository();
      let id = 0;
      const deps = { candles, journal: createInMemoryJournalRepository(), runs, logger: silentLogger, newId: () => `id-${++id}` };
      const result = await runBacktest({ ...request, from }, deps, { streamAboveCandles });
      return { result, stored: (await runs.get(result.runId))! };
    };
    const whole = await backtest(Number.MAX_SAFE_INTEGER);
    const streamed = await backtest(0);
    expect(streamed.result.warmup).toEqual(whole.result.warmup);
    expect(streamed.result.warmup.candles).toBeGreaterThan(0);
    expect(streamed.result.trades).toEqual(whole.result.trades);
    expect(streamed.stored.tradeCount).toBe(whole.stored.tradeCount);
    expect(streamed.stored.status).toBe('complete');
    expectMetricsClose(streamed.result.returnMetrics, whole.result.returnMetrics);
  });
});

describe('createEquityThinner', () => {
  it('keeps points 0, 4 and 8 of ten with room for four, then the last', () => {
    // Stride 1 holds 0..3; point 4 halves them to 0, 2 (stride 2) and is kept; point 8 halves 0, 2, 4, 6 to 0, 4 (stride 4).
    const thinner = createEquityThinner(4);
    for (let i = 0; i < 10; i++) thinner.add(i * 1_000, 100 + i);
    expect(thinner.points()).toEqual([
      { timeMs: 0, equity: 100 },
      { timeMs: 4_000, equity: 104 },
      { timeMs: 8_000, equity: 108 },
      { timeMs: 9_000, equity: 109 },
    ]);
  });

  it('refuses fewer than two points, naming maxPoints', () => {
    expect(() => createEquityThinner(1)).toThrow(/field "maxPoints" was 1/);
  });
});

describe('a streamed backtest of 2,000,000 wave candles', () => {
  it('keeps the heap bounded: live heap after the run within 20 MB of before and its peak under 150 MB, against the ~580 MB a whole load needs', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 2_000_000;
    const key = { exchange: 'test', symbol: 'WAVE/USDT', timeframe: '5m' as const };
    const startMs = Date.UTC(2024, 0, 1);
    const source = createWaveCandleSource(key, { count, startMs });
    const spec = resolveBacktest({ ...key, from: startMs, to: startMs + count * 300_000, strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'], fusion: { entryThreshold: 0.25 }, decisionDetail: 'off', risk: { maxDrawdownPct: 100, dailyLossLimitPct: 100 } });
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const result = await simulateStreamed(
      spec,
      { chunks: streamCandleChunks(source, key, spec.fromMs, spec.toMs, 100_000), expectedCandles: count },
      null,
      { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' },
      { keepTrades: false, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) },
    );
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(result.candles).toBe(count);
    expect(result.tradeMetrics.trades).toBeGreaterThan(1_000);
    expect(result.trades).toHaveLength(0);
    // A whole load holds 6 candle columns and ~30 feature columns of 8-byte numbers per candle: 2e6 x 36 x 8 B = 576 MB.
    console.log(`streamed 2,000,000 candles, ${result.tradeMetrics.trades} trades: heap ${((after - before) / 1e6).toFixed(1)} MB retained, ${((peak - before) / 1e6).toFixed(1)} MB peak above the start`);
    expect(after - before).toBeLessThan(20e6);
    expect(peak - before).toBeLessThan(150e6);
  }, 60_000);
});
