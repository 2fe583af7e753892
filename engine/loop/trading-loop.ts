/**
 * The trading loop: the one implementation that turns closed candles into decisions and orders.
 * A backtest drives it with a simulated clock and a historical feed; a live session drives it
 * with the wall clock and a venue feed. Nothing else decides or places orders.
 *
 * Per closed candle: (0) on a real venue, a position the venue closed on its own since the last
 * candle (stop, liquidation, by hand) is journaled from the venue's fills; (1) a simulated venue
 * settles the candle (fills, funding, liquidation);
 * (2) the candle's features, adapter outputs and fused signal are read from the column-wise phase (`signal-phase.ts`), which
 * runs when the previous chunk is used up: for the next `chunkSize` candles at once, features in one pass
 * per indicator, then each adapter's outputs, then fusion, into typed columns (any chunk size gives the same
 * decisions; a chunk of 1 is the candle alone; this is what steps 4 and 5, every adapter evaluates and fusion
 * combines them, were); (3) risk records equity (breakers); (6) while a position is open, the exits: a strategy's exit instruction
 * (`AdapterOutput.exit`), then the exit policy's time stop and minimal-ROI table close it with a
 * reduce-only market order at the candle close (no entry on that candle); (7) an exit on an opposite
 * fused signal or an entry, if any, passes the cooldown gate, the optional veto model, TTL, the
 * optional regime / volatility / stop-distance models (risk multiplier, size scale, stop; see
 * `engine/decision/loop-models.ts`) and the risk gate before an order reaches the exchange; (8) otherwise the policy's trailing stop moves the
 * protective stop (cancel and replace, client id per candle). Every decision is journaled at the
 * configured detail.
 *
 * Exit orders at entry: the protective stop (a reduce-only stop at the risk decision's stop price) and
 * one reduce-only limit per take-profit level, resting at entry ± r × R or entry × (1 ± percent %),
 * sized `fraction` × the entry amount; R is the initial risk per unit, |entry fill − initial stop|. How
 * a simulated venue fills them within a candle is the PaperExchange's intrabar rule. Every closed trade
 * (or part) is journaled with its reason (`TradeExitReason`) and its initial risk.
 *
 * Hot path: steps 0-3 and a candle without an actionable signal allocate nothing (step 0 reads the account only
 * while a venue position is held); a signal refused by the synchronous checks (a short on spot, the cooldown, a
 * halt) allocates nothing either unless it is journaled or reported (its decision record, its event). On a
 * simulated venue that is also the exchange (a backtest), orders go through its synchronous `placeOrderSync` /
 * `cancelOrderSync` into reused snapshots and the risk gate fills a reused decision, so the loop returns a
 * promise only for a model, the veto or a portfolio source to await; on a real venue, also for each order. The
 * order candles allocate nothing either (measured with the stops, entries and signal exits of a backtest; see
 * {@link ACCOUNT_EVENT_FRAMES}): client ids go to the venue in parts, built only when read; the resting stop is kept as
 * its snapshot; a backtest's trades are rewritten into one record (`reuseTradeRecord`) that the run copies into typed
 * columns; no closure is made and no number crosses a call on the synchronous path (rows, orders and typed arrays do).
 */
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import { writeNowMs, type Clock } from '../core/clock';
import { TradeExitReason, type DecisionOutcome, type DecisionRecord, type TradeRecord } from '../ports/journal';
import type { ExitPolicy } from '../strategies/exit-policy';
import type { CandleColumns, MarketKey, OrderSide, OrderType } from '../core/types';
import { TIMEFRAME_MS } from '../core/types';
import { clientIdIs, createOrderSnapshot, type Exchange, type Order, type OrderRequest, type StemmedOrderRequest } from '../ports/exchange';
import type { FeatureExtractor } from '../features/feature-extractor';
import type { FeatureFrame } from '../features/feature-frame';
import { INTENT_FEATURE_NAMES, intentFeatures, MARKET_FEATURE_NAMES, writeIntentFeatures, writeMarketFeatures } from '../ml/market-features';
import { modelStopPrice, NO_LOOP_MODELS, NO_MODELS_SPEC, regimeOf, volatilityScale, type LoopModels, type LoopModelsSpec } from '../decision/loop-models';
import { createAdapterOutput, readAdapterColumns, type AdapterColumns, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';
import {
  createFusedSignal,
  readFusedColumns,
  type FusedSignal,
  type FusionConfig,
} from '../decision/signal-fusion';
import { createSignalGate } from '../decision/signal-gate';
import type { VetoModel } from '../decision/veto-model';
import { createRiskDecisionBuffer, type PreTradeContext, type RiskCheck, type RiskEngine } from '../risk/risk-engine';
import type { PortfolioRiskInput, PortfolioRiskSource } from '../risk/value-at-risk';
import type { JournalWriter } from '../ports/journal-writer';
import type { VenuePosition } from '../ports/live-sessions';
import { OrderPurpose, type EngineEvents } from '../ports/events';
import { DenialCode } from '../ports/metrics';
import { denialCodeOf } from '../telemetry/metrics-sink';
import { createSignalPhase, RISK_ATR_PERIOD, trailingStopAtrPeriod } from './signal-phase';

/**
 * Chunk size of backtests: rows per column-wise phase (features, adapter outputs and fusion over typed
 * columns, then the per-candle step over them).
 */
export const DEFAULT_BACKTEST_CHUNK_SIZE = 4_096;

/**
 * Feature rows a backtest's loop keeps (`maxFeatureRows`): its lookback plus at least one chunk, whatever the run's
 * length, so the columns stay in the CPU cache (about 0.9 MB for the built-in strategies) and no run allocates
 * columns for every candle; the rows older than the lookback are moved out when the next chunk would not fit.
 */
export const BACKTEST_FEATURE_ROWS = 8_192;

/**
 * Names of the functions that run only on the candles where something happens to the account: the loop's entry
 * (`enterAt` .. `onEntryDone`, the TTL check `expiredEntry` included), its exits, stop moves and cancellations (`actOnPositionAt`, `closeByPolicy`,
 * `trailToAt`, `cleanup`, `exit`, `placeExit`, `moveStop`, `placeTakeProfits`), a simulated venue's order and fill
 * (`placeOrder`, `processLeg`, `fillOrder`, `executeFill`, PaperExchange) and a circuit breaker's trip
 * (`tripDrawdown`, `tripDailyLoss`, RiskEngine: the halt reason). `npm run bench` counts what stacks through them
 * allocate apart from the rest of the per-candle step (the signal path included), which allocates nothing; on a
 * backtest's synchronous venue, entries, protective stops, signal exits and their trades allocate nothing either (the
 * allocation test counts them with the rest). Not made allocation-free: a breaker's trip (its halt reason), a journal,
 * events, the models, and the paths that still pass numbers to calls (trailing stops, take-profits, the policy exits
 * called from the quiet path, futures liquidation prices); none of them is measured. The functions a call passes through are named at every level (an inlined one leaves
 * no frame of its own); none of them runs on a quiet candle or a refused signal.
 */
export const ACCOUNT_EVENT_FRAMES: readonly string[] = [
  'enterAt',
  'enter',
  'enterNow',
  'expiredEntry',
  'enterChecked',
  'onEntryPlaced',
  'onEntryStopPlaced',
  'onEntryDone',
  'actOnPositionAt',
  'closeByPolicy',
  'trailToAt',
  'cleanup',
  'exit',
  'placeExit',
  'moveStop',
  'placeTakeProfits',
  'executeFill',
  'processLeg',
  'fillOrder',
  'placeOrder',
  'tripDrawdown',
  'tripDailyLoss',
];

/** How much of the decision path goes to `decision_log`. */
export const DecisionDetail = { All: 'all', Signals: 'signals', Off: 'off' } as const;
export type DecisionDetail = (typeof DecisionDetail)[keyof typeof DecisionDetail];

/** A synchronous view of the account, kept current by the venue adapter. */
export interface AccountView {
  equity(): number;
  /**
   * Writes `equity()` into `out[index]`: the per-candle form (a number returned by a call that is not inlined
   * is boxed, one heap number per candle). Optional; the loop falls back to `equity()`.
   */
  writeEquity?(out: Float64Array, index: number): void;
  /** Signed base amount held (+ long, - short, 0 flat). */
  positionAmountSigned(symbol: string): number;
  /**
   * Sign of `positionAmountSigned(symbol)` (1 long, -1 short, 0 flat): the per-candle form (a small integer
   * crosses a call without a heap number). Optional; the loop falls back to the sign of the amount.
   */
  positionSide?(symbol: string): number;
  /** Number of symbols with an open position. */
  openPositionCount(): number;
  /** Sum of |amount| x mark over open positions, quote currency. */
  grossNotional(): number;
  /**
   * Writes `positionAmountSigned(symbol)`, `equity()` and `grossNotional()` into `out[0..2]`: the order path's form (a
   * number returned by a call that is not inlined is boxed). Optional; the loop falls back to the three calls.
   */
  writeAccountFigures?(symbol: string, out: Float64Array): void;
  /** A remote venue's view is refreshed before each candle (the paper account is always current). */
  refresh?(): Promise<void>;
}

/** Per-candle simulation hook of a simulated venue (the PaperExchange). */
export interface CandleSimulator {
  symbolIndex(symbol: string): number;
  /** Settles row `row` of `candles` (fills, funding, liquidation); rows, not prices, so no double is boxed across the call. */
  onCandleRow(symbolIndex: number, candles: CandleColumns, row: number): void;
  /** Whether the symbol holds no position and no order (PaperExchange `isIdle`). */
  isIdle?(symbolIndex: number): boolean;
  /** `onCandleRow` for rows `from..to-1` of an idle symbol in one call (PaperExchange `onIdleRows`). */
  onIdleRows?(symbolIndex: number, candles: CandleColumns, from: number, to: number): void;
  /** Open time of the last candle settled for `symbol`, -Infinity before any (PaperExchange `settledThrough`). */
  settledThrough?(symbol: string): number;
  /** Closes the whole position at the last price, whatever the volume (the end of a backtest); reports it like a fill of `clientOrderId`. */
  closePositionAtLast?(symbolIndex: number, clientOrderId: string): void;
  /**
   * The simulation's order entry without a promise (PaperExchange `placeOrderSync`): places `request` and writes the
   * order into the caller's `out`. The loop uses it (and `cancelOrderSync`) when the simulation is also its exchange,
   * with its client ids in parts (a `StemmedOrderRequest`: built only when read).
   */
  placeOrderSync?(request: OrderRequest, out: Order): Order;
  /** `cancelOrder` without a promise, written into `out` (PaperExchange `cancelOrderSync`). */
  cancelOrderSync?(orderId: string, symbol: string, out: Order): Order;
  /**
   * `cancelOrderSync` of the order a snapshot written by `placeOrderSync` names, without building its id (PaperExchange
   * `cancelPlacedSync`): the loop then keeps its resting protective stop as its snapshot, not as an id.
   */
  cancelPlacedSync?(placed: Order, symbol: string, out: Order): Order;
  /** A snapshot for the two above whose `id` is built only when read, a getter (PaperExchange `orderSnapshot`); else `createOrderSnapshot`. */
  orderSnapshot?(): Order;
}

/**
 * A round trip (or a closed part of one) as the loop hears about it: a journal trade without its ids
 * and attribution. A simulated venue names the client id of the order that closed it
 * (`exitClientOrderId`), from which the loop tells its exit reason.
 */
export type ClosedTrade = Omit<TradeRecord, 'id' | 'runId' | 'exchange' | 'strategy'> & {
  exitClientOrderId?: string;
  /**
   * The closing order's client id in parts, when the venue names it so (a backtest's reused closed part): its stem and
   * time (NaN: the stem is the whole id), from which the loop tells the exit reason without building the id.
   */
  exitClientIdStem?: string;
  exitClientIdTimeMs?: number;
};

/**
 * Why the loop journaled a round trip on a real venue: its own exits (`signal`, `exit-signal`,
 * `time-stop`, `roi`, `end-of-run`, a trailing stop crossed at the close), its protective stop or
 * take-profit orders (`stop`, `trailing-stop`, `take-profit`, at their fills), or a close it did not
 * place and no filled order explains (`venue`: liquidation, a manual close at the venue; at the last
 * candle close, exit fee unknown and counted 0).
 */
export const VenueExitReason = TradeExitReason;
export type VenueExitReason = TradeExitReason;

export interface TradingLoopConfig {
  market: MarketKey;
  /** Backtest run id, or null in a live session. */
  runId: string | null;
  /** The account a live, paper or replay session trades: its journaled trades and decisions carry it. Absent or null in a backtest. */
  accountId?: string | null;
  /** Prefix of client order ids (a live session's id); defaults to the run id. */
  clientIdPrefix?: string;
  strategies: readonly StrategyAdapter[];
  fusion: FusionConfig;
  decisionDetail: DecisionDetail;
  /** Whether short entries are allowed (futures). On spot a short signal only closes a long. */
  allowShort: boolean;
  /** Expected number of candles (pre-sizes the feature arrays). */
  capacityHint: number;
  /** Exit policy applied to every position (take-profit, trailing stop, time stop, ROI table); none when absent. */
  exits?: ExitPolicy | null;
  /**
   * Candles per column-wise phase (integer >= 1; default 1): features, every adapter's output and fusion are
   * computed for the next `chunkSize` candles of the columns `onCandle` is given (as many as there are) in
   * one pass each, and the per-candle step (fills, exits, gating, risk, journal) reads them. Any chunk size
   * gives the same decisions: rows are computed only from rows at or before them. A chunked loop must be fed
   * consecutive candles of one column set; adapters whose output depends on when they are evaluated (the
   * external-signal adapter of a live session) need 1, which live sessions use: their chunk is the latest
   * candle. Throws ValidationError naming `chunkSize` otherwise.
   */
  chunkSize?: number;
  /**
   * Parameters of the models in the loop (regime risk multipliers, volatility target, stop multiple); a kind
   * is used when both its parameters here and its model in `deps.models` are given. Default: none.
   */
  models?: LoopModelsSpec;
  /**
   * Bounds the feature columns of a long run (a streamed backtest): when the next chunk would not fit in this
   * many rows, the rows older than the loop's lookback (`loopLookbackRows` in `signal-phase.ts`) are discarded first, so
   * memory stays bounded whatever the run's length, with the same decisions as keeping every row. An integer
   * >= 1 (raised to the lookback plus one chunk when smaller); absent: every row is kept (columns grow).
   * Throws ValidationError naming `maxFeatureRows` otherwise.
   */
  maxFeatureRows?: number;
  /**
   * When true, `onTradeClosed` returns one record rewritten for every trade (copy what you keep), with `initialRisk` NaN
   * instead of null when no stop is known: a backtest, which copies each trade into typed columns, then closes trades
   * without allocating a record per trade (a kept record with its heap numbers is about 280 bytes). Default false: a new
   * record per trade.
   */
  reuseTradeRecord?: boolean;
}

export interface TradingLoopDeps {
  clock: Clock;
  exchange: Exchange;
  account: AccountView;
  simulator: CandleSimulator | null;
  risk: RiskEngine;
  journal: JournalWriter | null;
  veto: VetoModel | null;
  /** The regime, volatility and stop-distance models consulted on entries (see `config.models`); none by default. */
  models?: LoopModels;
  newId: () => string;
  /** Metrics and notifications; reported only on orders, denials, venue closes and halt changes, never per candle. */
  events?: EngineEvents;
  /**
   * Positions and return history for the risk engine's VaR / ES limits, asked at an entry only when one is set
   * (an account's paper session: every position of the account, from stored candles). Without it the loop
   * uses its own market: the position it holds and the closes it has seen (a backtest's candle columns, a
   * live session's warm-up and candles since).
   */
  portfolioRisk?: PortfolioRiskSource | null;
}

/** Counters a run reports. */
export interface LoopStats {
  candles: number;
  signals: number;
  entries: number;
  exits: number;
  denied: number;
  vetoed: number;
  cooldown: number;
  expired: number;
  rejected: number;
}

export interface TradingLoop {
  /**
   * Processes the closed candle at `row` of `candles`. Returns a promise only when it has exchange or
   * model work to await. A backtest passes its loaded columns; a live feed writes each new candle into
   * a small column buffer of its own. (Rows, not price arguments: passing doubles through calls that
   * the JIT does not inline boxes them, one allocation per price.)
   */
  onCandle(candles: CandleColumns, row: number): Promise<void> | undefined;
  /**
   * Processes the candles at rows `row..end-1` of `candles` on which nothing can happen, in one step, as far as they go;
   * returns how many it processed (0: process `row` with `onCandle`). Such a candle comes after one `onCandle` has computed
   * it ahead (features, adapter outputs, fusion: the current chunk), fuses to no signal (or, with neither journal nor
   * events, to one the loop refuses without a trace, only counted: a short on a market without shorts, any entry while
   * halted with no cooldown), and finds the account with no position and no order on a simulated venue that is also the
   * loop's exchange (a backtest), its equity where the risk engine last recorded it and the UTC day unchanged (see
   * `RiskEngine.steadyEquityRows`). Each of them would have been only checked by the venue and appended to the equity
   * curve (and counted), which is what this does for all of them at once: the loop's state, the venue's and the risk
   * engine's are exactly those after as many `onCandle` calls. Never with the
   * decision detail `all` (each candle is journaled) or a real venue. Allocation-free.
   * @throws ValidationError as `onCandle` for a bad candle (the venue's check).
   */
  onIdleCandles(candles: CandleColumns, row: number, end: number): number;
  /**
   * Feeds a historical candle to the features only (no decision, no order, no equity point):
   * a live session warms its indicators with recent history before trading.
   */
  warmUp(candles: CandleColumns, row: number): void;
  /** Open time of the last candle seen (by `onCandle` or `warmUp`), NaN before any. */
  lastOpenTimeMs(): number;
  /**
   * Journals a round trip (or part) the simulated venue closed (wire the PaperExchange listener here);
   * returns it as journaled (exit reason told from the closing order, initial risk set).
   */
  onTradeClosed(trade: ClosedTrade): ClosedTrade;
  /**
   * Closes whatever is open with a reduce-only market order at the last price and cancels the loop's
   * working orders, journaling the close with `reason` (a backtest's `end-of-run`). Nothing to do when flat.
   */
  closeOpenPosition(reason: TradeExitReason): Promise<void>;
  /** The position held on a real venue (a copy), null when flat or on a simulated venue. */
  venuePosition(): VenuePosition | null;
  /**
   * Resumes a venue position from a checkpoint before the first candle, so its exit (by the loop, its
   * stop or the venue) is journaled with the true entry. Throws ValidationError for a malformed one.
   */
  resumeVenuePosition(position: VenuePosition | null): void;
  readonly features: FeatureExtractor;
  stats(): Readonly<LoopStats>;
}

const sideName = (d: number): 'long' | 'short' | 'flat' => (d > 0 ? 'long' : d < 0 ? 'short' : 'flat');

/** Builds a loop for one market. Throws ValidationError when the strategy set is empty or fusion config is invalid. */
export function createTradingLoop(config: TradingLoopConfig, deps: TradingLoopDeps): TradingLoop {
  const { market, strategies } = config;
  const symbol = market.symbol;
  const timeframeMs = TIMEFRAME_MS[market.timeframe];
  const policy = config.exits ?? null;
  const trailing = policy?.trailingStop ?? null;
  const trailAtrPeriod = trailingStopAtrPeriod(policy);
  // The other models in the loop: each kind needs its parameters (run spec) and its model (deps).
  const modelSpec = config.models ?? NO_MODELS_SPEC;
  const loopModels = deps.models ?? NO_LOOP_MODELS;
  const regimeOption = modelSpec.regime && loopModels.regime ? modelSpec.regime : null;
  const volatilityOption = modelSpec.volatility && loopModels.volatility ? modelSpec.volatility : null;
  const stopOption = modelSpec.stopDistance && loopModels.stopDistance ? modelSpec.stopDistance : null;
  const withModels = regimeOption !== null || volatilityOption !== null || stopOption !== null;
  /** Preallocated model inputs (market vector; intent vector), rewritten on each entry the models see. */
  const marketInput = new Float32Array(MARKET_FEATURE_NAMES.length);
  const intentInput = new Float32Array(INTENT_FEATURE_NAMES.length);
  const phase = createSignalPhase({
    strategies,
    fusion: config.fusion,
    trailAtrPeriod,
    withModels: Boolean(deps.veto) || withModels,
    chunkSize: config.chunkSize ?? 1,
    capacityHint: config.capacityHint,
    ...(config.maxFeatureRows === undefined ? {} : { maxFeatureRows: config.maxFeatureRows }),
    varLookbackCandles: deps.risk.config.varLookbackCandles,
  });
  const { features, fusion, names, adapterColumns, fusedColumns, warmup, chunkSlots } = phase;
  const takeProfits = policy?.takeProfit ?? [];
  const timeStopBars = policy?.timeStop?.bars ?? 0;
  const roiRows = policy?.minimalRoi ? [...policy.minimalRoi].sort((a, b) => a.afterMinutes - b.afterMinutes) : [];
  const roiMinutes = Float64Array.from(roiRows, (r) => r.afterMinutes);
  const roiProfitPct = Float64Array.from(roiRows, (r) => r.profitPercent);
  const outputs: AdapterOutput[] = strategies.map(() => createAdapterOutput());
  const ttlMs = fusion.config.ttlMs;
  /** [close time, equity] handed to the risk engine each candle (no number crosses the call). */
  const equityAt = new Float64Array(2);
  const writeEquity = typeof deps.account.writeEquity === 'function';
  /** Called per candle through a local: under vitest's module transform a call of an imported function was measured not to be inlined here (about 90 bytes per candle). */
  const readFused = readFusedColumns;
  /**
   * The column-wise phase's position: `cur` is the feature row of the candle being decided (the last seen;
   * -1 before any), rows after it up to `features.length - 1` are the rest of the chunk already computed,
   * and slot `s` of the signal columns holds row `evaluatedFrom + s`. `outputsRow` is the row whose adapter
   * outputs `outputs` holds (read back from the columns only when the decision log or the entry needs them).
   */
  let cur = -1;
  let evaluatedFrom = 0;
  let outputsRow = -1;
  /**
   * Whether the adapters' exit columns hold an exit anywhere (every slot, the chunk's and any left from an earlier one): 1
   * yes, 0 no, -1 not looked at since the last chunk was computed. Looked at once a chunk, when a position is first held
   * in it: most strategies never exit on their own (none of the built-in ones), and `policyExitReason` then skips the
   * adapters' columns on every candle of a held position. Measured on UNITTEST-BTC 1m (a position on most candles;
   * policyExitReason was 3.3 % of the run's samples): the full run 382 -> 356 ns a candle (medians of five interleaved
   * runs, their fastest batches); a byte-by-byte `anyExit` was 1.2 % of the samples itself, hence its words.
   */
  let chunkExits = -1;
  const weights = Float64Array.from(names, (name) => fusion.config.weights[name] ?? 0);
  const fused: FusedSignal = createFusedSignal();
  const gate = createSignalGate({ ttlMs: fusion.config.ttlMs, cooldownMs: fusion.config.cooldownMs });
  const cooldownMs = fusion.config.cooldownMs;
  const stats: LoopStats = { candles: 0, signals: 0, entries: 0, exits: 0, denied: 0, vetoed: 0, cooldown: 0, expired: 0, rejected: 0 };
  const journal = config.decisionDetail === DecisionDetail.Off ? null : deps.journal;
  const logEveryCandle = config.decisionDetail === DecisionDetail.All;

  const simulator = deps.simulator;
  const simulatorSymbol = simulator ? simulator.symbolIndex(symbol) : -1;
  /**
   * The simulation's synchronous order entry when the simulation is also the loop's exchange (a backtest, a paper
   * session), else null (a real venue: orders go through the async port). Its orders are written into the loop's
   * reused snapshots below (one per purpose, each read before its next use), so no exchange promise is awaited.
   */
  const syncVenue =
    simulator !== null && (simulator as unknown) === (deps.exchange as unknown) && simulator.placeOrderSync && simulator.cancelOrderSync
      ? (simulator as Required<Pick<CandleSimulator, 'placeOrderSync' | 'cancelOrderSync'>>)
      : null;
  // An order's id is read only while it works (to cancel it), or for the journal and the events: a simulation builds it then.
  /** The simulation whose idle candles `onIdleCandles` settles in bulk: the loop's own exchange (a backtest, a paper session), never a real venue. */
  const idleSimulator = syncVenue !== null && simulator?.isIdle && simulator.onIdleRows ? (simulator as Required<Pick<CandleSimulator, 'isIdle' | 'onIdleRows'>>) : null;
  /** The short and long signals among the rows `quietRowsAhead` last counted (`onIdleCandles`). */
  const quietSignals = new Int32Array(2);
  const newSnapshot = syncVenue !== null && simulator?.orderSnapshot ? () => simulator.orderSnapshot!() : createOrderSnapshot;
  const entryPlaced = newSnapshot();
  const stopPlaced = newSnapshot();
  const exitPlaced = newSnapshot();
  const takeProfitPlaced = newSnapshot();
  const cancelled = newSnapshot();
  /**
   * The order request of the synchronous path, rewritten for each order (the simulation copies what it keeps): its client
   * id in parts (stem, candle time), which the simulation builds only if something reads it.
   */
  const syncRequest: StemmedOrderRequest = { clientOrderId: '', clientIdTimeMs: NaN, symbol, side: 'buy', type: 'market', amount: NaN, price: NaN, stopPrice: NaN, reduceOnly: false };
  /** The numbers of the order `place` places next (slots `PLACE_*`): a number passed to a call that is not inlined is boxed. */
  const placeArgs = new Float64Array(3);
  /**
   * Places an order of `type` with client id `stem` + the candle time, amount and level in `placeArgs` (`PLACE_*`; the
   * level: a limit's price or a stop's trigger, ignored for a market order) on the venue: synchronously into `out` on a
   * synchronous venue (the reused request, the client id in parts), else through the async port (a new request with only
   * the fields its type has).
   */
  const place = (stem: string, side: OrderSide, type: OrderType, reduceOnly: boolean, out: Order): Order | Promise<Order> => {
    if (syncVenue) {
      const r = syncRequest;
      r.clientOrderId = stem;
      r.clientIdTimeMs = placeArgs[PLACE_TIME_MS];
      r.side = side;
      r.type = type;
      r.amount = placeArgs[PLACE_AMOUNT];
      r.price = r.stopPrice = placeArgs[PLACE_LEVEL];
      r.reduceOnly = reduceOnly;
      return syncVenue.placeOrderSync(r, out);
    }
    const level = placeArgs[PLACE_LEVEL];
    return deps.exchange.createOrder({
      clientOrderId: nextClientId(stem, placeArgs[PLACE_TIME_MS]),
      symbol,
      side,
      type,
      amount: placeArgs[PLACE_AMOUNT],
      ...(type === 'limit' ? { price: level } : type === 'stop' ? { stopPrice: level } : {}),
      ...(reduceOnly ? { reduceOnly } : {}),
    });
  };
  /** The clock's time, written by `writeNowMs` (a number a call returns may be boxed). */
  const clockNow = new Float64Array(1);
  /** The time and amount (signed) of the exit under way (slots `EXIT_*`, see `exitNow`). */
  const exitFigures = new Float64Array(2);
  /** Writes the candle time, amount and level of the next order `place` places (see `placeArgs`). */
  const placeFigures = (timeMs: number, amount: number, level: number) => {
    placeArgs[PLACE_TIME_MS] = timeMs;
    placeArgs[PLACE_AMOUNT] = amount;
    placeArgs[PLACE_LEVEL] = level;
  };
  /** The amount, entry price and stop the take-profit levels of an entry are placed from (slots `TP_*`). */
  const takeProfitBase = new Float64Array(3);
  /** The account's figures an entry or an exit reads (slots `ACCOUNT_*`), written by `readAccountFigures`. */
  const accountFigures = new Float64Array(3);
  const writeAccountFigures = typeof deps.account.writeAccountFigures === 'function';
  /** Reads the position held, equity and gross notional into `accountFigures` (through a typed array: no number crosses a call). */
  const readAccountFigures = () => {
    if (writeAccountFigures) {
      deps.account.writeAccountFigures!(symbol, accountFigures);
      return;
    }
    accountFigures[ACCOUNT_HELD] = deps.account.positionAmountSigned(symbol);
    accountFigures[ACCOUNT_EQUITY] = deps.account.equity();
    accountFigures[ACCOUNT_GROSS_NOTIONAL] = deps.account.grossNotional();
  };
  /** The risk gate's input and decision, rewritten at each entry (see `enter`). */
  const riskContext: PreTradeContext = {
    symbol,
    side: 'long',
    price: NaN,
    stopHint: NaN,
    atr: NaN,
    equity: NaN,
    // Doubles from the start (an integer first would make the gate's optimised code deoptimise on the first fraction).
    riskScale: NaN,
    currentPositionNotional: NaN,
    totalOpenNotional: NaN,
    openPositions: 0,
    portfolio: null,
  };
  const riskDecision = createRiskDecisionBuffer();
  /** The stop hint and risk scale of the entry under way (slots `ENTRY_*`), set by `enter` for `enterChecked`. */
  const entryAdjust = new Float64Array(2);
  let entryStrategy = '';
  /** The working protective stop's id, null when none; {@link PLACED_STOP_ID} for the one in `stopPlaced` (see `workingStopId`). */
  let stopOrderId: string | null = null;
  let entryOrderId: string | null = null;
  let exitOrderId: string | null = null;
  let cleanupPending = false;
  /** The take-profit orders working for the position (one per level, null once gone). */
  const takeProfitIds: (string | null)[] = takeProfits.map(() => null);
  /** Amount of each take-profit order's fills already journaled on a real venue. */
  const takeProfitJournaled = new Float64Array(takeProfits.length);
  /**
   * Exit reasons of the loop's exit orders by client order id, one slot per kind of order (`REASON_*`: the market exit,
   * the trailing stop, the end-of-run close, then one per take-profit level), rewritten by the next order of its kind:
   * the one before it is cancelled or done by then (an entry waits for the cleanup), so no fill can still name it. A
   * protective stop has none (the venue's `stop`). The id is kept in parts, its kind's stem and candle time (in a typed
   * array, as a number stored in an array of objects is boxed): recording a reason allocates nothing.
   */
  const reasonStems: string[] = new Array<string>(REASON_TAKE_PROFIT + takeProfits.length).fill('');
  const reasonTimes = new Float64Array(REASON_TAKE_PROFIT + takeProfits.length).fill(NaN);
  const reasonKinds: TradeExitReason[] = new Array<TradeExitReason>(REASON_TAKE_PROFIT + takeProfits.length).fill(TradeExitReason.Signal);
  /** Records `reason` for the order of slot `slot`, whose client id is `stem` + the candle time in `placeArgs`. */
  const noteReason = (slot: number, stem: string, reason: TradeExitReason) => {
    reasonStems[slot] = stem;
    reasonTimes[slot] = placeArgs[PLACE_TIME_MS];
    reasonKinds[slot] = reason;
  };
  /** The exit reason the loop recorded for the order of `clientOrderId`, if any (compared without building an id). */
  const reasonOf = (clientOrderId: string): TradeExitReason | undefined => {
    for (let slot = 0; slot < reasonStems.length; slot++) if (reasonStems[slot] !== '' && clientIdIs(clientOrderId, reasonStems[slot], reasonTimes[slot])) return reasonKinds[slot];
    return undefined;
  };
  /**
   * `reasonOf` for the closing order of `trade`, named in parts (`exitClientIdTimeMs` NaN: the stem is the whole id). The
   * trade, not the time, crosses the call (a number passed to a call that is not inlined is boxed).
   */
  const reasonOfParts = (trade: ClosedTrade): TradeExitReason | undefined => {
    const stem = trade.exitClientIdStem as string;
    const timeMs = trade.exitClientIdTimeMs as number;
    if (timeMs !== timeMs) return reasonOf(stem);
    for (let slot = 0; slot < reasonStems.length; slot++) if (reasonTimes[slot] === timeMs && reasonStems[slot] === stem) return reasonKinds[slot];
    return undefined;
  };
  /**
   * The open position as the loop entered it: side (0 when none known), entry fill price, initial
   * stop (NaN when none), the absolute feature row (counting discarded rows) and close time of the entry candle, the best price since
   * entry (trailing), the current stop level, and whether the trailing stop is active.
   */
  let posSide = 0;
  let posEntryRow = -1;
  /**
   * The position's prices and entry time (slots `POS_*`: entry fill price, initial stop, entry close time, best
   * price since entry, current stop level), in a typed array: a number stored in a closure variable is boxed anew
   * on every store (the best price moves on quiet candles while a trailing stop follows it).
   */
  const posFigures = Float64Array.of(NaN, NaN, NaN, NaN, NaN);
  let trailActive = false;
  /**
   * A real venue (no simulator) reports no round trips: the loop journals them itself from the fills
   * the venue reported for the entry and for the exit that closed it (partial exits close a part).
   */
  let venueEntry: { side: 'long' | 'short'; amount: number; price: number; fee: number; timeMs: number } | null = null;
  /** Amount of the current stop's fills already journaled (a stop may fill in parts). */
  let stopFilledJournaled = 0;
  const events = deps.events;
  /** A denial's reason is built only for a journal or the events. */
  const describeDenials = events !== undefined || (config.decisionDetail !== DecisionDetail.Off && deps.journal !== null);
  /** An order as the events get it: a copy of a reused snapshot (a listener may keep it; its ids and prices may be getters, copied by name). */
  const reported = (order: Order): Order =>
    syncVenue ? { ...order, id: order.id, clientOrderId: order.clientOrderId, price: order.price, stopPrice: order.stopPrice } : order;
  const breakerOf = (reason: string | null) => (reason ?? '').split(':', 1)[0] || 'unknown';
  let lastHalted = deps.risk.isHalted();
  let trippedBreaker = lastHalted ? breakerOf(deps.risk.state().haltReason) : '';

  /** Equity, drawdown from the peak and open positions after a fill (allocates; events only). */
  const reportAccount = () => {
    if (!events) return;
    let drawdownPct = 0;
    for (const breaker of deps.risk.breakers()) {
      if (breaker.name === 'max_drawdown' && Number.isFinite(breaker.currentPct)) drawdownPct = Math.max(0, breaker.currentPct);
    }
    events.onAccount(deps.account.equity(), drawdownPct, deps.account.openPositionCount());
  };

  /** Reports a halt that started (breaker trip or manual halt) or ended since the last candle. */
  const reportHaltChange = (timeMs: number) => {
    lastHalted = deps.risk.isHalted();
    if (!events) return;
    if (lastHalted) {
      const reason = deps.risk.state().haltReason ?? 'no reason recorded';
      trippedBreaker = breakerOf(reason);
      events.onBreaker(trippedBreaker, true, reason, timeMs);
    } else {
      events.onBreaker(trippedBreaker || 'unknown', false, 'resumed', timeMs);
      trippedBreaker = '';
    }
  };

  const adapterInputs = () => {
    currentOutputs();
    return names.map((name, k) => ({ strategy: name, side: sideName(outputs[k].side), strength: outputs[k].strength, stopHint: outputs[k].stopHint, reason: outputs[k].reason }));
  };

  const record = (timeMs: number, outcome: DecisionOutcome, side: number, strength: number, reason: string, extra: Record<string, unknown> = {}) => {
    if (!journal) return;
    const decision: DecisionRecord = {
      id: deps.newId(),
      runId: config.runId,
      exchange: market.exchange,
      symbol,
      timeframe: market.timeframe,
      strategy: dominantStrategy(side),
      timeMs,
      outcome,
      side: sideName(side),
      strength,
      reason,
      inputs: { adapters: adapterInputs(), fused: { side: sideName(fused.side), strength: fused.strength, stopHint: fused.stopHint }, ...extra },
    };
    if (journalAccountId !== null) decision.accountId = journalAccountId;
    journal.recordDecision(decision);
  };

  /** The adapter contributing most to the fused direction; names the trade's strategy. */
  const dominantStrategy = (side: number): string => {
    currentOutputs();
    let best = -1;
    let bestScore = 0;
    for (let k = 0; k < outputs.length; k++) {
      const score = outputs[k].side === side ? outputs[k].strength * weights[k] : 0;
      if (score > bestScore) {
        bestScore = score;
        best = k;
      }
    }
    return best >= 0 ? names[best] : 'fusion';
  };

  /**
   * Client order ids are a pure function of (session, kind, candle time): the loop places at most one
   * order of each kind per candle, so a restarted session that replays a candle resubmits the same ids
   * and the venue's client-id idempotency turns the repeat into a no-op instead of a duplicate order.
   */
  const clientIdPrefix = config.clientIdPrefix ?? config.runId ?? 'live';
  /** The account the journaled rows carry (a session's); null in a backtest. */
  const journalAccountId = config.accountId ?? null;
  /** "<prefix>-<kind>-" per kind of order, built once (the take-profits': one per level). */
  const stemOf = (kind: string) => `${clientIdPrefix}-${kind}-`;
  const ENTRY_ID = stemOf('entry');
  const STOP_ID = stemOf('stop');
  const EXIT_ID = stemOf('exit');
  const TRAIL_ID = stemOf('trail');
  const CLOSE_ID = stemOf('close');
  const takeProfitIdStems = takeProfits.map((_, k) => stemOf(`tp${k + 1}`));
  /** The candle time last written as text, and the text (an entry and its stop share their candle's; in a typed array, as a stored number is boxed). */
  const clientIdTimeMs = Float64Array.of(NaN);
  let clientIdTimeText = '';
  /** The client order id of the order of `stem`'s kind at candle time `timeMs`: `${prefix}-${kind}-${timeMs}`. */
  const nextClientId = (stem: string, timeMs: number) => {
    if (timeMs !== clientIdTimeMs[0]) {
      clientIdTimeMs[0] = timeMs;
      clientIdTimeText = `${timeMs}`;
    }
    return stem + clientIdTimeText;
  };

  /**
   * Cancels the loop's working orders on the symbol, one after another (an entry's unfilled remainder, a previous
   * exit, the stop, the take-profits); synchronously on a synchronous venue (undefined), else a promise.
   */
  function cancelWorkingOrders(): Promise<void> | undefined {
    return cancelWorkingFrom(0);
  }

  /**
   * What `stopOrderId` holds for a stop just placed: on a venue that cancels an order by its snapshot, {@link PLACED_STOP_ID}
   * (the stop is the order in `stopPlaced`, rewritten only by the next stop, placed after this one is cancelled or gone),
   * so its id is built only if the journal reads it; else its id.
   */
  function workingStopId(stop: Order): string {
    return stop === stopPlaced && syncVenue !== null && simulator?.cancelPlacedSync ? PLACED_STOP_ID : stop.id;
  }

  /** The working stop's id as text (built when it is the placed snapshot's), null when none: for the journal. */
  function stopIdText(): string | null {
    return stopOrderId === PLACED_STOP_ID ? stopPlaced.id : stopOrderId;
  }

  /** Cancels the working orders of slot `slot` onward (0 the entry, 1 the exit, 2 the stop, 3.. the take-profits), each after the previous. */
  function cancelWorkingFrom(slot: number): Promise<void> | undefined {
    for (let s = slot; s < 3 + takeProfitIds.length; s++) {
      const pending = cancelSlot(s);
      if (pending) return after(pending, cancelWorkingFrom, s + 1);
    }
    entryOrderId = exitOrderId = stopOrderId = null;
    return undefined;
  }

  /** Cancels the order of working slot `s` (see `cancelWorkingFrom`), if any; a take-profit slot is cleared once done. */
  function cancelSlot(s: number): Promise<void> | undefined {
    if (s === 0) return entryOrderId ? cancelOrder(entryOrderId, false) : undefined;
    if (s === 1) return exitOrderId ? cancelOrder(exitOrderId, false) : undefined;
    // A stop or take-profit may have finished at the venue meanwhile (filled, cancelled by a liquidation).
    if (s === 2) return stopOrderId ? cancelOrder(stopOrderId, true) : undefined;
    const k = s - 3;
    const id = takeProfitIds[k];
    const pending = id ? cancelOrder(id, true) : undefined;
    if (pending) return after(pending, clearTakeProfit, k);
    clearTakeProfit(k);
    return undefined;
  }

  function clearTakeProfit(k: number): void {
    takeProfitIds[k] = null;
    takeProfitJournaled[k] = 0;
  }

  /**
   * Cancels order `id`; with `leftover`, an order the venue has finished meanwhile is fine (a reduce-only stop or
   * take-profit left with nothing to protect). Synchronously on a synchronous venue (undefined), else a promise.
   */
  function cancelOrder(id: string, leftover: boolean): Promise<void> | undefined {
    if (syncVenue) {
      try {
        if (id === PLACED_STOP_ID) simulator!.cancelPlacedSync!(stopPlaced, symbol, cancelled);
        else syncVenue.cancelOrderSync(id, symbol, cancelled);
      } catch (error) {
        if (!leftover) throw error;
        rethrowUnlessFinished(error);
      }
      return undefined;
    }
    const pending = deps.exchange.cancelOrder(id, symbol);
    return leftover ? pending.then(ignoreOrder, rethrowUnlessFinished) : pending.then(ignoreOrder);
  }

  /** Whether any order of the loop may still be working on the symbol. */
  function anyWorkingOrder(): boolean {
    if (entryOrderId || exitOrderId || stopOrderId) return true;
    for (let k = 0; k < takeProfitIds.length; k++) if (takeProfitIds[k]) return true;
    return false;
  }

  /** Forgets the position the loop entered (it is closed). */
  function resetPosition(): void {
    posSide = 0;
    posFigures[POS_ENTRY_PRICE] = posFigures[POS_INITIAL_STOP] = posFigures[POS_ENTRY_TIME_MS] = posFigures[POS_BEST] = posFigures[POS_STOP] = NaN;
    posEntryRow = -1;
    trailActive = false;
  }

  /**
   * The exit a strategy or the policy asks for on row `i` of a held position (+ long, - short), or ''.
   * Order: a strategy's exit instruction, the time stop, the minimal-ROI table. Allocation-free.
   */
  function policyExitReason(dir: number, i: number): TradeExitReason | '' {
    if (chunkExits < 0) chunkExits = anyExit(adapterColumns) ? 1 : 0;
    if (chunkExits === 1) {
      const slot = i - evaluatedFrom;
      for (let k = 0; k < adapterColumns.length; k++) if (adapterColumns[k].exit[slot] === dir) return TradeExitReason.ExitSignal;
    }
    if (posSide !== dir) return '';
    if (timeStopBars > 0 && i + features.rowBase - posEntryRow >= timeStopBars) return TradeExitReason.TimeStop;
    if (roiMinutes.length > 0) {
      const close = features.close[i];
      const heldMinutes = (features.openTimeMs[i] + timeframeMs - posFigures[POS_ENTRY_TIME_MS]) / 60_000;
      let threshold = NaN;
      for (let r = 0; r < roiMinutes.length && roiMinutes[r] <= heldMinutes; r++) threshold = roiProfitPct[r];
      if (threshold === threshold && ((close - posFigures[POS_ENTRY_PRICE]) / posFigures[POS_ENTRY_PRICE]) * 100 * dir >= threshold) return TradeExitReason.Roi;
    }
    return '';
  }

  /**
   * The trailing stop's new level after row `i` (high/low extend the best price since entry), or NaN
   * when it does not move (inactive, no ATR yet, or not tighter than the current stop). Allocation-free.
   */
  function trailLevel(dir: number, i: number): number {
    const t = trailing as NonNullable<typeof trailing>;
    const high = features.high[i];
    const low = features.low[i];
    if (dir > 0 ? high > posFigures[POS_BEST] : low < posFigures[POS_BEST]) posFigures[POS_BEST] = dir > 0 ? high : low;
    if (!trailActive) {
      const gain = (posFigures[POS_BEST] - posFigures[POS_ENTRY_PRICE]) * dir;
      const risk = Math.abs(posFigures[POS_ENTRY_PRICE] - posFigures[POS_INITIAL_STOP]);
      if (t.activateAtR !== undefined) trailActive = risk > 0 && gain >= t.activateAtR * risk;
      else if (t.activateAtPercent !== undefined) trailActive = (gain / posFigures[POS_ENTRY_PRICE]) * 100 >= t.activateAtPercent;
      else trailActive = true;
      if (!trailActive) return NaN;
    }
    const distance = t.percent !== undefined ? (posFigures[POS_BEST] * t.percent) / 100 : t.atrMultiple! * features.atr[trailAtrPeriod][i];
    if (!(distance > 0)) return NaN;
    const level = posFigures[POS_BEST] - dir * distance;
    return posFigures[POS_STOP] !== posFigures[POS_STOP] || (level - posFigures[POS_STOP]) * dir > 0 ? level : NaN;
  }

  /**
   * Replaces the protective stop by one at `level` (the trailing stop), sized to what is held. Like every order step
   * below: synchronous on a synchronous venue (returns undefined), else a promise (continuations run after each order).
   */
  function moveStop(level: number, held: number, timeMs: number): Promise<void> | undefined {
    const cancelling = stopOrderId ? cancelOrder(stopOrderId, true) : undefined;
    if (cancelling) return after(cancelling, placeTrailingStop, level, held, timeMs);
    return placeTrailingStop(level, held, timeMs);
  }

  function placeTrailingStop(level: number, held: number, timeMs: number): Promise<void> | undefined {
    placeFigures(timeMs, Math.abs(held), level);
    noteReason(REASON_TRAIL, TRAIL_ID, TradeExitReason.TrailingStop);
    const placing = place(TRAIL_ID, held > 0 ? 'sell' : 'buy', 'stop', true, stopPlaced);
    if (placing !== stopPlaced) return afterOrder(placing as Promise<Order>, onTrailingStopPlaced, level, held, timeMs);
    onTrailingStopPlaced(stopPlaced, level, held, timeMs);
    return undefined;
  }

  function onTrailingStopPlaced(stop: Order, level: number, held: number, timeMs: number): void {
    events?.onOrder(reported(stop), OrderPurpose.Stop, timeMs);
    stopOrderId = stop.status === 'rejected' ? null : workingStopId(stop);
    stopFilledJournaled = 0;
    if (stopOrderId) posFigures[POS_STOP] = level;
    if (journal) record(timeMs, 'executed', -Math.sign(held), fused.strength, `trailing stop moved to ${level}`, { stopOrderId: stopIdText() });
  }

  /**
   * Places the take-profit levels of the policy from level `k` on, one after another, for the position of direction `dir`
   * entered on row `i` with the amount, entry price and stop in `takeProfitBase` (see `moveStop` for the return).
   */
  function placeTakeProfits(k: number, dir: number, i: number): Promise<void> | undefined {
    const amount = takeProfitBase[TP_AMOUNT];
    const entryPrice = takeProfitBase[TP_ENTRY_PRICE];
    const timeMs = features.openTimeMs[i] + timeframeMs;
    const risk = Math.abs(entryPrice - takeProfitBase[TP_STOP_PRICE]);
    for (; k < takeProfits.length; k++) {
      const level = takeProfits[k];
      const price = level.r !== undefined ? entryPrice + dir * level.r * risk : entryPrice * (1 + (dir * (level.percent as number)) / 100);
      if (!(price > 0) || (level.r !== undefined && !(risk > 0))) continue;
      placeArgs[PLACE_TIME_MS] = timeMs;
      placeArgs[PLACE_AMOUNT] = amount * level.fraction;
      placeArgs[PLACE_LEVEL] = price;
      noteReason(REASON_TAKE_PROFIT + k, takeProfitIdStems[k], TradeExitReason.TakeProfit);
      const placing = place(takeProfitIdStems[k], dir > 0 ? 'sell' : 'buy', 'limit', true, takeProfitPlaced);
      if (placing !== takeProfitPlaced) return afterOrder(placing as Promise<Order>, onTakeProfitPlacedThenNext, k, dir, i);
      onTakeProfitPlaced(takeProfitPlaced, k, i);
    }
    return undefined;
  }

  /** A take-profit of level `k` placed through the async port: its record, then the levels after it. */
  function onTakeProfitPlacedThenNext(order: Order, k: number, dir: number, i: number): Promise<void> | undefined {
    onTakeProfitPlaced(order, k, i);
    return placeTakeProfits(k + 1, dir, i);
  }

  function onTakeProfitPlaced(order: Order, k: number, i: number): void {
    events?.onOrder(reported(order), OrderPurpose.Exit, closeTimeAt(i));
    takeProfitIds[k] = order.status === 'rejected' ? null : order.id;
    takeProfitJournaled[k] = 0;
  }

  function cleanup(): Promise<void> | undefined {
    cleanupPending = false;
    return cancelWorkingOrders();
  }

  /**
   * Closes `held` with a reduce-only market order after cancelling the working orders (see `moveStop` for the return);
   * `reason` is the decision log's text ('' without a journal).
   */
  function exit(timeMs: number, held: number, reason: string, exitReason: TradeExitReason = TradeExitReason.Signal): Promise<void> | undefined {
    exitFigures[EXIT_TIME_MS] = timeMs;
    exitFigures[EXIT_HELD] = held;
    return exitNow(reason, exitReason);
  }

  /**
   * `exit` of the time and amount in `exitFigures` (slots `EXIT_*`): the form the order path calls (a number passed to a
   * call that is not inlined is boxed). The async continuations get them as arguments, and write them back.
   */
  function exitNow(reason: string, exitReason: TradeExitReason): Promise<void> | undefined {
    const cancelling = cancelWorkingOrders();
    if (cancelling) return after(cancelling, placeExitOf, exitFigures[EXIT_TIME_MS], exitFigures[EXIT_HELD], reason, exitReason);
    return placeExit(reason, exitReason);
  }

  /** `placeExit` of `held` at `timeMs` (an async continuation). */
  function placeExitOf(timeMs: number, held: number, reason: string, exitReason: TradeExitReason): Promise<void> | undefined {
    exitFigures[EXIT_TIME_MS] = timeMs;
    exitFigures[EXIT_HELD] = held;
    return placeExit(reason, exitReason);
  }

  /** Places the reduce-only market exit of the amount held in `exitFigures`. */
  function placeExit(reason: string, exitReason: TradeExitReason): Promise<void> | undefined {
    const held = exitFigures[EXIT_HELD];
    placeArgs[PLACE_TIME_MS] = exitFigures[EXIT_TIME_MS];
    placeArgs[PLACE_AMOUNT] = Math.abs(held);
    placeArgs[PLACE_LEVEL] = NaN;
    noteReason(REASON_EXIT, EXIT_ID, exitReason);
    const placing = place(EXIT_ID, held > 0 ? 'sell' : 'buy', 'market', true, exitPlaced);
    if (placing !== exitPlaced) return afterOrder(placing as Promise<Order>, onExitPlacedOf, exitFigures[EXIT_TIME_MS], held, reason, exitReason);
    onExitPlaced(exitPlaced, reason, exitReason);
    return undefined;
  }

  /** `onExitPlaced` of an exit of `held` at `timeMs` (an async continuation). */
  function onExitPlacedOf(order: Order, timeMs: number, held: number, reason: string, exitReason: TradeExitReason): void {
    exitFigures[EXIT_TIME_MS] = timeMs;
    exitFigures[EXIT_HELD] = held;
    onExitPlaced(order, reason, exitReason);
  }

  /** The exit order of the time and amount in `exitFigures` is placed (or rejected). */
  function onExitPlaced(order: Order, reason: string, exitReason: TradeExitReason): void {
    // The time and amount are read by each rarely taken branch's own function: a number some branches pass to a call is
    // boxed ahead of all of them, on every exit.
    if (events) events.onOrder(reported(order), OrderPurpose.Exit, exitFigures[EXIT_TIME_MS]);
    if (order.status === 'rejected') {
      stats.rejected++;
      reportExitRejected(order);
      return;
    }
    if (!simulator) journalVenueExit(order, exitReason);
    reportAccount();
    exitOrderId = order.status === 'filled' ? null : order.id;
    stats.exits++;
    if (journal) recordExit(order, reason);
  }

  /** Reports and journals an exit order of `exitFigures` the venue rejected. */
  function reportExitRejected(order: Order): void {
    const timeMs = exitFigures[EXIT_TIME_MS];
    const reason = `exit rejected by the exchange: ${order.reason ?? 'no reason given'}`;
    events?.onDenied(symbol, DenialCode.ExchangeRejected, reason, timeMs);
    record(timeMs, 'denied', -Math.sign(exitFigures[EXIT_HELD]), fused.strength, reason);
  }

  /** Journals the exit order of `exitFigures` with the decision log's `reason`. */
  function recordExit(order: Order, reason: string): void {
    record(exitFigures[EXIT_TIME_MS], 'executed', -Math.sign(exitFigures[EXIT_HELD]), fused.strength, reason, { orderId: order.id });
  }

  /**
   * Enters `side` on the signal of row `i`, at its close (see `moveStop` for the return): with a veto or another model
   * in the loop, or a portfolio source to ask for the VaR limits, after awaiting them; else at once. (The row, not its
   * prices, crosses the call: a number passed to a call that is not inlined is boxed in the caller.)
   */
  function enter(i: number, side: number): Promise<void> | undefined {
    if (deps.veto || withModels || (deps.portfolioRisk && checksPortfolio())) return enterAfterModels(closeTimeAt(i), side, features.close[i], features.atr[RISK_ATR_PERIOD][i]);
    return enterNow(i, side);
  }

  /** `enter` with nothing to await before the risk gate: the TTL, then the gate and the orders. */
  function enterNow(i: number, side: number): Promise<void> | undefined {
    const strategy = dominantStrategy(side);
    if (staleAt(i) && expiredEntry(closeTimeAt(i), side, NO_ENTRY_INFO)) return undefined;
    entryAdjust[ENTRY_STOP_HINT] = fused.stopHint;
    entryAdjust[ENTRY_RISK_SCALE] = 1;
    return enterChecked(i, side, NO_ENTRY_INFO, strategy, undefined);
  }

  /** Whether the risk engine has a VaR or ES limit (its entries need the portfolio). */
  function checksPortfolio(): boolean {
    return deps.risk.config.maxVarFraction !== null || deps.risk.config.maxExpectedShortfallFraction !== null;
  }

  /**
   * Whether the signal of row `i` may have outlived its TTL, or the clock stands before it: `expiredEntry` then decides
   * (and throws for the clock), with the time passed (a number passed to a call that is not inlined is boxed: a fresh
   * signal passes none).
   */
  function staleAt(i: number): boolean {
    const signalTimeMs = features.openTimeMs[i] + timeframeMs;
    writeNowMs(deps.clock, clockNow, 0);
    const nowMs = clockNow[0];
    return nowMs < signalTimeMs || nowMs - signalTimeMs > ttlMs;
  }

  /** Refuses (and records) an entry whose signal outlived its TTL. */
  function expiredEntry(signalTimeMs: number, side: number, vetoInfo: Record<string, unknown>): boolean {
    if (!gate.isExpired(signalTimeMs, deps.clock.nowMs())) return false;
    stats.expired++;
    if (journal) record(signalTimeMs, 'expired', side, fused.strength, `signal older than its ttl of ${fusion.config.ttlMs} ms`, vetoInfo);
    return true;
  }

  /** `enter` with the veto, the models and the portfolio source awaited first. */
  async function enterAfterModels(signalTimeMs: number, side: number, price: number, atr: number): Promise<void> {
    const strategy = dominantStrategy(side);
    let vetoInfo: Record<string, unknown> = {};
    if (deps.veto) {
      const confidence = await deps.veto.predictLossProbability(vetoFeatures(features, cur, side));
      fusion.applyVeto(fused, confidence);
      const threshold = fusion.config.vetoThreshold;
      vetoInfo = { veto: { modelVersion: deps.veto.version, lossProbability: confidence, threshold } };
      if (fused.vetoed) {
        stats.vetoed++;
        if (journal) record(signalTimeMs, 'vetoed', side, fused.strength, `veto model ${deps.veto.version} gave loss probability ${confidence.toFixed(4)} >= ${threshold}`, vetoInfo);
        return;
      }
    }
    if (expiredEntry(signalTimeMs, side, vetoInfo)) return;
    let stopHint = fused.stopHint;
    let riskScale = 1;
    if (withModels) {
      const i = cur;
      const used: Record<string, unknown> = {};
      if (regimeOption || volatilityOption) writeMarketFeatures(features, i, marketInput, 0);
      if (regimeOption) {
        const model = loopModels.regime as NonNullable<LoopModels['regime']>;
        const p = await model.predictRegimeProbabilities(marketInput);
        const regime = regimeOf(p);
        const multiplier = regimeOption.riskMultiplier[regime];
        used.regime = { modelVersion: model.version, regime, probabilities: [p[0], p[1], p[2]], riskMultiplier: multiplier };
        if (multiplier === 0) {
          stats.denied++;
          const reason = `regime ${regime} (model ${model.version}): no entries in this regime (risk multiplier 0)`;
          events?.onDenied(symbol, DenialCode.Other, reason, signalTimeMs);
          if (journal) record(signalTimeMs, 'denied', side, fused.strength, reason, { ...vetoInfo, models: used });
          return;
        }
        riskScale *= multiplier;
      }
      if (volatilityOption) {
        const model = loopModels.volatility as NonNullable<LoopModels['volatility']>;
        const predicted = await model.predictVolatility(marketInput);
        const scale = volatilityScale(volatilityOption, predicted);
        used.volatility = { modelVersion: model.version, predicted, targetVolatility: volatilityOption.targetVolatility, scale };
        riskScale *= scale;
      }
      if (stopOption) {
        const model = loopModels.stopDistance as NonNullable<LoopModels['stopDistance']>;
        writeIntentFeatures(features, i, side, intentInput, 0);
        const predictedAtr = await model.predictStopDistanceAtr(intentInput);
        const stop = modelStopPrice(stopOption, side, price, atr, predictedAtr);
        used.stopDistance = { modelVersion: model.version, predictedAtr, atr, stopPrice: stop === stop ? stop : null, strategyStopHint: stopHint === stopHint ? stopHint : null };
        if (stop === stop) stopHint = stop;
      }
      vetoInfo = { ...vetoInfo, models: used };
    }
    const portfolio = deps.portfolioRisk && checksPortfolio() ? await deps.portfolioRisk.snapshot(symbol, deps.risk.config.varLookbackCandles) : undefined;
    entryAdjust[ENTRY_STOP_HINT] = stopHint;
    entryAdjust[ENTRY_RISK_SCALE] = riskScale;
    const entering = enterChecked(cur, side, vetoInfo, strategy, portfolio);
    if (entering) await entering;
  }

  /**
   * The risk gate, then the entry order, its protective stop and take-profits (see `moveStop` for the return), for
   * an entry of `side` at row `i`'s close with the stop hint and risk scale in `entryAdjust`. `portfolio`: the
   * portfolio source's snapshot, or undefined for the loop's own market (when a VaR or ES limit is set).
   */
  function enterChecked(i: number, side: number, vetoInfo: Record<string, unknown>, strategy: string, portfolio: PortfolioRiskInput | null | undefined): Promise<void> | undefined {
    const signalTimeMs = features.openTimeMs[i] + timeframeMs;
    const price = features.close[i];
    readAccountFigures();
    const held = accountFigures[ACCOUNT_HELD];
    if (portfolio === undefined) portfolio = checksPortfolio() ? ownPortfolio(held * price, deps.risk.config.varLookbackCandles) : null;
    const ctx = riskContext;
    ctx.side = side > 0 ? 'long' : 'short';
    ctx.price = price;
    ctx.stopHint = entryAdjust[ENTRY_STOP_HINT];
    ctx.atr = features.atr[RISK_ATR_PERIOD][i];
    ctx.equity = accountFigures[ACCOUNT_EQUITY];
    ctx.riskScale = entryAdjust[ENTRY_RISK_SCALE];
    ctx.currentPositionNotional = held * price;
    ctx.totalOpenNotional = accountFigures[ACCOUNT_GROSS_NOTIONAL];
    ctx.openPositions = deps.account.openPositionCount();
    ctx.portfolio = portfolio;
    const decision = deps.risk.evaluateInto(ctx, riskDecision, describeDenials);
    if (!decision.approved) {
      stats.denied++;
      events?.onDenied(symbol, denialCodeOf(decision.reason, decision.checks), decision.reason, signalTimeMs);
      if (journal) record(signalTimeMs, 'denied', side, fused.strength, decision.reason, { ...vetoInfo, risk: copyChecks(decision.checks) });
      return undefined;
    }
    placeArgs[PLACE_TIME_MS] = signalTimeMs;
    placeArgs[PLACE_AMOUNT] = decision.amount;
    placeArgs[PLACE_LEVEL] = NaN;
    const placingEntry = place(ENTRY_ID, side > 0 ? 'buy' : 'sell', 'market', false, entryPlaced);
    if (placingEntry !== entryPlaced) return afterOrder(placingEntry as Promise<Order>, onEntryPlaced, i, side, vetoInfo, strategy);
    return onEntryPlaced(entryPlaced, i, side, vetoInfo, strategy);
  }

  /**
   * The entry order of row `i`'s signal is placed (or rejected): the position's state, then its protective stop (see
   * `moveStop` for the return). The row, not its time and close, crosses the calls from here on.
   */
  function onEntryPlaced(order: Order, i: number, side: number, vetoInfo: Record<string, unknown>, strategy: string): Promise<void> | undefined {
    const decision = riskDecision;
    // The signal's time is read by each rarely taken branch's own function: a number some branches pass to a call is
    // boxed ahead of all of them, on every entry.
    if (events) events.onOrder(reported(order), OrderPurpose.Entry, closeTimeAt(i));
    if (order.status === 'rejected') {
      stats.rejected++;
      reportEntryRejected(order, i, side, vetoInfo);
      return undefined;
    }
    // The gate is asked only with a cooldown (see `admitEntry`), so only then told.
    if (cooldownMs > 0) noteEntryAt(i);
    const signalTimeMs = features.openTimeMs[i] + timeframeMs;
    const price = features.close[i];
    posSide = side;
    posFigures[POS_ENTRY_PRICE] = order.filled > 0 ? order.averagePrice : price;
    posFigures[POS_INITIAL_STOP] = decision.stopPrice;
    posEntryRow = cur + features.rowBase;
    posFigures[POS_ENTRY_TIME_MS] = signalTimeMs;
    posFigures[POS_BEST] = posFigures[POS_ENTRY_PRICE];
    posFigures[POS_STOP] = decision.stopPrice;
    trailActive = false;
    if (!simulator && order.filled > 0) {
      venueEntry = { side: side > 0 ? 'long' : 'short', amount: order.filled, price: order.averagePrice, fee: order.fee, timeMs: order.updatedAtMs };
    }
    entryOrderId = order.status === 'filled' ? null : order.id;
    entryStrategy = strategy;
    stats.entries++;
    placeArgs[PLACE_TIME_MS] = signalTimeMs;
    placeArgs[PLACE_AMOUNT] = order.amount;
    placeArgs[PLACE_LEVEL] = decision.stopPrice;
    const placingStop = place(STOP_ID, side > 0 ? 'sell' : 'buy', 'stop', true, stopPlaced);
    if (placingStop !== stopPlaced) return afterOrder(placingStop as Promise<Order>, onEntryStopPlaced, order, i, side, vetoInfo);
    return onEntryStopPlaced(stopPlaced, order, i, side, vetoInfo);
  }

  /** Reports and journals the entry order of row `i`'s signal the venue rejected. */
  function reportEntryRejected(order: Order, i: number, side: number, vetoInfo: Record<string, unknown>): void {
    const signalTimeMs = closeTimeAt(i);
    const reason = `entry rejected by the exchange: ${order.reason ?? 'no reason given'}`;
    events?.onDenied(symbol, DenialCode.ExchangeRejected, reason, signalTimeMs);
    if (journal) record(signalTimeMs, 'denied', side, fused.strength, reason, { ...vetoInfo, risk: copyChecks(riskDecision.checks) });
  }

  /** Tells the signal gate (its cooldown) of an entry on row `i`'s signal. */
  function noteEntryAt(i: number): void {
    gate.noteEntry(0, closeTimeAt(i));
  }

  /** The entry's protective stop is placed: the take-profits, then the account report and the record (see `moveStop` for the return). */
  function onEntryStopPlaced(stop: Order, order: Order, i: number, side: number, vetoInfo: Record<string, unknown>): Promise<void> | undefined {
    stopOrderId = stop.status === 'rejected' ? null : workingStopId(stop);
    stopFilledJournaled = 0;
    events?.onOrder(reported(stop), OrderPurpose.Stop, closeTimeAt(i));
    let placing: Promise<void> | undefined;
    if (takeProfits.length > 0) {
      takeProfitBase[TP_AMOUNT] = order.amount;
      takeProfitBase[TP_ENTRY_PRICE] = posFigures[POS_ENTRY_PRICE];
      takeProfitBase[TP_STOP_PRICE] = riskDecision.stopPrice;
      placing = placeTakeProfits(0, side, i);
    }
    if (placing) {
      // The entry snapshot is reused by the next entry only, which cannot start before this one ends.
      return after(placing, onEntryDone, order, i, side, vetoInfo);
    }
    onEntryDone(order, i, side, vetoInfo);
    return undefined;
  }

  /** The entry's orders are placed: the account report and the record. */
  function onEntryDone(order: Order, i: number, side: number, vetoInfo: Record<string, unknown>): void {
    reportAccount();
    if (journal) recordEntry(order, i, side, vetoInfo);
  }

  /** Journals the entry of row `i` (its time and close read here, off the path without a journal: no heap number there). */
  function recordEntry(order: Order, i: number, side: number, vetoInfo: Record<string, unknown>): void {
    const decision = riskDecision;
    const signalTimeMs = closeTimeAt(i);
    const price = features.close[i];
    record(signalTimeMs, 'executed', side, fused.strength, `entered ${sideName(side)} ${decision.amount} at ~${price}, stop ${decision.stopPrice}`, {
      ...vetoInfo,
      risk: copyChecks(decision.checks),
      orderId: order.id,
      stopOrderId: stopIdText(),
    });
  }

  /**
   * The loop's own market as a portfolio: the position held (signed notional) and the close-to-close returns of
   * the last `lookbackCandles` candles seen (fewer early in a run). Allocates the returns (entries only).
   */
  function ownPortfolio(heldNotional: number, lookbackCandles: number): PortfolioRiskInput {
    const seen = cur + 1;
    const n = Math.max(0, Math.min(lookbackCandles, seen - 1));
    const close = features.close;
    const returns = new Float64Array(n);
    const openTimeMs = new Float64Array(n);
    const first = seen - n;
    for (let t = 0; t < n; t++) {
      returns[t] = close[first + t] / close[first + t - 1] - 1;
      openTimeMs[t] = features.openTimeMs[first + t];
    }
    return {
      exposures: heldNotional === 0 ? [] : [{ symbol, notional: heldNotional }],
      history: { symbols: [symbol], returns: [returns], length: n, openTimeMs },
      timeframe: market.timeframe,
    };
  }

  /** Journals the part of the venue position an exit order closed (gross PnL; entry fee prorated). */
  function journalVenueExit(order: Order, exitReason: TradeExitReason): void {
    if (!venueEntry || !(order.filled > 0)) return;
    const amount = Math.min(order.filled, venueEntry.amount);
    closeVenuePart(amount, order.averagePrice, (order.fee * amount) / order.filled, order.updatedAtMs, exitReason);
  }

  /**
   * Journals `amount` (<= the held amount) of the venue position as closed at `price` with `exitFee`
   * at `timeMs`: gross PnL, the entry fee prorated by amount. Returns the trade; shrinks or clears the position.
   */
  function closeVenuePart(amount: number, price: number, exitFee: number, timeMs: number, exitReason: VenueExitReason): ClosedTrade {
    const entry = venueEntry as NonNullable<typeof venueEntry>;
    const entryFee = (entry.fee * amount) / entry.amount;
    const direction = entry.side === 'long' ? 1 : -1;
    const trade: ClosedTrade = {
      symbol,
      side: entry.side,
      amount,
      entryPrice: entry.price,
      exitPrice: price,
      entryTimeMs: entry.timeMs,
      exitTimeMs: timeMs,
      realizedPnl: (price - entry.price) * amount * direction,
      fees: entryFee + exitFee,
      funding: 0,
      exitReason,
    };
    const journaled = journalTrade(trade, exitReason);
    const rest = entry.amount - amount;
    venueEntry = rest > entry.amount * 1e-9 ? { ...entry, amount: rest, fee: entry.fee - entryFee } : null;
    if (venueEntry === null) resetPosition();
    return journaled;
  }

  /**
   * Base amount of the venue position that is gone although the loop sent no exit for it (its stop
   * triggered, a liquidation, a close by hand), per the account as refreshed before this candle; 0 when
   * none. Allocates nothing.
   */
  function venueShortfall(): number {
    const entry = venueEntry;
    if (entry === null) return 0;
    const held = deps.account.positionAmountSigned(symbol) * (entry.side === 'long' ? 1 : -1);
    const gone = entry.amount - (held > 0 ? held : 0);
    return gone > entry.amount * 1e-9 ? gone : 0;
  }

  /** The stop's state at the venue, or null when the venue cannot tell (no such order, no way to ask). */
  async function readStop(id: string, positionGone: boolean): Promise<Order | null> {
    try {
      if (deps.exchange.fetchOrder) return await deps.exchange.fetchOrder(id, symbol);
      // Without fetchOrder, cancelling reports the final state; only when nothing is left for the stop to protect.
      return positionGone ? await deps.exchange.cancelOrder(id, symbol) : null;
    } catch (error) {
      // An order the venue does not know cannot explain the close; anything else (network, auth) retries the candle.
      if (error instanceof ExchangeError && error.failure === FailureClass.NonRetryable) return null;
      throw error;
    }
  }

  /** Cancels a reduce-only stop left with nothing to protect; one the venue has finished meanwhile is fine. */
  async function cancelLeftoverStop(id: string): Promise<void> {
    await cancelOrder(id, true);
  }

  /**
   * Journals the part of the venue position that closed without the loop: first what the stop's fills
   * explain (at the stop's fill price, fee and time), the rest as a `venue` close at `price` (the last
   * candle close) and `timeMs`. Clears the stop once it is finished, cancels it once nothing is left.
   */
  async function noticeVenueClose(gone: number, price: number, timeMs: number): Promise<void> {
    const entry = venueEntry as NonNullable<typeof venueEntry>;
    const positionGone = gone >= entry.amount * (1 - 1e-9);
    const stop = stopOrderId ? await readStop(stopOrderId, positionGone) : null;
    const closed: ClosedTrade[] = [];
    let left = gone;
    for (let k = 0; k < takeProfitIds.length && deps.exchange.fetchOrder; k++) {
      const id = takeProfitIds[k];
      if (!id || !venueEntry || !(left > entry.amount * 1e-9)) continue;
      const tp = await readStop(id, false);
      const fresh = tp && tp.filled > 0 ? tp.filled - takeProfitJournaled[k] : 0;
      if (tp && fresh > entry.amount * 1e-9) {
        const amount = Math.min(fresh, left, venueEntry.amount);
        closed.push(closeVenuePart(amount, tp.averagePrice, (tp.fee * amount) / tp.filled, tp.updatedAtMs, TradeExitReason.TakeProfit));
        takeProfitJournaled[k] += fresh;
        left -= amount;
      }
      if (tp === null || (tp.status !== 'new' && tp.status !== 'partially_filled')) takeProfitIds[k] = null;
    }
    const stopFresh = stop && stop.filled > 0 ? stop.filled - stopFilledJournaled : 0;
    if (stop && venueEntry && stopFresh > entry.amount * 1e-9 && left > entry.amount * 1e-9) {
      const amount = Math.min(stopFresh, left, venueEntry.amount);
      const reason = reasonOf(stop.clientOrderId) ?? TradeExitReason.Stop;
      closed.push(closeVenuePart(amount, stop.averagePrice, (stop.fee * amount) / stop.filled, stop.updatedAtMs, reason));
      stopFilledJournaled += stopFresh;
      left -= amount;
    }
    if (venueEntry && left > entry.amount * 1e-9) closed.push(closeVenuePart(Math.min(left, venueEntry.amount), price, 0, timeMs, VenueExitReason.Venue));
    const stopWorking = stop !== null && (stop.status === 'new' || stop.status === 'partially_filled');
    if (venueEntry === null) {
      if (stopWorking && deps.exchange.fetchOrder) await cancelLeftoverStop(stop.id);
      stopOrderId = null;
      stopFilledJournaled = 0;
      // An entry remainder or exit still working would act on a position that is gone: cancel them now.
      if (anyWorkingOrder()) await cancelWorkingOrders();
    } else if (!stopWorking) {
      stopOrderId = null;
      stopFilledJournaled = 0;
    }
    if (events) {
      for (const trade of closed) events.onVenueClose(trade);
      reportAccount();
    }
  }

  /** The record `journalTrade` rewrites with `config.reuseTradeRecord` (see {@link ReusedTradeRecord}). */
  const tradeRecord: ReusedTradeRecord | null = config.reuseTradeRecord ? new ReusedTradeRecord() : null;

  /** Journals a closed trade (or part) with `exitReason` and its initial risk; returns it as journaled (see `config.reuseTradeRecord`). */
  function journalTrade(closed: ClosedTrade, exitReason: string): ClosedTrade {
    const stopKnown = posFigures[POS_INITIAL_STOP] === posFigures[POS_INITIAL_STOP];
    if (tradeRecord !== null) {
      const t = tradeRecord;
      t.symbol = closed.symbol;
      t.side = closed.side;
      t.amount = closed.amount;
      t.entryPrice = closed.entryPrice;
      t.exitPrice = closed.exitPrice;
      t.entryTimeMs = closed.entryTimeMs;
      t.exitTimeMs = closed.exitTimeMs;
      t.realizedPnl = closed.realizedPnl;
      t.fees = closed.fees;
      t.funding = closed.funding;
      t.exitReason = exitReason;
      // NaN without a stop, as the stop is NaN then (no choice between a number and a constant: V8 boxed that one).
      t.initialRisk = Math.abs(closed.entryPrice - posFigures[POS_INITIAL_STOP]) * closed.amount;
      if (deps.journal) recordJournaledTrade(t);
      return t;
    }
    const initialRisk = stopKnown ? Math.abs(closed.entryPrice - posFigures[POS_INITIAL_STOP]) * closed.amount : null;
    // The kept record (the run's output), field by field: a rest-and-spread copy allocates several times its size.
    const trade: ClosedTrade = {
      symbol: closed.symbol,
      side: closed.side,
      amount: closed.amount,
      entryPrice: closed.entryPrice,
      exitPrice: closed.exitPrice,
      entryTimeMs: closed.entryTimeMs,
      exitTimeMs: closed.exitTimeMs,
      realizedPnl: closed.realizedPnl,
      fees: closed.fees,
      funding: closed.funding,
      exitReason,
      initialRisk,
    };
    if (deps.journal) recordJournaledTrade(trade);
    return trade;
  }

  /** Writes `trade` (as `journalTrade` returns it; an `initialRisk` of NaN is none) to the journal. */
  function recordJournaledTrade(trade: ClosedTrade): void {
    const initialRisk = trade.initialRisk === undefined || trade.initialRisk === null || trade.initialRisk !== trade.initialRisk ? null : trade.initialRisk;
    const exitReason = trade.exitReason;
    const record: TradeRecord = {
      id: deps.newId(),
      runId: config.runId,
      exchange: market.exchange,
      symbol: trade.symbol,
      strategy: entryStrategy || 'fusion',
      side: trade.side,
      amount: trade.amount,
      entryPrice: trade.entryPrice,
      exitPrice: trade.exitPrice,
      entryTimeMs: trade.entryTimeMs,
      exitTimeMs: trade.exitTimeMs,
      realizedPnl: trade.realizedPnl,
      fees: trade.fees,
      funding: trade.funding,
      exitReason,
      initialRisk,
    };
    if (journalAccountId !== null) record.accountId = journalAccountId;
    (deps.journal as JournalWriter).recordTrade(record);
  }

  /** Acts on row `i`'s fused signal with what is held now: the exit of an opposite position, then the entry. */
  function act(i: number): Promise<void> | undefined {
    const side = fused.side;
    readAccountFigures();
    const held = accountFigures[ACCOUNT_HELD];
    if (held !== 0 && Math.sign(held) !== side) {
      exitFigures[EXIT_TIME_MS] = features.openTimeMs[i] + timeframeMs;
      exitFigures[EXIT_HELD] = held;
      const exiting = exitNow(journal ? `exit ${sideName(Math.sign(held))}: fused signal turned ${sideName(side)}` : '', TradeExitReason.Signal);
      if (exiting) return after(exiting, enterAfterExit, i, side);
      return enterAfterExit(i, side);
    }
    return admitEntry(i, side, held === 0) ? enter(i, side) : undefined;
  }

  /** The entry of `side` after the exit of the opposite position on row `i`. */
  function enterAfterExit(i: number, side: number): Promise<void> | undefined {
    // A partially filled exit leaves part of the position: never stack a new entry on top of it. (Its side, a small
    // integer, crosses the call without a heap number.)
    if ((deps.account.positionSide ? deps.account.positionSide(symbol) : deps.account.positionAmountSigned(symbol)) !== 0) return undefined;
    return admitEntry(i, side, false) ? enter(i, side) : undefined;
  }

  /**
   * The synchronous checks before an entry of `side` on row `i` (`flat`: no position before any exit this
   * candle): shorts on a market without them, the cooldown, a halt. Records a refusal and returns false; true
   * when the entry may go on to the veto, models and risk. A refusal allocates nothing unless it is journaled
   * or reported (integers only cross the calls; the close time and reason are built only for the journal or
   * the events).
   */
  function admitEntry(i: number, side: number, flat: boolean): boolean {
    if (side < 0 && !config.allowShort) {
      if (flat && journal) record(closeTimeAt(i), 'no_trade', side, fused.strength, 'short signal ignored: the market does not allow short positions');
      return false;
    }
    // No cooldown (the default) admits every entry: the gate is asked only when there is one (its time argument is boxed).
    if (cooldownMs > 0 && gate.admit(0, closeTimeAt(i)) !== 'ok') {
      stats.cooldown++;
      if (journal) record(closeTimeAt(i), 'cooldown', side, fused.strength, `symbol in cooldown for ${fusion.config.cooldownMs} ms after the last entry`);
      return false;
    }
    if (deps.risk.isHalted()) {
      stats.denied++;
      if (events || journal) reportHaltedDenial(i, side);
      return false;
    }
    return true;
  }

  /** Reports and journals an entry of `side` on row `i` refused because the risk engine is halted (allocates; only with events or a journal). */
  function reportHaltedDenial(i: number, side: number): void {
    const timeMs = closeTimeAt(i);
    const reason = `halted: ${deps.risk.state().haltReason ?? 'no reason recorded'}`;
    events?.onDenied(symbol, DenialCode.Halted, reason, timeMs);
    record(timeMs, 'denied', side, fused.strength, reason);
  }

  /** Closes the held position for `reason` (a policy exit or an exit signal) at the candle close, after any pending cleanup. */
  function closeByPolicy(timeMs: number, held: number, reason: TradeExitReason): Promise<void> | undefined {
    const cleaning = cleanupPending ? cleanup() : undefined;
    if (cleaning) return after(cleaning, exit, timeMs, held, journal ? `exit ${sideName(Math.sign(held))}: ${reason}` : '', reason);
    return exit(timeMs, held, journal ? `exit ${sideName(Math.sign(held))}: ${reason}` : '', reason);
  }

  /**
   * Moves the trailing stop to `level`; a level at or past the close would trigger at once, so the
   * position closes now with a market order instead of a marketable stop (reason `trailing-stop`).
   */
  function trailTo(level: number, close: number, held: number, timeMs: number): Promise<void> | undefined {
    const cleaning = cleanupPending ? cleanup() : undefined;
    if (cleaning) return after(cleaning, trailNow, level, close, held, timeMs);
    return trailNow(level, close, held, timeMs);
  }

  /** `trailTo` once no cleanup is pending. */
  function trailNow(level: number, close: number, held: number, timeMs: number): Promise<void> | undefined {
    const crossed = (close - level) * Math.sign(held) <= 0;
    return crossed
      ? exit(timeMs, held, journal ? `exit ${sideName(Math.sign(held))}: trailing stop ${level} crossed at the close` : '', TradeExitReason.TrailingStop)
      : moveStop(level, held, timeMs);
  }

  /** The adapter outputs of the current row as objects (read from the columns once per row, on demand). */
  function currentOutputs(): AdapterOutput[] {
    if (outputsRow !== cur && cur + features.rowBase >= warmup) {
      const slot = cur - evaluatedFrom;
      for (let k = 0; k < outputs.length; k++) readAdapterColumns(adapterColumns[k], slot, outputs[k]);
      outputsRow = cur;
    }
    return outputs;
  }

  /**
   * Moves to the feature row of row `row` of `candles` and returns it. When the chunk computed ahead is used
   * up, the column-wise phase runs on the next chunk (rows `row..row+chunk-1` of `candles`, as many as
   * there are): features pushed in one pass per indicator, each adapter's outputs, then fusion, into the
   * signal columns. Allocation-free (integers only cross the calls).
   * @throws ValidationError when a chunk was computed ahead and `row` is not its next candle.
   */
  function advance(candles: CandleColumns, row: number): number {
    const i = cur + 1;
    if (i < features.length) {
      if (features.openTimeMs[i] !== candles.openTimeMs[row]) failPendingChunk(features.openTimeMs[i], candles.openTimeMs[row]);
    } else {
      const end = row + chunkSlots < candles.length ? row + chunkSlots : candles.length;
      const discard = phase.rowsToDiscard(end - row);
      if (discard > 0) discardRows(discard);
      evaluatedFrom = phase.computeChunk(candles, row, end);
      chunkExits = -1;
    }
    cur = cur + 1;
    return cur;
  }

  /** Discards feature rows before `row` (bounded columns): every row index the loop holds moves down with them. */
  function discardRows(row: number): void {
    features.discardBefore(row);
    cur -= row;
    evaluatedFrom -= row;
    outputsRow = -1;
  }

  /** Processes a candle once the loop's view of its venue position is current. */
  function processCandle(candles: CandleColumns, row: number): Promise<void> | undefined {
    if (simulator) {
      simulator.onCandleRow(simulatorSymbol, candles, row);
    }
    const i = advance(candles, row);
    // No price or time is passed to a call below: each rarely taken branch reads them from row `i` itself
    // (the `*At` helpers). A number passed to a call is boxed, and the JIT boxes it once for every branch
    // that passes it, ahead of the branches: one heap number per candle as soon as any such branch has run.
    equityAt[0] = features.openTimeMs[i] + timeframeMs;
    if (writeEquity) deps.account.writeEquity!(equityAt, 1);
    else equityAt[1] = deps.account.equity();
    deps.risk.onEquityFrom(equityAt);
    if (deps.risk.isHalted() !== lastHalted) reportHaltChange(closeTimeAt(i));
    stats.candles++;
    if (i + features.rowBase < warmup) return undefined;
    readFused(fusedColumns, i - evaluatedFrom, ttlMs, fused);
    // The side held (-1, 0, 1), a small integer: the amount itself (a fraction) is read only when acting on it.
    const heldSide = deps.account.positionSide ? deps.account.positionSide(symbol) : Math.sign(deps.account.positionAmountSigned(symbol));
    // (No closures below on the per-candle path: a captured local would allocate a context every candle.)
    const policyExit = heldSide === 0 ? '' : policyExitReason(heldSide, i);
    if (policyExit !== '') return closeByPolicy(closeTimeAt(i), deps.account.positionAmountSigned(symbol), policyExit);
    if (fused.side === 0 || heldSide === fused.side) {
      if (logEveryCandle) recordQuietAt(i);
      const level = trailing !== null && heldSide !== 0 && posSide === heldSide ? trailLevel(posSide, i) : NaN;
      if (level === level) return trailToAt(i, level);
      return cleanupPending ? cleanup() : undefined;
    }
    stats.signals++;
    return actAt(i, heldSide);
  }

  /** Close time of feature row `i`, ms. */
  function closeTimeAt(i: number): number {
    return features.openTimeMs[i] + timeframeMs;
  }

  /** Journals row `i` as a candle without an actionable signal (decision detail `all`). */
  function recordQuietAt(i: number): void {
    record(closeTimeAt(i), 'no_trade', fused.side, fused.strength, fused.side === 0 ? 'no fused signal' : 'already positioned in the signal direction');
  }

  /** Moves the trailing stop to `level` at row `i`'s close (see `trailTo`). */
  function trailToAt(i: number, level: number): Promise<void> | undefined {
    return trailTo(level, features.close[i], deps.account.positionAmountSigned(symbol), closeTimeAt(i));
  }

  /** Acts on row `i`'s fused signal while holding `heldSide`: the exit of an opposite position, then the entry checks. */
  function actAt(i: number, heldSide: number): Promise<void> | undefined {
    if (cleanupPending || heldSide !== 0) return actOnPositionAt(i);
    // Flat: the synchronous checks first, so a signal they refuse (a short on spot, the cooldown, a halt) costs no
    // promise; no double is read before they pass (a number passed to a call is boxed, ahead of the branches).
    return admitEntry(i, fused.side, true) ? enterAt(i) : undefined;
  }

  /** Acts on row `i`'s signal after any pending cleanup, or while a position is held (see `act`). */
  function actOnPositionAt(i: number): Promise<void> | undefined {
    const cleaning = cleanupPending ? cleanup() : undefined;
    if (cleaning) return after(cleaning, act, i);
    return act(i);
  }

  /** Enters on row `i`'s fused signal once the synchronous checks passed (see `enter`). */
  function enterAt(i: number): Promise<void> | undefined {
    return enter(i, fused.side);
  }

  return {
    features,
    stats: () => stats,
    venuePosition: () =>
      venueEntry === null
        ? null
        : { ...venueEntry, strategy: entryStrategy || 'fusion', stopOrderId, stopFilledJournaled, ...(posFigures[POS_INITIAL_STOP] === posFigures[POS_INITIAL_STOP] ? { initialStop: posFigures[POS_INITIAL_STOP] } : {}) },
    resumeVenuePosition(position) {
      if (position === null) {
        venueEntry = null;
        return;
      }
      checkVenuePosition(position);
      venueEntry = { side: position.side, amount: position.amount, price: position.price, fee: position.fee, timeMs: position.timeMs };
      entryStrategy = position.strategy;
      stopOrderId = position.stopOrderId;
      stopFilledJournaled = position.stopFilledJournaled;
      resetPosition();
      posFigures[POS_INITIAL_STOP] = position.initialStop ?? NaN;
    },
    onTradeClosed(trade) {
      // A reused closed part names its closing order in parts (no id built); another, by its id.
      const told =
        trade.exitClientIdStem !== undefined
          ? reasonOfParts(trade)
          : trade.exitClientOrderId === undefined
            ? undefined
            : reasonOf(trade.exitClientOrderId);
      const exitReason = told ?? trade.exitReason;
      // The side, a small integer, crosses the call without a heap number.
      const flat = (deps.account.positionSide ? deps.account.positionSide(symbol) : deps.account.positionAmountSigned(symbol)) === 0;
      if (exitReason === 'stop' || exitReason === 'trailing-stop' || exitReason === 'liquidation' || exitReason === 'take-profit') {
        if (exitReason !== 'take-profit') stopOrderId = null;
        if (events) {
          events.onVenueClose({ ...trade, exitReason });
          reportAccount();
        }
      }
      const journaled = journalTrade(trade, exitReason);
      if (flat) {
        resetPosition();
        // Orders still working (an entry remainder, the stop, take-profits) would act on a later position: cancel them next candle.
        if (anyWorkingOrder()) cleanupPending = true;
      }
      return journaled;
    },
    async closeOpenPosition(reason) {
      const held = deps.account.positionAmountSigned(symbol);
      if (held === 0) {
        if (anyWorkingOrder()) await cancelWorkingOrders();
        return;
      }
      const timeMs = deps.clock.nowMs();
      if (simulator?.closePositionAtLast) {
        // A simulated venue closes it all at once: a volume-capped market order could leave a part open.
        const clientOrderId = nextClientId(CLOSE_ID, timeMs);
        placeArgs[PLACE_TIME_MS] = timeMs;
        noteReason(REASON_CLOSE, CLOSE_ID, reason);
        entryOrderId = exitOrderId = stopOrderId = null;
        for (let k = 0; k < takeProfitIds.length; k++) takeProfitIds[k] = null;
        simulator.closePositionAtLast(simulatorSymbol, clientOrderId);
        stats.exits++;
        reportAccount();
        if (journal) record(timeMs, 'executed', -Math.sign(held), fused.strength, `exit ${sideName(Math.sign(held))}: ${reason}`, { clientOrderId });
        return;
      }
      await exit(timeMs, held, `exit ${sideName(Math.sign(held))}: ${reason}`, reason);
    },
    warmUp(candles, row) {
      if (cur + 1 < features.length) failPendingChunk(features.openTimeMs[cur + 1], candles.openTimeMs[row]);
      features.pushFrom(candles, row);
      cur = features.length - 1;
    },
    lastOpenTimeMs: () => (cur >= 0 ? features.openTimeMs[cur] : NaN),
    onIdleCandles(candles, row, end) {
      if (idleSimulator === null || logEveryCandle || venueEntry !== null || cleanupPending || !idleSimulator.isIdle(simulatorSymbol)) return 0;
      const first = cur + 1;
      // A signal the flat account would refuse without a trace is as quiet as none (neither journal nor events to tell):
      // a short on a market without shorts (counted in `signals`), any entry while halted with no cooldown gate (counted
      // in `signals` and `denied`; the halt cannot change within the steady stretch: its equity and UTC day do not). A
      // halted run or a spot market's shorts broke the idle stretches at every such candle: on BTC/USDT 5m 3,196 of the
      // 6,158 candles stepped one by one were these.
      const silent = journal === null && !events;
      const halted = silent && cooldownMs === 0 && deps.risk.isHalted();
      const quietShorts = silent && (!config.allowShort || halted) ? 1 : 0;
      const quietLongs = halted ? 1 : 0;
      // Integers only cross the calls below (a number passed to a call that is not inlined is boxed).
      const quiet = quietRowsAhead(features, fusedColumns.side, first, warmup, evaluatedFrom, candles, row, end, quietShorts, quietLongs, timeframeMs, quietSignals);
      if (quiet === 0) return 0;
      if (writeEquity) deps.account.writeEquity!(equityAt, 1);
      else equityAt[1] = deps.account.equity();
      const steady = deps.risk.steadyEquityRows(features.openTimeMs, first, first + quiet, timeframeMs, equityAt);
      if (steady === 0) return 0;
      idleSimulator.onIdleRows(simulatorSymbol, candles, row, row + steady);
      deps.risk.recordSteadyEquity(features.openTimeMs, first, first + steady, timeframeMs, equityAt);
      stats.candles += steady;
      if (quietShorts + quietLongs > 0) {
        // The quiet rows' signals as the scan counted them, counted again over the steady ones when fewer (rare: the scan stops at the day's end too).
        if (steady < quiet) quietRowsAhead(features, fusedColumns.side, first, warmup, evaluatedFrom, candles, row, row + steady, quietShorts, quietLongs, timeframeMs, quietSignals);
        stats.signals += quietSignals[0] + quietSignals[1];
        if (halted) stats.denied += quietSignals[1] + (config.allowShort ? quietSignals[0] : 0);
      }
      cur = first + steady - 1;
      return steady;
    },
    onCandle(candles, row) {
      // A real venue may have closed the position on its own since the last candle (stop, liquidation,
      // by hand): journal that first, so this candle decides on a flat book. Nothing to await otherwise.
      const gone = venueEntry === null ? 0 : venueShortfall();
      if (gone === 0) return processCandle(candles, row);
      return noticeVenueClose(gone, candles.close[row], candles.openTimeMs[row] + timeframeMs).then(() => processCandle(candles, row));
    },
  };
}

/**
 * How many feature rows from `first` (computed ahead: before `features.length`) are the candles `candles` gives from
 * `row` (before `end`) and fuse to no signal (a warm-up row, before `warmup`, never signals; fused slot `i - evaluatedFrom`
 * otherwise), or to a short with `quietShorts` 1, or a long with `quietLongs` 1, counted from the first, and close
 * (open time + `timeframeMs`) within the UTC day of row `first - 1`'s close; the shorts and longs among them in
 * `signals[0]` and `signals[1]`. A loop and nothing after it (see the feature extractor's `copyCheckedRows`).
 *
 * The day bound is the risk engine's (`steadyEquityRows` counts no point past the day of the last one, row `first - 1`'s),
 * checked here as well so that the scan stops there: without it, a quiet stretch cut at a day's end by the risk engine
 * was scanned again to the end of the chunk from each of the chunk's day starts (BTC/USDT 5m, halted for its last year:
 * 4,096-row chunks of 288-row days, this scan 13 % of the run). It only shortens the scan: the count the loop uses is the
 * smaller of this one and the risk engine's.
 */
function quietRowsAhead(
  features: FeatureExtractor,
  fusedSides: Int8Array,
  first: number,
  warmup: number,
  evaluatedFrom: number,
  candles: CandleColumns,
  row: number,
  end: number,
  quietShorts: number,
  quietLongs: number,
  timeframeMs: number,
  signals: Int32Array,
): number {
  const times = features.openTimeMs;
  const candleTimes = candles.openTimeMs;
  const last = features.length;
  const base = features.rowBase;
  const lastCloseMs = times[first - 1] + timeframeMs;
  const dayEndMs = lastCloseMs - (((lastCloseMs % DAY_MS) + DAY_MS) % DAY_MS) + DAY_MS;
  let shorts = 0;
  let longs = 0;
  let i = first;
  for (; i < last && row + (i - first) < end && times[i] === candleTimes[row + (i - first)] && times[i] + timeframeMs < dayEndMs; i++) {
    if (i + base < warmup) continue;
    const side = fusedSides[i - evaluatedFrom];
    if (side === 0) continue;
    if (side < 0) {
      if (quietShorts !== 1) break;
      shorts++;
    } else {
      if (quietLongs !== 1) break;
      longs++;
    }
  }
  signals[0] = shorts;
  signals[1] = longs;
  return i - first;
}

/**
 * Whether any slot of the adapters' exit columns holds an exit (the check of the loop's `chunkExits`): each column read a
 * word (four slots) at a time through its `exitWords`, then its last slots. A loop and nothing after it.
 */
function anyExit(columns: readonly AdapterColumns[]): boolean {
  for (let k = 0; k < columns.length; k++) {
    const { exit, exitWords } = columns[k];
    for (let w = 0; w < exitWords.length; w++) if (exitWords[w] !== 0) return true;
    for (let s = exitWords.length * 4; s < exit.length; s++) if (exit[s] !== 0) return true;
  }
  return false;
}

/** One UTC day, ms (the risk engine's day: see `quietRowsAhead`). */
const DAY_MS = 86_400_000;

/**
 * What the loop holds as its working stop's id when the stop is the order in its stop snapshot (see `workingStopId`): no
 * venue id has this form.
 */
const PLACED_STOP_ID = '(the order in the stop snapshot)';

/**
 * The trade record a loop with `reuseTradeRecord` rewrites for every trade. A class of its own: a plain object with the
 * same fields in the same order would share its hidden class with the journaled records (the trades of a result), whose
 * `initialRisk` may be null, and a field that has held null stores every number as a new heap number. Here every number
 * field only ever holds numbers (`initialRisk` NaN when unknown), so V8 writes them in place.
 */
class ReusedTradeRecord {
  symbol = '';
  side: 'long' | 'short' = 'long';
  amount = NaN;
  entryPrice = NaN;
  exitPrice = NaN;
  entryTimeMs = NaN;
  exitTimeMs = NaN;
  realizedPnl = NaN;
  fees = NaN;
  funding = NaN;
  exitReason = '';
  initialRisk = NaN;
}

/** Slots of the loop's exit reasons (see `reasonIds`): the market exit, the trailing stop, the end-of-run close, the take-profits from. */
const REASON_EXIT = 0;
const REASON_TRAIL = 1;
const REASON_CLOSE = 2;
const REASON_TAKE_PROFIT = 3;

/** Slots of the loop's `placeArgs` (see there): the order's candle time (its client id's), amount and level. */
const PLACE_TIME_MS = 0;
const PLACE_AMOUNT = 1;
const PLACE_LEVEL = 2;

/** Slots of the loop's `accountFigures` (see there): the position held (signed base amount), equity, gross notional. */
const ACCOUNT_HELD = 0;
const ACCOUNT_EQUITY = 1;
const ACCOUNT_GROSS_NOTIONAL = 2;

/** Slots of the loop's `exitFigures` (see there): the exit's candle time and the amount held (signed). */
const EXIT_TIME_MS = 0;
const EXIT_HELD = 1;

/** Slots of the loop's `takeProfitBase` (see there). */
const TP_AMOUNT = 0;
const TP_ENTRY_PRICE = 1;
const TP_STOP_PRICE = 2;

/** Slots of the loop's `posFigures` (see there). */
const POS_ENTRY_PRICE = 0;
const POS_INITIAL_STOP = 1;
const POS_ENTRY_TIME_MS = 2;
const POS_BEST = 3;
const POS_STOP = 4;

/** Slots of the loop's `entryAdjust`: the entry's stop hint (NaN: none) and risk scale (the models' multiplier, else 1). */
const ENTRY_STOP_HINT = 0;
const ENTRY_RISK_SCALE = 1;

/** The veto and model details of an entry without any (records spread it). */
const NO_ENTRY_INFO: Record<string, unknown> = Object.freeze({});

/** Copies a risk decision's checks for a journal record (the decision's records are reused). */
function copyChecks(checks: readonly RiskCheck[]): RiskCheck[] {
  return checks.map((c) => ({ name: c.name, value: c.value, limit: c.limit, passed: c.passed }));
}

/**
 * `pending`, then `next(...args)`: the async path's continuation, built in a function of its own. A closure written in a
 * function of the order path would make every call of it allocate its context (the variables the closure captures), on
 * a synchronous venue too, where no promise is ever awaited.
 */
function after<A extends unknown[]>(pending: Promise<unknown>, next: (...args: A) => Promise<void> | void, ...args: A): Promise<void> {
  return pending.then(() => next(...args));
}

/** `pending` (an order placed through the async port), then `next(order, ...args)` (see {@link after}). */
function afterOrder<A extends unknown[]>(pending: Promise<Order>, next: (order: Order, ...args: A) => Promise<void> | void, ...args: A): Promise<void> {
  return pending.then((order) => next(order, ...args));
}

/** Resolves a cancelled order's promise to nothing. */
function ignoreOrder(): void {}

/** Lets an order the venue has finished (or does not know) pass: a non-retryable ExchangeError; rethrows anything else. */
function rethrowUnlessFinished(error: unknown): void {
  if (!(error instanceof ExchangeError) || error.failure !== FailureClass.NonRetryable) throw error;
}

/** Cold path of `advance`: the caller skipped or reordered candles of a chunk computed ahead. */
function failPendingChunk(expectedOpenTimeMs: number, openTimeMs: number): never {
  throw new ValidationError(
    'openTimeMs',
    openTimeMs,
    `the loop computed its chunk ahead and expects the candle at ${expectedOpenTimeMs} next; feed a chunked loop consecutive candles of one column set (or use chunkSize 1)`,
  );
}

/** Throws ValidationError naming the first field of a checkpointed venue position that is malformed. */
function checkVenuePosition(p: VenuePosition): void {
  if (p.side !== 'long' && p.side !== 'short') throw new ValidationError('venuePosition.side', p.side, 'expected "long" or "short"');
  if (!(Number.isFinite(p.amount) && p.amount > 0)) throw new ValidationError('venuePosition.amount', p.amount, 'expected a finite amount > 0');
  if (!(Number.isFinite(p.price) && p.price > 0)) throw new ValidationError('venuePosition.price', p.price, 'expected a finite price > 0');
  if (!(Number.isFinite(p.fee) && p.fee >= 0)) throw new ValidationError('venuePosition.fee', p.fee, 'expected a finite fee >= 0');
  if (!Number.isFinite(p.timeMs)) throw new ValidationError('venuePosition.timeMs', p.timeMs, 'expected a time in ms');
  if (typeof p.strategy !== 'string') throw new ValidationError('venuePosition.strategy', p.strategy, 'expected a strategy name');
  if (p.stopOrderId !== null && (typeof p.stopOrderId !== 'string' || p.stopOrderId === '')) {
    throw new ValidationError('venuePosition.stopOrderId', p.stopOrderId, 'expected an order id or null');
  }
  if (!(Number.isFinite(p.stopFilledJournaled) && p.stopFilledJournaled >= 0)) {
    throw new ValidationError('venuePosition.stopFilledJournaled', p.stopFilledJournaled, 'expected a finite amount >= 0');
  }
}

/**
 * The veto model's input vector for an entry of `side` (+1 long, -1 short) at row `i`: exactly the
 * intent-veto training features (engine/ml/market-features.ts `intentFeatures`), so training and
 * serving cannot drift. Allocates (called only when a signal fires).
 */
export function vetoFeatures(f: FeatureFrame, i: number, side: number): Float32Array {
  return intentFeatures(f, i, side);
}
