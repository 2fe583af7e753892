/** The trade fields the trades table shows, picked on the server so the page payload stays small. */
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
import type { TradeRecord } from '@/engine/ports/journal';
import { chartQuery } from '@/app/_components/chart/chart-params';

/** The chart centred on a trade (midway between entry and exit, showing both), with its run's (or its account's live) markers. */
export function tradeChartHref(t: Pick<TradeRecord, 'runId' | 'exchange' | 'symbol' | 'entryTimeMs' | 'exitTimeMs' | 'accountId'>): string {
  const atMs = Math.round((t.entryTimeMs + t.exitTimeMs) / 2);
  return `/chart?${t.runId ? chartQuery({ runId: t.runId, fromMs: t.entryTimeMs, toMs: t.exitTimeMs, atMs }) : chartQuery({ exchange: t.exchange, symbol: t.symbol, accountId: t.accountId, fromMs: t.entryTimeMs, toMs: t.exitTimeMs, atMs })}`;
}

export type TradeRow = Pick<TradeRecord, 'id' | 'exitTimeMs' | 'symbol' | 'strategy' | 'side' | 'amount' | 'entryPrice' | 'exitPrice' | 'realizedPnl' | 'fees' | 'funding' | 'exitReason'> & {
  /** realizedPnl − fees − funding (the engine's `tradeNetPnl`). */
  netPnl: number;
  chartHref: string;
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
    chartHref: tradeChartHref(t),
  };
}
