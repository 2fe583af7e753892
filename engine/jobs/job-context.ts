/**
 * The contract between a job body and the runner that calls it: the context a body receives and
 * the errors that tell the runner to retry, fail, or stop. Shared by the job definitions
 * (`definitions.ts`) and both runners; imports nothing else of the job machinery.
 */
import { EngineError } from '../core/errors';
import type { Logger } from '../core/logger';

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

/**
 * What a job body that runs as durable steps gets (the Inngest runner). `step(id, body)` runs `body`
 * as one named step: a step that finished is never run again, a replay gets its result back (after a
 * JSON round trip), and steps started together (`Promise.all`) may run in parallel, on other
 * processes. Code outside steps runs again on every replay, so it must decide only from step results.
 * A step's body gets a JobContext of its own (progress, cancel, abort as in any body).
 * `step` rejects with JobCancelledError when the body saw a cancel, and with NonRetryableJobError
 * (the body's message) for a permanent failure; a retryable failure runs the step again.
 */
export interface DurableJobContext {
  ticketId: string;
  logger: Logger;
  step<T>(id: string, body: (ctx: JobContext) => Promise<T>): Promise<T>;
}

/** A job body written as durable steps (see {@link DurableJobContext}); its JSON-serialisable return value is the ticket's result. */
export type DurableJobHandler<P = Record<string, unknown>> = (params: P, ctx: DurableJobContext) => Promise<unknown>;

/** A job body: an engine function. Its JSON-serialisable return value is the ticket's result. */
export type JobHandler<P = Record<string, unknown>> = (params: P, ctx: JobContext) => Promise<unknown>;

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
