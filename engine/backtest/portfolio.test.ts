import { describe, expect, it } from 'vitest';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { correlationMatrix, maxDrawdownOfCumulative, mergeCandleTimelines, pearsonCorrelation } from '../testing/two-pass-portfolio';
import { createPortfolioAccumulator } from './portfolio';

const HOUR = 3_600_000;

/** Flat candles at the given hour indexes (only the open times matter to the merge). */
function candlesAt(hours: number[]): CandleColumns {
  return candleColumnsFromRows(hours.map((h) => ({ openTimeMs: h * HOUR, open: 1, high: 1, low: 1, close: 1, volume: 1 })));
}

describe('mergeCandleTimelines', () => {
  it('orders candles by open time, markets of one time in listed order, and lets a later market join when its data starts', () => {
    // A trades hours 0..3 with hour 2 missing; B starts at hour 2 and outlives A.
    const a = candlesAt([0, 1, 3]);
    const b = candlesAt([2, 3, 4]);
    const t = mergeCandleTimelines([a, b]);
    // hour:    0  1  2  3  3  4
    // market:  A  A  B  A  B  B
    expect(t.length).toBe(6);
    expect([...t.market]).toEqual([0, 0, 1, 0, 1, 1]);
    expect([...t.row]).toEqual([0, 1, 0, 2, 1, 2]);
    expect([...t.group]).toEqual([0, 1, 2, 3, 3, 4]);
    expect(t.groups).toBe(5);
  });

  it('keeps a single market as it is', () => {
    const t = mergeCandleTimelines([candlesAt([5, 6, 7])]);
    expect([...t.market]).toEqual([0, 0, 0]);
    expect([...t.row]).toEqual([0, 1, 2]);
    expect(t.groups).toBe(3);
  });

  it('merges nothing to an empty timeline and skips a market without candles', () => {
    expect(mergeCandleTimelines([]).length).toBe(0);
    const t = mergeCandleTimelines([candlesAt([]), candlesAt([1])]);
    expect([...t.market]).toEqual([1]);
  });
});

describe('pearsonCorrelation', () => {
  it("gives Pearson's r computed by hand", () => {
    // a = 1,2,3,4 (mean 2.5), b = 2,4,5,9 (mean 5): deviations -1.5,-0.5,0.5,1.5 and -3,-1,0,4;
    // cov sum = 4.5 + 0.5 + 0 + 6 = 11, var sums 5 and 26, r = 11 / sqrt(130) = 0.96476382123773...
    expect(pearsonCorrelation([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(0.9647638212377322, 14);
    expect(pearsonCorrelation([1, 2, 3], [3, 2, 1])).toBe(-1);
  });

  it('counts only the masked-in points', () => {
    // Over the first three points: a = 1,2,3, b = 1,3,2 (means 2): cov sum 1, var sums 2 and 2, r = 0.5.
    expect(pearsonCorrelation([1, 2, 3, 100], [1, 3, 2, -50], [1, 1, 1, 0])).toBeCloseTo(0.5, 15);
  });

  it('is undefined for a constant series or fewer than two points', () => {
    expect(pearsonCorrelation([0, 0, 0], [1, 2, 3])).toBeNull();
    expect(pearsonCorrelation([1, 2], [1, 2], [1, 0])).toBeNull();
  });

  it('refuses series of different lengths', () => {
    expect(() => pearsonCorrelation([1, 2], [1])).toThrow('series lengths differ: 2, 1');
  });
});

describe('correlationMatrix', () => {
  it('correlates each pair over the times both markets have, with a market joining later', () => {
    const a = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(2, 4, 5, 9);
    // C joins at t = 1 (its t = 0 value is never read).
    const c = Float64Array.of(99, 5, 1, 3);
    const all = Uint8Array.of(1, 1, 1, 1);
    const late = Uint8Array.of(0, 1, 1, 1);
    const m = correlationMatrix(['A', 'B', 'C'], [a, b, c], [all, all, late]);
    expect(m.method).toBe('pearson-contribution-returns');
    expect(m.symbols).toEqual(['A', 'B', 'C']);
    // A,C over t = 1..3: a = 2,3,4 and c = 5,1,3 (means 3): deviations -1,0,1 and 2,-2,0: r = -2 / sqrt(2 * 8) = -0.5.
    // B,C over t = 1..3: b = 4,5,9 (mean 6): deviations -2,-1,3: r = -2 / sqrt(14 * 8) = -0.18898223650461...
    expect(m.matrix[0][0]).toBe(1);
    expect(m.matrix[0][1]).toBeCloseTo(0.9647638212377322, 14);
    expect(m.matrix[0][2]).toBeCloseTo(-0.5, 15);
    expect(m.matrix[1][2]).toBeCloseTo(-0.1889822365046136, 14);
    expect(m.matrix[2][1]).toBe(m.matrix[1][2]);
    expect(m.matrix[2][2]).toBe(1);
  });

  it('leaves a market that never moved uncorrelated (null, its diagonal too)', () => {
    const m = correlationMatrix(['A', 'B'], [Float64Array.of(1, 2, 3), new Float64Array(3)], [Uint8Array.of(1, 1, 1), Uint8Array.of(1, 1, 1)]);
    expect(m.matrix).toEqual([
      [1, null],
      [null, null],
    ]);
  });
});

describe('maxDrawdownOfCumulative', () => {
  it('measures the largest fall of the running sum from its peak', () => {
    // Running sum 5, 2, 4, -2, -1: peak 5, lowest after it -2, so 7.
    expect(maxDrawdownOfCumulative([5, -3, 2, -6, 1])).toBe(7);
    expect(maxDrawdownOfCumulative([1, 2, 3])).toBe(0);
    // A fall from the start counts from 0.
    expect(maxDrawdownOfCumulative([-4, 1])).toBe(4);
  });
});

describe('createPortfolioAccumulator', () => {
  /** Feeds groups t = 0..n-1 of per-market series (index m) with the given presence and equity before each group. */
  function feed(symbols: string[], contribution: ArrayLike<number>[], present: ArrayLike<number>[], equityBefore: ArrayLike<number>) {
    const accumulator = createPortfolioAccumulator(symbols);
    for (let t = 0; t < equityBefore.length; t++) {
      accumulator.addGroup(
        contribution.map((c) => c[t]),
        present.map((p) => p[t]),
        equityBefore[t],
      );
    }
    return accumulator;
  }

  it('gives the hand-computed correlations of the correlationMatrix example, fed one time at a time', () => {
    // Equity before 1 at every time, so the returns are the contributions; the same series and r values as above.
    const c = feed(['A', 'B', 'C'], [[1, 2, 3, 4], [2, 4, 5, 9], [0, 5, 1, 3]], [[1, 1, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]], [1, 1, 1, 1]).correlation();
    expect(c.method).toBe('pearson-contribution-returns');
    expect(c.symbols).toEqual(['A', 'B', 'C']);
    expect(c.matrix[0][0]).toBe(1);
    expect(c.matrix[0][1]).toBeCloseTo(0.9647638212377322, 14);
    expect(c.matrix[0][2]).toBeCloseTo(-0.5, 15);
    expect(c.matrix[1][2]).toBeCloseTo(-0.1889822365046136, 14);
    expect(c.matrix[2][1]).toBe(c.matrix[1][2]);
  });

  it('leaves a market that never moved, or shares fewer than two times, uncorrelated (null)', () => {
    const flat = feed(['A', 'B'], [[1, 2, 3], [0, 0, 0]], [[1, 1, 1], [1, 1, 1]], [1, 1, 1]).correlation();
    expect(flat.matrix).toEqual([
      [1, null],
      [null, null],
    ]);
    // B is present at t = 2 only: one common time.
    const apart = feed(['A', 'B'], [[1, 2, 3], [0, 0, 5]], [[1, 1, 1], [0, 0, 1]], [1, 1, 1]).correlation();
    expect(apart.matrix[0][1]).toBeNull();
    expect(apart.matrix[1][1]).toBeNull();
  });

  it('equals the two-pass figures on 5,000 times of three markets that join late and stop early: r within 1e-9, sums and drawdowns exactly', () => {
    // A deterministic pseudo-random walk (a linear congruential generator), equity before around 10,000.
    let seed = 12_345;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648) - 0.5;
    const n = 5_000;
    const symbols = ['A', 'B', 'C'];
    const present = symbols.map((_, m) => Uint8Array.from({ length: n }, (_, t) => (m === 1 ? t >= 700 : m === 2 ? t < 3_100 : true) ? 1 : 0));
    const contribution = symbols.map((_, m) => Float64Array.from({ length: n }, (_, t) => (present[m][t] === 1 ? 25 * random() + (m === 2 ? 10 * Math.sin(t / 50) : 0) : 0)));
    // B follows A in part, so their correlation is far from 0.
    for (let t = 0; t < n; t++) if (present[1][t] === 1) contribution[1][t] += 0.6 * contribution[0][t];
    const equityBefore = Float64Array.from({ length: n }, (_, t) => 10_000 + 500 * Math.sin(t / 300));
    const accumulator = feed(symbols, contribution, present, equityBefore);
    const returns = contribution.map((c) => c.map((d, t) => d / equityBefore[t]));
    const reference = correlationMatrix(symbols, returns, present);
    const got = accumulator.correlation();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const want = reference.matrix[i][j]!;
        expect(Math.abs(got.matrix[i][j]! - want), `r[${i}][${j}] ${got.matrix[i][j]} against ${want}`).toBeLessThanOrEqual(1e-9 * Math.abs(want));
      }
      expect(accumulator.contribution(i)).toBe(contribution[i].reduce((s, d) => s + d, 0));
      expect(accumulator.maxDrawdown(i)).toBe(maxDrawdownOfCumulative(contribution[i]));
    }
    expect(Math.abs(reference.matrix[0][1]!)).toBeGreaterThan(0.3);
  });
});
