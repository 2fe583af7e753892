/**
 * Portfolio backtests: the pieces a run over several markets needs beyond the one trading loop per
 * market (whose candles engine/backtest/run-backtest.ts merges by open time): each market's contribution
 * to the shared account's equity, the per-market breakdown and the correlation of the markets' returns,
 * kept by running accumulators. engine/testing/two-pass-portfolio.ts holds the two-pass references
 * the tests check them against.
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
import type { PortfolioCorrelation } from '../ports/backtest-runs';

export type { PortfolioCorrelation, PortfolioMarketBreakdown, PortfolioMetrics } from '../ports/backtest-runs';

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
  /** Market m's `maxDrawdownOfCumulative` (engine/testing/two-pass-portfolio.ts) over the groups so far (the same operations: equal exactly). */
  maxDrawdown(m: number): number;
  /** The two-pass `correlationMatrix` (engine/testing/two-pass-portfolio.ts) of the contribution returns fed so far. */
  correlation(): PortfolioCorrelation;
}

/**
 * Creates a {@link PortfolioAccumulator} for `symbols`: per market the running sum and drawdown of its cumulative
 * contribution, and per pair of markets the co-moments of their contribution returns (contribution / equity before,
 * 0 when that equity is not > 0) over the groups where both are present: count, means, sums of squared deviations
 * and of cross deviations, updated by Welford's method (Welford 1962, Technometrics 4(3); the pairwise form in
 * Chan, Golub & LeVeque 1983). Pearson's r from them equals the two-pass `correlationMatrix` (engine/testing/two-pass-portfolio.ts) within rounding
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
