/**
 * The contract every strategy adapter fulfils: a frozen, documented config plus one pure
 * `evaluate` that reads the feature frame and writes into a caller-owned output object.
 * Adapters keep no state between calls, so one adapter serves any number of symbols.
 */
import { ValidationError } from '../core/errors';
import { MAX_FEATURE_PERIOD, type FeatureConfig } from '../features/feature-config';
import type { FeatureFrame } from '../features/feature-frame';
import type { ExitPolicy } from './exit-policy';

/** Numeric direction used in hot loops: 1 long, -1 short, 0 flat. */
export const Direction = { Long: 1, Short: -1, Flat: 0 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/**
 * What one adapter says about one candle. Reused across candles: `evaluate` overwrites every field.
 * - `side`: 1 long, -1 short, 0 no signal.
 * - `strength`: conviction 0..1 (0 when flat).
 * - `stopHint`: suggested protective stop price in quote currency, NaN when none. Invariant: on the
 *   protective side of the row's close (below it for a long, above it for a short).
 * - `reason`: one of the adapter's constant reason strings (never built per candle).
 * - `exit`: the strategy's own exit instruction: 1 closes a long, -1 closes a short, 0 says nothing.
 */
export interface AdapterOutput {
  side: Direction;
  strength: number;
  stopHint: number;
  reason: string;
  exit: Direction;
}

/** Creates a flat output object to be reused for every candle. */
export function createAdapterOutput(): AdapterOutput {
  return { side: Direction.Flat, strength: 0, stopHint: NaN, reason: '', exit: Direction.Flat };
}

/**
 * An adapter's outputs for a range of rows, one typed column per field (slot `s` holds row `from + s` of
 * the range last evaluated). Preallocated for the loop's chunk size and reused chunk after chunk.
 */
export interface AdapterColumns {
  /** Slots available. */
  readonly capacity: number;
  readonly side: Int8Array;
  readonly strength: Float64Array;
  readonly stopHint: Float64Array;
  readonly exit: Int8Array;
  /**
   * `side` and `exit` as 32-bit words over their bytes (slot 4w..4w+3 in word w; `capacity >> 2` words, the last
   * `capacity % 4` slots have none): a word of 0 is four flat slots, so a reader that looks for the few rows an adapter
   * signalled or exited on skips four at a time (fusion, the loop's exit check).
   */
  readonly sideWords: Int32Array;
  readonly exitWords: Int32Array;
  /** The adapter's constant reason strings (references, never built per row). */
  readonly reason: string[];
}

/**
 * Creates adapter columns with `capacity` slots (flat, no stop).
 * @throws ValidationError naming `capacity` when it is not an integer >= 1.
 */
export function createAdapterColumns(capacity: number): AdapterColumns {
  if (!Number.isInteger(capacity) || capacity < 1) throw new ValidationError('capacity', capacity, `capacity (${String(capacity)}) must be an integer >= 1`);
  const side = new Int8Array(capacity);
  const exit = new Int8Array(capacity);
  return {
    capacity,
    side,
    strength: new Float64Array(capacity),
    stopHint: new Float64Array(capacity).fill(NaN),
    exit,
    sideWords: new Int32Array(side.buffer, 0, capacity >> 2),
    exitWords: new Int32Array(exit.buffer, 0, capacity >> 2),
    reason: new Array<string>(capacity).fill(''),
  };
}

/** Stores one row's output at `slot` of `columns`. Allocation-free. */
export function writeAdapterColumns(columns: AdapterColumns, slot: number, out: AdapterOutput): void {
  columns.side[slot] = out.side;
  columns.strength[slot] = out.strength;
  columns.stopHint[slot] = out.stopHint;
  columns.exit[slot] = out.exit;
  columns.reason[slot] = out.reason;
}

/** Reads the output stored at `slot` of `columns` into `out` (the per-row view the decision log reads). Allocation-free. */
export function readAdapterColumns(columns: AdapterColumns, slot: number, out: AdapterOutput): void {
  out.side = columns.side[slot] as Direction;
  out.strength = columns.strength[slot];
  out.stopHint = columns.stopHint[slot];
  out.exit = columns.exit[slot] as Direction;
  out.reason = columns.reason[slot];
}

/**
 * Evaluates `adapter` on rows `from..to-1` of `f` into slots `0..to-from-1` of `columns`: its own
 * `evaluateColumns` when it has one, else `evaluate` row by row through `scratch` (file and rule
 * strategies keep working unchanged). Exactly the outputs `evaluate` gives per row.
 * @throws RangeError when the range does not fit the columns.
 */
export function evaluateAdapterColumns(adapter: StrategyAdapter, f: FeatureFrame, from: number, to: number, columns: AdapterColumns, scratch: AdapterOutput): void {
  if (!(to - from <= columns.capacity)) throw new RangeError(`rows ${from}..${to} do not fit ${columns.capacity} column slots`);
  if (adapter.evaluateColumns) {
    adapter.evaluateColumns(f, from, to, columns, scratch);
    return;
  }
  for (let i = from; i < to; i++) {
    adapter.evaluate(f, i, scratch);
    writeAdapterColumns(columns, i - from, scratch);
  }
}

/**
 * A strategy adapter. `evaluate(f, i, out)` looks at row `i` (0 <= i < f.length; normally the last
 * closed candle) and may read earlier rows; it never reads rows after `i`, so backtests have no
 * look-ahead. It allocates nothing and does not throw for valid rows; warm-up rows yield flat.
 */
export interface StrategyAdapter<Config extends object = object> {
  readonly name: string;
  readonly config: Readonly<Config>;
  /** Feature columns `evaluate` reads; merge them with `featureConfigFor`. */
  readonly features: FeatureConfig;
  /** Index of the first row on which a signal can fire; earlier rows always yield flat. */
  readonly warmup: number;
  /**
   * History (candles) the strategy needs before the first candle it trades so that its indicators no
   * longer depend on where that history began (freqtrade's `startup_candle_count`): a backtest loads
   * this many candles before its `from` into the loop's warm-up, a live session warms with at least
   * this many. Adapters built from a definition set it to max(warmup, convergenceWarmup(features)) or
   * the definition's larger `startupCandles(p)`; absent means `warmup` (see {@link startupCandlesOf}).
   */
  readonly startupCandles?: number;
  /** Version of the strategy's code or rules (recorded with every run). */
  readonly version?: string;
  /** Default exits of the strategy (take-profit, trailing, time stop, ROI table); a run's own exits override them. */
  readonly exits?: ExitPolicy;
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput): void;
  /**
   * Optional batch form of `evaluate`: rows `from..to-1` into slots `0..to-from-1` of `columns`
   * (`to - from <= columns.capacity`), exactly as `evaluate` would give them one by one; `scratch` is a
   * reusable output. Use {@link evaluateAdapterColumns}, which falls back to `evaluate` without it.
   */
  evaluateColumns?(f: FeatureFrame, from: number, to: number, columns: AdapterColumns, scratch: AdapterOutput): void;
}

/** The history an adapter needs before its first traded candle: `startupCandles`, else `warmup`. */
export function startupCandlesOf(adapter: Pick<StrategyAdapter, 'warmup' | 'startupCandles'>): number {
  return adapter.startupCandles ?? adapter.warmup;
}

/** The history a run needs before its first traded candle: the largest of its strategies' (0 without strategies). */
export function runStartupCandles(adapters: readonly Pick<StrategyAdapter, 'warmup' | 'startupCandles'>[]): number {
  let most = 0;
  for (const adapter of adapters) most = Math.max(most, startupCandlesOf(adapter));
  return most;
}

/** Reason strings shared by all adapters. */
export const COMMON_REASONS = {
  WarmUp: 'warm-up: indicators not yet available',
  NoSignal: 'no signal',
} as const;

/**
 * Strength convention shared by the adapters: a fired signal has strength `0.5 + 0.5 * min(1, x)`
 * where `x >= 0` is the adapter's decisiveness measure (documented per adapter, usually a distance
 * in ATRs; 0 when the ATR is 0). A fired signal therefore carries at least 0.5, so one adapter can
 * meet fusion's default entry threshold of 0.5 on its own, and the other half grades how decisive
 * the move was. Adapters compute it inline: helpers returning numbers would box their result into
 * a heap allocation whenever the JIT does not inline them.
 */
export const MIN_FIRED_STRENGTH = 0.5;

/** Writes a flat output with the given reason. */
export function setFlat(out: AdapterOutput, reason: string): void {
  out.side = Direction.Flat;
  out.strength = 0;
  out.stopHint = NaN;
  out.reason = reason;
  out.exit = Direction.Flat;
}

/**
 * Writes slots `0..count-1` of `columns` flat (side 0, strength 0, no stop, no exit) with the given reason:
 * the start of a column form, whose loop then writes only the rows that differ (warm-up, fired). Flat rows
 * are the common case, and a fill per column runs at memory speed where five stores per row do not. The
 * built-in `fill`s cost tens of nanoseconds per call, which the one-row ranges of the live loop (chunk 1)
 * would pay for every candle, so short ranges are written in a plain loop instead. Allocation-free.
 */
export function fillFlatColumns(columns: AdapterColumns, count: number, reason: string): void {
  const side = columns.side;
  const strength = columns.strength;
  const stopHint = columns.stopHint;
  const exit = columns.exit;
  const reasons = columns.reason;
  if (count < FILL_LOOP_MAX) {
    for (let s = 0; s < count; s++) {
      side[s] = Direction.Flat;
      strength[s] = 0;
      stopHint[s] = NaN;
      exit[s] = Direction.Flat;
      reasons[s] = reason;
    }
    return;
  }
  side.fill(Direction.Flat, 0, count);
  strength.fill(0, 0, count);
  stopHint.fill(NaN, 0, count);
  exit.fill(Direction.Flat, 0, count);
  reasons.fill(reason, 0, count);
}

/** Ranges shorter than this are filled flat in a loop by {@link fillFlatColumns}, longer ones with the built-in fills. */
const FILL_LOOP_MAX = 64;

/** Checks a period: integer in 1..MAX_FEATURE_PERIOD. @throws ValidationError quoting the value. */
export function checkPeriod(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_FEATURE_PERIOD) {
    throw new ValidationError(field, value, `${field} (${String(value)}) must be an integer in 1..${MAX_FEATURE_PERIOD}`);
  }
}

/** Checks a positive finite multiple (e.g. ATR stop multiple). @throws ValidationError quoting the value. */
export function checkPositive(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ValidationError(field, value, `${field} (${String(value)}) must be a finite number > 0`);
  }
}

/**
 * Merges `config` over `defaults`, keeping only the keys `defaults` has (unknown keys are dropped,
 * `undefined` values keep the default), and freezes the result.
 */
export function withDefaults<Config extends object>(defaults: Config, config: Partial<Config>): Readonly<Config> {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof Config)[]) {
    const value = config[key];
    if (value !== undefined) out[key] = value as Config[keyof Config];
  }
  return Object.freeze(out);
}
