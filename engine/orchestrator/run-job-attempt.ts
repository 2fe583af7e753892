/**
 * One attempt of one job, shared by both runners: builds the job context, runs the registered
 * handler and classifies the way it ended. Recording the outcome is a separate call
 * (`recordJobOutcome`) so the Inngest runner can make it its own named step.
 */
import { NotFoundError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import {
  backoffDelayMs,
  isRetryableJobFailure,
  JobCancelledError,
  JobInterruptedError,
  type BackoffConfig,
  type JobContext,
  type JobHandlers,
  type Ticket,
  type TicketRepository,
} from './job-queue';

/** How an attempt ended. JSON-serialisable (it is an Inngest step result). */
export type JobAttemptOutcome =
  | { type: 'succeeded'; result: unknown }
  | { type: 'cancelled' }
  /** Retryable failure with attempts left: run again after `delayMs`. */
  | { type: 'retry'; error: string; delayMs: number }
  | { type: 'failed'; error: string }
  /** The runner stopped mid-run; the ticket stays `running` until `recoverInterrupted`. */
  | { type: 'interrupted'; error: string };

export interface JobAttemptDeps {
  tickets: TicketRepository;
  handlers: JobHandlers;
  clock: Clock;
  logger: Logger;
  /** Uniform [0, 1), for backoff jitter. */
  random: () => number;
  backoff: BackoffConfig;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A JSON round trip, so the stored result is the same whatever the store (NaN becomes null; undefined null). */
export function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * The context a body (or one durable step of it) runs with on `ticket`: progress is written to the
 * ticket, and a cancel requested meanwhile aborts `controller` and throws JobCancelledError.
 */
export function createJobContext(ticket: Pick<Ticket, 'id' | 'attempts'>, controller: AbortController, deps: Pick<JobAttemptDeps, 'tickets' | 'clock' | 'logger'>): JobContext {
  return {
    ticketId: ticket.id,
    attempt: ticket.attempts,
    signal: controller.signal,
    logger: deps.logger,
    async reportProgress(progress, message) {
      if (controller.signal.aborted) throw controller.signal.reason instanceof Error ? controller.signal.reason : new JobCancelledError(ticket.id);
      const clamped = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
      const updated = await deps.tickets.updateProgress(ticket.id, clamped, message ?? null, deps.clock.nowMs());
      if (!updated || updated.cancelRequested) {
        const cancelled = new JobCancelledError(ticket.id);
        controller.abort(cancelled);
        throw cancelled;
      }
    },
  };
}

/**
 * Runs `ticket` (already claimed, status `running`) once with its kind's handler.
 * Never throws for a handler failure: the outcome says what happened.
 * `signal` (optional) aborts the body from outside: abort with a JobCancelledError for a cancel,
 * a JobInterruptedError for a shutdown.
 */
export async function runJobAttempt(ticket: Ticket, deps: JobAttemptDeps, options: { signal?: AbortSignal } = {}): Promise<JobAttemptOutcome> {
  const handler = deps.handlers[ticket.kind];
  if (!handler) return { type: 'failed', error: `no handler is registered for job kind "${ticket.kind}"` };
  const controller = new AbortController();
  const outer = options.signal;
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  const ctx = createJobContext(ticket, controller, deps);
  try {
    const result = await handler(ticket.params, ctx);
    return { type: 'succeeded', result: toJson(result) };
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
    if (error instanceof JobCancelledError || reason instanceof JobCancelledError) return { type: 'cancelled' };
    if (error instanceof JobInterruptedError || reason instanceof JobInterruptedError) return { type: 'interrupted', error: messageOf(error) };
    const message = messageOf(error);
    if (isRetryableJobFailure(error)) {
      if (ticket.attempts < ticket.maxAttempts) {
        return { type: 'retry', error: message, delayMs: backoffDelayMs(Math.max(1, ticket.attempts), deps.backoff, deps.random) };
      }
      return { type: 'failed', error: `${message} (gave up after ${ticket.attempts} attempts)` };
    }
    return { type: 'failed', error: message };
  } finally {
    outer?.removeEventListener('abort', forward);
  }
}

/**
 * Writes an attempt's outcome to the ticket: succeeded / cancelled / queued again after the backoff
 * delay / failed. An interrupted attempt writes nothing. Returns the updated ticket, or null when
 * the ticket had already left `running` (someone else finished or recovered it).
 */
export async function recordJobOutcome(
  ticket: Ticket,
  outcome: JobAttemptOutcome,
  deps: Pick<JobAttemptDeps, 'tickets' | 'clock' | 'logger'>,
): Promise<Ticket | null> {
  const nowMs = deps.clock.nowMs();
  try {
    switch (outcome.type) {
      case 'succeeded':
        return await deps.tickets.succeed(ticket.id, outcome.result, nowMs);
      case 'cancelled':
        return await deps.tickets.markCancelled(ticket.id, nowMs);
      case 'retry':
        return await deps.tickets.retryLater(ticket.id, nowMs + outcome.delayMs, outcome.error, nowMs);
      case 'failed':
        return await deps.tickets.fail(ticket.id, outcome.error, nowMs);
      case 'interrupted':
        return null;
    }
  } catch (error) {
    if (error instanceof NotFoundError) {
      deps.logger.warn({ ticketId: ticket.id, outcome: outcome.type }, 'the ticket left "running" before its outcome was recorded');
      return null;
    }
    throw error;
  }
}
