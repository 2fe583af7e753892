import { describe, expect, it } from 'vitest';
import { compareLiveToBacktest, type DriftTrade } from '@/engine/insight/live-drift';
import { driftCauses } from './drift-causes';
import { decodeSessionIdSegment, liveSessionHref, parseSessionIdParam } from './session-id-param';

const trade = (over: Partial<DriftTrade>): DriftTrade => ({
  side: 'long',
  amount: 1,
  entryPrice: 100,
  exitPrice: 110,
  entryTimeMs: 0,
  exitTimeMs: 600_000,
  realizedPnl: 10,
  fees: 0.2,
  funding: 0,
  ...over,
});

describe('driftCauses', () => {
  it('lists the five causes and no size row when live traded the replay size', () => {
    // Live entered at 101 instead of 100 (-1), paid 0.3 instead of 0.2 in fees (-0.1): net 8.7 - 9.8 = -1.1.
    const report = compareLiveToBacktest([trade({ entryPrice: 101, realizedPnl: 9, fees: 0.3 })], [trade({})], 300_000);
    const causes = driftCauses(report.totals);
    expect(causes.map((c) => [c.key, Number(c.amount.toFixed(9))])).toEqual([
      ['entryFill', -1],
      ['exitFill', 0],
      ['fees', -0.1],
      ['funding', 0],
      ['timing', 0],
    ]);
    expect(report.totals.pnl).toBeCloseTo(-1.1, 9);
  });

  it('adds a size row so the causes sum to the PnL difference when live traded another amount', () => {
    // Live bought 2 at the replay's prices: fills and fees match, yet net PnL is 20 - 0.2 against 10 - 0.2.
    const report = compareLiveToBacktest([trade({ amount: 2, realizedPnl: 20 })], [trade({})], 300_000);
    const causes = driftCauses(report.totals);
    expect(causes.at(-1)).toMatchObject({ key: 'size', label: 'Size and rounding' });
    expect(causes.at(-1)!.amount).toBeCloseTo(10, 9);
    expect(causes.reduce((sum, c) => sum + c.amount, 0)).toBeCloseTo(report.totals.pnl, 9);
  });
});

describe('session id param', () => {
  it('round-trips a session id through its link', () => {
    const href = liveSessionHref('live:binance:BTC/USDT:5m');
    expect(href).toBe('/live/live%3Abinance%3ABTC%2FUSDT%3A5m');
    expect(decodeSessionIdSegment(href.slice('/live/'.length))).toBe('live:binance:BTC/USDT:5m');
    expect(parseSessionIdParam({ id: 'live:binance:BTC/USDT:5m' })).toBe('live:binance:BTC/USDT:5m');
  });

  it('keeps a segment that is not valid percent-encoding and names the field of a missing id', () => {
    expect(decodeSessionIdSegment('100%')).toBe('100%');
    expect(() => parseSessionIdParam({})).toThrow('field "id" was undefined: ');
  });
});
