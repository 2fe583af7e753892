'use client';
/**
 * A table of trades. A client component on purpose: the server sends the rows once as compact
 * props and React renders them to HTML once; as a server component every cell was serialised
 * into the RSC payload and then rendered again from it, which doubled a journal page's cost.
 */
import { amountColumnDecimals, fmtMoney, fmtNumber, fmtPrice, formatTime, netPnlClass, signClass, type MarketPrecision } from '@/app/_components/format';
import { totalTradeMoney, type TradeMoneyTotals } from '@/engine/insight/trade-outcome';
import type { TradeRow } from '../_lib/trade-row';
import { ScrollTable } from '@/app/_components/scroll-table';

export type TradeSortKey = 'time' | 'pnl' | 'symbol';

/** The current sort and, per sortable column, the link that sorts by it (the active column's link flips the direction). */
export interface TradeSorting {
  key: TradeSortKey;
  direction: 'asc' | 'desc';
  hrefs: Record<TradeSortKey, string>;
}

/**
 * Money columns: gross PnL (price move only), fees, funding and net PnL (what the trade changed
 * equity by; sorted and coloured by it, green only for a winning trade). The footer totals the
 * shown rows, or `totals` (e.g. every trade of a run) with its `totalsLabel`. `precision` (when
 * every row is of one market) sets the price and amount decimals; without it prices show six significant digits and
 * every amount as many decimals as the most precise one needs (see `amountColumnDecimals`), so the column lines up.
 */
export function TradesTable({ trades, caption, sort, totals, totalsLabel, precision }: { trades: readonly TradeRow[]; caption: string; sort?: TradeSorting; totals?: TradeMoneyTotals; totalsLabel?: string; precision?: MarketPrecision }) {
  const footer = totals ?? totalTradeMoney(trades);
  const amountDecimals = amountColumnDecimals(trades.map((t) => t.amount), precision);
  const footerLabel = totals ? (totalsLabel ?? `Total of ${totals.trades} trades`) : `Total of the ${trades.length} shown`;
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
    <ScrollTable label="Trades" wide data-testid="trades-table">
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
            <th scope="col" className="num">Gross PnL</th>
            <th scope="col" className="num">Fees</th>
            <th scope="col" className="num">Funding</th>
            {header('pnl', 'Net PnL', 'num')}
            <th scope="col">Exit reason</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t) => (
            <tr key={t.id} data-testid="trade-row" data-symbol={t.symbol} data-side={t.side} data-pnl={t.netPnl} data-gross-pnl={t.realizedPnl}>
              <td className="nowrap">{formatTime(t.exitTimeMs)}</td>
              <td>{t.symbol}</td>
              <td>{t.strategy}</td>
              <td>{t.side}</td>
              <td className="num">{fmtNumber(t.amount, amountDecimals)}</td>
              <td className="num">{fmtPrice(t.entryPrice, precision)}</td>
              <td className="num">{fmtPrice(t.exitPrice, precision)}</td>
              <td className={signClass(t.realizedPnl)}>{fmtMoney(t.realizedPnl)}</td>
              <td className="num">{fmtMoney(t.fees)}</td>
              <td className="num">{fmtMoney(t.funding)}</td>
              <td className={netPnlClass(t.netPnl)} data-testid="trade-net-pnl">{fmtMoney(t.netPnl)}</td>
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
        <tfoot>
          <tr data-testid="trades-total">
            <th scope="row" colSpan={7}>
              {footerLabel} ({footer.wins} {footer.wins === 1 ? 'win' : 'wins'}: net PnL &gt; 0)
            </th>
            <td className={signClass(footer.realizedPnl)} data-testid="total-gross-pnl">{fmtMoney(footer.realizedPnl)}</td>
            <td className="num" data-testid="total-fees">{fmtMoney(footer.fees)}</td>
            <td className="num" data-testid="total-funding">{fmtMoney(footer.funding)}</td>
            <td className={signClass(footer.netPnl)} data-testid="total-net-pnl">{fmtMoney(footer.netPnl)}</td>
            <td colSpan={2} />
          </tr>
        </tfoot>
    </ScrollTable>
  );
}
