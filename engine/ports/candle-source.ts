/**
 * Candle source port: a venue's candle endpoint (the ccxt adapter and the `Exchange` port's
 * `fetchOhlcv` fit), and the factory the download job opens one per exchange with.
 * Imports only engine/core.
 */
import type { Candle, Timeframe } from '../core/types';

/** A venue's candle endpoint. Failures are ExchangeErrors classified by the adapter. */
export interface CandleSource {
  /** Up to `limit` candles with open time >= `sinceMs`, ascending. */
  fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]>;
  /** The venue's pause between requests, ms (downloads space their pages by it); absent = none. */
  readonly rateLimitMs?: number;
}

/** A source holding a connection its user must close. */
export interface ClosableCandleSource extends CandleSource {
  close(): Promise<void>;
}

/**
 * Opens a public (no keys) candle source for a venue id.
 * @throws ValidationError when the venue is not registered.
 */
export type CandleSourceFactory = (exchangeId: string) => ClosableCandleSource;
