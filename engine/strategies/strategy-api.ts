/**
 * The strategy API: what a strategy file (in the strategies folder outside `engine/`), a rule
 * strategy compiled from the dashboard and the four built-in strategies are all written against.
 *
 * A strategy is a frozen definition — a name, a version, a zod params schema with defaults and
 * ranges, the indicator columns it reads from the engine's feature frame, its warm-up, optional
 * default exits — plus one pure `evaluate` that reads row `i` of the frame (never a later row) and
 * writes a side, a strength, a stop hint and an optional exit instruction into a reused output.
 * A definition may instead give `evaluateColumns`, the same rule written as a loop over a range of
 * rows into typed output columns (the built-ins do, for speed); exactly one of the two is given, and
 * the catalog derives the other form of the adapter from it.
 *
 * ```ts
 * import { defineStrategy, z, Direction } from 'aethelred/strategy';
 * export default defineStrategy({
 *   name: 'close-above-sma',
 *   version: '1.0.0',
 *   summary: 'Long while the close is above its SMA.',
 *   params: z.object({ period: z.number().int().min(2).max(500).default(50) }),
 *   indicators: (p) => ({ sma: [p.period], atr: [14] }),
 *   warmup: (p) => p.period,
 *   evaluate(f, i, out, p) { ... },
 * });
 * ```
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import type { FeatureConfig } from '../features/feature-config';
import type { FeatureFrame } from '../features/feature-frame';
import type { AdapterColumns, AdapterOutput } from './strategy-adapter';
import type { ExitPolicyInput } from './exit-policy';

export { z };
/** Thrown by `check(p)` (and the catalog) naming the bad field and its value. */
export { ValidationError } from '../core/errors';
export { Direction, COMMON_REASONS, MIN_FIRED_STRENGTH, fillFlatColumns, setFlat, type AdapterColumns, type AdapterOutput } from './strategy-adapter';
export type { FeatureFrame } from '../features/feature-frame';
export type { FeatureConfig } from '../features/feature-config';
export { CROSS_EPSILON, crossDirection, crossDirectionLevel, crossDirections, crossedAbove, crossedBelow, type CrossSide } from './cross';
export { ExitPolicySchema, TakeProfitLevelSchema, type ExitPolicy, type ExitPolicyInput } from './exit-policy';

/** Strategy names: lowercase letters, digits and dashes, starting with a letter, 2..63 characters. */
export const STRATEGY_NAME_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;

/** Any zod object schema usable as a params schema. */
export type ParamsSchema = z.ZodObject;

/**
 * A strategy definition. Every function receives the parsed params (defaults filled, ranges checked).
 * - `indicators(p)`: the feature-frame columns `evaluate` reads (sma/ema/rsi/atr/donchian periods).
 * - `warmup(p)`: the first row on which a signal can fire; earlier rows are never evaluated.
 * - `startupCandles(p)`: optional history the strategy needs before the first candle it trades
 *   (freqtrade's `startup_candle_count`). The engine computes max(warmup, convergenceWarmup of the
 *   indicators) — the candles after which a seeded EMA/RSI/ATR has forgotten its seed — and uses the
 *   declared value only when it is larger. Backtests load that much history before `from`; live
 *   sessions warm with at least that much; the recursion check compares from there.
 * - `check(p)`: optional cross-field invariants; throw {@link ValidationError} naming the field.
 * - `exits(p)`: optional default exit policy of the strategy (a run's own exits override it).
 * - the rule itself, in exactly one of two forms (see {@link RowEvaluation} and {@link ColumnEvaluation}):
 *   `evaluate(f, i, out, p)` for one row, or `evaluateColumns(f, from, to, columns, p)` for a range of rows.
 */
export type StrategyDefinition<Schema extends ParamsSchema = ParamsSchema> = RowStrategyDefinition<Schema> | ColumnStrategyDefinition<Schema>;

/** A definition whose rule is written per row (`evaluate`). */
export type RowStrategyDefinition<Schema extends ParamsSchema = ParamsSchema> = StrategyDefinitionBase<Schema> & RowEvaluation<Schema>;

/** A definition whose rule is written per range of rows (`evaluateColumns`). */
export type ColumnStrategyDefinition<Schema extends ParamsSchema = ParamsSchema> = StrategyDefinitionBase<Schema> & ColumnEvaluation<Schema>;

/** The fields of a {@link StrategyDefinition} apart from its rule. */
export interface StrategyDefinitionBase<Schema extends ParamsSchema = ParamsSchema> {
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly params: Schema;
  indicators(params: z.output<Schema>): FeatureConfig;
  warmup(params: z.output<Schema>): number;
  startupCandles?(params: z.output<Schema>): number;
  check?(params: z.output<Schema>): void;
  exits?(params: z.output<Schema>): ExitPolicyInput | undefined;
}

/**
 * A rule written per row (strategy files and rule strategies): `evaluate(f, i, out, p)` reads rows `0..i`
 * only and overwrites `out.side`, `out.strength` (0..1), `out.stopHint` (protective stop price or NaN),
 * `out.reason` (a constant string) and `out.exit` (1: close a long, -1: close a short, 0: nothing).
 * Allocates nothing; does not throw on valid rows.
 */
export interface RowEvaluation<Schema extends ParamsSchema = ParamsSchema> {
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput, params: z.output<Schema>): void;
  readonly evaluateColumns?: undefined;
}

/**
 * A rule written per range of rows (the built-ins): `evaluateColumns(f, from, to, columns, p)` writes what
 * the rule says at each row `i` of `from..to-1` into slot `i - from` of every column of `columns` (side,
 * strength, stopHint, exit, reason), reading rows `0..i` only for row `i` (no look-ahead), and reads
 * nothing but the frame: state carried from row to row must be rebuilt from the frame at `from`, so a
 * range gives exactly what the rows give one by one (the catalog's per-row `evaluate` is the range
 * `[i, i+1)`). `to - from` is at most `columns.capacity`. Allocates nothing; does not throw on valid rows.
 */
export interface ColumnEvaluation<Schema extends ParamsSchema = ParamsSchema> {
  evaluateColumns(f: FeatureFrame, from: number, to: number, columns: AdapterColumns, params: z.output<Schema>): void;
  readonly evaluate?: undefined;
}

/**
 * Declares a strategy (identity at runtime apart from the shape checks, typed for authors: the result has
 * the form it was given, so a per-row definition's `evaluate` can be called directly).
 * @throws ValidationError naming `name`, `version`, `params` or a function field that is malformed, and
 *   naming `evaluateColumns` when both `evaluate` and `evaluateColumns` are given, `evaluate` when neither is.
 */
export function defineStrategy<Schema extends ParamsSchema>(definition: RowStrategyDefinition<Schema>): RowStrategyDefinition<Schema>;
export function defineStrategy<Schema extends ParamsSchema>(definition: ColumnStrategyDefinition<Schema>): ColumnStrategyDefinition<Schema>;
export function defineStrategy<Schema extends ParamsSchema>(definition: StrategyDefinition<Schema>): StrategyDefinition<Schema> {
  checkDefinition(definition);
  return Object.freeze({ ...definition });
}

/**
 * Checks the shape of a value claimed to be a strategy definition (what a file exports).
 * @throws ValidationError naming the first malformed field and its value.
 */
export function checkDefinition(value: unknown): asserts value is StrategyDefinition {
  if (value === null || typeof value !== 'object') throw new ValidationError('definition', value, 'expected a strategy definition object (export default defineStrategy({...}))');
  const d = value as Record<string, unknown>;
  if (typeof d.name !== 'string' || !STRATEGY_NAME_PATTERN.test(d.name)) {
    throw new ValidationError('name', d.name, `name ${JSON.stringify(d.name)} must be lowercase letters, digits and dashes, starting with a letter (2..63 characters)`);
  }
  if (typeof d.version !== 'string' || d.version.trim() === '' || d.version.length > 64) throw new ValidationError('version', d.version, 'version must be a non-empty string of at most 64 characters');
  if (typeof d.summary !== 'string') throw new ValidationError('summary', d.summary, 'summary must be a string');
  if (!(d.params instanceof z.ZodObject)) throw new ValidationError('params', typeof d.params, 'params must be a zod object schema (z.object({...}))');
  for (const fn of ['indicators', 'warmup'] as const) {
    if (typeof d[fn] !== 'function') throw new ValidationError(fn, typeof d[fn], `${fn} must be a function`);
  }
  // One implementation of the rule: with both, the per-row and column forms could disagree, and which one
  // a run used would depend on the caller.
  if (d.evaluate !== undefined && d.evaluateColumns !== undefined) {
    throw new ValidationError('evaluateColumns', typeof d.evaluateColumns, 'give either evaluate (one row) or evaluateColumns (a range of rows), not both');
  }
  if (d.evaluate === undefined && d.evaluateColumns === undefined) {
    throw new ValidationError('evaluate', 'undefined', 'evaluate must be a function (or give evaluateColumns instead)');
  }
  for (const fn of ['evaluate', 'evaluateColumns', 'check', 'exits', 'startupCandles'] as const) {
    if (d[fn] !== undefined && typeof d[fn] !== 'function') throw new ValidationError(fn, typeof d[fn], `${fn} must be a function when given`);
  }
}
