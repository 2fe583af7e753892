/**
 * Metrics of a stored run as rows for display. A run's `metrics` JSON holds the return metrics,
 * the trade metrics, `finalEquity` and loop `stats` (`BacktestRunMetrics`, written by `runBacktest`).
 */
import type { BacktestRunMetricName, StoredBacktestRunMetrics } from '@/engine/backtest/run-backtest';
import { DASH, fmtFractionPct, fmtMoney, fmtNumber, fmtPct } from '@/app/_components/format';

/**
 * Rows shown in the metrics tables: key, label and how to show the value. Money is quote currency
 * after fees and funding; the win rate counts trades with net PnL > 0. Expectancy shows twice,
 * labelled: in R (the mean trade over the mean loss) and in quote currency (the mean net trade).
 */
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
  { key: 'winRate', label: 'Win rate (net PnL > 0)', kind: 'pct' },
  { key: 'profitFactor', label: 'Profit factor', kind: 'ratio' },
  { key: 'expectancy', label: 'Expectancy (R: mean trade ÷ mean loss)', kind: 'r' },
  { key: 'averageTrade', label: 'Expectancy (quote currency per trade, net)', kind: 'money' },
  { key: 'averageWin', label: 'Average win (net)', kind: 'money' },
  { key: 'averageLoss', label: 'Average loss (net)', kind: 'money' },
  { key: 'exposureTimePct', label: 'Time in market', kind: 'pctPoints' },
] as const satisfies readonly { key: BacktestRunMetricName; label: string; kind: string }[];

/** A finite number from the metrics JSON, else null (a metric that was not finite is stored as null). */
export function metricNumber(metrics: StoredBacktestRunMetrics | null, key: BacktestRunMetricName): number | null {
  const value = metrics?.[key] ?? null;
  return value !== null && Number.isFinite(value) ? value : null;
}

/** A metric for display: percentages from fractions, money with 2 decimals, R with a unit, ratios with 3 decimals, `—` when missing. */
export function formatMetric(value: number | null, kind: (typeof METRIC_ROWS)[number]['kind']): string {
  if (value === null) return DASH;
  switch (kind) {
    case 'pct':
      return fmtFractionPct(value);
    case 'pctPoints':
      return fmtPct(value);
    case 'money':
      return fmtMoney(value);
    case 'count':
      return String(value);
    case 'r':
      return `${fmtNumber(value, 2)} R`;
    default:
      return fmtNumber(value, 3);
  }
}

/**
 * A run's market(s) for a list cell: the symbol of a single-market run; for a portfolio run (its
 * `symbol` column holds the comma-joined symbols) the symbols with spaces, so the cell wraps, or
 * "12 markets" past three.
 */
export function runMarketsLabel(symbol: string): string {
  const symbols = symbol.split(',');
  if (symbols.length === 1) return symbol;
  return symbols.length <= 3 ? symbols.join(', ') : `${symbols.length} markets`;
}
