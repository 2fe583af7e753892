/**
 * The shape of one background job kind. Every kind is described once, by a `JobDefinition`
 * (`definitions.ts` lists them): its params schema, cross-field checks, optional default schedule
 * and its body. The JobQueue validates with it, both runners (in-process and Inngest) run its body
 * and read its schedule, and the CLI and pages list its kinds. Adding a kind = one definition.
 */
import type { z } from 'zod';
import type { BacktestResult } from '../backtest/run-backtest';
import type { StrategyCheckResult } from '../insight/strategy-check';
import type { Clock } from '../core/clock';
import type { JournalRepository } from '../ports/journal';
import type { CandleRepository } from '../ports/candles';
import type { CandleSourceFactory } from '../ports/candle-source';
import type { TrainHandlerDeps } from '../ml/train-handlers';
import type { AccountSnapshotSource, SnapshotRepository } from '../ports/snapshots';
import type { DurableJobContext, JobContext } from './job-context';
import type { TablePartitions } from '../ports/partitions';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { StudyJobResult } from '../research/study-runner';

/** What job bodies may use; the composition root builds it once and binds it to every definition. */
export interface JobServices {
  /** The engine facade's backtest entry point. */
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  /** The engine facade's look-ahead and recursion check (`strategy-check`); waits for `onProgress` after each pass. */
  checkStrategy(request: unknown, onProgress?: (done: number, total: number) => Promise<void>): Promise<StrategyCheckResult>;
  journal: JournalRepository;
  snapshots: SnapshotRepository;
  account: AccountSnapshotSource;
  clock: Clock;
  newId: () => string;
  /** Decision rows deleted per statement by rollover (default 5 000). */
  pruneBatchSize?: number;
  /** Monthly partitions (PostgreSQL and PGlite databases): the rollover creates months ahead and drops whole old months. */
  partitions?: TablePartitions;
  /** Candle storage and venue candle sources for `download-candles`. */
  marketData: { candles: CandleRepository; openCandleSource: CandleSourceFactory };
  /** Candles, model storage and registry for the `train-*` kinds. */
  training: TrainHandlerDeps;
  /** The engine's study runner (`engine.runStudy`) for the `study` kind; absent in bare tests. */
  runStudy?(studyId: string, ctx: JobContext): Promise<StudyJobResult>;
  /** The same study as durable steps, trials fanned out in batches (`engine.runStudySteps`), for the Inngest runner. */
  runStudySteps?(studyId: string, ctx: DurableJobContext): Promise<StudyJobResult>;
}

/** What a definition's `check` may read besides the params (given by the queue; absent in bare tests). */
export interface JobCheckContext {
  /** The engine's strategy catalog (backtests name catalog strategies); the built-ins when absent. */
  strategies?: StrategyCatalog;
}

/**
 * A default schedule: a 5-field cron expression evaluated in UTC (`minute hour day month weekday`)
 * and the params of the ticket for the occurrence scheduled at `scheduledAtMs` (validated like any request).
 */
export interface JobScheduleDefault<Params> {
  cron: string;
  params(scheduledAtMs: number): Params;
}

/**
 * One job kind. `Params` is the parsed (defaulted) params type the body receives, `Input` what a
 * caller may send, `Result` the JSON-serialisable value stored on the ticket.
 */
export interface JobDefinition<Kind extends string = string, Params = unknown, Input = unknown, Result = unknown> {
  readonly kind: Kind;
  /** One line for listings: what the job does. */
  readonly summary: string;
  /**
   * Whether a signed job webhook may start this kind (app/_server/auth/webhook-receiver.ts). A webhook's
   * secret is held by another system: research kinds (backtests, downloads, studies, training) yes;
   * maintenance that changes or deletes stored history (rollover, daily snapshots) no.
   */
  readonly webhookStartable: boolean;
  /** Validates and defaults a request's params; the first issue becomes a ValidationError naming `params.<path>`. */
  readonly paramsSchema: z.ZodType<Params, Input>;
  /**
   * Checks the schema cannot express (a date range, a timeframe known to the engine).
   * @throws ValidationError whose `field` is relative to the params (e.g. `to`).
   */
  check?(params: Params, context: JobCheckContext): void;
  /** Runs on this schedule in both runners unless configured otherwise (`job-schedules.ts`). */
  readonly schedule?: JobScheduleDefault<Input>;
  /** A valid request, shown in docs and pages and checked by tests. */
  readonly example: Input;
  /** The body. Throw RetryableJobError for transient failures; the return value is the ticket's result. */
  run(params: Params, ctx: JobContext, services: JobServices): Promise<Result>;
  /**
   * The same body as durable steps, for a runner that has them (Inngest); same result as `run`.
   * Kinds without it run `run` as one step there.
   */
  runSteps?(params: Params, ctx: DurableJobContext, services: JobServices): Promise<Result>;
}

/** Builds a frozen definition (types inferred from the schema and body). */
export function defineJob<Kind extends string, Params, Input, Result>(
  definition: JobDefinition<Kind, Params, Input, Result>,
): JobDefinition<Kind, Params, Input, Result> {
  return Object.freeze(definition);
}

/**
 * The type a value has after the JSON round trip every stored result goes through: numbers may
 * come back as null (NaN and ±Infinity serialise as null), `undefined` fields disappear.
 */
export type Jsonified<T> = T extends number
  ? number | null
  : T extends string | boolean | null
    ? T
    : T extends readonly (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : never;
