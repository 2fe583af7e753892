import { describe, expect, it } from 'vitest';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { correlationMatrix, maxDrawdownOfCumulative, mergeCandleTimelines, pearsonCorrelation } from './portfolio';

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
