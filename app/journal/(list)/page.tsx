import { Suspense } from 'react';
import { requireRole } from '@/app/_server/auth/page-gate';
import { ValidationError } from '@/engine/core/errors';
import type { Page, TradeRecord } from '@/engine/ports/journal';
import { JournalFilters } from '../_components/journal-filters';
import { JournalNav } from '../_components/journal-nav';
import { TradeBreakdownPending, TradeBreakdownSection } from '@/app/_components/trade-breakdown-section';
import { TradesTable, type TradeSortKey } from '../_components/trades-table';
import { toTradeRow } from '../_lib/trade-row';
import { accountChoices } from '@/app/_server/account-choices';
import { firstValues, paramErrors, toJournalQuery, tradeParamsSchema, withParams } from '../_lib/journal-params';
import '../journal.css';

export const dynamic = 'force-dynamic';

const PAGE_ROWS = 50;

/** The trade journal: filters in the URL, sorted and keyset-paged on the server, CSV export of the filtered set. */
export default async function JournalPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = firstValues(await searchParams);
  const access = await requireRole('viewer', `/journal${withParams(raw, {})}`);
  // The filter's choices, read while the list is (awaited below; a failure surfaces there, not as an unhandled rejection).
  const accountsRead = accountChoices(access.root.engine);
  accountsRead.catch(() => undefined);
  const parsed = tradeParamsSchema.safeParse(raw);
  const errors: Record<string, string> = parsed.success ? {} : paramErrors(parsed.error);
  const query = parsed.success ? toJournalQuery(parsed.data) : null;
  let page: Page<TradeRecord> = { items: [], nextCursor: null };
  if (query) {
    try {
      page = await access.root.engine.listTrades({ ...query, limit: query.limit ?? PAGE_ROWS });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors[error.field] = error.message;
    }
  }
  const filters = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'cursor'));
  const key: TradeSortKey = query?.sort ?? 'time';
  const direction = query?.direction ?? 'desc';
  // The active column's link flips the direction; the others sort descending first.
  const sortLink = (column: TradeSortKey) => `/journal${withParams(filters, { sort: column, dir: column === key && direction === 'desc' ? 'asc' : 'desc' })}`;
  const sort = { key, direction, hrefs: { time: sortLink('time'), symbol: sortLink('symbol'), pnl: sortLink('pnl') } };
  const accounts = await accountsRead;
  return (
    <section className="card" aria-labelledby="journal-heading">
      <h1 id="journal-heading">Journal</h1>
      <JournalNav current="trades" />
      <JournalFilters kind="trades" action="/journal" values={raw} errors={errors} accounts={accounts} />
      {Object.keys(errors).length > 0 && (
        <p role="alert" className="error" data-testid="filter-error">
          Some filters are invalid: {Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}
        </p>
      )}
      <div className="actions-row">
        <a href={`/api/trades/export${withParams(filters, { limit: undefined })}`} download data-testid="export-csv">
          Export CSV (all matching trades)
        </a>
        {raw.cursor && <a href={`/journal${withParams(filters, {})}`}>First page</a>}
      </div>
      {page.items.length === 0 ? (
        <p className="muted" data-testid="empty-state">
          No trades match these filters. Run a backtest from <a href="/backtests">Backtests</a> or widen the filters.
        </p>
      ) : (
        <TradesTable
          trades={page.items.map(toTradeRow)}
          caption="Trades, sorted on the server"
          sort={sort}
        />
      )}
      {/* Streamed after the table: the breakdown groups every matching trade (cached per journal version). */}
      {query && (
        <Suspense fallback={<TradeBreakdownPending />}>
          <TradeBreakdownSection engine={access.root.engine} filter={query} label="Journal trades matching the filters" />
        </Suspense>
      )}
      <nav className="pager" aria-label="Pages">
        {page.nextCursor && (
          <a href={`/journal${withParams(raw, { cursor: page.nextCursor })}`} data-testid="next-page" rel="next">
            Next page
          </a>
        )}
      </nav>
    </section>
  );
}
