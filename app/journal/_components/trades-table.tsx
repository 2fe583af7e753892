import type { TradeRecord } from '@/engine/core/ports';
import { formatNumber, formatTime, signClass } from '../_lib/format';

type SortKey = 'time' | 'pnl' | 'symbol';

/**
 * A table of trades. With `sortHref`, the exit time, symbol and pnl headers are links that sort
 * on the server (clicking the active column flips the direction).
 */
export function TradesTable({
  trades,
  caption,
  sort,
  sortHref,
}: {
  trades: TradeRecord[];
  caption: string;
  sort?: { key: SortKey; direction: 'asc' | 'desc' };
  sortHref?: (key: SortKey, direction: 'asc' | 'desc') => string;
}) {
  const header = (key: SortKey, label: string, className?: string) => {
    const active = sort?.key === key;
    const ariaSort = active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined;
    if (!sortHref) return <th scope="col" className={className}>{label}</th>;
    const next = active && sort.direction === 'desc' ? 'asc' : 'desc';
    return (
      <th scope="col" className={className} aria-sort={ariaSort}>
        <a href={sortHref(key, next)} data-testid={`sort-${key}`}>
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
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
