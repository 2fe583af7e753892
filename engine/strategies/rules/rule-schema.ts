/**
 * The rule language: a strategy composed without code from conditions on indicators and prices,
 * for long and short entries and for exits, with a protective stop and the exit policy of
 * `exit-policy.ts`. One zod schema, used by the engine (save, compile), the API and the editor
 * (the same schema runs in the browser as the trader edits).
 *
 * ```json
 * { "name": "sma-cross", "long": { "all": [{ "left": { "indicator": "sma", "period": 20 }, "op": "crossesAbove", "right": { "indicator": "sma", "period": 50 } }] },
 *   "stop": { "atrMultiple": 2 } }
 * ```
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { validationErrorOf } from '../../core/validation';
import { ExitPolicySchema } from '../exit-policy';
import { STRATEGY_NAME_PATTERN } from '../strategy-api';

/** Largest indicator period, bar count or look-back a rule may use (candles). */
export const MAX_RULE_PERIOD = 1000;

/** Indicators an operand may read (columns of the feature frame). */
export const RULE_INDICATORS = ['sma', 'ema', 'rsi', 'atr', 'donchianUpper', 'donchianLower'] as const;
export type RuleIndicator = (typeof RULE_INDICATORS)[number];

/** Candle fields an operand may read. */
export const RULE_PRICES = ['open', 'high', 'low', 'close', 'volume'] as const;
export type RulePrice = (typeof RULE_PRICES)[number];

/**
 * Condition operators.
 * - `crossesAbove`: left was at or below right on the previous bar and is above it now; `crossesBelow` mirrors it.
 * - `gt`, `gte`, `lt`, `lte`: left compared with right on the bar.
 * - `rising` / `falling`: left now is above / below left `bars` bars ago (no right operand).
 */
export const RULE_OPERATORS = ['crossesAbove', 'crossesBelow', 'gt', 'gte', 'lt', 'lte', 'rising', 'falling'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

/** Operators that compare left with right (all but rising/falling). */
export const BINARY_RULE_OPERATORS: readonly RuleOperator[] = ['crossesAbove', 'crossesBelow', 'gt', 'gte', 'lt', 'lte'];

const rulePeriod = z.number().int().min(1).max(MAX_RULE_PERIOD);

/**
 * One operand, exactly one of:
 * `{ indicator, period }` (an indicator column), `{ price }` (a candle field), `{ value }` (a constant).
 */
export const RuleOperandSchema = z
  .strictObject({
    indicator: z.enum(RULE_INDICATORS).optional(),
    period: rulePeriod.optional(),
    price: z.enum(RULE_PRICES).optional(),
    value: z.number().finite().optional(),
  })
  .superRefine((o, ctx) => {
    const kinds = (['indicator', 'price', 'value'] as const).filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', path: kinds.length === 0 ? ['indicator'] : [kinds[1]], message: 'give exactly one of indicator (with period), price and value' });
      return;
    }
    if (o.indicator !== undefined && o.period === undefined) ctx.addIssue({ code: 'custom', path: ['period'], message: `indicator "${o.indicator}" needs a period (1..${MAX_RULE_PERIOD})` });
    if (o.indicator === undefined && o.period !== undefined) ctx.addIssue({ code: 'custom', path: ['period'], message: 'a period goes with an indicator only' });
  });
export type RuleOperandInput = z.input<typeof RuleOperandSchema>;

/** One condition: `left op right`, or `left rising|falling over bars`; `withinBars` widens it to "held on any of the last N bars". */
export const RuleConditionSchema = z
  .strictObject({
    left: RuleOperandSchema,
    op: z.enum(RULE_OPERATORS),
    right: RuleOperandSchema.optional(),
    bars: rulePeriod.optional().meta({ description: 'rising/falling: compare with the value this many bars ago (default 1).' }),
    withinBars: rulePeriod.optional().meta({ description: 'True when the condition held on any of the last N bars (1 = this bar only).' }),
  })
  .superRefine((c, ctx) => {
    const binary = BINARY_RULE_OPERATORS.includes(c.op);
    if (binary && c.right === undefined) ctx.addIssue({ code: 'custom', path: ['right'], message: `operator "${c.op}" needs a right operand` });
    if (!binary && c.right !== undefined) ctx.addIssue({ code: 'custom', path: ['right'], message: `operator "${c.op}" takes no right operand (use bars)` });
    if (binary && c.bars !== undefined) ctx.addIssue({ code: 'custom', path: ['bars'], message: `bars goes with rising/falling only, not "${c.op}"` });
    if (!binary && c.left.value !== undefined) ctx.addIssue({ code: 'custom', path: ['left'], message: 'a constant never rises or falls; pick an indicator or a price' });
  });
export type RuleConditionInput = z.input<typeof RuleConditionSchema>;

const conditions = z.array(RuleConditionSchema).min(1, 'give at least one condition').max(20);

/** A group of conditions: `{ all: [...] }` holds when every condition holds, `{ any: [...] }` when one does. */
export const RuleGroupSchema = z
  .strictObject({ all: conditions.optional(), any: conditions.optional() })
  .superRefine((g, ctx) => {
    if ((g.all === undefined) === (g.any === undefined)) ctx.addIssue({ code: 'custom', path: ['all'], message: 'give exactly one of all and any' });
  });
export type RuleGroupInput = z.input<typeof RuleGroupSchema>;

/** The protective stop: `atrMultiple` × ATR(`atrPeriod`, default 14) or `percent` % from the entry close. */
export const RuleStopSchema = z
  .strictObject({
    atrMultiple: z.number().finite().positive().max(100).optional(),
    atrPeriod: rulePeriod.optional(),
    percent: z.number().finite().positive().lt(100).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.atrMultiple === undefined) === (s.percent === undefined)) ctx.addIssue({ code: 'custom', path: ['atrMultiple'], message: 'give exactly one of atrMultiple and percent' });
    if (s.percent !== undefined && s.atrPeriod !== undefined) ctx.addIssue({ code: 'custom', path: ['atrPeriod'], message: 'atrPeriod goes with atrMultiple only' });
  });

/** The fields of a rule strategy, without the cross-field checks (see {@link RuleStrategySchema}). */
export const ruleStrategyShape = {
  name: z.string().regex(STRATEGY_NAME_PATTERN, 'lowercase letters, digits and dashes, starting with a letter (2..63 characters)'),
  description: z.string().max(500).optional(),
  long: RuleGroupSchema.optional(),
  short: RuleGroupSchema.optional(),
  exitLong: RuleGroupSchema.optional(),
  exitShort: RuleGroupSchema.optional(),
  stop: RuleStopSchema,
  exits: ExitPolicySchema.optional(),
};

/** A rule strategy needs an entry: a long or a short group. */
export function checkRuleEntry(rule: { long?: unknown; short?: unknown }, ctx: z.RefinementCtx): void {
  if (rule.long === undefined && rule.short === undefined) {
    ctx.addIssue({ code: 'custom', path: ['long'], message: 'a rule strategy needs an entry condition: give a long or a short group' });
  }
}

/** A complete rule strategy (what is stored, versioned, and compiled). */
export const RuleStrategySchema = z.strictObject(ruleStrategyShape).superRefine(checkRuleEntry);
export type RuleStrategy = z.output<typeof RuleStrategySchema>;
export type RuleStrategyInput = z.input<typeof RuleStrategySchema>;
export type RuleOperand = z.output<typeof RuleOperandSchema>;
export type RuleCondition = z.output<typeof RuleConditionSchema>;
export type RuleGroup = z.output<typeof RuleGroupSchema>;

/**
 * Parses an untrusted rule strategy.
 * @throws ValidationError naming the first invalid field by its path (`long.all.0.left.period`) and the value there.
 */
export function parseRuleStrategy(input: unknown): RuleStrategy {
  const parsed = RuleStrategySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw validationErrorOf(parsed.error, input);
}

/** Every field error of an untrusted rule strategy, keyed by path (for the editor); empty when valid. */
export function ruleStrategyErrors(input: unknown): Record<string, string[]> {
  const parsed = RuleStrategySchema.safeParse(input);
  if (parsed.success) return {};
  const out: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of paths) (out[path.map(String).join('.') || 'rule'] ??= []).push(issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message);
  }
  return out;
}

/** The ValidationError (field `name`) of a rule named like a strategy of another source. */
export function nameTakenError(name: string, source: string): ValidationError {
  return new ValidationError('name', name, `the name "${name}" is taken by a ${source} strategy`);
}
