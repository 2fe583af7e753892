/**
 * The venue registry: every venue Aethelred can trade or read, with what it offers. The one place
 * venue ids are listed; everything else (sessions, live trading, candle feeds, downloads) asks it.
 * Adding a ccxt venue = its adapter specifics plus one entry here.
 */
import { ValidationError } from '../core/errors';
import type { MarketType } from '../core/types';

/** What the engine knows about a venue. */
export interface VenueInfo {
  /** ccxt exchange id. */
  readonly id: string;
  readonly label: string;
  /** What its markets are: spot, or linear perpetual futures settled in the quote currency. */
  readonly marketType: MarketType;
  /** Whether a session may open short positions there (futures only). */
  readonly allowShort: boolean;
  /** Whether real-venue trading through keys is supported. */
  readonly liveTrading: boolean;
}

export const VENUES: Readonly<Record<string, VenueInfo>> = Object.freeze({
  binance: { id: 'binance', label: 'Binance spot', marketType: 'spot', allowShort: false, liveTrading: true },
  binanceusdm: { id: 'binanceusdm', label: 'Binance USDⓈ-M perpetuals', marketType: 'futures', allowShort: true, liveTrading: true },
  bybit: { id: 'bybit', label: 'Bybit USDT perpetuals', marketType: 'futures', allowShort: true, liveTrading: true },
});

/** Ids of every registered venue, in registry order. */
export const VENUE_IDS: readonly string[] = Object.freeze(Object.keys(VENUES));

/** The venue, or null when it is not registered. */
export function venueOf(id: string): VenueInfo | null {
  return Object.prototype.hasOwnProperty.call(VENUES, id) ? VENUES[id] : null;
}

/** The venue; throws ValidationError naming `field` and listing the registered ids. */
export function requireVenue(id: string, field = 'exchange'): VenueInfo {
  const venue = venueOf(id);
  if (!venue) throw new ValidationError(field, id, `expected one of ${VENUE_IDS.map((v) => `"${v}"`).join(', ')}`);
  return venue;
}
