/**
 * Performance metrics over periodic simple returns and closed trades.
 *
 * Pure functions, no allocation per period beyond the result. Conventions follow
 * empyrical (quantopian/empyrical, continued as stefan-jansen/empyrical-reloaded,
 * `empyrical/stats.py`) so numbers can be checked against its published test suite:
 *
 * - Returns are simple (not log) returns per period: `0.01` = +1 %.
 * - Volatility uses the sample standard deviation (n - 1 denominator), annualised by `sqrt(periodsPerYear)`.
 * - The risk-free rate is given per year and de-annualised geometrically:
 *   `rfPerPeriod = (1 + riskFreeRate)^(1 / periodsPerYear) - 1` (as quantstats `utils.to_excess_returns`
 *   does; empyrical itself takes an already per-period rate and does not convert).
 * - Sharpe = mean(r - rfPerPeriod) / sampleStd(r - rfPerPeriod) * sqrt(periodsPerYear).
 * - Sortino = mean(r - rfPerPeriod) * periodsPerYear / (downsideDeviation * sqrt(periodsPerYear)), where
 *   downsideDeviation = sqrt(mean(min(r - rfPerPeriod, 0)^2)) over ALL periods (target = the per-period
 *   risk-free rate, 0 by default), as empyrical `downside_risk` / `sortino_ratio` with `required_return = rfPerPeriod`.
 * - Drawdowns come from the compounded equity curve `prod(1 + r)`, starting at 1 before the first period.
 * - CAGR = prod(1 + r)^(periodsPerYear / n) - 1 (empyrical `annual_return`).
 * - Calmar = CAGR / |maxDrawdown|; NaN when there is no drawdown (as empyrical `calmar_ratio`).
 *
 * Undefined statistics are NaN (fewer than 2 periods for volatility/Sharpe/Sortino, zero periods for the rest);
 * a ratio with a zero denominator and non-zero numerator is +/-Infinity (e.g. Sortino with no losing period).
 */
import { ValidationError } from '../core/errors';
import type { ReturnMetrics, TradeMetrics } from '../core/performance-metrics';

export type { ReturnMetrics, TradeMetrics } from '../core/performance-metrics';
import { isWinningNetPnl } from './trade-outcome';

/** Options for {@link computeReturnMetrics}. */
export interface ReturnMetricsOptions {
  /** Number of return periods in one year (365 for daily crypto, 252 for daily equities, 8760 for hourly crypto). Must be > 0. */
  periodsPerYear: number;
  /** Annual risk-free rate as a fraction (0.04 = 4 % a year). Default 0. Must be > -1. */
  riskFreeRate?: number;
}

function checkReturns(returns: Float64Array): void {
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i];
    if (!Number.isFinite(r) || r < -1) {
      throw new ValidationError(`returns[${i}]`, r, 'expected a finite simple return >= -1');
    }
  }
}

/** An equity curve's values: finite and > 0, the last one may be 0 (nothing follows it to return from). */
function checkEquity(equity: Float64Array): void {
  const n = equity.length;
  for (let i = 0; i < n; i++) {
    const e = equity[i];
    if (!Number.isFinite(e) || e < 0 || (e === 0 && i < n - 1)) {
      throw new ValidationError(`equity[${i}]`, e, 'expected finite equity > 0 (only the last value may be 0)');
    }
  }
}

function checkPeriodsPerYear(periodsPerYear: number): void {
  if (!Number.isFinite(periodsPerYear) || periodsPerYear <= 0) {
    throw new ValidationError('periodsPerYear', periodsPerYear, 'expected a finite number > 0');
  }
}

/**
 * Converts an annual risk-free rate to a per-period rate geometrically: (1 + annual)^(1 / periodsPerYear) - 1.
 * Throws ValidationError when the rate is not finite or <= -1.
 */
export function riskFreePerPeriod(riskFreeRate: number, periodsPerYear: number): number {
  checkPeriodsPerYear(periodsPerYear);
  if (!Number.isFinite(riskFreeRate) || riskFreeRate <= -1) {
    throw new ValidationError('riskFreeRate', riskFreeRate, 'expected a finite annual rate > -1');
  }
  return riskFreeRate === 0 ? 0 : Math.pow(1 + riskFreeRate, 1 / periodsPerYear) - 1;
}

/**
 * Computes return, risk and risk-adjusted metrics for periodic simple returns (see the module
 * comment for every convention). An empty series gives `periods: 0` and NaN everywhere else.
 * Throws ValidationError when a return is not finite or below -1, or when the options are invalid.
 */
export function computeReturnMetrics(returns: Float64Array, options: ReturnMetricsOptions): ReturnMetrics {
  return metricsOf(returns, returns.length, false, options);
}

/**
 * `computeReturnMetrics(equityToReturns(equity), options)` without the array of returns: each return is computed where
 * the passes read it, by the same operation (`equity[i + 1] / equity[i] - 1`; +0 for an unchanged point, its exact
 * value, see `returnAt`), so every figure is bit for bit the same.
 * A backtest's curve has a point per candle; the array and its checking pass were measured at about 5 % of a run.
 * @throws ValidationError as those two: naming `equity[i]` for a value that is not finite and > 0 (the last may be 0),
 *   `returns[i]` for a return that is not finite or below -1, or the option at fault.
 */
export function computeEquityReturnMetrics(equity: Float64Array, options: ReturnMetricsOptions): ReturnMetrics {
  const n = equity.length > 0 ? equity.length - 1 : 0;
  // The values are checked in the first pass over the returns (see `metricsOf`); checked apart only where that pass does
  // not reach them (no return) or something else was refused first (an option): the equity's error comes first, as it
  // always has.
  if (n === 0) checkEquity(equity);
  try {
    return metricsOf(equity, n, true, options);
  } catch (error) {
    checkEquity(equity);
    throw error;
  }
}

/**
 * Return `i` of a series: `values[i]` itself, or from an equity curve `values[i + 1] / values[i] - 1` (`fromEquity`).
 * An unchanged point is a return of exactly +0 without the division: `after / before - 1` gives +0 too for the finite
 * `before` > 0 that `checkEquity` guarantees. Most of a backtest's curve is unchanged (flat candles), and the two
 * divisions per point (one per pass) were most of the metrics' cost: 10-25 ns a point, 6-8 without them.
 */
function returnAt(values: Float64Array, i: number, fromEquity: boolean): number {
  if (!fromEquity) return values[i];
  const before = values[i];
  const after = values[i + 1];
  return after === before ? 0 : after / before - 1;
}

/** The error of return `i`, not finite or below -1 (cold: its message would box the index in the loop). */
function failReturn(values: Float64Array, i: number, fromEquity: boolean): never {
  throw new ValidationError(`returns[${i}]`, returnAt(values, i, fromEquity), 'expected a finite simple return >= -1');
}

/**
 * Cold path of `metricsOf`'s first pass at return `i`, when `values[i + 1]` of an equity curve is not finite and > 0 or the
 * return is not finite and >= -1: the curve's own error first (`checkEquity`, over all of it: the error it gave when it
 * ran before the passes), else the return's; returns when neither is wrong (a last value of 0 is a return of -1).
 */
function checkAt(values: Float64Array, i: number, fromEquity: boolean): void {
  if (fromEquity) checkEquity(values);
  const r = returnAt(values, i, fromEquity);
  if (!(r >= -1 && r < Infinity)) failReturn(values, i, fromEquity);
}

/** The metrics of the `n` returns of `values` (see `returnAt`): two passes, the first checking each return. */
function metricsOf(values: Float64Array, n: number, fromEquity: boolean, options: ReturnMetricsOptions): ReturnMetrics {
  const periodsPerYear = options.periodsPerYear;
  checkPeriodsPerYear(periodsPerYear);
  const rf = riskFreePerPeriod(options.riskFreeRate ?? 0, periodsPerYear);
  if (n === 0) return returnMetricsFromSums(null, periodsPerYear);

  // Pass 1: each return checked, means, compounded curve, drawdowns.
  let sumRaw = 0;
  let sumExcess = 0;
  let sumDownsideSquares = 0;
  let equity = 1;
  let peak = 1;
  let maxDrawdown = 0;
  let underwater = 0;
  let maxUnderwater = 0;
  // An equity curve's values are checked here, each as the return that ends at it is computed, rather than in a pass of
  // their own before (`checkEquity`), the value before carried over rather than read again, and a stretch of unchanged
  // points stepped over (below): measured on the curves of the pipeline files, 7.1-8.3 ns a point -> 3.0-3.7 on
  // BTC/USDT 5m (96 % unchanged), 7.5-8.6 -> 4.1-4.7 on kraken BTC/USDC 1m, 8.3-8.8 -> 6.5-6.8 on UNITTEST-BTC 1m.
  let before = values[0];
  if (fromEquity && !(before > 0 && before < Infinity)) checkEquity(values);
  for (let i = 0; i < n; i++) {
    let r: number;
    if (fromEquity) {
      const after = values[i + 1];
      if (after === before && rf === 0) {
        // A stretch of unchanged points (most of a backtest's curve: its flat candles) in one step: returns of +0, each
        // of which adds +0 to the sums (none of them is -0: no return is, `r - 1` never gives -0) and leaves the
        // compounded curve where it is, so only the time under water moves; the drawdown is the one the point before
        // the stretch already counted. Bit for bit the point-by-point figures (rf 0 only: else each adds -rf).
        let end = i + 1;
        while (end < n && values[end + 1] === before) end++;
        if (equity >= peak) {
          peak = equity;
          underwater = 0;
        } else {
          underwater += end - i;
          if (underwater > maxUnderwater) maxUnderwater = underwater;
        }
        i = end - 1;
        continue;
      }
      r = after === before ? 0 : after / before - 1;
      if (!(after > 0 && after < Infinity && r >= -1 && r < Infinity)) checkAt(values, i, fromEquity);
      before = after;
    } else {
      r = values[i];
      if (!(r >= -1 && r < Infinity)) failReturn(values, i, fromEquity);
    }
    sumRaw += r;
    const excess = r - rf;
    sumExcess += excess;
    // min(excess, 0)² without a branch: the sign of a return in a position is a coin toss, and the mispredicted branch
    // was half of this pass (7.1 against 4.1 ns a point on a backtest-like curve). Bit for bit the same: the square
    // times 0 is +0 (the return is finite, checked above), and a sum that starts at +0 is unchanged by adding +0.
    sumDownsideSquares += excess * excess * +(excess < 0);
    equity *= 1 + r;
    if (equity >= peak) {
      peak = equity;
      underwater = 0;
    } else {
      underwater++;
      if (underwater > maxUnderwater) maxUnderwater = underwater;
      const drawdown = (equity - peak) / peak;
      if (drawdown < maxDrawdown) maxDrawdown = drawdown;
    }
  }
  const meanRaw = sumRaw / n;
  const meanExcess = sumExcess / n;

  // Pass 2: sample variances (two-pass for accuracy).
  let squaresRaw = 0;
  let squaresExcess = 0;
  // The squared deviations of a return of +0 (an unchanged point), by the operations below, computed once.
  const flatRaw = (0 - meanRaw) * (0 - meanRaw);
  const flatExcess = (0 - rf - meanExcess) * (0 - rf - meanExcess);
  before = values[0];
  for (let i = 0; i < n; i++) {
    let r: number;
    if (fromEquity) {
      const after = values[i + 1];
      if (after === before) {
        squaresRaw += flatRaw;
        squaresExcess += flatExcess;
        continue;
      }
      r = after / before - 1;
      before = after;
    } else r = values[i];
    const dRaw = r - meanRaw;
    squaresRaw += dRaw * dRaw;
    const dExcess = r - rf - meanExcess;
    squaresExcess += dExcess * dExcess;
  }
  return returnMetricsFromSums({ periods: n, growth: equity, meanExcess, squaresRaw, squaresExcess, sumDownsideSquares, maxDrawdown, maxUnderwater }, periodsPerYear);
}

/**
 * The running figures {@link computeReturnMetrics} reduces a return series to (one pass and the
 * squared deviations), which a streaming accumulator can keep as well (engine/insight/return-accumulator.ts).
 */
export interface ReturnSums {
  /** Number of returns. */
  periods: number;
  /** prod(1 + r). */
  growth: number;
  /** Mean of r - rfPerPeriod. */
  meanExcess: number;
  /** Sum of squared deviations of r from its mean, and of r - rf from its mean. */
  squaresRaw: number;
  squaresExcess: number;
  /** Sum of min(r - rf, 0)^2. */
  sumDownsideSquares: number;
  /** Deepest drawdown of the compounded curve (<= 0) and the longest run of periods under a peak. */
  maxDrawdown: number;
  maxUnderwater: number;
}

/**
 * The metrics of {@link computeReturnMetrics} from its running figures (`periods` >= 1), or of no returns at all
 * (`null`: periods 0, NaN elsewhere); the one place their formulas live.
 */
export function returnMetricsFromSums(sums: ReturnSums | null, periodsPerYear: number): ReturnMetrics {
  if (sums === null) {
    return { periods: 0, totalReturn: NaN, cagr: NaN, annualVolatility: NaN, sharpe: NaN, sortino: NaN, maxDrawdown: NaN, maxDrawdownDurationPeriods: 0, calmar: NaN };
  }
  const { periods: n, growth, meanExcess, squaresRaw, squaresExcess, sumDownsideSquares, maxDrawdown, maxUnderwater } = sums;
  const sqrtPeriods = Math.sqrt(periodsPerYear);
  const stdRaw = n > 1 ? Math.sqrt(squaresRaw / (n - 1)) : NaN;
  const stdExcess = n > 1 ? Math.sqrt(squaresExcess / (n - 1)) : NaN;
  const downsideDeviation = Math.sqrt(sumDownsideSquares / n);

  const totalReturn = growth - 1;
  const cagr = Math.pow(growth, periodsPerYear / n) - 1;
  const sharpe = n > 1 ? (meanExcess / stdExcess) * sqrtPeriods : NaN;
  const sortino = n > 1 ? (meanExcess * periodsPerYear) / (downsideDeviation * sqrtPeriods) : NaN;
  const calmar = maxDrawdown < 0 ? cagr / Math.abs(maxDrawdown) : NaN;

  return {
    periods: n,
    totalReturn,
    cagr,
    annualVolatility: stdRaw * sqrtPeriods,
    sharpe,
    sortino,
    maxDrawdown,
    maxDrawdownDurationPeriods: maxUnderwater,
    calmar: Number.isFinite(calmar) ? calmar : NaN,
  };
}

/**
 * Rolling annualised Sharpe ratio (risk-free 0) over a trailing window of `window` periods.
 * Output has the input's length; entries before the first full window are NaN. Entry i covers
 * returns[i - window + 1 .. i]. Uses running sums shifted by the series mean, so it is O(n).
 * Throws ValidationError when `window` is not an integer >= 2 or periodsPerYear is not > 0.
 */
export function rollingSharpe(returns: Float64Array, window: number, periodsPerYear: number): Float64Array {
  if (!Number.isInteger(window) || window < 2) {
    throw new ValidationError('window', window, 'expected an integer >= 2');
  }
  checkPeriodsPerYear(periodsPerYear);
  checkReturns(returns);
  const n = returns.length;
  const out = new Float64Array(n).fill(NaN);
  if (n < window) return out;
  // Shift by the global mean to limit cancellation in sum-of-squares.
  let shift = 0;
  for (let i = 0; i < n; i++) shift += returns[i];
  shift /= n;
  const sqrtPeriods = Math.sqrt(periodsPerYear);
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = returns[i] - shift;
    sum += x;
    sumSquares += x * x;
    if (i >= window) {
      const old = returns[i - window] - shift;
      sum -= old;
      sumSquares -= old * old;
    }
    if (i >= window - 1) {
      const mean = sum / window;
      const variance = Math.max(0, (sumSquares - sum * mean) / (window - 1));
      out[i] = ((mean + shift) / Math.sqrt(variance)) * sqrtPeriods;
    }
  }
  return out;
}

/**
 * Converts an equity curve (quote currency, one value per period) into simple returns:
 * r[i] = equity[i + 1] / equity[i] - 1, length max(0, n - 1).
 * Throws ValidationError when a value is not finite, or when a value other than the last is <= 0
 * (a return from zero equity is undefined).
 */
export function equityToReturns(equity: Float64Array): Float64Array {
  const n = equity.length;
  checkEquity(equity);
  const out = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) out[i - 1] = equity[i] / equity[i - 1] - 1;
  return out;
}

/** One closed trade as the metrics need it. Money in quote currency, times in epoch ms. */
export interface TradeForMetrics {
  /** Net PnL: realised profit and loss after fees and funding (`tradeNetPnl`). */
  pnl: number;
  entryTimeMs: number;
  exitTimeMs: number;
  /** Entry notional (amount * entry price), quote currency; its absolute value is used. */
  notional: number;
}

/** Options for {@link computeTradeMetrics}. */
export interface TradeMetricsOptions {
  /** Length of the evaluated period in ms (e.g. the backtest span); > 0. */
  spanMs: number;
  /** Reference equity (e.g. starting equity) in quote currency, for turnover; > 0. */
  equity: number;
}

function checkTradeMetricsOptions(options: TradeMetricsOptions): void {
  if (!Number.isFinite(options.spanMs) || options.spanMs <= 0) {
    throw new ValidationError('spanMs', options.spanMs, 'expected a finite duration > 0');
  }
  if (!Number.isFinite(options.equity) || options.equity <= 0) {
    throw new ValidationError('equity', options.equity, 'expected finite equity > 0');
  }
}

/**
 * Computes trade statistics (see {@link TradeMetrics} for each definition).
 * Throws ValidationError when spanMs or equity is not > 0, or a trade has non-finite fields or exits before it enters.
 */
export function computeTradeMetrics(
  trades: readonly TradeForMetrics[],
  options: TradeMetricsOptions,
): TradeMetrics {
  checkTradeMetricsOptions(options);
  const n = trades.length;
  let wins = 0;
  let losses = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let total = 0;
  let notional = 0;
  for (let i = 0; i < n; i++) {
    const t = trades[i];
    if (!Number.isFinite(t.pnl)) throw new ValidationError(`trades[${i}].pnl`, t.pnl, 'expected a finite number');
    if (!Number.isFinite(t.notional)) {
      throw new ValidationError(`trades[${i}].notional`, t.notional, 'expected a finite number');
    }
    if (!Number.isFinite(t.entryTimeMs) || !Number.isFinite(t.exitTimeMs) || t.exitTimeMs < t.entryTimeMs) {
      throw new ValidationError(`trades[${i}].exitTimeMs`, t.exitTimeMs, `expected a time >= entryTimeMs ${t.entryTimeMs}`);
    }
    total += t.pnl;
    notional += Math.abs(t.notional);
    if (isWinningNetPnl(t.pnl)) {
      wins++;
      grossProfit += t.pnl;
    } else if (t.pnl < 0) {
      losses++;
      grossLoss -= t.pnl;
    }
  }
  return tradeMetricsFromTotals({ trades: n, wins, losses, grossProfit, grossLoss, totalPnl: total, notional, exposureMs: unionDurationMs(trades) }, options);
}

/** Sums over a set of closed trades, from which {@link TradeMetrics} follow (e.g. aggregated by a database). */
export interface TradeTotals {
  trades: number;
  /** Trades with pnl > 0. */
  wins: number;
  /** Trades with pnl < 0. */
  losses: number;
  /** Sum of the positive pnls. */
  grossProfit: number;
  /** Sum of |pnl| of the losing trades, >= 0. */
  grossLoss: number;
  totalPnl: number;
  /** Sum of |entry notional|. */
  notional: number;
  /** Length of the union of the trades' [entry, exit] intervals, ms. */
  exposureMs: number;
}

/**
 * The trade statistics of {@link computeTradeMetrics} from totals, without the trades.
 * Throws ValidationError when spanMs or equity is not > 0.
 */
export function tradeMetricsFromTotals(totals: TradeTotals, options: TradeMetricsOptions): TradeMetrics {
  checkTradeMetricsOptions(options);
  const { trades: n, wins, losses, grossProfit, grossLoss } = totals;
  const averageTrade = n > 0 ? totals.totalPnl / n : NaN;
  const averageLoss = losses > 0 ? -grossLoss / losses : NaN;
  let profitFactor: number;
  let expectancy: number;
  if (grossLoss > 0) {
    profitFactor = grossProfit / grossLoss;
    expectancy = averageTrade / Math.abs(averageLoss);
  } else {
    profitFactor = grossProfit > 0 ? Infinity : NaN;
    expectancy = profitFactor;
  }

  return {
    trades: n,
    winRate: n > 0 ? wins / n : NaN,
    profitFactor,
    expectancy,
    averageTrade,
    averageWin: wins > 0 ? grossProfit / wins : NaN,
    averageLoss,
    turnover: totals.notional / options.equity,
    exposureTimePct: (totals.exposureMs / options.spanMs) * 100,
  };
}

/** Total length of the union of [entry, exit) intervals. */
/** Totals of closed trades fed one at a time (see {@link createTradeTotalsAccumulator}). */
export interface TradeTotalsAccumulator {
  /**
   * Adds a trade. Trades must come in non-decreasing entry time (one market's trades in the order they close).
   * @throws ValidationError as {@link computeTradeMetrics} for a non-finite pnl or notional or an exit before the entry,
   *   and naming `entryTimeMs` for a trade entered before the previous one.
   */
  add(trade: TradeForMetrics): void;
  /** The totals so far: `tradeMetricsFromTotals(totals(), options)` equals `computeTradeMetrics(trades, options)` exactly. */
  totals(): TradeTotals;
}

/** Sums closed trades without keeping them (a streamed backtest of millions of trades): the figures of {@link computeTradeMetrics}, same order of operations. */
export function createTradeTotalsAccumulator(): TradeTotalsAccumulator {
  const totals: TradeTotals = { trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, totalPnl: 0, notional: 0, exposureMs: 0 };
  let start = NaN;
  let end = NaN;
  return {
    add(t) {
      const i = totals.trades;
      if (!Number.isFinite(t.pnl)) throw new ValidationError(`trades[${i}].pnl`, t.pnl, 'expected a finite number');
      if (!Number.isFinite(t.notional)) throw new ValidationError(`trades[${i}].notional`, t.notional, 'expected a finite number');
      if (!Number.isFinite(t.entryTimeMs) || !Number.isFinite(t.exitTimeMs) || t.exitTimeMs < t.entryTimeMs) {
        throw new ValidationError(`trades[${i}].exitTimeMs`, t.exitTimeMs, `expected a time >= entryTimeMs ${t.entryTimeMs}`);
      }
      if (t.entryTimeMs < start) throw new ValidationError(`trades[${i}].entryTimeMs`, t.entryTimeMs, `expected trades in entry order: an earlier trade entered at ${start}`);
      totals.trades++;
      totals.totalPnl += t.pnl;
      totals.notional += Math.abs(t.notional);
      if (isWinningNetPnl(t.pnl)) {
        totals.wins++;
        totals.grossProfit += t.pnl;
      } else if (t.pnl < 0) {
        totals.losses++;
        totals.grossLoss -= t.pnl;
      }
      // The union of [entry, exit] intervals as unionDurationMs merges them (they arrive sorted by entry).
      if (i === 0) {
        start = t.entryTimeMs;
        end = t.exitTimeMs;
      } else if (t.entryTimeMs > end) {
        totals.exposureMs += end - start;
        start = t.entryTimeMs;
        end = t.exitTimeMs;
      } else if (t.exitTimeMs > end) {
        end = t.exitTimeMs;
      }
    },
    totals: () => ({ ...totals, exposureMs: totals.trades === 0 ? 0 : totals.exposureMs + (end - start) }),
  };
}

function unionDurationMs(trades: readonly TradeForMetrics[]): number {
  if (trades.length === 0) return 0;
  const order = trades.map((_, i) => i).sort((a, b) => trades[a].entryTimeMs - trades[b].entryTimeMs);
  let total = 0;
  let start = trades[order[0]].entryTimeMs;
  let end = trades[order[0]].exitTimeMs;
  for (let k = 1; k < order.length; k++) {
    const t = trades[order[k]];
    if (t.entryTimeMs > end) {
      total += end - start;
      start = t.entryTimeMs;
      end = t.exitTimeMs;
    } else if (t.exitTimeMs > end) {
      end = t.exitTimeMs;
    }
  }
  return total + (end - start);
}
