import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { fmtNumber, fmtTime } from '@/app/_components/format';
import { ACCOUNT_ID_PATTERN } from '@/engine/account/account-config';
import { NotFoundError, ValidationError } from '@/engine/core/errors';
import { liveSessionHref } from '@/app/live/_lib/session-id-param';
import { AccountFigures, GlobalHaltPanel, OpenOrdersPanel, PositionsPanel, RiskPanel, ValueAtRiskPanel } from '../_components/account-panels';
import { EditAccountForm } from '../_components/account-forms';
import { sessionAccountOf } from '@/engine/live/session-window';
import { TradeBreakdownPending, TradeBreakdownSection } from '@/app/_components/trade-breakdown-section';
import { Suspense } from 'react';

export const dynamic = 'force-dynamic';

/** One account: figures, risk state with halt/resume, positions with force exit, open orders, its sessions; admins edit settings and limits. */
export default async function AccountPage({ params }: { params: Promise<{ id: string }> }) {
  const id = decodeURIComponent((await params).id);
  const access = await requireRole('viewer', `/accounts/${encodeURIComponent(id)}`);
  const { root, actor } = access;
  if (!ACCOUNT_ID_PATTERN.test(id)) notFound();
  let view;
  try {
    view = await root.engine.accounts.view(id);
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    // A venue account whose venue cannot be read right now: say why, keep the rest of the app usable.
    if (error instanceof ValidationError) {
      return (
        <section className="card" aria-labelledby="account-heading">
          <p>
            <a href="/accounts">← Accounts</a>
          </p>
          <h1 id="account-heading">
            Account <code className="muted">{id}</code>
          </h1>
          <p className="error" role="alert" data-testid="account-error">
            {error.message}
          </p>
        </section>
      );
    }
    throw error;
  }
  const [halt, limits, sessions] = await Promise.all([root.engine.accounts.globalHalt(), root.engine.accounts.riskLimits(id), root.engine.listLiveSessions()]);
  const own = sessions.filter((s) => sessionAccountOf(s) === id);
  const canTrade = roleAtLeast(actor.role, 'trader');
  const s = view.account.settings;
  return (
    <>
      <section className="card" aria-labelledby="account-heading">
        <p>
          <a href="/accounts">← Accounts</a>
        </p>
        <h1 id="account-heading">
          {s.name} <code className="muted">{view.account.id}</code>
        </h1>
        <p className="muted">
          {view.account.kind === 'venue' ? `Venue account on ${view.account.venue} (figures read from the venue at ${fmtTime(view.asOfMs)} UTC): ` : 'Paper '}
          {s.marketType}
          {s.marketType === 'futures' ? `, ${fmtNumber(s.leverage, 0)}× ${s.marginMode} margin` : ''}; fees {fmtNumber(s.makerFeeBps, 1)} / {fmtNumber(s.takerFeeBps, 1)} bps maker / taker,
          spread {fmtNumber(s.spreadBps, 1)} bps, slippage {fmtNumber(s.slippageBps, 1)} bps. Settings last changed {fmtTime(view.account.updatedAtMs)} UTC
          {view.account.updatedBy ? ` by ${view.account.updatedBy}` : ''}.
        </p>
        <AccountFigures view={view} />
        {view.account.kind === 'paper' ? (
          <p>
            <a href={`/what-if?account=${encodeURIComponent(view.account.id)}`} data-testid="account-what-if">
              What-if: preview a manual order on this account{canTrade ? ', then place it' : ''}
            </a>
          </p>
        ) : null}
      </section>
      <RiskPanel view={view} canTrade={canTrade} />
      <ValueAtRiskPanel view={view} />
      <PositionsPanel view={view} canTrade={canTrade} />
      <OpenOrdersPanel view={view} />
      <section className="card" aria-labelledby="account-sessions-heading" data-testid="account-sessions">
        <h2 id="account-sessions-heading">Sessions trading this account</h2>
        {own.length === 0 ? (
          <p className="muted">
            No sessions. Start one on the <a href="/live">Live page</a>.
          </p>
        ) : (
          <ul>
            {own.map((session) => (
              <li key={session.id}>
                <a href={liveSessionHref(session.id)}>
                  {session.exchange} {session.symbol} {session.timeframe}
                </a>{' '}
                <span className="badge">{session.state?.status ?? session.status}</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={`/journal?account=${encodeURIComponent(view.account.id)}`} data-testid="account-journal-link">
            Trades of this account&apos;s sessions
          </a>{' '}
          · <a href={`/journal/decisions?account=${encodeURIComponent(view.account.id)}`}>its decisions</a>
        </p>
      </section>
      {/* Its sessions' closed trades grouped by strategy, exit reason, side, hour and weekday (streamed: the grouping may take a moment). */}
      <Suspense fallback={<TradeBreakdownPending />}>
        <TradeBreakdownSection engine={root.engine} filter={{ runId: null, accountId: view.account.id }} label={`Trades of account ${view.account.id}'s sessions`} card />
      </Suspense>
      <GlobalHaltPanel halt={halt} canTrade={canTrade} />
      {roleAtLeast(actor.role, 'admin') && (
        <section className="card" aria-labelledby="edit-account-heading">
          <h2 id="edit-account-heading">Settings and risk limits</h2>
          <EditAccountForm account={view.account} limits={limits} />
        </section>
      )}
    </>
  );
}
