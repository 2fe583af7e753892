/**
 * Named engine errors. Broken invariants and corrupt data throw these at once;
 * expected outcomes (a risk denial, a rejected order) are values, not errors.
 */

const ENGINE_ERROR = Symbol.for('aethelred.engine-error');

/**
 * Base class: every engine error carries a stable `code` for the app boundary.
 *
 * `instanceof` checks a brand and the code, not the prototype chain: Next.js bundles the server root
 * (built once, from instrumentation) and each route's chunk separately, so an error thrown by the
 * engine is not an instance of the route chunk's copy of these classes. Each subclass says which
 * codes are its own.
 */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, ENGINE_ERROR, { value: true });
  }

  /**
   * Whether `code` belongs to this class. Only a class that declares its own `ownsCode` is matched by
   * code; any other subclass (including subclasses of one that does) uses the prototype chain.
   */
  protected static ownsCode(_code: string): boolean {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[ENGINE_ERROR] !== true) return false;
    if (this === EngineError) return true;
    if (Object.prototype.hasOwnProperty.call(this, 'ownsCode')) return this.ownsCode((value as EngineError).code);
    return Function.prototype[Symbol.hasInstance].call(this, value);
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

  protected static override ownsCode(code: string): boolean {
    return code === 'validation';
  }
}

/** A requested entity does not exist. */
export class NotFoundError extends EngineError {
  constructor(message: string) {
    super('not_found', message);
  }

  protected static override ownsCode(code: string): boolean {
    return code === 'not_found';
  }
}

/** Failure classes for adapters: retry with backoff, journal as rejection, or halt. */
export const FailureClass = { Retryable: 'retryable', NonRetryable: 'non_retryable', Fatal: 'fatal' } as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/**
 * Persistence failed; wraps the driver error. `failure` says whether trying again may help:
 * non-retryable when the database refused the data itself (a constraint, a value it cannot store),
 * retryable otherwise (connection lost, database unavailable), and by default.
 */
export class RepositoryError extends EngineError {
  readonly failure: FailureClass;
  constructor(message: string, cause?: unknown, failure: FailureClass = FailureClass.Retryable) {
    super('repository', message, { cause });
    this.failure = failure;
  }

  protected static override ownsCode(code: string): boolean {
    return code === 'repository';
  }
}

/** An exchange adapter failure, classified so the loop knows whether to retry, reject or halt. */
export class ExchangeError extends EngineError {
  readonly failure: FailureClass;
  constructor(failure: FailureClass, message: string, cause?: unknown) {
    super(`exchange_${failure}`, message, { cause });
    this.failure = failure;
  }

  protected static override ownsCode(code: string): boolean {
    return code.startsWith('exchange_');
  }
}

/**
 * A write of a live session carried a fencing token that is no longer the session's current one: another
 * trader claimed the session's lease since (this process was partitioned, stalled or its lease expired).
 * The write is refused whole; the session must stop trading here at once. `currentToken` is null when the
 * session no longer exists.
 */
export class StaleLeaseError extends EngineError {
  readonly sessionId: string;
  readonly token: number;
  readonly currentToken: number | null;
  constructor(sessionId: string, token: number, currentToken: number | null) {
    super(
      'stale_lease',
      currentToken === null
        ? `session "${sessionId}" no longer exists: a write with fencing token ${token} was refused`
        : `session "${sessionId}" is leased under fencing token ${currentToken}: a write with token ${token} was refused (another trader owns the session now)`,
    );
    this.sessionId = sessionId;
    this.token = token;
    this.currentToken = currentToken;
  }

  protected static override ownsCode(code: string): boolean {
    return code === 'stale_lease';
  }
}
