import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { fmtAmount, fmtMoney, fmtPrice, fmtR, formatNumber, formatTime, netPnlClass, signClass } from '@/app/_components/format';
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
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
  const netPnl = tradeNetPnl(trade);
  return (
    <>
      <section className="card" aria-labelledby="trade-heading">
        <p>
          <a href="/journal">← Journal</a>
        </p>
        <h1 id="trade-heading">
          {trade.side} {trade.symbol} · <span className={netPnlClass(netPnl)}>net {fmtMoney(netPnl)}</span>
        </h1>
        <dl className="kv" data-testid="trade-summary">
          <dt>Trade id</dt>
          <dd><code>{trade.id}</code></dd>
          <dt>Run</dt>
          <dd>{trade.runId ? <a href={`/backtests/${encodeURIComponent(trade.runId)}`}>{trade.runId}</a> : 'live'}</dd>
          {trade.accountId && (
            <>
              <dt>Account</dt>
              <dd>
                <a href={`/accounts/${encodeURIComponent(trade.accountId)}`}>{trade.accountId}</a>
              </dd>
            </>
          )}
          <dt>Exchange</dt>
          <dd>{trade.exchange}</dd>
          <dt>Strategy</dt>
          <dd>{trade.strategy}</dd>
          <dt>Amount</dt>
          <dd>{fmtAmount(trade.amount)}</dd>
          <dt>Entry</dt>
          <dd>{fmtPrice(trade.entryPrice)} at {formatTime(trade.entryTimeMs)}</dd>
          <dt>Exit</dt>
          <dd>{fmtPrice(trade.exitPrice)} at {formatTime(trade.exitTimeMs)} ({trade.exitReason})</dd>
          <dt>Gross PnL</dt>
          <dd className={signClass(trade.realizedPnl)}>{fmtMoney(trade.realizedPnl)}</dd>
          <dt>Fees / funding</dt>
          <dd>{fmtMoney(trade.fees)} / {fmtMoney(trade.funding)}</dd>
          <dt>Net PnL (gross − fees − funding)</dt>
          <dd className={netPnlClass(netPnl)} data-testid="trade-net-pnl">{fmtMoney(netPnl)}</dd>
          <dt><abbr title="Entry to initial stop × amount">Initial risk</abbr></dt>
          <dd data-testid="trade-initial-risk">
            {trade.initialRisk == null ? 'not recorded' : `${fmtMoney(trade.initialRisk)} → ${fmtR(trade.initialRisk > 0 ? netPnl / trade.initialRisk : null)}`}
          </dd>
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
