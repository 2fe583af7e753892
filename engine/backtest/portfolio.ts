/**
 * Portfolio backtests: the pieces a run over several markets needs beyond the one trading loop per
 * market: the time merge of the markets' candle columns, each market's contribution to the shared
 * account's equity, the per-market breakdown and the correlation of the markets' returns.
 *
 * Contribution: the shared account's equity changes only while a market's candle is processed
 * (its fills, funding, mark-to-market, the loop's own orders on it), so the change of account equity
 * over one market's candle is that market's contribution at that time. Its per-candle return is the
 * contribution divided by the account equity before the timestamp's candles (so the markets' returns
 * sum to the portfolio's return over the timestamp).
 *
 * Correlation: Pearson's r of two markets' per-candle contribution returns, over the timestamps at
 * which both markets have a candle. Undefined (null) when fewer than two such timestamps exist or
 * either series does not vary there (a market that never traded).
 */
import type { CandleColumns } from '../core/types';
import type { PortfolioCorrelation } from '../ports/backtest-runs';

export type { PortfolioCorrelation, PortfolioMarketBreakdown, PortfolioMetrics } from '../ports/backtest-runs';

/**
 * The markets' candles in time order: step `k` is row `row[k]` of market `market[k]`. Candles of one
 * open time are consecutive, in the order the markets were listed; a market whose data starts later
 * joins at its first candle, one whose data ends earlier simply stops. `group[k]` numbers the distinct
 * open times (0, 1, ...), `groups` is how many there are.
 */
export interface PortfolioTimeline {
  readonly length: number;
  readonly market: Uint16Array;
  readonly row: Uint32Array;
  readonly group: Uint32Array;
  readonly groups: number;
}

/**
 * Merges the markets' candle columns by open time (a k-way merge over the typed arrays: no object
 * per candle). O(groups × markets + candles).
 * @throws RangeError for more than 65,535 markets (the index type's range).
 */
export function mergeCandleTimelines(columns: readonly CandleColumns[]): PortfolioTimeline {
  const k = columns.length;
  if (k > 0xffff) throw new RangeError(`at most 65535 markets can be merged, got ${k}`);
  let total = 0;
  for (const c of columns) total += c.length;
  const market = new Uint16Array(total);
  const row = new Uint32Array(total);
  const group = new Uint32Array(total);
  const next = new Uint32Array(k);
  let out = 0;
  let groups = 0;
  while (out < total) {
    let t = Infinity;
    for (let m = 0; m < k; m++) {
      if (next[m] < columns[m].length && columns[m].openTimeMs[next[m]] < t) t = columns[m].openTimeMs[next[m]];
    }
    for (let m = 0; m < k; m++) {
      // Strictly ascending open times per market, so at most one row of each market has time t.
      if (next[m] < columns[m].length && columns[m].openTimeMs[next[m]] === t) {
        market[out] = m;
        row[out] = next[m]++;
        group[out] = groups;
        out++;
      }
    }
    groups++;
  }
  return { length: total, market, row, group, groups };
}

/**
 * Pearson's correlation of `a` and `b` over the indexes where `mask` is 1 (every index when no mask):
 * cov(a, b) / (sd(a) sd(b)). Null when fewer than two indexes count or either series is constant there.
 * @throws RangeError when the lengths differ.
 */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number | null {
  if (a.length !== b.length || (mask !== undefined && mask.length !== a.length)) {
    throw new RangeError(`series lengths differ: ${a.length}, ${b.length}${mask === undefined ? '' : `, mask ${mask.length}`}`);
  }
  let n = 0;
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask !== undefined && mask[i] !== 1) continue;
    n++;
    sumA += a[i];
    sumB += b[i];
  }
  if (n < 2) return null;
  const meanA = sumA / n;
  const meanB = sumB / n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask !== undefined && mask[i] !== 1) continue;
    const da = a[i] - meanA;
    const db = b[i] - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  if (!(varA > 0) || !(varB > 0)) return null;
  const r = cov / Math.sqrt(varA * varB);
  // Rounding can push |r| a hair past 1.
  return Math.max(-1, Math.min(1, r));
}

/**
 * Pairwise Pearson correlations of `returns[i]` (one value per timestamp) over the timestamps where
 * both `present[i]` and `present[j]` are 1. Symmetric; the diagonal is 1 (null for a constant series).
 */
export function correlationMatrix(symbols: readonly string[], returns: readonly Float64Array[], present: readonly Uint8Array[]): PortfolioCorrelation {
  const k = returns.length;
  const matrix: (number | null)[][] = Array.from({ length: k }, () => new Array<number | null>(k).fill(null));
  const both = new Uint8Array(k > 0 ? returns[0].length : 0);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      for (let t = 0; t < both.length; t++) both[t] = present[i][t] & present[j][t];
      const r = i === j ? (pearsonCorrelation(returns[i], returns[i], both) === null ? null : 1) : pearsonCorrelation(returns[i], returns[j], both);
      matrix[i][j] = r;
      matrix[j][i] = r;
    }
  }
  return { method: 'pearson-contribution-returns', symbols: [...symbols], matrix };
}

/** Largest fall of a cumulative series from its running peak (starting at 0), >= 0. */
export function maxDrawdownOfCumulative(deltas: ArrayLike<number>): number {
  let cumulative = 0;
  let peak = 0;
  let worst = 0;
  for (let i = 0; i < deltas.length; i++) {
    cumulative += deltas[i];
    if (cumulative > peak) peak = cumulative;
    if (peak - cumulative > worst) worst = peak - cumulative;
  }
  return worst;
}

/** A portfolio's per-market figures kept as its groups (distinct open times) are fed, without keeping the series. */
export interface PortfolioAccumulator {
  /**
   * Adds one group: `contribution[m]` (market m's change of account equity at this open time, 0 when absent),
   * `present[m]` (1 when market m had a candle then) and the account equity before the group. O(markets²),
   * allocation-free; the arrays are read, not kept.
   */
  addGroup(contribution: ArrayLike<number>, present: ArrayLike<number>, equityBefore: number): void;
  /** Market m's contribution summed over the groups (as summing its series). */
  contribution(m: number): number;
  /** Market m's {@link maxDrawdownOfCumulative} over the groups so far (the same operations: equal exactly). */
  maxDrawdown(m: number): number;
  /** The {@link correlationMatrix} of the contribution returns fed so far. */
  correlation(): PortfolioCorrelation;
}

/**
 * Creates a {@link PortfolioAccumulator} for `symbols`: per market the running sum and drawdown of its cumulative
 * contribution, and per pair of markets the co-moments of their contribution returns (contribution / equity before,
 * 0 when that equity is not > 0) over the groups where both are present: count, means, sums of squared deviations
 * and of cross deviations, updated by Welford's method (Welford 1962, Technometrics 4(3); the pairwise form in
 * Chan, Golub & LeVeque 1983). Pearson's r from them equals the two-pass {@link correlationMatrix} within rounding
 * (1e-14 to 1e-12 relative on the tests' series and runs; the tests hold it to 1e-9), with the same nulls (fewer than two common
 * groups, a constant series).
 */
export function createPortfolioAccumulator(symbols: readonly string[]): PortfolioAccumulator {
  const k = symbols.length;
  const sums = new Float64Array(k);
  const cumulative = new Float64Array(k);
  const peak = new Float64Array(k);
  const worst = new Float64Array(k);
  const returns = new Float64Array(k);
  // Per pair (i, j), i <= j, at index i * k + j: count, mean of i, mean of j, squared deviations of i and of j, cross deviations.
  const count = new Float64Array(k * k);
  const meanA = new Float64Array(k * k);
  const meanB = new Float64Array(k * k);
  const m2A = new Float64Array(k * k);
  const m2B = new Float64Array(k * k);
  const cross = new Float64Array(k * k);
  return {
    addGroup(contribution, present, equityBefore) {
      for (let m = 0; m < k; m++) {
        const d = contribution[m];
        sums[m] += d;
        cumulative[m] += d;
        if (cumulative[m] > peak[m]) peak[m] = cumulative[m];
        if (peak[m] - cumulative[m] > worst[m]) worst[m] = peak[m] - cumulative[m];
        returns[m] = equityBefore > 0 ? d / equityBefore : 0;
      }
      for (let i = 0; i < k; i++) {
        if (present[i] !== 1) continue;
        for (let j = i; j < k; j++) {
          if (present[j] !== 1) continue;
          const p = i * k + j;
          const n = ++count[p];
          const da = returns[i] - meanA[p];
          const db = returns[j] - meanB[p];
          meanA[p] += da / n;
          meanB[p] += db / n;
          m2A[p] += da * (returns[i] - meanA[p]);
          m2B[p] += db * (returns[j] - meanB[p]);
          cross[p] += da * (returns[j] - meanB[p]);
        }
      }
    },
    contribution: (m) => sums[m],
    maxDrawdown: (m) => worst[m],
    correlation() {
      const matrix: (number | null)[][] = Array.from({ length: k }, () => new Array<number | null>(k).fill(null));
      for (let i = 0; i < k; i++) {
        for (let j = i; j < k; j++) {
          const p = i * k + j;
          let r: number | null = null;
          if (count[p] >= 2 && m2A[p] > 0 && m2B[p] > 0) r = i === j ? 1 : Math.max(-1, Math.min(1, cross[p] / Math.sqrt(m2A[p] * m2B[p])));
          matrix[i][j] = r;
          matrix[j][i] = r;
        }
      }
      return { method: 'pearson-contribution-returns', symbols: [...symbols], matrix };
    },
  };
}
