import { describe, expect, it } from 'vitest';
import { VENUE_IDS, venueOf } from '../venues/registry';
import { CCXT_VENUE_DIALECTS, bybitOrderLinkId, clientIdOfBybitOrderLinkId } from './ccxt-venue-dialects';

// Bybit v5 "Place Order": orderLinkId is at most 36 characters of letters, digits, "-" and "_".
const BYBIT_RULE = /^[A-Za-z0-9_-]{1,36}$/;

describe('bybitOrderLinkId', () => {
  it('keeps an id that uses only letters, digits and dashes', () => {
    expect(bybitOrderLinkId('ls-1ddb7ef6-entry-1704067500000')).toBe('ls-1ddb7ef6-entry-1704067500000');
  });

  it('escapes underscore, colon, slash and dot, and restores them', () => {
    const cases: [string, string][] = [
      ['live:usdm-entry-1704067500000', 'live_cusdm-entry-1704067500000'],
      ['a_b', 'a__b'],
      ['x/y.z', 'x_sy_dz'],
      ['_:', '___c'],
    ];
    for (const [engineId, venueId] of cases) {
      expect(bybitOrderLinkId(engineId)).toBe(venueId);
      expect(clientIdOfBybitOrderLinkId(venueId)).toBe(engineId);
      expect(venueId).toMatch(BYBIT_RULE);
    }
  });

  it('hashes an id whose escaped form exceeds 36 characters into 36 allowed characters', () => {
    // 36 characters, three escapes -> 39. FNV-1a 32 of the id is 0x001c4409 (computed apart, in Python).
    const id = 'sess.v2/BTC:USDT-entry-1704067500000';
    expect(bybitOrderLinkId(id)).toBe('sess-v2-BTC-USDT-entry-170_x001c4409');
    expect(bybitOrderLinkId(id)).toMatch(BYBIT_RULE);
    // "_x" is no escape: the hashed form is reported as the venue has it
    expect(clientIdOfBybitOrderLinkId('sess-v2-BTC-USDT-entry-170_x001c4409')).toBe('sess-v2-BTC-USDT-entry-170_x001c4409');
  });

  it('reports an orderLinkId placed by other software as it is', () => {
    expect(clientIdOfBybitOrderLinkId('my_order')).toBe('my_order');
    expect(clientIdOfBybitOrderLinkId('trailing_')).toBe('trailing_');
    expect(clientIdOfBybitOrderLinkId('plain-id')).toBe('plain-id');
  });
});

describe('CCXT_VENUE_DIALECTS', () => {
  it('has a dialect for every live-trading venue of the registry, and Binance keeps client ids as they are', () => {
    expect(VENUE_IDS.filter((id) => venueOf(id)!.liveTrading).filter((id) => !(id in CCXT_VENUE_DIALECTS))).toEqual([]);
    expect(CCXT_VENUE_DIALECTS.binanceusdm.venueClientOrderId('live:usdm-entry-1')).toBe('live:usdm-entry-1');
    expect(CCXT_VENUE_DIALECTS.bybit.stopParams('sell', 41_000)).toEqual({ triggerPrice: 41_000, triggerDirection: 'descending' });
    expect(CCXT_VENUE_DIALECTS.bybit.stopParams('buy', 43_000)).toEqual({ triggerPrice: 43_000, triggerDirection: 'ascending' });
  });
});
