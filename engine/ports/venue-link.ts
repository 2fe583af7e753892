/**
 * The keyed venue port: a connection to a real venue made with the API keys an admin stored for it,
 * used by venue accounts (their view, force exits) and by live sessions (orders). The composition
 * root implements it over ccxt; it refuses with a reason when no keys are stored or live trading is
 * not enabled for the venue.
 */
import type { Balance, Exchange, Order, Position } from './exchange';

/** What a venue holds for some markets at one moment, as the venue reports it. */
export interface VenueHoldings {
  openOrders: Order[];
  positions: Position[];
  balance: Balance;
  /** When it was read (clock), epoch ms. */
  atMs: number;
}

/** A keyed connection to one venue. */
export interface VenueConnection {
  /** Orders go here (after risk). */
  readonly exchange: Exchange;
  /** Open orders and positions of `symbols`, and the balance. */
  holdings(symbols: readonly string[]): Promise<VenueHoldings>;
  /** Releases the keyed client; idempotent. */
  close(): Promise<void>;
}

/** A connection, or why there is none (no keys stored, live trading not enabled, venue unsupported). */
export type VenueConnectResult = ({ ok: true } & VenueConnection) | { ok: false; reason: string };

/** Opens a keyed connection to the venue `venueId` (a venue registry id). */
export type VenueConnector = (venueId: string) => Promise<VenueConnectResult>;
