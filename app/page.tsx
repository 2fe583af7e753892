import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { requireRole } from '@/app/_server/auth/page-gate';
import { OverviewLive } from '@/app/_components/overview/overview-live';
import type { AccountOverview } from '@/engine/account/overview';
import { PageLoading } from '@/app/_components/page-states';
import type { Root } from '@/app/_server/root';
import { Suspense } from 'react';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { GlobalHaltPanel } from '@/app/accounts/_components/account-panels';
import { NextSteps } from '@/app/_components/overview/next-steps';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * Home / overview: the next steps on a fresh install (or right after setup, `?welcome=1`), engine
 * state, candle streams, then the live paper-account overview (polled).
 */
export default async function HomePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await requireRole('viewer', '/');
  const welcome = (await searchParams).welcome === '1';
  const { root, actor } = access;
  const canTrade = roleAtLeast(actor.role, 'trader');
  const [health, streams, globalHalt] = await Promise.all([root.health(), root.engine.listCandleStreams(), root.engine.accounts.globalHalt()]);
  return (
    <>
      {(welcome || streams.length === 0) && <NextSteps hasCandles={streams.length > 0} isAdmin={roleAtLeast(actor.role, 'admin')} />}
      <section className="card" aria-labelledby="engine-heading">
        <h1 id="engine-heading">Engine</h1>
        <p>
          State: <span className={`badge ${health.engine === 'running' ? 'ok' : 'warn'}`} data-testid="engine-state">{health.engine}</span>{' '}
          Database: <span className="badge" data-testid="database-kind">{health.database.kind}</span>{' '}
          <span className="muted">schema {health.schemaVersion ?? 'unknown'} · v{health.version}</span>
        </p>
      </section>
      <section className="card" aria-labelledby="candles-heading">
        <h2 id="candles-heading">Candles loaded</h2>
        {streams.length === 0 ? (
          <p className="muted" data-testid="candles-empty">
            No candles yet. Upload a CSV file or download candles from an exchange on the <a href="/markets">Markets</a> page (the server keeps running).
          </p>
        ) : (
          <ScrollTable label="Candles loaded" data-testid="candle-streams">
            <thead>
              <tr><th scope="col">Exchange</th><th scope="col">Symbol</th><th scope="col">Timeframe</th><th scope="col">Candles</th><th scope="col">First</th><th scope="col">Last</th></tr>
            </thead>
            <tbody>
              {streams.map((s) => (
                <tr key={`${s.exchange}|${s.symbol}|${s.timeframe}`} data-testid="candle-stream-row">
                  <td>{s.exchange}</td><td>{s.symbol}</td><td>{s.timeframe}</td>
                  <td data-testid="candle-count">{s.count}</td>
                  <td>{iso(s.firstOpenTimeMs)}</td><td>{iso(s.lastOpenTimeMs)}</td>
                </tr>
              ))}
            </tbody>
          </ScrollTable>
        )}
      </section>
      <Suspense fallback={<PageLoading what="the account overview" />}>
        <Overview root={root} canTrade={canTrade} />
      </Suspense>
      <GlobalHaltPanel halt={globalHalt} canTrade={canTrade} />
    </>
  );
}

/** The paper-account overview, streamed after the sections above; the client then polls /api/overview. */
async function Overview({ root, canTrade }: { root: Root; canTrade: boolean }) {
  // Same shape as the polled JSON (NaN -> null), so the first render and the refreshes agree.
  const [overview, account] = await Promise.all([root.engine.overview(), root.engine.accounts.get(DEFAULT_ACCOUNT_ID)]);
  const initial = JSON.parse(JSON.stringify(overview)) as AccountOverview;
  return <OverviewLive initial={initial} canTrade={canTrade} quote={account.settings.quoteCurrency} />;
}
