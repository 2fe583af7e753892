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
import { fieldErrorsOf, reasonOf, type FieldErrors } from '../core/validation';
import { riskConfigSchema } from '../risk/risk-engine';
import { DEFAULT_STRATEGY_NAME } from '../strategies/built-in-strategies';
import { parseStrategyParams, type StrategyCatalog } from '../strategies/strategy-catalog';
import { formatDurationMs } from '../core/duration';
import { DEFAULT_RISK, ONE_CANDLE_TTL_TEXT } from './trading-defaults';

export { ONE_CANDLE_TTL_TEXT };

/** Settings keys in the repository. */
export const SettingsKey = { Strategy: 'trading.strategy', Risk: 'trading.risk' } as const;
export type SettingsKey = (typeof SettingsKey)[keyof typeof SettingsKey];

/** Who may change each group (the app's gate enforces it; documented here as the rule). */
export const SETTINGS_GROUP_ROLE = { strategy: 'trader', risk: 'admin' } as const;

const adapterSchema = z.object({
  enabled: z.boolean(),
  /** Fusion weight, >= 0. */
  weight: z.number({ error: 'expected a number' }).finite('expected a finite number').min(0, 'must be >= 0'),
  /** Parameters of the strategy (checked against its catalog entry's schema). */
  params: z.record(z.string(), z.unknown()),
});

/**
 * zod schema of the shape of {@link StrategySettings}: adapters keyed by any strategy name. The names,
 * their params and the cross-field rules are checked against the catalog by {@link validateStrategySettings}.
 */
export const strategySettingsSchema = z.object({
  adapters: z.record(z.string(), adapterSchema),
  /** Minimum |weighted net| to act, 0..1. */
  entryThreshold: z.number({ error: 'expected a number' }).min(0, 'must be >= 0').max(1, 'must be <= 1'),
  /**
   * How long a signal stays actionable, ms; null (or absent) = one candle of the run's timeframe (see
   * {@link signalTtlMsOf}). A group saved by an earlier version always holds a number, which stays explicit.
   */
  ttlMs: z.number({ error: 'expected a number' }).int('expected whole milliseconds').min(0, 'must be >= 0').nullable().default(null),
  /** Minimum time between entries on one symbol, ms. */
  cooldownMs: z.number({ error: 'expected a number' }).int('expected whole milliseconds').min(0, 'must be >= 0'),
  /** Loss probability at or above which the veto model blocks a signal, 0..1. */
  vetoThreshold: z.number({ error: 'expected a number' }).min(0, 'must be >= 0').max(1, 'must be <= 1'),
});

/** {@link strategySettingsSchema} refusing fields it does not have, at the top and in each adapter (a group being saved). */
const strictStrategySettingsSchema = z.strictObject({ ...strategySettingsSchema.shape, adapters: z.record(z.string(), adapterSchema.strict()) });

/** One strategy of the group: whether it runs, its fusion weight and its full parameters. */
export type AdapterSettings = z.output<typeof adapterSchema>;

/** The strategy group: one entry per catalog strategy (keyed by name), plus the fusion settings. */
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

/** The default risk group: the backtest defaults without costs. */
export function defaultRiskLimits(): RiskLimits {
  return riskLimitsSchema.parse(DEFAULT_RISK);
}

/** Every runnable catalog strategy disabled with weight 1 and its default parameters, ma-crossover enabled. */
export function defaultAdapters(catalog: StrategyCatalog): Record<string, AdapterSettings> {
  return Object.fromEntries(catalog.names().map((name) => [name, { enabled: name === DEFAULT_STRATEGY_NAME, weight: 1, params: catalog.defaults(name) }]));
}

/**
 * The fusion and gate fields of the strategy group while nothing is saved, the one owner of these
 * defaults (the /strategies form and every backtest and session start from them): entry threshold 0.5,
 * signal TTL one candle of the run's timeframe (`ttlMs: null`), no cooldown, veto threshold 0.5.
 */
export const DEFAULT_FUSION_SETTINGS: Readonly<Omit<StrategySettings, 'adapters'>> = Object.freeze({ entryThreshold: 0.5, ttlMs: null, cooldownMs: 0, vetoThreshold: 0.5 });

/** The signal TTL, ms, of a run on `timeframeMs` candles for a group's (or request's) `ttlMs`: that value, else (null, absent) one candle. */
export function signalTtlMsOf(ttlMs: number | null | undefined, timeframeMs: number): number {
  return ttlMs ?? timeframeMs;
}

/** A group's signal TTL in words: "1 candle (of the run's timeframe)" for null, else the duration ("1h 30m"). */
export function signalTtlText(ttlMs: number | null): string {
  return ttlMs === null ? ONE_CANDLE_TTL_TEXT : formatDurationMs(ttlMs);
}

/** Defaults: ma-crossover alone (weight 1, its default parameters; the catalog's other strategies disabled) and {@link DEFAULT_FUSION_SETTINGS} (TTL one candle); risk = the backtest defaults. */
export function defaultTradingSettings(catalog: StrategyCatalog): TradingSettings {
  const risk = defaultRiskLimits();
  return {
    strategy: { adapters: defaultAdapters(catalog), ...DEFAULT_FUSION_SETTINGS },
    risk,
  };
}

/** How {@link validateStrategySettings} treats names the catalog does not run. */
export interface StrategySettingsOptions {
  /** Drop them silently (reading a stored group: a strategy file was removed) instead of reporting them (saving). */
  ignoreUnknown?: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates the strategy group against the catalog; every invalid field is reported under
 * `strategy.<path>` (`strategy.adapters.ma-crossover.params.fastPeriod`). Parameters come back parsed
 * (defaults filled) and catalog strategies missing from the group are added disabled with their defaults.
 * An unknown name is an error on `strategy.adapters.<name>`, or dropped with `ignoreUnknown`.
 */
export function validateStrategySettings(input: unknown, catalog: StrategyCatalog, options: StrategySettingsOptions = {}): SettingsValidation<StrategySettings> {
  const rawAdapters = isRecord(input) && isRecord(input.adapters) ? input.adapters : {};
  const known = Object.fromEntries(Object.entries(rawAdapters).filter(([name]) => !options.ignoreUnknown || catalog.get(name)));
  // Saving, a field the group does not have (a misspelt `entryTreshold`, an adapter's `weigth`) is an error naming it,
  // not dropped; a stored group is read leniently.
  const schema = options.ignoreUnknown ? strategySettingsSchema : strictStrategySettingsSchema;
  const parsed = schema.safeParse(isRecord(input) && isRecord(input.adapters) ? { ...input, adapters: known } : input);
  const fieldErrors: FieldErrors = parsed.success ? {} : fieldErrorsOf(parsed.error, { prefix: 'strategy' });
  const add = (field: string, message: string) => (fieldErrors[field] ??= []).push(message);
  const adapters: Record<string, AdapterSettings> = {};
  let weighted = 0;
  let weightsValid = true;
  for (const [name, value] of Object.entries(known)) {
    const definition = catalog.get(name)?.definition;
    if (!definition) {
      add(`strategy.adapters.${name}`, whyNotRunnable(catalog, name));
      continue;
    }
    if (!isRecord(value)) continue;
    if (!(typeof value.weight === 'number' && Number.isFinite(value.weight) && value.weight >= 0)) weightsValid = false;
    else if (value.enabled === true && value.weight > 0) weighted++;
    if (!isRecord(value.params)) continue;
    const params = definition.params.safeParse(value.params);
    if (!params.success) {
      Object.assign(fieldErrors, fieldErrorsOf(params.error, { prefix: `strategy.adapters.${name}.params` }));
      continue;
    }
    try {
      adapters[name] = { enabled: value.enabled as boolean, weight: value.weight as number, params: { ...parseStrategyParams(definition, value.params) } };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      add(`strategy.adapters.${name}.${error.field}`, reasonOf(error));
    }
  }
  if (weightsValid && weighted === 0) add('strategy.adapters', 'enable at least one adapter with a weight above 0');
  if (!parsed.success || Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
  for (const name of catalog.names()) adapters[name] ??= { enabled: false, weight: 1, params: catalog.defaults(name) };
  return { ok: true, value: { ...parsed.data, adapters } };
}

/** The catalog's reason a name cannot run: not known (listing the runnable names), or its load error. */
function whyNotRunnable(catalog: StrategyCatalog, name: string): string {
  try {
    catalog.create(name, undefined);
  } catch (error) {
    if (error instanceof ValidationError) return reasonOf(error);
    throw error;
  }
  return `strategy "${name}" cannot run`;
}

/**
 * Reads a stored strategy group: names the catalog does not run now are left out, not an error (the form lists what
 * loads). They are not forgotten: saves write their stored entries back ({@link planStrategySave}) and a run taking
 * the group is refused while one of them is enabled ({@link unavailableEnabledStrategies}).
 */
export function readStrategySettings(catalog: StrategyCatalog): (input: unknown) => SettingsValidation<StrategySettings> {
  return (input) => validateStrategySettings(input, catalog, { ignoreUnknown: true });
}

/**
 * Why the catalog cannot build `name` now, in words for an operator: the load error of its entry; else, when strategy
 * files failed to load (such an entry is named after its file, so which one declared `name` is not known), their
 * errors; else that no strategy of the name is loaded.
 */
export function unrunnableReason(catalog: Pick<StrategyCatalog, 'list'>, name: string): string {
  const entries = catalog.list();
  const own = entries.find((entry) => entry.name === name && entry.loadError);
  if (own) return `it failed to load: ${own.loadError}`;
  const failedFiles = entries.filter((entry) => entry.loadError && entry.path);
  if (failedFiles.length > 0) return `it is not loaded; strategy files that failed to load: ${failedFiles.map((entry) => entry.loadError).join('; ')}`;
  return 'no strategy of that name is loaded (was its strategy file removed or renamed?)';
}

/**
 * The entries of a stored group (as stored) whose strategy the catalog cannot build now: a strategy file that failed to
 * load at this start, or was removed. Reading the group leaves them out; a save keeps them (see {@link planStrategySave})
 * and a run whose group enables one is refused (see {@link unavailableEnabledStrategies}).
 */
export function unloadedStoredAdapters(stored: unknown, catalog: Pick<StrategyCatalog, 'get'>): Record<string, AdapterSettings> {
  if (!isRecord(stored) || !isRecord(stored.adapters)) return {};
  const out: Record<string, AdapterSettings> = {};
  for (const [name, value] of Object.entries(stored.adapters)) {
    if (catalog.get(name) || !adapterSchema.safeParse(value).success) continue;
    out[name] = value as AdapterSettings;
  }
  return out;
}

/**
 * The strategies a stored group enables (weight above 0) that the catalog cannot build now, each with why (see
 * {@link unrunnableReason}): a run taking its strategies from the group is refused over them rather than run without them.
 */
export function unavailableEnabledStrategies(stored: unknown, catalog: Pick<StrategyCatalog, 'get' | 'list'>): { name: string; reason: string }[] {
  return Object.entries(unloadedStoredAdapters(stored, catalog))
    .filter(([, adapter]) => adapter.enabled && adapter.weight > 0)
    .map(([name]) => ({ name, reason: unrunnableReason(catalog, name) }));
}

/**
 * A save of the strategy group against what is stored: the group as given (validated as ever: a name the catalog does
 * not run is refused, naming it) and the stored entries to write back with it (`keep`): every stored entry of a strategy
 * the catalog cannot build now, untouched (enabled flag, weight, params), so a save while a strategy file fails to load
 * does not erase its settings. The one change a save may make to such an entry is to disable it (`adapters.<name>:
 * { enabled: false }`; its weight and params stay as stored), taken out of the group before it is validated.
 */
export function planStrategySave(input: unknown, stored: unknown, catalog: Pick<StrategyCatalog, 'get'>): { input: unknown; keep: Record<string, AdapterSettings> } {
  const keep = unloadedStoredAdapters(stored, catalog);
  if (!isRecord(input) || !isRecord(input.adapters)) return { input, keep };
  const adapters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.adapters)) {
    if (keep[name] && isRecord(value) && value.enabled === false) keep[name] = { ...keep[name], enabled: false };
    else adapters[name] = value;
  }
  return { input: { ...input, adapters }, keep };
}

/** A validated group with the stored entries {@link planStrategySave} keeps (names the group cannot hold: the catalog does not run them). */
export function withKeptAdapters(group: StrategySettings, keep: Record<string, AdapterSettings>): StrategySettings {
  return { ...group, adapters: { ...keep, ...group.adapters } };
}

/** Validates the risk group; every invalid field is reported under `risk.<field>`. */
export function validateRiskLimits(input: unknown): SettingsValidation<RiskLimits> {
  return riskValidationOf(riskLimitsSchema.safeParse(input));
}

function riskValidationOf(parsed: z.ZodSafeParseResult<RiskLimits>): SettingsValidation<RiskLimits> {
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, fieldErrors: fieldErrorsOf(parsed.error, { prefix: 'risk' }) };
}

/** {@link riskLimitsSchema} refusing fields it does not have; the former `feeRateBps` (older clients send it back) is still dropped. */
const riskLimitsInputSchema = z.preprocess((input) => {
  if (!isRecord(input)) return input;
  const { feeRateBps: _legacy, ...limits } = input;
  return limits;
}, riskLimitsSchema.strict());

/**
 * Validates risk limits an operator sends (a form, the API, the CLI): as {@link validateRiskLimits}, and a field the
 * group does not have is an error (`risk.<field>`: unknown field), not dropped: a misspelt limit (`riskPerTrade`) or
 * trading costs (the account's fee settings) would otherwise save as if accepted. Stored groups are read with
 * {@link validateRiskLimits}, which drops the fields older versions wrote.
 */
export function validateRiskLimitsInput(input: unknown): SettingsValidation<RiskLimits> {
  return riskValidationOf(riskLimitsInputSchema.safeParse(input));
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
