/** One step of a decision chain (outcome, reason, adapter signals, fusion, veto, orders, risk checks), shared by the trade page and the chart's marker panel. */
import type { DecisionRecord } from '@/engine/ports/journal';
import { fmtPrice, formatNumber, formatTime } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { modelsNote } from '../_lib/decision-row';

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
    <ScrollTable label="Adapter signals" wide>
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
    </ScrollTable>
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
export function ChainStep({ d }: { d: DecisionRecord }) {
  const { adapters, fused, veto, models, risk, orderId, stopOrderId, ...rest } = d.inputs as {
    adapters?: AdapterInput[];
    fused?: { side?: string; strength?: number; stopHint?: number | null };
    veto?: { modelVersion?: string; lossProbability?: number; threshold?: number };
    models?: unknown;
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
        {models !== undefined && modelsNote(d.inputs) && (
          <>
            <dt>Models</dt>
            <dd>{modelsNote(d.inputs)}</dd>
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
