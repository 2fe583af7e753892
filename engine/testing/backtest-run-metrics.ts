/** Complete backtest run metrics for tests: every metric 0 (stats empty) unless given. */
import type { BacktestRunMetrics } from '../ports/backtest-runs';

/** A `BacktestRunMetrics` value with every metric 0 and no stats, overridden by `overrides`. */
export function backtestRunMetrics(overrides: Partial<BacktestRunMetrics> = {}): BacktestRunMetrics {
  return {
    periods: 0,
    totalReturn: 0,
    cagr: 0,
    annualVolatility: 0,
    sharpe: 0,
    sortino: 0,
    maxDrawdown: 0,
    maxDrawdownDurationPeriods: 0,
    calmar: 0,
    trades: 0,
    winRate: 0,
    profitFactor: 0,
    expectancy: 0,
    averageTrade: 0,
    averageWin: 0,
    averageLoss: 0,
    turnover: 0,
    exposureTimePct: 0,
    finalEquity: 0,
    stats: {},
    ...overrides,
  };
}
