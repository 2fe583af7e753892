import { requireRole } from '@/app/_server/auth/page-gate';
import { ValidationError } from '@/engine/core/errors';
import type { DecisionRecord, Page } from '@/engine/core/ports';
import { JournalFilters } from '../_components/journal-filters';
import { JournalNav } from '../_components/journal-nav';
import { formatNumber, formatTime } from '../_lib/format';
import { decisionParamsSchema, firstValues, paramErrors, toJournalQuery, withParams } from '../_lib/journal-params';
import '../journal.css';

export const dynamic = 'force-dynamic';

const PAGE_ROWS = 50;

/** The veto verdict of a decision, when its inputs carry one. */
function vetoNote(inputs: Record<string, unknown>): string | null {
  const veto = inputs.veto as { modelVersion?: unknown; lossProbability?: unknown; threshold?: unknown } | undefined;
  if (!veto || typeof veto !== 'object') return null;
  return `veto ${String(veto.modelVersion ?? '?')}: p(loss) ${formatNumber(veto.lossProbability, 4)} vs ${formatNumber(veto.threshold, 4)}`;
}

/** Failed risk checks of a decision, when its inputs carry them. */
function failedChecks(inputs: Record<string, unknown>): string | null {
  const risk = inputs.risk;
  if (!Array.isArray(risk)) return null;
  const failed = risk.filter((c) => c && typeof c === 'object' && (c as { passed?: unknown }).passed === false) as { name: string; value: number; limit: number }[];
  return failed.length ? failed.map((c) => `${c.name} ${formatNumber(c.value, 4)} > ${formatNumber(c.limit, 4)}`).join(', ') : null;
}

/** The decision log: every decision incl. no-trade, vetoed and denied ones, with reasons; filters in the URL. */
export default async function DecisionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = firstValues(await searchParams);
  const access = await requireRole('viewer', `/journal/decisions${withParams(raw, {})}`);
  if (!access.ok) return access.forbidden;
  const parsed = decisionParamsSchema.safeParse(raw);
  const errors: Record<string, string> = parsed.success ? {} : paramErrors(parsed.error);
  let page: Page<DecisionRecord> = { items: [], nextCursor: null };
  if (parsed.success) {
    const query = toJournalQuery(parsed.data);
    try {
      page = await access.root.engine.listDecisions({ ...query, limit: query.limit ?? PAGE_ROWS });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors[error.field] = error.message;
    }
  }
  return (
    <section className="card" aria-labelledby="decisions-heading">
      <h1 id="decisions-heading">Decision log</h1>
      <JournalNav current="decisions" />
      <JournalFilters kind="decisions" action="/journal/decisions" values={raw} errors={errors} />
      {Object.keys(errors).length > 0 && (
        <p role="alert" className="error" data-testid="filter-error">
          Some filters are invalid: {Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}
        </p>
      )}
      {page.items.length === 0 ? (
        <p className="muted" data-testid="empty-state">No decisions match these filters.</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="decisions-table">
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
              {page.items.map((d) => {
                const veto = vetoNote(d.inputs);
                const failed = failedChecks(d.inputs);
                return (
                  <tr key={d.id} data-testid="decision-row" data-outcome={d.outcome}>
                    <td className="nowrap">{formatTime(d.timeMs)}</td>
                    <td>{d.symbol}</td>
                    <td>{d.strategy}</td>
                    <td><span className="badge">{d.outcome.replace('_', ' ')}</span></td>
                    <td>{d.side}</td>
                    <td className="num">{formatNumber(d.strength, 3)}</td>
                    <td>
                      {d.reason}
                      {veto && <div className="muted">{veto}</div>}
                      {failed && <div className="muted">failed checks: {failed}</div>}
                    </td>
                    <td>{d.runId ? <a href={`/backtests/${encodeURIComponent(d.runId)}`}>{d.runId.slice(0, 8)}</a> : 'live'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        {raw.cursor && <a href={`/journal/decisions${withParams(raw, { cursor: undefined })}`}>First page</a>}
        {page.nextCursor && (
          <a href={`/journal/decisions${withParams(raw, { cursor: page.nextCursor })}`} data-testid="next-page" rel="next">
            Next page
          </a>
        )}
      </nav>
    </section>
  );
}
