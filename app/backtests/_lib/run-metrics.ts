/**
 * Metrics of a stored run as rows for display. A run's `metrics` JSON holds the return metrics,
 * the trade metrics, `finalEquity` and loop `stats` (`BacktestRunMetrics`, written by `runBacktest`).
 */
import type { BacktestRunMetricName, StoredBacktestRunMetrics } from '@/engine/backtest/run-backtest';


/** Rows shown in the metrics tables: key, label and how to show the value. */
export const METRIC_ROWS = [
  { key: 'finalEquity', label: 'Final equity', kind: 'money' },
  { key: 'totalReturn', label: 'Total return', kind: 'pct' },
  { key: 'cagr', label: 'CAGR', kind: 'pct' },
  { key: 'annualVolatility', label: 'Annual volatility', kind: 'pct' },
  { key: 'sharpe', label: 'Sharpe', kind: 'ratio' },
  { key: 'sortino', label: 'Sortino', kind: 'ratio' },
  { key: 'calmar', label: 'Calmar', kind: 'ratio' },
  { key: 'maxDrawdown', label: 'Max drawdown', kind: 'pct' },
  { key: 'trades', label: 'Trades', kind: 'count' },
  { key: 'winRate', label: 'Win rate', kind: 'pct' },
  { key: 'profitFactor', label: 'Profit factor', kind: 'ratio' },
  { key: 'expectancy', label: 'Expectancy', kind: 'money' },
  { key: 'averageWin', label: 'Average win', kind: 'money' },
  { key: 'averageLoss', label: 'Average loss', kind: 'money' },
  { key: 'exposureTimePct', label: 'Time in market', kind: 'pctPoints' },
] as const satisfies readonly { key: BacktestRunMetricName; label: string; kind: string }[];

/** A finite number from the metrics JSON, else null (a metric that was not finite is stored as null). */
export function metricNumber(metrics: StoredBacktestRunMetrics | null, key: BacktestRunMetricName): number | null {
  const value = metrics?.[key] ?? null;
  return value !== null && Number.isFinite(value) ? value : null;
}

/** A metric for display: percentages from fractions, money and ratios with fixed decimals, `—` when missing. */
export function formatMetric(value: number | null, kind: (typeof METRIC_ROWS)[number]['kind']): string {
  if (value === null) return '—';
  const fixed = (v: number, d: number) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d, useGrouping: false });
  switch (kind) {
    case 'pct':
      return `${fixed(value * 100, 2)}%`;
    case 'pctPoints':
      return `${fixed(value, 2)}%`;
    case 'money':
      return fixed(value, 2);
    case 'count':
      return String(value);
    default:
      return fixed(value, 3);
  }
}
