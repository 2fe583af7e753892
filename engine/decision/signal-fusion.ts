/**
 * Signal fusion: combines the outputs of several strategy adapters into one decision per candle,
 * then lets an optional veto model block it. Allocation-free per candle: outputs and the fused
 * signal are caller-owned objects reused across candles.
 */
import { ValidationError } from '../core/errors';
import { SignalSide, type Signal } from '../core/types';
import { createAdapterColumns, Direction, writeAdapterColumns, type AdapterColumns, type AdapterOutput } from '../strategies/strategy-adapter';

/**
 * Fusion settings.
 * - `weights`: weight per adapter name, each finite and >= 0; every adapter passed to `fuse` needs one.
 * - `entryThreshold`: minimum |net| to act, 0..1 (default 0.5).
 * - `ttlMs`: how long a fused signal stays actionable, ms (>= 0); copied into every fused signal.
 * - `cooldownMs`: minimum time between entries on one symbol, ms (>= 0, default 0); used by `createSignalGate`.
 * - `vetoThreshold`: loss probability at or above which the veto blocks a signal, 0..1 (default 0.5).
 */
export interface FusionConfig {
  readonly weights: Readonly<Record<string, number>>;
  readonly entryThreshold?: number;
  readonly ttlMs: number;
  readonly cooldownMs?: number;
  readonly vetoThreshold?: number;
}

/** A validated, frozen {@link FusionConfig} with defaults filled. */
export interface ResolvedFusionConfig {
  readonly weights: Readonly<Record<string, number>>;
  readonly entryThreshold: number;
  readonly ttlMs: number;
  readonly cooldownMs: number;
  readonly vetoThreshold: number;
}

/** Constant reasons written by fusion and the veto. */
export const FUSION_REASONS = {
  NoSignal: 'fusion: no weighted adapter signalled',
  BelowThreshold: 'fusion: net strength below the entry threshold',
  Long: 'fusion: net long at or above the entry threshold',
  Short: 'fusion: net short at or above the entry threshold',
  Vetoed: 'fusion: vetoed by the loss model',
} as const;

/**
 * The fused decision for one candle; a reused mutable object (see {@link createFusedSignal}).
 * - `net`: signed weighted mean, -1..1.
 * - `side`: sign(net) when |net| >= entryThreshold (and net != 0), else 0.
 * - `strength`: |net| (kept even when flat, for the decision log).
 * - `stopHint`: tightest stop among agreeing adapters (see `fuse`), NaN when none or when flat.
 * - `ttlMs`: the config's TTL.
 * - `vetoed` / `vetoConfidence`: set by `applyVeto`; `fuse` resets them to false / NaN.
 */
export interface FusedSignal {
  side: Direction;
  strength: number;
  net: number;
  stopHint: number;
  ttlMs: number;
  vetoed: boolean;
  vetoConfidence: number;
  reason: string;
}

/** Creates a flat fused signal to be reused for every candle. */
export function createFusedSignal(): FusedSignal {
  return { side: Direction.Flat, strength: 0, net: 0, stopHint: NaN, ttlMs: 0, vetoed: false, vetoConfidence: NaN, reason: '' };
}

/**
 * Fused signals for a range of rows, one typed column per field (slot `s` holds row `from + s` of the
 * range last fused); read one back into a {@link FusedSignal} with {@link readFusedColumns}. The reason is not
 * stored: it follows from `signalled` and `side` ({@link fusedReasonAt}), so fusing a row stores no string.
 */
export interface FusedColumns {
  readonly capacity: number;
  readonly side: Int8Array;
  readonly strength: Float64Array;
  readonly net: Float64Array;
  readonly stopHint: Float64Array;
  /** 1 when an adapter of weight > 0 gave a side on the row, else 0 (the reason "no signal"). */
  readonly signalled: Uint8Array;
}

/**
 * Creates fused columns with `capacity` slots.
 * @throws ValidationError naming `capacity` when it is not an integer >= 1.
 */
export function createFusedColumns(capacity: number): FusedColumns {
  if (!Number.isInteger(capacity) || capacity < 1) throw new ValidationError('capacity', capacity, `capacity (${String(capacity)}) must be an integer >= 1`);
  return { capacity, side: new Int8Array(capacity), strength: new Float64Array(capacity), net: new Float64Array(capacity), stopHint: new Float64Array(capacity).fill(NaN), signalled: new Uint8Array(capacity) };
}

/** The reason of the fused signal at `slot` (one of {@link FUSION_REASONS}, never vetoed: the veto comes later). */
export function fusedReasonAt(columns: FusedColumns, slot: number): string {
  if (columns.signalled[slot] === 0) return FUSION_REASONS.NoSignal;
  const side = columns.side[slot];
  return side === LONG ? FUSION_REASONS.Long : side === SHORT ? FUSION_REASONS.Short : FUSION_REASONS.BelowThreshold;
}

/**
 * Reads the fused signal at `slot` into `out`, as `fuse` left it for that row (`ttlMs` from `ttlMs`, not vetoed,
 * veto confidence NaN). Allocation-free.
 */
export function readFusedColumns(columns: FusedColumns, slot: number, ttlMs: number, out: FusedSignal): void {
  out.side = columns.side[slot] as Direction;
  out.strength = columns.strength[slot];
  out.net = columns.net[slot];
  out.stopHint = columns.stopHint[slot];
  out.ttlMs = ttlMs;
  out.vetoed = false;
  out.vetoConfidence = NaN;
  out.reason = fusedReasonAt(columns, slot);
}

/** The fusion component. */
export interface SignalFusion {
  readonly config: ResolvedFusionConfig;
  /**
   * Fuses adapter outputs; `outputs[k]` came from the adapter named `names[k]`.
   *
   * Rules:
   * - net = sum(w_k * side_k * strength_k) / sum(w_k), both sums over all adapters in `names`.
   * - side = sign(net) if |net| >= entryThreshold and net != 0, else 0; strength = |net|.
   * - stopHint: among adapters with weight > 0 that agree with the fused side and gave a finite stop,
   *   the tightest one: for a long the highest stop, for a short the lowest. Adapters place stops on
   *   the protective side of the close they fired on (an `AdapterOutput` invariant), so this is the
   *   highest stop below price for a long. Rationale: the tightest agreeing stop is the first level
   *   at which any agreeing strategy considers the idea wrong, so it caps the loss per unit lowest.
   *   (No price argument: a number passed to a non-inlined call is boxed, one allocation per candle.)
   * - resets `vetoed` to false and `vetoConfidence` to NaN.
   *
   * Weights are looked up once per distinct `names` array (pass the same array every candle to stay
   * allocation-free).
   * @throws ValidationError when lengths differ, a name has no weight, or all weights of `names` are 0.
   */
  fuse(outputs: readonly AdapterOutput[], names: readonly string[], out: FusedSignal): void;
  /**
   * Column-wise `fuse`: slots `0..count-1` of `columns[k]` (adapter `names[k]`) into the same slots of `out`,
   * each slot exactly what `fuse` gives for that row (one implementation: `fuse` is this rule on one row).
   * Allocation-free once `names` is cached (see `fuse`).
   * @throws ValidationError as `fuse`; RangeError when `count` exceeds a column's capacity.
   */
  fuseColumns(columns: readonly AdapterColumns[], names: readonly string[], count: number, out: FusedColumns): void;
  /**
   * Applies the veto model's loss probability: `null` means no model (never vetoed). Otherwise
   * `vetoed` = side != 0 and confidence >= vetoThreshold; a vetoed signal keeps its side and
   * strength for the log, and its reason becomes {@link FUSION_REASONS.Vetoed}.
   * @throws ValidationError when the confidence is not a number in 0..1.
   */
  applyVeto(out: FusedSignal, vetoConfidence: number | null): void;
}

/**
 * The directions as plain numbers for the per-row rule (an imported enum object is read through a getter under
 * vitest's module transform, which was measured to allocate in the loop).
 */
const LONG: number = Direction.Long;
const SHORT: number = Direction.Short;
const FLAT: number = Direction.Flat;

function failLengths(outputs: number, names: number): never {
  throw new ValidationError('outputs', outputs, `got ${outputs} adapter outputs for ${names} strategy names`);
}

function checkUnit(field: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new ValidationError(field, value, `${field} (${String(value)}) must be a number in 0..1`);
  }
}

function checkDuration(field: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ValidationError(field, value, `${field} (${String(value)}) must be a finite number of ms >= 0`);
  }
}

/**
 * Validates a fusion config and fills defaults (entryThreshold 0.5, vetoThreshold 0.5, cooldownMs 0).
 * @throws ValidationError naming the field (`weights.<name>`, `entryThreshold`, ...) with its value.
 */
export function resolveFusionConfig(config: FusionConfig): ResolvedFusionConfig {
  const weights: Record<string, number> = {};
  for (const [name, weight] of Object.entries(config.weights ?? {})) {
    if (!(Number.isFinite(weight) && weight >= 0)) {
      throw new ValidationError(`weights.${name}`, weight, `weight of "${name}" (${String(weight)}) must be a finite number >= 0`);
    }
    weights[name] = weight;
  }
  const resolved: ResolvedFusionConfig = {
    weights: Object.freeze(weights),
    entryThreshold: config.entryThreshold ?? 0.5,
    ttlMs: config.ttlMs,
    cooldownMs: config.cooldownMs ?? 0,
    vetoThreshold: config.vetoThreshold ?? 0.5,
  };
  checkUnit('entryThreshold', resolved.entryThreshold);
  checkUnit('vetoThreshold', resolved.vetoThreshold);
  checkDuration('ttlMs', resolved.ttlMs);
  checkDuration('cooldownMs', resolved.cooldownMs);
  return Object.freeze(resolved);
}

/** Weight 1 for every name: the plain average of the adapters. */
export function equalWeights(names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, 1]));
}

/**
 * Creates the signal fusion component.
 * @throws ValidationError for an invalid config (see {@link resolveFusionConfig}).
 */
export function createSignalFusion(config: FusionConfig): SignalFusion {
  const resolved = resolveFusionConfig(config);
  const { entryThreshold, vetoThreshold, ttlMs } = resolved;
  let cachedNames: readonly string[] | null = null;
  let cachedWeights = new Float64Array(0);
  let cachedTotal = 0;

  function weightsFor(names: readonly string[]): Float64Array {
    if (names === cachedNames) return cachedWeights;
    const weights = new Float64Array(names.length);
    let total = 0;
    // A plain loop, not forEach: a callback capturing `weights` and `total` would make every call,
    // cache hits included, allocate a closure context (48 bytes per candle).
    for (let k = 0; k < names.length; k++) {
      const name = names[k];
      const weight = resolved.weights[name];
      if (weight === undefined) {
        throw new ValidationError(
          'weights',
          name,
          `strategy "${name}" has no fusion weight; weights are given for ${Object.keys(resolved.weights).join(', ') || 'none'}`,
        );
      }
      weights[k] = weight;
      total += weight;
    }
    if (!(total > 0)) {
      throw new ValidationError('weights', names, 'the weights of the fused strategies sum to 0');
    }
    cachedNames = names;
    cachedWeights = weights;
    cachedTotal = total;
    return weights;
  }

  /** One-slot columns per adapter for `fuse`, which runs the column rule on a single row (grown to the widest call seen). */
  const rowColumns: AdapterColumns[] = [];
  const rowFused = createFusedColumns(1);

  function fuse(outputs: readonly AdapterOutput[], names: readonly string[], out: FusedSignal): void {
    if (outputs.length !== names.length) failLengths(outputs.length, names.length);
    while (rowColumns.length < outputs.length) rowColumns.push(createAdapterColumns(1));
    for (let k = 0; k < outputs.length; k++) writeAdapterColumns(rowColumns[k], 0, outputs[k]);
    fuseSlots(rowColumns, outputs.length, names, 1, rowFused);
    readFusedColumns(rowFused, 0, ttlMs, out);
  }

  function fuseColumns(columns: readonly AdapterColumns[], names: readonly string[], count: number, out: FusedColumns): void {
    if (columns.length !== names.length) failLengths(columns.length, names.length);
    if (!(count <= out.capacity)) throw new RangeError(`${count} rows do not fit ${out.capacity} fused slots`);
    for (let k = 0; k < columns.length; k++) if (!(count <= columns[k].capacity)) throw new RangeError(`${count} rows do not fit ${columns[k].capacity} adapter slots`);
    fuseSlots(columns, columns.length, names, count, out);
  }

  /** Slots where an adapter of weight > 0 signalled, in the order first seen (see `fuseSlots`); grown to the largest count fused. */
  let signalledSlots = new Int32Array(0);

  /**
   * The fusion rule (see `fuse`) on slots `0..count-1` of the first `adapters` column sets. Every slot starts flat (net 0,
   * no stop); the weighted sums then run adapter by adapter over all slots (each adapter's two columns read in one pass,
   * no per-slot loop over the adapters, four flat slots skipped at a time), noting each slot an adapter signalled on; only
   * those slots are then fused. Each slot's terms are still added in adapter order, starting from 0, so every sum is bit
   * for bit the row-wise one, and a slot nobody signalled on is exactly what the rule gives it: net 0 / total = 0, flat,
   * strength 0, no stop.
   */
  function fuseSlots(columns: readonly AdapterColumns[], adapters: number, names: readonly string[], count: number, out: FusedColumns): void {
    const weights = weightsFor(names);
    if (signalledSlots.length < count) signalledSlots = new Int32Array(out.capacity > count ? out.capacity : count);
    const slots = signalledSlots;
    const signalled = out.signalled;
    const sums = out.net;
    const fusedSides = out.side;
    const fusedStrengths = out.strength;
    const stopHints = out.stopHint;
    sums.fill(0, 0, count);
    signalled.fill(0, 0, count);
    fusedSides.fill(0, 0, count);
    fusedStrengths.fill(0, 0, count);
    stopHints.fill(NaN, 0, count);
    let found = 0;
    for (let k = 0; k < adapters; k++) {
      const weight = weights[k];
      if (!(weight > 0)) continue;
      const sides = columns[k].side;
      const strengths = columns[k].strength;
      // Four slots a word (`sideWords`), then the slots after the last whole word one by one. The adapters of the
      // benchmark pipeline fire on 2-11 % of the rows, so most words are 0, and testing each slot (a data-dependent
      // branch per slot and adapter) cost more than the rest of the fusion: 8.7 -> 5.7 ns a candle on BTC/USDT 5m
      // (eight slots a test: 6.3; one loop testing a word at every fourth slot: 6.2-6.4).
      const words = columns[k].sideWords;
      const blocks = count >> 2;
      for (let b = 0; b < blocks; b++) {
        if (words[b] === 0) continue;
        for (let s = 4 * b; s < 4 * b + 4; s++) {
          const side = sides[s];
          if (side !== 0) {
            if (signalled[s] === 0) {
              signalled[s] = 1;
              slots[found++] = s;
            }
            sums[s] += weight * side * strengths[s];
          }
        }
      }
      for (let s = 4 * blocks; s < count; s++) {
        const side = sides[s];
        if (side !== 0) {
          if (signalled[s] === 0) {
            signalled[s] = 1;
            slots[found++] = s;
          }
          sums[s] += weight * side * strengths[s];
        }
      }
    }
    for (let j = 0; j < found; j++) {
      const s = slots[j];
      const net = sums[s] / cachedTotal;
      const magnitude = net < 0 ? -net : net;
      const side = net !== 0 && magnitude >= entryThreshold ? (net > 0 ? LONG : SHORT) : FLAT;
      sums[s] = net;
      fusedSides[s] = side;
      fusedStrengths[s] = magnitude;
      if (side === FLAT) continue;
      // Tightest agreeing stop. Tracked with a flag rather than a NaN start value: a number that may
      // be a NaN constant gets boxed by the JIT, one heap allocation per candle.
      let stop = 0;
      let agreed = false;
      for (let k = 0; k < adapters; k++) {
        const c = columns[k];
        const hint = c.stopHint[s];
        if (c.side[s] !== side || !(weights[k] > 0) || hint !== hint) continue;
        if (!agreed || (side === LONG ? hint > stop : hint < stop)) {
          stop = hint;
          agreed = true;
        }
      }
      if (agreed) stopHints[s] = stop;
    }
  }

  function applyVeto(out: FusedSignal, vetoConfidence: number | null): void {
    if (vetoConfidence === null) {
      out.vetoed = false;
      out.vetoConfidence = NaN;
      return;
    }
    if (!(vetoConfidence >= 0 && vetoConfidence <= 1)) {
      throw new ValidationError(
        'vetoConfidence',
        vetoConfidence,
        `veto confidence (${String(vetoConfidence)}) must be a probability in 0..1`,
      );
    }
    out.vetoConfidence = vetoConfidence;
    out.vetoed = out.side !== Direction.Flat && vetoConfidence >= vetoThreshold;
    if (out.vetoed) out.reason = FUSION_REASONS.Vetoed;
  }

  return Object.freeze({ config: resolved, fuse, fuseColumns, applyVeto });
}

/**
 * Converts a fused signal to the domain {@link Signal} handed to risk (allocates: use at the edge,
 * once per actionable signal, not per candle).
 */
export function toSignal(fused: FusedSignal): Signal {
  return {
    side: fused.side === Direction.Long ? SignalSide.Long : fused.side === Direction.Short ? SignalSide.Short : SignalSide.Flat,
    strength: fused.strength,
    stopHint: fused.stopHint,
    ttlMs: fused.ttlMs,
  };
}
