/**
 * The job queue: one `JobQueue` port in front of every background job. A job request becomes a
 * ticket row (status in the database), then a runner executes it: the in-process runner by default
 * (`in-process-runner.ts`) or Inngest (durable, `inngest/`). Each kind is defined once in
 * `engine/jobs/definitions.ts` (params schema, checks, schedule, body); the queue validates with
 * those definitions and both runners call the bodies bound from them through `runJobAttempt`
 * (`run-job-attempt.ts`), so a job behaves the same whichever runner executes it.
 *
 * Ticket storage is the `TicketRepository` port in `engine/ports/tickets.ts`
 * (`db/repositories/ticket-repository.ts` implements it); this module binds it to the job kinds.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import { parseOrThrow, withFieldPrefix } from '../core/validation';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Page } from '../ports/journal';
import {
  TicketStatus,
  type NewTicket as NewTicketOf,
  type TicketFields,
  type TicketQuery as TicketQueryOf,
  type TicketRepository as TicketRepositoryOf,
  type TicketRunner,
} from '../ports/tickets';
import type { JobCheckContext, JobDefinition } from '../jobs/job-definition';
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
export { TICKET_STATUSES, TicketRunner, TicketStatus, type RecoveredTickets, type TicketFields } from '../ports/tickets';

/** A ticket of kind `K`: `result` is that kind's result once it succeeded, else null. */
export type TicketOf<K extends JobKind> = TicketFields & { kind: K; result: JobResultOf<K> | null };

/** A job ticket as stored, discriminated by `kind`: checking the kind types the result. */
export type Ticket = { [K in JobKind]: TicketOf<K> }[JobKind];

/** What creating a ticket of one of the job kinds needs (see the port's `NewTicket`). */
export type NewTicket = NewTicketOf<JobKind>;

/** A page request for job tickets (see the port's `TicketQuery`). */
export type TicketQuery = TicketQueryOf<JobKind>;

/** The ticket storage port bound to the job kinds: a ticket's kind types its result. */
export type TicketRepository = TicketRepositoryOf<Ticket>;

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
  context: JobCheckContext = {},
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
  withFieldPrefix('params', () => definition.check?.(params as never, context));
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
  /** What the definitions' checks read (the engine's strategy catalog). */
  checkContext?: JobCheckContext;
}

/**
 * Builds the JobQueue: validates, writes the ticket (runner = the dispatcher's), dispatches it.
 * When dispatching fails (e.g. the Inngest server is down) the ticket is marked failed with the
 * reason and the error is rethrown, so no ticket waits forever for a runner that never heard of it.
 */
export function createJobQueue(config: JobQueueConfig, deps: JobQueueDeps): JobQueue {
  return {
    async enqueue(job) {
      const { kind, params, maxAttempts } = validateJobRequest(job, deps.definitions, deps.checkContext);
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
