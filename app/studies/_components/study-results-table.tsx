'use client';
import { useState } from 'react';
import { fmtMoney, fmtNumber, fmtPct } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import type { StudyTrialView } from '@/engine/research/study';
import { describeParams, sortTrials, variedParams, type TrialSortKey } from '../_lib/study-grid';

const COLUMNS: { key: TrialSortKey; label: string }[] = [
  { key: 'objective', label: 'Objective' },
  { key: 'sharpe', label: 'Sharpe' },
  { key: 'netProfit', label: 'Net profit' },
  { key: 'maxDrawdownPct', label: 'Max drawdown' },
  { key: 'trades', label: 'Trades' },
];

/**
 * The full-range search's trials, best objective first; every numeric column sorts (click again to
 * reverse). Sharpe with 2 decimals, net profit in the quote currency, drawdown in percent.
 */
export function StudyResultsTable({ trials, quote, objective, bestIndex, showRung }: { trials: StudyTrialView[]; quote: string; objective: string; bestIndex: number | null; showRung: boolean }) {
  const [sort, setSort] = useState<{ key: TrialSortKey; direction: 'asc' | 'desc' }>({ key: 'objective', direction: 'desc' });
  const rows = sortTrials(trials, sort.key, sort.direction);
  // The parameters column shows what varied; the ones every trial shared are listed once above.
  const varied = variedParams(trials);
  const shown = (params: Record<string, unknown>) => (varied.length === 0 ? params : Object.fromEntries(Object.entries(params).filter(([k]) => varied.includes(k))));
  const held = trials.length > 0 && varied.length > 0 ? Object.fromEntries(Object.entries(trials[0].params).filter(([k]) => !varied.includes(k))) : {};
  const header = (key: TrialSortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" className="num" key={key} aria-sort={active ? (sort.direction === 'desc' ? 'descending' : 'ascending') : 'none'}>
        <button
          type="button"
          className="sort-button"
          data-testid={`sort-${key}`}
          onClick={() => setSort({ key, direction: active && sort.direction === 'desc' ? 'asc' : 'desc' })}
        >
          {label}
          {key === 'objective' ? ` (${objective})` : key === 'netProfit' ? ` (${quote})` : ''}
          {active ? (sort.direction === 'desc' ? ' ↓' : ' ↑') : ''}
        </button>
      </th>
    );
  };
  return (
    <>
      {Object.keys(held).length > 0 && (
        <p className="muted" data-testid="held-params">
          Held in every trial: {describeParams(held)}.
        </p>
      )}
      <ScrollTable label="Study trials" wide data-testid="trials-table">
        <caption className="sr-only">Every trial of the search over the whole range; sortable by objective and metrics</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              #
            </th>
            {showRung && <th scope="col">Rung</th>}
            <th scope="col">Parameters</th>
            {COLUMNS.map((c) => header(c.key, c.label))}
            <th scope="col" className="num">
              Win rate
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={`${t.rung ?? 0}:${t.index}`} data-testid="trial-row" data-best={t.index === bestIndex ? 'true' : undefined}>
              <td className="num">{t.index}</td>
              {showRung && <td>{t.rung ?? '—'}</td>}
              <td>
                {describeParams(shown(t.params))}
                {t.index === bestIndex && (
                  <>
                    {' '}
                    <span className="badge ok">best</span>
                  </>
                )}
              </td>
              <td className="num" data-testid="trial-objective">
                {t.objective === null ? <span title="below the minimum trades, or undefined">—</span> : fmtNumber(t.objective, objective === 'netProfit' ? 2 : 3)}
              </td>
              <td className="num">{fmtNumber(t.metrics.sharpe, 2)}</td>
              <td className="num">{fmtMoney(t.metrics.netProfit)}</td>
              <td className="num">{fmtPct(t.metrics.maxDrawdownPct)}</td>
              <td className="num">{t.metrics.trades}</td>
              <td className="num">{t.metrics.winRate === null ? '—' : fmtPct(t.metrics.winRate * 100, 1)}</td>
            </tr>
          ))}
        </tbody>
      </ScrollTable>
    </>
  );
}
