/**
 * Two-pass references for the portfolio pieces of engine/backtest/portfolio.ts, over whole series: the k-way
 * time merge of several markets' candles (the order the simulation in engine/backtest/run-backtest.ts feeds
 * candles in), Pearson's correlation, the correlation matrix of contribution returns and the drawdown of a
 * cumulative series. The tests check the running accumulators and the simulation's merge against them.
 */
import type { CandleColumns } from '../core/types';
import type { PortfolioCorrelation } from '../ports/backtest-runs';

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
