import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { candleColumnsFromRows } from '../core/types';
import { alignReturns, computeValueAtRisk, lastScenarios, quantileRank, type AlignedReturns } from './value-at-risk';

function history(columns: Record<string, number[]>): AlignedReturns {
  const symbols = Object.keys(columns);
  const returns = symbols.map((s) => Float64Array.from(columns[s]));
  return { symbols, returns, length: returns[0].length, openTimeMs: Float64Array.from(returns[0], (_, t) => t) };
}

// 20 per-candle returns of one market.
const R20 = [0.01, -0.02, 0.005, -0.035, 0.012, 0.003, -0.01, 0.02, -0.05, 0.007, 0, -0.004, 0.015, -0.012, 0.008, -0.025, 0.011, 0.002, -0.006, 0.009];

describe('computeValueAtRisk', () => {
  // A long of notional 1000 on R20: PnL_t = 1000 r_t =
  //   10, -20, 5, -35, 12, 3, -10, 20, -50, 7, 0, -4, 15, -12, 8, -25, 11, 2, -6, 9
  // sorted ascending:
  //   -50, -35, -25, -20, -12, -10, -6, -4, 0, 2, 3, 5, 7, 8, 9, 10, 11, 12, 15, 20
  const single = { exposures: [{ symbol: 'BTC/USDT', notional: 1000 }], history: history({ 'BTC/USDT': R20 }), equity: 10_000 };

  it('takes the second-worst of 20 scenarios at 90 % and averages the two worst for ES', () => {
    // c = 0.9: p = 0.1, k = ceil(20 x 0.1) = 2 -> PnL_(2) = -35 -> VaR = 35.
    // ES = -mean(PnL <= -35) = -(-50 - 35) / 2 = 42.5. Fractions of equity 10 000: 0.0035 and 0.00425.
    const r = computeValueAtRisk({ ...single, confidence: 0.9 });
    expect(r.scenarios).toBe(20);
    expect(r.quantileRank).toBe(2);
    expect(r.valueAtRisk).toBeCloseTo(35, 10);
    expect(r.expectedShortfall).toBeCloseTo(42.5, 10);
    expect(r.tailCount).toBe(2);
    expect(r.varFraction).toBeCloseTo(0.0035, 12);
    expect(r.esFraction).toBeCloseTo(0.00425, 12);
  });

  it('takes the worst scenario at 95 % and the fourth-worst at 80 %', () => {
    // c = 0.95: k = ceil(20 x 0.05) = 1 -> VaR = ES = 50.
    const at95 = computeValueAtRisk({ ...single, confidence: 0.95 });
    expect([at95.quantileRank, at95.valueAtRisk, at95.expectedShortfall]).toEqual([1, expect.closeTo(50, 10), expect.closeTo(50, 10)]);
    // c = 0.8: k = ceil(20 x 0.2) = 4 -> PnL_(4) = -20 -> VaR = 20; ES = (50 + 35 + 25 + 20) / 4 = 32.5.
    const at80 = computeValueAtRisk({ ...single, confidence: 0.8 });
    expect([at80.quantileRank, at80.valueAtRisk, at80.expectedShortfall, at80.tailCount]).toEqual([4, expect.closeTo(20, 10), expect.closeTo(32.5, 10), 4]);
  });

  it('gives the same figures, negated scenario by scenario, for a short', () => {
    // A short of 1000: PnL_t = -1000 r_t; sorted: -20, -15, -12, -11, ... -> c = 0.9, k = 2 -> VaR = 15, ES = (20 + 15) / 2 = 17.5.
    const r = computeValueAtRisk({ ...single, exposures: [{ symbol: 'BTC/USDT', notional: -1000 }], confidence: 0.9 });
    expect(r.valueAtRisk).toBeCloseTo(15, 10);
    expect(r.expectedShortfall).toBeCloseTo(17.5, 10);
  });

  // Ten scenarios of two markets that move together (B about twice as much as A).
  const RA = [0.01, -0.02, 0.03, -0.04, 0.005, -0.01, 0.02, -0.03, 0, 0.015];
  const RB = [0.02, -0.02, 0.04, -0.06, 0, -0.02, 0.02, -0.04, 0.01, 0.02];
  const pair = history({ A: RA, B: RB });

  it('lowers VaR when a short in a correlated market hedges a long', () => {
    // Long A 1000 alone: PnL = 10, -20, 30, -40, 5, -10, 20, -30, 0, 15; sorted -40, -30, -20, ...
    // c = 0.8: k = ceil(10 x 0.2) = 2 -> VaR = 30, ES = (40 + 30) / 2 = 35.
    const alone = computeValueAtRisk({ exposures: [{ symbol: 'A', notional: 1000 }], history: pair, confidence: 0.8, equity: 1000 });
    expect(alone.valueAtRisk).toBeCloseTo(30, 10);
    expect(alone.expectedShortfall).toBeCloseTo(35, 10);
    // Short B 500: PnL_B = -10, 10, -20, 30, 0, 10, -10, 20, -5, -10.
    // Sum:            0, -10, 10, -10, 5, 0, 10, -10, -5, 5; sorted -10, -10, -10, -5, 0, 0, 5, 5, 10, 10.
    // k = 2 -> PnL_(2) = -10 -> VaR = 10; ES averages all three scenarios at -10 (ties included) -> 10.
    const hedged = computeValueAtRisk({
      exposures: [
        { symbol: 'A', notional: 1000 },
        { symbol: 'B', notional: -500 },
      ],
      history: pair,
      confidence: 0.8,
      equity: 1000,
    });
    expect(hedged.valueAtRisk).toBeCloseTo(10, 10);
    expect(hedged.expectedShortfall).toBeCloseTo(10, 10);
    expect(hedged.tailCount).toBe(3);
    expect(hedged.varFraction).toBeCloseTo(0.01, 12);
    expect(hedged.valueAtRisk).toBeLessThan(alone.valueAtRisk);
  });

  it('counts ties below the quantile into ES', () => {
    // Short B 500 alone: sorted -20, -10, -10, -10, -5, 0, 10, 10, 20, 30; k = 2 -> VaR = 10;
    // ES = -mean(-20, -10, -10, -10) = 12.5 over 4 scenarios.
    const r = computeValueAtRisk({ exposures: [{ symbol: 'B', notional: -500 }], history: pair, confidence: 0.8, equity: 1000 });
    expect([r.valueAtRisk, r.expectedShortfall, r.tailCount]).toEqual([expect.closeTo(10, 10), expect.closeTo(12.5, 10), 4]);
  });

  it('gives zero for a flat book', () => {
    const r = computeValueAtRisk({ exposures: [], history: pair, confidence: 0.99, equity: 1000 });
    expect(Object.is(r.valueAtRisk, 0) && Object.is(r.expectedShortfall, 0)).toBe(true);
  });

  it('rejects a confidence level of 0 or 1, a bad equity and an exposure without history, naming the field', () => {
    for (const confidence of [0, 1, 1.5, Number.NaN]) {
      expect(() => computeValueAtRisk({ ...single, confidence })).toThrow(ValidationError);
      expect(() => computeValueAtRisk({ ...single, confidence })).toThrow(/field "confidence"/);
    }
    expect(() => computeValueAtRisk({ ...single, confidence: 0.9, equity: 0 })).toThrow(/field "equity" was 0/);
    expect(() => computeValueAtRisk({ ...single, exposures: [{ symbol: 'ETH/USDT', notional: 5 }], confidence: 0.9 })).toThrow(/field "symbol" was "ETH\/USDT"/);
  });
});

describe('quantileRank', () => {
  it('is not pushed up by binary rounding of n(1 - c)', () => {
    // 500 x (1 - 0.99) is 5.0000000000000044 in doubles; the rank is 5. 20 x (1 - 0.9) = 1.9999999999999996 -> 2.
    expect(quantileRank(500, 1 - 0.99)).toBe(5);
    expect(quantileRank(20, 1 - 0.9)).toBe(2);
    expect(quantileRank(501, 1 - 0.99)).toBe(6);
    expect(quantileRank(10, 0.001)).toBe(1);
  });
});

describe('alignReturns', () => {
  const candles = (rows: [number, number][]) => candleColumnsFromRows(rows.map(([t, close]) => ({ openTimeMs: t, open: close, high: close, low: close, close, volume: 1 })));
  // A has a candle at t = 2 that B lacks: the common times are 0, 1, 3, 4.
  const a = candles([[0, 100], [1, 110], [2, 99], [3, 99], [4, 108.9]]);
  const b = candles([[0, 50], [1, 55], [3, 44], [4, 55]]);

  it('returns close-to-close returns on the open times every series has, newest last', () => {
    // A: 110/100 - 1 = 0.1, 99/110 - 1 = -0.1, 108.9/99 - 1 = 0.1; B: 0.1, 44/55 - 1 = -0.2, 55/44 - 1 = 0.25.
    const all = alignReturns([{ symbol: 'A', candles: a }, { symbol: 'B', candles: b }], 10);
    expect(all.length).toBe(3);
    expect([...all.returns[0]].map((x) => Number(x.toFixed(12)))).toEqual([0.1, -0.1, 0.1]);
    expect([...all.returns[1]].map((x) => Number(x.toFixed(12)))).toEqual([0.1, -0.2, 0.25]);
    expect([...all.openTimeMs]).toEqual([1, 3, 4]);
    // The last 2 scenarios only.
    const last2 = alignReturns([{ symbol: 'A', candles: a }, { symbol: 'B', candles: b }], 2);
    expect(last2.length).toBe(2);
    expect([...last2.returns[1]].map((x) => Number(x.toFixed(12)))).toEqual([-0.2, 0.25]);
    expect([...last2.openTimeMs]).toEqual([3, 4]);
    const view = lastScenarios(all, 2);
    expect([view.length, ...view.returns[0].map((x) => Number(x.toFixed(12))), ...view.openTimeMs]).toEqual([2, -0.1, 0.1, 3, 4]);
  });

  it('rejects a lookback below 1 and a repeated symbol', () => {
    expect(() => alignReturns([{ symbol: 'A', candles: a }], 0)).toThrow(/field "lookbackCandles" was 0/);
    expect(() => alignReturns([{ symbol: 'A', candles: a }, { symbol: 'A', candles: b }], 5)).toThrow(/field "symbols"/);
  });
});
