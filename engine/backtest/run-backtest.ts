/**
 * Backtests: the live trading loop driven by a simulated clock and a historical candle feed
 * from the candle repository, against the PaperExchange. No second implementation of trading
 * logic lives here: this module validates the request, wires the loop, feeds it and records
 * the run (running -> complete | failed).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import type { BacktestRunMetrics, BacktestRunRepository, BacktestWarmup, BreakerHalt, EquityPoint } from '../ports/backtest-runs';
import type { CandleRepository } from '../ports/candles';
import type { JournalRepository } from '../ports/journal';
import type { Logger } from '../core/logger';
import { TIMEFRAME_MS, candleColumnsFromRows, type CandleColumns, type MarketKey, type Timeframe } from '../core/types';
import { createManualClock } from '../core/clock';
import { createPaperExchange, type PaperExchangeConfig } from '../execution/paper-exchange';
import { DEFAULT_MARGIN_TIERS, type MarginTier } from '../execution/margin-tiers';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import type { VetoModel } from '../decision/veto-model';
import { anyLoopModel, loopModelsRequestSchema, noModelSource, pinDeployedVersions, type LoopModels, type LoopModelSource, type LoopModelsSpec } from '../decision/loop-models';
import type { FusionConfig } from '../decision/signal-fusion';
import { createRiskEngine, riskConfigSchema } from '../risk/risk-engine';
import { parseOrThrow, withFieldPrefix } from '../core/validation';
import { ACCOUNT_ID_PATTERN, DEFAULT_ACCOUNT_ID } from '../account/account-config';
import { NO_STORED_SETTINGS, resolveRunSpec, runDefaults, type RunSpec, type StoredRunSettings } from '../trading/run-spec';
import { createJournalWriter } from '../journal/journal-writer';
import { createTradingLoop, DecisionDetail, loopStartupCandles, type ClosedTrade } from '../loop/trading-loop';
import { ExitPolicySchema } from '../strategies/exit-policy';
import { TradeExitReason } from '../ports/journal';
import { tradeNetPnl } from '../insight/trade-outcome';
import {
  computeReturnMetrics,
  computeTradeMetrics,
  equityToReturns,
  type ReturnMetrics,
  type TradeMetrics,
} from '../insight/metrics';

const DAY_MS = 86_400_000;

const dateSchema = z.union([z.number().int(), z.string().min(1)]);

/** A settings object whose keys must be among `keys` (values are checked where the settings are built). */
const settingsOf = (what: string, keys: readonly string[]) =>
  z
    .record(z.string(), z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!keys.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `not a ${what} setting; expected one of ${keys.join(', ')}` });
      }
    })
    .default({});

const FUSION_KEYS = ['weights', 'entryThreshold', 'ttlMs', 'cooldownMs', 'vetoThreshold'] as const satisfies readonly (keyof FusionConfig)[];
const PAPER_KEYS = ['marketType', 'quoteCurrency', 'initialBalance', 'makerFeeBps', 'takerFeeBps', 'spreadBps', 'slippageBps', 'maxVolumeShare', 'leverage', 'marginMode', 'tiers'] as const satisfies readonly (keyof PaperExchangeConfig)[];

/**
 * A backtest as a user asks for it (CLI flags, the dashboard form, a job's params). Unknown keys are
 * refused, at the top and in `fusion`, `risk` and `paper`, so a misspelt setting is an error rather
 * than a run with the default. Trading fields left out come from the account's stored settings and
 * the stored strategy settings, else the defaults (see `resolveRunSpec`).
 */
export const backtestRequestSchema = z.strictObject({
  /** The account whose fee model, balance, market type, leverage and risk limits the run takes; default "default". */
  accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'expected an account id like "default"').optional(),
  exchange: z.string().min(1),
  symbol: z.string().min(1),
  timeframe: z.string(),
  /** Inclusive start: ISO date/time or epoch ms. */
  from: dateSchema,
  /** Exclusive end: ISO date/time or epoch ms. */
  to: dateSchema,
  /** Default: the stored strategy settings' enabled adapters. */
  strategies: z.array(z.string()).min(1, 'expected at least one strategy').optional(),
  /** Per-strategy parameters, keyed by strategy name. */
  params: z.record(z.string(), z.unknown()).default({}),
  fusion: settingsOf('fusion', FUSION_KEYS),
  // `feeRateBps` of older requests is accepted and dropped (costs come from the paper venue now).
  risk: settingsOf('risk', [...Object.keys(riskConfigSchema.shape), 'feeRateBps']),
  paper: settingsOf('paper', PAPER_KEYS),
  decisionDetail: z.enum(['all', 'signals', 'off']).default('signals'),
  /** Default: off. */
  veto: z.boolean().optional(),
  /**
   * The regime (risk multiplier per regime), volatility (size scaled to a volatility target) and stop-distance
   * (model stop) models; each off unless given. Version `deployed` (default) or a version number.
   */
  models: loopModelsRequestSchema.optional(),
  /** Exit policy of every position (take-profit, trailing stop, time stop, ROI table); default: the first strategy of the run that declares one. */
  exits: ExitPolicySchema.optional(),
  /** Close whatever is open at the last candle's close (exit reason `end-of-run`), so the trades' net PnL sums to the equity change; default true. */
  closeAtEnd: z.boolean().default(true),
});
export type BacktestRequest = z.input<typeof backtestRequestSchema>;

/** A validated backtest request with resolved times and its resolved run spec. */
export interface ResolvedBacktest extends RunSpec {
  market: MarketKey;
  fromMs: number;
  toMs: number;
  decisionDetail: DecisionDetail;
  /** Whether a position still open after the last candle is closed at its close (`end-of-run`). */
  closeAtEnd: boolean;
  /** The canonical config stored with the run and hashed: the whole resolved spec. */
  canonical: Record<string, unknown>;
}

/** Moved to `engine/settings/trading-defaults.ts`; re-exported for existing importers. */
export { DEFAULT_PAPER, DEFAULT_RISK } from '../settings/trading-defaults';

function parseTime(field: string, value: string | number): number {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new ValidationError(field, value, 'expected an ISO date (2024-01-01) or epoch milliseconds');
  return ms;
}

/** The account a backtest request runs on ("default" when it names none or is not an object). */
export function backtestAccountIdOf(input: unknown): string {
  const id = input !== null && typeof input === 'object' ? (input as { accountId?: unknown }).accountId : undefined;
  return typeof id === 'string' ? id : DEFAULT_ACCOUNT_ID;
}

/**
 * Validates a request and resolves its run spec over `stored` (the account's settings and the stored
 * strategy settings; none by default) and the backtest defaults, before anything is written.
 * @throws ValidationError naming the field and value: unknown strategy or timeframe, empty date
 * range, bad parameters, leverage above the venue maximum.
 */
export function resolveBacktest(input: unknown, stored: StoredRunSettings = NO_STORED_SETTINGS, catalog: StrategyCatalog = createBuiltInCatalog()): ResolvedBacktest {
  const r = parseOrThrow(backtestRequestSchema, input, { root: 'request' });
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, r.timeframe)) {
    throw new ValidationError('timeframe', r.timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
  }
  const fromMs = parseTime('from', r.from);
  const toMs = parseTime('to', r.to);
  if (toMs <= fromMs) throw new ValidationError('to', r.to, `the date range is empty: "to" must be after "from" (${new Date(fromMs).toISOString()})`);
  const spec = resolveRunSpec(
    { strategies: r.strategies, params: r.params, fusion: r.fusion, risk: r.risk, paper: r.paper, veto: r.veto, models: r.models, exits: r.exits },
    stored,
    runDefaults('backtest', TIMEFRAME_MS[r.timeframe as Timeframe]),
    catalog,
  );
  validatePaperConfig(spec.paper, r.symbol);
  const canonical = {
    accountId: spec.accountId,
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe,
    fromMs,
    toMs,
    strategies: spec.strategies,
    params: spec.params,
    provenance: spec.provenance,
    fusion: spec.fusion,
    risk: spec.risk,
    paper: spec.paper,
    decisionDetail: r.decisionDetail,
    veto: spec.veto,
    // Only when a model is on, so a run without models keeps the config (and hash) it had before the option.
    ...(anyLoopModel(spec.models) ? { models: spec.models } : {}),
    exits: spec.exits,
    closeAtEnd: r.closeAtEnd,
  };
  return {
    ...spec,
    market: { exchange: r.exchange, symbol: r.symbol, timeframe: r.timeframe as Timeframe },
    fromMs,
    toMs,
    decisionDetail: r.decisionDetail,
    closeAtEnd: r.closeAtEnd,
    canonical,
  };
}

/**
 * A request that resolves to `spec` whatever is stored: every trading field explicit. A queued backtest
 * carries it, so the run trades the settings of the moment it was queued.
 */
export function explicitBacktestRequest(spec: ResolvedBacktest): BacktestRequest {
  const { costs: _costs, ...limits } = spec.risk;
  return {
    ...(spec.accountId === null ? {} : { accountId: spec.accountId }),
    exchange: spec.market.exchange,
    symbol: spec.market.symbol,
    timeframe: spec.market.timeframe,
    from: spec.fromMs,
    to: spec.toMs,
    strategies: spec.strategies,
    params: spec.params,
    fusion: { ...spec.fusion },
    risk: limits,
    paper: spec.paper as unknown as Record<string, unknown>,
    decisionDetail: spec.decisionDetail,
    veto: spec.veto,
    ...(anyLoopModel(spec.models) ? { models: modelsRequestOf(spec.models) } : {}),
    ...(spec.exits === null ? {} : { exits: spec.exits }),
    closeAtEnd: spec.closeAtEnd,
  };
}

/** A resolved `models` spec as request input (off kinds left out). */
function modelsRequestOf(models: LoopModelsSpec): NonNullable<BacktestRequest['models']> {
  return {
    ...(models.regime ? { regime: models.regime } : {}),
    ...(models.volatility ? { volatility: models.volatility } : {}),
    ...(models.stopDistance ? { stopDistance: models.stopDistance } : {}),
  };
}

/**
 * Pins the `deployed` versions of a resolved backtest's models to the versions deployed now and loads
 * them (canonical config updated, so the run records the versions it used). Nothing to do without models.
 * @throws ValidationError naming `models.<kind>` when a kind has no deployed model, a named version does
 *   not exist, or there is no model source at all.
 */
export async function loadBacktestModels(spec: ResolvedBacktest, source: LoopModelSource | null | undefined): Promise<LoopModels | undefined> {
  if (!anyLoopModel(spec.models)) return undefined;
  if (!source) throw noModelSource(spec.models);
  spec.models = pinDeployedVersions(spec.models, source);
  spec.canonical = { ...spec.canonical, models: spec.models };
  return source.load(spec.models);
}

/**
 * Validates the paper venue settings up front (so a bad run writes nothing), with fields named
 * `paper.<field>`; leverage is checked against the venue's maximum for the symbol's first tier.
 */
function validatePaperConfig(paper: PaperExchangeConfig, symbol: string): void {
  withFieldPrefix('paper', () => createPaperExchange(paper, { clock: createManualClock(0) }));
  if (paper.marketType === 'futures') {
    const tiers = tiersFor(paper, symbol);
    const venueMax = Math.max(...tiers.map((t) => t.maxLeverage));
    const leverage = paper.leverage ?? 1;
    if (leverage > venueMax) {
      throw new ValidationError('paper.leverage', leverage, `exceeds the venue maximum of ${venueMax}x for ${symbol}`);
    }
  }
}

function tiersFor(paper: PaperExchangeConfig, symbol: string): readonly MarginTier[] {
  const source = paper.tiers;
  if (!source) return DEFAULT_MARGIN_TIERS;
  const get = (key: string) => (source instanceof Map ? source.get(key) : (source as Record<string, readonly MarginTier[]>)[key]);
  return get(symbol) ?? get(symbol.replace('/', '')) ?? get('*') ?? DEFAULT_MARGIN_TIERS;
}

/** Stable JSON (sorted keys) for hashing configs. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The result of a finished backtest. Everything but `runId` is a pure function of config and candles. */
export interface BacktestResult {
  runId: string;
  /** The resolved run config, as stored with the run (see `ResolvedBacktest.canonical`). */
  config: Record<string, unknown>;
  candles: number;
  returnMetrics: ReturnMetrics;
  tradeMetrics: TradeMetrics;
  finalEquity: number;
  trades: ClosedTrade[];
  equity: EquityPoint[];
  stats: Record<string, number>;
  /** Circuit-breaker halts in time order (empty when no breaker tripped). */
  halts: BreakerHalt[];
  /** Warm-up history fed before `from`: candles stored of the candles the strategies need. */
  warmup: BacktestWarmup;
}

/** The stored metrics' shape is the port's (engine/ports/backtest-runs.ts); re-exported for the app's tables. */
export type { BacktestRunMetricName, BacktestRunMetrics, BacktestWarmup, StoredBacktestRunMetrics } from '../ports/backtest-runs';

export interface BacktestDeps {
  candles: CandleRepository;
  journal: JournalRepository;
  runs: BacktestRunRepository;
  logger: Logger;
  newId: () => string;
  /** The active veto model, used when the request asks for `veto: true`. */
  vetoModel?: VetoModel | null;
  /** Where the regime, volatility and stop-distance models of a request's `models` option come from (the model registry). */
  loopModels?: LoopModelSource | null;
  journalBatchSize?: number;
  /**
   * Told about a run that failed but could not be marked failed (the database went away mid-run), so
   * its owner marks it failed once the database is back instead of leaving it `running` until the next start.
   */
  onRunLeftRunning?: (runId: string, error: string) => void;
  /** The stored layer of the run spec (the account's settings, the strategy settings); none by default. */
  stored?: StoredRunSettings;
  /** The strategies a run may use (the engine's catalog); the built-ins when absent. */
  strategies?: StrategyCatalog;
}

export interface BacktestOptions {
  /** Called about every 1% of candles with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Use these candles instead of loading them (benchmarks); the run is still recorded, with no warm-up history unless `preloadedWarmup` is given. */
  preloaded?: CandleColumns;
  /** With `preloaded`: the history before `from` to warm the indicators with. */
  preloadedWarmup?: CandleColumns;
}

function emptyColumns(): CandleColumns {
  return candleColumnsFromRows([]);
}

/**
 * The warm-up line of a run: "warm-up: 139 candles before from" when every candle the strategies
 * need was stored, else "warm-up: 20 of 139 candles available before from" (the first candles then
 * trade on indicators that still depend on where the history began).
 */
export function describeBacktestWarmup(warmup: BacktestWarmup): string {
  const plural = (n: number) => (n === 1 ? '' : 's');
  return warmup.candles >= warmup.needed
    ? `warm-up: ${warmup.needed} candle${plural(warmup.needed)} before from`
    : `warm-up: ${warmup.candles} of ${warmup.needed} candle${plural(warmup.needed)} available before from`;
}

/** Keeps at most `maxPoints` points of a curve (evenly spaced, always the last). */
export function downsampleEquity(timeMs: Float64Array, equity: Float64Array, length: number, maxPoints = 1000): EquityPoint[] {
  if (length === 0) return [];
  const step = Math.max(1, Math.ceil(length / maxPoints));
  const points: EquityPoint[] = [];
  for (let i = 0; i < length; i += step) points.push({ timeMs: timeMs[i], equity: equity[i] });
  if ((length - 1) % step !== 0) points.push({ timeMs: timeMs[length - 1], equity: equity[length - 1] });
  return points;
}

/**
 * Runs a backtest and records it. Validation failures throw ValidationError before anything is
 * written; a failure after the run row exists marks the run failed and rethrows.
 */
export async function runBacktest(input: unknown, deps: BacktestDeps, options: BacktestOptions = {}): Promise<BacktestResult> {
  const strategies = deps.strategies ?? createBuiltInCatalog();
  const spec = resolveBacktest(input, deps.stored, strategies);
  if (spec.veto && !deps.vetoModel) throw new ValidationError('veto', true, 'no veto model is deployed; deploy one or run with veto off');
  const models = await loadBacktestModels(spec, deps.loopModels);
  const columns = options.preloaded ?? (await deps.candles.loadCandles(spec.market, spec.fromMs, spec.toMs));
  // History before `from` for the indicators to forget their seeds: the strategies' startup candles and the loop's own (risk ATR, veto features).
  const needed = loopStartupCandles(
    spec.strategies.map((name) => strategies.create(name, spec.params[name] ?? {})),
    spec.veto || anyLoopModel(spec.models),
  );
  const timeframeMs = TIMEFRAME_MS[spec.market.timeframe];
  const history = options.preloaded
    ? (options.preloadedWarmup ?? emptyColumns())
    : needed > 0
      ? await deps.candles.loadCandles(spec.market, spec.fromMs - needed * timeframeMs, spec.fromMs)
      : emptyColumns();
  if (columns.length === 0) {
    throw new ValidationError(
      'from',
      new Date(spec.fromMs).toISOString(),
      `no ${spec.market.exchange} ${spec.market.symbol} ${spec.market.timeframe} candles between ${new Date(spec.fromMs).toISOString()} and ${new Date(spec.toMs).toISOString()}; import or download them first`,
    );
  }
  const runId = deps.newId();
  await deps.runs.create({
    id: runId,
    config: spec.canonical,
    configHash: createHash('sha256').update(canonicalJson(spec.canonical)).digest('hex'),
    exchange: spec.market.exchange,
    symbol: spec.market.symbol,
    timeframe: spec.market.timeframe,
    fromMs: spec.fromMs,
    toMs: spec.toMs,
  });
  try {
    const result = await simulate(spec, columns, runId, { ...deps, strategies, models }, { ...options, warmup: { history, needed } });
    await deps.runs.complete(runId, {
      metrics: { ...result.returnMetrics, ...result.tradeMetrics, finalEquity: result.finalEquity, stats: result.stats, halts: result.halts, warmup: result.warmup } satisfies BacktestRunMetrics,
      equity: result.equity,
      tradeCount: result.trades.length,
      decisionCount: result.stats.decisions,
    });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.runs.fail(runId, message).catch((failError) => {
      deps.logger.error({ err: failError, runId }, 'could not mark the run failed; it is marked failed once the database answers again');
      deps.onRunLeftRunning?.(runId, message);
    });
    throw error;
  }
}

/**
 * The simulation proper: feeds candles through the live loop. Exported for the benchmark.
 * `deps.models`: the loaded models of `spec.models` (see {@link loadBacktestModels}); a kind without its model is off.
 * `options.warmup.history` (candles before `from`, oldest first) goes to the loop's warm-up first:
 * indicators only, no decisions, orders or equity points; its last `needed` rows are used.
 */
export async function simulate(
  spec: ResolvedBacktest,
  columns: CandleColumns,
  runId: string | null,
  deps: Pick<BacktestDeps, 'journal' | 'logger' | 'newId' | 'vetoModel' | 'journalBatchSize' | 'strategies'> & { models?: LoopModels },
  options: Pick<BacktestOptions, 'onProgress'> & { warmup?: { history: CandleColumns; needed: number } } = {},
): Promise<BacktestResult> {
  const timeframeMs = TIMEFRAME_MS[spec.market.timeframe];
  const catalog = deps.strategies ?? createBuiltInCatalog();
  // Only history strictly before the first traded candle, at most `needed` rows of it.
  const history = options.warmup?.history ?? emptyColumns();
  const needed = options.warmup?.needed ?? 0;
  let before = history.length;
  while (before > 0 && history.openTimeMs[before - 1] >= columns.openTimeMs[0]) before--;
  const warmupCount = Math.min(needed, before);
  const clock = createManualClock(columns.openTimeMs[0]);
  const trades: ClosedTrade[] = [];
  let decisions = 0;
  const journalRepository = {
    ...deps.journal,
    appendDecisions: (rows: Parameters<typeof deps.journal.appendDecisions>[0]) => {
      decisions += rows.length;
      return deps.journal.appendDecisions(rows);
    },
  };
  const writer = spec.decisionDetail === 'off' && !runId ? null : createJournalWriter({ batchSize: deps.journalBatchSize ?? 2_000 }, { repository: journalRepository, logger: deps.logger });
  let onClosed: (t: ClosedTrade) => void = () => undefined;
  const exchange = createPaperExchange(spec.paper, {
    clock,
    listener: { onTradeClosed: (t: ClosedTrade) => onClosed(t) },
  });
  const risk = createRiskEngine(spec.risk, { clock });
  const loop = createTradingLoop(
    {
      market: spec.market,
      runId,
      strategies: spec.strategies.map((name) => catalog.create(name, spec.params[name] ?? {})),
      fusion: spec.fusion,
      decisionDetail: spec.decisionDetail,
      allowShort: spec.paper.marketType === 'futures',
      capacityHint: columns.length + warmupCount,
      exits: spec.exits,
      models: spec.models,
    },
    {
      clock,
      exchange,
      account: exchange,
      simulator: exchange,
      risk,
      journal: writer,
      veto: spec.veto ? (deps.vetoModel ?? null) : null,
      models: deps.models,
      newId: deps.newId,
    },
  );
  onClosed = (t) => {
    trades.push(loop.onTradeClosed(t));
  };

  for (let i = before - warmupCount; i < before; i++) loop.warmUp(history, i);

  const n = columns.length;
  const { openTimeMs } = columns;
  const progressEvery = Math.max(1, Math.floor(n / 100));
  // Breaker halts as the risk engine reports them, so the run page can say when and why entries stopped.
  const halts: BreakerHalt[] = [];
  let halted = risk.isHalted();
  for (let i = 0; i < n; i++) {
    clock.set(openTimeMs[i] + timeframeMs);
    const pending = loop.onCandle(columns, i);
    if (pending) await pending;
    if (risk.isHalted() !== halted) {
      halted = !halted;
      if (halted) {
        const state = risk.state();
        halts.push({ timeMs: state.haltedAtMs ?? openTimeMs[i] + timeframeMs, reason: state.haltReason ?? 'no reason recorded', resumedAtMs: null });
      } else if (halts.length > 0) {
        halts[halts.length - 1].resumedAtMs = openTimeMs[i] + timeframeMs;
      }
    }
    if (options.onProgress && i % progressEvery === 0) options.onProgress(i, n);
  }
  // What is still open closes at the last close, so the trades account for the whole equity change.
  if (spec.closeAtEnd) await loop.closeOpenPosition(TradeExitReason.EndOfRun);
  await writer?.flush();
  options.onProgress?.(n, n);

  const curve = risk.equityCurve();
  const length = loop.stats().candles;
  const returns = equityToReturns(curve.equity.subarray(0, length));
  const periodsPerYear = (365 * DAY_MS) / timeframeMs;
  const returnMetrics = computeReturnMetrics(returns, { periodsPerYear, riskFreeRate: 0 });
  const spanMs = openTimeMs[n - 1] + timeframeMs - openTimeMs[0];
  const tradeMetrics = computeTradeMetrics(
    trades.map((t) => ({ pnl: tradeNetPnl(t), entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, notional: t.amount * t.entryPrice })),
    { spanMs, equity: spec.paper.initialBalance },
  );
  return {
    runId: runId ?? '',
    config: spec.canonical,
    candles: n,
    returnMetrics,
    tradeMetrics,
    finalEquity: exchange.equity(),
    trades,
    equity: downsampleEquity(curve.timeMs, curve.equity, length),
    stats: { ...loop.stats(), decisions },
    halts,
    warmup: { candles: warmupCount, needed },
  };
}
