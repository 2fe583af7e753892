/**
 * PaperExchange: an in-memory venue simulation (spot, or linear USDⓈ-M perpetual futures in
 * one-way mode) behind the `Exchange` port, plus a synchronous, allocation-free per-candle API
 * for the backtest hot path.
 *
 * Simulation rules (all documented choices, not venue facts):
 * - Market orders fill at once against the last candle's close (the price at decision time),
 *   moved against the trader by `spreadBps / 2 + slippageBps`, as a taker, capped at
 *   `maxVolumeShare × last candle volume`; the remainder fills on following candles at their open
 *   with the same adjustment (status `partially_filled` meanwhile).
 * - Within a candle (the one intrabar rule): funding settlements first, then market remainders and
 *   already-triggered stops (at the open), then resting stops and limits in the order the candle's
 *   path reaches their prices. The path is open → low → high → close for a bullish candle
 *   (close >= open) and open → high → low → close for a bearish one (close < open): on the first leg
 *   the orders on that side (sell stops and buy limits on the low side, buy stops and sell limits on
 *   the high side) fill nearest-to-the-open first, then the other side's on the second leg; a stop and
 *   a take-profit touched in the same candle therefore fill in path order. A price already crossed at
 *   the open (a gap) is reached first; a gapped stop fills at the open. Ties keep creation order. All
 *   fills share one volume budget (`maxVolumeShare × candle volume`, reset at every candle). Orders are
 *   only evaluated on candles processed after they were created.
 * - Limit buy fills when low <= price, at the limit price, as a maker (also on a gap below it);
 *   limit sell when high >= price. A marketable limit rests until the next candle.
 * - Stop buy triggers when high >= stopPrice and fills as a taker at max(stopPrice, open) moved up by
 *   `spreadBps / 2 + slippageBps` (a gap fills at the open); stop sell symmetric with min(...) and down.
 * - Funding (futures): a settlement at time T (multiples of `fundingIntervalHours` since the Unix
 *   epoch, i.e. 00:00/08:00/16:00 UTC by default) is applied when the first candle with
 *   openTimeMs >= T is processed, before that candle's fills, to the position held then, at
 *   mark = that candle's open (exact when candles open on settlement times). A fill made between
 *   candles at a clock time after T (live and paper sessions) first settles T on the position held
 *   before it, at the last mark (the last candle's close): only the position open at T pays T.
 * - Mark price = the candle close (simplification: mark = traded price). After fills the position
 *   is marked at the close and the liquidation price recomputed; a long is liquidated when the
 *   candle's low <= LP (short: high >= LP), closed at LP (also on a gap through LP: losses beyond LP
 *   are not modelled) with the taker fee; all open orders of that symbol are cancelled. In cross
 *   mode only the position whose LP is hit is closed. On the path, LP is a level like a resting
 *   order's on the leg against the position: an open already through it liquidates before anything
 *   fills at the open, and it is liquidated before the orders of that leg farther from the open
 *   (a stop-loss beyond LP is cancelled, not filled); an order nearer to the open, or at LP, fills first.
 * - Fees on every fill are charged to the wallet (in isolated mode too); funding goes to the
 *   wallet and, in isolated mode, also to that position's isolated margin.
 * - Event times: fills in `createOrder` use `clock.nowMs()` (or the symbol's own clock, see `useClockFor`); fills and liquidations inside a candle
 *   use the candle's openTimeMs; funding uses the settlement time.
 * - Admission: an order is rejected at creation (status `rejected`, reason quoting values) for
 *   leverage above its tier's max for the resulting notional, a notional past the last tier,
 *   insufficient margin/cash, a spot sell beyond holdings, a reduce-only order that would not reduce,
 *   or a market order before any candle. A resting order that is no longer admissible when it would
 *   fill is `cancelled` with the reason. Reduce-only orders and spot sells are capped at the position;
 *   their remainder is cancelled once the position is closed.
 * - No price/amount precision rounding: this venue has no instrument metadata.
 *
 * Accounting invariant (tested): equity = initialBalance + realised + unrealised − fees − funding,
 * where wallet = initialBalance + realised − fees − funding and equity = wallet + Σ unrealised.
 * Spot uses the same books: a holding's "margin" is its cost basis, cash = wallet − Σ cost basis.
 */
import { writeNowMs, type Clock } from '../core/clock';
import type { Candle, CandleColumns, MarginMode, MarketType, OrderSide, OrderStatus, OrderType, Timeframe } from '../core/types';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import { clientIdIs, clientIdText, createOrderSnapshot, type Balance, type Exchange, type Order, type OrderRequest, type Position, type StemmedOrderRequest } from '../ports/exchange';
import {
  DEFAULT_MARGIN_TIERS,
  findMarginTierIndex,
  liquidationPriceOf,
  maintenanceMargin,
  validateMarginTiers,
  type MarginTier,
} from './margin-tiers';
import { fundingPayment, fundingRateIndexAt, normalizeFundingRates, type FundingRateSeries, type NormalizedFundingRates } from './funding';
import type { JsonNumber, PaperOrderState, PaperExchangeState } from '../ports/accounts';

/** Why a position went back to zero. `reduce` = a reduce-only non-stop order; `signal` = any other order. */
export const ExitReason = { Signal: 'signal', Stop: 'stop', Liquidation: 'liquidation', Reduce: 'reduce' } as const;
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/** Fee class of a fill. */
export const Liquidity = { Maker: 'maker', Taker: 'taker' } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];

/**
 * Settings of a PaperExchange. Rates in basis points (1 bp = 0.01 %), money in `quoteCurrency`.
 * Validated by `createPaperExchange` (ValidationError naming the field and value).
 */
export interface PaperExchangeConfig {
  /** Port id; default "paper". */
  id?: string;
  marketType: MarketType;
  /** Settlement currency; default "USDT". */
  quoteCurrency?: string;
  /** Starting wallet balance, > 0. */
  initialBalance: number;
  /** Limit-order fee, bps; may be negative (rebate) down to −100. */
  makerFeeBps: number;
  /** Market/stop/liquidation fee, bps, >= 0. */
  takerFeeBps: number;
  /** Full bid-ask spread, bps, >= 0; a taker pays half of it. */
  spreadBps: number;
  /** Extra adverse move on taker fills, bps, >= 0. */
  slippageBps: number;
  /** Largest share of a candle's volume this account may trade, in (0, 1]. */
  maxVolumeShare: number;
  /** Futures leverage for every position, >= 1; default 1. Spot: must be 1 or absent. */
  leverage?: number;
  /** Futures margin mode; default "cross". */
  marginMode?: MarginMode;
  /**
   * Maintenance-margin tiers per symbol (see `parseBinanceBrackets`); key "*" is a fallback for
   * unlisted symbols; otherwise `DEFAULT_MARGIN_TIERS` (BTCUSDT tiers 1-4) apply.
   */
  tiers?: ReadonlyMap<string, readonly MarginTier[]> | Readonly<Record<string, readonly MarginTier[]>>;
  /**
   * Funding-rate history per symbol. A settlement uses the latest entry at or before it (entries
   * rounded down to the interval); before the first entry, or for unlisted symbols, `fundingRatePerInterval`.
   */
  fundingRates?: ReadonlyMap<string, FundingRateSeries> | Readonly<Record<string, FundingRateSeries>>;
  /** Constant rate per settlement when no series applies; default 0.0001 (0.01 %). */
  fundingRatePerInterval?: number;
  /** Hours between settlements, > 0; default 8. */
  fundingIntervalHours?: number;
}

/** A fill, as reported to `onFill`. Liquidations report orderId `liquidation-<n>`. */
export interface PaperFill {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  amount: number;
  price: number;
  fee: number;
  timeMs: number;
  liquidity: Liquidity;
}

/**
 * A closed part of a position. Reported when an order that reduced the position without closing it
 * is completely filled (a partial exit, e.g. a take-profit level: the part is what was reduced since
 * the last report, the entry fees and funding prorated by amount), and when the position returns to
 * zero (the rest; a flip reports the close, then opens anew). An exit filled in several fills over
 * several candles is therefore one part; a position opened and closed without partial exits is one
 * round trip. `entryPrice`/`exitPrice` are volume-weighted over the part's entries/exits; `realizedPnl` is the
 * gross price PnL; `fees` (entry and exit fees of the part) and `funding` (paid > 0) are separate, so the
 * net result is realizedPnl − fees − funding. `exitClientOrderId` is the client id of the order whose
 * fill closed it (`liquidation-<n>` for a liquidation).
 */
export interface PaperTradeClosed {
  symbol: string;
  side: 'long' | 'short';
  amount: number;
  entryPrice: number;
  exitPrice: number;
  entryTimeMs: number;
  exitTimeMs: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  exitReason: ExitReason;
  exitClientOrderId: string;
}

/** One funding settlement of one position. `amount` is the wallet change (negative = paid). */
export interface PaperFunding {
  symbol: string;
  timeMs: number;
  rate: number;
  amount: number;
  markPrice: number;
  /** Signed position size at the settlement. */
  positionAmount: number;
}

/** A forced close at the liquidation price. */
export interface PaperLiquidation {
  symbol: string;
  side: 'long' | 'short';
  amount: number;
  price: number;
  timeMs: number;
  /** Gross realised PnL of the forced close. */
  realizedPnl: number;
  fee: number;
}

/** Optional synchronous callbacks. Objects are only built when the matching callback exists. */
export interface PaperExchangeListener {
  onOrderUpdate?(order: Order): void;
  onFill?(fill: PaperFill): void;
  onTradeClosed?(trade: PaperTradeClosed): void;
  onFunding?(funding: PaperFunding): void;
  onLiquidation?(liquidation: PaperLiquidation): void;
}

/** Historical candles for `fetchOhlcv` (e.g. a repository adapter). */
export interface PaperCandleSource {
  fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]>;
}

/**
 * Live, read-only view of a symbol's position (updated in place by the simulation; copy fields you
 * want to keep). `liquidationPrice` is refreshed on that symbol's candles and fills only (in cross mode
 * other symbols' marks move it; `fetchPosition` recomputes it).
 */
export interface PositionView {
  readonly symbol: string;
  /** Base amount, > 0 long, < 0 short. */
  readonly amountSigned: number;
  readonly entryPrice: number;
  readonly markPrice: number;
  readonly unrealizedPnl: number;
  /** Gross realised PnL of partial reductions of this position. */
  readonly realizedPnl: number;
  /** Isolated wallet / cross initial margin (futures) or cost basis (spot). */
  readonly margin: number;
  /** NaN when none. */
  readonly liquidationPrice: number;
  readonly feesPaid: number;
  readonly fundingPaid: number;
  readonly openedAtMs: number;
}

/** Account-level sums, quote currency. `funding` > 0 means paid. */
export interface PaperAccountTotals {
  initialBalance: number;
  realizedPnl: number;
  unrealizedPnl: number;
  fees: number;
  funding: number;
  walletBalance: number;
  equity: number;
}

/** The simulation: the async `Exchange` port plus a synchronous hot-path API. */
export interface PaperExchange extends Exchange {
  /** The order's current state; throws a non-retryable ExchangeError for an id this exchange did not issue. */
  fetchOrder(orderId: string, symbol: string): Promise<Order>;
  /**
   * Stable small integer for a symbol (creates its book on first use), for `onCandleAt`.
   */
  symbolIndex(symbol: string): number;
  /**
   * Advances the simulation by one closed candle of `symbol` (see the module doc for the rules).
   * O(open orders of the symbol + symbols), allocation-free unless an event fires with a listener.
   * @throws ValidationError when openTimeMs does not increase for the symbol, or the candle is not
   * finite/consistent (low > 0, low <= open,close <= high, volume >= 0).
   */
  onCandle(symbol: string, openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void;
  /**
   * Closes the whole position of the symbol at `symbolIndex` now, at the last close moved against the
   * trader by `spreadBps / 2 + slippageBps`, as a taker, ignoring the volume cap, after cancelling the
   * symbol's open orders: the end of a backtest, where every open position becomes a trade. Reported like
   * any fill (`onFill`, then `onTradeClosed` with exit reason `reduce` and `clientOrderId`). No-op when flat.
   * @throws ValidationError for an unknown index.
   */
  closePositionAtLast(symbolIndex: number, clientOrderId: string): void;
  /**
   * Gives `symbol`'s order events (fills of `createOrder`, cancels, `closePositionAtLast`) the time of `symbolClock`
   * instead of the exchange's clock; null goes back to the exchange's. A replay session trading an account's paper venue
   * sets its simulated clock here for its symbol while it runs, so its trades carry the replayed candles' times, not the
   * wall-clock time they were simulated at (an account trades a symbol in one session at a time).
   */
  useClockFor(symbol: string, symbolClock: Clock | null): void;
  /** `onCandle` by `symbolIndex`, skipping the symbol lookup. @throws ValidationError for an unknown index. */
  onCandleAt(symbolIndex: number, openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void;
  /**
   * `onCandleAt` for row `row` of `candles`: the allocation-free form for a loop over candle columns (prices
   * passed to a call that is not inlined are boxed, one heap number each). Same throws.
   */
  onCandleRow(symbolIndex: number, candles: CandleColumns, row: number): void;
  /**
   * Whether the symbol holds no position and no open order: a candle of such a symbol moves no money (the loop's
   * bulk step, {@link PaperExchange.onIdleRows}, relies on it).
   */
  isIdle(symbolIndex: number): boolean;
  /**
   * `onCandleRow` for rows `from..to-1` of `candles` of an idle symbol (see `isIdle`), in one call: each row is checked
   * as `onCandleRow` checks it (same errors, thrown at the first bad row, the rows before it settled), funding times
   * move on as row by row, and the symbol's last candle and mark price are the last row's. Nothing else changes: an
   * idle symbol has nothing to fill, fund or liquidate.
   * @throws RangeError when the symbol is not idle; ValidationError as `onCandleRow`.
   */
  onIdleRows(symbolIndex: number, candles: CandleColumns, from: number, to: number): void;
  /**
   * `createOrder` without the promise: places `request` and writes the order as `createOrder` would return it
   * into `out` (a caller-owned snapshot, e.g. from {@link createOrderSnapshot}, reused across calls); returns `out`.
   * The synchronous path of a loop whose venue is this simulation (a backtest). A `StemmedOrderRequest` gives the client
   * id in parts: the order keeps them and builds the id only when something reads it (a fill listener, a snapshot's
   * reader, `exportState`); a repeated client id is recognised whichever way either was given. Same throws, synchronously.
   */
  placeOrderSync(request: OrderRequest, out: Order): Order;
  /** `cancelOrder` without the promise, written into `out` like {@link PaperExchange.placeOrderSync}. Same throws, synchronously. */
  cancelOrderSync(orderId: string, symbol: string, out: Order): Order;
  /**
   * `cancelOrderSync` of the order that `placed` names, a snapshot `placeOrderSync` wrote (and nothing rewrote since): an
   * {@link PaperExchange.orderSnapshot} is read by the order's number, so its id is not built. Same throws.
   */
  cancelPlacedSync(placed: Order, symbol: string, out: Order): Order;
  /**
   * A snapshot for `placeOrderSync` / `cancelOrderSync` to write into, like {@link createOrderSnapshot}, whose `id` ("paper-N")
   * and `clientOrderId` (of a request that gives it in parts, a `StemmedOrderRequest`) are built only when read, and whose
   * `price` and `stopPrice` are written without a heap number (getters of its class: a spread copy has none of the four,
   * copy them by name): the order path of a loop that reads the ids of its resting orders only builds none for the orders
   * that fill at once, and no client id.
   */
  orderSnapshot(): Order;
  /** Wallet + unrealised PnL, quote currency. */
  equity(): number;
  /** Writes `equity()` into `out[index]` (no number crosses the call: allocation-free per candle). */
  writeEquity(out: Float64Array, index: number): void;
  /**
   * Writes `positionAmountSigned(symbol)`, `equity()` and `grossNotional()` into `out[0..2]`: the figures of an entry's
   * risk check without a number crossing a call (one returned by a call that is not inlined is boxed).
   */
  writeAccountFigures(symbol: string, out: Float64Array): void;
  /** initialBalance + realised − fees − funding, quote currency. */
  walletBalance(): number;
  /** Signed base amount (0 when flat or unknown). */
  positionAmountSigned(symbol: string): number;
  /** 1 long, -1 short, 0 flat or unknown (the allocation-free per-candle read). */
  positionSide(symbol: string): number;
  /** Live read-only view (not a copy), or null when flat or unknown. */
  positionOf(symbol: string): PositionView | null;
  /** Last candle close, NaN before the first candle. */
  lastPrice(symbol: string): number;
  /** Open time of the last candle settled for `symbol` (kept in the exported state), -Infinity before the first. */
  settledThrough(symbol: string): number;
  /** Number of symbols with an open position. Allocation-free. */
  openPositionCount(): number;
  /** Symbols with an open position, in the order the exchange first saw them. */
  openPositionSymbols(): string[];
  /** Sum over open positions of |amount| x mark price, quote currency. Allocation-free. */
  grossNotional(): number;
  /** Account sums (allocates; not for the hot path). */
  totals(): PaperAccountTotals;
  /** Snapshots of open (new / partially_filled) orders, optionally of one symbol. */
  openOrders(symbol?: string): Order[];
  /**
   * The whole simulation state (wallet, totals, positions, open orders and the most recent
   * {@link PAPER_STATE_TERMINAL_ORDERS} finished orders, so a repeated client order id is still
   * recognised after a restore), as plain JSON-safe data. Allocates; call after a candle or a fill.
   */
  exportState(): PaperExchangeState;
  /**
   * Replaces the state of a freshly created exchange with `state` (from `exportState`).
   * @throws ValidationError when the exchange has already traded or processed candles, or the
   * state belongs to a different market type / quote currency, or is corrupt.
   */
  restoreState(state: PaperExchangeState): void;
}

/** How many finished orders `exportState` keeps (for client order id idempotency after a restore). */
export const PAPER_STATE_TERMINAL_ORDERS = 500;


const toJsonNumber = (n: number): JsonNumber => (Number.isFinite(n) ? n : Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity');
const fromJsonNumber = (field: string, n: unknown): number => {
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  if (n === 'NaN') return NaN;
  if (n === 'Infinity') return Infinity;
  if (n === '-Infinity') return -Infinity;
  throw new ValidationError(field, n, 'expected a number (or "NaN", "Infinity", "-Infinity") in the stored paper account state');
};

/** Dependencies: time source, optional listener and optional candle source for `fetchOhlcv`. */
export interface PaperExchangeDeps {
  clock: Clock;
  listener?: PaperExchangeListener;
  candleSource?: PaperCandleSource;
  /**
   * Finished orders (filled, cancelled, rejected) kept for `fetchOrder`, `cancelOrder` and client order id
   * idempotency: when more than twice this many are held, the older ones beyond the most recent this many are
   * forgotten (a streamed backtest of millions of orders stays in bounded memory) and their records reused by new orders;
   * the orders held are then searched instead of mapped, so a backtest's order path allocates no record and no map entry.
   * An integer >= 1; default: all kept.
   * @throws ValidationError naming `deps.retainFinishedOrders` otherwise.
   */
  retainFinishedOrders?: number;
  /**
   * When true, `listener.onTradeClosed` is handed one object rewritten for every closed part (copy what you keep): a
   * backtest, whose loop copies each part into its trade record, then closes trades without allocating them twice.
   * Default false: a new object per part.
   */
  reuseClosedTrade?: boolean;
}

interface OrderState {
  /** "<exchange id>-<seq>", built on first read by `idOf` ('' until then); a restored order's stored id. */
  id: string;
  /** The order's number (`id`'s suffix); -1 for a restored order whose id has another form. */
  seq: number;
  /** The client order id; '' until built by `clientIdOf` when it was given in parts (`clientStem`, `clientTimeMs`). */
  clientOrderId: string;
  /** The stem of a client id given in parts (see `StemmedOrderRequest`), the whole id for one given whole. */
  clientStem: string;
  /** The time of a client id given in parts, NaN for one given whole. */
  clientTimeMs: number;
  symbol: string;
  side: OrderSide;
  sideSign: 1 | -1;
  type: OrderType;
  status: OrderStatus;
  amount: number;
  filled: number;
  filledNotional: number;
  /**
   * Limit price and stop trigger, NaN when the type has none (the port's null): a field that holds null as well is
   * stored as a new heap number on every write, one per order placed.
   */
  price: number;
  stopPrice: number;
  fee: number;
  reduceOnly: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  reason: string | null;
  /** Stop orders: trigger seen, now a resting market order. */
  triggered: boolean;
  /** Open time of the last candle whose path reached this order's price (each order is tried once per candle). */
  pathSeenMs: number;
}

interface SymbolState {
  symbol: string;
  /** The time of this symbol's order events (see `useClockFor`); null: the exchange's clock. */
  clock: Clock | null;
  amountSigned: number;
  entryPrice: number;
  markPrice: number;
  unrealizedPnl: number;
  realizedPnl: number;
  margin: number;
  liquidationPrice: number;
  feesPaid: number;
  fundingPaid: number;
  openedAtMs: number;
  openedQty: number;
  entryNotional: number;
  closedQty: number;
  exitNotional: number;
  /** Entry fees of the open amount not yet moved to a closed part. */
  entryFeesOpen: number;
  /** Funding of the position already moved to closed parts. */
  fundingMoved: number;
  /** Reductions not yet reported as a closed part: amount, entry/exit notional, gross PnL, fees, funding. */
  pendQty: number;
  pendEntryNotional: number;
  pendExitNotional: number;
  pendRealized: number;
  pendFees: number;
  pendFunding: number;
  lastOpenTimeMs: number;
  lastVolume: number;
  /** The candle being settled (open time, open, high, low, close): read by the order and funding steps, so no price crosses a call. */
  candleTimeMs: number;
  candleOpen: number;
  candleHigh: number;
  candleLow: number;
  candleClose: number;
  usedVolume: number;
  nextFundingMs: number;
  fundingCursor: number;
  funding: NormalizedFundingRates | null;
  tiers: readonly MarginTier[];
  openOrders: OrderState[];
}

interface ResolvedConfig {
  id: string;
  marketType: MarketType;
  quoteCurrency: string;
  initialBalance: number;
  makerFee: number;
  takerFee: number;
  takerAdjust: number;
  maxVolumeShare: number;
  leverage: number;
  marginMode: MarginMode;
  tiers: Map<string, readonly MarginTier[]>;
  fundingRates: Map<string, NormalizedFundingRates>;
  fundingRatePerInterval: number;
  fundingIntervalMs: number;
}

/** Slots of a PaperExchange's `money`: wallet, realised PnL, fees, funding paid, the last fill's fee and realised PnL. */
const MONEY_WALLET = 0;
const MONEY_REALIZED = 1;
const MONEY_FEES = 2;
const MONEY_FUNDING = 3;
const MONEY_LAST_FEE = 4;
const MONEY_LAST_REALIZED = 5;

/** Relative tolerance for treating two amounts as equal. */
const AMOUNT_EPSILON = 1e-9;
/** Slot of `fillArgs` holding the wanted amount (clamped in place by `clampQty`). */
const FILL_QTY = 0;

function finite(field: string, value: unknown, test: (n: number) => boolean, reason: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !test(value)) throw new ValidationError(field, value, reason);
  return value;
}

function entriesOf<T>(value: ReadonlyMap<string, T> | Readonly<Record<string, T>> | undefined, field: string): [string, T][] {
  if (value === undefined) return [];
  if (value instanceof Map) return [...(value as ReadonlyMap<string, T>).entries()];
  if (typeof value === 'object' && value !== null) return Object.entries(value as Record<string, T>);
  throw new ValidationError(field, value, 'expected a Map or a plain object keyed by symbol');
}

function resolveConfig(config: PaperExchangeConfig): ResolvedConfig {
  if (!config || typeof config !== 'object') throw new ValidationError('config', config, 'expected an object');
  if (config.marketType !== 'spot' && config.marketType !== 'futures') {
    throw new ValidationError('marketType', config.marketType, 'expected "spot" or "futures"');
  }
  const quoteCurrency = config.quoteCurrency ?? 'USDT';
  if (typeof quoteCurrency !== 'string' || quoteCurrency === '') throw new ValidationError('quoteCurrency', quoteCurrency, 'expected a non-empty string');
  const initialBalance = finite('initialBalance', config.initialBalance, (n) => n > 0, 'expected a finite number > 0');
  const makerFeeBps = finite('makerFeeBps', config.makerFeeBps, (n) => n >= -100 && n < 10_000, 'expected a finite number in [-100, 10000)');
  const takerFeeBps = finite('takerFeeBps', config.takerFeeBps, (n) => n >= 0 && n < 10_000, 'expected a finite number in [0, 10000)');
  const spreadBps = finite('spreadBps', config.spreadBps, (n) => n >= 0 && n < 10_000, 'expected a finite number in [0, 10000)');
  const slippageBps = finite('slippageBps', config.slippageBps, (n) => n >= 0 && n < 10_000, 'expected a finite number in [0, 10000)');
  if (spreadBps / 2 + slippageBps >= 10_000) throw new ValidationError('slippageBps', slippageBps, 'spreadBps / 2 + slippageBps must stay below 10000');
  const maxVolumeShare = finite('maxVolumeShare', config.maxVolumeShare, (n) => n > 0 && n <= 1, 'expected a number in (0, 1]');
  const futures = config.marketType === 'futures';
  const leverage = config.leverage ?? 1;
  if (futures) finite('leverage', leverage, (n) => n >= 1, 'expected a finite number >= 1');
  else if (leverage !== 1) throw new ValidationError('leverage', config.leverage, 'spot trading has no leverage; use 1 or omit it');
  const marginMode = config.marginMode ?? 'cross';
  if (marginMode !== 'isolated' && marginMode !== 'cross') throw new ValidationError('marginMode', marginMode, 'expected "isolated" or "cross"');
  const fundingRatePerInterval = finite('fundingRatePerInterval', config.fundingRatePerInterval ?? 0.0001, () => true, 'expected a finite number');
  const fundingIntervalHours = finite('fundingIntervalHours', config.fundingIntervalHours ?? 8, (n) => n > 0, 'expected a finite number > 0');
  const fundingIntervalMs = Math.round(fundingIntervalHours * 3_600_000);
  const tiers = new Map<string, readonly MarginTier[]>();
  for (const [symbol, list] of entriesOf(config.tiers, 'tiers')) tiers.set(symbol, validateMarginTiers(symbol, list));
  const fundingRates = new Map<string, NormalizedFundingRates>();
  for (const [symbol, series] of entriesOf(config.fundingRates, 'fundingRates')) {
    fundingRates.set(symbol, normalizeFundingRates(symbol, series, fundingIntervalMs));
  }
  return {
    id: config.id ?? 'paper',
    marketType: config.marketType,
    quoteCurrency,
    initialBalance,
    makerFee: makerFeeBps / 10_000,
    takerFee: takerFeeBps / 10_000,
    takerAdjust: (spreadBps / 2 + slippageBps) / 10_000,
    maxVolumeShare,
    leverage,
    marginMode,
    tiers,
    fundingRates,
    fundingRatePerInterval,
    fundingIntervalMs,
  };
}

/** `n`, or null for NaN (a price the order type has none of, as the port reports it). */
function numberOrNull(n: number): number | null {
  return n === n ? n : null;
}

function isTerminal(status: OrderStatus): boolean {
  return status === 'filled' || status === 'cancelled' || status === 'rejected';
}

/**
 * An order snapshot whose `id` and `clientOrderId` are built on first read, from the exchange id and order number and
 * from the client id's stem and time written into it; its `price` and `stopPrice` are doubles read as null when NaN.
 */
class LazyIdOrderSnapshot implements Order {
  symbol = '';
  side: OrderSide = 'buy';
  type: OrderType = 'market';
  status: OrderStatus = 'new';
  amount = NaN;
  filled = NaN;
  averagePrice = NaN;
  fee = NaN;
  reduceOnly = false;
  createdAtMs = NaN;
  updatedAtMs = NaN;
  reason: string | null = null;
  // Private, so a spread copy or a JSON text holds none of them (nor `id`, `clientOrderId`, `price` and `stopPrice`,
  // getters: copy them by name).
  #prefix = '';
  #seq = -1;
  /** The id once built or set; '' until then. */
  #text = '';
  #clientStem = '';
  #clientTimeMs = NaN;
  /** Limit price and stop trigger, NaN for none (read as null): doubles written in place, where a field that may hold null boxes every write. */
  #price = NaN;
  #stopPrice = NaN;

  get price(): number | null {
    return this.#price === this.#price ? this.#price : null;
  }

  set price(price: number | null) {
    this.#price = price ?? NaN;
  }

  get stopPrice(): number | null {
    return this.#stopPrice === this.#stopPrice ? this.#stopPrice : null;
  }

  set stopPrice(stopPrice: number | null) {
    this.#stopPrice = stopPrice ?? NaN;
  }

  /** Copies the limit price and stop trigger of `o` (NaN: none); the order, not its numbers, crosses the call. */
  copyPrices(o: { price: number; stopPrice: number }): void {
    this.#price = o.price;
    this.#stopPrice = o.stopPrice;
  }
  /** The client id once built or set; '' until then. */
  #clientText = '';

  get clientOrderId(): string {
    if (this.#clientText === '') this.#clientText = clientIdText(this.#clientStem, this.#clientTimeMs);
    return this.#clientText;
  }

  set clientOrderId(clientOrderId: string) {
    this.#clientText = clientOrderId;
  }

  /**
   * Names the order's client id as `o` holds it: its text when already built, else the id of its stem and time (see
   * `StemmedOrderRequest`). The order, not the time, crosses the call (a number passed to a call that is not inlined is boxed).
   */
  nameClient(o: { clientStem: string; clientTimeMs: number; clientOrderId: string }): void {
    this.#clientStem = o.clientStem;
    this.#clientTimeMs = o.clientTimeMs;
    this.#clientText = o.clientOrderId;
  }

  get id(): string {
    if (this.#text === '') this.#text = `${this.#prefix}-${this.#seq}`;
    return this.#text;
  }

  set id(id: string) {
    this.#text = id;
  }

  /** The number of the order named (see `nameOrder`): -1 for a restored order whose id has another form, or before any. */
  orderNumber(): number {
    return this.#seq;
  }

  /** Names order `seq` of exchange `prefix`, whose id is `text` when already built ('' otherwise). */
  nameOrder(prefix: string, seq: number, text: string): void {
    this.#prefix = prefix;
    this.#seq = seq;
    this.#text = text;
  }
}

/**
 * The closed part a backtest's exchange rewrites for every part (`deps.reuseClosedTrade`), whose `exitClientOrderId` is
 * built on first read from the stem and time of the closing order's client id (see `StemmedOrderRequest`), which it
 * also holds as `exitClientIdStem` and `exitClientIdTimeMs` (NaN: the stem is the whole id), so a loop tells its exit
 * reason without building the id.
 */
class ReusedClosedPart implements PaperTradeClosed {
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
  exitReason: ExitReason = 'signal';
  exitClientIdStem = '';
  exitClientIdTimeMs = NaN;
  /** The client id once built or given whole; '' until then. */
  #exitClientText = '';

  get exitClientOrderId(): string {
    if (this.#exitClientText === '') this.#exitClientText = clientIdText(this.exitClientIdStem, this.exitClientIdTimeMs);
    return this.#exitClientText;
  }

  /** Names the closing order's client id from the order's (the order, not its time, crosses the call: no heap number). */
  nameExitClient(order: { clientStem: string; clientTimeMs: number; clientOrderId: string }): void {
    this.exitClientIdStem = order.clientStem;
    this.exitClientIdTimeMs = order.clientTimeMs;
    this.#exitClientText = order.clientOrderId;
  }

  /** Names the closing fill's client id `text`, given whole (a fill of no order). */
  nameExitClientText(text: string): void {
    this.exitClientIdStem = text;
    this.exitClientIdTimeMs = NaN;
    this.#exitClientText = text;
  }
}

/**
 * The first row of `from..to-1` of `candles` that the venue does not settle for `st`, else `to`. A row it settles has a
 * finite open time after `st`'s last candle (row `from`) or after row `r - 1`, finite prices with 0 < low <= open,
 * close <= high, and a finite volume >= 0: `onCandleRow`'s rule (written out there), checked by `onIdleRows` here, a
 * loop and nothing after it that reads the columns once (a call per row read the six of them from `candles` again every
 * row). The finiteness checks are bounds: a time after another is not NaN nor -Infinity, a high >= a low > 0 and a
 * volume >= 0 are not NaN, so each is finite iff it is below Infinity. The symbol crosses the call, not its last time: a
 * number passed to a call that is not inlined is boxed. With `onCandleRow`'s check written out too (it called the
 * per-row check, 2.3 % of the samples on UNITTEST-BTC 1m), full runs went 143 -> 137 ns a candle on BTC/USDT 5m, 397 ->
 * 376 on UNITTEST-BTC 1m and 285 -> 277 on BTC/USDC 1m (medians of five interleaved runs, their fastest batches).
 */
function firstUnsettledRow(candles: CandleColumns, from: number, to: number, st: SymbolState): number {
  const times = candles.openTimeMs;
  const opens = candles.open;
  const highs = candles.high;
  const lows = candles.low;
  const closes = candles.close;
  const volumes = candles.volume;
  let r = from;
  for (; r < to; r++) {
    const openTimeMs = times[r];
    const open = opens[r];
    const high = highs[r];
    const low = lows[r];
    const close = closes[r];
    const volume = volumes[r];
    if (
      !(
        openTimeMs > (r === from ? st.lastOpenTimeMs : times[r - 1]) &&
        openTimeMs < Infinity &&
        low > 0 &&
        low <= open &&
        low <= close &&
        high >= open &&
        high >= close &&
        volume >= 0 &&
        high < Infinity &&
        volume < Infinity
      )
    ) {
      break;
    }
  }
  return r;
}

/** Why the rest of a reduce-only or spot sell order `o` was cancelled; apart from `fillOrder` so no number of it is boxed there. */
function remainderCancelledMessage(o: OrderState): string {
  return `${o.reduceOnly ? 'reduce-only' : 'spot sell'} remainder of ${o.amount - o.filled} ${o.symbol} cancelled: position closed`;
}

/** Why `admissionRefusal` refuses a fill (`None`: it does not). */
const Refusal = { None: 0, NotReducing: 1, SpotOversell: 2, Balance: 3, TierCap: 4, Leverage: 5, Margin: 6 } as const;

/** Cold path of `onCandleRow`: throws what is wrong with row `row` (the open time first, then the prices). */
function failCandleRow(st: SymbolState, candles: CandleColumns, row: number): never {
  const openTimeMs = candles.openTimeMs[row];
  if (!(openTimeMs > st.lastOpenTimeMs) || !Number.isFinite(openTimeMs)) {
    throw new ValidationError(`candle.openTimeMs`, openTimeMs, `must be finite and after the previous ${st.symbol} candle at ${st.lastOpenTimeMs}`);
  }
  const candle = { open: candles.open[row], high: candles.high[row], low: candles.low[row], close: candles.close[row], volume: candles.volume[row] };
  throw new ValidationError(`candle ${st.symbol}@${openTimeMs}`, candle, 'expected finite prices with 0 < low <= open, close <= high and volume >= 0');
}

/**
 * Builds a PaperExchange.
 * @throws ValidationError naming the config field and value when the config is invalid.
 */
export function createPaperExchange(config: PaperExchangeConfig, deps: PaperExchangeDeps): PaperExchange {
  const cfg = resolveConfig(config);
  if (!deps || !deps.clock || typeof deps.clock.nowMs !== 'function') throw new ValidationError('deps.clock', deps?.clock, 'expected a Clock');
  const { clock, listener, candleSource } = deps;
  const futures = cfg.marketType === 'futures';
  const cross = cfg.marginMode === 'cross';
  const quote = cfg.quoteCurrency;

  const states: SymbolState[] = [];
  const indexBySymbol = new Map<string, number>();
  const retainFinished = deps.retainFinishedOrders ?? Infinity;
  if (retainFinished !== Infinity && !(Number.isInteger(retainFinished) && retainFinished >= 1)) {
    throw new ValidationError('deps.retainFinishedOrders', retainFinished, 'expected an integer >= 1');
  }
  const bounded = retainFinished !== Infinity;
  /** Every order by id and by client id (the latest of a client id), when all are kept. */
  const ordersById = new Map<string, OrderState>();
  const ordersByClientId = new Map<string, OrderState>();
  /**
   * With a bound, the orders held instead, in creation order (`heldOrders[0 .. heldCount)`, at most twice the bound plus
   * the working ones), searched from the newest: an array that never shrinks, where a map would allocate entries and,
   * as orders are forgotten, new tables.
   */
  const heldOrders: OrderState[] = [];
  let heldCount = 0;
  function findOrder(orderId: string): OrderState | undefined {
    if (!bounded) return ordersById.get(orderId);
    // By number, so no held order's id is built to compare (a restored order of another id form: by its id).
    const seq = seqOfId(orderId);
    for (let i = heldCount - 1; i >= 0; i--) {
      const o = heldOrders[i];
      if (seq >= 0 ? o.seq === seq : o.id === orderId) return o;
    }
    return undefined;
  }
  /** The order of number `seq` (>= 0), without building an id with a bound. */
  function findOrderNumber(seq: number): OrderState | undefined {
    if (!bounded) return ordersById.get(`${cfg.id}-${seq}`);
    for (let i = heldCount - 1; i >= 0; i--) if (heldOrders[i].seq === seq) return heldOrders[i];
    return undefined;
  }
  /**
   * The latest order of the client id of request `r` (its stem `clientOrderId` and time `clientIdTimeMs`, see
   * `StemmedOrderRequest`; without a time, `clientOrderId` is the whole id). With a bound, compared by parts, so no id is
   * built. (The request, not the time, crosses the call: a number passed to a call that is not inlined is boxed.)
   */
  function findByClientId(r: OrderRequest): OrderState | undefined {
    const stem = r.clientOrderId;
    const partTimeMs = (r as Partial<StemmedOrderRequest>).clientIdTimeMs;
    const timeMs = typeof partTimeMs === 'number' ? partTimeMs : NaN;
    if (!bounded) return ordersByClientId.get(clientIdText(stem, timeMs));
    // A request timed after every held id given in parts, with none given whole, can match none (a backtest's every
    // new candle's first order): no scan.
    if (timeMs > newestHeldClientTimeMs[0] && heldWholeIds === 0) return undefined;
    for (let i = heldCount - 1; i >= 0; i--) {
      const o = heldOrders[i];
      const same =
        o.clientTimeMs === o.clientTimeMs
          ? timeMs === timeMs
            ? o.clientTimeMs === timeMs && o.clientStem === stem
            : clientIdIs(stem, o.clientStem, o.clientTimeMs)
          : clientIdIs(o.clientOrderId, stem, timeMs);
      if (same) return o;
    }
    return undefined;
  }
  /** The order's client id, built on first read when it was given in parts. */
  function clientIdOf(o: OrderState): string {
    if (o.clientOrderId === '') o.clientOrderId = clientIdText(o.clientStem, o.clientTimeMs);
    return o.clientOrderId;
  }
  /**
   * With a bound, the newest client id time of the orders held with an id in parts (never lowered when orders are
   * forgotten: a bound, not the maximum), and how many held orders have an id given whole; `findByClientId` skips its
   * scan when a request is timed after that bound and no held id is whole. (The time in a typed array: a double
   * in a `let` the closures share is a heap number, a new one each write.)
   */
  const newestHeldClientTimeMs = new Float64Array([-Infinity]);
  let heldWholeIds = 0;
  function holdOrder(o: OrderState): void {
    if (bounded) {
      heldOrders[heldCount++] = o;
      if (o.clientTimeMs !== o.clientTimeMs) heldWholeIds++;
      else if (o.clientTimeMs > newestHeldClientTimeMs[0]) newestHeldClientTimeMs[0] = o.clientTimeMs;
      return;
    }
    ordersById.set(idOf(o), o);
    ordersByClientId.set(clientIdOf(o), o);
  }
  /** The order's id, built on first read. */
  function idOf(o: OrderState): string {
    if (o.id === '') o.id = `${cfg.id}-${o.seq}`;
    return o.id;
  }
  /** The number of an id of this exchange's form ("<id>-<digits>", no leading zero), else -1. Allocation-free. */
  function seqOfId(orderId: string): number {
    const p = cfg.id.length;
    const n = orderId.length;
    if (n <= p + 1 || n > p + 16 || orderId.charCodeAt(p) !== 45 || !orderId.startsWith(cfg.id)) return -1;
    if (orderId.charCodeAt(p + 1) === 48 && n > p + 2) return -1;
    let seq = 0;
    for (let i = p + 1; i < n; i++) {
      const digit = orderId.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return -1;
      seq = seq * 10 + digit;
    }
    return seq;
  }
  const heldOrderCount = () => (bounded ? heldCount : ordersById.size);
  /** The orders held, oldest first (allocates; not for the hot path). */
  const allHeldOrders = (): OrderState[] => (bounded ? heldOrders.slice(0, heldCount) : [...ordersById.values()]);
  /**
   * Records of forgotten orders, reused by the next orders (`spareOrders[0 .. spareCount)`; a stack that never shrinks, so
   * taking and returning records allocates nothing): with a bound, a backtest's order records stop being allocated.
   */
  const spareOrders: OrderState[] = [];
  let spareCount = 0;
  /**
   * With a bound, forgets the finished orders older than the most recent `retainFinished`. O(orders), run every
   * `retainFinished` orders. Outside a candle's settlement every book holds working orders only (each is compacted
   * after its candle, a cancel, a liquidation or a close), so a forgotten record is referenced nowhere and is kept for reuse;
   * during a settlement (an order placed by a listener) it is left to the garbage collector.
   */
  const forgetOldFinishedOrders = () => {
    let finished = 0;
    for (let i = 0; i < heldCount; i++) if (isTerminal(heldOrders[i].status)) finished++;
    let drop = finished - retainFinished;
    let kept = 0;
    for (let i = 0; i < heldCount; i++) {
      const o = heldOrders[i];
      if (drop > 0 && isTerminal(o.status)) {
        if (o.clientTimeMs !== o.clientTimeMs) heldWholeIds--;
        if (processing === 0) spareOrders[spareCount++] = o;
        drop--;
      } else {
        heldOrders[kept++] = o;
      }
    }
    heldCount = kept;
  };
  /** A record for a new order: a forgotten one when there is any, else a new one (every field is set by `placeOrder`). */
  const orderRecord = (): OrderState =>
    spareCount > 0
      ? spareOrders[--spareCount]
      : {
          id: '',
          seq: -1,
          clientOrderId: '',
          clientStem: '',
          clientTimeMs: NaN,
          symbol: '',
          side: 'buy',
          sideSign: 1,
          type: 'market',
          status: 'new',
          amount: NaN,
          filled: NaN,
          filledNotional: NaN,
          price: NaN,
          stopPrice: NaN,
          fee: NaN,
          reduceOnly: false,
          createdAtMs: NaN,
          updatedAtMs: NaN,
          reason: null,
          triggered: false,
          pathSeenMs: NaN,
        };

  /**
   * The account's sums (slots `MONEY_*`: wallet, realised PnL, fees, funding paid) and the last fill's fee and realised
   * PnL, in a typed array: a number stored in a closure variable is boxed anew on every store (several per fill).
   */
  const money = Float64Array.of(cfg.initialBalance, 0, 0, 0, 0, 0);
  let orderSeq = 0;
  let liquidationSeq = 0;
  let processing = 0;
  let closed = false;

  function symbolIndex(symbol: string): number {
    const found = indexBySymbol.get(symbol);
    if (found !== undefined) return found;
    if (typeof symbol !== 'string' || symbol === '') throw new ValidationError('symbol', symbol, 'expected a non-empty string');
    const st: SymbolState = {
      symbol,
      clock: null,
      amountSigned: 0,
      entryPrice: 0,
      markPrice: NaN,
      unrealizedPnl: 0,
      realizedPnl: 0,
      margin: 0,
      liquidationPrice: NaN,
      feesPaid: 0,
      fundingPaid: 0,
      openedAtMs: NaN,
      openedQty: 0,
      entryNotional: 0,
      closedQty: 0,
      exitNotional: 0,
      entryFeesOpen: 0,
      fundingMoved: 0,
      pendQty: 0,
      pendEntryNotional: 0,
      pendExitNotional: 0,
      pendRealized: 0,
      pendFees: 0,
      pendFunding: 0,
      lastOpenTimeMs: -Infinity,
      lastVolume: 0,
      candleTimeMs: NaN,
      candleOpen: NaN,
      candleHigh: NaN,
      candleLow: NaN,
      candleClose: NaN,
      usedVolume: 0,
      nextFundingMs: NaN,
      fundingCursor: -1,
      funding: cfg.fundingRates.get(symbol) ?? null,
      tiers: cfg.tiers.get(symbol) ?? cfg.tiers.get('*') ?? DEFAULT_MARGIN_TIERS,
      openOrders: [],
    };
    states.push(st);
    indexBySymbol.set(symbol, states.length - 1);
    return states.length - 1;
  }

  /** The last symbol looked up and its book: a loop asks for its own symbol every candle. */
  let lastLookup: SymbolState | undefined;
  function stateOf(symbol: string): SymbolState | undefined {
    if (lastLookup !== undefined && lastLookup.symbol === symbol) return lastLookup;
    const i = indexBySymbol.get(symbol);
    const st = i === undefined ? undefined : states[i];
    if (st !== undefined) lastLookup = st;
    return st;
  }

  function snapshot(o: OrderState): Order {
    return snapshotInto(o, createOrderSnapshot());
  }

  /** Writes the port's view of `o` into `out` and returns `out`. */
  function snapshotInto(o: OrderState, out: Order): Order {
    if (out instanceof LazyIdOrderSnapshot) {
      out.nameOrder(cfg.id, o.seq, o.id);
      out.nameClient(o);
    } else {
      out.id = idOf(o);
      out.clientOrderId = clientIdOf(o);
    }
    out.symbol = o.symbol;
    out.side = o.side;
    out.type = o.type;
    out.status = o.status;
    out.amount = o.amount;
    out.filled = o.filled;
    if (out instanceof LazyIdOrderSnapshot) {
      out.copyPrices(o);
    } else {
      out.price = o.price === o.price ? o.price : null;
      out.stopPrice = o.stopPrice === o.stopPrice ? o.stopPrice : null;
    }
    // NaN while nothing is filled (0 / 0), without a choice between a number and a NaN constant: V8 was seen to box such a choice.
    out.averagePrice = o.filledNotional / o.filled;
    out.fee = o.fee;
    out.reduceOnly = o.reduceOnly;
    out.createdAtMs = o.createdAtMs;
    out.updatedAtMs = o.updatedAtMs;
    out.reason = o.reason;
    return out;
  }

  function notifyOrder(o: OrderState): void {
    if (listener?.onOrderUpdate) listener.onOrderUpdate(snapshot(o));
  }

  function finishOrder(o: OrderState, status: OrderStatus, reason: string, timeMs: number): void {
    o.updatedAtMs = timeMs;
    finishOrderAsOf(o, status, reason);
  }

  /** `finishOrder` at the time already in `o.updatedAtMs`. */
  function finishOrderAsOf(o: OrderState, status: OrderStatus, reason: string): void {
    o.status = status;
    o.reason = reason;
    notifyOrder(o);
  }

  /**
   * Free quote balance into `availableOut[0]`: spot cash, or futures available balance (cross includes unrealised PnL).
   * Written, not returned, for the order path: a number returned by a call that is not inlined is boxed.
   */
  function writeAvailable(): void {
    let used = 0;
    let upnl = 0;
    for (let i = 0; i < states.length; i++) {
      const st = states[i];
      if (st.amountSigned !== 0) {
        used += st.margin;
        upnl += st.unrealizedPnl;
      }
    }
    availableOut[0] = futures && cross ? money[MONEY_WALLET] - used + upnl : money[MONEY_WALLET] - used;
  }

  /** `writeAvailable` as a number, for the paths that build messages or snapshots. */
  function available(): number {
    writeAvailable();
    return availableOut[0];
  }

  function refreshLiquidation(st: SymbolState): void {
    if (!futures || st.amountSigned === 0) {
      st.liquidationPrice = NaN;
      return;
    }
    const size = Math.abs(st.amountSigned);
    if (!cross) {
      st.liquidationPrice = liquidationPriceOf(Math.sign(st.amountSigned), size, st.entryPrice, st.margin, 0, 0, st.tiers);
      return;
    }
    let otherMm = 0;
    let otherUpnl = 0;
    for (let i = 0; i < states.length; i++) {
      const o = states[i];
      if (o === st || o.amountSigned === 0) continue;
      otherMm += maintenanceMargin(o.tiers, Math.abs(o.amountSigned) * o.markPrice);
      otherUpnl += o.unrealizedPnl;
    }
    st.liquidationPrice = liquidationPriceOf(Math.sign(st.amountSigned), size, st.entryPrice, money[MONEY_WALLET], otherMm, otherUpnl, st.tiers);
  }

  /**
   * Reason an (already clamped) fill of `qty` at `price` may not happen, or null. Reductions are
   * always allowed; openings need the tier's leverage and enough margin (futures) or cash (spot).
   * The check (`admissionRefusal`) only computes; the message is built apart, when there is a refusal.
   */
  function admissionError(st: SymbolState, side: OrderSide, sideSign: number, reduceOnly: boolean): string | null {
    const refusal = admissionRefusal(st, sideSign, reduceOnly);
    return refusal === Refusal.None ? null : refusalMessage(refusal, st, side);
  }

  /**
   * Why the fill in `admitArgs` may not happen (a {@link Refusal}; `None` when it may), the figures its message quotes
   * in `refusalFigures`. No message here: a template literal quoting numbers in this function, which runs before
   * every fill that may open a position, made V8 box those numbers on every call, taken branch or not (measured: the
   * check cost about four times as much with its messages inline).
   */
  function admissionRefusal(st: SymbolState, sideSign: number, reduceOnly: boolean): number {
    const qty = admitArgs[0];
    const s = st.amountSigned;
    const abs = Math.abs(s);
    if (reduceOnly) return (s !== 0 && Math.sign(s) !== sideSign ? Math.min(qty, abs) : 0) > 0 ? Refusal.None : Refusal.NotReducing;
    if (futures) return futuresRefusal(st, sideSign);
    if (sideSign < 0) return qty <= abs * (1 + AMOUNT_EPSILON) ? Refusal.None : Refusal.SpotOversell;
    const cost = qty * admitArgs[1] * (1 + admitArgs[2]);
    writeAvailable();
    if (cost <= availableOut[0]) return Refusal.None;
    refusalFigures[0] = cost;
    refusalFigures[1] = availableOut[0];
    return Refusal.Balance;
  }

  /**
   * `admissionRefusal` of a futures fill that is not reduce-only: the tier's leverage and the margin. Apart, so the check
   * of a spot or reduce-only fill is small enough for V8 to inline into `fillOrder` (it was a call per fill: the
   * exchange alone working a capped spot market buy on every candle of UNITTEST-BTC 1m went 84 -> 82 ns a candle,
   * medians of in-process A/B runs).
   */
  function futuresRefusal(st: SymbolState, sideSign: number): number {
    const qty = admitArgs[0];
    const price = admitArgs[1];
    const feeRate = admitArgs[2];
    const s = st.amountSigned;
    const abs = Math.abs(s);
    const dir = Math.sign(s);
    const closeQty = s !== 0 && dir !== sideSign ? Math.min(qty, abs) : 0;
    const openQty = qty - closeQty;
    if (openQty <= qty * AMOUNT_EPSILON) return Refusal.None;
    const notional = (closeQty > 0 ? openQty : abs + openQty) * price;
    refusalFigures[0] = notional;
    const ti = findMarginTierIndex(st.tiers, notional);
    if (ti < 0) return Refusal.TierCap;
    refusalFigures[1] = ti;
    if (cfg.leverage > st.tiers[ti].maxLeverage) return Refusal.Leverage;
    writeAvailable();
    let avail = availableOut[0];
    if (closeQty > 0) {
      avail += (st.margin * closeQty) / abs + (price - st.entryPrice) * closeQty * dir - (cross ? (st.unrealizedPnl * closeQty) / abs : 0);
    }
    const required = (openQty * price) / cfg.leverage + qty * price * feeRate;
    if (required <= avail) return Refusal.None;
    refusalFigures[0] = required;
    refusalFigures[1] = avail;
    return Refusal.Margin;
  }

  /** The message of `refusal` (not `None`) for the fill in `admitArgs`, quoting `refusalFigures`. Cold. */
  function refusalMessage(refusal: number, st: SymbolState, side: OrderSide): string {
    const qty = admitArgs[0];
    const price = admitArgs[1];
    switch (refusal) {
      case Refusal.NotReducing:
        return `reduce-only ${side} of ${qty} ${st.symbol} would not reduce the position (amount ${st.amountSigned})`;
      case Refusal.SpotOversell:
        return `spot cannot sell ${qty} ${st.symbol}: holding ${Math.abs(st.amountSigned)}`;
      case Refusal.Balance:
        return `insufficient balance: buying ${qty} ${st.symbol} at ${price} costs ${refusalFigures[0]} ${quote} with fee, available ${refusalFigures[1]} ${quote}`;
      case Refusal.TierCap:
        return `notional ${refusalFigures[0]} ${quote} of ${st.symbol} exceeds the last margin tier cap ${st.tiers[st.tiers.length - 1].notionalCap} ${quote}`;
      case Refusal.Leverage: {
        const tier = st.tiers[refusalFigures[1]];
        return `leverage ${cfg.leverage}x exceeds the max ${tier.maxLeverage}x of ${st.symbol} tier ${tier.bracket} for notional ${refusalFigures[0]} ${quote}`;
      }
      default:
        return `insufficient margin: ${st.symbol} ${side} of ${qty} at ${price} needs ${refusalFigures[0]} ${quote} (initial margin + fee), available ${refusalFigures[1]} ${quote}`;
    }
  }

  /** The figures a refusal's message quotes, written by `admissionRefusal`. */
  const refusalFigures = new Float64Array(2);

  /**
   * The numbers handed to `admissionError` (amount, price, fee rate), `fillOrder` (wanted amount, price, time) and
   * `executeFill` (amount, price, time), each read at the callee's start: a number passed to a call that is not
   * inlined is boxed, one heap number each.
   */
  const admitArgs = new Float64Array(3);
  /** The clock's time, written by `writeNowMs` (a number a call returns may be boxed). */
  const nowArgs = new Float64Array(1);
  /** What `writeAvailable` reads: the free quote balance. */
  const availableOut = new Float64Array(1);
  const fillArgs = new Float64Array(3);
  const execArgs = new Float64Array(3);
  /** The mark price `payFunding` settles at. */
  const fundingArgs = new Float64Array(1);


  /**
   * Books one fill: fee, realised PnL and margin release on the reducing part, average entry and
   * margin on the opening part; emits onFill and, when the position returns to zero, onTradeClosed.
   */
  function executeFill(
    st: SymbolState,
    side: OrderSide,
    sideSign: number,
    liquidity: Liquidity,
    order: OrderState | null,
    fillId: string,
    clientOrderId: string,
    exitReason: ExitReason,
  ): void {
    const qty = execArgs[0];
    const price = execArgs[1];
    const timeMs = execArgs[2];
    const fee = qty * price * (liquidity === 'maker' ? cfg.makerFee : cfg.takerFee);
    const s = st.amountSigned;
    const abs = Math.abs(s);
    const dir = Math.sign(s);
    const closeQty = s !== 0 && dir !== sideSign ? Math.min(qty, abs) : 0;
    const openQty = qty - closeQty;
    const closeFee = closeQty > 0 ? (fee * closeQty) / qty : 0;
    money[MONEY_WALLET] -= fee;
    money[MONEY_FEES] += fee;
    money[MONEY_LAST_FEE] = fee;
    money[MONEY_LAST_REALIZED] = 0;
    let closedTrade: PaperTradeClosed | null = null;
    if (closeQty > 0) {
      const realized = (price - st.entryPrice) * closeQty * dir;
      // The closed share of the open position's entry fees and funding moves to the pending part.
      const share = closeQty === abs ? 1 : closeQty / abs;
      const movedFees = st.entryFeesOpen * share;
      const movedFunding = (st.fundingPaid - st.fundingMoved) * share;
      st.entryFeesOpen -= movedFees;
      st.fundingMoved += movedFunding;
      st.pendQty += closeQty;
      st.pendEntryNotional += closeQty * st.entryPrice;
      st.pendExitNotional += closeQty * price;
      st.pendRealized += realized;
      st.pendFees += movedFees + closeFee;
      st.pendFunding += movedFunding;
      money[MONEY_LAST_REALIZED] = realized;
      money[MONEY_WALLET] += realized;
      money[MONEY_REALIZED] += realized;
      st.realizedPnl += realized;
      st.feesPaid += closeFee;
      st.closedQty += closeQty;
      st.exitNotional += closeQty * price;
      if (closeQty === abs) {
        if (listener?.onTradeClosed) closedTrade = pendingPart(st, dir, timeMs, exitReason, order, clientOrderId);
        clearPending(st);
        st.entryFeesOpen = 0;
        st.fundingMoved = 0;
        st.amountSigned = 0;
        st.entryPrice = 0;
        st.margin = 0;
        st.realizedPnl = 0;
        st.feesPaid = 0;
        st.fundingPaid = 0;
        st.openedAtMs = NaN;
        st.openedQty = 0;
        st.entryNotional = 0;
        st.closedQty = 0;
        st.exitNotional = 0;
        st.unrealizedPnl = 0;
      } else {
        st.margin -= st.margin * share;
        st.amountSigned = s + sideSign * closeQty;
      }
    }
    if (openQty > 0) {
      const held = Math.abs(st.amountSigned);
      if (held === 0) {
        st.openedAtMs = timeMs;
        st.entryPrice = price;
      } else {
        st.entryPrice = (held * st.entryPrice + openQty * price) / (held + openQty);
      }
      st.margin += futures ? (openQty * price) / cfg.leverage : openQty * price;
      st.amountSigned += sideSign * openQty;
      st.openedQty += openQty;
      st.entryNotional += openQty * price;
      st.feesPaid += fee - closeFee;
      st.entryFeesOpen += fee - closeFee;
    }
    if (st.amountSigned !== 0) {
      const mark = st.markPrice === st.markPrice ? st.markPrice : price;
      st.unrealizedPnl = (mark - st.entryPrice) * st.amountSigned;
    }
    refreshLiquidation(st);
    if (listener?.onFill) {
      listener.onFill({ orderId: order !== null ? idOf(order) : fillId, clientOrderId: order !== null ? clientIdOf(order) : clientOrderId, symbol: st.symbol, side, amount: qty, price, fee, timeMs, liquidity });
    }
    if (closedTrade) listener!.onTradeClosed!(closedTrade);
  }

  /** The part `pendingPart` rewrites when `deps.reuseClosedTrade` is set. */
  const closedPart: ReusedClosedPart | null = deps.reuseClosedTrade ? new ReusedClosedPart() : null;

  /**
   * The reductions not yet reported, as one closed part, closed by a fill of `order` (null: a fill of no order, whose
   * client id is `clientOrderId`). Only with an onTradeClosed listener; allocates unless `deps.reuseClosedTrade`.
   */
  function pendingPart(st: SymbolState, dir: number, timeMs: number, exitReason: ExitReason, order: OrderState | null, clientOrderId: string): PaperTradeClosed {
    if (closedPart !== null) {
      const part = closedPart;
      part.symbol = st.symbol;
      part.side = dir > 0 ? 'long' : 'short';
      part.amount = st.pendQty;
      part.entryPrice = st.pendEntryNotional / st.pendQty;
      part.exitPrice = st.pendExitNotional / st.pendQty;
      part.entryTimeMs = st.openedAtMs;
      part.exitTimeMs = timeMs;
      part.realizedPnl = st.pendRealized;
      part.fees = st.pendFees;
      part.funding = st.pendFunding;
      part.exitReason = exitReason;
      if (order !== null) part.nameExitClient(order);
      else part.nameExitClientText(clientOrderId);
      return part;
    }
    return {
      symbol: st.symbol,
      side: dir > 0 ? 'long' : 'short',
      amount: st.pendQty,
      entryPrice: st.pendEntryNotional / st.pendQty,
      exitPrice: st.pendExitNotional / st.pendQty,
      entryTimeMs: st.openedAtMs,
      exitTimeMs: timeMs,
      realizedPnl: st.pendRealized,
      fees: st.pendFees,
      funding: st.pendFunding,
      exitReason,
      exitClientOrderId: order !== null ? clientIdOf(order) : clientOrderId,
    };
  }

  function clearPending(st: SymbolState): void {
    st.pendQty = st.pendEntryNotional = st.pendExitNotional = 0;
    st.pendRealized = st.pendFees = st.pendFunding = 0;
  }

  /**
   * Largest amount of `o` that may trade now: reduce-only orders and spot sells are capped at the
   * position (0 when there is nothing to reduce); an amount within 1e-9 (relative) of the position
   * it reduces snaps to it, so float dust never leaves a tiny flipped position.
   */
  function clampQty(st: SymbolState, o: OrderState): void {
    const qty = fillArgs[FILL_QTY];
    const s = st.amountSigned;
    const abs = Math.abs(s);
    const reducing = s !== 0 && Math.sign(s) !== o.sideSign;
    if (!cappedAtPosition(o)) {
      fillArgs[FILL_QTY] = reducing && Math.abs(qty - abs) <= abs * AMOUNT_EPSILON ? abs : qty;
      return;
    }
    fillArgs[FILL_QTY] = !reducing ? 0 : qty >= abs * (1 - AMOUNT_EPSILON) ? abs : qty;
  }

  /** Whether `o` only ever trades down the position (reduce-only, or a spot sell): `clampQty` caps it there. */
  function cappedAtPosition(o: OrderState): boolean {
    return o.reduceOnly || (!futures && o.sideSign < 0);
  }

  function exitReasonOf(o: OrderState): ExitReason {
    if (o.type === 'stop') return 'stop';
    return o.reduceOnly ? 'reduce' : 'signal';
  }

  /** Tries to fill up to `wanted` of `o`; cancels it with a reason when the fill is not admissible. */
  function fillOrder(st: SymbolState, o: OrderState, liquidity: Liquidity): void {
    const wanted = fillArgs[0];
    const price = fillArgs[1];
    const timeMs = fillArgs[2];
    clampQty(st, o);
    const qty = fillArgs[FILL_QTY];
    if (qty <= 0) {
      finishOrder(o, 'cancelled', `${o.reduceOnly ? 'reduce-only' : 'spot sell'} order has no ${st.symbol} position left to reduce`, timeMs);
      return;
    }
    // A reduce-only fill or a spot sell is clamped to the position above, so it reduces it: `admissionRefusal` always
    // admits it, and is not asked (the exchange alone working a capped reduce-only market exit on every candle of
    // UNITTEST-BTC 1m went 55 -> 50 ns a candle, medians of in-process A/B runs).
    if (!cappedAtPosition(o)) {
      admitArgs[0] = qty;
      admitArgs[1] = price;
      admitArgs[2] = liquidity === 'maker' ? cfg.makerFee : cfg.takerFee;
      const err = admissionError(st, o.side, o.sideSign, o.reduceOnly);
      if (err !== null) {
        finishOrder(o, 'cancelled', err, timeMs);
        return;
      }
    }
    st.usedVolume += qty;
    o.filled += qty;
    o.filledNotional += qty * price;
    o.updatedAtMs = timeMs;
    execArgs[0] = qty;
    execArgs[1] = price;
    execArgs[2] = timeMs;
    executeFill(st, o.side, o.sideSign, liquidity, o, '', '', exitReasonOf(o));
    o.fee += money[MONEY_LAST_FEE];
    const remaining = o.amount - o.filled;
    if (remaining <= o.amount * AMOUNT_EPSILON) {
      o.status = 'filled';
      notifyOrder(o);
      // A partial exit done: report what it closed while the rest of the position stays open.
      if (st.amountSigned !== 0 && st.pendQty > 0) {
        const part = listener?.onTradeClosed ? pendingPart(st, Math.sign(st.amountSigned), timeMs, exitReasonOf(o), o, '') : null;
        clearPending(st);
        if (part) listener!.onTradeClosed!(part);
      }
    } else if (qty < wanted && st.amountSigned === 0) {
      o.status = 'cancelled';
      o.reason = remainderCancelledMessage(o);
      notifyOrder(o);
    } else {
      o.status = 'partially_filled';
      notifyOrder(o);
    }
  }


  function compact(st: SymbolState): void {
    const orders = st.openOrders;
    let w = 0;
    for (let r = 0; r < orders.length; r++) {
      const o = orders[r];
      if (!isTerminal(o.status)) orders[w++] = o;
    }
    // Popped, not truncated: setting the length to 0 drops the backing store, and the next order would allocate another.
    while (orders.length > w) orders.pop();
  }

  /** Fills and triggers the symbol's open orders over the candle being settled (`st.candle*`). */
  function processOrders(st: SymbolState): void {
    const t = st.candleTimeMs;
    const open = st.candleOpen;
    const high = st.candleHigh;
    const low = st.candleLow;
    const close = st.candleClose;
    const orders = st.openOrders;
    const n = orders.length;
    const adjust = cfg.takerAdjust;
    processing++;
    try {
      // A gap already through the liquidation price liquidates at once (at that price), before anything fills at the
      // open; the orders it cancels are skipped below. NaN (none) compares false. Spot never reads the field.
      if (futures) {
        const s = st.amountSigned;
        if (s !== 0 && (s > 0 ? open <= st.liquidationPrice : open >= st.liquidationPrice)) liquidate(st, t);
      }
      for (let i = 0; i < n; i++) {
        const o = orders[i];
        if (isTerminal(o.status) || (o.type !== 'market' && !o.triggered)) continue;
        const qty = Math.min(o.amount - o.filled, cfg.maxVolumeShare * st.lastVolume - st.usedVolume);
        if (qty > 0) {
          fillArgs[0] = qty;
          fillArgs[1] = open * (1 + o.sideSign * adjust);
          fillArgs[2] = t;
          fillOrder(st, o, 'taker');
        }
      }
      // Most candles reach no resting order: one scan tells, and the path walk is skipped.
      let reached = false;
      for (let i = 0; i < n && !reached; i++) {
        const o = orders[i];
        if (isTerminal(o.status)) continue;
        if (o.type === 'stop') reached = !o.triggered && (o.sideSign > 0 ? high >= o.stopPrice : low <= o.stopPrice);
        else if (o.type === 'limit') reached = o.sideSign > 0 ? low <= o.price : high >= o.price;
      }
      if (reached) {
        // The path: a bullish candle goes to its low first, a bearish one to its high first.
        const lowFirst = close >= open;
        processLeg(st, n, lowFirst);
        processLeg(st, n, !lowFirst);
      }
    } finally {
      processing--;
    }
    compact(st);
  }

  /**
   * Fills the resting stops and limits on one side of the open (`lowSide`: sell stops and buy limits;
   * else buy stops and sell limits) that the candle reached, nearest to the open first (a gap is
   * nearest). O(n²) in the symbol's open orders (a handful), allocation-free. Prices from `st.candle*` (none crosses the call).
   */
  function processLeg(st: SymbolState, n: number, lowSide: boolean): void {
    const t = st.candleTimeMs;
    const open = st.candleOpen;
    const high = st.candleHigh;
    const low = st.candleLow;
    const orders = st.openOrders;
    const adjust = cfg.takerAdjust;
    for (;;) {
      let best = -1;
      let bestDistance = Infinity;
      for (let i = 0; i < n; i++) {
        const o = orders[i];
        if (isTerminal(o.status) || o.pathSeenMs === t) continue;
        let level: number;
        if (o.type === 'stop') {
          if (o.triggered || (o.sideSign < 0) !== lowSide) continue;
          level = o.stopPrice as number;
        } else if (o.type === 'limit') {
          if ((o.sideSign > 0) !== lowSide) continue;
          level = o.price as number;
        } else continue;
        if (lowSide ? low > level : high < level) continue;
        const distance = lowSide ? open - level : level - open;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = i;
        }
      }
      // On the leg against the position the liquidation price is a level of the path too: reached before the nearest
      // order (strictly nearer to the open; a tie fills the order), the position is liquidated there and every order
      // cancelled. Read again on every step: a fill moves it. NaN (none) compares false. Spot never reads the field
      // (this walk runs on few candles, maybe unoptimised, where reading a double field boxes it).
      if (futures) {
        const s = st.amountSigned;
        if (s !== 0 && s > 0 === lowSide) {
          const lp = st.liquidationPrice;
          if (lowSide ? low <= lp && open - lp < bestDistance : high >= lp && lp - open < bestDistance) {
            liquidate(st, t);
            return;
          }
        }
      }
      if (best < 0) return;
      const o = orders[best];
      o.pathSeenMs = t;
      const qty = Math.min(o.amount - o.filled, cfg.maxVolumeShare * st.lastVolume - st.usedVolume);
      if (o.type === 'stop') {
        o.triggered = true;
        const stop = o.stopPrice as number;
        const base = o.sideSign > 0 ? Math.max(stop, open) : Math.min(stop, open);
        if (qty > 0) {
          fillArgs[0] = qty;
          fillArgs[1] = base * (1 + o.sideSign * adjust);
          fillArgs[2] = t;
          fillOrder(st, o, 'taker');
        }
      } else if (qty > 0) {
        fillArgs[0] = qty;
        fillArgs[1] = o.price;
        fillArgs[2] = t;
        fillOrder(st, o, 'maker');
      }
    }
  }

  /** Settles the funding intervals that ended by the open of the candle being settled, at its open price. */
  function settleFunding(st: SymbolState): void {
    const t = st.candleTimeMs;
    const open = st.candleOpen;
    const interval = cfg.fundingIntervalMs;
    if (st.nextFundingMs !== st.nextFundingMs) st.nextFundingMs = Math.ceil(t / interval) * interval;
    if (st.nextFundingMs > t) return;
    if (st.amountSigned === 0) {
      st.nextFundingMs = (Math.floor(t / interval) + 1) * interval;
      return;
    }
    while (st.nextFundingMs <= t && st.amountSigned !== 0) {
      fundingArgs[0] = open;
      payFunding(st);
    }
    if (st.nextFundingMs <= t) st.nextFundingMs = (Math.floor(t / interval) + 1) * interval;
    // Funding moved the wallet (isolated: the margin): the candle's path sees the liquidation price it leaves.
    refreshLiquidation(st);
  }

  /**
   * The settlements due strictly before `now[0]`, a clock time between candles (later than the last candle's close: live
   * and paper sessions), that the next candle would settle: settled now, before an order placed or a position closed
   * then, on the position held (unchanged since: any fill between candles comes here first), at the last mark (the last
   * candle's close). So a position opened after a settlement does not pay it, and one closed after it does. Candle fills
   * need none of this: they are at the candle's open time, by which `settleFunding` settled. An order at exactly the
   * settlement time keeps the candle's rule (the next candle settles it on the position it finds).
   */
  function settleFundingBetweenCandles(st: SymbolState, now: Float64Array): void {
    const t = now[0];
    while (st.nextFundingMs < t && st.amountSigned !== 0) {
      fundingArgs[0] = st.markPrice;
      payFunding(st);
    }
    if (st.nextFundingMs < t) st.nextFundingMs = Math.ceil(t / cfg.fundingIntervalMs) * cfg.fundingIntervalMs;
  }

  /** Books the settlement at `st.nextFundingMs` on the position held now, at mark `fundingArgs[0]`, and moves on to the next. */
  function payFunding(st: SymbolState): void {
    const at = st.nextFundingMs;
    const mark = fundingArgs[0];
    let rate = cfg.fundingRatePerInterval;
    if (st.funding !== null) {
      const idx = fundingRateIndexAt(st.funding, at, st.fundingCursor);
      if (idx >= 0) {
        st.fundingCursor = idx;
        rate = st.funding.rates[idx];
      }
    }
    const s = st.amountSigned;
    const amount = fundingPayment(Math.sign(s), Math.abs(s), mark, rate);
    money[MONEY_WALLET] += amount;
    money[MONEY_FUNDING] -= amount;
    st.fundingPaid -= amount;
    if (!cross) st.margin += amount;
    if (listener?.onFunding) listener.onFunding({ symbol: st.symbol, timeMs: at, rate, amount, markPrice: mark, positionAmount: s });
    st.nextFundingMs = at + cfg.fundingIntervalMs;
  }

  function liquidate(st: SymbolState, t: number): void {
    const s = st.amountSigned;
    const price = st.liquidationPrice;
    const qty = Math.abs(s);
    const side: OrderSide = s > 0 ? 'sell' : 'buy';
    const id = `liquidation-${++liquidationSeq}`;
    execArgs[0] = qty;
    execArgs[1] = price;
    execArgs[2] = t;
    executeFill(st, side, -Math.sign(s), 'taker', null, id, id, 'liquidation');
    if (listener?.onLiquidation) {
      listener.onLiquidation({ symbol: st.symbol, side: s > 0 ? 'long' : 'short', amount: qty, price, timeMs: t, realizedPnl: money[MONEY_LAST_REALIZED], fee: money[MONEY_LAST_FEE] });
    }
    const orders = st.openOrders;
    for (let i = 0; i < orders.length; i++) {
      if (!isTerminal(orders[i].status)) finishOrder(orders[i], 'cancelled', `cancelled by the liquidation of ${st.symbol} at ${price}`, t);
    }
    if (processing === 0) compact(st);
  }

  /** One-row candle columns for `onCandleAt`, whose prices arrive as arguments. */
  const argumentCandle: CandleColumns = { length: 1, openTimeMs: new Float64Array(1), open: new Float64Array(1), high: new Float64Array(1), low: new Float64Array(1), close: new Float64Array(1), volume: new Float64Array(1) };

  function onCandleAt(index: number, openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void {
    argumentCandle.openTimeMs[0] = openTimeMs;
    argumentCandle.open[0] = open;
    argumentCandle.high[0] = high;
    argumentCandle.low[0] = low;
    argumentCandle.close[0] = close;
    argumentCandle.volume[0] = volume;
    onCandleRow(index, argumentCandle, 0);
  }

  function onCandleRow(index: number, candles: CandleColumns, row: number): void {
    const st = states[index];
    if (st === undefined) throw new ValidationError('symbolIndex', index, 'unknown symbol index; call symbolIndex(symbol) first');
    const openTimeMs = candles.openTimeMs[row];
    const open = candles.open[row];
    const high = candles.high[row];
    const low = candles.low[row];
    const close = candles.close[row];
    const volume = candles.volume[row];
    // `firstUnsettledRow`'s rule, on the figures read once (a check in a call of its own read the six columns again).
    if (
      !(
        openTimeMs > st.lastOpenTimeMs &&
        openTimeMs < Infinity &&
        low > 0 &&
        low <= open &&
        low <= close &&
        high >= open &&
        high >= close &&
        volume >= 0 &&
        high < Infinity &&
        volume < Infinity
      )
    ) {
      failCandleRow(st, candles, row);
    }
    st.usedVolume = 0;
    st.lastVolume = volume;
    st.candleTimeMs = openTimeMs;
    st.candleOpen = open;
    st.candleHigh = high;
    st.candleLow = low;
    st.candleClose = close;
    if (futures) settleFunding(st);
    if (st.openOrders.length > 0) processOrders(st);
    st.markPrice = close;
    st.lastOpenTimeMs = openTimeMs;
    if (st.amountSigned !== 0) {
      st.unrealizedPnl = (close - st.entryPrice) * st.amountSigned;
      if (futures) {
        refreshLiquidation(st);
        const lp = st.liquidationPrice;
        if (lp === lp && (st.amountSigned > 0 ? low <= lp : high >= lp)) liquidate(st, openTimeMs);
      }
    }
  }

  function isIdle(index: number): boolean {
    const st = states[index];
    return st !== undefined && st.amountSigned === 0 && st.openOrders.length === 0;
  }

  function onIdleRows(index: number, candles: CandleColumns, from: number, to: number): void {
    if (!isIdle(index)) throw new RangeError(`symbol index ${index} holds a position or an order: settle its candles one by one`);
    const st = states[index];
    let row = firstUnsettledRow(candles, from, to, st);
    while (row < to) {
      // One row wrong: the rows before it are settled and the row goes through onCandleRow, which throws its error.
      if (row > from) settleIdle(st, candles, from, row);
      onCandleRow(index, candles, row);
      row = firstUnsettledRow(candles, row + 1, to, st);
    }
    settleIdle(st, candles, from, to);
  }

  /** The state an idle symbol is left in by rows `from..to-1` (checked, at least one): funding times moved on, the last row's candle. */
  function settleIdle(st: SymbolState, candles: CandleColumns, from: number, to: number): void {
    if (futures) {
      for (let row = from; row < to; row++) {
        st.candleTimeMs = candles.openTimeMs[row];
        st.candleOpen = candles.open[row];
        settleFunding(st);
      }
    }
    const last = to - 1;
    st.usedVolume = 0;
    st.lastVolume = candles.volume[last];
    st.candleTimeMs = candles.openTimeMs[last];
    st.candleOpen = candles.open[last];
    st.candleHigh = candles.high[last];
    st.candleLow = candles.low[last];
    st.candleClose = candles.close[last];
    st.markPrice = candles.close[last];
    st.lastOpenTimeMs = candles.openTimeMs[last];
  }

  function closePositionAtLast(index: number, clientOrderId: string): void {
    ensureOpen();
    const st = states[index];
    if (st === undefined) throw new ValidationError('symbolIndex', index, 'unknown symbol index; call symbolIndex(symbol) first');
    const now = (st.clock ?? clock).nowMs();
    if (futures && now > st.nextFundingMs) {
      nowArgs[0] = now;
      settleFundingBetweenCandles(st, nowArgs);
    }
    for (const o of st.openOrders) if (!isTerminal(o.status)) finishOrder(o, 'cancelled', `cancelled by the close of ${st.symbol} at the end of the run`, now);
    compact(st);
    const s = st.amountSigned;
    if (s === 0) return;
    const sideSign = s > 0 ? -1 : 1;
    const price = st.markPrice * (1 + sideSign * cfg.takerAdjust);
    execArgs[0] = Math.abs(s);
    execArgs[1] = price;
    execArgs[2] = now;
    executeFill(st, sideSign > 0 ? 'buy' : 'sell', sideSign, 'taker', null, `close-${clientOrderId}`, clientOrderId, 'reduce');
  }

  function onCandle(symbol: string, openTimeMs: number, open: number, high: number, low: number, close: number, volume: number): void {
    let i = indexBySymbol.get(symbol);
    if (i === undefined) i = symbolIndex(symbol);
    onCandleAt(i, openTimeMs, open, high, low, close, volume);
  }

  function validateRequest(r: OrderRequest): void {
    if (!r || typeof r !== 'object') throw new ValidationError('order', r, 'expected an OrderRequest');
    if (typeof r.clientOrderId !== 'string' || r.clientOrderId === '') throw new ValidationError('clientOrderId', r.clientOrderId, 'expected a non-empty string');
    if (typeof r.symbol !== 'string' || r.symbol === '') throw new ValidationError('symbol', r.symbol, 'expected a non-empty string');
    if (r.side !== 'buy' && r.side !== 'sell') throw new ValidationError('side', r.side, 'expected "buy" or "sell"');
    if (r.type !== 'market' && r.type !== 'limit' && r.type !== 'stop') throw new ValidationError('type', r.type, 'expected "market", "limit" or "stop"');
    // Tested here, not by a helper: a closure made and a number passed per order would allocate (a backtest's order path).
    // A finite number > 0: NaN fails `> 0`, Infinity fails `< Infinity`.
    const amount = r.amount;
    if (!(typeof amount === 'number' && amount > 0 && amount < Infinity)) throw new ValidationError('amount', r.amount, 'expected a finite number > 0');
    const price = r.price;
    if (r.type === 'limit' && !(typeof price === 'number' && price > 0 && price < Infinity)) throw new ValidationError('price', r.price, 'a limit order needs a finite price > 0');
    const stopPrice = r.stopPrice;
    if (r.type === 'stop' && !(typeof stopPrice === 'number' && stopPrice > 0 && stopPrice < Infinity)) {
      throw new ValidationError('stopPrice', r.stopPrice, 'a stop order needs a finite stopPrice > 0');
    }
  }

  function ensureOpen(): void {
    if (closed) throw new ExchangeError(FailureClass.NonRetryable, `paper exchange "${cfg.id}" is closed`);
  }

  /** Places `r` (see `createOrder`) and returns its state; the order logic of `createOrder` and `placeOrderSync`. */
  function placeOrder(r: OrderRequest): OrderState {
    ensureOpen();
    validateRequest(r);
    // A client id given in parts (a loop's synchronous path) is kept in parts: built only if something reads it.
    const partTimeMs = (r as Partial<StemmedOrderRequest>).clientIdTimeMs;
    const clientTimeMs = typeof partTimeMs === 'number' ? partTimeMs : NaN;
    const existing = findByClientId(r);
    if (existing) return existing;
    const st = states[symbolIndex(r.symbol)];
    writeNowMs(st.clock ?? clock, nowArgs, 0);
    const now = nowArgs[0];
    // Between candles after a settlement the next candle would book: the position held at it pays it before this order.
    if (futures && now > st.nextFundingMs) settleFundingBetweenCandles(st, nowArgs);
    if (heldCount >= 2 * retainFinished) forgetOldFinishedOrders();
    const o = orderRecord();
    o.id = '';
    o.seq = ++orderSeq;
    const whole = clientTimeMs !== clientTimeMs;
    o.clientOrderId = whole ? r.clientOrderId : '';
    o.clientStem = r.clientOrderId;
    o.clientTimeMs = clientTimeMs;
    o.symbol = r.symbol;
    o.side = r.side;
    o.sideSign = r.side === 'buy' ? 1 : -1;
    o.type = r.type;
    o.status = 'new';
    o.amount = r.amount;
    o.filled = 0;
    o.filledNotional = 0;
    o.price = r.type === 'limit' ? (r.price as number) : NaN;
    o.stopPrice = r.type === 'stop' ? (r.stopPrice as number) : NaN;
    o.fee = 0;
    o.reduceOnly = r.reduceOnly === true;
    o.createdAtMs = now;
    o.updatedAtMs = now;
    o.reason = null;
    o.triggered = false;
    o.pathSeenMs = -Infinity;
    holdOrder(o);
    const last = st.markPrice;
    let reason: string | null = null;
    let refPrice: number;
    let feeRate = cfg.takerFee;
    if (o.type === 'market') {
      refPrice = last * (1 + o.sideSign * cfg.takerAdjust);
      if (last !== last) reason = `no ${o.symbol} price yet: a market order needs a processed candle`;
    } else if (o.type === 'limit') {
      refPrice = o.price as number;
      feeRate = cfg.makerFee;
    } else {
      refPrice = o.stopPrice * (1 + o.sideSign * cfg.takerAdjust);
    }
    if (reason === null) {
      const qty = o.reduceOnly ? Math.min(o.amount, Math.abs(st.amountSigned)) : o.amount;
      admitArgs[0] = qty > 0 ? qty : o.amount;
      admitArgs[1] = refPrice;
      admitArgs[2] = feeRate;
      reason = admissionError(st, o.side, o.sideSign, o.reduceOnly);
    }
    if (reason !== null) {
      finishOrder(o, 'rejected', reason, now);
      return o;
    }
    if (o.type === 'market') {
      const qty = Math.min(o.amount, cfg.maxVolumeShare * st.lastVolume - st.usedVolume);
      if (qty > 0) {
        fillArgs[0] = qty;
        fillArgs[1] = refPrice;
        fillArgs[2] = now;
        fillOrder(st, o, 'taker');
      }
      else notifyOrder(o);
    } else {
      notifyOrder(o);
    }
    if (!isTerminal(o.status)) st.openOrders.push(o);
    return o;
  }

  /** Cancels `orderId` (see `cancelOrder`) and returns its state; the logic of `cancelOrder` and `cancelOrderSync`. */
  function cancel(orderId: string, symbol: string): OrderState {
    ensureOpen();
    return cancelFound(findOrder(orderId), orderId, symbol);
  }

  /** `cancel` of the order a snapshot written by `placeOrderSync` names: by its number when it has one (no id built). */
  function cancelPlaced(placed: Order, symbol: string): OrderState {
    ensureOpen();
    const seq = placed instanceof LazyIdOrderSnapshot ? placed.orderNumber() : -1;
    return seq >= 0 ? cancelFound(findOrderNumber(seq), '', symbol, seq) : cancelFound(findOrder(placed.id), placed.id, symbol);
  }

  /** Cancels `o`, the order of id `orderId` (or, when '', of number `seq`) found for a cancel of `symbol`: see `cancel`. */
  function cancelFound(o: OrderState | undefined, orderId: string, symbol: string, seq = -1): OrderState {
    if (!o || o.symbol !== symbol) {
      throw new ExchangeError(FailureClass.NonRetryable, `order "${orderId || `${cfg.id}-${seq}`}" of "${symbol}" is unknown to paper exchange "${cfg.id}"`);
    }
    if (isTerminal(o.status)) return o;
    const state = stateOf(symbol) as SymbolState;
    // The time stored here, not passed: a number passed to a call that is not inlined is boxed (a stop cancelled per exit).
    writeNowMs(state.clock ?? clock, nowArgs, 0);
    o.updatedAtMs = nowArgs[0];
    finishOrderAsOf(o, 'cancelled', 'cancelled by request');
    if (processing === 0) compact(state);
    return o;
  }

  function unrealizedTotal(): number {
    let u = 0;
    for (let i = 0; i < states.length; i++) if (states[i].amountSigned !== 0) u += states[i].unrealizedPnl;
    return u;
  }

  function equity(): number {
    return money[MONEY_WALLET] + unrealizedTotal();
  }

  function writeEquity(out: Float64Array, index: number): void {
    out[index] = money[MONEY_WALLET] + unrealizedTotal();
  }

  function positionSnapshot(st: SymbolState): Position {
    refreshLiquidation(st);
    return {
      symbol: st.symbol,
      side: st.amountSigned > 0 ? 'long' : 'short',
      amount: Math.abs(st.amountSigned),
      entryPrice: st.entryPrice,
      markPrice: st.markPrice,
      unrealizedPnl: st.unrealizedPnl,
      realizedPnl: st.realizedPnl,
      leverage: futures ? cfg.leverage : 1,
      marginMode: cfg.marginMode,
      margin: st.margin,
      liquidationPrice: st.liquidationPrice,
      feesPaid: st.feesPaid,
      fundingPaid: st.fundingPaid,
      openedAtMs: st.openedAtMs,
    };
  }

  function exportState(): PaperExchangeState {
    const open = new Set<string>();
    for (const st of states) for (const o of st.openOrders) if (!isTerminal(o.status)) open.add(idOf(o));
    const held = allHeldOrders();
    const finished = held.filter((o) => !open.has(idOf(o)));
    const keep = new Set(finished.slice(Math.max(0, finished.length - PAPER_STATE_TERMINAL_ORDERS)));
    const orders: PaperOrderState[] = [];
    for (const o of held) {
      if (!open.has(idOf(o)) && !keep.has(o)) continue;
      const { sideSign: _sideSign, pathSeenMs: _pathSeenMs, seq: _seq, clientStem: _clientStem, clientTimeMs: _clientTimeMs, ...rest } = o;
      orders.push({ ...rest, id: idOf(o), clientOrderId: clientIdOf(o), price: numberOrNull(o.price), stopPrice: numberOrNull(o.stopPrice) });
    }
    return {
      version: 1,
      marketType: cfg.marketType,
      quoteCurrency: quote,
      wallet: money[MONEY_WALLET],
      realizedTotal: money[MONEY_REALIZED],
      feesTotal: money[MONEY_FEES],
      fundingTotal: money[MONEY_FUNDING],
      orderSeq,
      liquidationSeq,
      symbols: states.map((st) => ({
        symbol: st.symbol,
        amountSigned: st.amountSigned,
        entryPrice: st.entryPrice,
        markPrice: toJsonNumber(st.markPrice),
        unrealizedPnl: st.unrealizedPnl,
        realizedPnl: st.realizedPnl,
        margin: st.margin,
        liquidationPrice: toJsonNumber(st.liquidationPrice),
        feesPaid: st.feesPaid,
        fundingPaid: st.fundingPaid,
        openedAtMs: toJsonNumber(st.openedAtMs),
        openedQty: st.openedQty,
        entryNotional: st.entryNotional,
        closedQty: st.closedQty,
        exitNotional: st.exitNotional,
        entryFeesOpen: st.entryFeesOpen,
        fundingMoved: st.fundingMoved,
        pendQty: st.pendQty,
        pendEntryNotional: st.pendEntryNotional,
        pendExitNotional: st.pendExitNotional,
        pendRealized: st.pendRealized,
        pendFees: st.pendFees,
        pendFunding: st.pendFunding,
        lastOpenTimeMs: toJsonNumber(st.lastOpenTimeMs),
        lastVolume: st.lastVolume,
        usedVolume: st.usedVolume,
        nextFundingMs: toJsonNumber(st.nextFundingMs),
        fundingCursor: st.fundingCursor,
        openOrderIds: st.openOrders.filter((o) => !isTerminal(o.status)).map(idOf),
      })),
      orders,
    };
  }

  function restoreState(saved: PaperExchangeState): void {
    if (heldOrderCount() > 0 || states.some((st) => st.lastOpenTimeMs !== -Infinity)) {
      throw new ValidationError('state', 'restore', 'a paper account state can only be restored into a fresh exchange');
    }
    if (!saved || typeof saved !== 'object' || saved.version !== 1) throw new ValidationError('state.version', saved?.version, 'expected a stored paper account state of version 1');
    if (saved.marketType !== cfg.marketType) throw new ValidationError('state.marketType', saved.marketType, `the account trades ${cfg.marketType}`);
    if (saved.quoteCurrency !== quote) throw new ValidationError('state.quoteCurrency', saved.quoteCurrency, `the account settles in ${quote}`);
    const num = (field: string, n: unknown) => {
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValidationError(field, n, 'expected a finite number in the stored paper account state');
      return n;
    };
    const restoredOrders = new Map<string, OrderState>();
    for (const [i, o] of saved.orders.entries()) {
      if (typeof o.id !== 'string' || typeof o.clientOrderId !== 'string' || typeof o.symbol !== 'string') throw new ValidationError(`state.orders.${i}`, o, 'expected an order with id, clientOrderId and symbol');
      restoredOrders.set(o.id, { ...o, price: o.price ?? NaN, stopPrice: o.stopPrice ?? NaN, clientStem: o.clientOrderId, clientTimeMs: NaN, seq: seqOfId(o.id), amount: num(`state.orders.${i}.amount`, o.amount), filled: num(`state.orders.${i}.filled`, o.filled), sideSign: o.side === 'buy' ? 1 : -1, pathSeenMs: -Infinity });
    }
    const restoredStates: { st: SymbolState; openIds: string[] }[] = [];
    for (const [i, s] of saved.symbols.entries()) {
      const at = `state.symbols.${i}`;
      const st = states[symbolIndex(s.symbol)];
      st.amountSigned = num(`${at}.amountSigned`, s.amountSigned);
      st.entryPrice = num(`${at}.entryPrice`, s.entryPrice);
      st.markPrice = fromJsonNumber(`${at}.markPrice`, s.markPrice);
      st.unrealizedPnl = num(`${at}.unrealizedPnl`, s.unrealizedPnl);
      st.realizedPnl = num(`${at}.realizedPnl`, s.realizedPnl);
      st.margin = num(`${at}.margin`, s.margin);
      st.liquidationPrice = fromJsonNumber(`${at}.liquidationPrice`, s.liquidationPrice);
      st.feesPaid = num(`${at}.feesPaid`, s.feesPaid);
      st.fundingPaid = num(`${at}.fundingPaid`, s.fundingPaid);
      st.openedAtMs = fromJsonNumber(`${at}.openedAtMs`, s.openedAtMs);
      st.openedQty = num(`${at}.openedQty`, s.openedQty);
      st.entryNotional = num(`${at}.entryNotional`, s.entryNotional);
      st.closedQty = num(`${at}.closedQty`, s.closedQty);
      st.exitNotional = num(`${at}.exitNotional`, s.exitNotional);
      // Older states (before partial exits) hold no split: the open position's fees are all entry fees.
      st.entryFeesOpen = num(`${at}.entryFeesOpen`, s.entryFeesOpen ?? st.feesPaid);
      st.fundingMoved = num(`${at}.fundingMoved`, s.fundingMoved ?? 0);
      st.pendQty = num(`${at}.pendQty`, s.pendQty ?? 0);
      st.pendEntryNotional = num(`${at}.pendEntryNotional`, s.pendEntryNotional ?? 0);
      st.pendExitNotional = num(`${at}.pendExitNotional`, s.pendExitNotional ?? 0);
      st.pendRealized = num(`${at}.pendRealized`, s.pendRealized ?? 0);
      st.pendFees = num(`${at}.pendFees`, s.pendFees ?? 0);
      st.pendFunding = num(`${at}.pendFunding`, s.pendFunding ?? 0);
      st.lastOpenTimeMs = fromJsonNumber(`${at}.lastOpenTimeMs`, s.lastOpenTimeMs);
      st.lastVolume = num(`${at}.lastVolume`, s.lastVolume);
      st.usedVolume = num(`${at}.usedVolume`, s.usedVolume);
      st.nextFundingMs = fromJsonNumber(`${at}.nextFundingMs`, s.nextFundingMs);
      st.fundingCursor = num(`${at}.fundingCursor`, s.fundingCursor);
      restoredStates.push({ st, openIds: s.openOrderIds });
    }
    for (const { st, openIds } of restoredStates) {
      st.openOrders = openIds.map((id) => {
        const o = restoredOrders.get(id);
        if (!o) throw new ValidationError(`state.symbols.${st.symbol}.openOrderIds`, id, 'names an order the stored state does not hold');
        return o;
      });
    }
    for (const o of restoredOrders.values()) holdOrder(o);
    money[MONEY_WALLET] = num('state.wallet', saved.wallet);
    money[MONEY_REALIZED] = num('state.realizedTotal', saved.realizedTotal);
    money[MONEY_FEES] = num('state.feesTotal', saved.feesTotal);
    money[MONEY_FUNDING] = num('state.fundingTotal', saved.fundingTotal);
    orderSeq = num('state.orderSeq', saved.orderSeq);
    liquidationSeq = num('state.liquidationSeq', saved.liquidationSeq);
  }

  return {
    id: cfg.id,
    symbolIndex,
    onCandle,
    onCandleAt,
    onCandleRow,
    isIdle,
    onIdleRows,
    closePositionAtLast,
    useClockFor(symbol: string, symbolClock: Clock | null): void {
      if (symbolClock !== null && typeof symbolClock?.nowMs !== 'function') throw new ValidationError('symbolClock', symbolClock, 'expected a Clock or null');
      states[symbolIndex(symbol)].clock = symbolClock;
    },
    equity,
    writeEquity,
    writeAccountFigures(symbol: string, out: Float64Array): void {
      const st = stateOf(symbol);
      out[0] = st === undefined ? 0 : st.amountSigned;
      // equity() and grossNotional() written out: a number returned by a call that is not inlined is boxed.
      let unrealized = 0;
      let gross = 0;
      for (let i = 0; i < states.length; i++) {
        if (states[i].amountSigned === 0) continue;
        unrealized += states[i].unrealizedPnl;
        gross += Math.abs(states[i].amountSigned) * states[i].markPrice;
      }
      out[1] = money[MONEY_WALLET] + unrealized;
      out[2] = gross;
    },
    walletBalance: () => money[MONEY_WALLET],
    positionAmountSigned(symbol: string): number {
      const st = stateOf(symbol);
      return st === undefined ? 0 : st.amountSigned;
    },
    positionSide(symbol: string): number {
      const st = stateOf(symbol);
      return st === undefined || st.amountSigned === 0 ? 0 : st.amountSigned > 0 ? 1 : -1;
    },
    positionOf(symbol: string): PositionView | null {
      const st = stateOf(symbol);
      return st === undefined || st.amountSigned === 0 ? null : st;
    },
    lastPrice(symbol: string): number {
      const st = stateOf(symbol);
      return st === undefined ? NaN : st.markPrice;
    },
    settledThrough(symbol: string): number {
      return stateOf(symbol)?.lastOpenTimeMs ?? -Infinity;
    },
    openPositionSymbols(): string[] {
      const out: string[] = [];
      for (let i = 0; i < states.length; i++) if (states[i].amountSigned !== 0) out.push(states[i].symbol);
      return out;
    },
    openPositionCount(): number {
      let n = 0;
      for (let i = 0; i < states.length; i++) if (states[i].amountSigned !== 0) n++;
      return n;
    },
    grossNotional(): number {
      let g = 0;
      for (let i = 0; i < states.length; i++) if (states[i].amountSigned !== 0) g += Math.abs(states[i].amountSigned) * states[i].markPrice;
      return g;
    },
    totals(): PaperAccountTotals {
      const unrealizedPnl = unrealizedTotal();
      return {
        initialBalance: cfg.initialBalance,
        realizedPnl: money[MONEY_REALIZED],
        unrealizedPnl,
        fees: money[MONEY_FEES],
        funding: money[MONEY_FUNDING],
        walletBalance: money[MONEY_WALLET],
        equity: money[MONEY_WALLET] + unrealizedPnl,
      };
    },
    openOrders(symbol?: string): Order[] {
      const out: Order[] = [];
      for (const st of states) {
        if (symbol !== undefined && st.symbol !== symbol) continue;
        for (const o of st.openOrders) if (!isTerminal(o.status)) out.push(snapshot(o));
      }
      return out;
    },
    async fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]> {
      if (!candleSource) throw new ExchangeError(FailureClass.NonRetryable, 'paper exchange has no market data source');
      return candleSource.fetchOhlcv(symbol, timeframe, sinceMs, limit);
    },
    async createOrder(request: OrderRequest): Promise<Order> {
      return snapshot(placeOrder(request));
    },
    async cancelOrder(orderId: string, symbol: string): Promise<Order> {
      return snapshot(cancel(orderId, symbol));
    },
    placeOrderSync: (request: OrderRequest, out: Order): Order => snapshotInto(placeOrder(request), out),
    orderSnapshot: () => new LazyIdOrderSnapshot(),
    cancelOrderSync: (orderId: string, symbol: string, out: Order): Order => snapshotInto(cancel(orderId, symbol), out),
    cancelPlacedSync: (placed: Order, symbol: string, out: Order): Order => snapshotInto(cancelPlaced(placed, symbol), out),
    async fetchOrder(orderId: string, symbol: string): Promise<Order> {
      ensureOpen();
      const o = findOrder(orderId);
      if (!o || o.symbol !== symbol) {
        throw new ExchangeError(FailureClass.NonRetryable, `order "${orderId}" of "${symbol}" is unknown to paper exchange "${cfg.id}"`);
      }
      return snapshot(o);
    },
    async fetchBalance(): Promise<Balance> {
      const free = available();
      const eq = equity();
      return { currency: quote, total: money[MONEY_WALLET], free, used: money[MONEY_WALLET] - free + (futures && cross ? unrealizedTotal() : 0), equity: eq };
    },
    async fetchPosition(symbol: string): Promise<Position | null> {
      const st = stateOf(symbol);
      return st === undefined || st.amountSigned === 0 ? null : positionSnapshot(st);
    },
    async fetchOpenPositions(): Promise<Position[]> {
      const out: Position[] = [];
      for (let i = 0; i < states.length; i++) if (states[i].amountSigned !== 0) out.push(positionSnapshot(states[i]));
      return out;
    },
    async close(): Promise<void> {
      closed = true;
    },
    exportState,
    restoreState,
  };
}
