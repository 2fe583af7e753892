/**
 * Core domain types shared by every engine module.
 *
 * Units: times are Unix epoch milliseconds (UTC), prices in quote currency,
 * amounts in base currency, money in quote currency (USDT for the bundled venues).
 */

/** Timeframes the engine understands, with their length in milliseconds. */
export const TIMEFRAME_MS = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
} as const;
export type Timeframe = keyof typeof TIMEFRAME_MS;

/** One OHLCV candle; `openTimeMs` is the candle's open time. Used at the edges, never in hot loops. */
export interface Candle {
  openTimeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Identifies one candle stream. */
export interface MarketKey {
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
}

/**
 * Column-oriented candles for hot loops: one typed array per field, `length` valid rows.
 * Invariant: `openTimeMs` strictly ascending.
 */
export interface CandleColumns {
  readonly length: number;
  readonly openTimeMs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export const SignalSide = { Long: 'long', Short: 'short', Flat: 'flat' } as const;
export type SignalSide = (typeof SignalSide)[keyof typeof SignalSide];

/** What fusion hands to risk: direction, conviction 0..1, a protective stop price and a time-to-live. */
export interface Signal {
  side: SignalSide;
  /** 0..1 conviction. */
  strength: number;
  /** Protective stop price in quote currency; NaN when the adapters gave none. */
  stopHint: number;
  /** How long the signal stays actionable, milliseconds. */
  ttlMs: number;
}

export const OrderSide = { Buy: 'buy', Sell: 'sell' } as const;
export type OrderSide = (typeof OrderSide)[keyof typeof OrderSide];

export const OrderType = { Market: 'market', Limit: 'limit', Stop: 'stop' } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

export const OrderStatus = {
  New: 'new',
  PartiallyFilled: 'partially_filled',
  Filled: 'filled',
  Cancelled: 'cancelled',
  Rejected: 'rejected',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const MarketType = { Spot: 'spot', Futures: 'futures' } as const;
export type MarketType = (typeof MarketType)[keyof typeof MarketType];

export const MarginMode = { Isolated: 'isolated', Cross: 'cross' } as const;
export type MarginMode = (typeof MarginMode)[keyof typeof MarginMode];

/** Parses a timeframe string; throws a RangeError quoting the value when it is unknown. */
export function parseTimeframe(value: string): Timeframe {
  if (Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, value)) return value as Timeframe;
  throw new RangeError(
    `timeframe "${value}" is not supported; expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`,
  );
}

/**
 * Typed columns from candle rows (the one conversion every adapter uses). Rows keep their order;
 * `openTimeMs` may arrive as a string or bigint-like number from a driver and is converted.
 */
export function candleColumnsFromRows(rows: readonly { openTimeMs: number | string; open: number; high: number; low: number; close: number; volume: number }[]): CandleColumns {
  const n = rows.length;
  const c = {
    length: n,
    openTimeMs: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    c.openTimeMs[i] = Number(r.openTimeMs);
    c.open[i] = r.open;
    c.high[i] = r.high;
    c.low[i] = r.low;
    c.close[i] = r.close;
    c.volume[i] = r.volume;
  }
  return c;
}

/**
 * Whether an alert's symbol names a stored market: exact, or without the slash as TradingView
 * sends it ("BTCUSDT" names "BTC/USDT").
 */
export function symbolMatches(marketSymbol: string, alertSymbol: string): boolean {
  return marketSymbol === alertSymbol || marketSymbol.replace('/', '') === alertSymbol;
}
