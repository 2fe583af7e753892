/**
 * Named engine errors. Broken invariants and corrupt data throw these at once;
 * expected outcomes (a risk denial, a rejected order) are values, not errors.
 */

/** Base class: every engine error carries a stable `code` for the app boundary. */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Caller input is invalid. `field` and `value` name what was wrong. */
export class ValidationError extends EngineError {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, reason: string) {
    super('validation', `field "${field}" was ${JSON.stringify(value) ?? String(value)}: ${reason}`);
    this.field = field;
    this.value = value;
  }
}

/** A requested entity does not exist. */
export class NotFoundError extends EngineError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** Persistence failed; wraps the driver error. */
export class RepositoryError extends EngineError {
  constructor(message: string, cause?: unknown) {
    super('repository', message, { cause });
  }
}

/** Failure classes for adapters: retry with backoff, journal as rejection, or halt. */
export const FailureClass = { Retryable: 'retryable', NonRetryable: 'non_retryable', Fatal: 'fatal' } as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/** An exchange adapter failure, classified so the loop knows whether to retry, reject or halt. */
export class ExchangeError extends EngineError {
  readonly failure: FailureClass;
  constructor(failure: FailureClass, message: string, cause?: unknown) {
    super(`exchange_${failure}`, message, { cause });
    this.failure = failure;
  }
}
