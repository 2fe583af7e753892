/**
 * Compiles a rule strategy into a {@link StrategyDefinition}: the same interface a hand-written
 * strategy implements, evaluated over the feature frame's typed arrays.
 *
 * Compilation happens once: every condition becomes a row of flat typed arrays (operand kinds,
 * periods and constants, operator codes, look-backs), every group a range of condition rows. The
 * `evaluate` of the definition walks those arrays with integer switches and reads the frame's
 * columns directly; it allocates nothing per candle, so a rule strategy runs at the speed of a
 * hand-written one (`scripts/bench.ts` measures both).
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
import { parseRuleStrategy, type RuleCondition, type RuleGroup, type RuleOperand, type RuleStrategy } from './rule-schema';

/** Default ATR period of an ATR stop. */
export const RULE_STOP_ATR_PERIOD = 14;

/** Operand kinds in the compiled arrays. */
const K = { Value: 0, Open: 1, High: 2, Low: 3, Close: 4, Volume: 5, Sma: 6, Ema: 7, Rsi: 8, Atr: 9, DonchianUpper: 10, DonchianLower: 11 } as const;
/** Operator codes in the compiled arrays. */
const O = { CrossesAbove: 0, CrossesBelow: 1, Gt: 2, Gte: 3, Lt: 4, Lte: 5, Rising: 6, Falling: 7 } as const;

const OPERATOR_CODE: Record<RuleCondition['op'], number> = {
  crossesAbove: O.CrossesAbove,
  crossesBelow: O.CrossesBelow,
  gt: O.Gt,
  gte: O.Gte,
  lt: O.Lt,
  lte: O.Lte,
  rising: O.Rising,
  falling: O.Falling,
};
const PRICE_KIND = { open: K.Open, high: K.High, low: K.Low, close: K.Close, volume: K.Volume } as const;
const INDICATOR_KIND = { sma: K.Sma, ema: K.Ema, rsi: K.Rsi, atr: K.Atr, donchianUpper: K.DonchianUpper, donchianLower: K.DonchianLower } as const;

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

/** Column of an operand kind/period in the frame; null for a constant. Columns are re-read on every call (the extractor may replace them). */
function columnOf(f: FeatureFrame, kind: number, period: number): Float64Array | null {
  switch (kind) {
    case K.Open: return f.open;
    case K.High: return f.high;
    case K.Low: return f.low;
    case K.Close: return f.close;
    case K.Volume: return f.volume;
    case K.Sma: return f.sma[period];
    case K.Ema: return f.ema[period];
    case K.Rsi: return f.rsi[period];
    case K.Atr: return f.atr[period];
    case K.DonchianUpper: return f.donchianUpper[period];
    case K.DonchianLower: return f.donchianLower[period];
    default: return null;
  }
}

/** The compiled, flat form of a rule's conditions. Group g spans conditions groupStart[g]..groupEnd[g]-1. */
interface Program {
  leftKind: Int32Array;
  leftPeriod: Int32Array;
  leftValue: Float64Array;
  rightKind: Int32Array;
  rightPeriod: Int32Array;
  rightValue: Float64Array;
  op: Int32Array;
  bars: Int32Array;
  within: Int32Array;
}

/** Group slots: long, short, exitLong, exitShort. */
const G = { Long: 0, Short: 1, ExitLong: 2, ExitShort: 3 } as const;

function compileProgram(rule: RuleStrategy): { program: Program; groupStart: Int32Array; groupEnd: Int32Array; groupAny: Uint8Array; features: FeatureConfig; warmup: number } {
  const groups: (RuleGroup | undefined)[] = [rule.long, rule.short, rule.exitLong, rule.exitShort];
  const all: RuleCondition[] = [];
  const groupStart = new Int32Array(4);
  const groupEnd = new Int32Array(4);
  const groupAny = new Uint8Array(4);
  groups.forEach((group, g) => {
    groupStart[g] = all.length;
    if (group) {
      all.push(...(group.all ?? group.any ?? []));
      groupAny[g] = group.any !== undefined ? 1 : 0;
    }
    groupEnd[g] = all.length;
  });
  const n = all.length;
  const program: Program = {
    leftKind: new Int32Array(n),
    leftPeriod: new Int32Array(n),
    leftValue: new Float64Array(n),
    rightKind: new Int32Array(n),
    rightPeriod: new Int32Array(n),
    rightValue: new Float64Array(n),
    op: new Int32Array(n),
    bars: new Int32Array(n),
    within: new Int32Array(n),
  };
  const periods: Record<'sma' | 'ema' | 'rsi' | 'atr' | 'donchian', Set<number>> = { sma: new Set(), ema: new Set(), rsi: new Set(), atr: new Set(), donchian: new Set() };
  const encode = (o: RuleOperand): [number, number, number] => {
    if (o.value !== undefined) return [K.Value, 0, o.value];
    if (o.price !== undefined) return [PRICE_KIND[o.price], 0, 0];
    const indicator = o.indicator!;
    const period = o.period!;
    periods[indicator === 'donchianUpper' || indicator === 'donchianLower' ? 'donchian' : indicator].add(period);
    return [INDICATOR_KIND[indicator], period, 0];
  };
  let warmup = 0;
  all.forEach((c, k) => {
    [program.leftKind[k], program.leftPeriod[k], program.leftValue[k]] = encode(c.left);
    if (c.right) [program.rightKind[k], program.rightPeriod[k], program.rightValue[k]] = encode(c.right);
    program.op[k] = OPERATOR_CODE[c.op];
    program.bars[k] = c.bars ?? 1;
    program.within[k] = c.withinBars ?? 1;
    const operands = Math.max(operandWarmup(c.left), c.right ? operandWarmup(c.right) : 0);
    warmup = Math.max(warmup, operands + conditionLookback(c));
  });
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
  return { program, groupStart, groupEnd, groupAny, features, warmup };
}

/** Whether condition `c` holds at row `j` (rows j - lookback .. j are within the frame). */
function holdsAt(f: FeatureFrame, p: Program, c: number, j: number): boolean {
  const L = columnOf(f, p.leftKind[c], p.leftPeriod[c]);
  const op = p.op[c];
  if (op === O.Rising || op === O.Falling) {
    if (L === null) return false;
    const back = j - p.bars[c];
    if (back < 0) return false;
    return op === O.Rising ? L[j] > L[back] : L[j] < L[back];
  }
  const R = columnOf(f, p.rightKind[c], p.rightPeriod[c]);
  const l = L === null ? p.leftValue[c] : L[j];
  const r = R === null ? p.rightValue[c] : R[j];
  switch (op) {
    case O.Gt: return l > r;
    case O.Gte: return l >= r;
    case O.Lt: return l < r;
    case O.Lte: return l <= r;
    default: {
      if (j < 1) return false;
      const lBefore = L === null ? p.leftValue[c] : L[j - 1];
      const rBefore = R === null ? p.rightValue[c] : R[j - 1];
      return op === O.CrossesAbove ? lBefore <= rBefore && l > r : lBefore >= rBefore && l < r;
    }
  }
}

/** Whether condition `c` held on any of rows i - within + 1 .. i. */
function conditionHolds(f: FeatureFrame, p: Program, c: number, i: number): boolean {
  const within = p.within[c];
  for (let k = 0; k < within && k <= i; k++) if (holdsAt(f, p, c, i - k)) return true;
  return false;
}

function groupHolds(f: FeatureFrame, p: Program, start: number, end: number, any: number, i: number): boolean {
  if (start === end) return false;
  if (any === 1) {
    for (let c = start; c < end; c++) if (conditionHolds(f, p, c, i)) return true;
    return false;
  }
  for (let c = start; c < end; c++) if (!conditionHolds(f, p, c, i)) return false;
  return true;
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
  const { program, groupStart, groupEnd, groupAny, features, warmup } = compileProgram(rule);
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
    const long = groupHolds(f, program, groupStart[G.Long], groupEnd[G.Long], groupAny[G.Long], i);
    const short = groupHolds(f, program, groupStart[G.Short], groupEnd[G.Short], groupAny[G.Short], i);
    let exit: Direction = Direction.Flat;
    if (groupHolds(f, program, groupStart[G.ExitLong], groupEnd[G.ExitLong], groupAny[G.ExitLong], i)) exit = Direction.Long;
    else if (groupHolds(f, program, groupStart[G.ExitShort], groupEnd[G.ExitShort], groupAny[G.ExitShort], i)) exit = Direction.Short;
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
