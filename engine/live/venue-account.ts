/**
 * A synchronous account view of a real venue for the trading loop: balance and positions are
 * fetched by `refresh()` (the live session calls it before each candle) and read from the cache
 * in between. The loop's risk checks therefore see the venue's state as of the candle close.
 */
import type { Balance, Exchange, Position } from '../ports/exchange';
import type { AccountView } from '../loop/trading-loop';
import type { PositionExposure } from '../risk/value-at-risk';

export interface VenueAccount extends AccountView {
  refresh(): Promise<void>;
  /** The cached balance, null before the first refresh. */
  balance(): Balance | null;
  /** Every open position as a signed notional at its mark (entry price when the venue gives no mark): the VaR / ES limits' exposures. */
  exposures(): PositionExposure[];
}

/**
 * Creates the view of the venue account behind `exchange`. Each refresh reads the balance and every open position of
 * the account (`fetchOpenPositions`), whatever opened it: this session, another session of the account, one that has
 * stopped, or a trader by hand on the venue. So the account-wide checks (open positions, gross notional for leverage)
 * see the account as it is, not only the symbols its sessions trade. Positions the venue reports twice for one symbol
 * (hedge mode) count once for the open positions, net for the signed amount, and both for the gross notional.
 */
export function createVenueAccount(exchange: Pick<Exchange, 'fetchBalance' | 'fetchOpenPositions'>): VenueAccount {
  let balance: Balance | null = null;
  /** Signed base amount per symbol. */
  const signed = new Map<string, number>();
  /** Signed notional at the mark per symbol. */
  const notional = new Map<string, number>();
  let gross = 0;
  return {
    async refresh() {
      const [nextBalance, positions] = await Promise.all([exchange.fetchBalance(), exchange.fetchOpenPositions()]);
      balance = nextBalance;
      signed.clear();
      notional.clear();
      gross = 0;
      for (const p of positions as readonly Position[]) {
        if (!(p.amount > 0)) continue;
        const sign = p.side === 'long' ? 1 : -1;
        const price = Number.isFinite(p.markPrice) ? p.markPrice : p.entryPrice;
        signed.set(p.symbol, (signed.get(p.symbol) ?? 0) + sign * p.amount);
        notional.set(p.symbol, (notional.get(p.symbol) ?? 0) + sign * p.amount * price);
        gross += p.amount * price;
      }
    },
    balance: () => balance,
    equity: () => balance?.equity ?? NaN,
    positionAmountSigned: (symbol) => signed.get(symbol) ?? 0,
    openPositionCount: () => signed.size,
    grossNotional: () => gross,
    exposures: () => [...notional].map(([symbol, value]) => ({ symbol, notional: value })),
  };
}
