import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { WhatIfForm } from '@/app/_components/settings/what-if-form';
import { placePaperOrder, previewOrder } from './actions';

export const dynamic = 'force-dynamic';

/** What-if for a manual paper order, then placing it through the same risk gate (trader). */
export default async function WhatIfPage() {
  const access = await requireRole('viewer', '/what-if');
  const { root, actor } = access;
  const streams = await root.engine.listCandleStreams();
  const symbols = [...new Set(streams.map((s) => s.symbol))].sort();
  const first = streams.find((s) => s.symbol === symbols[0]);
  let lastClose: number | null = null;
  if (first) {
    const w = await root.engine.candleWindow(first, first.lastOpenTimeMs, first.lastOpenTimeMs + 1, 2);
    lastClose = w.candles[w.candles.length - 1]?.close ?? null;
  }
  return (
    <section className="card" aria-labelledby="what-if-heading">
      <h1 id="what-if-heading">What-if: manual paper order</h1>
      <p className="muted">
        Sizing, margin, liquidation price, loss at the stop and breaker headroom come from the live risk settings and state; the preview sends nothing.
      </p>
      {symbols.length === 0 ? (
        <p className="muted" data-testid="what-if-empty">No markets yet: import candles first.</p>
      ) : (
        <WhatIfForm
          symbols={symbols}
          defaults={{ symbol: symbols[0], price: lastClose }}
          preview={previewOrder}
          place={placePaperOrder}
          canPlace={roleAtLeast(actor.role, 'trader')}
          spot={root.config.marketType === 'spot'}
        />
      )}
    </section>
  );
}
