/**
 * Server part of the per-tag analysis: asks the engine for the breakdown of a run's trades or of the
 * journal's filtered trades (computed in the database) and renders it in a titled section with
 * {@link TradeBreakdownTabs}. Mounted by the backtest run page and the journal page.
 */
import type { Engine } from '@/engine/engine';
import { ValidationError } from '@/engine/core/errors';
import type { TradeBreakdownFilter } from '@/engine/ports/journal';
import { TradeBreakdownTabs } from './trade-breakdown';

const HEADING_ID = 'breakdown-heading';

/**
 * What the breakdown's place shows while it is computed (a Suspense fallback): the same heading, so
 * the page does not jump, and a busy note. Grouping every matching trade can take a second after the
 * journal changed (cached until the next change), and the trade table above it should not wait.
 */
export function TradeBreakdownPending() {
  return (
    <section style={{ marginTop: '1.5rem' }} aria-labelledby={HEADING_ID} aria-busy="true" data-testid="breakdown-pending">
      <h2 id={HEADING_ID}>Results by tag</h2>
      <p className="muted">Grouping the trades…</p>
    </section>
  );
}

/**
 * `filter` selects the trades like the trade list (a run id, or the journal's filters; paging and
 * sort keys are ignored). A filter the engine refuses renders nothing: the page names the bad filter.
 */
export async function TradeBreakdownSection({ engine, filter, label, card = false }: { engine: Pick<Engine, 'breakdownTrades'>; filter: TradeBreakdownFilter & { sort?: unknown; direction?: unknown; limit?: unknown; cursor?: unknown }; label: string; card?: boolean }) {
  const { sort: _sort, direction: _direction, limit: _limit, cursor: _cursor, ...scope } = filter;
  let breakdown;
  try {
    breakdown = await engine.breakdownTrades(scope);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
  return (
    <section className={card ? 'card' : undefined} style={card ? undefined : { marginTop: '1.5rem' }} aria-labelledby={HEADING_ID} data-testid="breakdown-section">
      <h2 id={HEADING_ID}>Results by tag</h2>
      {breakdown.trades === 0 ? <p className="muted" data-testid="breakdown-empty">No closed trades to group.</p> : <TradeBreakdownTabs breakdown={breakdown} label={label} />}
    </section>
  );
}
