/**
 * The `Exchange` port: the one interface every venue implements (the PaperExchange
 * simulation and the ccxt-backed real venues). Strategies never call it; only the
 * trading loop does, after risk has approved an order.
 */
import type { Candle, MarginMode, OrderSide, OrderStatus, OrderType, Timeframe } from '../core/types';

/** An order as submitted. `clientOrderId` makes a repeated submission a no-op. */
export interface OrderRequest {
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** Base-currency amount, > 0. */
  amount: number;
  /** Limit price (limit orders). */
  price?: number;
  /** Trigger price (stop orders: a market order once the trigger trades). */
  stopPrice?: number;
  /** Only reduces an existing position (exits, stops). */
  reduceOnly?: boolean;
}

/**
 * An order request whose client order id is given in two parts and built only when something reads it: the id is
 * `clientOrderId` (the stem) followed by `clientIdTimeMs` as text, `${stem}${timeMs}` (see {@link clientIdText}). What
 * a trading loop hands a simulated venue's synchronous order entry (PaperExchange `placeOrderSync`): its client ids are
 * "<prefix>-<kind>-<candle time>", and a backtest with its journal off reads none, so none is built. `clientIdTimeMs`
 * NaN: `clientOrderId` is the whole id.
 */
export interface StemmedOrderRequest extends OrderRequest {
  clientIdTimeMs: number;
}

/** The client order id of stem `stem` and time `timeMs` (see {@link StemmedOrderRequest}); `stem` itself when `timeMs` is NaN. Allocates the text. */
export function clientIdText(stem: string, timeMs: number): string {
  return timeMs === timeMs ? `${stem}${timeMs}` : stem;
}

/**
 * Whether `text` is the client order id of stem `stem` and time `timeMs` (`clientIdText(stem, timeMs) === text`), without
 * building that id when `timeMs` is a safe integer (a candle time): allocation-free.
 */
export function clientIdIs(text: string, stem: string, timeMs: number): boolean {
  if (timeMs !== timeMs) return text === stem;
  if (!Number.isSafeInteger(timeMs)) return text === `${stem}${timeMs}`;
  const p = stem.length;
  const n = text.length;
  if (n <= p || !text.startsWith(stem)) return false;
  let i = p;
  const negative = text.charCodeAt(i) === 45;
  if (negative !== timeMs < 0) return false;
  if (negative) i++;
  // The text of an integer: digits without a leading zero ("0" alone for 0), at most 16 of them.
  if (i === n || n - i > 16 || (text.charCodeAt(i) === 48 && n - i > 1)) return false;
  let value = 0;
  for (; i < n; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    value = value * 10 + digit;
  }
  return value === Math.abs(timeMs);
}

/** An order as the venue reports it. */
export interface Order {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: OrderStatus;
  amount: number;
  filled: number;
  price: number | null;
  stopPrice: number | null;
  /** Volume-weighted fill price; NaN while nothing is filled. */
  averagePrice: number;
  /** Fees paid on this order, quote currency. */
  fee: number;
  reduceOnly: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  /** Why it was rejected or cancelled. */
  reason: string | null;
}

/** A blank order for a synchronous venue to write into (a simulated venue's `placeOrderSync`, `cancelOrderSync`), reused by its caller. */
export function createOrderSnapshot(): Order {
  return {
    id: '',
    clientOrderId: '',
    symbol: '',
    side: 'buy',
    type: 'market',
    status: 'new',
    amount: 0,
    filled: 0,
    price: null,
    stopPrice: null,
    averagePrice: NaN,
    fee: 0,
    reduceOnly: false,
    createdAtMs: 0,
    updatedAtMs: 0,
    reason: null,
  };
}

/** Account balance in the quote/settlement currency. */
export interface Balance {
  currency: string;
  /** Wallet balance: deposits + realised PnL - fees - funding. */
  total: number;
  /** Available for new orders. */
  free: number;
  /** Locked in margin or open orders. */
  used: number;
  /** total + unrealised PnL. */
  equity: number;
}

/** An open position (one-way mode: one per symbol). */
export interface Position {
  symbol: string;
  side: 'long' | 'short';
  /** Absolute size, base currency. */
  amount: number;
  entryPrice: number;
  markPrice: number;
  unrealizedPnl: number;
  realizedPnl: number;
  leverage: number;
  marginMode: MarginMode;
  /** Initial margin held (futures) or cost basis (spot). */
  margin: number;
  /** NaN when there is none (spot, or over-collateralised). */
  liquidationPrice: number;
  feesPaid: number;
  fundingPaid: number;
  openedAtMs: number;
}

/** The port. Implementations classify failures with `ExchangeError`. */
export interface Exchange {
  readonly id: string;
  fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]>;
  createOrder(request: OrderRequest): Promise<Order>;
  cancelOrder(orderId: string, symbol: string): Promise<Order>;
  /**
   * The venue's current state of one of its orders (a triggered stop reports the fills, fee and time
   * of the market order it became). Optional: a venue without it cannot tell the loop how a position
   * it did not close itself ended. Throws a non-retryable ExchangeError for an order the venue does not know.
   */
  fetchOrder?(orderId: string, symbol: string): Promise<Order>;
  fetchBalance(): Promise<Balance>;
  fetchPosition(symbol: string): Promise<Position | null>;
  /**
   * Sets the leverage the venue opens `symbol`'s positions at (futures; an integer >= 1). Optional: a venue without it
   * (spot, the paper exchange, which takes its account's) opens at its own.
   */
  setLeverage?(symbol: string, leverage: number): Promise<void>;
  /** Sets `symbol`'s margin mode on the venue (futures). Optional, as `setLeverage`. */
  setMarginMode?(symbol: string, mode: MarginMode): Promise<void>;
  /**
   * Every open position of the account, whatever opened it (a session, a stopped session, a trader by hand on the
   * venue): one per symbol with a non-zero position, as `fetchPosition` reports it, in no particular order. Spot: every
   * held base asset (above the market's minimum amount) that has a market against the account's quote currency, as a
   * long. What account-wide risk (open positions, gross notional) reads, so no position escapes it. An implementation
   * that cannot list every position says so in its own documentation.
   */
  fetchOpenPositions(): Promise<Position[]>;
  /** Releases sessions and sockets; idempotent. */
  close(): Promise<void>;
}
