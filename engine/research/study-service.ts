/**
 * The engine's study service (`engine.studies`, see the contract in `study.ts`) and the body of the
 * `study` job (`run`). Queuing checks everything first and stores nothing on bad input; the job runs
 * or resumes the study through the injected `TrialRunner` (worker threads in the server, inline in
 * tests); reading reconciles a study that is not final with its ticket (a cancelled or failed ticket
 * whose body never reached its own bookkeeping).
 */
import { NotFoundError, ValidationError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Timeframe } from '../core/types';
import type { CandleRepository } from '../ports/candles';
import type { StudyRecord, StudyRepository } from '../ports/studies';
import type { StrategyRuleRecord } from '../ports/strategy-rules';
import type { StoredRunSettings } from '../trading/run-spec';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { StoredTradingSettings } from '../settings/trading-settings';
import type { JobQueue } from '../orchestrator/job-queue';
import { JobCancelledError, JobInterruptedError, NonRetryableJobError, type DurableJobContext, type JobContext } from '../jobs/job-context';
import { resolveStudyRequest, runStudy, studySummaryOf, studyViewOf, trialStrategySource, type StudyJobResult } from './study-runner';
import type { StudyActor, StudyService, StudySummary, StudyView } from './study';
import type { TrialRunner, TrialStrategySource } from './trial-runner';
import type { LoopModelSource } from '../decision/loop-models';
import { DEFAULT_TRIALS_PER_STEP, runStudySteps } from './study-steps';

/** Least time between two progress writes of a running study, ms (the last trial is always written). */
const PROGRESS_WRITE_INTERVAL_MS = 500;

/** What the study service needs. */
export interface StudyServiceDeps {
  repository: StudyRepository;
  candles: CandleRepository;
  /** The job queue (late-bound: the engine may be built before it). */
  jobs: () => JobQueue;
  catalog: StrategyCatalog;
  /** The stored layer of a run on an account (its settings, the strategy group). */
  storedSettings: (accountId: string) => Promise<StoredRunSettings>;
  /** The installation's trading settings: `apply` writes the best params into the strategy group. */
  tradingSettings: {
    get(): Promise<StoredTradingSettings>;
    update(update: { strategy?: unknown }, actor: string): Promise<{ ok: true } | { ok: false; fieldErrors: Record<string, string[]> }>;
  };
  /** Stored rule strategies (a worker thread compiles the study's rule from its stored definition). */
  ruleRecords?: () => Promise<StrategyRuleRecord[]>;
  runner: TrialRunner;
  /** Where the models of a study's `models` option come from (the model registry); without it such a study is refused. */
  loopModels?: LoopModelSource | null;
  /** Most trials one durable step runs (`runSteps`); DEFAULT_TRIALS_PER_STEP when absent. */
  trialsPerStep?: number;
  clock: Clock;
  logger: Logger;
  newId: () => string;
}

/** The service plus the job body the `study` job calls. */
export interface StudyEngine extends StudyService {
  /** Runs or resumes a study as the body of its ticket. @throws JobCancelledError on cancel, NonRetryableJobError for a study that cannot run. */
  run(studyId: string, ctx: Pick<JobContext, 'ticketId' | 'signal' | 'reportProgress'>): Promise<StudyJobResult>;
  /** The same as durable steps, trials fanned out in parts (the Inngest runner; see study-steps.ts). Same throws as `run`. */
  runSteps(studyId: string, ctx: DurableJobContext): Promise<StudyJobResult>;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Builds the study service. */
export function createStudyService(deps: StudyServiceDeps): StudyEngine {
  /** A stored study whose status is reconciled with its ticket when it is not final. */
  async function reconciled(record: StudyRecord): Promise<StudyRecord> {
    if (FINAL.has(record.status) || !record.ticketId) return record;
    const ticket = await deps.jobs().get(record.ticketId);
    if (!ticket) return record;
    if (ticket.status === 'cancelled') return { ...record, status: 'cancelled', finishedAtMs: record.finishedAtMs ?? ticket.finishedAtMs };
    if (ticket.status === 'failed') return { ...record, status: 'failed', error: record.error ?? ticket.error ?? 'failed', finishedAtMs: record.finishedAtMs ?? ticket.finishedAtMs };
    return record;
  }

  async function require(id: string): Promise<StudyRecord> {
    const record = await deps.repository.get(id);
    if (!record) throw new NotFoundError(`no study has id "${id}"`);
    return reconciled(record);
  }

  async function view(id: string): Promise<StudyView> {
    const record = await require(id);
    return studyViewOf(record, await deps.repository.trials(id));
  }

  const runDeps = { repository: deps.repository, candles: deps.candles, runner: deps.runner, loopModels: deps.loopModels, catalog: deps.catalog, clock: deps.clock, logger: deps.logger };

  /** How a trial session rebuilds the study's strategy (a rule strategy from its stored definition). */
  async function strategySourceOf(name: string): Promise<TrialStrategySource> {
    const rules = deps.catalog.get(name)?.source === 'rule' ? ((await deps.ruleRecords?.()) ?? []) : [];
    return trialStrategySource(deps.catalog, name, (rule) => rules.find((r) => r.name === rule));
  }

  /** Writes a running study's progress to the study and its ticket, at most every PROGRESS_WRITE_INTERVAL_MS (the last trial always). */
  function progressOf(studyId: string, ctx: Pick<JobContext, 'ticketId' | 'signal' | 'reportProgress'>) {
    let lastWriteMs = -Infinity;
    return async (done: number, total: number, message: string) => {
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new JobCancelledError(ctx.ticketId);
      const nowMs = deps.clock.nowMs();
      if (done < total && nowMs - lastWriteMs < PROGRESS_WRITE_INTERVAL_MS) return;
      lastWriteMs = nowMs;
      await deps.repository.update(studyId, { progressDone: done, progressTotal: total, progressMessage: message });
      await ctx.reportProgress(total > 0 ? done / total : 0, message);
    };
  }

  const markCancelled = async (studyId: string) => {
    await deps.repository.update(studyId, { status: 'cancelled', finishedAtMs: deps.clock.nowMs(), progressMessage: 'cancelled' });
  };
  const markFailed = async (studyId: string, message: string) => {
    await deps.repository.update(studyId, { status: 'failed', finishedAtMs: deps.clock.nowMs(), error: message });
  };

  return {
    async enqueue(request, actor: StudyActor) {
      const resolved = await resolveStudyRequest(request, { catalog: deps.catalog, storedSettings: deps.storedSettings, loopModels: deps.loopModels });
      const market = { exchange: resolved.exchange, symbol: resolved.symbol, timeframe: resolved.timeframe as Timeframe };
      if ((await deps.candles.countCandles(market)) === 0) {
        throw new ValidationError('symbol', resolved.symbol, `no ${resolved.timeframe} candles are stored for "${resolved.symbol}" on "${resolved.exchange}"; import or download them first`);
      }
      const inRange = await deps.candles.loadCandleBuckets(market, resolved.fromMs, resolved.toMs, resolved.toMs - resolved.fromMs);
      if (inRange.length === 0) {
        throw new ValidationError('from', (request as { from?: unknown }).from, `no ${resolved.exchange} ${resolved.symbol} ${resolved.timeframe} candles between ${new Date(resolved.fromMs).toISOString()} and ${new Date(resolved.toMs).toISOString()}`);
      }
      const studyId = deps.newId();
      await deps.repository.create({
        id: studyId,
        name: resolved.name,
        status: 'queued',
        request: resolved as unknown as Record<string, unknown>,
        ticketId: null,
        progressDone: 0,
        progressTotal: 0,
        progressMessage: 'queued',
        createdAtMs: deps.clock.nowMs(),
        createdBy: actor.userId,
        startedAtMs: null,
        finishedAtMs: null,
        error: null,
        result: null,
        appliedAtMs: null,
        appliedBy: null,
      });
      let ticketId: string;
      try {
        ticketId = await deps.jobs().enqueue({ kind: 'study', params: { studyId } });
      } catch (error) {
        await deps.repository.delete(studyId);
        throw error;
      }
      await deps.repository.update(studyId, { ticketId });
      return { studyId, ticketId };
    },

    async list(): Promise<StudySummary[]> {
      const records = await deps.repository.list();
      return Promise.all(records.map(async (record) => studySummaryOf(await reconciled(record))));
    },

    get: view,

    summary: async (id) => studySummaryOf(await require(id)),

    async cancel(id) {
      const record = await require(id);
      if (FINAL.has(record.status)) throw new ValidationError('id', id, `the study is already ${record.status}`);
      // A running study stops before its next trial (its finished trials stay); it reads cancelled from now on.
      if (record.ticketId) await deps.jobs().cancel(record.ticketId);
      await deps.repository.update(id, { status: 'cancelled', finishedAtMs: deps.clock.nowMs(), progressMessage: 'cancelled' });
      return view(id);
    },

    async applyToSettings(id, actor) {
      const current = await view(id);
      if (current.status !== 'completed') throw new ValidationError('id', id, `only a completed study can be applied; this one is ${current.status}`);
      if (!current.best) throw new ValidationError('id', id, 'no trial of this study scored (every one had fewer trades than the minimum), so there are no best params to apply');
      const settings = await deps.tradingSettings.get();
      const strategy = current.request.strategy;
      const adapter = settings.strategy.adapters[strategy] ?? { enabled: true, weight: 1, params: {} };
      // Only the studied adapter changes: the rest of the group is written back as read, so an unsaved
      // signal TTL stays null (one candle of each run's timeframe) and a saved one stays what was saved.
      const result = await deps.tradingSettings.update(
        { strategy: { ...settings.strategy, adapters: { ...settings.strategy.adapters, [strategy]: { ...adapter, enabled: true, params: current.best.params } } } },
        actor.userId,
      );
      if (!result.ok) {
        const [field, messages] = Object.entries(result.fieldErrors)[0] ?? ['strategy', ['refused']];
        throw new ValidationError(field, current.best.params, messages.join('; '));
      }
      await deps.repository.update(id, { appliedAtMs: deps.clock.nowMs(), appliedBy: actor.userId });
      return view(id);
    },

    async run(studyId, ctx) {
      const record = await deps.repository.get(studyId);
      if (!record) throw new NonRetryableJobError(`study "${studyId}" does not exist (deleted?)`);
      if (record.status === 'cancelled') throw new JobCancelledError(ctx.ticketId);
      const name = (record.request as { strategy?: string }).strategy ?? '';
      try {
        const strategySource = await strategySourceOf(name);
        return await runStudy(studyId, runDeps, { signal: ctx.signal, onProgress: progressOf(studyId, ctx) }, { strategySource });
      } catch (error) {
        // A shutdown (also when a trial thread was stopped under it): the ticket is recovered and the study resumes.
        if (error instanceof JobInterruptedError) throw error;
        if (ctx.signal.reason instanceof JobInterruptedError) throw ctx.signal.reason;
        if (error instanceof JobCancelledError || ctx.signal.reason instanceof JobCancelledError) {
          await markCancelled(studyId);
          throw error;
        }
        const message = error instanceof Error ? error.message : String(error);
        await markFailed(studyId, message);
        if (error instanceof ValidationError) throw new NonRetryableJobError(`study refused: ${message}`, { cause: error });
        throw error;
      }
    },

    async runSteps(studyId, ctx) {
      try {
        return await runStudySteps(studyId, runDeps, ctx, { trialsPerStep: deps.trialsPerStep ?? DEFAULT_TRIALS_PER_STEP, strategySource: strategySourceOf, progress: (job) => progressOf(studyId, job) });
      } catch (error) {
        // Bookkeeping as named steps too: a replay finds it done.
        if (error instanceof JobCancelledError) {
          await ctx.step('mark-study-cancelled', () => markCancelled(studyId));
          throw error;
        }
        const message = error instanceof Error ? error.message : String(error);
        await ctx.step('mark-study-failed', () => markFailed(studyId, message));
        if (error instanceof ValidationError) throw new NonRetryableJobError(`study refused: ${message}`, { cause: error });
        throw error;
      }
    },
  };
}
