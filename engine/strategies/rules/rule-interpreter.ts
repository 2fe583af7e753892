/**
 * The closure interpreter of a rule strategy: every condition one closure specialised for its
 * operator and operand kinds (column against column, column against a constant, a constant comparison
 * decided at compile time; within-N-bars wraps it), every group an array of those closures.
 *
 * It is the reference semantics of the rule language: `compileRuleStrategy` runs the straight-line
 * code of `rule-codegen.ts` instead (faster), and a property test checks both give the same output
 * on random rules and candles. The signal convention is documented in `compile-rule-strategy.ts`.
 */
import type { FeatureFrame } from '../../features/feature-frame';
import { crossDirection, crossDirectionLevel } from '../cross';
import { COMMON_REASONS, Direction, setFlat, type AdapterOutput } from '../strategy-adapter';
import type { RuleCondition, RuleGroup, RuleOperand, RuleOperator, RuleStrategy } from './rule-schema';

/** A rule strategy's evaluate: writes the signal of row `i` into `out` (see `StrategyDefinition.evaluate`). */
export type RuleEvaluate = (f: FeatureFrame, i: number, out: AdapterOutput) => void;

/** What a rule's evaluate needs besides the rule: computed once by `compileRuleStrategy`. */
export interface RuleEvaluateSetup {
  /** First row evaluated; earlier rows are flat with the warm-up reason. */
  readonly warmup: number;
  /** ATR period of an ATR stop (the rule's `stop.atrPeriod` or the default). */
  readonly stopAtrPeriod: number;
  /** The reason written with each outcome (they name the rule). */
  readonly reasons: Readonly<{ long: string; short: string; exitLong: string; exitShort: string }>;
}

/** A column of the frame read by an operand. Re-read on every call: the extractor replaces columns when it grows. */
type Column = (f: FeatureFrame) => Float64Array;
/** A compiled condition: whether it holds at row `j` (rows up to its look-back before `j` exist). */
type Predicate = (f: FeatureFrame, j: number) => boolean;

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
    // The one cross rule of the strategy API (engine/strategies/cross.ts).
    case 'crossesAbove': return (f, j) => crossDirection(L(f), R(f), j) === 1;
    case 'crossesBelow': return (f, j) => crossDirection(L(f), R(f), j) === -1;
  }
}

/** Column against a constant. */
function constantPredicate(op: BinaryOperator, L: Column, v: number): Predicate {
  switch (op) {
    case 'gt': return (f, j) => L(f)[j] > v;
    case 'gte': return (f, j) => L(f)[j] >= v;
    case 'lt': return (f, j) => L(f)[j] < v;
    case 'lte': return (f, j) => L(f)[j] <= v;
    case 'crossesAbove': return (f, j) => crossDirectionLevel(L(f), v, j) === 1;
    case 'crossesBelow': return (f, j) => crossDirectionLevel(L(f), v, j) === -1;
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

/**
 * Builds the closure interpreter of a validated rule.
 * @param rule a rule parsed by `parseRuleStrategy` (not re-validated here).
 */
export function interpretRuleStrategy(rule: RuleStrategy, setup: RuleEvaluateSetup): RuleEvaluate {
  const { warmup, reasons, stopAtrPeriod } = setup;
  const longGroup = compileGroup(rule.long);
  const shortGroup = compileGroup(rule.short);
  const exitLongGroup = compileGroup(rule.exitLong);
  const exitShortGroup = compileGroup(rule.exitShort);
  const hasLong = longGroup.predicates.length > 0;
  const hasShort = shortGroup.predicates.length > 0;
  const hasExitLong = exitLongGroup.predicates.length > 0;
  const hasExitShort = exitShortGroup.predicates.length > 0;
  const atrStop = rule.stop.atrMultiple !== undefined;
  const stopMultiple = rule.stop.atrMultiple ?? 0;
  const stopFraction = (rule.stop.percent ?? 0) / 100;

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
  return evaluate;
}
