/**
 * The return metrics of an equity curve too long to keep (a streamed backtest over hundreds of millions
 * of candles): fed one equity value at a time, it keeps the running figures of `computeReturnMetrics`
 * and gives the same metrics (same conventions, see engine/insight/metrics.ts) without the curve.
 *
 * Exactness against the batch functions (`equityToReturns` then `computeReturnMetrics`): periods, total
 * return, CAGR, Sortino, max drawdown and its duration, Calmar are the same operations in the same order,
 * so bit-identical; the sample variances (volatility, Sharpe) use Welford's update (Welford 1962,
 * Technometrics 4(3)) instead of the two-pass sums, equal within rounding (about 1e-12 relative on a year
 * of minute returns).
 */
import { ValidationError } from '../core/errors';
import { returnMetricsFromSums, riskFreePerPeriod, type ReturnMetrics, type ReturnMetricsOptions } from './metrics';

/** Accumulates the return metrics of an equity curve fed value by value. */
export interface ReturnAccumulator {
  /**
   * Adds the next equity value (quote currency, one per period). O(1), allocation-free.
   * @throws ValidationError naming `equity[index]` for a value that is not finite or is negative, or for a
   *   value that follows a zero (a return from zero equity is undefined), as `equityToReturns` does.
   */
  addEquity(equity: number): void;
  /** Equity values added so far. */
  readonly count: number;
  /** The metrics of the returns so far (as `computeReturnMetrics(equityToReturns(curve), options)`). */
  metrics(): ReturnMetrics;
}

/**
 * Creates an empty accumulator.
 * @throws ValidationError for `periodsPerYear` not > 0 or a risk-free rate not > -1.
 */
export function createReturnAccumulator(options: ReturnMetricsOptions): ReturnAccumulator {
  const periodsPerYear = options.periodsPerYear;
  const rf = riskFreePerPeriod(options.riskFreeRate ?? 0, periodsPerYear);
  // Running figures in one typed array (no boxed number stored per value): see the indexes below.
  const f = new Float64Array(12);
  const PREVIOUS = 0;
  const SUM_EXCESS = 1;
  const SUM_DOWNSIDE = 2;
  const GROWTH = 3;
  const PEAK = 4;
  const MAX_DRAWDOWN = 5;
  const UNDERWATER = 6;
  const MAX_UNDERWATER = 7;
  const MEAN_RAW = 8;
  const M2_RAW = 9;
  const M2_EXCESS = 10;
  /** Welford mean of the excess returns (apart from the exact sum the reported mean comes from). */
  const MEAN_EXCESS = 11;
  f[GROWTH] = 1;
  f[PEAK] = 1;
  let count = 0;

  return {
    get count() {
      return count;
    },
    addEquity(equity) {
      if (!Number.isFinite(equity) || equity < 0) throw new ValidationError(`equity[${count}]`, equity, 'expected finite equity > 0 (only the last value may be 0)');
      if (count > 0 && f[PREVIOUS] === 0) throw new ValidationError(`equity[${count - 1}]`, 0, 'expected finite equity > 0 (only the last value may be 0)');
      if (count > 0) {
        const r = equity / f[PREVIOUS] - 1;
        const n = count;
        const excess = r - rf;
        f[SUM_EXCESS] += excess;
        if (excess < 0) f[SUM_DOWNSIDE] += excess * excess;
        f[GROWTH] *= 1 + r;
        if (f[GROWTH] >= f[PEAK]) {
          f[PEAK] = f[GROWTH];
          f[UNDERWATER] = 0;
        } else {
          f[UNDERWATER]++;
          if (f[UNDERWATER] > f[MAX_UNDERWATER]) f[MAX_UNDERWATER] = f[UNDERWATER];
          const drawdown = (f[GROWTH] - f[PEAK]) / f[PEAK];
          if (drawdown < f[MAX_DRAWDOWN]) f[MAX_DRAWDOWN] = drawdown;
        }
        const deltaRaw = r - f[MEAN_RAW];
        f[MEAN_RAW] += deltaRaw / n;
        f[M2_RAW] += deltaRaw * (r - f[MEAN_RAW]);
        const deltaExcess = excess - f[MEAN_EXCESS];
        f[MEAN_EXCESS] += deltaExcess / n;
        f[M2_EXCESS] += deltaExcess * (excess - f[MEAN_EXCESS]);
      }
      f[PREVIOUS] = equity;
      count++;
    },
    metrics() {
      const n = Math.max(0, count - 1);
      if (n === 0) return returnMetricsFromSums(null, periodsPerYear);
      return returnMetricsFromSums(
        {
          periods: n,
          growth: f[GROWTH],
          meanExcess: f[SUM_EXCESS] / n,
          squaresRaw: f[M2_RAW],
          squaresExcess: f[M2_EXCESS],
          sumDownsideSquares: f[SUM_DOWNSIDE],
          maxDrawdown: f[MAX_DRAWDOWN],
          maxUnderwater: f[MAX_UNDERWATER],
        },
        periodsPerYear,
      );
    },
  };
}
