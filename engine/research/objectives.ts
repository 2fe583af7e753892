/**
 * Objectives of a parameter search: one number per backtest, higher is better, read from the metrics
 * a backtest reports (`BacktestRunMetrics`, computed in `engine/insight/metrics.ts`).
 *
 * - `sharpe`, `sortino`, `calmar`: the run's annualised ratios of its equity returns.
 * - `profitFactor`: gross profit / gross loss of its closed trades (+Infinity with no losing trade).
 * - `netProfit`: the summed net PnL of its closed trades after fees and funding, in quote currency,
 *   computed as trades × averageTrade (0 with no trades).
 *
 * A run with fewer than `minTrades` closed trades scores -Infinity, so it ranks below every run that
 * traded enough: a handful of lucky trades cannot win a search. An undefined metric (NaN, or null as
 * read back from storage, where non-finite numbers are not kept) also scores -Infinity; +Infinity
 * (a profit factor or Sortino without losses) is kept and ranks first.
 */
import { ValidationError } from '../core/errors';
import type { BacktestRunMetrics } from '../ports/backtest-runs';

/** The objectives a search can maximise. */
export const Objective = {
  Sharpe: 'sharpe',
  Sortino: 'sortino',
  Calmar: 'calmar',
  ProfitFactor: 'profitFactor',
  NetProfit: 'netProfit',
} as const;
export type Objective = (typeof Objective)[keyof typeof Objective];

/** Every objective, in display order. */
export const OBJECTIVES: readonly Objective[] = Object.freeze(Object.values(Objective));

/** Default minimum number of closed trades for a run to score. */
export const DEFAULT_MIN_TRADES = 1;

type MetricName = 'trades' | 'sharpe' | 'sortino' | 'calmar' | 'profitFactor' | 'averageTrade';

/** The metrics an objective reads: fresh from a backtest (numbers) or read back from storage (null for non-finite). */
export type ObjectiveMetrics = { readonly [K in MetricName]: BacktestRunMetrics[K] | null };

/** Options of {@link objectiveOf}. */
export interface ObjectiveOptions {
  /** A run with fewer closed trades scores -Infinity; a whole number >= 0. Default {@link DEFAULT_MIN_TRADES}. */
  minTrades?: number;
}

/**
 * Checks an objective name.
 * @throws ValidationError on `objective` naming the value and the accepted names.
 */
export function parseObjective(value: unknown): Objective {
  if (typeof value === 'string' && (OBJECTIVES as readonly string[]).includes(value)) return value as Objective;
  throw new ValidationError('objective', value, `expected one of ${OBJECTIVES.join(', ')}`);
}

/**
 * The score of a run on an objective (see the module comment): higher is better; -Infinity below
 * `minTrades` closed trades or when the metric is undefined.
 * @throws ValidationError on `objective` for an unknown name, `minTrades` when not a whole number >= 0.
 */
export function objectiveOf(metrics: ObjectiveMetrics, objective: Objective, options: ObjectiveOptions = {}): number {
  parseObjective(objective);
  const minTrades = options.minTrades ?? DEFAULT_MIN_TRADES;
  if (!Number.isInteger(minTrades) || minTrades < 0) throw new ValidationError('minTrades', minTrades, 'expected a whole number >= 0');
  const trades = metrics.trades ?? 0;
  if (trades < minTrades) return -Infinity;
  let score: number | null;
  if (objective === Objective.NetProfit) score = trades === 0 ? 0 : metrics.averageTrade === null ? null : trades * metrics.averageTrade;
  else score = metrics[objective];
  return score === null || Number.isNaN(score) ? -Infinity : score;
}
