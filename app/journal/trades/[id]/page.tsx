import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import type { DecisionRecord } from '@/engine/ports/journal';
import { fmtAmount, fmtMoney, fmtPrice, formatNumber, formatTime, netPnlClass, signClass } from '@/app/_components/format';
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
import '../../journal.css';

export const dynamic = 'force-dynamic';

interface AdapterInput {
  strategy?: string;
  side?: string;
  strength?: number;
  stopHint?: number | null;
  reason?: string;
}

interface RiskCheckInput {
  name?: string;
  value?: number;
  limit?: number;
  passed?: boolean;
}

function Adapters({ adapters }: { adapters: AdapterInput[] }) {
  return (
    <div className="table-scroll">
      <table>
        <caption className="sr-only">Adapter signals</caption>
        <thead>
          <tr>
            <th scope="col">Adapter</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Strength</th>
            <th scope="col" className="num">Stop hint</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {adapters.map((a, i) => (
            <tr key={`${a.strategy}-${i}`}>
              <td>{a.strategy}</td>
              <td>{a.side}</td>
              <td className="num">{formatNumber(a.strength, 3)}</td>
              <td className="num">{typeof a.stopHint === 'number' ? fmtPrice(a.stopHint) : formatNumber(a.stopHint)}</td>
              <td>{a.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RiskChecks({ checks }: { checks: RiskCheckInput[] }) {
  return (
    <ul>
      {checks.map((c, i) => (
        <li key={`${c.name}-${i}`}>
          <span className={c.passed ? 'pos' : 'neg'}>{c.passed ? 'passed' : 'failed'}</span> {c.name}: {formatNumber(c.value, 4)} (limit {formatNumber(c.limit, 4)})
        </li>
      ))}
    </ul>
  );
}

/** One link of the chain: outcome and reason, then adapter signals, fusion, veto, risk checks and orders. */
function ChainStep({ d }: { d: DecisionRecord }) {
  const { adapters, fused, veto, risk, orderId, stopOrderId, ...rest } = d.inputs as {
    adapters?: AdapterInput[];
    fused?: { side?: string; strength?: number; stopHint?: number | null };
    veto?: { modelVersion?: string; lossProbability?: number; threshold?: number };
    risk?: RiskCheckInput[];
    orderId?: string;
    stopOrderId?: string | null;
    [key: string]: unknown;
  };
  return (
    <li data-testid="chain-step" data-outcome={d.outcome}>
      <h3>
        <span className="badge">{d.outcome.replace('_', ' ')}</span>
        <span>{formatTime(d.timeMs)}</span>
        <span className="muted">
          {d.side} · strength {formatNumber(d.strength, 3)} · {d.strategy}
        </span>
      </h3>
      <p>{d.reason}</p>
      {Array.isArray(adapters) && adapters.length > 0 && <Adapters adapters={adapters} />}
      <dl className="kv">
        {fused && (
          <>
            <dt>Fusion</dt>
            <dd>
              {fused.side} at strength {formatNumber(fused.strength, 3)}
              {fused.stopHint !== null && fused.stopHint !== undefined ? `, stop hint ${fmtPrice(fused.stopHint)}` : ''}
            </dd>
          </>
        )}
        {veto && (
          <>
            <dt>Veto</dt>
            <dd>
              model {veto.modelVersion}: loss probability {formatNumber(veto.lossProbability, 4)} (threshold {formatNumber(veto.threshold, 4)})
            </dd>
          </>
        )}
        {orderId && (
          <>
            <dt>Order</dt>
            <dd>
              <code>{orderId}</code>
              {stopOrderId ? (
                <>
                  {' '}· stop <code>{stopOrderId}</code>
                </>
              ) : null}
            </dd>
          </>
        )}
        {Object.keys(rest).length > 0 && (
          <>
            <dt>Other inputs</dt>
            <dd>
              <code>{JSON.stringify(rest)}</code>
            </dd>
          </>
        )}
      </dl>
      {Array.isArray(risk) && risk.length > 0 && (
        <>
          <p className="muted">Risk checks</p>
          <RiskChecks checks={risk} />
        </>
      )}
    </li>
  );
}

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
