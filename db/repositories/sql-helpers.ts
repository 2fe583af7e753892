/**
 * Small helpers shared by the drizzle repositories: driver-neutral result rows,
 * error wrapping, numeric conversion and keyset cursors.
 */
import { EngineError, FailureClass, RepositoryError, ValidationError } from '../../engine/core/errors';
import { driverErrorOf, messageOf } from '../client';

/** Rows of a `db.execute()` result: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * SQLSTATE classes where the database refused the statement's data or shape, so the same statement
 * fails again: 22 data exception (e.g. 22P05 a character it cannot store), 23 integrity constraint,
 * 42 syntax error or undefined object, 54 program limit. Anything else (08 connection, 57 operator
 * intervention, 53 resources, a socket error without a SQLSTATE) may pass when tried again.
 */
const NON_RETRYABLE_SQLSTATE_CLASSES = new Set(['22', '23', '42', '54']);

/** Whether a driver error is worth retrying, from its SQLSTATE (`code`). */
export function failureClassOf(driverError: unknown): FailureClass {
  const code = (driverError as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && NON_RETRYABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))) return FailureClass.NonRetryable;
  return FailureClass.Retryable;
}

/**
 * Runs `fn`, converting driver failures into RepositoryError `"<what> failed: <driver message>"`.
 * Engine errors (validation, not found) pass through unchanged. The error is classified retryable or not (see `failureClassOf`).
 */
export async function wrapDriver<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EngineError) throw err;
    const cause = driverErrorOf(err);
    throw new RepositoryError(`${what} failed: ${messageOf(err)}`, cause, failureClassOf(cause));
  }
}

/** numeric column (string) -> number; null stays null. */
export function num(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: string | number | null): number | null {
  return value === null ? null : num(value);
}

/** number -> numeric literal text (shortest round-trip form; Postgres accepts exponents). */
export function numeric(value: number, field: string): string {
  if (!Number.isFinite(value)) throw new ValidationError(field, String(value), 'not a finite number');
  return String(value);
}

export const MAX_PAGE_LIMIT = 1000;
export const DEFAULT_PAGE_LIMIT = 100;

/** Clamps a requested page size to 1..1000 (default 100). */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.trunc(limit)));
}

/** Opaque keyset cursor encoding (timeMs, id) of the last row of a page. */
export function encodeCursor(timeMs: number, id: string): string {
  return Buffer.from(JSON.stringify([timeMs, id]), 'utf8').toString('base64url');
}

/** @throws ValidationError when the cursor did not come from {@link encodeCursor}. */
export function decodeCursor(cursor: string): { timeMs: number; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { timeMs: value[0], id: value[1] };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor', cursor, 'not a cursor returned by a previous page');
}

/** Splits `items` into chunks of at most `size`. */
export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
