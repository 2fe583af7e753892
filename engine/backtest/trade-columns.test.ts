import { describe, expect, it } from 'vitest';
import type { ClosedTrade } from '../loop/trading-loop';
import { createTradeColumns } from './trade-columns';

/** Made-up trades: two symbols, both sides, four exit reasons, an initial risk or none (null, NaN). */
function trade(k: number): ClosedTrade {
  return {
    symbol: k % 3 === 0 ? 'ETH/USDT' : 'BTC/USDT',
    side: k % 2 === 0 ? 'long' : 'short',
    amount: 0.1 + k / 7,
    entryPrice: 100 + k * 1.25,
    exitPrice: 101 - k * 0.5,
    entryTimeMs: 1_700_000_000_000 + k * 300_000,
    exitTimeMs: 1_700_000_600_000 + k * 300_000,
    realizedPnl: (k - 3) / 3,
    fees: 0.01 * k,
    funding: k % 4 === 0 ? -0.002 : 0,
    exitReason: ['stop', 'signal', 'take-profit', 'end-of-run'][k % 4],
    initialRisk: k % 5 === 0 ? null : 0.5 * k,
  };
}

describe('trade columns', () => {
  it('give back every trade added, in order, field for field, growing past their first capacity', () => {
    const columns = createTradeColumns(4);
    const added = Array.from({ length: 11 }, (_, k) => trade(k));
    // One record rewritten for every trade, as the loop hands them: the columns copy, they keep no reference.
    const reused = { ...added[0] };
    for (const t of added) columns.add(Object.assign(reused, t));
    expect(columns.length).toBe(11);
    const back = columns.toTrades();
    expect(back).toEqual(added);
    // The same fields in the same order as a journaled record (JSON, the stored results, compares them as text).
    expect(back.map((t) => JSON.stringify(t))).toEqual(added.map((t) => JSON.stringify(t)));
  });

  it('read an initial risk of NaN back as none', () => {
    const columns = createTradeColumns(1);
    columns.add({ ...trade(1), initialRisk: NaN });
    expect(columns.toTrades()[0].initialRisk).toBeNull();
  });

  it('refuse a capacity that is not an integer >= 1', () => {
    for (const capacity of [0, 1.5, NaN, -3]) expect(() => createTradeColumns(capacity)).toThrow(RangeError);
  });
});
