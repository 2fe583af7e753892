/**
 * The app boundary's error table: each error has a `type:surface` code and an HTTP status.
 * Clients get the code and a short public message; details go to the log only.
 */
import { EngineError, NotFoundError, ValidationError } from '@/engine/core/errors';

export const ERROR_STATUS = {
  'unauthorized:auth': 401,
  'forbidden:auth': 403,
  'rate_limited:auth': 429,
  'bad_request:input': 400,
  'payload_too_large:input': 413,
  'unsupported_media_type:input': 415,
  not_found: 404,
  conflict: 409,
  not_implemented: 501,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  'unauthorized:auth': 'sign in first',
  'forbidden:auth': 'your role does not allow this',
  'rate_limited:auth': 'too many attempts; try again later',
  'bad_request:input': 'the request is invalid',
  'payload_too_large:input': 'the request body is too large',
  'unsupported_media_type:input': 'the request body has a content type this endpoint does not take',
  not_found: 'not found',
  conflict: 'conflicts with the current state',
  not_implemented: 'not available in this build',
  internal: 'internal error; see the server log',
};

const APP_ERROR = Symbol.for('aethelred.app-error');

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);

/**
 * An error the boundary may show: code, public message and optional field errors.
 *
 * `instanceof` checks a brand, not the prototype chain (as engine errors do): Next.js bundles the
 * composition root (built from instrumentation) and each route's or action's chunk separately, so an
 * AppError thrown by the auth kit is not an instance of the gate's copy of this class.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: Record<string, string[]> | undefined;
  constructor(code: ErrorCode, publicMessage?: string, fieldErrors?: Record<string, string[]>) {
    super(publicMessage ?? DEFAULT_MESSAGE[code]);
    this.name = 'AppError';
    this.code = code;
    this.fieldErrors = fieldErrors;
    Object.defineProperty(this, APP_ERROR, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_ERROR] === true && isErrorCode((value as { code?: unknown }).code);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fieldErrors?: Record<string, string[]> };
}

/** Maps any thrown value to an AppError. Engine validation, candle-file and not-found messages are shown; anything else is internal. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ValidationError) return new AppError('bad_request:input', error.message, { [error.field]: [error.message] });
  if (error instanceof NotFoundError) return new AppError('not_found', error.message);
  // The process holding a paper account's sessions did not answer a forwarded order (engine/account/account-forwarding.ts).
  if (error instanceof EngineError && error.code === 'account_holder_unavailable') return new AppError('conflict', error.message);
  // A malformed candle upload (CandleFileError, matched by code so this module stays free of the CSV parser).
  if (error instanceof EngineError && error.code === 'candle_file') {
    const { line, detail } = error as EngineError & { line: number; detail: string };
    return new AppError('bad_request:input', error.message, { [`line ${line}`]: [detail] });
  }
  return new AppError('internal');
}

export function errorBody(error: AppError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.fieldErrors ? { fieldErrors: error.fieldErrors } : {}) } };
}

export function errorResponse(error: AppError): Response {
  return Response.json(errorBody(error), { status: error.status });
}
