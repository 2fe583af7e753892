/**
 * The run spec: what a backtest or a session trades with, resolved once, at the edge, from three
 * layers. What the operator sets is what trades:
 *
 * 1. the request's explicit fields (a backtest form or API body, a session request),
 * 2. the stored settings: the account's (fee model, balance, market type, leverage, margin mode and
 *    its risk limits; for a session its account, for a backtest `accountId`, default "default") and
 *    the strategy group saved on /strategies (enabled adapters, their parameters and weights, entry
 *    threshold, TTL, cooldown, veto threshold),
 * 3. the defaults (`engine/settings/trading-defaults.ts`, `DEFAULT_FUSION_SETTINGS` with a TTL of one candle,
 *    the strategy catalog's parameters). A stored group whose `ttlMs` is null (the unsaved default, kept by
 *    a save that leaves the field alone) also trades with one candle of the run's timeframe.
 *
 * Precedence is per field: a request that sets `risk.riskPerTradePct` keeps the account's other limits;
 * a request's `params.ma-crossover.fastPeriod` keeps the stored slow period. Strategies are the
 * request's list, else the stored group's enabled adapters, else the default group's. A run taking the
 * stored group's is refused while the group enables a strategy the catalog cannot build (a strategy file
 * that failed to load): it never runs with the others alone as if that were what was saved.
 *
 * The engine trusts a resolved spec: loops, exchanges and risk engines are built from it without
 * re-validating the request. The resolver is pure; callers load the stored layer with
 * {@link loadStoredRunSettings}.
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { SettingsRepository } from '../ports/settings';
import { parseOrThrow, reasonOf, withFieldPrefix } from '../core/validation';
import { resolveFusionConfig, type ResolvedFusionConfig } from '../decision/signal-fusion';
import type { PaperExchangeConfig } from '../execution/paper-exchange';
import { parseRiskConfig, type RiskConfig } from '../risk/risk-engine';
import { tradingCostsOf } from '../risk/trading-costs';
import type { StrategyCatalog, StrategyProvenance } from '../strategies/strategy-catalog';
import { type AccountRecord } from '../ports/accounts';
import {
  DEFAULT_FUSION_SETTINGS,
  readStoredGroup,
  readStrategySettings,
  SettingsKey,
  signalTtlMsOf,
  unavailableEnabledStrategies,
  type RiskLimits,
  type StrategySettings,
} from '../settings/trading-settings';
import { DEFAULT_STRATEGY_NAME } from '../strategies/built-in-strategies';
import { DEFAULT_PAPER, DEFAULT_RISK } from '../settings/trading-defaults';
import { ExitPolicySchema, type ExitPolicy } from '../strategies/exit-policy';
import { resolveLoopModels, type LoopModelsSpec } from '../decision/loop-models';

/** Fusion fields a request may set; every one optional (unset = stored, else default). */
export const runFusionRequestSchema = z
  .object({
    /** Weight per strategy name (>= 0); `external` weighs outside alerts in sessions. */
    weights: z.record(z.string(), z.number({ error: 'expected a number' })).optional(),
    /** Minimum |weighted net| to act, 0..1. */
    entryThreshold: z.number({ error: 'expected a number' }).optional(),
    /** How long a signal stays actionable, ms. */
    ttlMs: z.number({ error: 'expected a number' }).optional(),
    /** Minimum time between entries on one symbol, ms. */
    cooldownMs: z.number({ error: 'expected a number' }).optional(),
    /** Loss probability at or above which the veto model blocks a signal, 0..1. */
    vetoThreshold: z.number({ error: 'expected a number' }).optional(),
  })
  .strict();

/** The trading part of a request (backtest or session), as parsed at the edge. Absent = not set by the request. */
export interface RunRequest {
  strategies?: readonly string[];
  /** Per-strategy parameter overrides, keyed by strategy name (each must be in the run). */
  params?: Readonly<Record<string, unknown>>;
  fusion?: Readonly<Record<string, unknown>>;
  /** Risk limit overrides (no `costs`: those come from the venue's fee model). */
  risk?: Readonly<Record<string, unknown>>;
  /** Paper venue overrides (market type, balance, fees, spread, slippage, leverage, margin mode, …). */
  paper?: Readonly<Record<string, unknown>>;
  veto?: boolean;
  /** The other models in the loop (regime, volatility, stop distance); absent = all off. See `loopModelsRequestSchema`. */
  models?: unknown;
  /** Exit policy of every position (ExitPolicySchema input); absent = the first strategy of the run that declares exits, else none. */
  exits?: unknown;
}

/** The stored layer: the account the run trades (with its risk limits) and the strategy group, each null when absent. */
export interface StoredRunSettings {
  account: { record: Pick<AccountRecord, 'id' | 'settings'>; riskLimits: RiskLimits } | null;
  /** The strategy group saved on /strategies; null when never saved (or no longer valid). */
  strategy: StrategySettings | null;
  /**
   * Strategies the saved group enables that the catalog cannot build now (a strategy file that failed to load, or was
   * removed), with why; a run taking its strategies from the group is refused over them. Absent = none.
   */
  unavailable?: readonly { name: string; reason: string }[];
}

/** Nothing stored: the request over the defaults (pure backtests, tests, benchmarks). */
export const NO_STORED_SETTINGS: StoredRunSettings = Object.freeze({ account: null, strategy: null });

/** The bottom layer. Build it with {@link runDefaults}. */
export interface RunDefaults {
  /** The strategy group when none is stored (enabled adapters, weights, parameters, thresholds). */
  strategy: StrategySettings;
  /** Signal TTL when neither request nor stored group sets one (the stored group's null included), ms: one candle. */
  ttlMs: number;
  paper: PaperExchangeConfig;
  risk: RiskLimits;
  veto: boolean;
  /** Weights of inputs beyond the strategies (a session's outside alerts: `{ external: 1 }`). */
  extraWeights: Readonly<Record<string, number>>;
}

/**
 * The defaults of a run on `timeframeMs` candles: ma-crossover alone with its default parameters,
 * {@link DEFAULT_FUSION_SETTINGS} (entry threshold 0.5, TTL one candle, no cooldown, veto threshold 0.5); {@link DEFAULT_PAPER} and
 * {@link DEFAULT_RISK}. A backtest trades without the veto model unless asked; a session follows the
 * deployed one and weighs outside alerts like a strategy.
 */
export function runDefaults(kind: 'backtest' | 'session', timeframeMs: number): RunDefaults {
  const adapters: StrategySettings['adapters'] = { [DEFAULT_STRATEGY_NAME]: { enabled: true, weight: 1, params: {} } };
  const { costs: _costs, ...risk } = DEFAULT_RISK;
  return {
    strategy: { adapters, ...DEFAULT_FUSION_SETTINGS },
    ttlMs: signalTtlMsOf(DEFAULT_FUSION_SETTINGS.ttlMs, timeframeMs),
    paper: { ...DEFAULT_PAPER },
    risk: risk as RiskLimits,
    veto: kind === 'session',
    extraWeights: kind === 'session' ? { external: 1 } : {},
  };
}

/** A resolved run: every value a loop, its paper venue and its risk engine are built from. */
export interface RunSpec {
  /** The account whose settings the run took (null: none, the defaults). */
  accountId: string | null;
  /** Strategy names (catalog names) in the order the loop evaluates them. */
  strategies: string[];
  /** Full parameters per strategy of the run (defaults filled). */
  params: Record<string, Record<string, unknown>>;
  /** Where each strategy of the run came from (source, version, source hash), in `strategies` order. */
  provenance: StrategyProvenance[];
  fusion: ResolvedFusionConfig;
  /** Whether entries pass the deployed intent-veto model. */
  veto: boolean;
  /**
   * The regime, volatility and stop-distance models the loop consults on entries, with their parameters
   * (null = off). A version is `deployed` until the run starts (a backtest stores the version it used).
   */
  models: LoopModelsSpec;
  /** Risk limits plus the sizing costs of `paper` (`tradingCostsOf`). */
  risk: RiskConfig;
  paper: PaperExchangeConfig;
  /** The exit policy applied to every position: the request's, else the first strategy of the run (in run order) that declares one, else null. */
  exits?: ExitPolicy | null;
}

/** The PaperExchange config an account trades with (its venue id is `paper-<account id>`). */
export function paperConfigOf(account: Pick<AccountRecord, 'id' | 'settings'>): PaperExchangeConfig {
  const s = account.settings;
  return {
    id: `paper-${account.id}`,
    marketType: s.marketType,
    quoteCurrency: s.quoteCurrency,
    initialBalance: s.initialBalance,
    makerFeeBps: s.makerFeeBps,
    takerFeeBps: s.takerFeeBps,
    spreadBps: s.spreadBps,
    slippageBps: s.slippageBps,
    maxVolumeShare: s.maxVolumeShare,
    leverage: s.marketType === 'futures' ? s.leverage : 1,
    marginMode: s.marginMode,
  };
}

/**
 * What an account trades with, from its stored settings: its paper venue (without the per-account
 * exchange id) and its risk config (its limits plus the costs of its fee model). Runs take their stored
 * layer from here; the account's own risk engine (what-if, manual orders, sessions) is built from the
 * same two values.
 */
export function accountTradingConfig(account: { record: Pick<AccountRecord, 'id' | 'settings'>; riskLimits: RiskLimits }): { paper: PaperExchangeConfig; risk: RiskConfig } {
  const { id: _exchangeId, ...paper } = paperConfigOf(account.record);
  const { feeRateBps: _legacyFeeRateBps, ...limits } = account.riskLimits as RiskLimits & { feeRateBps?: unknown };
  return { paper, risk: { ...limits, costs: tradingCostsOf(paper) } };
}

/**
 * Resolves a run's trading configuration from (request, stored settings, defaults); see the module doc
 * for the precedence.
 * @throws ValidationError naming the request's field and value: unknown strategy, parameters for a
 * strategy not in the run, bad parameters (`params.<strategy>.<field>`), bad fusion values (`fusion.<field>`),
 * no weighted strategy (`fusion.weights`), bad risk limits (`risk.<field>`), `risk.costs` given, a bad
 * exit policy (`exits.<field>`), a bad model option (`models.<kind>.<field>`).
 * Paper venue fields are checked by the caller that builds the venue (`paper.<field>`).
 */
export function resolveRunSpec(request: RunRequest, stored: StoredRunSettings, defaults: RunDefaults, catalog: StrategyCatalog): RunSpec {
  if (request.strategies === undefined && stored.unavailable?.length) throw unavailableStrategiesError(stored.unavailable);
  const group = stored.strategy ?? defaults.strategy;
  const strategies = [...(request.strategies ?? Object.keys(group.adapters).filter((name) => group.adapters[name].enabled && catalog.get(name)))];
  if (strategies.length === 0) throw new ValidationError('strategies', strategies, 'expected at least one strategy');
  for (const name of strategies) {
    if (!catalog.get(name)) throw withField('strategies', () => catalog.create(name, undefined));
  }
  const requestParams = request.params ?? {};
  for (const name of Object.keys(requestParams)) {
    if (!strategies.includes(name)) throw new ValidationError(`params.${name}`, requestParams[name], `parameters given for strategy "${name}", which is not in the run`);
  }
  const params: Record<string, Record<string, unknown>> = {};
  let strategyExits: ExitPolicy | null = null;
  for (const name of strategies) {
    const given = requestParams[name] ?? {};
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new ValidationError(`params.${name}`, given, 'expected an object of parameters');
    const merged = { ...catalog.defaults(name), ...(stored.strategy?.adapters[name]?.params ?? {}), ...(given as Record<string, unknown>) };
    // Build once to validate (the catalog names `params.<field>`; the run spec names `params.<strategy>.<field>`).
    const adapter = withField(`params.${name}`, () => catalog.create(name, merged));
    if (strategyExits === null && adapter.exits) strategyExits = adapter.exits;
    // Frozen, so every later adapter of the run is the one built from these params (see createAdapterFromDefinition;
    // params holding objects, which zod leaves unfrozen, are built anew each time).
    params[name] = Object.freeze({ ...adapter.config });
  }

  const fusionRequest = parseOrThrow(runFusionRequestSchema, request.fusion ?? {}, { prefix: 'fusion' });
  const weights: Record<string, number> = {};
  for (const name of strategies) weights[name] = fusionRequest.weights?.[name] ?? stored.strategy?.adapters[name]?.weight ?? 1;
  for (const [name, weight] of Object.entries(defaults.extraWeights)) weights[name] = fusionRequest.weights?.[name] ?? weight;
  for (const [name, weight] of Object.entries(fusionRequest.weights ?? {})) {
    if (!(name in weights)) throw new ValidationError(`fusion.weights.${name}`, weight, `weight given for "${name}", which is not in the run (${Object.keys(weights).join(', ')})`);
  }
  if (!strategies.some((name) => weights[name] > 0)) {
    throw new ValidationError('fusion.weights', weights, 'give at least one strategy of the run a weight above 0');
  }
  const fusion = withFieldPrefix('fusion', () =>
    resolveFusionConfig({
      weights,
      entryThreshold: fusionRequest.entryThreshold ?? stored.strategy?.entryThreshold ?? defaults.strategy.entryThreshold,
      ttlMs: fusionRequest.ttlMs ?? signalTtlMsOf(stored.strategy?.ttlMs, defaults.ttlMs),
      cooldownMs: fusionRequest.cooldownMs ?? stored.strategy?.cooldownMs ?? defaults.strategy.cooldownMs,
      vetoThreshold: fusionRequest.vetoThreshold ?? stored.strategy?.vetoThreshold ?? defaults.strategy.vetoThreshold,
    }),
  );

  const fromAccount = stored.account ? accountTradingConfig(stored.account) : null;
  const basePaper = fromAccount?.paper ?? defaults.paper;
  const paperRequest = request.paper ?? {};
  // A run switched from a futures account to spot trades without leverage: the account's leverage does not come along
  // (spot refuses any other than 1, as `paper.leverage`, a field the request never set). A leverage it sets stays.
  const spotSwitch = paperRequest.marketType === 'spot' && basePaper.marketType !== 'spot' && !('leverage' in paperRequest) ? { leverage: 1 } : {};
  const paper = { ...basePaper, ...spotSwitch, ...paperRequest } as PaperExchangeConfig;
  const riskRequest = request.risk ?? {};
  // Risk sizes with the venue's costs, through the one rule every account uses: a request cannot size
  // with other costs than it trades with. An older request's `feeRateBps` is dropped (costs replaced it).
  if (Object.prototype.hasOwnProperty.call(riskRequest, 'costs')) {
    throw new ValidationError('risk.costs', riskRequest.costs, 'costs come from the paper venue: set paper.takerFeeBps, paper.spreadBps and paper.slippageBps');
  }
  const { feeRateBps: _legacyFeeRateBps, ...riskOverrides } = riskRequest;
  const { costs: _accountCosts, ...limits } = fromAccount?.risk ?? (defaults.risk as RiskConfig);
  const costs = withFieldPrefix('paper', () => tradingCostsOf(paper));
  // Frozen (its costs are), so the parse here is the only one: every risk engine built from it reuses it (see parseRiskConfig).
  const risk = Object.freeze({ ...limits, ...riskOverrides, costs }) as RiskConfig;
  withFieldPrefix('risk', () => parseRiskConfig(risk));

  const exits = request.exits === undefined || request.exits === null ? strategyExits : parseOrThrow(ExitPolicySchema, request.exits, { prefix: 'exits' });

  return {
    accountId: stored.account?.record.id ?? null,
    strategies,
    params,
    provenance: strategies.map((name) => catalog.provenance(name)),
    fusion,
    veto: request.veto ?? defaults.veto,
    models: resolveLoopModels(request.models),
    risk,
    paper,
    exits,
  };
}

/**
 * The refusal of a run that takes its strategies from a saved group enabling strategies the catalog cannot build: it
 * would otherwise run without them (and with the other strategies' weights alone) as if that were the saved setting.
 */
function unavailableStrategiesError(unavailable: readonly { name: string; reason: string }[]): ValidationError {
  const names = unavailable.map((u) => `"${u.name}"`).join(', ');
  const why = unavailable.map((u) => `"${u.name}": ${u.reason}`).join('; ');
  return new ValidationError(
    'strategies',
    unavailable.map((u) => u.name),
    `the saved strategy group enables ${names}, which cannot run (${why}). Fix the strategy file so it loads again, or disable ${names} in the saved strategy group on /strategies (its saved parameters are kept), or name the run's strategies explicitly`,
  );
}

/**
 * Runs `build` (a catalog call); its ValidationError comes back on `field`: the catalog's `strategy`
 * becomes `field` itself, `params` and `params.<x>` become `field` and `field.<x>`.
 */
function withField<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const rest = error.field === 'strategy' || error.field === 'params' ? '' : error.field.startsWith('params.') ? error.field.slice('params'.length) : `.${error.field}`;
    throw new ValidationError(`${field}${rest}`, error.value, reasonOf(error));
  }
}

/** Where the stored layer comes from: the settings repository (strategy group) and the account book. */
export interface StoredRunSettingsDeps {
  settings?: Pick<SettingsRepository, 'get'>;
  accounts?: { get(id: string): Promise<AccountRecord>; riskLimits(id: string): Promise<RiskLimits> };
  /** The catalog the stored group is read against (names it does not run are ignored). */
  strategies: StrategyCatalog;
  logger: Logger;
}

/**
 * Loads the stored layer of a run on `accountId`: the account's settings and risk limits, and the saved
 * strategy group (a group that no longer validates is logged and treated as not stored).
 * @throws ValidationError naming `accountId` when the account does not exist.
 */
export async function loadStoredRunSettings(accountId: string, deps: StoredRunSettingsDeps): Promise<StoredRunSettings> {
  let account: StoredRunSettings['account'] = null;
  if (deps.accounts) {
    try {
      account = { record: await deps.accounts.get(accountId), riskLimits: await deps.accounts.riskLimits(accountId) };
    } catch (error) {
      // The account book's message (the id and the accounts that exist), under the field the run names it by.
      if (error instanceof NotFoundError) throw new ValidationError('accountId', accountId, error.message);
      throw error;
    }
  }
  const row = deps.settings ? await deps.settings.get(SettingsKey.Strategy) : null;
  const group = readStoredGroup<StrategySettings | null>(row?.value, readStrategySettings(deps.strategies), null);
  if (!group.valid) deps.logger.warn({ key: SettingsKey.Strategy }, 'stored strategy settings no longer validate; runs use the defaults');
  // Read from the row as stored: reading the group leaves out what the catalog cannot build.
  const unavailable = unavailableEnabledStrategies(row?.value, deps.strategies);
  return unavailable.length > 0 ? { account, strategy: group.value, unavailable } : { account, strategy: group.value };
}
