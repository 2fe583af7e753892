import { describeRunModels } from '@/app/_components/models/model-form';
import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { toAppError } from '@/app/_server/auth/app-error';
import type { Engine } from '@/engine/engine';
import { formatTime } from '@/app/_components/format';
import { DriftProblem, DriftReportView } from '../_components/drift-report';
import { decodeSessionIdSegment, liveSessionHref } from '../_lib/session-id-param';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { HaltBadge, PositionsPanel } from '@/app/accounts/_components/account-panels';
import { sessionAccountOf, sessionModeOf } from '@/engine/live/session-window';
import { StrategyProvenanceList } from '@/app/_components/strategy-provenance';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

type Report = Awaited<ReturnType<Engine['liveDrift']>>;

/**
 * One live (or paper) session against a backtest replay of the same period and config: where
 * live fills, fees, funding and timing departed from the simulation, per trade and per cause.
 */
export default async function LiveSessionPage({ params }: { params: Promise<{ id: string }> }) {
  const id = decodeSessionIdSegment((await params).id);
  const access = await requireRole('viewer', liveSessionHref(id));
  const session = await access.root.engine.getLiveSession(id);
  // HTTP 404 with ./not-found.tsx.
  if (!session) notFound();
  let report: Report | null = null;
  let problem: string | null = null;
  try {
    report = await access.root.engine.liveDrift(id);
  } catch (error) {
    // The same table as the API: input problems (no candles yet, nothing processed) are shown; anything else goes to error.tsx.
    const appError = toAppError(error);
    if (appError.status >= 500) throw error;
    problem = appError.message;
  }
  const accountId = sessionAccountOf(session);
  const mode = sessionModeOf(session);
  // The account may have been deleted from under an old session: show the session anyway.
  const account = await access.root.engine.accounts.view(accountId).catch(() => null);
  const canTrade = roleAtLeast(access.actor.role, 'trader');
  // The run spec the session resolved at its start (with each strategy's source, version and hash); older sessions: the request.
  const strategies = <StrategyProvenanceList config={session.spec ?? session.config} />;
  const liveTrades = report ? report.rows.length + report.onlyLive.length : 0;
  return (
    <>
      <section className="card" aria-labelledby="session-heading">
        <p>
          <a href="/live">← Live sessions</a>
        </p>
        <h1 id="session-heading">
          {session.exchange} {session.symbol} {session.timeframe} · <span className="badge" data-testid="session-status">{session.state?.status ?? session.status}</span>
        </h1>
        <dl className="kv" data-testid="session-summary">
          <dt>Session id</dt>
          <dd><code>{session.id}</code></dd>
          <dt>Mode</dt>
          <dd data-testid="session-mode">{mode === 'live' ? 'LIVE (real venue)' : mode === 'replay' ? 'replay of stored candles (paper fills)' : 'paper (dry run)'}</dd>
          <dt>Account</dt>
          <dd data-testid="session-account">
            <a href={`/accounts/${accountId}`}>{account?.account.settings.name ?? accountId}</a> <code className="muted">{accountId}</code>{' '}
            {account ? <HaltBadge risk={account.risk} /> : <span className="muted">(account not found)</span>}
          </dd>
          <dt>Strategies</dt>
          <dd>{strategies}</dd>
          <dt>Models</dt>
          <dd data-testid="session-models">
            {describeRunModels((session.spec as { models?: unknown } | null | undefined)?.models).length === 0 ? (
              'none (regime, volatility and stop-distance models off)'
            ) : (
              <ul className="plain-list">
                {describeRunModels((session.spec as { models?: unknown } | null | undefined)?.models).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </dd>
          <dt>Started / last candle</dt>
          <dd>{formatTime(session.startedAtMs)} / {formatTime(session.state?.lastCandleMs ?? session.lastCandleMs)}</dd>
          {report && (
            <>
              <dt>Replayed</dt>
              <dd>
                {formatTime(report.fromMs)} to {formatTime(report.toMs)} (exclusive), {report.candles} candles with warm-up
              </dd>
              <dt>Trades</dt>
              <dd data-testid="trade-counts">
                {liveTrades} live, {report.rows.length + report.onlySimulated.length} in the replay, {report.rows.length} matched
              </dd>
            </>
          )}
          {(session.state?.lastError ?? session.lastError) && (
            <>
              <dt>Last error</dt>
              <dd className="error">{session.state?.lastError ?? session.lastError}</dd>
            </>
          )}
        </dl>
      </section>
      {account && mode !== 'live' ? <PositionsPanel view={account} canTrade={canTrade} symbol={session.symbol} /> : null}
      {problem !== null ? (
        <DriftProblem message={problem} market={session} startedAtMs={session.startedAtMs} />
      ) : report ? (
        <DriftReportView report={report} />
      ) : null}
    </>
  );
}
