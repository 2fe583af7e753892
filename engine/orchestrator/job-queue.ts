/**
 * The job queue: one `JobQueue` port in front of every background job. A job request becomes a
 * ticket row (status in the database), then a runner executes it: the in-process runner by default
 * (`in-process-runner.ts`) or Inngest (durable, `inngest/`). Both runners call the same
 * `JobHandler` functions through `runJobAttempt` (`run-job-attempt.ts`), so a job behaves the same
 * whichever runner executes it.
 *
 * The `TicketRepository` port lives here rather than in `engine/core/ports.ts` because only the
 * orchestrator uses it; `db/repositories/ticket-repository.ts` implements it.
 */
import { z } from 'zod';
import { EngineError, NotFoundError, ValidationError } from '../core/errors';
import { parseOrThrow, withFieldPrefix } from '../core/validation';
import type { Clock, Logger, Page } from '../core/ports';
import { backtestRequestSchema, resolveBacktest } from '../backtest/run-backtest';

/** Every kind of background job. The `train-*` handlers are registered by the ML module. */
export const JobKind = {
  Backtest: 'backtest',
  TrainIntentVeto: 'train-intent-veto',
  TrainRegime: 'train-regime',
  TrainVolatility: 'train-volatility',
  TrainStopDistance: 'train-stop-distance',
  DailySnapshot: 'daily-snapshot',
  Rollover: 'rollover',
} as const;
export type JobKind = (typeof JobKind)[keyof typeof JobKind];
export const JOB_KINDS = Object.values(JobKind) as readonly JobKind[];

/**
 * Ticket lifecycle: `queued` -> `running` -> one of `succeeded` | `failed` | `cancelled`.
 * A retryable failure moves `running` back to `queued` with a later `runAfterMs`.
 */
export const TicketStatus = {
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];
export const TICKET_STATUSES = Object.values(TicketStatus) as readonly TicketStatus[];

/** Which runner owns a ticket. The in-process runner only ever claims `in-process` tickets. */
export const TicketRunner = { InProcess: 'in-process', Inngest: 'inngest' } as const;
export type TicketRunner = (typeof TicketRunner)[keyof typeof TicketRunner];

/** A job ticket as stored. Times are epoch ms from the engine clock; `progress` is 0..1. */
export interface Ticket {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  status: TicketStatus;
  /** Attempts started so far (incremented when a runner claims the ticket). */
  attempts: number;
  /** Attempts allowed before a retryable failure becomes final, >= 1. */
  maxAttempts: number;
  progress: number;
  progressMessage: string | null;
  /** JSON result of a succeeded job. */
  result: unknown;
  /** Message of the last failure (kept while a retry is queued). */
  error: string | null;
  runner: TicketRunner;
  cancelRequested: boolean;
  createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  updatedAtMs: number | null;
  /** Earliest time a queued ticket may be claimed (backoff); null = at once. */
  runAfterMs: number | null;
}

/** What creating a ticket needs; it starts `queued` with 0 attempts and progress 0. */
export interface NewTicket {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  maxAttempts: number;
  runner: TicketRunner;
  createdAtMs: number;
}

/** A page request for tickets: newest first, keyset-paginated; `limit` 1..1000 (default 100). */
export interface TicketQuery {
  status?: TicketStatus;
  kind?: JobKind;
  limit?: number;
  cursor?: string;
}

/** Result of `recoverInterrupted`: ids (sorted) put back in the queue, failed for good, or cancelled (a cancel was pending). */
export interface RecoveredTickets {
  requeued: string[];
  failed: string[];
  cancelled: string[];
}

/**
 * Ticket storage. Every state change is a single atomic statement guarded by the expected status,
 * so two runners (or two processes) never both move the same ticket.
 */
export interface TicketRepository {
  /** Inserts a queued ticket. Throws RepositoryError when the id exists. */
  create(ticket: NewTicket): Promise<Ticket>;
  get(id: string): Promise<Ticket | null>;
  /** Newest first (created time, then id). Throws ValidationError for a bad cursor. */
  list(query: TicketQuery): Promise<Page<Ticket>>;
  /**
   * Atomically moves the oldest due (`runAfterMs` null or <= nowMs) queued ticket of `runner`
   * that has no cancel request to `running`, increments `attempts`, sets `startedAtMs`.
   * Concurrent callers never get the same ticket (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   * @returns the claimed ticket, or null when none is due.
   */
  claimNext(nowMs: number, runner?: TicketRunner): Promise<Ticket | null>;
  /** Like `claimNext` for one ticket id (the Inngest runner); null when it is not queued or has a cancel request. */
  claim(id: string, nowMs: number): Promise<Ticket | null>;
  /**
   * Records progress (clamped to 0..1) of a running ticket.
   * @returns the ticket after the update (read `cancelRequested`), or null when it is not running.
   */
  updateProgress(id: string, progress: number, message: string | null, nowMs: number): Promise<Ticket | null>;
  /** running -> succeeded with `result` (progress 1). Throws NotFoundError when the ticket is not running. */
  succeed(id: string, result: unknown, nowMs: number): Promise<Ticket>;
  /** running or queued -> failed with `error`. Throws NotFoundError when the ticket is not running or queued. */
  fail(id: string, error: string, nowMs: number): Promise<Ticket>;
  /** running -> queued, due at `runAfterMs`, keeping `error`. Throws NotFoundError when the ticket is not running. */
  retryLater(id: string, runAfterMs: number, error: string, nowMs: number): Promise<Ticket>;
  /**
   * Asks to cancel: a queued ticket becomes `cancelled` at once; a running one gets `cancelRequested`
   * (its body sees it at the next progress report). Finished tickets are returned unchanged.
   * @returns the ticket after the request, or null when it does not exist.
   */
  requestCancel(id: string, nowMs: number): Promise<Ticket | null>;
  /** running (or queued) -> cancelled. Throws NotFoundError when the ticket is neither. */
  markCancelled(id: string, nowMs: number): Promise<Ticket>;
  /**
   * Marks running tickets as alive: sets `updatedAtMs = nowMs` on those of `ids` still running.
   * Runners call it every poll so other processes can tell a live job from one a crash left behind.
   */
  heartbeat(ids: readonly string[], nowMs: number): Promise<void>;
  /**
   * After a crash, tickets left `running` (of `runner`, default in-process, whose last update or start is
   * before `staleBeforeMs`, default: all) become `cancelled` when a cancel was requested, else go back
   * to `queued` when `attempts < maxAttempts`, else to `failed` ("interrupted"). One transaction.
   */
  recoverInterrupted(nowMs: number, options?: { runner?: TicketRunner; staleBeforeMs?: number }): Promise<RecoveredTickets>;
}

/** A job as a caller asks for it. `params` are validated per kind before any ticket is written. */
export interface JobRequest {
  kind: JobKind | string;
  params?: unknown;
  /** Attempts allowed (1..20, default 3). */
  maxAttempts?: number;
}

/** The one entry point for background work. */
export interface JobQueue {
  /**
   * Validates and writes a ticket, then hands it to the active runner.
   * @returns the ticket id.
   * @throws ValidationError naming the field (`kind`, `params.<path>`, `maxAttempts`) before anything is written.
   */
  enqueue(job: JobRequest): Promise<string>;
  /**
   * Cancels a queued ticket at once, or asks a running one to stop.
   * @throws NotFoundError when the ticket does not exist.
   */
  cancel(ticketId: string): Promise<Ticket>;
  get(ticketId: string): Promise<Ticket | null>;
  list(query: TicketQuery): Promise<Page<Ticket>>;
}

/** What a job body gets besides its params. */
export interface JobContext {
  ticketId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /**
   * Records progress (0..1, clamped) with a short message.
   * @throws JobCancelledError when a cancel was requested (let it propagate: the ticket becomes `cancelled`).
   */
  reportProgress(progress: number, message?: string): Promise<void>;
  /** Aborted when the job is cancelled or the runner stops; long bodies should check it. */
  signal: AbortSignal;
  logger: Logger;
}

/** A job body: an engine function. Its JSON-serialisable return value is the ticket's result. */
export type JobHandler<P = Record<string, unknown>> = (params: P, ctx: JobContext) => Promise<unknown>;

/** The registered job bodies by kind; the composition root assembles it (ML adds the `train-*` ones). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandlers = Partial<Record<JobKind, JobHandler<any>>>;

/** Params schema per kind, applied by `enqueue` before the ticket is written. */
export type JobParamsSchemas = Record<JobKind, z.ZodType<Record<string, unknown>>>;

/** Error a job body throws for a transient failure: retried with backoff until `maxAttempts`. */
export class RetryableJobError extends EngineError {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('job_retryable', message, options);
  }
}

/** Error a job body throws for a permanent failure: the ticket fails at once. */
export class NonRetryableJobError extends EngineError {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super('job_non_retryable', message, options);
  }
}

/** Thrown by `reportProgress` (and the runner) when a job was cancelled. */
export class JobCancelledError extends EngineError {
  readonly ticketId: string;
  constructor(ticketId: string) {
    super('job_cancelled', `job "${ticketId}" was cancelled`);
    this.ticketId = ticketId;
  }
}

/** Thrown into a running body when the runner stops; the ticket is left for recovery. */
export class JobInterruptedError extends EngineError {
  constructor(ticketId: string) {
    super('job_interrupted', `job "${ticketId}" was interrupted by a shutdown`);
  }
}

/**
 * Whether a failure is worth retrying: errors carrying `retryable: true` (RetryableJobError,
 * or an adapter's own). Everything else, ValidationError and NonRetryableJobError included, is
 * final: a bug or bad input does not heal by itself.
 */
export function isRetryableJobFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

/** Retry delay settings: `baseMs * 2^(attempt-1)`, at most `capMs`, then +/- `jitterRatio`. */
export interface BackoffConfig {
  baseMs: number;
  capMs: number;
  /** 0..1: the delay is multiplied by a factor drawn uniformly from [1 - jitterRatio, 1 + jitterRatio). */
  jitterRatio: number;
}

export const defaultBackoff: BackoffConfig = { baseMs: 5_000, capMs: 15 * 60_000, jitterRatio: 0.2 };

/**
 * Delay before retrying after failed attempt number `attempt` (1-based), in ms, rounded.
 * `random` returns a number in [0, 1); 0.5 means no jitter.
 * @throws RangeError for an attempt below 1.
 */
export function backoffDelayMs(attempt: number, config: BackoffConfig, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const raw = Math.min(config.capMs, config.baseMs * 2 ** (attempt - 1));
  const factor = 1 + config.jitterRatio * (2 * random() - 1);
  return Math.max(0, Math.round(raw * factor));
}

const noExtraKeys = <T extends z.ZodRawShape>(shape: T) => z.object(shape).strict();

/**
 * Default params schemas. `train-*` accept any object here; the ML module passes its own schemas
 * to `createJobQueue` (`paramsSchemas`) to validate them strictly.
 */
export const defaultJobParamsSchemas: JobParamsSchemas = {
  [JobKind.Backtest]: backtestRequestSchema as unknown as z.ZodType<Record<string, unknown>>,
  [JobKind.TrainIntentVeto]: z.record(z.string(), z.unknown()),
  [JobKind.TrainRegime]: z.record(z.string(), z.unknown()),
  [JobKind.TrainVolatility]: z.record(z.string(), z.unknown()),
  [JobKind.TrainStopDistance]: z.record(z.string(), z.unknown()),
  [JobKind.DailySnapshot]: noExtraKeys({
    /** UTC midnight (epoch ms) of the day to summarise; default: the day containing `now - 1 ms`. */
    dayStartMs: z.number().int().nonnegative().refine((v) => v % 86_400_000 === 0, 'expected a UTC midnight in epoch ms').optional(),
  }),
  [JobKind.Rollover]: noExtraKeys({
    /** Live decision-log rows older than this many days are deleted. */
    retentionDays: z.number().int('expected an integer').min(1, 'expected at least 1 day'),
  }),
};

/**
 * Validates a job request.
 * @returns the kind and the parsed (defaulted) params.
 * @throws ValidationError naming `kind`, `params.<path>` or `maxAttempts` and the bad value.
 */
export function validateJobRequest(
  job: JobRequest,
  schemas: JobParamsSchemas = defaultJobParamsSchemas,
): { kind: JobKind; params: Record<string, unknown>; maxAttempts: number | undefined } {
  if (typeof job !== 'object' || job === null) throw new ValidationError('job', job, 'expected an object with "kind" and "params"');
  if (!(JOB_KINDS as readonly string[]).includes(job.kind)) {
    throw new ValidationError('kind', job.kind, `expected one of ${JOB_KINDS.join(', ')}`);
  }
  const kind = job.kind as JobKind;
  const input = job.params ?? {};
  const params = parseOrThrow(schemas[kind], input, { prefix: 'params' });
  if (kind === JobKind.Backtest) withFieldPrefix('params', () => resolveBacktest(params));
  const maxAttempts = job.maxAttempts;
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20)) {
    throw new ValidationError('maxAttempts', maxAttempts, 'expected an integer from 1 to 20');
  }
  return { kind, params, maxAttempts };
}

/**
 * Hands a freshly written ticket to a runner: the in-process runner wakes up, the Inngest
 * dispatcher sends an event. `cancelRequested` lets a local runner abort a running body at once.
 */
export interface JobDispatcher {
  readonly runner: TicketRunner;
  /** Called after the ticket is stored. A throw marks the ticket failed and reaches the caller. */
  dispatch(ticket: Ticket): void | Promise<void>;
  cancelRequested?(ticketId: string): void;
}

export interface JobQueueConfig {
  /** Attempts for tickets that do not say (default 3). */
  defaultMaxAttempts: number;
  /** Per-kind params schemas (defaults: `defaultJobParamsSchemas`). */
  paramsSchemas?: Partial<JobParamsSchemas>;
}

export interface JobQueueDeps {
  tickets: TicketRepository;
  clock: Clock;
  newId: () => string;
  dispatcher: JobDispatcher;
  /** Kinds with no handler are refused at enqueue. */
  handlers: JobHandlers;
  logger: Logger;
}

/**
 * Builds the JobQueue: validates, writes the ticket (runner = the dispatcher's), dispatches it.
 * When dispatching fails (e.g. the Inngest server is down) the ticket is marked failed with the
 * reason and the error is rethrown, so no ticket waits forever for a runner that never heard of it.
 */
export function createJobQueue(config: JobQueueConfig, deps: JobQueueDeps): JobQueue {
  const schemas: JobParamsSchemas = { ...defaultJobParamsSchemas, ...config.paramsSchemas };
  return {
    async enqueue(job) {
      const { kind, params, maxAttempts } = validateJobRequest(job, schemas);
      if (!deps.handlers[kind]) throw new ValidationError('kind', kind, `no handler is registered for job kind "${kind}"`);
      const ticket = await deps.tickets.create({
        id: deps.newId(),
        kind,
        params,
        maxAttempts: maxAttempts ?? config.defaultMaxAttempts,
        runner: deps.dispatcher.runner,
        createdAtMs: deps.clock.nowMs(),
      });
      try {
        await deps.dispatcher.dispatch(ticket);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await deps.tickets
          .fail(ticket.id, `could not hand the job to the ${deps.dispatcher.runner} runner: ${message}`, deps.clock.nowMs())
          .catch((failError: unknown) => deps.logger.error({ err: failError, ticketId: ticket.id }, 'could not mark an undispatched ticket failed'));
        throw error;
      }
      deps.logger.info({ ticketId: ticket.id, kind, runner: ticket.runner }, 'job enqueued');
      return ticket.id;
    },
    async cancel(ticketId) {
      const ticket = await deps.tickets.requestCancel(ticketId, deps.clock.nowMs());
      if (!ticket) throw new NotFoundError(`ticket "${ticketId}" does not exist`);
      if (ticket.status === TicketStatus.Running) deps.dispatcher.cancelRequested?.(ticketId);
      return ticket;
    },
    get: (ticketId) => deps.tickets.get(ticketId),
    list: (query) => deps.tickets.list(query),
  };
}
