/**
 * Search spaces for parameter optimisation, derived from a strategy's zod params schema, and the two
 * non-adaptive samplers over them (grid and seeded random). The adaptive method is in
 * `successive-halving.ts`; scores come from `objectives.ts`.
 *
 * A space has one dimension per parameter, in the schema's field order:
 * - a numeric parameter with both bounds in the schema spans that range: step 1 for an integer, and
 *   (max − min) / {@link DEFAULT_FLOAT_STEPS} for a float (so 11 values). An exclusive bound
 *   (`gt`/`lt`) is moved one step inside (RSI 0 < level < 100 gives 10, 20, …, 90). A numeric
 *   parameter with an open side (e.g. `positive()` with no maximum) stays at its default until the
 *   user narrows it;
 * - a boolean spans `false, true`; an enum spans its options in schema order;
 * - anything else stays at its default.
 *
 * The user narrows any parameter with `{ min, max, step? }` (numbers only; step defaults as above),
 * `{ values: [...] }` or a fixed value. Every bound and value is checked against the parameter's own
 * schema. Cross-field rules (fastPeriod < slowPeriod) are the strategy's `check`: a candidate that
 * fails it is skipped and counted, never an error.
 *
 * Range values are `min + k·step` for k = 0, 1, … while ≤ max (max itself is included only when it
 * lies on the step grid); floats are rounded to 12 significant digits so 0.1 + 0.2 reads 0.3.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { createMulberry32 } from '../ml/prng';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import { parseStrategyParams } from '../strategies/strategy-catalog';
import type { StrategyDefinition } from '../strategies/strategy-api';

/** A float range without a step is cut into this many steps (11 values from min to max). */
export const DEFAULT_FLOAT_STEPS = 10;

/** Default maximum number of trials of one search (grid size or random draws). */
export const DEFAULT_MAX_TRIALS = 10_000;

/** A parameter value a space can hold. */
export type ParamValue = number | boolean | string;

/** A numeric range narrowing: `min`..`max` inclusive on the grid `min + k·step`. */
export interface RangeNarrowing {
  min: number;
  max: number;
  /** > 0; an integer for an integer parameter. Default 1 for integers, (max − min) / 10 for floats. */
  step?: number;
}

/** An explicit list of values (each valid for the parameter, no repeats). */
export interface ValuesNarrowing {
  values: readonly ParamValue[];
}

/** How the user narrows one parameter: a range, a list of values, or one fixed value. */
export type ParamNarrowing = RangeNarrowing | ValuesNarrowing | ParamValue;

/** Narrowings by parameter name; parameters left out keep the space derived from the schema. */
export type SpaceNarrowing = Readonly<Record<string, ParamNarrowing>>;

/** One dimension of a space. `count` is the number of values it spans (>= 1). */
export type SearchDimension =
  | { readonly name: string; readonly kind: 'range'; readonly min: number; readonly max: number; readonly step: number; readonly integer: boolean; readonly count: number }
  | { readonly name: string; readonly kind: 'values'; readonly values: readonly ParamValue[]; readonly count: number }
  /** A fixed value; `undefined` (an optional parameter without default) leaves the field out of candidates. */
  | { readonly name: string; readonly kind: 'fixed'; readonly value: unknown; readonly count: 1 };

/** A search space over one strategy's parameters. */
export interface SearchSpace {
  readonly strategy: string;
  readonly dimensions: readonly SearchDimension[];
  /** The definition whose schema and `check` every candidate passes. */
  readonly definition: StrategyDefinition;
}

/** Candidates drawn from a space: full parsed params (defaults filled), and how many draws the strategy's `check` rejected. */
export interface CandidateSet {
  readonly candidates: Readonly<Record<string, unknown>>[];
  /** Combinations rejected by the strategy's params schema or cross-field `check` (e.g. fastPeriod >= slowPeriod). */
  readonly skipped: number;
}

type JsonProperty = {
  type?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  exclusiveMinimum?: unknown;
  exclusiveMaximum?: unknown;
  enum?: unknown;
};

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function roundFloat(value: number): number {
  return Number(value.toPrecision(12));
}

function rangeCount(min: number, max: number, step: number): number {
  return Math.floor((max - min) / step + 1e-9) + 1;
}

function rangeDimension(name: string, min: number, max: number, step: number, integer: boolean): SearchDimension {
  return Object.freeze({ name, kind: 'range', min, max, step, integer, count: rangeCount(min, max, step) });
}

function isParamValue(value: unknown): value is ParamValue {
  return typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value);
}

function propertiesOf(definition: StrategyDefinition): Record<string, JsonProperty> {
  try {
    const schema = z.toJSONSchema(definition.params, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonProperty> };
    return schema.properties ?? {};
  } catch {
    return {};
  }
}

/** The value `field` takes when left out (undefined when it has no default or is required). */
function defaultOf(field: z.ZodType): { ok: boolean; value: unknown } {
  const parsed = field.safeParse(undefined);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, value: undefined };
}

/** Checks one value against a parameter's own schema. @throws ValidationError on `fieldName`. */
function checkValue(field: z.ZodType, fieldName: string, value: unknown, param: string): void {
  const parsed = field.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldName, value, `outside what parameter ${param} accepts: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
}

/** The space a parameter spans when the user does not narrow it. */
function derivedDimension(name: string, property: JsonProperty, field: z.ZodType): SearchDimension {
  const fallback = defaultOf(field);
  const type = property.type;
  if (type === 'integer' || type === 'number') {
    const integer = type === 'integer';
    const lowInclusive = isFiniteNumber(property.minimum);
    const highInclusive = isFiniteNumber(property.maximum);
    const low = lowInclusive ? (property.minimum as number) : property.exclusiveMinimum;
    const high = highInclusive ? (property.maximum as number) : property.exclusiveMaximum;
    if (isFiniteNumber(low) && isFiniteNumber(high) && low <= high) {
      const step = integer ? 1 : (high - low) / DEFAULT_FLOAT_STEPS;
      const min = lowInclusive ? low : integer ? Math.floor(low) + 1 : roundFloat(low + step);
      const max = highInclusive ? high : integer ? Math.ceil(high) - 1 : roundFloat(high - step);
      if (step > 0 && min <= max) return rangeDimension(name, min, max, step, integer);
    }
  } else if (type === 'boolean') {
    return Object.freeze({ name, kind: 'values', values: Object.freeze([false, true]), count: 2 });
  } else if (Array.isArray(property.enum) && property.enum.length > 0 && property.enum.every(isParamValue)) {
    return Object.freeze({ name, kind: 'values', values: Object.freeze([...(property.enum as ParamValue[])]), count: property.enum.length });
  }
  if (!fallback.ok) {
    throw new ValidationError(`space.${name}`, undefined, `parameter ${name} has no default and no bounded range in the schema; give { min, max }, { values } or a value`);
  }
  return Object.freeze({ name, kind: 'fixed', value: fallback.value, count: 1 as const });
}

/** The dimension a user narrowing asks for, checked against the parameter's schema. */
function narrowedDimension(name: string, narrowing: unknown, property: JsonProperty, field: z.ZodType): SearchDimension {
  const at = `space.${name}`;
  if (isParamValue(narrowing)) {
    checkValue(field, at, narrowing, name);
    return Object.freeze({ name, kind: 'fixed', value: narrowing, count: 1 as const });
  }
  if (narrowing === null || typeof narrowing !== 'object' || Array.isArray(narrowing)) {
    throw new ValidationError(at, narrowing, 'expected { min, max, step? }, { values: [...] } or a single value');
  }
  const n = narrowing as Record<string, unknown>;
  if ('values' in n) {
    for (const key of Object.keys(n)) if (key !== 'values') throw new ValidationError(`${at}.${key}`, n[key], 'unknown field; a values narrowing holds only "values"');
    const values = n.values;
    if (!Array.isArray(values) || values.length === 0) throw new ValidationError(`${at}.values`, values, 'expected a non-empty list of values');
    const seen = new Set<unknown>();
    values.forEach((value, i) => {
      if (!isParamValue(value)) throw new ValidationError(`${at}.values.${i}`, value, 'expected a finite number, a boolean or a string');
      checkValue(field, `${at}.values.${i}`, value, name);
      if (seen.has(value)) throw new ValidationError(`${at}.values.${i}`, value, 'this value is listed twice');
      seen.add(value);
    });
    return Object.freeze({ name, kind: 'values', values: Object.freeze([...(values as ParamValue[])]), count: values.length });
  }
  for (const key of Object.keys(n)) {
    if (key !== 'min' && key !== 'max' && key !== 'step') throw new ValidationError(`${at}.${key}`, n[key], 'unknown field; expected min, max and an optional step, or values');
  }
  const type = property.type;
  if (type !== 'integer' && type !== 'number') throw new ValidationError(at, narrowing, `parameter ${name} is not numeric; give { values: [...] } or a single value`);
  const integer = type === 'integer';
  const { min, max, step } = n;
  if (!isFiniteNumber(min)) throw new ValidationError(`${at}.min`, min, 'expected a finite number');
  if (!isFiniteNumber(max)) throw new ValidationError(`${at}.max`, max, 'expected a finite number');
  if (min > max) throw new ValidationError(`${at}.min`, min, `empty range: min ${min} is above max ${max}`);
  checkValue(field, `${at}.min`, min, name);
  checkValue(field, `${at}.max`, max, name);
  let stepValue: number;
  if (step === undefined) {
    stepValue = integer ? 1 : min === max ? 1 : (max - min) / DEFAULT_FLOAT_STEPS;
  } else {
    if (!isFiniteNumber(step) || step <= 0) throw new ValidationError(`${at}.step`, step, 'expected a finite number > 0');
    if (integer && !Number.isInteger(step)) throw new ValidationError(`${at}.step`, step, `parameter ${name} is an integer; the step must be a whole number`);
    stepValue = step;
  }
  return rangeDimension(name, min, max, stepValue, integer);
}

/**
 * Derives the search space of a strategy from its params schema, narrowed by the user (see the module
 * comment for the derived ranges and the narrowing forms).
 * @throws ValidationError on `space` when the narrowing is not an object; `space.<param>` for an unknown
 *   parameter, a malformed narrowing, a fixed value the schema refuses, or a required parameter with no
 *   range to derive; `space.<param>.min` for an inverted range (min above max) or a min outside the
 *   schema's range; `space.<param>.max` likewise; `space.<param>.step` for a step <= 0 or a fractional
 *   step of an integer; `space.<param>.values[.i]` for an empty list, a refused value or a repeat.
 */
export function searchSpaceOf(definition: StrategyDefinition, narrowing: SpaceNarrowing = {}): SearchSpace {
  if (narrowing === null || typeof narrowing !== 'object' || Array.isArray(narrowing)) {
    throw new ValidationError('space', narrowing, 'expected an object of parameter narrowings');
  }
  const shape = definition.params.shape as Record<string, z.ZodType>;
  const names = Object.keys(shape);
  for (const key of Object.keys(narrowing)) {
    if (!(key in shape)) throw new ValidationError(`space.${key}`, narrowing[key], `${definition.name} has no parameter ${key}; expected one of ${names.join(', ')}`);
  }
  const properties = propertiesOf(definition);
  const dimensions = names.map((name) =>
    Object.prototype.hasOwnProperty.call(narrowing, name)
      ? narrowedDimension(name, narrowing[name], properties[name] ?? {}, shape[name])
      : derivedDimension(name, properties[name] ?? {}, shape[name]),
  );
  return Object.freeze({ strategy: definition.name, dimensions: Object.freeze(dimensions), definition });
}

/**
 * The search space of a catalog strategy (see {@link searchSpaceOf}).
 * @throws ValidationError on `strategy` for an unknown or broken name, and as {@link searchSpaceOf}.
 */
export function searchSpaceFromCatalog(catalog: StrategyCatalog, strategy: string, narrowing: SpaceNarrowing = {}): SearchSpace {
  const definition = catalog.get(strategy)?.definition;
  if (!definition) {
    catalog.provenance(strategy); // throws the catalog's own "not known" / "cannot run" error
    throw new ValidationError('strategy', strategy, `strategy "${strategy}" cannot run`);
  }
  return searchSpaceOf(definition, narrowing);
}

/** Number of combinations of a space (the product of its dimensions' counts), before the strategy's `check`. */
export function spaceSize(space: SearchSpace): number {
  let size = 1;
  for (const dimension of space.dimensions) size *= dimension.count;
  return size;
}

/** The k-th value (0-based) of a dimension. */
export function dimensionValue(dimension: SearchDimension, k: number): unknown {
  switch (dimension.kind) {
    case 'fixed':
      return dimension.value;
    case 'values':
      return dimension.values[k];
    case 'range': {
      if (dimension.integer) return dimension.min + k * dimension.step;
      const value = roundFloat(dimension.min + k * dimension.step);
      return value > dimension.max ? dimension.max : value;
    }
  }
}

function checkMaxTrials(maxTrials: number): void {
  if (!Number.isInteger(maxTrials) || maxTrials < 1) throw new ValidationError('maxTrials', maxTrials, 'expected a whole number >= 1');
}

/**
 * Checks that a grid over `space` fits within `maxTrials` (call before enqueueing a grid search).
 * @throws ValidationError on `maxTrials` when it is not a whole number >= 1 or the space holds more
 *   combinations than it (the message gives the space size).
 */
export function checkGridSize(space: SearchSpace, maxTrials: number = DEFAULT_MAX_TRIALS): void {
  checkMaxTrials(maxTrials);
  const size = spaceSize(space);
  if (size > maxTrials) {
    throw new ValidationError('maxTrials', maxTrials, `the grid over ${space.strategy} holds ${size} combinations, above the maximum of ${maxTrials} trials; narrow the space or raise maxTrials`);
  }
}

/** Builds the candidate at per-dimension indices; null when the schema or `check` refuses it. */
function candidateAt(space: SearchSpace, indices: ArrayLike<number>): Readonly<Record<string, unknown>> | null {
  const raw: Record<string, unknown> = {};
  space.dimensions.forEach((dimension, d) => {
    const value = dimensionValue(dimension, indices[d]);
    if (value !== undefined) raw[dimension.name] = value;
  });
  try {
    return parseStrategyParams(space.definition, raw);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/** Per-dimension indices of a flat grid position (the last dimension varies fastest). */
function indicesOf(space: SearchSpace, position: number, into: Float64Array): Float64Array {
  let rest = position;
  for (let d = space.dimensions.length - 1; d >= 0; d--) {
    const count = space.dimensions[d].count;
    into[d] = rest % count;
    rest = Math.floor(rest / count);
  }
  return into;
}

/**
 * Every combination of the space, in a fixed order: like nested loops over the dimensions in schema
 * order, the last parameter varying fastest, each range ascending. Combinations the strategy refuses
 * are skipped and counted.
 * @throws ValidationError on `maxTrials` (see {@link checkGridSize}).
 */
export function gridCandidates(space: SearchSpace, options: { maxTrials?: number } = {}): CandidateSet {
  checkGridSize(space, options.maxTrials ?? DEFAULT_MAX_TRIALS);
  const size = spaceSize(space);
  const indices = new Float64Array(space.dimensions.length);
  const candidates: Readonly<Record<string, unknown>>[] = [];
  let skipped = 0;
  for (let position = 0; position < size; position++) {
    const candidate = candidateAt(space, indicesOf(space, position, indices));
    if (candidate) candidates.push(candidate);
    else skipped++;
  }
  return { candidates, skipped };
}

/** Spaces up to this size are sampled without replacement by a sparse Fisher–Yates shuffle of grid positions. */
const SHUFFLE_LIMIT = 2 ** 32;
/** A shuffled space is drawn in full up to this many positions (or 100 × trials, when larger). */
const SHUFFLE_FULL_DRAWS = 100_000;

/**
 * `trials` combinations drawn at random from the space with a seeded PRNG (mulberry32, `engine/ml/prng.ts`):
 * the same space, count and seed give the same candidates in the same order. Draws are without repeats:
 * spaces of up to 2^32 combinations are shuffled (sparse Fisher–Yates over grid positions), so when a
 * space of up to 100,000 combinations holds fewer valid ones than `trials`, every one is returned once;
 * larger spaces draw each dimension independently and drop repeats. Combinations the strategy refuses are
 * skipped, counted, and do not use up a trial. Draws stop after max(100 × trials, 100,000) positions of a
 * shuffled space or 10 × trials draws of a larger one, so a space the strategy almost wholly refuses
 * returns fewer than `trials` candidates instead of running on.
 * @throws ValidationError on `trials` when it is not a whole number in 1..maxTrials, `seed` when it is not
 *   an integer, `maxTrials` when it is not a whole number >= 1.
 */
export function randomCandidates(space: SearchSpace, trials: number, seed: number, options: { maxTrials?: number } = {}): CandidateSet {
  const maxTrials = options.maxTrials ?? DEFAULT_MAX_TRIALS;
  checkMaxTrials(maxTrials);
  if (!Number.isInteger(trials) || trials < 1) throw new ValidationError('trials', trials, 'expected a whole number >= 1');
  if (trials > maxTrials) throw new ValidationError('trials', trials, `above the maximum of ${maxTrials} trials`);
  if (!Number.isSafeInteger(seed)) throw new ValidationError('seed', seed, 'expected an integer');
  const prng = createMulberry32(seed);
  const size = spaceSize(space);
  const indices = new Float64Array(space.dimensions.length);
  const candidates: Readonly<Record<string, unknown>>[] = [];
  let skipped = 0;
  const take = (): void => {
    const candidate = candidateAt(space, indices);
    if (candidate) candidates.push(candidate);
    else skipped++;
  };
  if (size <= SHUFFLE_LIMIT) {
    const swapped = new Map<number, number>();
    const maxDraws = Math.min(size, Math.max(trials * 100, SHUFFLE_FULL_DRAWS));
    for (let drawn = 0; drawn < maxDraws && candidates.length < trials; drawn++) {
      const j = drawn + prng.nextInt(size - drawn);
      const position = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(drawn) ?? drawn);
      indicesOf(space, position, indices);
      take();
    }
  } else {
    const seen = new Set<string>();
    for (let attempt = 0; attempt < trials * 10 && candidates.length < trials; attempt++) {
      space.dimensions.forEach((dimension, d) => {
        indices[d] = prng.nextInt(dimension.count);
      });
      const key = indices.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      take();
    }
  }
  return { candidates, skipped };
}
