import fs from 'node:fs';
import path from 'node:path';
import { ATR, BollingerBands, DonchianChannels, EMA, RSI, SMA, getStandardDeviation } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { featureConfigFor, normalizeFeatureConfig } from './feature-config';
import { createFeatureExtractor, type FeatureExtractor } from './feature-extractor';
import { assertFrameProvides } from './feature-frame';

interface Series {
  openTimeMs: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

/** Candles whose open, high and low are derived from the closes: open = previous close, high/low = +-1. */
function seriesFromCloses(closes: readonly number[]): Series {
  const s: Series = { openTimeMs: [], open: [], high: [], low: [], close: [], volume: [] };
  closes.forEach((c, i) => {
    const open = i === 0 ? c : closes[i - 1];
    s.openTimeMs.push(i * 60_000);
    s.open.push(open);
    s.high.push(Math.max(open, c) + 1);
    s.low.push(Math.min(open, c) - 1);
    s.close.push(c);
    s.volume.push(1);
  });
  return s;
}

function feed(extractor: FeatureExtractor, s: Series): void {
  for (let i = 0; i < s.close.length; i++) {
    extractor.push(s.openTimeMs[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
  }
}

function rows(column: Float64Array, length: number): number[] {
  return Array.from(column.subarray(0, length));
}

const PERIODS = { sma: [3, 20, 50], ema: [5, 21], rsi: [5, 14], atr: [3, 14], donchian: [4, 20], stddev: [1, 3, 20] } as const;

/**
 * Independent reference: the `trading-signals` v8 classes fed one candle at a time.
 * Donchian: trading-signals' channel includes the current candle, ours covers the previous n, so
 * our row i must equal their result after row i-1.
 */
function reference(s: Series) {
  const n = s.close.length;
  const out = {
    sma: new Map<number, number[]>(),
    ema: new Map<number, number[]>(),
    rsi: new Map<number, number[]>(),
    atr: new Map<number, number[]>(),
    upper: new Map<number, number[]>(),
    lower: new Map<number, number[]>(),
    stddev: new Map<number, number[]>(),
  };
  const value = (v: number | null) => (v === null ? NaN : v);
  for (const p of PERIODS.sma) {
    const ind = new SMA(p);
    out.sma.set(p, s.close.map((c) => value(ind.add(c))));
  }
  for (const p of PERIODS.ema) {
    const ind = new EMA(p);
    out.ema.set(p, s.close.map((c) => (ind.add(c), ind.isStable ? ind.getResultOrThrow() : NaN)));
  }
  for (const p of PERIODS.rsi) {
    const ind = new RSI(p);
    out.rsi.set(p, s.close.map((c) => value(ind.add(c))));
  }
  for (const p of PERIODS.atr) {
    const ind = new ATR(p);
    out.atr.set(
      p,
      s.close.map((c, i) => value(ind.add({ high: s.high[i], low: s.low[i], close: c }))),
    );
  }
  for (const p of PERIODS.donchian) {
    const ind = new DonchianChannels(p);
    const upper = [NaN];
    const lower = [NaN];
    for (let i = 0; i < n - 1; i++) {
      const r = ind.add({ high: s.high[i], low: s.low[i] });
      upper.push(r ? r.upper : NaN);
      lower.push(r ? r.lower : NaN);
    }
    out.upper.set(p, upper);
    out.lower.set(p, lower);
  }
  // StdDev: trading-signals' own population standard deviation of the last p closes (what its
  // BollingerBands uses for the band width), recomputed from the window at every row.
  for (const p of PERIODS.stddev) {
    out.stddev.set(p, s.close.map((_, i) => (i < p - 1 ? NaN : getStandardDeviation(s.close.slice(i - p + 1, i + 1)))));
  }
  return out;
}

/** Relative agreement to 1e-9; NaN must meet NaN (same warm-up). */
function expectClose(actual: readonly number[], expected: readonly number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) expect.fail(`${label}[${i}]: got ${a}, reference ${e}`);
      continue;
    }
    if (Math.abs(a - e) > 1e-9 * Math.max(Math.abs(a), Math.abs(e))) {
      expect.fail(`${label}[${i}]: got ${a}, reference ${e}`);
    }
  }
}

function expectMatchesReference(extractor: FeatureExtractor, s: Series): void {
  const ref = reference(s);
  const len = extractor.length;
  for (const p of PERIODS.sma) expectClose(rows(extractor.sma[p], len), ref.sma.get(p)!, `sma(${p})`);
  for (const p of PERIODS.ema) expectClose(rows(extractor.ema[p], len), ref.ema.get(p)!, `ema(${p})`);
  for (const p of PERIODS.rsi) expectClose(rows(extractor.rsi[p], len), ref.rsi.get(p)!, `rsi(${p})`);
  for (const p of PERIODS.atr) expectClose(rows(extractor.atr[p], len), ref.atr.get(p)!, `atr(${p})`);
  for (const p of PERIODS.donchian) {
    expectClose(rows(extractor.donchianUpper[p], len), ref.upper.get(p)!, `donchianUpper(${p})`);
    expectClose(rows(extractor.donchianLower[p], len), ref.lower.get(p)!, `donchianLower(${p})`);
  }
  for (const p of PERIODS.stddev) expectClose(rows(extractor.stddev[p], len), ref.stddev.get(p)!, `stddev(${p})`);
}

describe('createFeatureExtractor hand-computed values', () => {
  it('computes SMA(3) of 1,2,3,4 as NaN, NaN, 2, 3', () => {
    const fx = createFeatureExtractor({ sma: [3] }, 8);
    feed(fx, seriesFromCloses([1, 2, 3, 4]));
    expect(rows(fx.sma[3], fx.length)).toEqual([NaN, NaN, 2, 3]);
  });

  it('computes EMA(3) seeded with the first close: 1, 1.5, 2.25, 3.125 reported from row 2', () => {
    // k = 2/(3+1) = 0.5: 1 -> 0.5*2+0.5*1 = 1.5 -> 0.5*3+0.5*1.5 = 2.25 -> 0.5*4+0.5*2.25 = 3.125
    const fx = createFeatureExtractor({ ema: [3] }, 8);
    feed(fx, seriesFromCloses([1, 2, 3, 4]));
    expect(rows(fx.ema[3], fx.length)).toEqual([NaN, NaN, 2.25, 3.125]);
  });

  it('computes Wilder RSI(2) of 1,2,3,2,4 as NaN, NaN, 100, 50, 250/3', () => {
    // changes +1,+1: avgGain (1+1)/2 = 1, avgLoss 0 -> RSI 100
    // change -1: avgGain (0-1)/2+1 = 0.5, avgLoss (1-0)/2+0 = 0.5 -> RS 1 -> RSI 50
    // change +2: avgGain (2-0.5)/2+0.5 = 1.25, avgLoss (0-0.5)/2+0.5 = 0.25 -> RS 5 -> 100-100/6 = 250/3
    const fx = createFeatureExtractor({ rsi: [2] }, 2);
    feed(fx, seriesFromCloses([1, 2, 3, 2, 4]));
    const rsi = rows(fx.rsi[2], fx.length);
    expect(rsi.slice(0, 4)).toEqual([NaN, NaN, 100, 50]);
    expect(rsi[4]).toBeCloseTo(250 / 3, 12);
  });

  it('matches the Tulip Indicators RSI(5) reference values to 3 decimals', () => {
    // TulipCharts/tulipindicators v0.8.0 tests/untest.txt (rsi, period 5), also used by trading-signals' tests.
    const closes = [81.59, 81.06, 82.87, 83.0, 83.61, 83.15, 82.84, 83.99, 84.55, 84.36, 85.53, 86.54, 86.89, 87.77, 87.29];
    const expected = ['72.034', '64.927', '75.936', '79.796', '74.713', '83.033', '87.478', '88.755', '91.483', '78.498'];
    const fx = createFeatureExtractor({ rsi: [5] }, 4);
    feed(fx, seriesFromCloses(closes));
    const rsi = rows(fx.rsi[5], fx.length);
    expect(rsi.slice(0, 5).every(Number.isNaN)).toBe(true);
    expect(rsi.slice(5).map((v) => v.toFixed(3))).toEqual(expected);
  });

  it('reports RSI 100 when prices never fall', () => {
    const fx = createFeatureExtractor({ rsi: [2] }, 4);
    feed(fx, seriesFromCloses([2, 2, 2]));
    expect(fx.rsi[2][2]).toBe(100);
  });

  it('computes ATR(2) with Wilder smoothing seeded by the mean of the first two true ranges', () => {
    // rows (h,l,c): (10,8,9) (12,9,11) (11,7,8) (9,8,8.5)
    // TR: 2; max(3,|12-9|,|9-9|)=3; max(4,|11-11|,|7-11|)=4; max(1,|9-8|,|8-8|)=1
    // ATR: NaN, (2+3)/2 = 2.5, (4-2.5)/2+2.5 = 3.25, (1-3.25)/2+3.25 = 2.125
    const fx = createFeatureExtractor({ atr: [2] }, 4);
    fx.push(0, 9, 10, 8, 9, 1);
    fx.push(1, 9, 12, 9, 11, 1);
    fx.push(2, 11, 11, 7, 8, 1);
    fx.push(3, 8, 9, 8, 8.5, 1);
    expect(rows(fx.trueRange, 4)).toEqual([2, 3, 4, 1]);
    expect(rows(fx.atr[2], 4)).toEqual([NaN, 2.5, 3.25, 2.125]);
  });

  it('takes the true range as max(high - low, |high - previous close|, |low - previous close|) bit for bit, ties and gaps included', () => {
    // Prices on a coarse grid (whole ticks, a few awkward binary fractions) so the previous close often equals this
    // candle's low or high, lies inside it, or gaps past it; each row checked against the textbook formula.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const ticks = [0.1, 0.3, 1, 0.07];
    const n = 5000;
    const fx = createFeatureExtractor({ atr: [14] }, n);
    const expected: number[] = [];
    const cases = { below: 0, above: 0, within: 0, tie: 0 };
    let previousClose = NaN;
    for (let i = 0; i < n; i++) {
      const tick = ticks[i % ticks.length];
      const level = 1000 + Math.floor(next() * 6) * tick;
      const low = level - Math.floor(next() * 3) * tick;
      const high = level + Math.floor(next() * 3) * tick;
      const close = next() < 0.5 ? low : next() < 0.5 ? high : level;
      fx.push(i * 60_000, close, high, low, close, 1);
      expected.push(i === 0 ? high - low : Math.max(high - low, Math.abs(high - previousClose), Math.abs(low - previousClose)));
      if (i > 0) {
        if (previousClose === low || previousClose === high) cases.tie++;
        else if (previousClose < low) cases.below++;
        else if (previousClose > high) cases.above++;
        else cases.within++;
      }
      previousClose = close;
    }
    const got = rows(fx.trueRange, n);
    expect(got.filter((tr, i) => !Object.is(tr, expected[i]))).toEqual([]);
    // The series exercises every case: the previous close below the candle, above it, within it, and on its low or high.
    for (const count of Object.values(cases)) expect(count).toBeGreaterThan(100);
  });

  it('splits each close change into gain and loss bit for bit as the branching formula does, unchanged closes and both signs included', () => {
    // Closes on coarse grids and awkward binary fractions, so changes are often exactly 0 or of either sign and inexact;
    // the RSI(3) of every row is compared with Wilder's formula written with the textbook branches.
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const steps = [0.1, 0.3, 1, 0.07];
    const n = 5000;
    const period = 3;
    const closes: number[] = [];
    let close = 1000;
    for (let i = 0; i < n; i++) {
      const step = steps[i % steps.length];
      close = Math.max(1, close + (Math.floor(next() * 5) - 2) * step);
      closes.push(close);
    }
    const fx = createFeatureExtractor({ rsi: [period] }, n);
    feed(fx, seriesFromCloses(closes));
    const expected: number[] = [NaN];
    let avgGain = 0;
    let avgLoss = 0;
    const signs = { up: 0, down: 0, flat: 0 };
    for (let i = 1; i < n; i++) {
      const gain = closes[i] > closes[i - 1] ? closes[i] - closes[i - 1] : 0;
      const loss = closes[i] > closes[i - 1] ? 0 : closes[i - 1] - closes[i];
      if (closes[i] > closes[i - 1]) signs.up++;
      else if (closes[i] < closes[i - 1]) signs.down++;
      else signs.flat++;
      if (i < period) {
        avgGain += gain;
        avgLoss += loss;
      } else if (i === period) {
        avgGain = (avgGain + gain) / period;
        avgLoss = (avgLoss + loss) / period;
      } else {
        avgGain = (gain - avgGain) * (1 / period) + avgGain;
        avgLoss = (loss - avgLoss) * (1 / period) + avgLoss;
      }
      expected.push(i < period ? NaN : avgLoss === 0 ? 100 : 100 - 100 / (avgGain / avgLoss + 1));
    }
    const got = rows(fx.rsi[period], n);
    expect(got.filter((rsi, i) => !Object.is(rsi, expected[i]))).toEqual([]);
    for (const count of Object.values(signs)) expect(count).toBeGreaterThan(500);
  });

  it('computes Donchian(2) from the two previous candles, excluding the current one', () => {
    // highs 5,7,6,4,8 lows 1,3,2,0,5
    // upper[2] = max(5,7) = 7, upper[3] = max(7,6) = 7, upper[4] = max(6,4) = 6
    // lower[2] = min(1,3) = 1, lower[3] = min(3,2) = 2, lower[4] = min(2,0) = 0
    const fx = createFeatureExtractor({ donchian: [2] }, 2);
    const highs = [5, 7, 6, 4, 8];
    const lows = [1, 3, 2, 0, 5];
    highs.forEach((h, i) => fx.push(i, lows[i], h, lows[i], h, 0));
    expect(rows(fx.donchianUpper[2], 5)).toEqual([NaN, NaN, 7, 7, 6]);
    expect(rows(fx.donchianLower[2], 5)).toEqual([NaN, NaN, 1, 2, 0]);
  });
});

describe('createFeatureExtractor standard deviation', () => {
  it('computes the population StdDev(3) of 2,4,4,4,5,5,7,9 from row 2', () => {
    const fx = createFeatureExtractor({ stddev: [3] }, 4);
    feed(fx, seriesFromCloses([2, 4, 4, 4, 5, 5, 7, 9]));
    // Windows and their population variance (mean of squared deviations):
    // [2,4,4] mean 10/3: (16/9 + 4/9 + 4/9)/3 = 8/9     -> sqrt(8/9)
    // [4,4,4] mean 4: 0                                 -> 0
    // [4,4,5] mean 13/3: (1/9 + 1/9 + 4/9)/3 = 2/9      -> sqrt(2/9)
    // [4,5,5] mean 14/3: (4/9 + 1/9 + 1/9)/3 = 2/9      -> sqrt(2/9)
    // [5,5,7] mean 17/3: (4/9 + 4/9 + 16/9)/3 = 8/9     -> sqrt(8/9)
    // [5,7,9] mean 7: (4 + 0 + 4)/3 = 8/3               -> sqrt(8/3)
    const expected = [NaN, NaN, Math.sqrt(8 / 9), 0, Math.sqrt(2 / 9), Math.sqrt(2 / 9), Math.sqrt(8 / 9), Math.sqrt(8 / 3)];
    expectClose(rows(fx.stddev[3], fx.length), expected, 'stddev(3)');
  });

  it('gives StdDev(8) = 2 for the textbook series 2,4,4,4,5,5,7,9 (mean 5, variance 32/8 = 4)', () => {
    const fx = createFeatureExtractor({ stddev: [8] }, 8);
    feed(fx, seriesFromCloses([2, 4, 4, 4, 5, 5, 7, 9]));
    // Squared deviations from 5: 9+1+1+1+0+0+4+16 = 32; 32/8 = 4; sqrt 4 = 2.
    expect(fx.stddev[8][7]).toBeCloseTo(2, 12);
    expect(Number.isNaN(fx.stddev[8][6])).toBe(true);
  });

  it('equals trading-signals BollingerBands(20, 1) band half-width on a fixed series', () => {
    const closes = Array.from({ length: 120 }, (_, i) => 100 + 10 * Math.sin(i / 5) + (i % 7));
    const fx = createFeatureExtractor({ stddev: [20], sma: [20] }, 8);
    feed(fx, seriesFromCloses(closes));
    const bands = new BollingerBands(20, 1);
    closes.forEach((c, i) => {
      const r = bands.add(c);
      if (i < 19) return expect(r).toBeNull();
      expect(fx.stddev[20][i]).toBeCloseTo(r!.upper - r!.middle, 9);
      expect(fx.sma[20][i]).toBeCloseTo(r!.middle, 9);
    });
  });

  it('stays exact on large prices with tiny moves (no catastrophic cancellation)', () => {
    // 60000 + (0, 0.01, 0.02) repeated: every 3-close window is a permutation of the three values,
    // mean 60000.01, squared deviations 0.0001 + 0 + 0.0001 -> variance 0.0002/3.
    const closes = Array.from({ length: 3000 }, (_, i) => 60_000 + (i % 3) / 100);
    const fx = createFeatureExtractor({ stddev: [3] }, 16);
    feed(fx, seriesFromCloses(closes));
    expect(fx.stddev[3][2999]).toBeCloseTo(Math.sqrt(0.0002 / 3), 9);
  });
});

describe('createFeatureExtractor Donchian edge cases', () => {
  it('uses the previous candle alone for Donchian(1)', () => {
    const fx = createFeatureExtractor({ donchian: [1] }, 2);
    const highs = [5, 7, 6];
    highs.forEach((h, i) => fx.push(i, h - 2, h, h - 2, h, 0));
    expect(rows(fx.donchianUpper[1], 3)).toEqual([NaN, 5, 7]);
    expect(rows(fx.donchianLower[1], 3)).toEqual([NaN, 3, 5]);
  });
});

describe('createFeatureExtractor against trading-signals', () => {
  // A fixed, deterministic zig-zag series with trends, flats and reversals (300 rows).
  const closes: number[] = [];
  let price = 100;
  for (let i = 0; i < 300; i++) {
    price += Math.sin(i / 7) * 2 + ((i * 37) % 11) / 5 - 1 + (i % 50 === 0 ? -8 : 0);
    closes.push(Math.round(price * 100) / 100);
  }
  const fixed = seriesFromCloses(closes);

  it('matches SMA, EMA, RSI, ATR and Donchian on a fixed series to 1e-9 relative', () => {
    const fx = createFeatureExtractor(PERIODS, 1);
    feed(fx, fixed);
    expect(fx.length).toBe(300);
    expect(fx.capacity).toBe(512);
    expectMatchesReference(fx, fixed);
  });

  it('produces identical columns after reset and a second pass', () => {
    const fx = createFeatureExtractor(PERIODS, 1000);
    feed(fx, seriesFromCloses([5, 4, 3, 9, 1]));
    fx.reset();
    expect(fx.length).toBe(0);
    feed(fx, fixed);
    expectMatchesReference(fx, fixed);
  });

  it('accepts candles as columns through pushColumns', () => {
    const fx = createFeatureExtractor(PERIODS, 16);
    const toColumn = (values: number[]) => Float64Array.from(values);
    fx.pushColumns({
      length: fixed.close.length,
      openTimeMs: toColumn(fixed.openTimeMs),
      open: toColumn(fixed.open),
      high: toColumn(fixed.high),
      low: toColumn(fixed.low),
      close: toColumn(fixed.close),
      volume: toColumn(fixed.volume),
    });
    expectMatchesReference(fx, fixed);
  });
});

describe('createFeatureExtractor validation', () => {
  it('rejects a candle whose open time does not advance', () => {
    const fx = createFeatureExtractor({}, 4);
    fx.push(1000, 1, 1, 1, 1, 0);
    expect(() => fx.push(1000, 1, 1, 1, 1, 0)).toThrow(
      'candle open time (1000) must be after the previous candle\'s (1000)',
    );
  });

  it('rejects a candle whose close is above its high', () => {
    const fx = createFeatureExtractor({}, 4);
    expect(() => fx.push(0, 1, 2, 1, 3, 0)).toThrow(ValidationError);
  });

  it('rejects a row outside the source columns', () => {
    const fx = createFeatureExtractor({}, 4);
    const one = Float64Array.of(1);
    const candles = { length: 1, openTimeMs: one, open: one, high: one, low: one, close: one, volume: one };
    expect(() => fx.pushFrom(candles, 1)).toThrow('row (1) must be an integer in 0..0');
  });

  it('rejects a NaN price', () => {
    const fx = createFeatureExtractor({}, 4);
    expect(() => fx.push(0, 1, 2, 1, NaN, 0)).toThrow(ValidationError);
  });

  it('rejects an infinite price, pushed alone or in a range, and appends nothing', () => {
    const fx = createFeatureExtractor({ rsi: [2] }, 4);
    expect(() => fx.push(0, 1, Infinity, 1, Infinity, 0)).toThrow('finite prices with low <= open, close <= high and volume >= 0 must hold');
    expect(() => fx.push(0, -Infinity, 1, -Infinity, 1, 0)).toThrow(ValidationError);
    const column = (values: number[]) => Float64Array.from(values);
    const candles = {
      length: 2,
      openTimeMs: column([0, 60_000]),
      open: column([1, 1]),
      high: column([1, Infinity]),
      low: column([1, 1]),
      close: column([1, Infinity]),
      volume: column([0, 0]),
    };
    expect(() => fx.pushRange(candles, 0, 2)).toThrow('finite prices with low <= open, close <= high and volume >= 0 must hold');
    expect(fx.length).toBe(0);
  });

  it('rejects a period of zero naming the family and index', () => {
    expect(() => createFeatureExtractor({ sma: [5, 0] }, 4)).toThrow(
      'field "sma[1]" was 0: sma period (0) must be an integer in 1..10000',
    );
  });

  it('rejects a capacity of zero', () => {
    expect(() => createFeatureExtractor({}, 0)).toThrow('capacity (0) must be an integer >= 1');
  });

  it('merges adapter requirements into sorted unique periods', () => {
    const config = featureConfigFor([
      { features: { sma: [50, 20], atr: [14] } },
      { features: { sma: [20], rsi: [14], atr: [14] } },
    ]);
    expect(config).toEqual({ sma: [20, 50], ema: [], rsi: [14], atr: [14], donchian: [], stddev: [] });
    expect(Object.isFrozen(config.sma)).toBe(true);
  });

  it('names the missing column when a frame lacks a period an adapter reads', () => {
    const fx = createFeatureExtractor(normalizeFeatureConfig({ sma: [20] }), 4);
    expect(() => assertFrameProvides(fx, [{ features: { sma: [20, 50] } }])).toThrow(
      'field "sma" was 50: the feature frame computes no sma(50); it has sma periods [20]',
    );
  });
});

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const btcFile = path.join(dataDir, 'binance_BTC-USDT_1h.csv');

function readCsv(file: string): Series {
  const s: Series = { openTimeMs: [], open: [], high: [], low: [], close: [], volume: [] };
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  for (const line of lines.slice(1)) {
    const [t, o, h, l, c, v] = line.split(',').map(Number);
    s.openTimeMs.push(t);
    s.open.push(o);
    s.high.push(h);
    s.low.push(l);
    s.close.push(c);
    s.volume.push(v);
  }
  return s;
}

describe('createFeatureExtractor on real BTC/USDT 1h candles', () => {
  if (!fs.existsSync(btcFile)) {
    it('needs nothing when the shared data is absent', () => {
      console.log(`shared data not found at ${btcFile}: real-data suite not run`);
    });
    return;
  }

  it('matches trading-signals on every row of binance_BTC-USDT_1h.csv (5980 candles)', () => {
    const s = readCsv(btcFile);
    expect(s.close.length).toBe(5980);
    const fx = createFeatureExtractor(PERIODS, 1024);
    feed(fx, s);
    expectMatchesReference(fx, s);
  });
});

describe('pushRange (column-wise)', () => {
  /** 300 candles of a seeded random walk, as candle columns. */
  function walkColumns(count: number) {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const closes: number[] = [];
    let price = 100;
    for (let i = 0; i < count; i++) closes.push((price *= 1 + (next() - 0.5) / 50));
    const s = seriesFromCloses(closes);
    return { length: count, openTimeMs: Float64Array.from(s.openTimeMs), open: Float64Array.from(s.open), high: Float64Array.from(s.high), low: Float64Array.from(s.low), close: Float64Array.from(s.close), volume: Float64Array.from(s.volume) };
  }

  it('gives bit-identical columns to pushing the rows one by one, whatever the range boundaries', () => {
    const candles = walkColumns(300);
    const one = createFeatureExtractor(PERIODS, 4);
    for (let r = 0; r < candles.length; r++) one.pushFrom(candles, r);
    const ranged = createFeatureExtractor(PERIODS, 4);
    // Ranges of 1, 7, 50 and the rest: boundaries inside every indicator's warm-up and recompute cycle.
    for (const [from, to] of [[0, 1], [1, 8], [8, 58], [58, 300]]) ranged.pushRange(candles, from, to);
    expect(ranged.length).toBe(300);
    for (const kind of ['sma', 'ema', 'rsi', 'atr', 'donchianUpper', 'donchianLower', 'stddev'] as const) {
      for (const p of Object.keys(one[kind]).map(Number)) expect(rows(ranged[kind][p], 300), `${kind}(${p})`).toEqual(rows(one[kind][p], 300));
    }
    expect(rows(ranged.trueRange, 300)).toEqual(rows(one.trueRange, 300));
  });

  it('appends nothing when a row of the range is bad, and names the range when it is out of bounds', () => {
    const candles = walkColumns(20);
    const fx = createFeatureExtractor({ sma: [3], rsi: [5] }, 4);
    fx.pushRange(candles, 0, 5);
    const high = candles.high[12];
    candles.high[12] = candles.low[12] - 1;
    expect(() => fx.pushRange(candles, 5, 20)).toThrow(ValidationError);
    expect(fx.length).toBe(5);
    expect(() => fx.pushRange(candles, 5, 21)).toThrow(/field "rows" was \{"from":5,"to":21\}/);
    // The indicators' state did not move: the rest of the series gives what an uninterrupted feed gives.
    candles.high[12] = high;
    fx.pushRange(candles, 5, 20);
    const whole = createFeatureExtractor({ sma: [3], rsi: [5] }, 4);
    whole.pushRange(candles, 0, 20);
    expect(rows(fx.sma[3], 20)).toEqual(rows(whole.sma[3], 20));
    expect(rows(fx.rsi[5], 20)).toEqual(rows(whole.rsi[5], 20));
  });

  it('gives bit-identical rows after discarding old rows, wherever the discards fall', () => {
    const candles = walkColumns(600);
    const whole = createFeatureExtractor(PERIODS, 4);
    whole.pushRange(candles, 0, 600);
    const keep = 1 + Math.max(...Object.values(normalizeFeatureConfig(PERIODS)).flat());
    const bounded = createFeatureExtractor(PERIODS, 4);
    // A discard before every range of 37 rows once enough rows are held, keeping 0-4 rows more than the indicators read.
    for (let from = 0; from < 600; from += 37) {
      if (bounded.length > keep + 5) bounded.discardBefore(bounded.length - keep - (from % 5));
      bounded.pushRange(candles, from, Math.min(600, from + 37));
    }
    expect(bounded.rowBase + bounded.length).toBe(600);
    expect(bounded.rowBase).toBeGreaterThan(400);
    const base = bounded.rowBase;
    const tail = (column: Float64Array, offset: number) => Array.from(column.subarray(offset, offset + bounded.length));
    for (const kind of ['sma', 'ema', 'rsi', 'atr', 'donchianUpper', 'donchianLower', 'stddev'] as const) {
      for (const p of Object.keys(whole[kind]).map(Number)) expect(tail(bounded[kind][p], 0), `${kind}(${p})`).toEqual(tail(whole[kind][p], base));
    }
    for (const column of ['openTimeMs', 'close', 'trueRange'] as const) expect(tail(bounded[column], 0)).toEqual(tail(whole[column], base));
  });

  it('refuses to discard rows the indicators still read, naming the row', () => {
    const candles = walkColumns(30);
    const fx = createFeatureExtractor({ sma: [10] }, 4);
    fx.pushRange(candles, 0, 30);
    // SMA(10) reads the 11 newest rows: at most rows 0..18 of 30 may go.
    expect(() => fx.discardBefore(20)).toThrow(/field "row" was 20/);
    expect(() => fx.discardBefore(-1)).toThrow(ValidationError);
    fx.discardBefore(19);
    expect(fx.length).toBe(11);
    expect(fx.rowBase).toBe(19);
    expect(fx.sma[10][10]).toBeCloseTo(Array.from(candles.close.subarray(20, 30)).reduce((a, b) => a + b, 0) / 10, 12);
  });
});
