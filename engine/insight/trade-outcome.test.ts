import { describe, expect, it } from 'vitest';
import { isWinningNetPnl, isWinningTrade, totalTradeMoney, tradeNetPnl } from './trade-outcome';

describe('trade outcome', () => {
  it('nets fees and funding out of the realized pnl', () => {
    expect(tradeNetPnl({ realizedPnl: 10, fees: 1.5, funding: 0.5 })).toBe(8);
    expect(tradeNetPnl({ realizedPnl: 10, fees: 1, funding: -2 })).toBe(11);
  });

  it('counts a trade with positive gross but negative net pnl as a loss', () => {
    expect(isWinningTrade({ realizedPnl: 5, fees: 6, funding: 0 })).toBe(false);
    expect(isWinningTrade({ realizedPnl: 5, fees: 4, funding: 0 })).toBe(true);
  });

  it('counts break-even as a loss', () => {
    expect(isWinningTrade({ realizedPnl: 2, fees: 1, funding: 1 })).toBe(false);
    expect(isWinningNetPnl(0)).toBe(false);
    expect(isWinningNetPnl(Number.NaN)).toBe(false);
  });

  it('totals each money column and the wins', () => {
    expect(
      totalTradeMoney([
        { realizedPnl: 5, fees: 6, funding: 0 },
        { realizedPnl: 10, fees: 1, funding: 1 },
        { realizedPnl: -4, fees: 1, funding: -1 },
      ]),
    ).toEqual({ trades: 3, wins: 1, realizedPnl: 11, fees: 8, funding: 0, netPnl: 3 });
  });
});
