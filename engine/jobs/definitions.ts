/**
 * Every background job kind, once. The JobQueue validates requests with these definitions, both
 * runners (in-process and Inngest) run their bodies and schedules, and the CLI and pages list
 * their kinds. Add a kind by writing its definition and listing it here.
 */
import { dailySnapshotJob, rolloverJob } from './account-jobs';
import { backtestJob } from './backtest-job';
import { downloadCandlesJob } from './download-candles-job';
import { strategyCheckJob } from './strategy-check-job';
import { studyJob } from './study-job';
import type { DurableJobHandler, JobHandler } from './job-context';
import type { JobDefinition, JobServices, Jsonified } from './job-definition';
import { trainIntentVetoJob, trainRegimeJob, trainStopDistanceJob, trainVolatilityJob } from './train-jobs';

/** The definitions, in the order listings show them. */
export const JOB_DEFINITIONS = [
  backtestJob,
  downloadCandlesJob,
  strategyCheckJob,
  studyJob,
  trainIntentVetoJob,
  trainRegimeJob,
  trainVolatilityJob,
  trainStopDistanceJob,
  dailySnapshotJob,
  rolloverJob,
] as const;

type Definitions = (typeof JOB_DEFINITIONS)[number];

/** Every kind of background job. */
export type JobKind = Definitions['kind'];
export const JOB_KINDS: readonly JobKind[] = JOB_DEFINITIONS.map((definition) => definition.kind);

/** The kinds a signed job webhook may start (each definition's `webhookStartable`), in listing order. */
export const WEBHOOK_JOB_KINDS: readonly JobKind[] = JOB_DEFINITIONS.filter((definition) => definition.webhookStartable).map((definition) => definition.kind);

/** Names for the kinds (`JobKind.Rollover === 'rollover'`). */
export const JobKind = {
  Backtest: 'backtest',
  DownloadCandles: 'download-candles',
  StrategyCheck: 'strategy-check',
  Study: 'study',
  TrainIntentVeto: 'train-intent-veto',
  TrainRegime: 'train-regime',
  TrainVolatility: 'train-volatility',
  TrainStopDistance: 'train-stop-distance',
  DailySnapshot: 'daily-snapshot',
  Rollover: 'rollover',
} as const satisfies Record<string, JobKind>;

/** The definition of one kind. */
export type JobDefinitionOf<K extends JobKind> = Extract<Definitions, { kind: K }>;

/** What a succeeded ticket of kind `K` stores as its result (after the JSON round trip). */
export type JobResultOf<K extends JobKind> = Jsonified<Awaited<ReturnType<JobDefinitionOf<K>['run']>>>;

/** Params a caller may send for kind `K`. */
export type JobParamsInputOf<K extends JobKind> = JobDefinitionOf<K> extends JobDefinition<K, unknown, infer Input, unknown> ? Input : never;

/** The job bodies by kind, as the runners call them (`bindJobHandlers` builds them from the definitions). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandlers = Partial<Record<JobKind, JobHandler<any>>>;

/** The definition of `kind`, or undefined for an unknown kind. */
export function findJobDefinition(kind: string, definitions: readonly JobDefinition[] = JOB_DEFINITIONS): JobDefinition | undefined {
  return definitions.find((definition) => definition.kind === kind);
}

/**
 * Binds every definition's body to the services: the handlers both runners call.
 * Params reach a body as the queue stored them (parsed and defaulted at enqueue).
 */
export function bindJobHandlers(services: JobServices, definitions: readonly JobDefinition[] = JOB_DEFINITIONS): JobHandlers {
  const handlers: Record<string, JobHandler> = {};
  for (const definition of definitions) handlers[definition.kind] = (params, ctx) => definition.run(params, ctx, services);
  return handlers as JobHandlers;
}

/** The bodies written as durable steps, by kind (only the kinds whose definition has `runSteps`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DurableJobHandlers = Partial<Record<JobKind, DurableJobHandler<any>>>;

/** Binds every definition's durable body (`runSteps`) to the services: what the Inngest runner calls for those kinds. */
export function bindDurableJobHandlers(services: JobServices, definitions: readonly JobDefinition[] = JOB_DEFINITIONS): DurableJobHandlers {
  const handlers: Record<string, DurableJobHandler> = {};
  for (const definition of definitions) {
    const runSteps = definition.runSteps;
    if (runSteps) handlers[definition.kind] = (params, ctx) => runSteps(params, ctx, services);
  }
  return handlers as DurableJobHandlers;
}
