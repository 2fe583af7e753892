/**
 * The shapes of performance metrics: what `engine/insight/metrics.ts` computes from a return series
 * and from closed trades, and what a backtest run stores (`BacktestRunMetrics` in
 * `engine/ports/backtest-runs.ts`). Plain data, on the bottom floor so ports can name them.
 * Definitions and sources are in `engine/insight/metrics.ts`.
 */

/** Summary statistics of a return series. Fractions, not percent, unless the name says otherwise. */
export interface ReturnMetrics {
  /** Number of return periods. */
  periods: number;
  /** Compounded total return, prod(1 + r) - 1. */
  totalReturn: number;
  /** Compound annual growth rate. */
  cagr: number;
  /** Sample standard deviation of returns times sqrt(periodsPerYear). */
  annualVolatility: number;
  /** Annualised Sharpe ratio of returns in excess of the per-period risk-free rate. */
  sharpe: number;
  /** Annualised Sortino ratio (downside deviation over all periods against the per-period risk-free rate). */
  sortino: number;
  /** Deepest peak-to-trough fall of the compounded curve, as a non-positive fraction (-0.1 = 10 % below the peak). */
  maxDrawdown: number;
  /** Longest run of consecutive periods spent below a previous equity peak. */
  maxDrawdownDurationPeriods: number;
  /** CAGR / |maxDrawdown|; NaN when maxDrawdown is 0. */
  calmar: number;
}

/** Trade statistics. Money in quote currency. */
export interface TradeMetrics {
  trades: number;
  /** Fraction of winning trades (`isWinningNetPnl`: net pnl > 0), 0..1; NaN with no trades. Break-even trades count as non-wins. */
  winRate: number;
  /** Gross profit / gross loss; Infinity with profits and no losses; NaN when both are 0. */
  profitFactor: number;
  /**
   * Average trade divided by the absolute average loss: the expected profit per unit of typical loss,
   * in R (multiples of the average loss), not money; the same expectancy in quote currency is
   * `averageTrade`. Equals freqtrade's `expectancy_ratio` when no trade breaks even.
   * Infinity/NaN rules as profitFactor when there are no losing trades.
   */
  expectancy: number;
  /** Mean net pnl per trade, quote currency: the expectancy in money; NaN with no trades. */
  averageTrade: number;
  /** Mean pnl of winning trades; NaN without winners. */
  averageWin: number;
  /** Mean pnl of losing trades (negative); NaN without losers. */
  averageLoss: number;
  /** Sum of |entry notional| over all trades divided by the reference equity (times equity was traded). */
  turnover: number;
  /** Percent of the span during which at least one trade was open (overlapping trades count once), 0..100. */
  exposureTimePct: number;
}
