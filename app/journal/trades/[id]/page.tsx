import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { formatNumber, formatTime, signClass } from '../../_lib/format';
import { ChainStep } from '../../_components/chain-step';
import '../../journal.css';

export const dynamic = 'force-dynamic';

/** A trade and the decision chain that opened and closed it. */
export default async function TradePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await requireRole('viewer', `/journal/trades/${encodeURIComponent(id)}`);
  const chain = await access.root.engine.decisionChain(id);
  // HTTP 404 with ./not-found.tsx.
  if (!chain) notFound();
  const { trade } = chain;
  return (
    <>
      <section className="card" aria-labelledby="trade-heading">
        <p>
          <a href="/journal">← Journal</a>
        </p>
        <h1 id="trade-heading">
          {trade.side} {trade.symbol} · <span className={signClass(trade.realizedPnl)}>{formatNumber(trade.realizedPnl, 4)}</span>
        </h1>
        <dl className="kv" data-testid="trade-summary">
          <dt>Trade id</dt>
          <dd><code>{trade.id}</code></dd>
          <dt>Run</dt>
          <dd>{trade.runId ? <a href={`/backtests/${encodeURIComponent(trade.runId)}`}>{trade.runId}</a> : 'live'}</dd>
          <dt>Exchange</dt>
          <dd>{trade.exchange}</dd>
          <dt>Strategy</dt>
          <dd>{trade.strategy}</dd>
          <dt>Amount</dt>
          <dd>{formatNumber(trade.amount, 8)}</dd>
          <dt>Entry</dt>
          <dd>{formatNumber(trade.entryPrice, 8)} at {formatTime(trade.entryTimeMs)}</dd>
          <dt>Exit</dt>
          <dd>{formatNumber(trade.exitPrice, 8)} at {formatTime(trade.exitTimeMs)} ({trade.exitReason})</dd>
          <dt>Fees / funding</dt>
          <dd>{formatNumber(trade.fees, 6)} / {formatNumber(trade.funding, 6)}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="chain-heading">
        <h2 id="chain-heading">Decision chain</h2>
        <p className="muted">
          Decisions on {trade.symbol} in {trade.runId ? 'this run' : 'live trading'} from the entry decision ({formatTime(chain.entryDecisionTimeMs)}) to the exit, oldest first.
          {chain.truncated ? ' Only the first 1000 are shown.' : ''}
        </p>
        {chain.decisions.length === 0 ? (
          <p data-testid="chain-empty">No decisions were journaled for this trade (the run journaled no decisions).</p>
        ) : (
          <ol className="chain" data-testid="decision-chain">
            {chain.decisions.map((d) => (
              <ChainStep key={d.id} d={d} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
