import { requireRole } from '@/app/_server/auth/page-gate';
import { ValidationError } from '@/engine/core/errors';
import type { DecisionRecord, Page } from '@/engine/ports/journal';
import { JournalFilters } from '../_components/journal-filters';
import { JournalNav } from '../_components/journal-nav';
import { DecisionsTable } from '../_components/decisions-table';
import { toDecisionRow } from '../_lib/decision-row';
import { accountChoices } from '@/app/_server/account-choices';
import { decisionParamsSchema, firstValues, paramErrors, toJournalQuery, withParams } from '../_lib/journal-params';
import '../journal.css';

export const dynamic = 'force-dynamic';

const PAGE_ROWS = 50;

/** The decision log: every decision incl. no-trade, vetoed and denied ones, with reasons; filters in the URL. */
export default async function DecisionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = firstValues(await searchParams);
  const access = await requireRole('viewer', `/journal/decisions${withParams(raw, {})}`);
  // The filter's choices, read while the list is (awaited below; a failure surfaces there, not as an unhandled rejection).
  const accountsRead = accountChoices(access.root.engine);
  accountsRead.catch(() => undefined);
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
  const accounts = await accountsRead;
  return (
    <section className="card" aria-labelledby="decisions-heading">
      <h1 id="decisions-heading">Decision log</h1>
      <JournalNav current="decisions" />
      <JournalFilters kind="decisions" action="/journal/decisions" values={raw} errors={errors} accounts={accounts} />
      {Object.keys(errors).length > 0 && (
        <p role="alert" className="error" data-testid="filter-error">
          Some filters are invalid: {Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}
        </p>
      )}
      {page.items.length === 0 ? (
        <p className="muted" data-testid="empty-state">No decisions match these filters.</p>
      ) : (
        <DecisionsTable decisions={page.items.map(toDecisionRow)} />
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
