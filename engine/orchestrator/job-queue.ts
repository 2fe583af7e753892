/**
 * The job queue: one `JobQueue` port in front of every background job. A job request becomes a
 * ticket row (status in the database), then a runner executes it: the in-process runner by default
 * (`in-process-runner.ts`) or Inngest (durable, `inngest/`). Each kind is defined once in
 * `engine/jobs/definitions.ts` (params schema, checks, schedule, body); the queue validates with
 * those definitions and both runners call the bodies bound from them through `runJobAttempt`
 * (`run-job-attempt.ts`), so a job behaves the same whichever runner executes it.
 *
 * The `TicketRepository` port lives here rather than in `engine/ports/` because only the
 * orchestrator uses it; `db/repositories/ticket-repository.ts` implements it.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import { parseOrThrow, withFieldPrefix } from '../core/validation';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Page } from '../ports/journal';
import type { JobDefinition } from '../jobs/job-definition';
import type { JobHandlers, JobKind, JobResultOf } from '../jobs/definitions';

export type { JobKind, JobHandlers } from '../jobs/definitions';
export {
  isRetryableJobFailure,
  JobCancelledError,
  JobInterruptedError,
  NonRetryableJobError,
  RetryableJobError,
  type JobContext,
  type JobHandler,
} from '../jobs/job-context';

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

/** What every ticket has, whatever its kind. Times are epoch ms from the engine clock; `progress` is 0..1. */
export interface TicketFields {
  id: string;
  params: Record<string, unknown>;
  status: TicketStatus;
  /** Attempts started so far (incremented when a runner claims the ticket). */
  attempts: number;
  /** Attempts allowed before a retryable failure becomes final, >= 1. */
  maxAttempts: number;
  progress: number;
  progressMessage: string | null;
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
  /** Unique among tickets when set: a scheduled occurrence's `<kind>@<ISO time>`. */
  dedupeKey: string | null;
}

/** A ticket of kind `K`: `result` is that kind's result once it succeeded, else null. */
export type TicketOf<K extends JobKind> = TicketFields & { kind: K; result: JobResultOf<K> | null };

/** A job ticket as stored, discriminated by `kind`: checking the kind types the result. */
export type Ticket = { [K in JobKind]: TicketOf<K> }[JobKind];

/** What creating a ticket needs; it starts `queued` with 0 attempts and progress 0. */
export interface NewTicket {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  maxAttempts: number;
  runner: TicketRunner;
  createdAtMs: number;
  /** When set, no other ticket may carry the same key (see `createOnce`). */
  dedupeKey?: string;
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
  /**
   * Inserts the ticket unless one with the same `dedupeKey` exists (atomic: a unique index in
   * PostgreSQL, so concurrent callers in several processes create exactly one).
   * @returns the new ticket with `created: true`, or the existing one with `created: false`.
   */
  createOnce(ticket: NewTicket & { dedupeKey: string }): Promise<{ ticket: Ticket; created: boolean }>;
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
  /**
   * Enqueue at most once per key: a request whose key a ticket already carries writes nothing and
   * returns that ticket's id (the scheduler keys each occurrence `<kind>@<ISO time>`).
   */
  dedupeKey?: string;
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

/**
 * Validates a job request against the definition of its kind: the params schema (parsed and
 * defaulted), then the definition's own checks, then `maxAttempts`.
 * @returns the kind and the parsed (defaulted) params.
 * @throws ValidationError naming `kind`, `params.<path>` or `maxAttempts` and the bad value.
 */
export function validateJobRequest(
  job: JobRequest,
  definitions: readonly JobDefinition[],
): { kind: JobKind; params: Record<string, unknown>; maxAttempts: number | undefined } {
  if (typeof job !== 'object' || job === null) throw new ValidationError('job', job, 'expected an object with "kind" and "params"');
  const definition = definitions.find((d) => d.kind === job.kind);
  if (!definition) throw new ValidationError('kind', job.kind, `expected one of ${definitions.map((d) => d.kind).join(', ')}`);
  const kind = definition.kind as JobKind;
  const input = job.params ?? {};
  const params = parseOrThrow(definition.paramsSchema, input, { prefix: 'params' }) as unknown;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new ValidationError('params', input, 'expected a JSON object');
  }
  withFieldPrefix('params', () => definition.check?.(params as never));
  const maxAttempts = job.maxAttempts;
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20)) {
    throw new ValidationError('maxAttempts', maxAttempts, 'expected an integer from 1 to 20');
  }
  return { kind, params: params as Record<string, unknown>, maxAttempts };
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
}

export interface JobQueueDeps {
  tickets: TicketRepository;
  clock: Clock;
  newId: () => string;
  dispatcher: JobDispatcher;
  /** The job kinds (`JOB_DEFINITIONS`): requests are validated against them. */
  definitions: readonly JobDefinition[];
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
  return {
    async enqueue(job) {
      const { kind, params, maxAttempts } = validateJobRequest(job, deps.definitions);
      if (!deps.handlers[kind]) throw new ValidationError('kind', kind, `no handler is registered for job kind "${kind}"`);
      if (job.dedupeKey !== undefined && (typeof job.dedupeKey !== 'string' || job.dedupeKey.length === 0 || job.dedupeKey.length > 200)) {
        throw new ValidationError('dedupeKey', job.dedupeKey, 'expected a string of 1 to 200 characters');
      }
      const newTicket = {
        id: deps.newId(),
        kind,
        params,
        maxAttempts: maxAttempts ?? config.defaultMaxAttempts,
        runner: deps.dispatcher.runner,
        createdAtMs: deps.clock.nowMs(),
      };
      let ticket: Ticket;
      if (job.dedupeKey === undefined) ticket = await deps.tickets.create(newTicket);
      else {
        const once = await deps.tickets.createOnce({ ...newTicket, dedupeKey: job.dedupeKey });
        if (!once.created) {
          deps.logger.info({ ticketId: once.ticket.id, kind, dedupeKey: job.dedupeKey }, 'job already enqueued under this key');
          return once.ticket.id;
        }
        ticket = once.ticket;
      }
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
