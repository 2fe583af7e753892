/**
 * Compiles a rule strategy into a {@link StrategyDefinition}: the same interface a hand-written
 * strategy implements, evaluated over the feature frame's typed arrays.
 *
 * Compilation happens once: the validated rule becomes one straight-line `evaluate` (`rule-codegen.ts`)
 * that reads each feature column once per call into a local and tests the conditions inline on the
 * frame's typed arrays, short-circuiting `all`/`any`; nothing is allocated per candle, and it runs as
 * fast as the same strategy written by hand (`npm run bench -- --only rules`). Its reference semantics
 * is the closure interpreter of `rule-interpreter.ts`; a property test checks both agree.
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
import { defineStrategy, type StrategyDefinition } from '../strategy-api';
import { generateRuleEvaluate } from './rule-codegen';
import type { RuleEvaluateSetup } from './rule-interpreter';
import { parseRuleStrategy, type RuleCondition, type RuleOperand, type RuleStrategy } from './rule-schema';

/** Default ATR period of an ATR stop. */
export const RULE_STOP_ATR_PERIOD = 14;

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

/**
 * What a validated rule needs before it can run: its feature columns and the setup of its evaluate
 * (warm-up, stop ATR period, the reasons naming the rule). Shared by the compiler and the tests that
 * compare the generated evaluate with the closure interpreter.
 */
export function planRuleStrategy(rule: RuleStrategy): { features: FeatureConfig; setup: RuleEvaluateSetup } {
  const { features, warmup } = requirements(rule);
  const setup: RuleEvaluateSetup = Object.freeze({
    warmup,
    stopAtrPeriod: rule.stop.atrPeriod ?? RULE_STOP_ATR_PERIOD,
    reasons: Object.freeze({
      long: `${rule.name}: long entry rules hold`,
      short: `${rule.name}: short entry rules hold`,
      exitLong: `${rule.name}: long exit rules hold`,
      exitShort: `${rule.name}: short exit rules hold`,
    }),
  });
  return { features, setup };
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
  const { features, setup } = planRuleStrategy(rule);
  const { warmup } = setup;
  const exits = rule.exits;
  const summary = rule.description ?? `Rule strategy ${rule.name} (version ${version}).`;

  const evaluate = generateRuleEvaluate(rule, setup);

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
