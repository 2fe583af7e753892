import Link from 'next/link';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { RiskLimitsForm, StrategySettingsForm } from '@/app/_components/settings/settings-forms';
import { fmtNumber, fmtPct, fmtTime } from '@/app/_components/format';
import { haltTrading, resumeTrading, saveRiskLimits, saveStrategySettings } from './actions';

export const dynamic = 'force-dynamic';

/** Strategies and risk: adapter settings (trader), halt/resume of the default account (trader), risk limits (admin), breaker status. */
export default async function StrategiesPage() {
  const access = await requireRole('viewer', '/strategies');
  const { root, actor } = access;
  const [settings, risk] = await Promise.all([root.engine.getTradingSettings(), root.engine.riskStatus()]);
  const trader = roleAtLeast(actor.role, 'trader');
  const admin = roleAtLeast(actor.role, 'admin');
  const updated = (u: { atMs: number; by: string | null } | null) => (u ? `last changed ${fmtTime(u.atMs)} UTC by ${u.by ?? 'unknown'}` : 'defaults (never changed)');
  return (
    <>
      <section className="card" aria-labelledby="risk-state-heading" data-testid="risk-controls">
        <h1 id="risk-state-heading">Risk state</h1>
        <p>
          {risk.halted ? <span className="badge bad" data-testid="risk-halted">halted</span> : <span className="badge ok" data-testid="risk-active">trading allowed</span>}{' '}
          {risk.haltReason ?? ''} {risk.haltedAtMs ? <span className="muted">since {fmtTime(risk.haltedAtMs)} UTC</span> : null}
        </p>
        <div className="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Breaker</th><th scope="col">Limit</th><th scope="col">Now</th><th scope="col">Headroom</th><th scope="col">Trips at equity</th></tr>
            </thead>
            <tbody>
              {risk.breakers.map((b) => (
                <tr key={b.name} data-testid="breaker-row">
                  <td>{b.name.replace('_', ' ')}{b.tripped ? ' (tripped)' : ''}</td><td>{fmtPct(b.limitPct)}</td><td>{fmtPct(b.currentPct)}</td>
                  <td>{fmtPct(b.headroomPct)} ({fmtNumber(b.headroomEquity)})</td><td>{fmtNumber(b.tripEquity)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {trader ? (
          risk.halted ? (
            <ActionForm action={resumeTrading} submitLabel="Resume trading" testId="resume-form">
              <label>
                Reason <input name="reason" required maxLength={500} />
              </label>
            </ActionForm>
          ) : (
            <ActionForm action={haltTrading} submitLabel="Halt trading" testId="halt-form">
              <label>
                Reason <input name="reason" required maxLength={500} />
              </label>
            </ActionForm>
          )
        ) : (
          <p className="muted">Halting and resuming needs the trader role.</p>
        )}
      </section>

      <section className="card" aria-labelledby="strategy-heading">
        <h2 id="strategy-heading">Strategy adapters and fusion</h2>
        <p className="muted">Traders may change these; {updated(settings.updated.strategy)}.</p>
        <StrategySettingsForm initial={settings.strategy} save={saveStrategySettings} canEdit={trader} />
      </section>

      <section className="card" aria-labelledby="check-link-heading">
        <h2 id="check-link-heading">Look-ahead and recursion check</h2>
        <p>
          Does a strategy read candles that have not closed yet, or indicators that still remember where their history started?{' '}
          <Link href="/strategies/check" data-testid="strategy-check-link">Check a strategy</Link> over stored candles.
        </p>
      </section>

      <section className="card" aria-labelledby="limits-heading">
        <h2 id="limits-heading">Risk limits</h2>
        <p className="muted">Admins only; {updated(settings.updated.risk)}.</p>
        <RiskLimitsForm initial={settings.risk} save={saveRiskLimits} canEdit={admin} />
      </section>
    </>
  );
}
