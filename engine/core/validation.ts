/**
 * The one translation of zod issues into engine validation results: the first issue as a
 * {@link ValidationError} naming the field and the value found there (for code that stops at the
 * first problem), or every issue as field errors (for forms that show each message next to its input).
 * An unknown key is reported at its own path (`settings.colour`), not at its parent object.
 */
import type { z } from 'zod';
import { ValidationError } from './errors';

/** Field path -> messages. */
export type FieldErrors = Record<string, string[]>;

/** How a field is named: `prefix` goes before every path (`params` -> `params.kind`); `root` names an issue without a path. */
export interface FieldNaming {
  prefix?: string;
  root?: string;
}

/** Message of an unknown key (zod's `unrecognized_keys`, reported per key). */
export const UNKNOWN_FIELD = 'unknown field';

function issuePaths(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...issue.path, key], message: UNKNOWN_FIELD }));
  return [{ path: issue.path, message: issue.message }];
}

function fieldName(path: readonly PropertyKey[], naming: FieldNaming): string {
  const joined = [naming.prefix, ...path.map(String)].filter((part) => part !== undefined && part !== '').join('.');
  return joined || naming.root || 'input';
}

/** The value at `path` inside `input` (undefined when the path leaves the object). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[String(key)] : undefined;
  return value;
}

/**
 * The first issue of a failed parse as a ValidationError: field = the issue's path (under `naming.prefix`),
 * value = what `input` holds there, reason = zod's message (`unknown field` for an unknown key).
 */
export function validationErrorOf(error: z.ZodError, input: unknown, naming: FieldNaming = {}): ValidationError {
  const { path, message } = issuePaths(error.issues[0])[0];
  return new ValidationError(fieldName(path, naming), valueAt(input, path), message);
}

/** Every issue of a failed parse, keyed by field path (under `naming.prefix`). */
export function fieldErrorsOf(error: z.ZodError, naming: FieldNaming = {}): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    for (const { path, message } of issuePaths(issue)) (out[fieldName(path, naming)] ??= []).push(message);
  }
  return out;
}

/**
 * Parses `input` with `schema`.
 * @throws ValidationError naming the first invalid field and its value (see {@link validationErrorOf}).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, naming: FieldNaming = {}): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw validationErrorOf(parsed.error, input, naming);
}

/**
 * Whether `value` can no longer change: a primitive, or a frozen plain object or array (prototype `Object.prototype`,
 * `Array.prototype` or null) whose own properties are all data properties holding such values. A function, a
 * getter, a class instance (a Date, a Map, a typed array) or anything not frozen is not.
 */
export function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function';
  if (!Object.isFrozen(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  for (const key of Reflect.ownKeys(value)) {
    const property = Object.getOwnPropertyDescriptor(value, key)!;
    if (!('value' in property) || !isDeepFrozen(property.value)) return false;
  }
  return true;
}

/** Freezes `value` and every object reachable through its own properties; returns it. */
function freezeDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) freezeDeep((value as Record<PropertyKey, unknown>)[key]);
  return value;
}

/**
 * {@link parseOrThrow} with `schema` and `naming`, for a value parsed again and again (a run's config, validated
 * when the run is resolved and again by every run of it): the output for an input that can no longer change
 * ({@link isDeepFrozen}) is kept, deep-frozen, keyed weakly by the input, and returned as is the next time, since
 * zod would return an equal value. Any other input is parsed each time, and a failure is never kept: a bad input
 * throws exactly as with parseOrThrow.
 */
export function memoizedParser<S extends z.ZodType>(schema: S, naming: FieldNaming = {}): (input: unknown) => z.output<S> {
  const outputs = new WeakMap<object, z.output<S>>();
  return (input) => {
    const known = input !== null && typeof input === 'object' ? outputs.get(input) : undefined;
    if (known !== undefined) return known;
    const parsed = parseOrThrow(schema, input, naming);
    if (input !== null && typeof input === 'object' && isDeepFrozen(input)) outputs.set(input, freezeDeep(parsed));
    return parsed;
  };
}

/**
 * Runs `build`; a ValidationError it throws comes back with its field under `prefix`
 * (`fastPeriod` -> `params.ma-crossover.fastPeriod`) and the same value and reason.
 */
export function withFieldPrefix<T>(prefix: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(`${prefix}.${error.field}`, error.value, reasonOf(error));
  }
}

/** The reason part of a ValidationError's message (without `field "x" was v: `). */
export function reasonOf(error: ValidationError): string {
  const head = `field "${error.field}" was ${JSON.stringify(error.value) ?? String(error.value)}: `;
  return error.message.startsWith(head) ? error.message.slice(head.length) : error.message;
}
