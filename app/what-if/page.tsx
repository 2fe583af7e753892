import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { WhatIfForm, type WhatIfAccountOption } from '@/app/_components/settings/what-if-form';
import { AccountKind } from '@/engine/ports/accounts';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { placePaperOrder, previewOrder } from './actions';

export const dynamic = 'force-dynamic';

/** What-if for a manual paper order on a paper account (`?account=`, the default one otherwise), then placing it through the account's risk gate (trader). */
export default async function WhatIfPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const requested = (await searchParams).account;
  const accountId = typeof requested === 'string' && requested !== '' ? requested : DEFAULT_ACCOUNT_ID;
  const access = await requireRole('viewer', accountId === DEFAULT_ACCOUNT_ID ? '/what-if' : `/what-if?account=${encodeURIComponent(accountId)}`);
  const { root, actor } = access;
  const [streams, records] = await Promise.all([root.engine.listCandleStreams(), root.engine.accounts.list()]);
  // Manual orders go to paper accounts; a venue account's are placed on the venue.
  const accounts: WhatIfAccountOption[] = records
    .filter((r) => r.kind === AccountKind.Paper)
    .map((r) => ({ id: r.id, name: r.settings.name, marketType: r.settings.marketType, leverage: r.settings.leverage }));
  const symbols = [...new Set(streams.map((s) => s.symbol))].sort();
  // Each symbol's last stored close (of its most recent stream): the entry price the form starts from for it.
  const lastCloses: Record<string, number | null> = Object.fromEntries(
    await Promise.all(
      symbols.map(async (symbol) => {
        const stream = streams.filter((s) => s.symbol === symbol).sort((a, b) => b.lastOpenTimeMs - a.lastOpenTimeMs)[0];
        const w = await root.engine.candleWindow(stream, stream.lastOpenTimeMs, stream.lastOpenTimeMs + 1, 2);
        return [symbol, w.candles[w.candles.length - 1]?.close ?? null] as const;
      }),
    ),
  );
  const known = accounts.some((a) => a.id === accountId);
  return (
    <section className="card" aria-labelledby="what-if-heading">
      <h1 id="what-if-heading">What-if: manual paper order</h1>
      <p className="muted">
        Sizing, margin, liquidation price, loss at the stop and breaker headroom come from the chosen account&apos;s risk limits, fee model and state; the preview sends
        nothing.
      </p>
      {!known ? (
        <p className="error" role="alert" data-testid="what-if-unknown-account">
          No paper account has the id &quot;{accountId}&quot;. Pick one on the <a href="/accounts">Accounts page</a> or use the <a href="/what-if">default account</a>.
        </p>
      ) : symbols.length === 0 ? (
        <p className="muted" data-testid="what-if-empty">No markets yet: import candles first.</p>
      ) : (
        <WhatIfForm
          accounts={accounts}
          symbols={symbols}
          defaults={{ accountId, symbol: symbols[0], lastCloses }}
          preview={previewOrder}
          place={placePaperOrder}
          canPlace={roleAtLeast(actor.role, 'trader')}
        />
      )}
    </section>
  );
}
