'use client';
/**
 * Per-tag analysis: the trades of a run or of the filtered journal grouped by strategy, exit reason,
 * side, entry hour or entry weekday (UTC), one dimension at a time behind tabs. Every group shows its
 * count, win rate (a win is net PnL > 0), net PnL (realised − fees − funding), its share of the
 * trades and its average R (net PnL over the initial risk, averaged over the trades with one). The groups are computed in the database (`engine.breakdownTrades`); this only renders them.
 */
import { useId, useState, type KeyboardEvent } from 'react';
import type { TradeBreakdown, TradeBreakdownDimension, TradeGroup } from '@/engine/ports/journal';
import { fmtNumber, fmtPct, fmtR } from './format';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const DIMENSIONS: readonly { key: TradeBreakdownDimension; label: string; column: string; format: (key: string | number) => string }[] = [
  { key: 'strategy', label: 'Strategy', column: 'Strategy', format: String },
  { key: 'exitReason', label: 'Exit reason', column: 'Exit reason', format: String },
  { key: 'side', label: 'Side', column: 'Side', format: String },
  { key: 'hourOfDay', label: 'Hour (UTC)', column: 'Entry hour (UTC)', format: (h) => `${String(h).padStart(2, '0')}:00` },
  { key: 'weekday', label: 'Weekday (UTC)', column: 'Entry weekday (UTC)', format: (d) => WEEKDAYS[Number(d) - 1] ?? String(d) },
];

const signClass = (value: number) => (value > 0 ? 'num pos' : value < 0 ? 'num neg' : 'num');

/** `breakdown` from the engine; `label` names what was grouped ("Trades of run …"); `quote` labels money when known. */
export function TradeBreakdownTabs({ breakdown, label, quote }: { breakdown: TradeBreakdown; label: string; quote?: string }) {
  const [selected, setSelected] = useState(0);
  const id = useId();
  const dimension = DIMENSIONS[selected];
  const groups: readonly TradeGroup[] = breakdown[dimension.key];
  const wins = groups.reduce((n, g) => n + g.wins, 0);
  const net = groups.reduce((n, g) => n + g.netPnl, 0);
  const money = quote ? ` (${quote})` : '';
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = (selected + step + DIMENSIONS.length) % DIMENSIONS.length;
    setSelected(next);
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };
  return (
    <div data-testid="trade-breakdown" data-trades={breakdown.trades}>
      <div role="tablist" aria-label="Group trades by" className="actions-row">
        {DIMENSIONS.map((d, i) => (
          <button
            key={d.key}
            type="button"
            role="tab"
            id={`${id}-tab-${i}`}
            aria-selected={i === selected}
            aria-controls={`${id}-panel`}
            tabIndex={i === selected ? 0 : -1}
            className={i === selected ? 'primary' : undefined}
            data-testid={`breakdown-tab-${d.key}`}
            onClick={() => setSelected(i)}
            onKeyDown={onKeyDown}
          >
            {d.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${selected}`} className="table-wrap table-wide" tabIndex={0}>
        <table data-testid="breakdown-table" data-dimension={dimension.key}>
          <caption className="sr-only">{`${label}, by ${dimension.column.toLowerCase()}`}</caption>
          <thead>
            <tr>
              <th scope="col">{dimension.column}</th>
              <th scope="col" className="num">Trades</th>
              <th scope="col" className="num">Share</th>
              <th scope="col" className="num">Win rate</th>
              <th scope="col" className="num">Net PnL{money}</th>
              <th scope="col" className="num">Net PnL per trade{money}</th>
              <th scope="col" className="num">
                <abbr title="Average R: net PnL over the risk taken at entry (entry to initial stop × amount), averaged over the trades with a stop">Avg R</abbr>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={String(g.key)} data-testid="breakdown-row" data-key={g.key} data-trades={g.trades}>
                <th scope="row">{dimension.format(g.key)}</th>
                <td className="num">{fmtNumber(g.trades, 0)}</td>
                <td className="num">{fmtPct((g.trades / breakdown.trades) * 100, 1)}</td>
                <td className="num">{fmtPct(g.winRate * 100, 1)}</td>
                <td className={signClass(g.netPnl)}>{fmtNumber(g.netPnl, 2)}</td>
                <td className={signClass(g.netPnl / g.trades)}>{fmtNumber(g.netPnl / g.trades, 2)}</td>
                <td className={g.averageR === null ? 'num' : signClass(g.averageR)} data-testid="breakdown-average-r">
                  {fmtR(g.averageR)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="breakdown-total">
              <th scope="row">All</th>
              <td className="num">{fmtNumber(breakdown.trades, 0)}</td>
              <td className="num">{fmtPct(100, 1)}</td>
              <td className="num">{fmtPct(breakdown.trades > 0 ? (wins / breakdown.trades) * 100 : null, 1)}</td>
              <td className={signClass(net)}>{fmtNumber(net, 2)}</td>
              <td className={signClass(net)}>{fmtNumber(breakdown.trades > 0 ? net / breakdown.trades : null, 2)}</td>
              <td className="num">{fmtR(null)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p className="muted">
        A win is a trade with net PnL (after fees and funding) above zero. Hours and weekdays are those of the entry, in UTC. Avg R is the mean of
        each trade&apos;s net PnL over its initial risk (entry to initial stop × amount); trades journaled without a stop count for none.
      </p>
    </div>
  );
}
