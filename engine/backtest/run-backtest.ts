/**
 * Backtests: the live trading loop driven by a simulated clock and a historical candle feed
 * from the candle repository, against the PaperExchange. No second implementation of trading
 * logic lives here: this module validates the request, wires the loop, feeds it and records
 * the run (running -> complete | failed).
 */
import { parseTimeInput } from '../core/time-input';
import { MARKET_SYMBOL, marketSymbolSchema } from '../core/market-symbol';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import type { BacktestRunMetrics, BacktestRunRepository, BacktestWarmup, BreakerHalt, EquityPoint, PortfolioMarketBreakdown, PortfolioMetrics } from '../ports/backtest-runs';
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
import { DEFAULT_CANDLE_CHUNK, streamCandleChunks } from '../market/candle-chunks';
import { createReturnAccumulator } from '../insight/return-accumulator';
import { parseOrThrow, withFieldPrefix } from '../core/validation';
import { ACCOUNT_ID_PATTERN, DEFAULT_ACCOUNT_ID } from '../account/account-config';
import { NO_STORED_SETTINGS, resolveRunSpec, runDefaults, type RunSpec, type StoredRunSettings } from '../trading/run-spec';
import { createJournalWriter } from '../journal/journal-writer';
import { BACKTEST_FEATURE_ROWS, createTradingLoop, DecisionDetail, DEFAULT_BACKTEST_CHUNK_SIZE, type ClosedTrade, type TradingLoop } from '../loop/trading-loop';
import { loopStartupCandles } from '../loop/signal-phase';
import { createPortfolioAccumulator } from './portfolio';
import { createTradeColumns, type TradeColumns } from './trade-columns';
import { ExitPolicySchema } from '../strategies/exit-policy';
import { TradeExitReason } from '../ports/journal';
import { tradeNetPnl } from '../insight/trade-outcome';
import {
  computeEquityReturnMetrics,
  computeTradeMetrics,
  createTradeTotalsAccumulator,
  tradeMetricsFromTotals,
  type TradeForMetrics,
  type TradeTotalsAccumulator,
  type ReturnMetrics,
  type TradeMetrics,
} from '../insight/metrics';

const DAY_MS = 86_400_000;

/** Most markets one portfolio run may trade. */
export const MAX_PORTFOLIO_MARKETS = 50;

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
  /** The market of a single-market run; exactly one of `symbol` and `symbols`. */
  symbol: marketSymbolSchema.optional(),
  /**
   * The markets of a portfolio run sharing one account (2..50 symbols), or "all": every market stored for
   * the exchange and timeframe (resolved by `expandStoredSymbols` before the request is resolved).
   */
  symbols: z
    .union([z.literal('all'), z.array(marketSymbolSchema)], 'expected a list of symbols or "all"')
    .superRefine((symbols, ctx) => {
      // Counted here rather than on the array: a failed union branch does not always report its own message.
      if (symbols === 'all') return;
      if (symbols.length < 2) ctx.addIssue({ code: 'custom', message: 'expected at least 2 symbols (use "symbol" for one market)' });
      if (symbols.length > MAX_PORTFOLIO_MARKETS) ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_PORTFOLIO_MARKETS} symbols` });
    })
    .optional(),
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
  /**
   * Candles per column-wise phase of the loop (features, adapter outputs and fusion over typed columns); an
   * integer >= 1, default {@link DEFAULT_BACKTEST_CHUNK_SIZE}. Speed only: every chunk size gives the same run,
   * so it is not part of the stored config.
   */
  chunkSize: z.number().int('expected an integer >= 1').min(1, 'expected an integer >= 1').optional(),
});
export type BacktestRequest = z.input<typeof backtestRequestSchema>;

/** A validated backtest request with resolved times and its resolved run spec. */
export interface ResolvedBacktest extends RunSpec {
  /** The first (for a single-market run, the only) market. */
  market: MarketKey;
  /**
   * Every market of the run in the listed order, `market` first; one for a single-market run. Absent on
   * specs built by hand before portfolio runs existed: read it with `marketsOf`.
   */
  markets?: readonly MarketKey[];
  fromMs: number;
  toMs: number;
  decisionDetail: DecisionDetail;
  /** Whether a position still open after the last candle is closed at its close (`end-of-run`). */
  closeAtEnd: boolean;
  /** Candles per column-wise phase (see `backtestRequestSchema.chunkSize`); {@link DEFAULT_BACKTEST_CHUNK_SIZE} when absent. */
  chunkSize?: number;
  /** The canonical config stored with the run and hashed: the whole resolved spec. */
  canonical: Record<string, unknown>;
}

/** Moved to `engine/settings/trading-defaults.ts`; re-exported for existing importers. */
export { DEFAULT_PAPER, DEFAULT_RISK } from '../settings/trading-defaults';

/** A request's time (see engine/core/time-input.ts: dates and zone-less times are UTC). */
const parseTime = parseTimeInput;

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
  const symbols = symbolsOfRequest(r.symbol, r.symbols);
  if (toMs <= fromMs) throw new ValidationError('to', r.to, `the date range is empty: "to" must be after "from" (${new Date(fromMs).toISOString()})`);
  const spec = resolveRunSpec(
    { strategies: r.strategies, params: r.params, fusion: r.fusion, risk: r.risk, paper: r.paper, veto: r.veto, models: r.models, exits: r.exits },
    stored,
    runDefaults('backtest', TIMEFRAME_MS[r.timeframe as Timeframe]),
    catalog,
  );
  for (const symbol of symbols) validatePaperConfig(spec.paper, symbol);
  const canonical = {
    accountId: spec.accountId,
    exchange: r.exchange,
    ...(symbols.length === 1 ? { symbol: symbols[0] } : { symbols }),
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
  const markets = symbols.map((symbol): MarketKey => ({ exchange: r.exchange, symbol, timeframe: r.timeframe as Timeframe }));
  return {
    ...spec,
    market: markets[0],
    markets,
    fromMs,
    toMs,
    decisionDetail: r.decisionDetail,
    closeAtEnd: r.closeAtEnd,
    ...(r.chunkSize === undefined ? {} : { chunkSize: r.chunkSize }),
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
    ...(marketsOf(spec).length === 1 ? { symbol: spec.market.symbol } : { symbols: marketsOf(spec).map((m) => m.symbol) }),
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
    ...(spec.chunkSize === undefined ? {} : { chunkSize: spec.chunkSize }),
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
 * Pins the `deployed` versions of a resolved backtest's models to the versions deployed now (canonical config
 * updated, so the run records the versions it used): a backtest when it is queued, a study's trials when the study is.
 * Nothing to do without models.
 * @throws ValidationError naming `models.<kind>` when a kind has no deployed model, or there is no model source at all.
 */
export function pinBacktestModels(spec: ResolvedBacktest, source: LoopModelSource | null | undefined): void {
  if (!anyLoopModel(spec.models)) return;
  if (!source) throw noModelSource(spec.models);
  spec.models = pinDeployedVersions(spec.models, source);
  spec.canonical = { ...spec.canonical, models: spec.models };
}

/**
 * Pins a resolved backtest's models (see {@link pinBacktestModels}) and loads them. Nothing to do without models.
 * @throws ValidationError as `pinBacktestModels`, and naming `models.<kind>` when a named version does not exist.
 */
export async function loadBacktestModels(spec: ResolvedBacktest, source: LoopModelSource | null | undefined): Promise<LoopModels | undefined> {
  pinBacktestModels(spec, source);
  if (!anyLoopModel(spec.models)) return undefined;
  return source!.load(spec.models);
}

/** The markets of a resolved run in the listed order (one for a single-market run). */
export function marketsOf(spec: Pick<ResolvedBacktest, 'market' | 'markets'>): readonly MarketKey[] {
  return spec.markets ?? [spec.market];
}

/** Whether a resolved run trades more than one market (a portfolio run). */
export function isPortfolio(spec: Pick<ResolvedBacktest, 'market' | 'markets'>): boolean {
  return marketsOf(spec).length > 1;
}

/**
 * The symbols a request trades: `[symbol]`, or `symbols` (already expanded from "all").
 * @throws ValidationError naming `symbol`/`symbols` when both or neither are given, `symbols` is still
 * "all", or a symbol is listed twice.
 */
function symbolsOfRequest(symbol: string | undefined, symbols: string[] | 'all' | undefined): string[] {
  if (symbol !== undefined && symbols !== undefined) throw new ValidationError('symbols', symbols, 'give either "symbol" (one market) or "symbols" (a portfolio), not both');
  if (symbols === undefined) {
    if (symbol === undefined) throw new ValidationError('symbol', undefined, 'expected a symbol (or "symbols" for a portfolio run)');
    return [symbol];
  }
  if (symbols === 'all') throw new ValidationError('symbols', symbols, '"all" must be expanded to the stored markets first (expandStoredSymbols)');
  const seen = new Set<string>();
  for (const s of symbols) {
    if (seen.has(s)) throw new ValidationError('symbols', s, `"${s}" is listed twice`);
    seen.add(s);
  }
  return symbols;
}

/**
 * Replaces `symbols: "all"` in a request by every symbol stored for its exchange and timeframe (sorted) that follows
 * the market-symbol rule (engine/core/market-symbol.ts: markets stored under another key before the rule, `btc/usdt`,
 * are left out rather than refusing the run); any other request is returned as it is. Reads the store's market listing once.
 * @throws ValidationError naming `symbols` when fewer than 2 or more than {@link MAX_PORTFOLIO_MARKETS} markets are stored.
 */
export async function expandStoredSymbols(input: unknown, candles: Pick<CandleRepository, 'summarize'>): Promise<unknown> {
  if (input === null || typeof input !== 'object' || (input as { symbols?: unknown }).symbols !== 'all') return input;
  const { exchange, timeframe } = input as { exchange?: unknown; timeframe?: unknown };
  const stored = (await candles.summarize())
    .filter((s) => s.exchange === exchange && s.timeframe === timeframe && s.count > 0 && MARKET_SYMBOL.test(s.symbol))
    .map((s) => s.symbol)
    .sort();
  const what = `${String(exchange)} ${String(timeframe)}`;
  if (stored.length < 2) throw new ValidationError('symbols', 'all', `${stored.length} ${what} market${stored.length === 1 ? ' is' : 's are'} stored; a portfolio run needs at least 2`);
  if (stored.length > MAX_PORTFOLIO_MARKETS) throw new ValidationError('symbols', 'all', `${stored.length} ${what} markets are stored; a run takes at most ${MAX_PORTFOLIO_MARKETS}, list them in "symbols"`);
  return { ...(input as Record<string, unknown>), symbols: stored };
}

/** The stored candles of one market in a run's range: its first and last open time, or null when none. */
export interface MarketSpan {
  symbol: string;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

/**
 * Checks that every market of a portfolio run has candles in the range and that their ranges overlap
 * (a market may join later or stop earlier, but some time must be common to all).
 * @throws ValidationError naming `symbols` and the market (or the list) otherwise.
 */
export function checkPortfolioSpans(spec: Pick<ResolvedBacktest, 'market' | 'markets' | 'fromMs' | 'toMs'>, spans: readonly (MarketSpan | null)[]): void {
  const markets = marketsOf(spec);
  const range = `between ${new Date(spec.fromMs).toISOString()} and ${new Date(spec.toMs).toISOString()}`;
  markets.forEach((m, k) => {
    if (spans[k] === null) throw new ValidationError('symbols', m.symbol, `no ${m.exchange} ${m.symbol} ${m.timeframe} candles ${range}; import or download them first`);
  });
  const present = spans as readonly MarketSpan[];
  const latestStart = present.reduce((a, s) => (s.firstOpenTimeMs > a.firstOpenTimeMs ? s : a));
  const earliestEnd = present.reduce((a, s) => (s.lastOpenTimeMs < a.lastOpenTimeMs ? s : a));
  if (latestStart.firstOpenTimeMs > earliestEnd.lastOpenTimeMs) {
    throw new ValidationError(
      'symbols',
      markets.map((m) => m.symbol).join(','),
      `the markets have no overlapping data ${range}: ${earliestEnd.symbol} ends at ${new Date(earliestEnd.lastOpenTimeMs).toISOString()}, before ${latestStart.symbol} starts at ${new Date(latestStart.firstOpenTimeMs).toISOString()}`,
    );
  }
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

/** The quote currency of a run's paper account, read from its stored config (`config.paper.quoteCurrency`); null when it has none. */
export function runQuoteCurrency(config: Record<string, unknown>): string | null {
  const paper = (config.paper ?? null) as { quoteCurrency?: unknown } | null;
  return typeof paper?.quoteCurrency === 'string' ? paper.quoteCurrency : null;
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
  /** Warm-up history fed before `from`: candles stored of the candles the strategies need (a portfolio: its least-warmed market). */
  warmup: BacktestWarmup;
  /** A portfolio run's per-market breakdown and return correlations; null for a single-market run. */
  portfolio: PortfolioMetrics | null;
}

/** The stored metrics' shape is the port's (engine/ports/backtest-runs.ts); re-exported for the app's tables. */
export type { BacktestRunMetricName, BacktestRunMetrics, BacktestWarmup, PortfolioMarketBreakdown, PortfolioMetrics, StoredBacktestRunMetrics } from '../ports/backtest-runs';

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
  /**
   * A run whose range spans more candles than this over all its markets (range / timeframe × markets) streams them from
   * the store in chunks ({@link simulatePortfolioStreamed}: bounded memory, the same trades; return metrics from running
   * sums); default {@link STREAMED_BACKTEST_CANDLES}. `preloaded` candles always run whole.
   */
  streamAboveCandles?: number;
}

function emptyColumns(): CandleColumns {
  return candleColumnsFromRows([]);
}

/**
 * A run's warm-up, as the run page and the API state it: "139 candles before the range, all the strategies need" when
 * every candle the strategies need was stored, else "20 of the 139 candles the strategies need, stored before the range
 * (its first candles trade on indicators that still depend on where the history began)".
 */
export function describeBacktestWarmup(warmup: BacktestWarmup): string {
  const plural = (n: number) => (n === 1 ? '' : 's');
  return warmup.candles >= warmup.needed
    ? `${warmup.needed} candle${plural(warmup.needed)} before the range, all the strategies need`
    : `${warmup.candles} of the ${warmup.needed} candle${plural(warmup.needed)} the strategies need, stored before the range (its first candles trade on indicators that still depend on where the history began)`;
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

/** One market's candles for a simulation: the range to trade and, optionally, history before it to warm up with. */
export interface SimulatedMarket {
  columns: CandleColumns;
  /** Candles before `from`, oldest first; the last `needed` rows strictly before the first traded candle warm the indicators. */
  warmup?: { history: CandleColumns; needed: number };
}

/**
 * Runs a backtest and records it. Validation failures throw ValidationError before anything is
 * written; a failure after the run row exists marks the run failed and rethrows. A request with
 * `symbols` runs a portfolio (see `simulatePortfolio`); `symbols: "all"` is expanded over the stored markets.
 */
export async function runBacktest(input: unknown, deps: BacktestDeps, options: BacktestOptions = {}): Promise<BacktestResult> {
  const strategies = deps.strategies ?? createBuiltInCatalog();
  const spec = resolveBacktest(await expandStoredSymbols(input, deps.candles), deps.stored, strategies);
  if (spec.veto && !deps.vetoModel) throw new ValidationError('veto', true, 'no veto model is deployed; deploy one or run with veto off');
  const models = await loadBacktestModels(spec, deps.loopModels);
  const markets = marketsOf(spec);
  const portfolio = markets.length > 1;
  if (portfolio && options.preloaded) throw new ValidationError('symbols', markets.map((m) => m.symbol).join(','), 'preloaded candles are for single-market runs; call simulatePortfolio');
  // History before `from` for the indicators to forget their seeds: the strategies' startup candles and the loop's own (risk ATR, veto features).
  const needed = loopStartupCandles(
    spec.strategies.map((name) => strategies.create(name, spec.params[name] ?? {})),
    spec.veto || anyLoopModel(spec.models),
  );
  const timeframeMs = TIMEFRAME_MS[spec.market.timeframe];
  // Candles the range holds on the timeframe's grid, per market; a run streams when all its markets' together exceed the threshold.
  const expectedCandles = Math.ceil((spec.toMs - spec.fromMs) / timeframeMs);
  const streamed = !options.preloaded && expectedCandles * markets.length > (options.streamAboveCandles ?? STREAMED_BACKTEST_CANDLES);
  const historyOf = async (market: MarketKey) =>
    options.preloaded
      ? (options.preloadedWarmup ?? emptyColumns())
      : needed > 0
        ? await deps.candles.loadCandles(market, spec.fromMs - needed * timeframeMs, spec.fromMs)
        : emptyColumns();
  const inputs: SimulatedMarket[] = [];
  const streams: StreamedMarket[] = [];
  const spans: (MarketSpan | null)[] = [];
  for (const market of markets) {
    if (portfolio && (await deps.candles.countCandles(market)) === 0) {
      throw new ValidationError('symbols', market.symbol, `no ${market.timeframe} candles are stored for "${market.symbol}" on "${market.exchange}"; import or download them first`);
    }
    if (streamed) {
      const chunks = streamCandleChunks(deps.candles, market, spec.fromMs, spec.toMs);
      const first = await chunks.next();
      if (first.done) {
        spans.push(null);
        continue;
      }
      const firstOpenTimeMs = first.value.openTimeMs[0];
      spans.push({ symbol: market.symbol, firstOpenTimeMs, lastOpenTimeMs: portfolio ? await lastOpenTimeIn(deps.candles, market, firstOpenTimeMs, spec.toMs) : NaN });
      streams.push({ chunks: startingWith(first.value, chunks), expectedCandles, warmup: { history: await historyOf(market), needed } });
    } else {
      const columns = options.preloaded ?? (await deps.candles.loadCandles(market, spec.fromMs, spec.toMs));
      spans.push(columns.length === 0 ? null : { symbol: market.symbol, firstOpenTimeMs: columns.openTimeMs[0], lastOpenTimeMs: columns.openTimeMs[columns.length - 1] });
      inputs.push({ columns, warmup: { history: await historyOf(market), needed } });
    }
  }
  if (portfolio) checkPortfolioSpans(spec, spans);
  else if (spans[0] === null) throw noCandlesError(spec);
  const runId = deps.newId();
  await deps.runs.create({
    id: runId,
    config: spec.canonical,
    configHash: createHash('sha256').update(canonicalJson(spec.canonical)).digest('hex'),
    exchange: spec.market.exchange,
    symbol: runSymbolOf(spec),
    timeframe: spec.market.timeframe,
    fromMs: spec.fromMs,
    toMs: spec.toMs,
  });
  try {
    const result = streamed
      ? await simulatePortfolioStreamed(spec, streams, runId, { ...deps, strategies, models }, options)
      : await simulatePortfolio(spec, inputs, runId, { ...deps, strategies, models }, options);
    await deps.runs.complete(runId, {
      metrics: {
        ...result.returnMetrics,
        ...result.tradeMetrics,
        finalEquity: result.finalEquity,
        stats: result.stats,
        halts: result.halts,
        warmup: result.warmup,
        ...(result.portfolio ? { portfolio: result.portfolio } : {}),
      } satisfies BacktestRunMetrics,
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

/** The refusal of a single-market run whose range holds no stored candle. */
function noCandlesError(spec: ResolvedBacktest): ValidationError {
  const range = `between ${new Date(spec.fromMs).toISOString()} and ${new Date(spec.toMs).toISOString()}`;
  return new ValidationError('from', new Date(spec.fromMs).toISOString(), `no ${spec.market.exchange} ${spec.market.symbol} ${spec.market.timeframe} candles ${range}; import or download them first`);
}

/**
 * The open time of the last candle stored for `key` in `[fromMs, toMs)` (NaN when none), read backwards in windows of
 * {@link DEFAULT_CANDLE_CHUNK} timeframes, so a streamed run learns where a market ends without loading its range.
 */
async function lastOpenTimeIn(candles: Pick<CandleRepository, 'loadCandles'>, key: MarketKey, fromMs: number, toMs: number): Promise<number> {
  const windowMs = DEFAULT_CANDLE_CHUNK * TIMEFRAME_MS[key.timeframe];
  for (let endMs = toMs; endMs > fromMs; endMs -= windowMs) {
    const window = await candles.loadCandles(key, Math.max(fromMs, endMs - windowMs), endMs);
    if (window.length > 0) return window.openTimeMs[window.length - 1];
  }
  return NaN;
}

/** `first`, then what `rest` yields (a stream whose first chunk was read ahead). */
async function* startingWith<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  yield first;
  yield* rest;
}

/**
 * What a run stores in its `symbol` column: the symbol of a single-market run, the comma-joined symbols
 * (listed order, no spaces) of a portfolio run, e.g. "BTC/USDT,ETH/USDT".
 */
export function runSymbolOf(spec: Pick<ResolvedBacktest, 'market' | 'markets'>): string {
  return marketsOf(spec)
    .map((m) => m.symbol)
    .join(',');
}

/**
 * The simulation of one market: `simulatePortfolio` with that market alone. Exported for the benchmark
 * and the session-drift replay. `deps.models`: the loaded models of `spec.models` (see {@link loadBacktestModels}); a kind without its model is off.
 * `options.warmup.history` (candles before `from`, oldest first) goes to
 * the loop's warm-up first: indicators only, no decisions, orders or equity points; its last `needed` rows are used.
 */
export async function simulate(
  spec: ResolvedBacktest,
  columns: CandleColumns,
  runId: string | null,
  deps: SimulationDeps,
  options: Pick<BacktestOptions, 'onProgress'> & { warmup?: { history: CandleColumns; needed: number } } = {},
): Promise<BacktestResult> {
  return simulatePortfolio({ ...spec, markets: [spec.market] }, [{ columns, warmup: options.warmup }], runId, deps, options);
}

/**
 * The whole-range simulation, over one or more markets sharing one account: one trading loop per market
 * (`marketsOf(spec)[k]` trades `markets[k]`), all on ONE simulated clock, ONE paper exchange and ONE
 * risk engine, so max open positions, per-symbol exposure, leverage and the breakers apply across the
 * markets exactly as they do to live sessions of one account. Candles are fed in open-time order
 * (markets of one open time in the listed order, as `mergeCandleTimelines` (engine/testing/two-pass-portfolio.ts) orders them, so the first listed
 * market gets the first claim on a shared cap); a market whose data starts later joins then. A single market
 * is a portfolio of one (the same code path; no per-market accounting is done then). It is the simulation of
 * {@link simulatePortfolioStreamed} fed each market's columns as one chunk, keeping the whole curve.
 *
 * Equity: the risk engine records a point per market candle; the run's curve keeps the last point of
 * each open time (the account after every market of that time), downsampled by `downsampleEquity`, and the
 * return metrics are `computeEquityReturnMetrics` of it (`computeReturnMetrics` of its returns). With `closeAtEnd`, positions still
 * open are closed at their market's last close, at the run's end (the clock after the last candle).
 * Portfolio runs also return `portfolio`: per-market breakdown and return correlations (see engine/backtest/portfolio.ts;
 * the correlations from running co-moments, equal to the two-pass `correlationMatrix` within 1e-9 relative).
 * Exported for studies that trade several markets per trial.
 * @throws RangeError when `markets` and the spec's markets differ in number; ValidationError naming `chunks[<symbol>]`
 *   when a market's open times do not ascend.
 */
export async function simulatePortfolio(
  spec: ResolvedBacktest,
  markets: readonly SimulatedMarket[],
  runId: string | null,
  deps: SimulationDeps,
  options: Pick<BacktestOptions, 'onProgress'> = {},
): Promise<BacktestResult> {
  const feeds = markets.map((m): StreamedMarket => ({ chunks: [m.columns], expectedCandles: m.columns.length, warmup: m.warmup }));
  return simulateMarkets(spec, feeds, runId, deps, { bounded: false, keepTrades: true, maxFeatureRows: BACKTEST_FEATURE_ROWS, maxEquityPoints: 1000, onProgress: options.onProgress });
}

/** Candles above which `runBacktest` streams a run (all its markets' candles: range / timeframe × markets; see {@link simulatePortfolioStreamed}) instead of loading the range. */
export const STREAMED_BACKTEST_CANDLES = 1_000_000;

/** Feature rows a streamed run keeps at most (raised to the loop's lookback plus a chunk when smaller). */
export const STREAMED_FEATURE_ROWS = 65_536;

/**
 * Finished orders a backtest's paper exchange keeps, whole or streamed (the loop only ever asks about its few working
 * orders): the older ones are forgotten and their records reused by the next orders (was 1,000, streamed runs only).
 */
export const BACKTEST_FINISHED_ORDERS = 64;

/** One market's candles as a stream, for {@link simulateStreamed} and {@link simulatePortfolioStreamed}. */
export interface StreamedMarket {
  /** The candles to trade in ascending, non-overlapping chunks (e.g. `streamCandleChunks`); empty chunks are skipped. */
  chunks: AsyncIterable<CandleColumns> | Iterable<CandleColumns>;
  /** Candles expected (pre-sizing and progress; an estimate is fine, e.g. the range over the timeframe). */
  expectedCandles: number;
  /** Candles before `from` to warm up with, as for {@link simulate}. */
  warmup?: { history: CandleColumns; needed: number };
}

/** Options of {@link simulateStreamed} and {@link simulatePortfolioStreamed}. */
export interface StreamedOptions extends Pick<BacktestOptions, 'onProgress'> {
  /** Keep every closed trade in `result.trades` (default true); false keeps only their totals, for runs of millions of trades. */
  keepTrades?: boolean;
  /** Feature rows kept at most per market (see `TradingLoopConfig.maxFeatureRows`); default {@link STREAMED_FEATURE_ROWS}. */
  maxFeatureRows?: number;
  /** Points of the returned equity curve at most (+ the last); default 1000, as `downsampleEquity`. */
  maxEquityPoints?: number;
}

/**
 * The single-market case of {@link simulatePortfolioStreamed}: `market` is `spec.market`'s stream of chunks.
 * @throws what {@link simulatePortfolioStreamed} throws.
 */
export async function simulateStreamed(spec: ResolvedBacktest, market: StreamedMarket, runId: string | null, deps: SimulationDeps, options: StreamedOptions = {}): Promise<BacktestResult> {
  return simulatePortfolioStreamed({ ...spec, markets: [spec.market] }, [market], runId, deps, options);
}

/**
 * The simulation of {@link simulatePortfolio} over streams of candle chunks (one per market, `marketsOf(spec)` order), in
 * bounded memory whatever the run's length. The streams are merged chunk-wise: a k-way merge by open time over each
 * market's current chunk (ties in the listed order, as `mergeCandleTimelines` (engine/testing/two-pass-portfolio.ts)), a market's next chunk read when its
 * current one is used up. The loops keep a bounded window of feature rows, the risk engine's curve is read and cleared
 * whenever a chunk is used up, the paper exchange forgets finished orders beyond the last {@link BACKTEST_FINISHED_ORDERS},
 * and the results come from running accumulators. It trades exactly as {@link simulatePortfolio} on the same candles (the
 * same trades, decisions, counters, halts, final equity and per-market trades, wins, net PnL, fees, contribution and
 * drawdown); the rest differs only where noted: the return metrics come from `createReturnAccumulator` over one equity
 * point per open time (volatility and Sharpe equal within rounding, the rest exact), the trade metrics from the trades (or,
 * with `keepTrades` false, from `createTradeTotalsAccumulator`: exact), the correlations from `createPortfolioAccumulator`
 * (both runs use it), and the equity curve is thinned on the fly (`createEquityThinner`: evenly spaced points, the first
 * and the last kept) rather than by `downsampleEquity`.
 * @throws RangeError when `markets` and the spec's markets differ in number; ValidationError naming `chunks[<symbol>]`
 *   when a market's open times do not ascend (a chunk out of order or overlapping the previous one), and what the
 *   loop throws; errors of the streams (the store) pass through.
 */
export async function simulatePortfolioStreamed(
  spec: ResolvedBacktest,
  markets: readonly StreamedMarket[],
  runId: string | null,
  deps: SimulationDeps,
  options: StreamedOptions = {},
): Promise<BacktestResult> {
  return simulateMarkets(spec, markets, runId, deps, {
    bounded: true,
    keepTrades: options.keepTrades ?? true,
    maxFeatureRows: options.maxFeatureRows ?? STREAMED_FEATURE_ROWS,
    maxEquityPoints: options.maxEquityPoints ?? 1000,
    onProgress: options.onProgress,
  });
}

/** How {@link simulateMarkets} runs: whole (the curve kept, batch metrics) or bounded (curve drained into accumulators). */
interface SimulationMode {
  bounded: boolean;
  keepTrades: boolean;
  maxFeatureRows?: number;
  maxEquityPoints: number;
  onProgress?: (done: number, total: number) => void;
}

/** The refusal of a market's candle that does not come after the one before it. */
function outOfOrder(symbol: string, openTimeMs: number, afterMs: number): ValidationError {
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
  return new ValidationError(
    `chunks[${symbol}]`,
    openTimeMs,
    `the candle opening at ${iso(openTimeMs)} comes after the one opening at ${iso(afterMs)}; a market's chunks must hold ascending open times and follow each other without overlap`,
  );
}

/** The one simulation loop behind {@link simulatePortfolio} (whole) and {@link simulatePortfolioStreamed} (bounded). */
async function simulateMarkets(spec: ResolvedBacktest, feeds: readonly StreamedMarket[], runId: string | null, deps: SimulationDeps, mode: SimulationMode): Promise<BacktestResult> {
  const keys = marketsOf(spec);
  if (keys.length !== feeds.length) throw new RangeError(`the spec lists ${keys.length} markets but ${feeds.length} were given`);
  const k = keys.length;
  const portfolio = k > 1;
  const timeframeMs = TIMEFRAME_MS[spec.market.timeframe];
  const iterators = feeds.map(({ chunks }) => (Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]()));
  /** Market m's next non-empty chunk (null at its end), its first candle checked to come after `afterMs`. */
  const nextChunk = async (m: number, afterMs: number): Promise<CandleColumns | null> => {
    let next = await iterators[m].next();
    while (!next.done && next.value.length === 0) next = await iterators[m].next();
    if (next.done) return null;
    if (!(next.value.openTimeMs[0] > afterMs)) throw outOfOrder(keys[m].symbol, next.value.openTimeMs[0], afterMs);
    return next.value;
  };
  const chunks: CandleColumns[] = [];
  for (let m = 0; m < k; m++) chunks.push((await nextChunk(m, -Infinity)) ?? emptyColumns());
  // Int32: a row read from a Float64Array reaches the loop as a boxed double, and every sum of it in code that is not optimised allocates.
  const rows = new Int32Array(k);
  const live = Uint8Array.from(chunks, (c) => (c.length > 0 ? 1 : 0));
  const firstOpen = Float64Array.from(chunks, (c) => (c.length > 0 ? c.openTimeMs[0] : NaN));
  const lastOpen = new Float64Array(k).fill(NaN);
  const fed = new Float64Array(k);
  const firstOpenTimeMs = firstOpen.reduce((t, ms) => (ms < t ? ms : t), Infinity);
  const expected = Math.max(1, Math.floor(feeds.reduce((sum, f) => sum + f.expectedCandles, 0)));
  // Whole: one equity point per candle reserved up front, so recording equity never allocates mid-run; bounded: a chunk's worth, drained.
  const run = createSimulationRun(
    spec,
    runId,
    deps,
    Number.isFinite(firstOpenTimeMs) ? firstOpenTimeMs : 0,
    mode.bounded ? Math.min(expected, DEFAULT_CANDLE_CHUNK) : expected,
    mode.keepTrades,
    BACKTEST_FINISHED_ORDERS,
  );
  const { clock, exchange, risk } = run;
  const warmups: BacktestWarmup[] = [];
  const loops = keys.map((market, m) => {
    const { loop, warmup } = addMarketLoop(run, spec, deps, market, portfolio, firstOpen[m], feeds[m].warmup, Math.max(1, Math.floor(feeds[m].expectedCandles)), mode.maxFeatureRows);
    warmups.push(warmup);
    return loop;
  });

  // Bounded: the curve's points go to the running return metrics and the thinner as they are drained (a portfolio's:
  // the last point of each open time, held until a later time shows up).
  const returns = mode.bounded ? createReturnAccumulator({ periodsPerYear: periodsPerYearOf(timeframeMs), riskFreeRate: 0 }) : null;
  const thinned = mode.bounded ? createEquityThinner(mode.maxEquityPoints) : null;
  const held = Float64Array.of(NaN, NaN);
  const emit = (timeMs: number, equity: number) => {
    returns!.addEquity(equity);
    thinned!.add(timeMs, equity);
  };
  const drainCurve = () => {
    const points = risk.equityCurve();
    for (let p = 0; p < points.timeMs.length; p++) {
      if (!portfolio) emit(points.timeMs[p], points.equity[p]);
      else {
        if (held[0] === held[0] && held[0] !== points.timeMs[p]) emit(held[0], held[1]);
        held[0] = points.timeMs[p];
        held[1] = points.equity[p];
      }
    }
    risk.clearEquityCurve();
  };

  // Per-market contribution to the account's equity at the current open time (portfolio runs only), summed as groups end.
  const accumulator = portfolio ? createPortfolioAccumulator(keys.map((m) => m.symbol)) : null;
  const contribution = new Float64Array(k);
  const present = new Uint8Array(k);
  // The account's equity before the current open time's candles, and after the last candle fed.
  const equityBefore = new Float64Array(2);
  let groupOpen = false;
  const endGroup = () => {
    accumulator!.addGroup(contribution, present, equityBefore[0]);
    contribution.fill(0);
    present.fill(0);
    groupOpen = false;
  };

  const onProgress = mode.onProgress;
  const progressEvery = Math.max(1, Math.floor(expected / 100));
  let remaining = live.reduce((sum, l) => sum + l, 0);
  let candles = 0;
  // The per-candle work is in the synchronous steps below, not in this async loop: a long run with idle steps goes round
  // the loop only a few hundred times, too few for V8 to compile it, and an uncompiled loop boxes every number it
  // handles; the steps, called as often, are compiled early. Only integers cross them (the time stays in `stepTime`).
  /** [0]: the open time of the candles being stepped, the earliest next candle of the live markets. */
  const stepTime = new Float64Array(1);
  /** What `startCandle` left to await. */
  let pendingStep: Promise<void> | undefined;
  /** Sets `stepTime` to the earliest next open time of the live markets, after closing the last time's portfolio group. */
  const nextStepTime = (): void => {
    let openTimeMs = Infinity;
    for (let m = 0; m < k; m++) if (live[m] === 1 && chunks[m].openTimeMs[rows[m]] < openTimeMs) openTimeMs = chunks[m].openTimeMs[rows[m]];
    stepTime[0] = openTimeMs;
    if (groupOpen) endGroup();
  };
  /** Starts market `m`'s next candle if it opens at `stepTime[0]`: 0 when it does not, 1 when stepped, 2 when its work is in `pendingStep`. */
  const startCandle = (m: number): number => {
    if (live[m] !== 1) return 0;
    const columns = chunks[m];
    const row = rows[m];
    if (columns.openTimeMs[row] !== stepTime[0]) return 0;
    clock.setFrom(columns.openTimeMs, row, timeframeMs);
    // Equity changes only inside a market's candle: the account after one market is the account before the next.
    if (portfolio && !groupOpen) {
      equityBefore[0] = exchange.equity();
      equityBefore[1] = equityBefore[0];
      groupOpen = true;
    }
    pendingStep = loops[m].onCandle(columns, row);
    return pendingStep ? 2 : 1;
  };
  /**
   * Ends market `m`'s candle: its contribution to a portfolio, halts, progress; then, one market alone, the idle candles
   * that follow it in one step (no signal, no position, no order), up to the end of the chunk computed ahead (its rows
   * are strictly ordered: the features checked them). Moves to the market's next row; true when its chunk is used up
   * (`lastOpen[m]` is then its last open time).
   */
  const finishCandle = (m: number): boolean => {
    const columns = chunks[m];
    const row = rows[m];
    if (portfolio) {
      const after = exchange.equity();
      contribution[m] = after - equityBefore[1];
      equityBefore[1] = after;
      present[m] = 1;
    }
    run.noteHalts();
    if (onProgress && candles % progressEvery === 0) onProgress(candles, Math.max(expected, candles));
    candles++;
    fed[m]++;
    let last = row;
    if (!portfolio && row + 1 < columns.length && columns.openTimeMs[row + 1] > columns.openTimeMs[row]) {
      const idle = loops[m].onIdleCandles(columns, row + 1, columns.length);
      if (idle > 0) {
        last = row + idle;
        clock.setFrom(columns.openTimeMs, last, timeframeMs);
        if (onProgress) for (let c = Math.ceil(candles / progressEvery) * progressEvery; c < candles + idle; c += progressEvery) onProgress(c, Math.max(expected, c));
        candles += idle;
        fed[m] += idle;
      }
    }
    if (last + 1 < columns.length) {
      if (!(columns.openTimeMs[last + 1] > columns.openTimeMs[last])) throw outOfOrder(keys[m].symbol, columns.openTimeMs[last + 1], columns.openTimeMs[last]);
      rows[m] = last + 1;
      return false;
    }
    lastOpen[m] = columns.openTimeMs[last];
    return true;
  };
  /**
   * One market alone: steps its chunk candle after candle in one synchronous call, until a candle's work is left to
   * await (2, in `pendingStep`; finish it with `finishCandle(0)`) or the chunk is used up (1). The async loop below then
   * goes round once per chunk (and per awaited candle), not once per candle.
   */
  const stepChunk = (): number => {
    const columns = chunks[0];
    for (;;) {
      clock.setFrom(columns.openTimeMs, rows[0], timeframeMs);
      pendingStep = loops[0].onCandle(columns, rows[0]);
      if (pendingStep) return 2;
      if (finishCandle(0)) return 1;
      if (journalFull()) return 3;
    }
  };
  const writer = run.writer;
  const backlogRows = run.journalBacklogRows;
  /** Whether the journal writer holds its most (see `SimulationRun.journalBacklogRows`): the run then waits for the database. */
  const journalFull = (): boolean => writer !== null && writer.pending() >= backlogRows;
  /** Market `m`'s chunk is used up: moves it to its next chunk, or ends it; a bounded run drains the curve. */
  const nextChunkOf = async (m: number): Promise<void> => {
    const next = await nextChunk(m, lastOpen[m]);
    if (next) {
      chunks[m] = next;
      rows[m] = 0;
    } else {
      live[m] = 0;
      remaining--;
    }
    if (mode.bounded) drainCurve();
  };
  while (remaining > 0) {
    if (!portfolio) {
      const stepped = stepChunk();
      if (stepped === 3) {
        await writer!.flush();
        continue;
      }
      if (stepped === 2) {
        await pendingStep;
        if (!finishCandle(0)) continue;
      }
      await nextChunkOf(0);
      continue;
    }
    nextStepTime();
    for (let m = 0; m < k; m++) {
      const started = startCandle(m);
      if (started === 0) continue;
      if (started === 2) await pendingStep;
      const used = finishCandle(m);
      if (journalFull()) await writer!.flush();
      if (used) await nextChunkOf(m);
    }
  }
  // What is still open closes at the last close, so the trades account for the whole equity change.
  if (spec.closeAtEnd) {
    for (let m = 0; m < k; m++) {
      const before = exchange.equity();
      await loops[m].closeOpenPosition(TradeExitReason.EndOfRun);
      if (groupOpen) contribution[m] += exchange.equity() - before;
    }
  }
  if (groupOpen) endGroup();
  await run.writer?.flush();
  onProgress?.(candles, candles);

  let returnMetrics: ReturnMetrics;
  let equity: EquityPoint[];
  if (mode.bounded) {
    drainCurve();
    if (held[0] === held[0]) emit(held[0], held[1]);
    returnMetrics = returns!.metrics();
    equity = thinned!.points();
  } else {
    const recorded = risk.equityCurve();
    const curve = portfolio ? lastPointPerTime(recorded.timeMs, recorded.equity) : { ...recorded, length: recorded.timeMs.length };
    returnMetrics = computeEquityReturnMetrics(curve.equity.subarray(0, curve.length), { periodsPerYear: periodsPerYearOf(timeframeMs), riskFreeRate: 0 });
    equity = downsampleEquity(curve.timeMs, curve.equity, curve.length);
  }
  const lastOpenTimeMs = lastOpen.reduce((t, ms) => (ms > t ? ms : t), -Infinity);
  const spanMs = candles > 0 ? lastOpenTimeMs + timeframeMs - firstOpenTimeMs : NaN;
  const trades = run.trades.toTrades();
  return {
    runId: runId ?? '',
    config: spec.canonical,
    candles,
    returnMetrics,
    tradeMetrics: run.tradeTotals
      ? tradeMetricsFromTotals(run.tradeTotals.totals(), { spanMs, equity: spec.paper.initialBalance })
      : computeTradeMetrics(trades.map(tradeForMetrics), { spanMs, equity: spec.paper.initialBalance }),
    finalEquity: exchange.equity(),
    trades,
    equity,
    stats: run.stats(loops),
    halts: run.halts,
    // A portfolio reports its least-warmed market.
    warmup: warmups.reduce((a, w) => (w.candles - w.needed < a.candles - a.needed ? w : a)),
    portfolio: accumulator
      ? {
          markets: keys.map((market, m): PortfolioMarketBreakdown => {
            const own = run.marketTrades.get(market.symbol)!;
            const stats = loops[m].stats();
            return {
              symbol: market.symbol,
              candles: fed[m],
              firstOpenTimeMs: firstOpen[m],
              trades: own.trades,
              winRate: own.trades > 0 ? own.wins / own.trades : null,
              netPnl: own.netPnl,
              fees: own.fees,
              contribution: accumulator.contribution(m),
              maxDrawdown: accumulator.maxDrawdown(m),
              entries: stats.entries,
              denied: stats.denied,
            };
          }),
          correlation: accumulator.correlation(),
        }
      : null,
  };
}

/** An equity curve thinned as it is fed, to at most `maxPoints` evenly spaced points plus the last (see {@link createEquityThinner}). */
export interface EquityThinner {
  /** Adds the next point (time ms, equity). O(1) amortised, no allocation but the kept points. */
  add(timeMs: number, equity: number): void;
  /** The kept points: every `stride`-th point from the first (stride a power of 2), and the last. */
  points(): EquityPoint[];
}

/**
 * Creates an {@link EquityThinner}: it keeps every point until `maxPoints` are held, then every second one of those
 * and doubles its stride, and so on; the run's last point is always returned.
 * @throws ValidationError naming `maxPoints` for a value that is not an integer >= 2.
 */
export function createEquityThinner(maxPoints: number): EquityThinner {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw new ValidationError('maxPoints', maxPoints, `maxPoints (${String(maxPoints)}) must be an integer >= 2`);
  const timeMs = new Float64Array(maxPoints);
  const equity = new Float64Array(maxPoints);
  let length = 0;
  let stride = 1;
  let seen = 0;
  let lastTimeMs = NaN;
  let lastEquity = NaN;
  return {
    add(t, e) {
      if (seen % stride === 0) {
        if (length === maxPoints) {
          // Keep points 0, 2, 4, ... (indexes multiple of the doubled stride); this one is then kept only if it falls on the new stride.
          let kept = 0;
          for (let k = 0; k < length; k += 2) {
            timeMs[kept] = timeMs[k];
            equity[kept] = equity[k];
            kept++;
          }
          length = kept;
          stride *= 2;
        }
        if (seen % stride === 0) {
          timeMs[length] = t;
          equity[length] = e;
          length++;
        }
      }
      seen++;
      lastTimeMs = t;
      lastEquity = e;
    },
    points() {
      const out: EquityPoint[] = [];
      for (let k = 0; k < length; k++) out.push({ timeMs: timeMs[k], equity: equity[k] });
      if (seen > 0 && (seen - 1) % stride !== 0) out.push({ timeMs: lastTimeMs, equity: lastEquity });
      return out;
    },
  };
}

/** What the simulations need besides the spec: the journal, ids, the veto model, the loaded loop models, the catalog. */
export type SimulationDeps = Pick<BacktestDeps, 'journal' | 'logger' | 'newId' | 'vetoModel' | 'journalBatchSize' | 'strategies'> & { models?: LoopModels };

/** Return periods per year of a timeframe (ms per candle). */
function periodsPerYearOf(timeframeMs: number): number {
  return (365 * DAY_MS) / timeframeMs;
}

/** A closed trade as the trade metrics read it. */
function tradeForMetrics(t: ClosedTrade): TradeForMetrics {
  return { pnl: tradeNetPnl(t), entryTimeMs: t.entryTimeMs, exitTimeMs: t.exitTimeMs, notional: t.amount * t.entryPrice };
}

/** One market's closed trades summed: count, winners (net PnL > 0), net PnL and fees (quote currency). */
interface MarketTradeTotals {
  trades: number;
  wins: number;
  netPnl: number;
  fees: number;
}

/** Journal batches a simulation's writer may hold before the run waits for them to be stored (see `SimulationRun.journalBacklogRows`). */
export const JOURNAL_BACKLOG_BATCHES = 4;

/** What a simulation shares whatever feeds it: one clock, paper exchange, risk engine and journal writer, the trades and breaker halts. */
interface SimulationRun {
  runId: string | null;
  clock: ReturnType<typeof createManualClock>;
  exchange: ReturnType<typeof createPaperExchange>;
  risk: ReturnType<typeof createRiskEngine>;
  writer: ReturnType<typeof createJournalWriter> | null;
  /**
   * Rows the writer may hold before the simulation waits for the database ({@link JOURNAL_BACKLOG_BATCHES} batches): a
   * run steps its candles synchronously, so without this wait a run journaling every decision would hold all of them
   * until its end (a year of 1m candles, over half a million records).
   */
  journalBacklogRows: number;
  loopBySymbol: Map<string, TradingLoop>;
  /** The catalog every market's adapters come from: `deps.strategies`, else the built-ins (one catalog per run, not per market). */
  strategies: StrategyCatalog;
  /** The closed trades as journaled, in typed columns until the run is done (empty when `keepTrades` was false: see `tradeTotals`). */
  trades: TradeColumns;
  /** The closed trades summed in close order when they are not kept (one market's trades: in entry order), else null. */
  tradeTotals: TradeTotalsAccumulator | null;
  /** Per market (by symbol): its closed trades' count, winners, net PnL and fees, summed in close order (kept or not). */
  marketTrades: Map<string, MarketTradeTotals>;
  /** Breaker halts in time order, as `noteHalts` saw the risk engine change. */
  halts: BreakerHalt[];
  /**
   * Records a halt that started or ended at the candle just stepped (the clock stands at its close). Takes no
   * time argument: a number passed to a call that is not inlined is boxed, one heap number per candle.
   */
  noteHalts(): void;
  /** The loops' counters summed over the markets, then the decisions journaled. */
  stats(loops: readonly TradingLoop[]): Record<string, number>;
}

/**
 * Builds the shared parts of a simulation on a clock at `startMs`; `curveCapacity`: equity points the risk engine
 * reserves. `keepTrades` false keeps only the trades' totals (a streamed run of millions of trades);
 * `retainFinishedOrders`: finished orders the paper exchange keeps (all when undefined).
 */
function createSimulationRun(
  spec: ResolvedBacktest,
  runId: string | null,
  deps: SimulationDeps,
  startMs: number,
  curveCapacity: number,
  keepTrades: boolean,
  retainFinishedOrders?: number,
): SimulationRun {
  const clock = createManualClock(startMs);
  // One slot per 32 candles to start with (the built-in strategies trade about once per 75 candles on BTC/USDT 5m); the
  // columns double when full. Totals only: one slot, never written.
  const trades = createTradeColumns(keepTrades ? Math.max(64, Math.ceil(curveCapacity / 32)) : 1);
  const tradeTotals = keepTrades ? null : createTradeTotalsAccumulator();
  let decisions = 0;
  const journalRepository = {
    ...deps.journal,
    appendDecisions: (rows: Parameters<typeof deps.journal.appendDecisions>[0]) => {
      decisions += rows.length;
      return deps.journal.appendDecisions(rows);
    },
  };
  const batchSize = deps.journalBatchSize ?? 2_000;
  const writer = spec.decisionDetail === 'off' && !runId ? null : createJournalWriter({ batchSize }, { repository: journalRepository, logger: deps.logger });
  const loopBySymbol = new Map<string, TradingLoop>();
  const marketTrades = new Map<string, MarketTradeTotals>();
  const exchange = createPaperExchange(spec.paper, {
    clock,
    ...(retainFinishedOrders === undefined ? {} : { retainFinishedOrders }),
    // The loop copies each closed part into the run's trade record.
    reuseClosedTrade: true,
    listener: {
      onTradeClosed: (t: ClosedTrade) => {
        const loop = loopBySymbol.get(t.symbol);
        if (!loop) throw new RangeError(`a trade closed on "${t.symbol}", which no loop of the run trades`);
        const journaled = loop.onTradeClosed(t);
        const own = marketTrades.get(t.symbol)!;
        // `tradeNetPnl` (engine/insight/trade-outcome.ts, the one definition) written out, in its order: under vitest's
        // module transform its call was measured not to be inlined here, and the number it returns was boxed (a heap
        // number per trade; a typed-array form of it did no better). The portfolio tests compare these sums with it.
        const net = journaled.realizedPnl - journaled.fees - journaled.funding;
        own.trades++;
        if (net > 0) own.wins++;
        own.netPnl += net;
        own.fees += journaled.fees;
        if (tradeTotals) tradeTotals.add(tradeForMetrics(journaled));
        else trades.add(journaled);
      },
    },
  });
  const risk = createRiskEngine(spec.risk, { clock, curveCapacity });
  // Breaker halts as the risk engine reports them, so the run page can say when and why entries stopped.
  const halts: BreakerHalt[] = [];
  let halted = risk.isHalted();
  return {
    runId,
    clock,
    exchange,
    risk,
    writer,
    journalBacklogRows: JOURNAL_BACKLOG_BATCHES * batchSize,
    loopBySymbol,
    strategies: deps.strategies ?? createBuiltInCatalog(),
    marketTrades,
    trades,
    tradeTotals,
    halts,
    noteHalts() {
      if (risk.isHalted() === halted) return;
      halted = !halted;
      const closeTimeMs = clock.nowMs();
      if (halted) {
        const state = risk.state();
        halts.push({ timeMs: state.haltedAtMs ?? closeTimeMs, reason: state.haltReason ?? 'no reason recorded', resumedAtMs: null });
      } else if (halts.length > 0) {
        halts[halts.length - 1].resumedAtMs = closeTimeMs;
      }
    },
    stats(loops) {
      const stats: Record<string, number> = {};
      for (const loop of loops) {
        for (const [name, value] of Object.entries(loop.stats())) stats[name] = (stats[name] ?? 0) + value;
      }
      stats.decisions = decisions;
      return stats;
    },
  };
}

/**
 * Adds the trading loop of `market` to a run and warms it: only history strictly before the first traded candle
 * (`firstOpenTimeMs`, NaN when none), at most `needed` rows of it. `candles`: the expected candles (pre-sizing);
 * `maxFeatureRows`: the loop's feature-row bound (see `TradingLoopConfig.maxFeatureRows`), none when undefined.
 */
function addMarketLoop(
  run: SimulationRun,
  spec: ResolvedBacktest,
  deps: SimulationDeps,
  market: MarketKey,
  portfolio: boolean,
  firstOpenTimeMs: number,
  warmup: SimulatedMarket['warmup'],
  candles: number,
  maxFeatureRows: number | undefined,
): { loop: TradingLoop; warmup: BacktestWarmup } {
  const history = warmup?.history ?? emptyColumns();
  const needed = warmup?.needed ?? 0;
  let before = history.length;
  while (before > 0 && firstOpenTimeMs === firstOpenTimeMs && history.openTimeMs[before - 1] >= firstOpenTimeMs) before--;
  const warmupCount = Math.min(needed, before);
  const loop = createTradingLoop(
    {
      market,
      runId: run.runId,
      // Client order ids are unique per (prefix, kind, candle time): markets trading at one time need their own prefix.
      ...(portfolio ? { clientIdPrefix: `${run.runId ?? 'backtest'}-${market.symbol}` } : {}),
      strategies: spec.strategies.map((name) => run.strategies.create(name, spec.params[name] ?? {})),
      fusion: spec.fusion,
      decisionDetail: spec.decisionDetail,
      allowShort: spec.paper.marketType === 'futures',
      capacityHint: candles + warmupCount,
      chunkSize: spec.chunkSize ?? DEFAULT_BACKTEST_CHUNK_SIZE,
      exits: spec.exits,
      models: spec.models,
      ...(maxFeatureRows === undefined ? {} : { maxFeatureRows }),
      // The run copies each closed trade into its trade columns (or totals).
      reuseTradeRecord: true,
    },
    {
      clock: run.clock,
      exchange: run.exchange,
      account: run.exchange,
      simulator: run.exchange,
      risk: run.risk,
      journal: run.writer,
      veto: spec.veto ? (deps.vetoModel ?? null) : null,
      models: deps.models,
      newId: deps.newId,
    },
  );
  run.loopBySymbol.set(market.symbol, loop);
  run.marketTrades.set(market.symbol, { trades: 0, wins: 0, netPnl: 0, fees: 0 });
  for (let i = before - warmupCount; i < before; i++) loop.warmUp(history, i);
  return { loop, warmup: { candles: warmupCount, needed } };
}

/** The points of a curve (times non-decreasing) with only the last point of each time kept. */
function lastPointPerTime(timeMs: Float64Array, equity: Float64Array): { timeMs: Float64Array; equity: Float64Array; length: number } {
  const outTime = new Float64Array(timeMs.length);
  const outEquity = new Float64Array(timeMs.length);
  let length = 0;
  for (let i = 0; i < timeMs.length; i++) {
    if (length > 0 && outTime[length - 1] === timeMs[i]) length--;
    outTime[length] = timeMs[i];
    outEquity[length] = equity[i];
    length++;
  }
  return { timeMs: outTime, equity: outEquity, length };
}
