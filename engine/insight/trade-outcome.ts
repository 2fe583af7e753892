/**
 * What a closed trade earned and whether it won: the one definition every table, filter, total and
 * metric uses. A trade's net PnL is what it added to the account's equity, in quote currency:
 * `realizedPnl − fees − funding` (funding is signed as paid: a positive funding is a cost). A trade
 * wins when its net PnL is above zero; a break-even trade (net PnL exactly 0) counts as a loss, as
 * the win rate counts it as a non-win (freqtrade and empyrical likewise count only profits > 0).
 *
 * The drizzle journal repository classifies in SQL with the same arithmetic (each numeric column
 * cast to float8, subtracted in this order, compared with {@link WINNING_NET_PNL_ABOVE}), so a trade
 * is a win in the database exactly when {@link isWinningTrade} says so.
 */

/** The money fields of a closed trade, quote currency. */
export interface TradeMoney {
  /** PnL from prices alone (exit − entry, times amount, signed by side), before fees and funding. */
  realizedPnl: number;
  /** Trading fees paid on entry and exit (>= 0 normally; a rebate is negative). */
  fees: number;
  /** Funding paid over the trade's life (negative when received). */
  funding: number;
}

/** A trade wins when its net PnL is strictly above this (quote currency). */
export const WINNING_NET_PNL_ABOVE = 0;

/** Net PnL of a trade: `realizedPnl − fees − funding`, quote currency, what it changed equity by. */
export function tradeNetPnl(trade: TradeMoney): number {
  return trade.realizedPnl - trade.fees - trade.funding;
}

/** True when a net PnL is a win (strictly above {@link WINNING_NET_PNL_ABOVE}); NaN is not a win. */
export function isWinningNetPnl(netPnl: number): boolean {
  return netPnl > WINNING_NET_PNL_ABOVE;
}

/** True when the trade's net PnL ({@link tradeNetPnl}) is a win: positive gross with larger fees is a loss. */
export function isWinningTrade(trade: TradeMoney): boolean {
  return isWinningNetPnl(tradeNetPnl(trade));
}

/** Column totals of a set of trades, quote currency: gross, fees, funding and net. */
export interface TradeMoneyTotals {
  trades: number;
  wins: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  netPnl: number;
}

/** Sums the money columns of `trades`; `netPnl` is the sum of each trade's {@link tradeNetPnl}. */
export function totalTradeMoney(trades: readonly TradeMoney[]): TradeMoneyTotals {
  const totals: TradeMoneyTotals = { trades: 0, wins: 0, realizedPnl: 0, fees: 0, funding: 0, netPnl: 0 };
  for (const t of trades) {
    const net = tradeNetPnl(t);
    totals.trades++;
    if (isWinningNetPnl(net)) totals.wins++;
    totals.realizedPnl += t.realizedPnl;
    totals.fees += t.fees;
    totals.funding += t.funding;
    totals.netPnl += net;
  }
  return totals;
}
