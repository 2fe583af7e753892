/**
 * Job ticket storage port: one row per background job request, its status, attempts, progress and
 * result. The orchestrator's `JobQueue` and both runners move tickets through their lifecycle;
 * `db/repositories/ticket-repository.ts` and `engine/testing/in-memory-job-repositories.ts` implement it.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { Page } from './journal';

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
/** Every ticket status, in lifecycle order. */
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

/**
 * What creating a ticket needs; it starts `queued` with 0 attempts and progress 0.
 * `K` is the set of job kinds (the orchestrator binds it to its `JobKind`).
 */
export interface NewTicket<K extends string = string> {
  id: string;
  kind: K;
  params: Record<string, unknown>;
  maxAttempts: number;
  runner: TicketRunner;
  createdAtMs: number;
  /** When set, no other ticket may carry the same key (see `createOnce`). */
  dedupeKey?: string;
}

/** A page request for tickets: newest first, keyset-paginated; `limit` 1..1000 (default 100). */
export interface TicketQuery<K extends string = string> {
  status?: TicketStatus;
  kind?: K;
  limit?: number;
  cursor?: string;
}

/** Result of `recoverInterrupted`: ids (sorted) put back in the queue, failed for good, or cancelled (a cancel was pending). */
export interface RecoveredTickets {
  requeued: string[];
  failed: string[];
  cancelled: string[];
}

/** A stored ticket of some kind: the common fields plus its kind and its result (null until it succeeded). */
export type StoredTicket = TicketFields & { kind: string; result: unknown };

/**
 * Ticket storage. Every state change is a single atomic statement guarded by the expected status,
 * so two runners (or two processes) never both move the same ticket.
 * `T` is the stored ticket type: the orchestrator binds it to its job-typed `Ticket` (the kind decides
 * the result's type); implementations store `result` as given and return it unchanged.
 */
export interface TicketRepository<T extends StoredTicket = StoredTicket> {
  /** Inserts a queued ticket. Throws RepositoryError when the id exists. */
  create(ticket: NewTicket<T['kind']>): Promise<T>;
  /**
   * Inserts the ticket unless one with the same `dedupeKey` exists (atomic: a unique index in
   * PostgreSQL, so concurrent callers in several processes create exactly one).
   * @returns the new ticket with `created: true`, or the existing one with `created: false`.
   */
  createOnce(ticket: NewTicket<T['kind']> & { dedupeKey: string }): Promise<{ ticket: T; created: boolean }>;
  /** The ticket, or null when it does not exist. */
  get(id: string): Promise<T | null>;
  /** Newest first (created time, then id). Throws ValidationError for a bad cursor. */
  list(query: TicketQuery<T['kind']>): Promise<Page<T>>;
  /**
   * Atomically moves the oldest due (`runAfterMs` null or <= nowMs) queued ticket of `runner`
   * that has no cancel request to `running`, increments `attempts`, sets `startedAtMs`.
   * Concurrent callers never get the same ticket (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   * @returns the claimed ticket, or null when none is due.
   */
  claimNext(nowMs: number, runner?: TicketRunner): Promise<T | null>;
  /** Like `claimNext` for one ticket id (the Inngest runner); null when it is not queued or has a cancel request. */
  claim(id: string, nowMs: number): Promise<T | null>;
  /**
   * Records progress (clamped to 0..1) of a running ticket.
   * @returns the ticket after the update (read `cancelRequested`), or null when it is not running.
   */
  updateProgress(id: string, progress: number, message: string | null, nowMs: number): Promise<T | null>;
  /** running -> succeeded with `result` (progress 1). Throws NotFoundError when the ticket is not running. */
  succeed(id: string, result: unknown, nowMs: number): Promise<T>;
  /** running or queued -> failed with `error`. Throws NotFoundError when the ticket is not running or queued. */
  fail(id: string, error: string, nowMs: number): Promise<T>;
  /** running -> queued, due at `runAfterMs`, keeping `error`. Throws NotFoundError when the ticket is not running. */
  retryLater(id: string, runAfterMs: number, error: string, nowMs: number): Promise<T>;
  /**
   * Asks to cancel: a queued ticket becomes `cancelled` at once; a running one gets `cancelRequested`
   * (its body sees it at the next progress report). Finished tickets are returned unchanged.
   * @returns the ticket after the request, or null when it does not exist.
   */
  requestCancel(id: string, nowMs: number): Promise<T | null>;
  /** running (or queued) -> cancelled. Throws NotFoundError when the ticket is neither. */
  markCancelled(id: string, nowMs: number): Promise<T>;
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
