/**
 * Strategy registry: the names the engine knows, their parameter schemas (zod) and defaults.
 * The app and the job runners create adapters through {@link createStrategy} only.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { reasonOf, validationErrorOf } from '../core/validation';
import { MAX_FEATURE_PERIOD } from '../features/feature-config';
import { DONCHIAN_BREAKOUT_DEFAULTS, createDonchianBreakout } from './donchian-breakout';
import { EMA_TREND_DEFAULTS, createEmaTrend } from './ema-trend';
import { MA_CROSSOVER_DEFAULTS, createMaCrossover } from './ma-crossover';
import { RSI_MEAN_REVERSION_DEFAULTS, createRsiMeanReversion } from './rsi-mean-reversion';
import type { StrategyAdapter } from './strategy-adapter';

/** Every strategy the engine can run. */
export const STRATEGY_NAMES = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

const period = z.number().int().min(1).max(MAX_FEATURE_PERIOD);
const multiple = z.number().finite().positive();
const rsiLevel = z.number().gt(0).lt(100);

/**
 * Parameter schemas per strategy. Every field is optional (defaults fill it); unknown fields are
 * rejected. Cross-field invariants (fast < slow, oversold < overbought) are checked by the factories.
 */
export const STRATEGY_PARAM_SCHEMAS = {
  'ma-crossover': z.strictObject({
    fastPeriod: period.optional(),
    slowPeriod: period.optional(),
    atrPeriod: period.optional(),
    atrStopMultiple: multiple.optional(),
  }),
  'rsi-mean-reversion': z.strictObject({
    period: period.optional(),
    oversold: rsiLevel.optional(),
    overbought: rsiLevel.optional(),
    atrPeriod: period.optional(),
    atrStopMultiple: multiple.optional(),
  }),
  'ema-trend': z.strictObject({
    period: period.optional(),
    atrPeriod: period.optional(),
    atrStopMultiple: multiple.optional(),
  }),
  'donchian-breakout': z.strictObject({
    period: period.optional(),
    atrPeriod: period.optional(),
  }),
} as const satisfies Record<StrategyName, z.ZodType>;

const DEFAULTS = {
  'ma-crossover': MA_CROSSOVER_DEFAULTS,
  'rsi-mean-reversion': RSI_MEAN_REVERSION_DEFAULTS,
  'ema-trend': EMA_TREND_DEFAULTS,
  'donchian-breakout': DONCHIAN_BREAKOUT_DEFAULTS,
} as const satisfies Record<StrategyName, object>;

/** Default parameters per strategy name. */
export type StrategyDefaults = typeof DEFAULTS;

/** True when `name` is one of {@link STRATEGY_NAMES}. */
export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/**
 * Narrows a strategy name.
 * @throws ValidationError on field "strategy": `strategy "foo" is not known; expected one of ...`.
 */
export function parseStrategyName(name: string): StrategyName {
  if (isStrategyName(name)) return name;
  throw new ValidationError(
    'strategy',
    name,
    `strategy "${name}" is not known; expected one of ${STRATEGY_NAMES.join(', ')}`,
  );
}

/**
 * The frozen default parameters of a strategy.
 * @throws ValidationError when the name is not known.
 */
export function defaultParams<Name extends StrategyName>(name: Name): StrategyDefaults[Name];
export function defaultParams(name: string): StrategyDefaults[StrategyName];
export function defaultParams(name: string): StrategyDefaults[StrategyName] {
  return DEFAULTS[parseStrategyName(name)];
}

/**
 * Creates a strategy adapter by name from untrusted parameters (`undefined` means all defaults).
 * @throws ValidationError naming the field: `strategy` for an unknown name, the parameter name for
 *   a wrong type or range (zod's reason), all unknown keys for unexpected fields, and the factories'
 *   invariant errors (e.g. `fastPeriod (50) must be below slowPeriod (20)`).
 */
export function createStrategy(name: string, params: unknown): StrategyAdapter {
  const strategy = parseStrategyName(name);
  const input = params === undefined ? {} : params;
  switch (strategy) {
    case 'ma-crossover':
      return createMaCrossover(parseParams(strategy, STRATEGY_PARAM_SCHEMAS[strategy], input));
    case 'rsi-mean-reversion':
      return createRsiMeanReversion(parseParams(strategy, STRATEGY_PARAM_SCHEMAS[strategy], input));
    case 'ema-trend':
      return createEmaTrend(parseParams(strategy, STRATEGY_PARAM_SCHEMAS[strategy], input));
    case 'donchian-breakout':
      return createDonchianBreakout(parseParams(strategy, STRATEGY_PARAM_SCHEMAS[strategy], input));
  }
}

function parseParams<Schema extends z.ZodType>(strategy: StrategyName, schema: Schema, input: unknown): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const error = validationErrorOf(parsed.error, input, { root: 'params' });
  throw new ValidationError(error.field, error.value, `${strategy} parameter ${error.field}: ${reasonOf(error)}`);
}

/** What one strategy tells a trader about itself, for API clients and forms. */
export interface StrategyDescription {
  name: StrategyName;
  /** One line: what the strategy trades on. */
  summary: string;
  /**
   * Its parameters as JSON Schema (draft 2020-12, from the zod schema {@link createStrategy} parses
   * with); each property carries its `default`. Cross-field rules (fast < slow) are in `summary`.
   */
  paramsSchema: Record<string, unknown>;
  /** The parameters used when a field is left out. */
  defaults: Record<string, number>;
}

const SUMMARIES: Record<StrategyName, string> = {
  'ma-crossover': 'Long when the fast SMA crosses above the slow SMA, short on the cross below (fastPeriod must be below slowPeriod); ATR stop.',
  'rsi-mean-reversion': 'Long when RSI leaves the oversold level upwards, short when it leaves overbought downwards (oversold must be below overbought); ATR stop.',
  'ema-trend': 'Long while the close is above a rising EMA, short while below a falling one; ATR stop.',
  'donchian-breakout': 'Long on a close above the prior Donchian channel high, short below its low; ATR-based strength.',
};

/** Every strategy the engine can run, in {@link STRATEGY_NAMES} order, with its parameter schema and defaults. */
export function describeStrategies(): StrategyDescription[] {
  return STRATEGY_NAMES.map((name) => {
    const defaults: Record<string, number> = { ...DEFAULTS[name] };
    const paramsSchema = z.toJSONSchema(STRATEGY_PARAM_SCHEMAS[name], { io: 'input' }) as Record<string, unknown>;
    const properties = (paramsSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, value] of Object.entries(defaults)) if (properties[key]) properties[key].default = value;
    return { name, summary: SUMMARIES[name], paramsSchema, defaults };
  });
}
