/**
 * One study trial: a backtest of one candidate's params on one range of candles already in memory,
 * with no journal and no run row (`simulate` with decision detail off and no run id), reduced to the
 * metrics a study keeps. The same function runs inline (tests, a pool of one) and inside the worker
 * threads of the trial pool, so both give the same numbers bit for bit.
 *
 * Candles are shared: every trial reads slices (typed-array views, no copies) of one set of columns
 * covering the study's range plus the warm-up history before it. A trial on [fromMs, toMs) trades the
 * candles whose open time falls in that range and warms its indicators on the candles just before it,
 * as a backtest of that range would.
 */
import { ValidationError } from '../core/errors';
import { NO_STORED_SETTINGS } from '../trading/run-spec';
import { type CandleColumns } from '../core/types';
import { loopStartupCandles } from '../loop/signal-phase';
import type { EquityPoint } from '../ports/backtest-runs';
import type { StudyTrialRecord } from '../ports/studies';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { Logger } from '../core/logger';
import { resolveBacktest, simulate, type BacktestResult } from '../backtest/run-backtest';
import { anyLoopModel, LOOP_MODEL_KINDS, NO_LOOP_MODELS, type LoopModels } from '../decision/loop-models';
import { objectiveOf, type Objective } from './objectives';

const DAY_MS = 86_400_000;

/** What every trial of a study shares: the explicit backtest request (no params, no range) and the scoring. */
export interface TrialSetup {
  /** A backtest request with every trading field explicit; `params`, `from`, `to` and `decisionDetail` are set per trial. */
  readonly backtest: Record<string, unknown>;
  /** The strategy whose params each trial sets (the request's only strategy). */
  readonly strategy: string;
  readonly objective: Objective;
  readonly minTrades: number;
}

/** One trial to run: a candidate's full params on a half-open range of candle open times (epoch ms). */
export interface TrialTask {
  readonly key: string;
  readonly params: Record<string, unknown>;
  readonly fromMs: number;
  readonly toMs: number;
  /** Keep the equity curve (out-of-sample trials, stitched into the walk-forward curve). */
  readonly keepEquity: boolean;
}

/** What a trial gives back (the stored part of a trial, see `StudyTrialRecord`). */
export type TrialOutcome = Pick<StudyTrialRecord, 'metrics' | 'score' | 'dailyReturns' | 'equity'>;

/** Evaluates trials of one study over its shared candles. */
export type TrialEvaluator = (task: TrialTask) => Promise<TrialOutcome>;

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * The ranking score of an objective value as stored: null for -Infinity and NaN (did not score),
 * Number.MAX_VALUE for +Infinity (e.g. a profit factor without losses), else the value.
 */
export function scoreOf(objective: number): number | null {
  if (Number.isNaN(objective) || objective === -Infinity) return null;
  return objective === Infinity ? Number.MAX_VALUE : objective;
}

/** The first index i with values[i] >= target (values ascending), in [0, length]. */
export function lowerBound(values: Float64Array, length: number, target: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid] < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Rows [start, end) of the columns as views (no copy). */
export function sliceColumns(columns: CandleColumns, start: number, end: number): CandleColumns {
  return {
    length: Math.max(0, end - start),
    openTimeMs: columns.openTimeMs.subarray(start, end),
    open: columns.open.subarray(start, end),
    high: columns.high.subarray(start, end),
    low: columns.low.subarray(start, end),
    close: columns.close.subarray(start, end),
    volume: columns.volume.subarray(start, end),
  };
}

/**
 * Simple returns of each UTC day of an equity curve, from `startEquity`: the day's last equity point
 * over the previous day's (the first day over `startEquity`). Days without a point (none in a
 * downsampled curve of a gapless market) are skipped.
 */
export function dailyReturnsOf(equity: readonly EquityPoint[], startEquity: number): number[] {
  const returns: number[] = [];
  let previous = startEquity;
  for (let i = 0; i < equity.length; i++) {
    const day = Math.floor(equity[i].timeMs / DAY_MS);
    const lastOfDay = i === equity.length - 1 || Math.floor(equity[i + 1].timeMs / DAY_MS) !== day;
    if (!lastOfDay) continue;
    const value = equity[i].equity;
    returns.push(previous > 0 ? value / previous - 1 : 0);
    previous = value;
  }
  return returns;
}

/** A trial's metrics from a simulation (see `StudyTrialMetrics`). */
export function trialMetricsOf(result: Pick<BacktestResult, 'returnMetrics' | 'tradeMetrics'>): TrialOutcome['metrics'] {
  const { returnMetrics: r, tradeMetrics: t } = result;
  return {
    netProfit: t.trades === 0 ? 0 : finiteOrNull(t.trades * t.averageTrade),
    sharpe: finiteOrNull(r.sharpe),
    sortino: finiteOrNull(r.sortino),
    calmar: finiteOrNull(r.calmar),
    profitFactor: finiteOrNull(t.profitFactor),
    maxDrawdownPct: Number.isFinite(r.maxDrawdown) ? (r.maxDrawdown === 0 ? 0 : -r.maxDrawdown * 100) : null,
    trades: t.trades,
    winRate: finiteOrNull(t.winRate),
  };
}

const NO_JOURNAL = {} as Parameters<typeof simulate>[3]['journal'];

/**
 * Builds the evaluator of a study's trials over `columns` (the study's candles, warm-up history
 * first, open times ascending). Each trial resolves its backtest request with the trial's params and
 * range against `catalog` (nothing stored is read: the request is explicit), feeds the candles of its
 * range through the live loop after warming up on the rows just before it, and scores the result.
 * A range without candles gives a trial with no trades. The request's `models` (versions pinned when the study was
 * queued) are served by `deps.models`, opened once per session from the models' files.
 * @throws ValidationError when a trial's request does not resolve (a candidate the strategy refuses), or names a model
 *   that `deps.models` does not hold (`models.<kind>`).
 */
export function createTrialEvaluator(setup: TrialSetup, columns: CandleColumns, deps: { catalog: StrategyCatalog; logger: Logger; models?: LoopModels }): TrialEvaluator {
  const models = deps.models ?? NO_LOOP_MODELS;
  return async (task) => {
    const spec = resolveBacktest(
      { ...setup.backtest, params: { [setup.strategy]: task.params }, from: task.fromMs, to: task.toMs, decisionDetail: 'off' },
      NO_STORED_SETTINGS,
      deps.catalog,
    );
    for (const { key } of LOOP_MODEL_KINDS) {
      const option = spec.models[key];
      if (option && !models[key]) throw new ValidationError(`models.${key}`, option.version, `the study's trials were given no ${key} model; run the study again`);
    }
    const start = lowerBound(columns.openTimeMs, columns.length, task.fromMs);
    const end = lowerBound(columns.openTimeMs, columns.length, task.toMs);
    if (end <= start) {
      return {
        metrics: { netProfit: 0, sharpe: null, sortino: null, calmar: null, profitFactor: null, maxDrawdownPct: 0, trades: 0, winRate: null },
        score: scoreOf(objectiveOf({ trades: 0, sharpe: NaN, sortino: NaN, calmar: NaN, profitFactor: NaN, averageTrade: NaN }, setup.objective, { minTrades: setup.minTrades })),
        dailyReturns: [],
        equity: task.keepEquity ? [] : null,
      };
    }
    const needed = loopStartupCandles(
      spec.strategies.map((name) => deps.catalog.create(name, spec.params[name] ?? {})),
      spec.veto || anyLoopModel(spec.models),
    );
    if (spec.veto) throw new ValidationError('veto', true, 'study trials run without the veto model');
    let ids = 0;
    const result = await simulate(
      spec,
      sliceColumns(columns, start, end),
      null,
      { journal: NO_JOURNAL, logger: deps.logger, newId: () => `trial-${++ids}`, strategies: deps.catalog, models },
      { warmup: { history: sliceColumns(columns, 0, start), needed } },
    );
    const objective = objectiveOf(
      {
        trades: result.tradeMetrics.trades,
        sharpe: result.returnMetrics.sharpe,
        sortino: result.returnMetrics.sortino,
        calmar: result.returnMetrics.calmar,
        profitFactor: result.tradeMetrics.profitFactor,
        averageTrade: result.tradeMetrics.averageTrade,
      },
      setup.objective,
      { minTrades: setup.minTrades },
    );
    return {
      metrics: trialMetricsOf(result),
      score: scoreOf(objective),
      dailyReturns: dailyReturnsOf(result.equity, spec.paper.initialBalance),
      equity: task.keepEquity ? result.equity : null,
    };
  };
}
