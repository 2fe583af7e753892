/**
 * Streamed backtests against whole-range ones on every real candle file in ../shared/data: the streamed run reads
 * the candles in chunks of 1,000, bounds its feature rows to the loop's lookback plus one phase (so old rows are
 * discarded every 97 candles once the window is full) and clears the risk engine's curve after every chunk. The
 * trades, journaled decisions, counters, halts and final equity must be the same; the return metrics equal within
 * 1e-9 relative (running sums), the trade metrics exactly. Then the same for a portfolio of three wave markets that start
 * and end at different times, and the bounded memory of 2-million-candle runs of one and of two markets.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { CandleColumns, Timeframe } from '../core/types';
import type { CandleRepository } from '../ports/candles';
import { parseCandleCsv } from '../market/candle-csv';
import { streamCandleChunks } from '../market/candle-chunks';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { createWaveCandleSource, waveCandles } from '../testing/wave-candles';
import { candleColumnsFromRows } from '../core/types';
import { ValidationError } from '../core/errors';
import { createEquityThinner, resolveBacktest, runBacktest, simulate, simulatePortfolio, simulatePortfolioStreamed, simulateStreamed, type BacktestResult } from './run-backtest';

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const files = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.endsWith('.csv')).sort() : [];

/** The candles of `columns` as consecutive chunks of `size` rows (views, no copy). */
async function* chunksOf(columns: CandleColumns, size: number): AsyncGenerator<CandleColumns> {
  yield* chunksOfSync(columns, size);
}

/** A backtest request over the whole of `columns`, for the market a file name like `binance_BTC-USDT-PERP_1h.csv` names. */
function requestOf(name: string, columns: CandleColumns) {
  const [, pair, timeframe] = /^[a-z]+_(.+)_(\w+)\.csv$/.exec(name) ?? [];
  const futures = pair.endsWith('-PERP');
  return {
    exchange: 'binance',
    symbol: pair.replace(/-PERP$/, '').replace('-', '/'),
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

/** `runBacktest` of `input` over `candles` with fresh run and journal stores, streaming above `streamAboveCandles`; the result and its stored run. */
async function backtestFromStore(candles: CandleRepository, input: Record<string, unknown>, streamAboveCandles: number) {
  const runs = createInMemoryBacktestRunRepository();
  let id = 0;
  const deps = { candles, journal: createInMemoryJournalRepository(), runs, logger: silentLogger, newId: () => `id-${++id}` };
  const result = await runBacktest(input, deps, { streamAboveCandles });
  return { result, stored: (await runs.get(result.runId))! };
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
    const backtest = (streamAboveCandles: number) => backtestFromStore(candles, { ...request, from }, streamAboveCandles);
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
  it.each([1, 2])(
    'keeps the heap bounded over %i market(s): live heap after the run within 20 MB of before and its peak under 150 MB, against the ~580 MB a whole load needs',
    async (marketCount) => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const total = 2_000_000;
      const count = total / marketCount;
      const keys = ['WAVE/USDT', 'TIDE/USDT'].slice(0, marketCount).map((symbol) => ({ exchange: 'test', symbol, timeframe: '5m' as const }));
      const startMs = Date.UTC(2024, 0, 1);
      const spec = resolveBacktest({
        exchange: 'test',
        ...(marketCount === 1 ? { symbol: keys[0].symbol } : { symbols: keys.map((k) => k.symbol) }),
        timeframe: '5m',
        from: startMs,
        to: startMs + count * 300_000,
        strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'],
        fusion: { entryThreshold: 0.25 },
        decisionDetail: 'off',
        risk: { maxDrawdownPct: 100, dailyLossLimitPct: 100 },
      });
      gc();
      const before = process.memoryUsage().heapUsed;
      let peak = 0;
      const result = await simulatePortfolioStreamed(
        spec,
        keys.map((key, m) => ({ chunks: streamCandleChunks(createWaveCandleSource(key, { count, startMs, phase: 2 * m }), key, spec.fromMs, spec.toMs, 100_000), expectedCandles: count })),
        null,
        { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' },
        { keepTrades: false, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) },
      );
      gc();
      const after = process.memoryUsage().heapUsed;
      expect(result.candles).toBe(total);
      expect(result.tradeMetrics.trades).toBeGreaterThan(1_000);
      expect(result.trades).toHaveLength(0);
      // A whole load holds 6 candle columns and ~30 feature columns of 8-byte numbers per candle: 2e6 x 36 x 8 B = 576 MB.
      console.log(
        `streamed 2,000,000 candles of ${marketCount} market(s), ${result.tradeMetrics.trades} trades: heap ${((after - before) / 1e6).toFixed(1)} MB retained, ${((peak - before) / 1e6).toFixed(1)} MB peak above the start`,
      );
      expect(after - before).toBeLessThan(20e6);
      expect(peak - before).toBeLessThan(150e6);
    },
    60_000,
  );
});

describe('streamed and whole-range portfolio backtests', () => {
  const T0 = Date.UTC(2024, 0, 1);
  const FIVE_MINUTES = 300_000;
  const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
  // BTC trades the whole range; ETH joins 1,234 candles later; SOL stops 2,500 candles before the end. Waves of
  // different phases trade at different times, and three markets share a cap of two open positions, which binds now and then.
  const n = 12_000;
  const markets = [
    candleColumnsFromRows(waveCandles({ count: n, startMs: T0, base: 40_000, phase: 0 })),
    candleColumnsFromRows(waveCandles({ count: n - 1_234, startMs: T0 + 1_234 * FIVE_MINUTES, base: 2_000, phase: 1.3 })),
    candleColumnsFromRows(waveCandles({ count: n - 2_500, startMs: T0, base: 100, phase: 2.9, amplitude: 0.02 })),
  ];
  const request = {
    exchange: 'test',
    symbols,
    timeframe: '5m',
    from: T0,
    to: T0 + n * FIVE_MINUTES,
    strategies: ['rsi-mean-reversion', 'ma-crossover'],
    fusion: { entryThreshold: 0.25 },
    risk: { maxOpenPositions: 2, maxSymbolExposurePct: 30, dailyLossLimitPct: 100, maxDrawdownPct: 100 },
    paper: { marketType: 'futures', leverage: 2 },
    // Short holds, so positions free up often and the cap binds now and then rather than all the time.
    exits: { timeStop: { bars: 8 } },
    decisionDetail: 'signals' as const,
  };
  const run = async (simulation: (deps: { journal: ReturnType<typeof createInMemoryJournalRepository>; newId: () => string; logger: typeof silentLogger }) => Promise<BacktestResult>) => {
    const journal = createInMemoryJournalRepository();
    let id = 0;
    const result = await simulation({ journal, newId: () => `id-${++id}`, logger: silentLogger });
    return { result, decisions: journal.decisions };
  };

  it('give the same trades, decisions, final equity, per-market breakdown and correlations (within 1e-9) in chunks of 997', async () => {
    const spec = { ...resolveBacktest(request), chunkSize: 97 };
    const whole = await run((deps) => simulatePortfolio(spec, markets.map((columns) => ({ columns })), 'run', deps));
    const streamed = await run((deps) =>
      simulatePortfolioStreamed(spec, markets.map((columns) => ({ chunks: chunksOf(columns, 997), expectedCandles: columns.length })), 'run', deps, { maxFeatureRows: 1 }),
    );
    // The cap bound: some entries were denied for it, so the order of the markets within an open time mattered.
    expect(whole.decisions.some((d) => d.outcome === 'denied' && d.reason === 'open_positions 3 exceeds maxOpenPositions 2')).toBe(true);
    for (const symbol of symbols) expect(whole.result.trades.filter((t) => t.symbol === symbol).length, symbol).toBeGreaterThan(20);
    expect(streamed.result.trades).toEqual(whole.result.trades);
    expect(streamed.decisions).toEqual(whole.decisions);
    expect(streamed.result.stats).toEqual(whole.result.stats);
    expect(streamed.result.finalEquity).toBe(whole.result.finalEquity);
    expect(streamed.result.candles).toBe(3 * n - 1_234 - 2_500);
    expect(streamed.result.tradeMetrics).toEqual(whole.result.tradeMetrics);
    expectMetricsClose(streamed.result.returnMetrics, whole.result.returnMetrics);

    const [w, s] = [whole.result.portfolio!, streamed.result.portfolio!];
    expect(s.markets).toEqual(w.markets);
    // Candles and first open time per market, and the breakdown's trade figures from the trades themselves.
    expect(s.markets.map((m) => [m.symbol, m.candles, m.firstOpenTimeMs])).toEqual([
      ['BTC/USDT', n, T0],
      ['ETH/USDT', n - 1_234, T0 + 1_234 * FIVE_MINUTES],
      ['SOL/USDT', n - 2_500, T0],
    ]);
    for (const m of s.markets) {
      const net = whole.result.trades.filter((t) => t.symbol === m.symbol).map((t) => t.realizedPnl - t.fees - t.funding);
      expect([m.trades, m.winRate]).toEqual([net.length, net.filter((x) => x > 0).length / net.length]);
      expect(m.netPnl).toBeCloseTo(net.reduce((sum, x) => sum + x, 0), 6);
    }
    expect(s.markets.reduce((sum, m) => sum + m.contribution, 0)).toBeCloseTo(whole.result.finalEquity - 10_000, 6);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const want = w.correlation.matrix[i][j];
        expect(want, `r[${i}][${j}]`).not.toBeNull();
        expect(Math.abs(s.correlation.matrix[i][j]! - want!)).toBeLessThanOrEqual(1e-9 * Math.abs(want!));
      }
    }
    // The curves: one point per open time, the streamed one thinned, both starting and ending at the same point.
    expect(new Set(whole.result.equity.map((p) => p.timeMs)).size).toBe(whole.result.equity.length);
    expect(streamed.result.equity[0]).toEqual(whole.result.equity[0]);
    expect(streamed.result.equity.at(-1)).toEqual(whole.result.equity.at(-1));
    expect(streamed.result.equity.at(-1)!.timeMs).toBe(T0 + n * FIVE_MINUTES);
  });

  it('keeps per-market trade figures from running totals when the trades are not kept', async () => {
    const spec = resolveBacktest(request);
    const whole = await run((deps) => simulatePortfolio(spec, markets.map((columns) => ({ columns })), null, deps));
    const totals = await run((deps) => simulatePortfolioStreamed(spec, markets.map((columns) => ({ chunks: chunksOf(columns, 4_000), expectedCandles: columns.length })), null, deps, { keepTrades: false }));
    expect(totals.result.trades).toHaveLength(0);
    expect(totals.result.tradeMetrics.trades).toBe(whole.result.trades.length);
    expect(totals.result.portfolio!.markets).toEqual(whole.result.portfolio!.markets);
  });

  it('refuses chunks out of order or overlapping, and candles out of order within a chunk, naming the market', async () => {
    const [first, second] = [...chunksOfSync(markets[1], 5_000)];
    const deps = { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' };
    const refusal = (spec: ReturnType<typeof resolveBacktest>, chunks: CandleColumns[]) =>
      simulatePortfolioStreamed(spec, [{ chunks: [markets[0]], expectedCandles: n }, { chunks, expectedCandles: n }, { chunks: [markets[2]], expectedCandles: n }], null, deps).catch((e: unknown) => e);
    const cases: [number, CandleColumns[], number][] = [
      // The second chunk handed over first: the chunk after it starts before its last candle.
      [4_096, [second, first], first.openTimeMs[0]],
      // A chunk that repeats the last candle of the one before.
      [4_096, [first, sliceOf(markets[1], 4_999, 6_000)], markets[1].openTimeMs[4_999]],
      // Two candles swapped inside one chunk, fed to loops of one-candle phases (a longer phase's feature pass refuses them first, naming openTimeMs).
      [1, [swapped(first, 10)], first.openTimeMs[10]],
    ];
    for (const [chunkSize, chunks, openTimeMs] of cases) {
      const error = await refusal({ ...resolveBacktest(request), chunkSize }, chunks);
      expect(error).toBeInstanceOf(ValidationError);
      expect([(error as ValidationError).field, (error as ValidationError).value]).toEqual(['chunks[ETH/USDT]', openTimeMs]);
      expect((error as ValidationError).message).toContain(`the candle opening at ${new Date(openTimeMs).toISOString()} comes after the one opening at`);
    }
    const ahead = await refusal(resolveBacktest(request), [swapped(first, 10)]);
    expect([(ahead as ValidationError).field, (ahead as ValidationError).value]).toEqual(['openTimeMs', first.openTimeMs[10]]);
  });

  it('runBacktest streams a portfolio above its threshold from the store, with the trades and stored breakdown of a whole load', async () => {
    const candles = createInMemoryCandleRepository();
    for (const [m, symbol] of symbols.entries()) await candles.insertCandles({ exchange: 'test', symbol, timeframe: '5m' }, markets[m]);
    // The first 600 candles are history before `from`: both runs warm up on it (ETH only from its own start).
    const from = T0 + 600 * FIVE_MINUTES;
    const backtest = (streamAboveCandles: number) => backtestFromStore(candles, { ...request, from }, streamAboveCandles);
    // 11,400 candles of range × 3 markets = 34,200 expected: whole at 34,200, streamed at 34,199.
    const whole = await backtest(34_200);
    const streamed = await backtest(34_199);
    expect(streamed.result.warmup).toEqual(whole.result.warmup);
    expect(streamed.result.trades.length).toBeGreaterThan(0);
    expect(streamed.result.trades).toEqual(whole.result.trades);
    expect(streamed.stored.status).toBe('complete');
    expect(streamed.stored.tradeCount).toBe(whole.stored.tradeCount);
    expect(streamed.stored.metrics!.portfolio!.markets).toEqual(whole.stored.metrics!.portfolio!.markets);
    expect(streamed.stored.metrics!.finalEquity).toBe(whole.stored.metrics!.finalEquity);
    expectMetricsClose(streamed.result.returnMetrics, whole.result.returnMetrics);
    expect(streamed.result.portfolio!.markets[2].candles).toBe(n - 2_500 - 600);
    // Which path ran, by the curves' spacing over 11,400 open times: downsampleEquity keeps every ceil(11,400 / 1,000) = 12th,
    // the thinner every 16th (its stride doubles from 1 until at most 1,000 points are held: 11,400 / 16 = 712.5).
    expect(whole.result.equity[1].timeMs - whole.result.equity[0].timeMs).toBe(12 * FIVE_MINUTES);
    expect(streamed.result.equity[1].timeMs - streamed.result.equity[0].timeMs).toBe(16 * FIVE_MINUTES);
  });
});

/** `chunksOf` without the async. */
function* chunksOfSync(columns: CandleColumns, size: number): Generator<CandleColumns> {
  for (let from = 0; from < columns.length; from += size) yield sliceOf(columns, from, Math.min(columns.length, from + size));
}

/** Rows `from..to-1` of `columns` (views). */
function sliceOf(columns: CandleColumns, from: number, to: number): CandleColumns {
  const view = (c: Float64Array) => c.subarray(from, to);
  return { length: to - from, openTimeMs: view(columns.openTimeMs), open: view(columns.open), high: view(columns.high), low: view(columns.low), close: view(columns.close), volume: view(columns.volume) };
}

/** A copy of `columns` with rows `row` and `row + 1` swapped. */
function swapped(columns: CandleColumns, row: number): CandleColumns {
  const copy = (c: Float64Array) => {
    const out = Float64Array.from(c);
    [out[row], out[row + 1]] = [c[row + 1], c[row]];
    return out;
  };
  return { length: columns.length, openTimeMs: copy(columns.openTimeMs), open: copy(columns.open), high: copy(columns.high), low: copy(columns.low), close: copy(columns.close), volume: copy(columns.volume) };
}
