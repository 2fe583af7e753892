'use client';
/**
 * A table of trades. A client component on purpose: the server sends the rows once as compact
 * props and React renders them to HTML once; as a server component every cell was serialised
 * into the RSC payload and then rendered again from it, which doubled a journal page's cost.
 */
import { formatNumber, formatTime, signClass } from '../_lib/format';
import type { TradeRow } from '../_lib/trade-row';

export type TradeSortKey = 'time' | 'pnl' | 'symbol';

/** The current sort and, per sortable column, the link that sorts by it (the active column's link flips the direction). */
export interface TradeSorting {
  key: TradeSortKey;
  direction: 'asc' | 'desc';
  hrefs: Record<TradeSortKey, string>;
}

export function TradesTable({ trades, caption, sort }: { trades: readonly TradeRow[]; caption: string; sort?: TradeSorting }) {
  const header = (key: TradeSortKey, label: string, className?: string) => {
    if (!sort) return <th scope="col" className={className}>{label}</th>;
    const active = sort.key === key;
    const ariaSort = active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined;
    return (
      <th scope="col" className={className} aria-sort={ariaSort}>
        <a href={sort.hrefs[key]} data-testid={`sort-${key}`}>
          {label}
          {active ? (sort.direction === 'asc' ? ' ↑' : ' ↓') : ''}
        </a>
      </th>
    );
  };
  return (
    <div className="table-scroll">
      <table data-testid="trades-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {header('time', 'Exit time')}
            {header('symbol', 'Symbol')}
            <th scope="col">Strategy</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col" className="num">Entry</th>
            <th scope="col" className="num">Exit</th>
            {header('pnl', 'PnL', 'num')}
            <th scope="col">Exit reason</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t) => (
            <tr key={t.id} data-testid="trade-row" data-symbol={t.symbol} data-side={t.side} data-pnl={t.realizedPnl}>
              <td className="nowrap">{formatTime(t.exitTimeMs)}</td>
              <td>{t.symbol}</td>
              <td>{t.strategy}</td>
              <td>{t.side}</td>
              <td className="num">{formatNumber(t.amount, 6)}</td>
              <td className="num">{formatNumber(t.entryPrice, 6)}</td>
              <td className="num">{formatNumber(t.exitPrice, 6)}</td>
              <td className={signClass(t.realizedPnl)}>{formatNumber(t.realizedPnl, 4)}</td>
              <td>{t.exitReason}</td>
              <td>
                <a href={`/journal/trades/${encodeURIComponent(t.id)}`} aria-label={`Trade ${t.symbol} ${t.side} closed ${formatTime(t.exitTimeMs)}: decision chain`}>
                  chain
                </a>{' '}
                · <a href={t.chartHref} data-testid="trade-chart-link" aria-label={`Trade ${t.symbol} ${t.side} closed ${formatTime(t.exitTimeMs)}: show on chart`}>chart</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
