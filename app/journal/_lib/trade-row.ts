/** The trade fields the trades table shows, picked on the server so the page payload stays small. */
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
import type { TradeRecord } from '@/engine/ports/journal';

export type TradeRow = Pick<TradeRecord, 'id' | 'exitTimeMs' | 'symbol' | 'strategy' | 'side' | 'amount' | 'entryPrice' | 'exitPrice' | 'realizedPnl' | 'fees' | 'funding' | 'exitReason'> & {
  /** realizedPnl − fees − funding (the engine's `tradeNetPnl`). */
  netPnl: number;
};

/** Just the shown fields of a trade, with its net PnL. */
export function toTradeRow(t: TradeRecord): TradeRow {
  return {
    id: t.id,
    exitTimeMs: t.exitTimeMs,
    symbol: t.symbol,
    strategy: t.strategy,
    side: t.side,
    amount: t.amount,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    realizedPnl: t.realizedPnl,
    fees: t.fees,
    funding: t.funding,
    netPnl: tradeNetPnl(t),
    exitReason: t.exitReason,
  };
}
