import { describe, expect, it } from 'vitest';
import { analyzeRunEquity, buyAndHoldCurve, drawdownSeries, periodsPerYearOf, rollingRisk } from './run-analysis';

/** Hand-computed reference values; each expectation shows its arithmetic. */
const curve = (values: number[]) => values.map((equity, i) => ({ timeMs: i * 60_000, equity }));

describe('drawdownSeries', () => {
  it('measures each point against the running peak', () => {
    const points = drawdownSeries(curve([100, 110, 99, 121, 110]));
    expect(points.map((p) => p.timeMs)).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    const expected = [0, 0, 99 / 110 - 1 /* -0.1 */, 0, 110 / 121 - 1 /* -1/11 */];
    points.forEach((p, i) => expect(p.drawdown).toBeCloseTo(expected[i], 12));
    expect(points[2].drawdown).toBeCloseTo(-0.1, 12);
    expect(points[4].drawdown).toBeCloseTo(-0.0909090909090909, 12);
  });

  it('gives an empty curve for no points', () => {
    expect(drawdownSeries([])).toEqual([]);
  });
});

describe('buyAndHoldCurve', () => {
  const candles = {
    length: 3,
    openTimeMs: Float64Array.from([0, 60_000, 120_000]),
    open: Float64Array.from([100, 110, 90]),
    close: Float64Array.from([110, 90, 120]),
  };

  it('buys at the first open and marks the holding at each close, stamped at close time', () => {
    // 1000 / 100 = 10 units: 10 * 110, 10 * 90, 10 * 120.
    expect(buyAndHoldCurve(candles, 1000, { timeframeMs: 60_000 })).toEqual([
      { timeMs: 60_000, equity: 1100 },
      { timeMs: 120_000, equity: 900 },
      { timeMs: 180_000, equity: 1200 },
    ]);
  });

  it('pays the fee on the buy and on the final sale', () => {
    // 10 bps: 1000 * 0.999 / 100 = 9.99 units; 9.99 * 110 = 1098.9; 9.99 * 90 = 899.1; 9.99 * 120 * 0.999 = 1197.6012.
    const points = buyAndHoldCurve(candles, 1000, { timeframeMs: 60_000, feeBps: 10 });
    expect(points.map((p) => p.equity)).toEqual([expect.closeTo(1098.9, 9), expect.closeTo(899.1, 9), expect.closeTo(1197.6012, 9)]);
  });

  it('refuses a first open of zero', () => {
    expect(() => buyAndHoldCurve({ ...candles, open: Float64Array.from([0, 1, 1]) }, 1000, { timeframeMs: 60_000 })).toThrow('Buy-and-hold needs a first open above 0, got 0');
  });
});

describe('rollingRisk', () => {
  it('annualises the Sharpe ratio and volatility of each window of returns', () => {
    // Returns: +10 %, -10 %, 0 %, +10 %; window 2, 4 periods a year (sqrt = 2).
    // [0.1, -0.1]: mean 0, sample std sqrt(0.02) = 0.1414213562 -> Sharpe 0, vol 0.2828427125.
    // [-0.1, 0]: mean -0.05, std sqrt(0.005) = 0.0707106781 -> Sharpe -0.05 / 0.0707106781 * 2 = -1.4142135624, vol 0.1414213562.
    // [0, 0.1]: mean 0.05 -> Sharpe 1.4142135624, vol 0.1414213562.
    const points = rollingRisk(curve([100, 110, 99, 99, 108.9]), 2, 4);
    expect(points.map((p) => p.timeMs)).toEqual([120_000, 180_000, 240_000]);
    expect(points[0].sharpe).toBeCloseTo(0, 12);
    expect(points[0].volatility).toBeCloseTo(0.28284271247461906, 12);
    expect(points[1].sharpe).toBeCloseTo(-1.4142135623730951, 10);
    expect(points[1].volatility).toBeCloseTo(0.1414213562373095, 12);
    expect(points[2].sharpe).toBeCloseTo(1.4142135623730951, 10);
    expect(points[2].volatility).toBeCloseTo(0.1414213562373095, 12);
  });

  it('reports no Sharpe ratio for a flat window', () => {
    expect(rollingRisk(curve([100, 100, 100]), 2, 4)).toEqual([{ timeMs: 120_000, sharpe: null, volatility: 0 }]);
  });

  it('gives no points when the curve is shorter than the window', () => {
    expect(rollingRisk(curve([100, 101]), 2, 4)).toEqual([]);
  });

  it('refuses a window below 2', () => {
    expect(() => rollingRisk(curve([100, 101, 102]), 1, 4)).toThrow('Rolling window must be an integer >= 2, got 1');
  });
});

describe('periodsPerYearOf', () => {
  it('counts the intervals of the curve spacing in 365 days', () => {
    // One point a minute: 365 * 24 * 60 = 525600.
    expect(periodsPerYearOf(curve([1, 2]))).toBe(525_600);
    expect(periodsPerYearOf(curve([1]))).toBeNull();
  });
});

describe('analyzeRunEquity', () => {
  it('samples the benchmark at the equity times and derives the underwater curve', () => {
    const candles = {
      length: 4,
      openTimeMs: Float64Array.from([0, 60_000, 120_000, 180_000]),
      open: Float64Array.from([100, 110, 90, 120]),
      close: Float64Array.from([110, 90, 120, 130]),
    };
    // Equity recorded at close times 60 s, 180 s and 240 s (a downsampled curve skips 120 s).
    const equity = [
      { timeMs: 60_000, equity: 1000 },
      { timeMs: 180_000, equity: 900 },
      { timeMs: 240_000, equity: 990 },
    ];
    const analysis = analyzeRunEquity(equity, candles, { initialBalance: 1000, timeframeMs: 60_000, feeBps: 0, window: 2 });
    // 10 units held: 10 * 110, 10 * 120 (close of the 120 s candle), 10 * 130.
    expect(analysis.benchmark).toEqual([
      { timeMs: 60_000, equity: 1100 },
      { timeMs: 180_000, equity: 1200 },
      { timeMs: 240_000, equity: 1300 },
    ]);
    expect(analysis.underwater.map((p) => p.drawdown)).toEqual([0, expect.closeTo(-0.1, 12), expect.closeTo(-0.01, 12)]);
    // Returns -10 %, +10 % over one window; points 120 s apart -> 262800 a year.
    expect(analysis.rolling).toHaveLength(1);
    expect(analysis.rolling[0].timeMs).toBe(240_000);
    expect(analysis.rolling[0].sharpe).toBeCloseTo(0, 10);
  });
});
