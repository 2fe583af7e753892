/**
 * Trading settings edited from the dashboard: which strategy adapters are enabled, their
 * parameters and fusion weights, the entry threshold, signal TTL and cooldown (the strategy group,
 * editable by traders), and the risk limits (the risk group, editable by admins only, since they
 * bound every loss). Each group is stored under its own key in the settings repository.
 *
 * Validation returns every invalid field at once, keyed by its path (`adapters.ma-crossover.params.fastPeriod`,
 * `risk.maxLeverage`), so a form can show each message next to its input.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { fieldErrorsOf, type FieldErrors } from '../core/validation';
import { riskConfigSchema } from '../risk/risk-engine';
import { createStrategy, defaultParams, STRATEGY_NAMES, STRATEGY_PARAM_SCHEMAS, type StrategyName } from '../strategies/registry';
import { DEFAULT_RISK } from './trading-defaults';

/** Settings keys in the repository. */
export const SettingsKey = { Strategy: 'trading.strategy', Risk: 'trading.risk' } as const;
export type SettingsKey = (typeof SettingsKey)[keyof typeof SettingsKey];

/** Who may change each group (the app's gate enforces it; documented here as the rule). */
export const SETTINGS_GROUP_ROLE = { strategy: 'trader', risk: 'admin' } as const;

const adapterSchema = (name: StrategyName) =>
  z.object({
    enabled: z.boolean(),
    /** Fusion weight, >= 0. */
    weight: z.number({ error: 'expected a number' }).finite('expected a finite number').min(0, 'must be >= 0'),
    params: STRATEGY_PARAM_SCHEMAS[name],
  });

const adaptersShape = Object.fromEntries(STRATEGY_NAMES.map((name) => [name, adapterSchema(name)])) as {
  [N in StrategyName]: ReturnType<typeof adapterSchema>;
};

/** zod schema of {@link StrategySettings}; cross-field checks (fast < slow, at least one weighted adapter) included. */
export const strategySettingsSchema = z
  .object({
    adapters: z.object(adaptersShape),
    /** Minimum |weighted net| to act, 0..1. */
    entryThreshold: z.number({ error: 'expected a number' }).min(0, 'must be >= 0').max(1, 'must be <= 1'),
    /** How long a signal stays actionable, ms. */
    ttlMs: z.number({ error: 'expected a number' }).int('expected whole milliseconds').min(0, 'must be >= 0'),
    /** Minimum time between entries on one symbol, ms. */
    cooldownMs: z.number({ error: 'expected a number' }).int('expected whole milliseconds').min(0, 'must be >= 0'),
    /** Loss probability at or above which the veto model blocks a signal, 0..1. */
    vetoThreshold: z.number({ error: 'expected a number' }).min(0, 'must be >= 0').max(1, 'must be <= 1'),
  })
  .superRefine((value, ctx) => {
    // zod 4 runs this refinement even when fields failed; only check what parsed cleanly.
    let weighted = 0;
    let weightsValid = true;
    for (const name of STRATEGY_NAMES) {
      const adapter = value.adapters?.[name];
      if (!adapter) continue;
      if (!(typeof adapter.weight === 'number' && Number.isFinite(adapter.weight) && adapter.weight >= 0)) weightsValid = false;
      else if (adapter.enabled === true && adapter.weight > 0) weighted++;
      if (!STRATEGY_PARAM_SCHEMAS[name].safeParse(adapter.params).success) continue;
      try {
        createStrategy(name, adapter.params);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const field = Object.keys(STRATEGY_PARAM_SCHEMAS[name].shape).includes(error.field) ? error.field : undefined;
        ctx.addIssue({ code: 'custom', path: ['adapters', name, 'params', ...(field ? [field] : [])], message: error.message.replace(/^field "[^"]*" was .*?: /, '') });
      }
    }
    if (weightsValid && weighted === 0) ctx.addIssue({ code: 'custom', path: ['adapters'], message: 'enable at least one adapter with a weight above 0' });
  });

/** The strategy group. */
export type StrategySettings = z.output<typeof strategySettingsSchema>;

/**
 * zod schema of the risk group: the risk engine's limits without the account id and without the trading costs.
 * Costs (fee, spread, slippage) belong to the account's fee model, not to the limits an admin sets, so every
 * account sizes with what it really pays (`tradingCostsOf`). Groups stored by older versions carry a
 * `feeRateBps` ("fee rate used in sizing"): it still validates and is dropped, not migrated, since a number
 * typed into the limits form is not the account's fee model; it leaves the store on the next save.
 */
export const riskLimitsSchema = riskConfigSchema.omit({ accountId: true, costs: true });

/** The risk group (percent fields are 0..100, 1 = 1 %). */
export type RiskLimits = z.output<typeof riskLimitsSchema>;

/** Both groups. */
export interface TradingSettings {
  strategy: StrategySettings;
  risk: RiskLimits;
}

/** Trading settings plus who changed each group last. */
export interface StoredTradingSettings extends TradingSettings {
  updated: { strategy: { atMs: number; by: string | null } | null; risk: { atMs: number; by: string | null } | null };
}

/** Field path -> messages (the one shape; see `engine/core/validation.ts`). */
export type { FieldErrors };

/** A validation outcome: the parsed value, or every invalid field with its messages. */
export type SettingsValidation<T> = { ok: true; value: T } | { ok: false; fieldErrors: FieldErrors };

/** Defaults: ma-crossover alone (weight 1, its default parameters), threshold 0.5, TTL one hour, no cooldown; risk = the backtest defaults. */
export function defaultTradingSettings(): TradingSettings {
  const adapters = Object.fromEntries(
    STRATEGY_NAMES.map((name) => [name, { enabled: name === 'ma-crossover', weight: 1, params: { ...defaultParams(name) } }]),
  ) as StrategySettings['adapters'];
  const risk = riskLimitsSchema.parse(DEFAULT_RISK);
  return {
    strategy: { adapters, entryThreshold: 0.5, ttlMs: 3_600_000, cooldownMs: 0, vetoThreshold: 0.5 },
    risk,
  };
}

/** Validates the strategy group; every invalid field is reported under `strategy.<path>`. */
export function validateStrategySettings(input: unknown): SettingsValidation<StrategySettings> {
  const parsed = strategySettingsSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsOf(parsed.error, { prefix: 'strategy' }) };
}

/** Validates the risk group; every invalid field is reported under `risk.<field>`. */
export function validateRiskLimits(input: unknown): SettingsValidation<RiskLimits> {
  const parsed = riskLimitsSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsOf(parsed.error, { prefix: 'risk' }) };
}

/**
 * A stored group that no longer validates (e.g. written by an older version) falls back to the
 * defaults rather than stopping the dashboard; the caller logs it.
 */
export function readStoredGroup<T>(stored: unknown, validate: (v: unknown) => SettingsValidation<T>, fallback: T): { value: T; valid: boolean } {
  if (stored === undefined || stored === null) return { value: fallback, valid: true };
  const result = validate(stored);
  return result.ok ? { value: result.value, valid: true } : { value: fallback, valid: false };
}
