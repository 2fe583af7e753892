/**
 * A study as durable steps: the body of the `study` job under the Inngest runner. The plan, the
 * trials and every choice between them are `runStudy`'s (`driveStudy`); only the way a batch runs
 * differs. Each batch of trials is cut into parts of at most `trialsPerStep` trials that run as
 * parallel steps (on any process serving the functions). A part's step loads the study's candles,
 * opens a trial session (the same evaluator as in-process, worker threads where the server has
 * them), runs the part's trials that are not stored yet, stores each as it finishes and returns the
 * scores only, so the choices made outside steps replay from memoised, small results.
 *
 * Durability: a redelivered step skips the trials its earlier attempt stored; a run started again
 * finds every finished step memoised. Cancellation: each step first reports progress, which throws
 * when a cancel was requested, so a cancel stops the study before any new part runs (a part already
 * running stops before its next trial).
 */
import { JobCancelledError, NonRetryableJobError, type DurableJobContext, type JobContext } from '../jobs/job-context';
import type { StudyTrialRecord } from '../ports/studies';
import {
  completeStudy,
  driveStudy,
  finishedStudyResult,
  openStudySession,
  runTrialsInSession,
  studyPlanOf,
  type PlannedTrial,
  type RunStudyControl,
  type RunStudyDeps,
  type StudyJobResult,
  type TrialBatchRunner,
  type TrialScore,
} from './study-runner';
import type { ResolvedStudyRequest } from './study';
import type { TrialStrategySource } from './trial-runner';

/** Trials per step when the caller gives none: a few seconds of work per step on the 72k-candle file. */
export const DEFAULT_TRIALS_PER_STEP = 50;

/** How the durable study reports and rebuilds: per step, from that step's job context. */
export interface RunStudyStepsOptions {
  /** Most trials one step runs (>= 1). */
  trialsPerStep: number;
  /** How a trial session rebuilds the study's strategy (read inside the first step). */
  strategySource(strategy: string): Promise<TrialStrategySource>;
  /** Progress writer of one step (writes the study and the ticket; throws JobCancelledError on a cancel). */
  progress(job: JobContext): RunStudyControl['onProgress'];
}

/** What the first step hands to the rest of the run (memoised: JSON only). */
type StudyStart =
  | { finished: StudyJobResult }
  | { finished: null; request: ResolvedStudyRequest; strategySource: TrialStrategySource; resumed: number };

/** Consecutive parts of at most `size` items. */
function partsOf<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/**
 * Runs or resumes a stored study as durable steps: `start`, then one `trials <batch> <part>/<parts>`
 * step per part of each batch (parts of a batch in parallel), then `finish` (summary, completed).
 * Gives exactly the trials and best params `runStudy` gives for the same study.
 * @throws JobCancelledError when the study or its ticket was cancelled; NonRetryableJobError for a
 *   study that does not exist or cannot run (a refused candidate, a changed strategy).
 */
export async function runStudySteps(studyId: string, deps: RunStudyDeps, ctx: DurableJobContext, options: RunStudyStepsOptions): Promise<StudyJobResult> {
  if (!Number.isInteger(options.trialsPerStep) || options.trialsPerStep < 1) throw new NonRetryableJobError(`trialsPerStep must be a whole number >= 1, not ${options.trialsPerStep}`);
  const start = await ctx.step('start', async (job): Promise<StudyStart> => {
    const record = await deps.repository.get(studyId);
    if (!record) throw new NonRetryableJobError(`study "${studyId}" does not exist (deleted?)`);
    if (record.status === 'cancelled') throw new JobCancelledError(job.ticketId);
    if (record.status === 'completed') return { finished: await finishedStudyResult(record, deps) };
    const request = record.request as unknown as ResolvedStudyRequest;
    const { total } = studyPlanOf(request, deps.catalog);
    const strategySource = await options.strategySource(request.strategy);
    const resumed = (await deps.repository.trials(studyId)).length;
    await deps.repository.update(studyId, { status: 'running', startedAtMs: record.startedAtMs ?? deps.clock.nowMs(), progressTotal: total, progressDone: resumed, error: null });
    await options.progress(job)(resumed, total, resumed > 0 ? `resumed: ${resumed} of ${total} trials already done` : `0 of ${total} trials`);
    return { finished: null, request, strategySource, resumed };
  });
  if (start.finished) return start.finished;
  const { strategySource, resumed } = start;
  const plan = studyPlanOf(start.request, deps.catalog);

  const runPart = async (part: readonly PlannedTrial[], job: JobContext): Promise<TrialScore[]> => {
    const record = await deps.repository.get(studyId);
    if (record?.status === 'cancelled') throw new JobCancelledError(job.ticketId);
    const all = await deps.repository.trials(studyId);
    const keys = new Set(part.map((task) => task.key));
    const stored = new Map<string, StudyTrialRecord>(all.filter((trial) => keys.has(trial.key)).map((trial) => [trial.key, trial]));
    const onProgress = options.progress(job);
    let done = all.length;
    // Reported before any trial runs: throws when a cancel was requested meanwhile.
    await onProgress(done, plan.total, `${done} of ${plan.total} trials`);
    let trials: StudyTrialRecord[];
    if (stored.size === part.length) trials = part.map((task) => stored.get(task.key)!);
    else {
      const session = await openStudySession(plan.request, deps, strategySource);
      try {
        trials = await runTrialsInSession(studyId, part, session, {
          repository: deps.repository,
          parallelism: deps.runner.parallelism,
          stored,
          signal: job.signal,
          onStored: async () => {
            done++;
            await onProgress(done, plan.total, `${done} of ${plan.total} trials`);
          },
        });
      } finally {
        await session.close();
      }
    }
    return trials.map((trial) => ({ key: trial.key, index: trial.index, score: trial.score }));
  };

  const runBatch: TrialBatchRunner = async (tasks, batch) => {
    const parts = partsOf(tasks, options.trialsPerStep);
    const scores = await Promise.all(parts.map((part, i) => ctx.step(`trials ${batch} ${i + 1}/${parts.length}`, (job) => runPart(part, job))));
    return scores.flat();
  };
  await driveStudy(plan, runBatch, async () => undefined);
  return ctx.step('finish', () => completeStudy(studyId, plan, resumed, deps));
}
