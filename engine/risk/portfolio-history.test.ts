import { describe, expect, it } from 'vitest';
import { candleColumnsFromRows } from '../core/types';
import type { CandleStreamSummary } from '../ports/candles';
import { createInMemoryCandleRepository } from '../testing/in-memory-repositories';
import { accountValueAtRisk, chooseStreams, createCandleWindowCache, loadPortfolioHistory } from './portfolio-history';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const stream = (symbol: string, timeframe: string, count: number, exchange = 'binance', lastOpenTimeMs = T0): CandleStreamSummary =>
  ({ exchange, symbol, timeframe, count, firstOpenTimeMs: 0, lastOpenTimeMs }) as CandleStreamSummary;

describe('chooseStreams', () => {
  const streams = [stream('A', '1h', 30), stream('A', '1d', 5), stream('B', '1h', 30), stream('B', '1d', 5), stream('B', '5m', 100)];

  it('takes the longest timeframe every market has with a full lookback', () => {
    // Common: 1h (30 candles each) and 1d (5 each); 5m only B. Lookback 3 needs 4 candles: 1d qualifies.
    expect(chooseStreams(streams, ['A', 'B'], 3)?.timeframe).toBe('1d');
    // Lookback 20 needs 21 candles: only 1h.
    expect(chooseStreams(streams, ['A', 'B'], 20)?.timeframe).toBe('1h');
    // None holds 51: the common timeframe whose shortest stream is longest.
    expect(chooseStreams(streams, ['A', 'B'], 50)?.timeframe).toBe('1h');
    // B alone has 5m too, and lookback 50 fits only there.
    expect(chooseStreams(streams, ['B'], 50)?.timeframe).toBe('5m');
  });

  it('returns null when the markets share no timeframe or there is no market', () => {
    expect(chooseStreams([stream('A', '1h', 30), stream('B', '4h', 30)], ['A', 'B'], 10)).toBeNull();
    expect(chooseStreams(streams, [], 10)).toBeNull();
  });

  it('keeps to the venue of a venue account, else takes the stream with the latest candle', () => {
    const two = [stream('A', '1h', 30, 'binance', T0), stream('A', '1h', 30, 'bybit', T0 + HOUR)];
    expect(chooseStreams(two, ['A'], 10)?.streams[0].exchange).toBe('bybit');
    expect(chooseStreams(two, ['A'], 10, 'binance')?.streams[0].exchange).toBe('binance');
    expect(chooseStreams(two, ['A'], 10, 'okx')).toBeNull();
  });
});

describe('loadPortfolioHistory and accountValueAtRisk', () => {
  // 11 hourly closes of A: returns +10 %, -10 %, +10 %, -20 %, +25 %, 0, +5 %, -5 %, +2 %, -4 % (built from them).
  const RA = [0.1, -0.1, 0.1, -0.2, 0.25, 0, 0.05, -0.05, 0.02, -0.04];
  const closesOf = (returns: number[], start: number) => returns.reduce((out, r) => [...out, out[out.length - 1] * (1 + r)], [start]);
  const rows = (closes: number[]) => candleColumnsFromRows(closes.map((close, i) => ({ openTimeMs: T0 + i * HOUR, open: close, high: close, low: close, close, volume: 1 })));

  async function repo() {
    const candles = createInMemoryCandleRepository();
    await candles.insertCandles({ exchange: 'binance', symbol: 'A', timeframe: '1h' }, rows(closesOf(RA, 100)));
    // B: every return half of A's, negated.
    await candles.insertCandles({ exchange: 'binance', symbol: 'B', timeframe: '1h' }, rows(closesOf(RA.map((r) => -r / 2), 50)));
    return candles;
  }

  it('loads the common returns of the positions and the order market, and the VaR of the positions', async () => {
    const candles = await repo();
    const input = await loadPortfolioHistory(candles, { exposures: [{ symbol: 'A', notional: 1000 }], symbols: ['B'], lookbackCandles: 10 });
    expect(input?.timeframe).toBe('1h');
    expect(input?.history.symbols).toEqual(['A', 'B']);
    expect([...input!.history.returns[0]].map((r) => Number(r.toFixed(12)))).toEqual(RA);
    expect([...input!.history.openTimeMs]).toEqual(RA.map((_, t) => T0 + (t + 1) * HOUR));
    // Long A 1000: PnL 100, -100, 100, -200, 250, 0, 50, -50, 20, -40; sorted -200, -100, -50, -40, ...
    // c = 0.8: k = ceil(10 x 0.2) = 2 -> VaR 100; ES = (200 + 100) / 2 = 150; equity 5000 -> 0.02 and 0.03.
    const settings = { varConfidence: 0.8, varLookbackCandles: 10, maxVarFraction: 0.05, maxExpectedShortfallFraction: null };
    const value = accountValueAtRisk(input!.exposures, input, 5_000, settings);
    expect(value).toMatchObject({ status: 'ok', timeframe: '1h', scenarios: 10, quantileRank: 2, tailCount: 2, lookbackCandles: 10, fromOpenTimeMs: T0 + HOUR, toOpenTimeMs: T0 + 10 * HOUR, maxVarFraction: 0.05 });
    if (value.status !== 'ok') throw new Error('expected figures');
    expect(value.valueAtRisk).toBeCloseTo(100, 9);
    expect(value.expectedShortfall).toBeCloseTo(150, 9);
    expect(value.varFraction).toBeCloseTo(0.02, 12);
    expect(value.esFraction).toBeCloseTo(0.03, 12);
    // Adding long B 2000 (PnL = -1000 r_A) cancels A exactly: VaR 0.
    const hedged = accountValueAtRisk([{ symbol: 'A', notional: 1000 }, { symbol: 'B', notional: 2000 }], input, 5_000, settings);
    if (hedged.status !== 'ok') throw new Error('expected figures');
    expect(hedged.valueAtRisk).toBeCloseTo(0, 9);
  });

  it('says flat without positions and unavailable without common candles', async () => {
    const candles = await repo();
    const settings = { varConfidence: 0.99, varLookbackCandles: 500, maxVarFraction: null, maxExpectedShortfallFraction: null };
    expect(accountValueAtRisk([], null, 5_000, settings)).toEqual({ status: 'flat', confidence: 0.99, lookbackCandles: 500 });
    const none = await loadPortfolioHistory(candles, { exposures: [{ symbol: 'C', notional: 10 }], symbols: [], lookbackCandles: 500 });
    expect(none).toBeNull();
    expect(accountValueAtRisk([{ symbol: 'C', notional: 10 }], none, 5_000, settings)).toEqual({
      status: 'unavailable',
      confidence: 0.99,
      lookbackCandles: 500,
      reason: 'no stored candles of C share a timeframe with at least two common candles',
    });
    // Fewer candles stored than the lookback: the figures say how many scenarios they use.
    const short = await loadPortfolioHistory(candles, { exposures: [{ symbol: 'A', notional: 1000 }], symbols: [], lookbackCandles: 500 });
    const value = accountValueAtRisk(short!.exposures, short, 5_000, settings);
    expect(value).toMatchObject({ status: 'ok', scenarios: 10, lookbackCandles: 500, quantileRank: 1 });
  });
});

describe('createCandleWindowCache', () => {
  const HOUR_MS = 3_600_000;
  const key = { exchange: 'binance', symbol: 'A', timeframe: '1h' } as const;
  const window = (n: number) => candleColumnsFromRows(Array.from({ length: n }, (_, i) => ({ openTimeMs: T0 + i * HOUR_MS, open: 1, high: 1, low: 1, close: 1, volume: 1 })));

  function countingStore() {
    const loads: string[] = [];
    let fail = false;
    return {
      loads,
      failNext: () => (fail = true),
      store: {
        summarize: async () => [],
        loadCandles: async (k: { symbol: string }, fromMs: number, toMs: number) => {
          loads.push(`${k.symbol} ${fromMs}-${toMs}`);
          if (fail) {
            fail = false;
            throw new Error('database is down');
          }
          return window(3);
        },
      },
    };
  }

  it('loads a window once and again when its range moves with a new candle', async () => {
    const { loads, store } = countingStore();
    const cache = createCandleWindowCache(store);
    const [a, b] = await Promise.all([cache.loadCandles(key, 0, 10), cache.loadCandles(key, 0, 10)]);
    expect(a).toBe(b);
    await cache.loadCandles(key, 0, 10);
    await cache.loadCandles(key, 5, 15);
    expect(loads).toEqual(['A 0-10', 'A 5-15']);
  });

  it('drops the least recently used window beyond its size and never keeps a failed load', async () => {
    const { loads, store, failNext } = countingStore();
    const cache = createCandleWindowCache(store, 2);
    await cache.loadCandles(key, 0, 1);
    await cache.loadCandles(key, 0, 2);
    await cache.loadCandles(key, 0, 1); // 0-1 is now the most recent: 0-2 goes when 0-3 arrives
    await cache.loadCandles(key, 0, 3);
    await cache.loadCandles(key, 0, 1);
    await cache.loadCandles(key, 0, 2);
    expect(loads).toEqual(['A 0-1', 'A 0-2', 'A 0-3', 'A 0-2']);
    failNext();
    await expect(cache.loadCandles(key, 9, 10)).rejects.toThrow('database is down');
    await cache.loadCandles(key, 9, 10);
    expect(loads.slice(-2)).toEqual(['A 9-10', 'A 9-10']);
  });

  it('refuses a size that is not a whole number of windows, naming it', () => {
    const { store } = countingStore();
    expect(() => createCandleWindowCache(store, 0)).toThrow('maxEntries (0) must be an integer >= 1');
  });
});
