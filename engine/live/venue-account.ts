/**
 * A synchronous account view of a real venue for the trading loop: balance and positions are
 * fetched by `refresh()` (the live session calls it before each candle) and read from the cache
 * in between. The loop's risk checks therefore see the venue's state as of the candle close.
 */
import type { Balance, Exchange, Position } from '../ports/exchange';
import type { AccountView } from '../loop/trading-loop';

export interface VenueAccount extends AccountView {
  refresh(): Promise<void>;
  /** The cached balance, null before the first refresh. */
  balance(): Balance | null;
}

/**
 * Creates the tracker of `symbols`' positions: the symbols every session of the account trades, read again at each
 * refresh when given as a function (sessions of one venue account start and stop), so the account-wide checks
 * (open positions, gross notional for leverage) count every session's position, not the calling session's alone.
 */
export function createVenueAccount(exchange: Pick<Exchange, 'fetchBalance' | 'fetchPosition'>, symbolsOf: readonly string[] | (() => readonly string[])): VenueAccount {
  let balance: Balance | null = null;
  const positions = new Map<string, Position>();
  return {
    async refresh() {
      const symbols = typeof symbolsOf === 'function' ? symbolsOf() : symbolsOf;
      const [nextBalance, ...nextPositions] = await Promise.all([exchange.fetchBalance(), ...symbols.map((s) => exchange.fetchPosition(s))]);
      balance = nextBalance;
      positions.clear();
      symbols.forEach((symbol, i) => {
        const p = nextPositions[i];
        if (p && p.amount > 0) positions.set(symbol, p);
      });
    },
    balance: () => balance,
    equity: () => balance?.equity ?? NaN,
    positionAmountSigned(symbol) {
      const p = positions.get(symbol);
      return p ? (p.side === 'long' ? p.amount : -p.amount) : 0;
    },
    openPositionCount: () => positions.size,
    grossNotional() {
      let sum = 0;
      for (const p of positions.values()) sum += p.amount * (Number.isFinite(p.markPrice) ? p.markPrice : p.entryPrice);
      return sum;
    },
  };
}
