/**
 * A study from request to result: {@link resolveStudyRequest} checks a request completely before
 * anything is stored; {@link runStudy} runs (or resumes) a stored study's trials through a
 * `TrialRunner`, storing each as it finishes; {@link summariseStudy} turns the stored trials into the
 * best params, the walk-forward report and the overfitting guards.
 *
 * Determinism and resume: the candidate list is a pure function of the resolved request (grid order,
 * or seeded draws), every trial has a key (`<sample>:<window>:<rung>:<index>`) and its outcome depends
 * only on its candidate and range, and every choice (winner of a search, survivors of a halving rung)
 * is made from stored trials in key order. So a run that stops after any number of trials and is run
 * again skips the stored trials and ends with exactly the trials, best params and report an
 * uninterrupted run gives.
 *
 * Successive halving budgets are prefixes of the search's range: with R rungs, rung r runs on the first
 * 3^-(R-1-r) of it (the last rung on all of it); R = min(4, 1 + floor(log3(candidates))).
 */
import path from 'node:path';
import { anyLoopModel, loopModelFilesOf, resolveLoopModels, type LoopModelSource } from '../decision/loop-models';
import { ValidationError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { TIMEFRAME_MS, type CandleColumns, type Timeframe } from '../core/types';
import { reasonOf, parseOrThrow } from '../core/validation';
import { explicitBacktestRequest, pinBacktestModels, resolveBacktest } from '../backtest/run-backtest';
import { loopStartupCandles } from '../loop/signal-phase';
import type { CandleRepository } from '../ports/candles';
import type { StudyRecord, StudyRepository, StudyTrialRecord } from '../ports/studies';
import type { StoredRunSettings } from '../trading/run-spec';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import { gridCandidates, randomCandidates, searchSpaceFromCatalog, type CandidateSet, type SpaceNarrowing } from './search-space';
import { DEFAULT_ETA, successiveHalving } from './successive-halving';
import { degradation, stitchOutOfSample, walkForwardWindows, type WalkForwardWindow } from './walk-forward';
import { deflatedSharpeRatio, probabilityOfBacktestOverfitting } from './overfitting';
import {
  DEFAULT_STUDY_TRIALS,
  studyRequestSchema,
  type ResolvedStudyRequest,
  type StudyOverfittingView,
  type StudySummary,
  type StudyView,
  type StudyWindowView,
} from './study';
import type { TrialRunner, TrialSession, TrialStrategySource } from './trial-runner';
import type { TrialSetup, TrialTask } from './study-trial';
import { DEFAULT_ACCOUNT_ID } from '../account/account-config';

const DAY_MS = 86_400_000;
/** Most rungs of a successive halving. */
const MAX_HALVING_RUNGS = 4;
/** Most CSCV partitions a study uses (C(10, 5) = 252 splits). */
const STUDY_CSCV_PARTITIONS = 10;

/** What resolving reads: the catalog and the stored settings of the request's account. */
export interface ResolveStudyDeps {
  catalog: StrategyCatalog;
  storedSettings?: (accountId: string) => Promise<StoredRunSettings>;
  /** Where the models of a request's `models` option come from; without it a request that turns one on is refused. */
  loopModels?: LoopModelSource | null;
}

function daysToMs(days: number): number {
  return Math.round(days * DAY_MS);
}

/** Candidates of one search (a pure function of the resolved request). */
export function studyCandidates(request: Pick<ResolvedStudyRequest, 'strategy' | 'space' | 'method' | 'trials' | 'seed' | 'maxTrials'>, catalog: StrategyCatalog): CandidateSet {
  const space = searchSpaceFromCatalog(catalog, request.strategy, request.space as SpaceNarrowing);
  return request.method === 'grid'
    ? gridCandidates(space, { maxTrials: request.maxTrials })
    : randomCandidates(space, request.trials ?? DEFAULT_STUDY_TRIALS, request.seed, { maxTrials: request.maxTrials });
}

/** The walk-forward windows of a resolved request (none without walk-forward). */
export function studyWindows(request: ResolvedStudyRequest): WalkForwardWindow[] {
  if (!request.walkForward) return [];
  return walkForwardWindows({
    fromMs: request.fromMs,
    toMs: request.toMs,
    inSampleMs: request.walkForward.inSampleMs,
    outOfSampleMs: request.walkForward.outOfSampleMs,
    stepMs: request.walkForward.stepMs,
    mode: request.walkForward.mode,
    timeframeMs: TIMEFRAME_MS[request.timeframe as Timeframe],
    warmupCandles: request.warmupCandles,
  });
}

/**
 * Checks a study request completely (schema, market, strategy, space, method, walk-forward) and
 * resolves it over the account's stored settings. Does not read candles (see the service).
 * @throws ValidationError naming the field and value (see `StudyService.enqueue`).
 */
export async function resolveStudyRequest(input: unknown, deps: ResolveStudyDeps): Promise<ResolvedStudyRequest> {
  const r = parseOrThrow(studyRequestSchema, input, { root: 'request' });
  const accountId = r.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!deps.catalog.get(r.strategy)) deps.catalog.provenance(r.strategy); // throws the catalog's "not known" / "cannot run" on `strategy`
  const stored = await deps.storedSettings?.(accountId);
  const spec = resolveBacktest(
    {
      accountId: r.accountId,
      exchange: r.exchange,
      symbol: r.symbol,
      timeframe: r.timeframe,
      from: r.from,
      to: r.to,
      strategies: [r.strategy],
      ...(r.risk ? { risk: r.risk } : {}),
      ...(r.paper ? { paper: r.paper } : {}),
      ...(r.fusion ? { fusion: r.fusion } : {}),
      ...(r.exits ? { exits: r.exits } : {}),
      ...(r.models ? { models: r.models } : {}),
      veto: false,
      decisionDetail: 'off',
    },
    stored,
    deps.catalog,
  );
  // Pinned now, so every trial (and a resume after a restart) uses the versions deployed when the study was queued; the
  // files are read once here so a version that does not exist, or whose file changed, is refused before queuing.
  pinBacktestModels(spec, deps.loopModels);
  await loopModelFilesOf(spec.models, deps.loopModels);
  if (r.method === 'grid' && r.trials !== undefined) throw new ValidationError('trials', r.trials, 'a grid search runs every combination; give trials only for random or halving');
  const trials = r.method === 'grid' ? null : (r.trials ?? Math.min(DEFAULT_STUDY_TRIALS, r.maxTrials));
  const candidateSet = studyCandidates({ strategy: r.strategy, space: r.space, method: r.method, trials, seed: r.seed, maxTrials: r.maxTrials }, deps.catalog);
  if (candidateSet.candidates.length === 0) {
    throw new ValidationError('space', r.space, `${r.strategy} refuses every combination of this space (${candidateSet.skipped} tried); widen it`);
  }
  let warmupCandles = 0;
  // The models' features converge over their own history, as in a backtest with them.
  const withModels = anyLoopModel(spec.models);
  for (const candidate of candidateSet.candidates) warmupCandles = Math.max(warmupCandles, loopStartupCandles([deps.catalog.create(r.strategy, candidate)], withModels));
  const { params: _params, exits: resolvedExits, ...backtest } = explicitBacktestRequest(spec);
  const resolved: ResolvedStudyRequest = {
    name: r.name ?? `${r.strategy} ${r.symbol} ${r.timeframe}`,
    accountId,
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe,
    fromMs: spec.fromMs,
    toMs: spec.toMs,
    strategy: r.strategy,
    space: r.space,
    method: r.method,
    trials,
    seed: r.seed,
    objective: r.objective,
    minTrades: r.minTrades,
    walkForward: r.walkForward
      ? {
          mode: r.walkForward.mode,
          inSampleMs: daysToMs(r.walkForward.inSampleDays),
          outOfSampleMs: daysToMs(r.walkForward.outOfSampleDays),
          stepMs: daysToMs(r.walkForward.stepDays ?? r.walkForward.outOfSampleDays),
        }
      : null,
    maxTrials: r.maxTrials,
    // The exit policy is the request's; left out, each trial takes what its params declare (like a backtest).
    backtest: { ...backtest, ...(r.exits ? { exits: resolvedExits } : {}) } as Record<string, unknown>,
    candidates: candidateSet.candidates.length,
    skipped: candidateSet.skipped,
    warmupCandles,
  };
  if (resolved.walkForward) {
    const days: Record<string, [string, number | undefined]> = {
      inSampleMs: ['walkForward.inSampleDays', r.walkForward?.inSampleDays],
      outOfSampleMs: ['walkForward.outOfSampleDays', r.walkForward?.outOfSampleDays],
      stepMs: ['walkForward.stepDays', r.walkForward?.stepDays ?? r.walkForward?.outOfSampleDays],
      toMs: ['walkForward', undefined],
    };
    try {
      studyWindows(resolved);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const [field, value] = days[error.field] ?? ['walkForward', undefined];
      throw new ValidationError(field, value ?? r.walkForward, reasonOf(error));
    }
  }
  return resolved;
}

/** The key of a trial within its study. */
export function trialKey(sample: StudyTrialRecord['sample'], window: number | null, rung: number | null, index: number): string {
  return `${sample}:${window ?? '-'}:${rung ?? '-'}:${index}`;
}

/** Number of rungs of a successive halving over `count` candidates. */
export function halvingRungs(count: number): number {
  return Math.min(MAX_HALVING_RUNGS, 1 + Math.floor(Math.log(count) / Math.log(DEFAULT_ETA) + 1e-9));
}

/** Evaluations of one search over `count` candidates. */
export function searchEvaluations(method: ResolvedStudyRequest['method'], count: number): number {
  if (method !== 'halving') return count;
  let total = 0;
  let alive = count;
  const rungs = halvingRungs(count);
  for (let r = 0; r < rungs; r++) {
    total += alive;
    alive = Math.max(1, Math.floor(alive / DEFAULT_ETA));
  }
  return total;
}

/** Trials a study runs in all: the full search, then per window its search and one out-of-sample trial. */
export function studyTrialTotal(request: ResolvedStudyRequest, windows: number): number {
  const search = searchEvaluations(request.method, request.candidates);
  return search + windows * (search + 1);
}

/** Higher score first (null last), then lower candidate index. */
function compareTrials(a: Pick<StudyTrialRecord, 'score' | 'index'>, b: Pick<StudyTrialRecord, 'score' | 'index'>): number {
  const sa = a.score ?? -Infinity;
  const sb = b.score ?? -Infinity;
  if (sa !== sb) return sb > sa ? 1 : -1;
  return a.index - b.index;
}

/** A trial to run with where it belongs in the study. */
export type PlannedTrial = TrialTask & Pick<StudyTrialRecord, 'index' | 'window' | 'sample' | 'rung'>;

/** What running a study needs. */
export interface RunStudyDeps {
  repository: StudyRepository;
  candles: CandleRepository;
  runner: TrialRunner;
  /** The files of a study's models (see `ResolveStudyDeps.loopModels`). */
  loopModels?: LoopModelSource | null;
  catalog: StrategyCatalog;
  clock: Clock;
  logger: Logger;
}

/** The job's side: progress and cancellation. */
export interface RunStudyControl {
  signal: AbortSignal;
  /** Told after each stored trial (and once at the start); may throw to stop (a cancel). */
  onProgress(done: number, total: number, message: string): Promise<void>;
}

/** What the `study` job stores on its ticket. */
export interface StudyJobResult {
  studyId: string;
  trials: number;
  /** Trials found stored from an earlier attempt (resumed). */
  resumed: number;
  best: StudyView['best'];
}

/** How a worker thread rebuilds the study's strategy (built-in, file or rule). */
export function trialStrategySource(catalog: StrategyCatalog, name: string, rule?: (name: string) => { version: number; definition: unknown } | undefined): TrialStrategySource {
  const entry = catalog.get(name);
  if (!entry) {
    catalog.provenance(name);
    throw new ValidationError('strategy', name, `strategy "${name}" cannot run`);
  }
  if (entry.source === 'file' && entry.path) {
    return { kind: 'file', name, dir: path.dirname(entry.path), sourceHash: entry.sourceHash };
  }
  if (entry.source === 'rule') {
    const stored = rule?.(name);
    if (!stored) throw new ValidationError('strategy', name, `rule strategy "${name}" has no stored definition to run trials with`);
    return { kind: 'rule', name, version: stored.version, definition: stored.definition };
  }
  return { kind: 'built-in', name };
}

/** What a study's choices (search winner, halving survivors) read of a trial: also what a durable trial step returns. */
export type TrialScore = Pick<StudyTrialRecord, 'key' | 'index' | 'score'>;

/**
 * Runs a batch of planned trials (those already stored are not run again) and gives their scores in
 * task order. `batch` names the batch uniquely within the study (`<sample>:<window>:<rung>`).
 */
export type TrialBatchRunner = (tasks: readonly PlannedTrial[], batch: string) => Promise<TrialScore[]>;

/** A stored study checked against the catalog: its request, candidates, windows and trial total. */
export interface StudyPlan {
  readonly request: ResolvedStudyRequest;
  readonly candidates: readonly Record<string, unknown>[];
  readonly windows: readonly WalkForwardWindow[];
  readonly total: number;
}

/**
 * The plan of a stored study (a pure function of its request and the catalog).
 * @throws ValidationError on `space` when the strategy now gives another number of candidates than when queued.
 */
export function studyPlanOf(request: ResolvedStudyRequest, catalog: StrategyCatalog): StudyPlan {
  const { candidates } = studyCandidates(request, catalog);
  if (candidates.length !== request.candidates) {
    throw new ValidationError('space', request.space, `the space now gives ${candidates.length} candidates, not the ${request.candidates} the study was queued with (the strategy changed)`);
  }
  const windows = studyWindows(request);
  return { request, candidates: candidates as Record<string, unknown>[], windows, total: studyTrialTotal(request, windows.length) };
}

/**
 * The order of a study's trials and every choice between them: the full search, then per window the
 * in-sample search and the out-of-sample trial of its winner. Runs each batch through `runBatch` and
 * decides from the scores it returns only, so any runner (one session in this process, or durable
 * steps) gives the same trials. `onWindowSkipped` is told of a window whose in-sample search had no scoring candidate.
 */
export async function driveStudy(plan: StudyPlan, runBatch: TrialBatchRunner, onWindowSkipped: (window: number) => Promise<void>): Promise<void> {
  const { request, candidates } = plan;
  /** One search over a range: returns the winner (null when nothing scored). */
  const search = async (sample: 'full' | 'in', window: number | null, fromMs: number, toMs: number): Promise<TrialScore | null> => {
    const task = (index: number, rung: number | null, rangeTo: number): PlannedTrial => ({
      key: trialKey(sample, window, rung, index),
      index,
      params: candidates[index],
      window,
      sample,
      rung,
      fromMs,
      toMs: rangeTo,
      keepEquity: false,
    });
    const batch = (rung: number | null) => `${sample}:${window ?? '-'}:${rung ?? '-'}`;
    if (request.method !== 'halving') {
      const trials = await runBatch(candidates.map((_, index) => task(index, null, toMs)), batch(null));
      const best = [...trials].sort(compareTrials)[0];
      return best && best.score !== null ? best : null;
    }
    const rungs = halvingRungs(candidates.length);
    const budgetEnd = (rung: number) => (rung === rungs - 1 ? toMs : fromMs + Math.floor((toMs - fromMs) / DEFAULT_ETA ** (rungs - 1 - rung)));
    let alive = candidates.map((_, index) => index);
    const byRung: TrialScore[][] = [];
    for (let rung = 0; rung < rungs; rung++) {
      const trials = await runBatch(alive.map((index) => task(index, rung, budgetEnd(rung))), batch(rung));
      byRung.push(trials);
      const sorted = [...trials].sort(compareTrials);
      alive = sorted.slice(0, Math.max(1, Math.floor(sorted.length / DEFAULT_ETA))).map((trial) => trial.index);
    }
    // The module's own reading of the stored scores is the authority on the winner.
    const scores = new Map(byRung.flatMap((trials, rung) => trials.map((trial) => [`${rung}:${trial.index}`, trial.score ?? -Infinity] as const)));
    const result = await successiveHalving({
      candidates: candidates.map((_, index) => index),
      budgets: byRung.map((_, rung) => rung),
      evaluate: (index, rung) => {
        const score = scores.get(`${rung}:${index}`);
        if (score === undefined) throw new Error(`halving asked for trial ${index} on rung ${rung}, which the study did not run`);
        return score;
      },
    });
    const best = byRung[rungs - 1].find((trial) => trial.index === result.best.candidate)!;
    return best.score !== null ? best : null;
  };

  await search('full', null, request.fromMs, request.toMs);
  for (const window of plan.windows) {
    const best = await search('in', window.index, window.inSample.fromMs, window.inSample.toMs);
    if (best) {
      await runBatch(
        [{ key: trialKey('out', window.index, null, best.index), index: best.index, params: candidates[best.index], window: window.index, sample: 'out', rung: null, fromMs: window.outOfSample.fromMs, toMs: window.outOfSample.toMs, keepEquity: true }],
        `out:${window.index}:-`,
      );
    } else {
      await onWindowSkipped(window.index);
    }
  }
}

/** Opens a trial session over a study's candles: the range plus the warm-up history before it, loaded once. */
export async function openStudySession(request: ResolvedStudyRequest, deps: Pick<RunStudyDeps, 'candles' | 'runner' | 'loopModels'>, strategySource: TrialStrategySource): Promise<TrialSession> {
  const timeframeMs = TIMEFRAME_MS[request.timeframe as Timeframe];
  const market = { exchange: request.exchange, symbol: request.symbol, timeframe: request.timeframe as Timeframe };
  // The versions pinned when the study was queued.
  const files = await loopModelFilesOf(resolveLoopModels(request.backtest.models), deps.loopModels);
  const columns: CandleColumns = await deps.candles.loadCandles(market, request.fromMs - request.warmupCandles * timeframeMs, request.toMs);
  const setup: TrialSetup = { backtest: request.backtest, strategy: request.strategy, objective: request.objective, minTrades: request.minTrades };
  return deps.runner.open({ setup, columns, strategy: strategySource, models: files });
}

/**
 * Runs the tasks not in `stored` through `session`, at most `parallelism` at a time, storing each
 * trial as it finishes (and adding it to `stored`), then telling `onStored`. Stops before the next
 * trial when `signal` is aborted (with its reason) or a trial fails (with that failure).
 * @returns the trials of every task (stored or run) in task order.
 */
export async function runTrialsInSession(
  studyId: string,
  tasks: readonly PlannedTrial[],
  session: TrialSession,
  deps: Pick<RunStudyDeps, 'repository'> & { parallelism: number; stored: Map<string, StudyTrialRecord>; signal: AbortSignal; onStored: () => Promise<void> },
): Promise<StudyTrialRecord[]> {
  const pending = tasks.filter((task) => !deps.stored.has(task.key));
  let next = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (failure === null && next < pending.length) {
      if (deps.signal.aborted) throw deps.signal.reason instanceof Error ? deps.signal.reason : new Error('the study was stopped');
      const task = pending[next++];
      const outcome = await session.run({ key: task.key, params: task.params, fromMs: task.fromMs, toMs: task.toMs, keepEquity: task.keepEquity });
      const trial: StudyTrialRecord = { studyId, key: task.key, index: task.index, params: task.params, window: task.window, sample: task.sample, rung: task.rung, fromMs: task.fromMs, toMs: task.toMs, ...outcome };
      await deps.repository.putTrial(trial);
      deps.stored.set(trial.key, trial);
      await deps.onStored();
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(deps.parallelism, pending.length)) }, () =>
    lane().catch((error: unknown) => {
      failure ??= error;
    }),
  );
  await Promise.all(lanes);
  if (failure !== null) throw failure;
  return tasks.map((task) => deps.stored.get(task.key)!);
}

/** Stores a study's summary from its stored trials and marks it completed. */
export async function completeStudy(studyId: string, plan: StudyPlan, resumed: number, deps: Pick<RunStudyDeps, 'repository' | 'clock'>): Promise<StudyJobResult> {
  const trials = await deps.repository.trials(studyId);
  const summary = summariseStudy(plan.request, trials);
  await deps.repository.update(studyId, {
    status: 'completed',
    finishedAtMs: deps.clock.nowMs(),
    progressDone: plan.total,
    progressTotal: plan.total,
    progressMessage: `${plan.total} of ${plan.total} trials`,
    result: summary as unknown as Record<string, unknown>,
  });
  return { studyId, trials: trials.length, resumed, best: summary.best };
}

/** What a stored study that is already completed or cancelled gives as the job's result. */
export async function finishedStudyResult(record: StudyRecord, deps: Pick<RunStudyDeps, 'repository'>): Promise<StudyJobResult> {
  return { studyId: record.id, trials: (await deps.repository.trials(record.id)).length, resumed: 0, best: (record.result as { best?: StudyView['best'] } | null)?.best ?? null };
}

/**
 * Runs or resumes a stored study: loads its candles once (the range plus the warm-up history before
 * it), runs the trials not yet stored through the runner (storing each as it finishes), then stores
 * the summary and marks it completed. Stops with the signal's reason when aborted (finished trials
 * stay stored). A study already completed or cancelled is left as it is.
 * @throws whatever a trial throws; the caller marks the study failed.
 */
export async function runStudy(studyId: string, deps: RunStudyDeps, control: RunStudyControl, options: { strategySource: TrialStrategySource }): Promise<StudyJobResult> {
  const record = await deps.repository.get(studyId);
  if (!record) throw new ValidationError('studyId', studyId, 'no study has this id');
  if (record.status === 'completed' || record.status === 'cancelled') return finishedStudyResult(record, deps);
  const plan = studyPlanOf(record.request as unknown as ResolvedStudyRequest, deps.catalog);
  const { total } = plan;
  const stored = new Map<string, StudyTrialRecord>();
  for (const trial of await deps.repository.trials(studyId)) stored.set(trial.key, trial);
  const resumed = stored.size;
  await deps.repository.update(studyId, { status: 'running', startedAtMs: record.startedAtMs ?? deps.clock.nowMs(), progressTotal: total, progressDone: resumed, error: null });
  await control.onProgress(resumed, total, resumed > 0 ? `resumed: ${resumed} of ${total} trials already done` : `0 of ${total} trials`);

  const session = await openStudySession(plan.request, deps, options.strategySource);
  let done = resumed;
  const onStored = async () => {
    done++;
    await control.onProgress(done, total, `${done} of ${total} trials`);
  };
  const runBatch: TrialBatchRunner = async (tasks) =>
    runTrialsInSession(studyId, tasks, session, { repository: deps.repository, parallelism: deps.runner.parallelism, stored, signal: control.signal, onStored });
  try {
    await driveStudy(plan, runBatch, async (window) => {
      done++;
      await control.onProgress(done, total, `${done} of ${total} trials (window ${window + 1}: no candidate scored in sample)`);
    });
  } finally {
    await session.close();
  }
  return completeStudy(studyId, plan, resumed, deps);
}

/** The computed part of a study view. */
export type StudyResult = Pick<StudyView, 'best' | 'walkForward' | 'overfitting'>;

const viewScore = (score: number | null): number | null => (score === null || score === Number.MAX_VALUE ? null : score);
const numberOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/** Per-period Sharpe (mean / sample standard deviation) of a series; NaN when undefined. */
function periodSharpe(returns: readonly number[]): number {
  const n = returns.length;
  if (n < 2) return NaN;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const variance = returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return variance > 0 ? mean / Math.sqrt(variance) : NaN;
}

/** Population skewness and (non-excess) kurtosis of a series. */
function shapeOf(returns: readonly number[]): { skewness: number; kurtosis: number } {
  const n = returns.length;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/** The overfitting guards over one pool of trials on one range (the full search; rung 0 for halving). */
export function overfittingOf(pool: readonly StudyTrialRecord[], best: StudyTrialRecord | null): StudyOverfittingView {
  const view: StudyOverfittingView = { pbo: null, pboUnavailable: null, deflatedSharpe: null, deflatedSharpeUnavailable: null };
  const days = pool.length > 0 ? Math.min(...pool.map((trial) => trial.dailyReturns.length)) : 0;
  if (pool.length < 2) view.pboUnavailable = 'needs at least 2 trials';
  else if (days < 4) view.pboUnavailable = `needs at least 4 days of returns; the trials span ${days}`;
  else {
    const partitions = Math.min(STUDY_CSCV_PARTITIONS, 2 * Math.floor(days / 4));
    const slices = Math.floor(days / partitions) * partitions;
    // The latest `slices` days of every trial (a day at the start is dropped when they do not divide evenly).
    const matrix = Array.from({ length: slices }, (_, t) => pool.map((trial) => trial.dailyReturns[trial.dailyReturns.length - slices + t]));
    const result = probabilityOfBacktestOverfitting(matrix, { partitions });
    view.pbo = {
      value: result.probability,
      partitions,
      combinations: result.combinationCount,
      probabilityOfLoss: result.probabilityOfLoss,
      level: result.verdict.level,
      verdict: result.verdict.message,
    };
  }
  const sharpes = pool.map((trial) => periodSharpe(trial.dailyReturns)).filter(Number.isFinite);
  const bestSharpe = best ? periodSharpe(best.dailyReturns) : NaN;
  if (!best) view.deflatedSharpeUnavailable = 'no trial scored';
  else if (!Number.isFinite(bestSharpe)) view.deflatedSharpeUnavailable = 'the best trial\u2019s daily returns do not vary (or span under 2 days)';
  else {
    const mean = sharpes.reduce((a, b) => a + b, 0) / sharpes.length;
    const variance = sharpes.length > 1 ? sharpes.reduce((a, b) => a + (b - mean) ** 2, 0) / (sharpes.length - 1) : 0;
    const { skewness, kurtosis } = shapeOf(best.dailyReturns);
    try {
      const dsr = deflatedSharpeRatio({ sharpe: bestSharpe, trials: pool.length, sharpeVariance: variance, observations: best.dailyReturns.length, skewness, kurtosis });
      view.deflatedSharpe = { probability: dsr.probability, expectedMaxSharpe: dsr.expectedMaxSharpe, sharpe: bestSharpe, trials: pool.length, level: dsr.verdict.level, verdict: dsr.verdict.message };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      view.deflatedSharpeUnavailable = reasonOf(error);
    }
  }
  return view;
}

/**
 * The summary of a study from its stored trials: the full search's winner, the walk-forward report
 * (windows, stitched out-of-sample equity from the trades' starting balance, degradation of the
 * objective) and the overfitting guards.
 */
export function summariseStudy(request: ResolvedStudyRequest, trials: readonly StudyTrialRecord[]): StudyResult {
  const full = trials.filter((trial) => trial.sample === 'full');
  const lastRung = full.reduce((max, trial) => Math.max(max, trial.rung ?? 0), 0);
  const finalists = full.filter((trial) => (trial.rung ?? 0) === lastRung).sort(compareTrials);
  const winner = finalists[0] && finalists[0].score !== null ? finalists[0] : null;
  const pool = request.method === 'halving' ? full.filter((trial) => trial.rung === 0) : full;
  const poolBest = winner ? (pool.find((trial) => trial.index === winner.index && trial.toMs === winner.toMs) ?? winner) : null;
  let walkForward: StudyResult['walkForward'] = null;
  if (request.walkForward) {
    const windowsView: StudyWindowView[] = [];
    const curves: StudyTrialRecord['equity'][] = [];
    const isScores: number[] = [];
    const oosScores: number[] = [];
    const windows = studyWindows(request);
    for (const window of windows) {
      const inSample = trials.filter((trial) => trial.sample === 'in' && trial.window === window.index);
      const last = inSample.reduce((max, trial) => Math.max(max, trial.rung ?? 0), 0);
      const best = inSample.filter((trial) => (trial.rung ?? 0) === last).sort(compareTrials)[0];
      const scored = best && best.score !== null ? best : null;
      const out = scored ? trials.find((trial) => trial.sample === 'out' && trial.window === window.index) : undefined;
      windowsView.push({
        index: window.index,
        inSample: { ...window.inSample },
        outOfSample: { ...window.outOfSample },
        bestParams: scored?.params ?? null,
        inSampleObjective: viewScore(scored?.score ?? null),
        outOfSampleObjective: viewScore(out?.score ?? null),
      });
      if (out?.equity && out.equity.length > 0) curves.push(out.equity);
      const toNumber = (score: number | null | undefined) => (score === null || score === undefined ? NaN : score === Number.MAX_VALUE ? Infinity : score);
      isScores.push(toNumber(scored?.score));
      oosScores.push(toNumber(out?.score));
    }
    const startEquity = Number((request.backtest.paper as { initialBalance?: unknown } | undefined)?.initialBalance);
    const d = degradation(isScores, oosScores);
    walkForward = {
      windows: windowsView,
      outOfSampleEquity: stitchOutOfSample(curves as NonNullable<StudyTrialRecord['equity']>[], Number.isFinite(startEquity) && startEquity > 0 ? startEquity : undefined),
      degradation: { ratios: d.ratios.map(numberOrNull), meanRatio: numberOrNull(d.meanRatio), meanInSample: numberOrNull(d.meanInSample), meanOutOfSample: numberOrNull(d.meanOutOfSample) },
    };
  }
  return {
    best: winner ? { params: winner.params, objective: viewScore(winner.score), trialIndex: winner.index } : null,
    walkForward,
    overfitting: overfittingOf(pool, poolBest),
  };
}

/** A stored study and its trials as the view every reader gets (status as stored; the service reconciles it with the ticket). */
export function studyViewOf(record: StudyRecord, trials: readonly StudyTrialRecord[]): StudyView {
  const order = { full: 0, in: 1, out: 2 } as const;
  const sorted = [...trials].sort(
    (a, b) => order[a.sample] - order[b.sample] || (a.window ?? -1) - (b.window ?? -1) || (a.rung ?? -1) - (b.rung ?? -1) || a.index - b.index,
  );
  const result = record.result as StudyResult | null;
  return {
    ...studySummaryOf(record),
    trials: sorted.map((trial) => ({
      index: trial.index,
      params: trial.params,
      window: trial.window,
      sample: trial.sample,
      rung: trial.rung,
      fromMs: trial.fromMs,
      toMs: trial.toMs,
      metrics: trial.metrics,
      objective: viewScore(trial.score),
    })),
    walkForward: result?.walkForward ?? null,
  };
}

/** A stored study as a list row. */
export function studySummaryOf(record: StudyRecord): StudySummary {
  const result = record.result as StudyResult | null;
  return {
    id: record.id,
    name: record.name,
    status: record.status,
    request: record.request as unknown as ResolvedStudyRequest,
    ticketId: record.ticketId ?? '',
    progress: { done: record.progressDone, total: record.progressTotal, message: record.progressMessage },
    createdAtMs: record.createdAtMs,
    finishedAtMs: record.finishedAtMs,
    error: record.error,
    best: result?.best ?? null,
    overfitting: result?.overfitting ?? null,
    appliedAtMs: record.appliedAtMs,
    appliedBy: record.appliedBy,
  };
}
