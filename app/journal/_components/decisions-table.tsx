'use client';
/**
 * The decision log table. A client component for the same reason as the trades table: the rows
 * travel once as compact props instead of as a serialised element tree that is rendered twice.
 */
import { formatNumber, formatTime } from '@/app/_components/format';
import type { DecisionRow } from '../_lib/decision-row';
import { ScrollTable } from '@/app/_components/scroll-table';

export function DecisionsTable({ decisions }: { decisions: readonly DecisionRow[] }) {
  return (
    <ScrollTable label="Decisions" wide data-testid="decisions-table">
        <caption className="sr-only">Decisions, newest first unless sorted otherwise</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Symbol</th>
            <th scope="col">Strategy</th>
            <th scope="col">Outcome</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Strength</th>
            <th scope="col">Reason</th>
            <th scope="col">Run</th>
          </tr>
        </thead>
        <tbody>
          {decisions.map((d) => (
            <tr key={d.id} data-testid="decision-row" data-outcome={d.outcome}>
              <td className="nowrap">{formatTime(d.timeMs)}</td>
              <td>{d.symbol}</td>
              <td>{d.strategy}</td>
              <td>
                <span className="badge">{d.outcome.replace('_', ' ')}</span>
              </td>
              <td>{d.side}</td>
              <td className="num">{formatNumber(d.strength, 3)}</td>
              <td>
                {d.reason}
                {d.veto && <div className="muted">{d.veto}</div>}
                {d.models && <div className="muted">{d.models}</div>}
                {d.failedChecks && <div className="muted">failed checks: {d.failedChecks}</div>}
              </td>
              <td>
                {d.runId ? <a href={`/backtests/${encodeURIComponent(d.runId)}`}>{d.runId.slice(0, 8)}</a> : 'live'} ·{' '}
                <a href={d.chartHref} data-testid="decision-chart-link" aria-label={`Decision ${d.symbol} ${formatTime(d.timeMs)}: show on chart`}>chart</a>
              </td>
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}
