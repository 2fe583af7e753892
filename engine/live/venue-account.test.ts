import { describe, expect, it } from 'vitest';
import type { Balance, Position } from '../ports/exchange';
import { createVenueAccount } from './venue-account';

const position = (symbol: string, side: 'long' | 'short', amount: number, markPrice: number): Position => ({
  symbol, side, amount, entryPrice: 100, markPrice, unrealizedPnl: 0, realizedPnl: 0, leverage: 2, marginMode: 'cross', margin: 0, liquidationPrice: NaN, feesPaid: 0, fundingPaid: 0, openedAtMs: 0,
});

describe('venue account', () => {
  it('serves the venue balance and positions fetched at the last refresh', async () => {
    let equity = 5_000;
    const venue = {
      fetchBalance: async (): Promise<Balance> => ({ currency: 'USDT', total: equity, free: equity, used: 0, equity }),
      fetchPosition: async (symbol: string) => (symbol === 'BTC/USDT' ? position('BTC/USDT', 'short', 0.5, 60_000) : symbol === 'ETH/USDT' ? position('ETH/USDT', 'long', 2, 3_000) : null),
    };
    const account = createVenueAccount(venue, ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    expect(account.equity()).toBeNaN();
    await account.refresh();
    expect(account.equity()).toBe(5_000);
    expect(account.positionAmountSigned('BTC/USDT')).toBe(-0.5);
    expect(account.positionAmountSigned('ETH/USDT')).toBe(2);
    expect(account.positionAmountSigned('SOL/USDT')).toBe(0);
    expect(account.openPositionCount()).toBe(2);
    // 0.5 x 60,000 + 2 x 3,000 = 36,000
    expect(account.grossNotional()).toBe(36_000);
    equity = 4_000;
    expect(account.equity()).toBe(5_000);
    await account.refresh();
    expect(account.equity()).toBe(4_000);
  });

  it("counts the positions of the symbols every session of the account trades, read again at each refresh", async () => {
    const venue = {
      fetchBalance: async (): Promise<Balance> => ({ currency: 'USDT', total: 10_000, free: 10_000, used: 0, equity: 10_000 }),
      fetchPosition: async (symbol: string) => (symbol === 'BTC/USDT' ? position('BTC/USDT', 'long', 0.1, 60_000) : symbol === 'ETH/USDT' ? position('ETH/USDT', 'short', 1, 3_000) : null),
    };
    // The ETH session's account: at first it trades alone, then a BTC session of the same account starts.
    const symbols = ['ETH/USDT'];
    const account = createVenueAccount(venue, () => symbols);
    await account.refresh();
    expect(account.openPositionCount()).toBe(1);
    expect(account.grossNotional()).toBe(3_000);
    symbols.push('BTC/USDT');
    await account.refresh();
    // Both positions count for maxOpenPositions and leverage: 1 x 3,000 + 0.1 x 60,000 = 9,000.
    expect(account.openPositionCount()).toBe(2);
    expect(account.grossNotional()).toBe(9_000);
    expect(account.positionAmountSigned('BTC/USDT')).toBe(0.1);
  });
});
