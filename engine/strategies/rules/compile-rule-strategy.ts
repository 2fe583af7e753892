/**
 * Compiles a rule strategy into a {@link StrategyDefinition}: the same interface a hand-written
 * strategy implements, evaluated over the feature frame's typed arrays.
 *
 * Compilation happens once: every condition becomes one closure specialised for its operator and
 * operand kinds (column against column, column against a constant, a constant comparison decided
 * at compile time; within-N-bars wraps it), every group an array of those closures. `evaluate`
 * calls them with the row index; they read the frame's typed arrays directly and return booleans,
 * so nothing is allocated per candle (`scripts/bench.ts` compares it with a hand-written strategy).
 *
 * Signal convention:
 * - side: long when the long group holds and the short group does not, short in the mirror case,
 *   flat otherwise (no entry group, or both hold: conflicting rules say nothing).
 * - strength: 1 when an entry fires (every condition of an `all` group, or one of an `any` group,
 *   holds: a rule is a yes/no statement, so a fired rule is fully convinced), 0 when flat.
 * - stopHint: close ∓ atrMultiple × ATR(atrPeriod) (NaN when the ATR is 0) or close × (1 ∓ percent/100).
 * - exit: 1 when the exitLong group holds, else -1 when the exitShort group holds, else 0.
 * - warm-up: the first row on which every operand of every condition, over its look-back
 *   (previous bar for crosses, `bars` for rising/falling, `withinBars - 1` more bars), and the stop's
 *   ATR are defined.
 */
import { z } from 'zod';
import type { FeatureConfig } from '../../features/feature-config';
import type { FeatureFrame } from '../../features/feature-frame';
import { COMMON_REASONS, Direction, setFlat, type AdapterOutput } from '../strategy-adapter';
import { defineStrategy, type StrategyDefinition } from '../strategy-api';
import { parseRuleStrategy, type RuleCondition, type RuleGroup, type RuleOperand, type RuleOperator, type RuleStrategy } from './rule-schema';

/** Default ATR period of an ATR stop. */
export const RULE_STOP_ATR_PERIOD = 14;

/** A column of the frame read by an operand. Re-read on every call: the extractor replaces columns when it grows. */
type Column = (f: FeatureFrame) => Float64Array;
/** A compiled condition: whether it holds at row `j` (rows up to its look-back before `j` exist). */
type Predicate = (f: FeatureFrame, j: number) => boolean;

/** First row on which an operand is defined (feature-frame warm-ups). */
function operandWarmup(o: RuleOperand): number {
  if (o.indicator === undefined) return 0;
  const p = o.period!;
  return o.indicator === 'sma' || o.indicator === 'ema' || o.indicator === 'atr' ? p - 1 : p;
}

/** Extra rows a condition looks back beyond the operands' own warm-up. */
function conditionLookback(c: RuleCondition): number {
  const within = (c.withinBars ?? 1) - 1;
  if (c.op === 'crossesAbove' || c.op === 'crossesBelow') return 1 + within;
  if (c.op === 'rising' || c.op === 'falling') return (c.bars ?? 1) + within;
  return within;
}

/** The column an operand reads, or null for a constant. */
function columnOf(o: RuleOperand): Column | null {
  if (o.value !== undefined) return null;
  switch (o.price) {
    case 'open': return (f) => f.open;
    case 'high': return (f) => f.high;
    case 'low': return (f) => f.low;
    case 'close': return (f) => f.close;
    case 'volume': return (f) => f.volume;
  }
  const p = o.period!;
  switch (o.indicator!) {
    case 'sma': return (f) => f.sma[p];
    case 'ema': return (f) => f.ema[p];
    case 'rsi': return (f) => f.rsi[p];
    case 'atr': return (f) => f.atr[p];
    case 'donchianUpper': return (f) => f.donchianUpper[p];
    case 'donchianLower': return (f) => f.donchianLower[p];
  }
}

type BinaryOperator = Exclude<RuleOperator, 'rising' | 'falling'>;

/** `v op column` as `column op' v`: comparisons flip, a constant crossing above a column is the column crossing below it. */
const MIRRORED: Record<BinaryOperator, BinaryOperator> = { gt: 'lt', gte: 'lte', lt: 'gt', lte: 'gte', crossesAbove: 'crossesBelow', crossesBelow: 'crossesAbove' };

/** Column against column, one specialised closure per operator. */
function columnsPredicate(op: BinaryOperator, L: Column, R: Column): Predicate {
  switch (op) {
    case 'gt': return (f, j) => L(f)[j] > R(f)[j];
    case 'gte': return (f, j) => L(f)[j] >= R(f)[j];
    case 'lt': return (f, j) => L(f)[j] < R(f)[j];
    case 'lte': return (f, j) => L(f)[j] <= R(f)[j];
    case 'crossesAbove':
      return (f, j) => {
        const l = L(f);
        const r = R(f);
        return l[j - 1] <= r[j - 1] && l[j] > r[j];
      };
    case 'crossesBelow':
      return (f, j) => {
        const l = L(f);
        const r = R(f);
        return l[j - 1] >= r[j - 1] && l[j] < r[j];
      };
  }
}

/** Column against a constant. */
function constantPredicate(op: BinaryOperator, L: Column, v: number): Predicate {
  switch (op) {
    case 'gt': return (f, j) => L(f)[j] > v;
    case 'gte': return (f, j) => L(f)[j] >= v;
    case 'lt': return (f, j) => L(f)[j] < v;
    case 'lte': return (f, j) => L(f)[j] <= v;
    case 'crossesAbove':
      return (f, j) => {
        const l = L(f);
        return l[j - 1] <= v && l[j] > v;
      };
    case 'crossesBelow':
      return (f, j) => {
        const l = L(f);
        return l[j - 1] >= v && l[j] < v;
      };
  }
}

/** Two constants: the comparison is decided once; constants never cross. */
function fixedPredicate(op: BinaryOperator, a: number, b: number): Predicate {
  const holds = op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : op === 'lte' ? a <= b : false;
  return () => holds;
}

/** Compiles one condition into a predicate (closures built once; nothing allocated when it runs). */
function compileCondition(c: RuleCondition): Predicate {
  const L = columnOf(c.left);
  let at: Predicate;
  if (c.op === 'rising' || c.op === 'falling') {
    // The schema refuses a constant on the left of rising/falling.
    const col = L!;
    const bars = c.bars ?? 1;
    at = c.op === 'rising' ? (f, j) => col(f)[j] > col(f)[j - bars] : (f, j) => col(f)[j] < col(f)[j - bars];
  } else {
    const R = columnOf(c.right!);
    const op = c.op;
    if (L && R) at = columnsPredicate(op, L, R);
    else if (L) at = constantPredicate(op, L, c.right!.value!);
    else if (R) at = constantPredicate(MIRRORED[op], R, c.left.value!);
    else at = fixedPredicate(op, c.left.value!, c.right!.value!);
  }
  const within = c.withinBars ?? 1;
  if (within === 1) return at;
  return (f, j) => {
    for (let k = 0; k < within; k++) if (at(f, j - k)) return true;
    return false;
  };
}

/** A compiled group: its predicates and whether one (any) or all must hold. */
interface CompiledGroup {
  predicates: readonly Predicate[];
  any: boolean;
}

function compileGroup(group: RuleGroup | undefined): CompiledGroup {
  if (!group) return { predicates: [], any: false };
  return { predicates: (group.all ?? group.any ?? []).map(compileCondition), any: group.any !== undefined };
}

/** Whether a group holds at row i (an empty group never does). */
function groupHolds(g: CompiledGroup, f: FeatureFrame, i: number): boolean {
  const n = g.predicates.length;
  if (n === 0) return false;
  if (g.any) {
    for (let k = 0; k < n; k++) if (g.predicates[k](f, i)) return true;
    return false;
  }
  for (let k = 0; k < n; k++) if (!g.predicates[k](f, i)) return false;
  return true;
}

/** The indicator columns and the warm-up a rule needs. */
function requirements(rule: RuleStrategy): { features: FeatureConfig; warmup: number } {
  const periods: Record<'sma' | 'ema' | 'rsi' | 'atr' | 'donchian', Set<number>> = { sma: new Set(), ema: new Set(), rsi: new Set(), atr: new Set(), donchian: new Set() };
  const need = (o: RuleOperand | undefined) => {
    if (o?.indicator === undefined) return;
    periods[o.indicator === 'donchianUpper' || o.indicator === 'donchianLower' ? 'donchian' : o.indicator].add(o.period!);
  };
  let warmup = 0;
  for (const group of [rule.long, rule.short, rule.exitLong, rule.exitShort]) {
    for (const c of group?.all ?? group?.any ?? []) {
      need(c.left);
      need(c.right);
      warmup = Math.max(warmup, Math.max(operandWarmup(c.left), c.right ? operandWarmup(c.right) : 0) + conditionLookback(c));
    }
  }
  if (rule.stop.atrMultiple !== undefined) {
    const atrPeriod = rule.stop.atrPeriod ?? RULE_STOP_ATR_PERIOD;
    periods.atr.add(atrPeriod);
    warmup = Math.max(warmup, atrPeriod - 1);
  }
  const features: FeatureConfig = Object.freeze(
    Object.fromEntries(
      Object.entries(periods)
        .filter(([, set]) => set.size > 0)
        .map(([kind, set]) => [kind, Object.freeze([...set].sort((a, b) => a - b))]),
    ),
  );
  return { features, warmup };
}

/** No params: a rule strategy's numbers live in its rules (edit the rule to change them). */
const NO_PARAMS = z.strictObject({});

/**
 * Compiles a rule strategy (parsed or untrusted) into a strategy definition named like the rule.
 * @param version the stored version number (the definition's version is its decimal text).
 * @throws ValidationError naming the first invalid field of the rule (see `parseRuleStrategy`).
 */
export function compileRuleStrategy(input: unknown, version: number): StrategyDefinition {
  const rule = parseRuleStrategy(input);
  const { features, warmup } = requirements(rule);
  const longGroup = compileGroup(rule.long);
  const shortGroup = compileGroup(rule.short);
  const exitLongGroup = compileGroup(rule.exitLong);
  const exitShortGroup = compileGroup(rule.exitShort);
  const hasLong = longGroup.predicates.length > 0;
  const hasShort = shortGroup.predicates.length > 0;
  const hasExitLong = exitLongGroup.predicates.length > 0;
  const hasExitShort = exitShortGroup.predicates.length > 0;
  const atrStop = rule.stop.atrMultiple !== undefined;
  const stopAtrPeriod = rule.stop.atrPeriod ?? RULE_STOP_ATR_PERIOD;
  const stopMultiple = rule.stop.atrMultiple ?? 0;
  const stopFraction = (rule.stop.percent ?? 0) / 100;
  const reasons = Object.freeze({
    long: `${rule.name}: long entry rules hold`,
    short: `${rule.name}: short entry rules hold`,
    exitLong: `${rule.name}: long exit rules hold`,
    exitShort: `${rule.name}: short exit rules hold`,
  });
  const exits = rule.exits;
  const summary = rule.description ?? `Rule strategy ${rule.name} (version ${version}).`;

  function evaluate(f: FeatureFrame, i: number, out: AdapterOutput): void {
    if (i < warmup) return setFlat(out, COMMON_REASONS.WarmUp);
    const long = hasLong && groupHolds(longGroup, f, i);
    const short = hasShort && groupHolds(shortGroup, f, i);
    let exit: Direction = Direction.Flat;
    if (hasExitLong && groupHolds(exitLongGroup, f, i)) exit = Direction.Long;
    else if (hasExitShort && groupHolds(exitShortGroup, f, i)) exit = Direction.Short;
    if (long === short) {
      setFlat(out, exit === Direction.Long ? reasons.exitLong : exit === Direction.Short ? reasons.exitShort : COMMON_REASONS.NoSignal);
      out.exit = exit;
      return;
    }
    const side: Direction = long ? Direction.Long : Direction.Short;
    out.side = side;
    out.strength = 1;
    out.reason = long ? reasons.long : reasons.short;
    out.exit = exit;
    const close = f.close[i];
    if (atrStop) {
      const atr = f.atr[stopAtrPeriod][i];
      if (atr > 0) out.stopHint = close - side * stopMultiple * atr;
      else out.stopHint = NaN;
    } else {
      out.stopHint = close * (1 - side * stopFraction);
    }
  }

  return defineStrategy({
    name: rule.name,
    version: String(version),
    summary,
    params: NO_PARAMS,
    indicators: () => features,
    warmup: () => warmup,
    ...(exits ? { exits: () => exits } : {}),
    evaluate,
  });
}
