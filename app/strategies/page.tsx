import Link from 'next/link';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { RiskLimitsForm, StrategySettingsForm } from '@/app/_components/settings/settings-forms';
import { fmtTime } from '@/app/_components/format';
import { BreakersTable } from '@/app/_components/breakers-table';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { signalTtlText } from '@/engine/settings/trading-settings';
import { strategyListingOf } from '@/app/_components/strategy-param-fields';
import { disableUnloadedStrategy, haltTrading, resumeTrading, saveRiskLimits, saveStrategySettings } from './actions';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

/** Strategies and risk: the strategy catalog (every built-in, file and rule strategy with its source and version, and those that failed to load), adapter settings (trader), halt/resume of the default account (trader), risk limits (admin), breaker status. */
export default async function StrategiesPage() {
  const access = await requireRole('viewer', '/strategies');
  const { root, actor } = access;
  const [settings, unloaded, risk, rules, account] = await Promise.all([
    root.engine.getTradingSettings(),
    root.engine.unloadedStrategySettings(),
    root.engine.riskStatus(),
    root.engine.ruleStrategies.list(),
    root.engine.accounts.get(DEFAULT_ACCOUNT_ID),
  ]);
  const described = root.engine.describeStrategies();
  const runnable = described.filter((d) => !d.loadError).map(strategyListingOf);
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
        <BreakersTable breakers={risk.breakers} quote={account.settings.quoteCurrency} />
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

      <section className="card" aria-labelledby="rule-strategies-heading" data-testid="rule-strategies">
        <h2 id="rule-strategies-heading">Rule strategies</h2>
        <p className="muted">Strategies composed from conditions on indicators and prices, without code; each save is a new version.</p>
        {rules.length === 0 ? (
          <p className="muted">No rule strategy yet.</p>
        ) : (
          <ul>
            {rules.map((r) => (
              <li key={r.name}>
                <a href={`/strategies/rules/${encodeURIComponent(r.name)}`}>{r.name}</a> <span className="muted">version {r.version}, saved {fmtTime(r.createdAtMs)} UTC</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/strategies/rules/new" data-testid="new-rule-strategy">{trader ? 'New rule strategy' : 'Open the rule editor'}</a>
        </p>
      </section>

      <section className="card" aria-labelledby="catalog-heading" data-testid="strategy-catalog">
        <h2 id="catalog-heading">Strategy catalog</h2>
        <p className="muted">Every strategy the engine knows: built-in, from a strategy file, or a rule strategy. One that failed to load cannot be enabled until it is fixed.</p>
        <ScrollTable label="Strategy catalog">
            <thead>
              <tr><th scope="col">Strategy</th><th scope="col">Source</th><th scope="col">Version</th><th scope="col">Source hash</th><th scope="col">Status</th></tr>
            </thead>
            <tbody>
              {described.map((d) => (
                <tr key={`${d.source}:${d.name}:${d.file ?? ''}`} data-testid="catalog-row" data-strategy={d.name} data-source={d.source}>
                  <td>
                    {d.name}
                    {d.summary ? <div className="muted">{d.summary}</div> : null}
                  </td>
                  <td>{d.source}{d.file ? <div className="muted">{d.file}</div> : null}</td>
                  <td>{d.version || '—'}</td>
                  <td><code title={d.sourceHash}>{d.sourceHash.slice(0, 12)}</code></td>
                  <td>{d.loadError ? <span className="badge bad" data-testid="load-error">failed to load: {d.loadError}</span> : <span className="badge ok">ready</span>}</td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      </section>

      <section className="card" aria-labelledby="strategy-heading">
        <h2 id="strategy-heading">Strategy adapters and fusion</h2>
        <p className="muted">
          Traders may change these; {updated(settings.updated.strategy)}. Signal TTL now: <span data-testid="signal-ttl">{signalTtlText(settings.strategy.ttlMs)}</span>.
        </p>
        <StrategySettingsForm initial={settings.strategy} catalog={runnable} save={saveStrategySettings} canEdit={trader} />
        {unloaded.length > 0 ? (
          <div data-testid="unloaded-strategies">
            <h3>Saved but not loaded</h3>
            <p className="muted">
              These strategies have saved settings but do not load now; saves keep their settings. While one is enabled, backtests and sessions that take their
              strategies from this group are refused: fix its strategy file, or disable it here (its weight and parameters stay saved).
            </p>
            <ul>
              {unloaded.map((u) => (
                <li key={u.name} data-testid="unloaded-strategy" data-strategy={u.name}>
                  <strong>{u.name}</strong> {u.settings.enabled ? <span className="badge bad">enabled</span> : <span className="badge">disabled</span>}{' '}
                  <span className="muted">weight {u.settings.weight}; {u.reason}</span>
                  {trader && u.settings.enabled ? (
                    <ActionForm action={disableUnloadedStrategy} submitLabel={`Disable ${u.name}`} testId="disable-unloaded-form">
                      <input type="hidden" name="name" value={u.name} />
                    </ActionForm>
                  ) : null}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
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
