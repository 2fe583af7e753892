'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { haltAccount, resumeAccount } from '@/app/accounts/actions';
import { PositionsTable } from '@/app/accounts/_components/positions-table';
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { AccountOverview } from '@/engine/account/overview';
import { fmtMoney, fmtNumber, fmtPct, fmtTime } from '../format';
import { ActionForm, FormField } from '../action-form';
import { BreakersTable } from '@/app/_components/breakers-table';
import { ScrollTable } from '@/app/_components/scroll-table';
import { ValueAtRiskFigures } from '@/app/_components/value-at-risk-figures';

const POLL_MS = 5_000;

async function fetchOverview(): Promise<AccountOverview> {
  const response = await fetch('/api/overview', { cache: 'no-store' });
  if (!response.ok) throw new Error(`overview request failed with ${response.status}`);
  return response.json();
}

const tick = (ms: number) => new Date(ms).toISOString().slice(5, 10);

/** The live part of the overview: polls `/api/overview` every 5 s, starting from the server-rendered data. */
export function OverviewLive({ initial, canTrade = false, quote }: { initial: AccountOverview; canTrade?: boolean; quote: string }) {
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['overview'] });
  const { data, error, dataUpdatedAt } = useQuery({ queryKey: ['overview'], queryFn: fetchOverview, initialData: initial, initialDataUpdatedAt: initial.asOfMs, refetchInterval: POLL_MS });
  const o = data;
  const m = o.metrics;
  const curve = o.equityCurve;
  return (
    <>
      <section className="card" aria-labelledby="account-heading" data-testid="overview">
        <h2 id="account-heading">Paper account</h2>
        <p>
          Equity <strong data-testid="equity">{fmtNumber(o.equity)}</strong> {quote} <span className="muted">(started at {fmtNumber(o.initialBalance)} {quote}; updated {fmtTime(dataUpdatedAt)} UTC{error ? ' — refresh failed, retrying' : ''})</span>
        </p>
        <dl className="metric-cards" data-testid="metric-cards">
          {[
            ['Sharpe', fmtNumber(m.sharpe)],
            ['Sortino', fmtNumber(m.sortino)],
            ['Max drawdown', fmtPct(m.maxDrawdownPct)],
            ['Win rate (net PnL > 0)', fmtPct(m.winRatePct, 1)],
            ['Expectancy (R)', Number.isFinite(m.expectancy) ? `${fmtNumber(m.expectancy)} R` : fmtNumber(m.expectancy)],
            [`Expectancy (${quote} per trade)`, fmtMoney(m.expectancyQuote)],
            ['Exposure', fmtPct(m.exposurePct, 1)],
            ['Turnover', Number.isFinite(m.turnover) ? `${fmtNumber(m.turnover)}×` : fmtNumber(null)],
            [`Net PnL today (${quote})`, fmtMoney(m.pnlToday)],
          ].map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        <p className="muted" data-testid="stats-as-of">
          <small>
            {m.trades} closed {m.trades === 1 ? 'trade' : 'trades'} of this account&apos;s live, paper and replay sessions (other accounts&apos; trades and backtests are not
            counted); as of {fmtTime(o.statsAsOfMs)} UTC (recomputed every few seconds).
          </small>
        </p>
        {m.trades === 0 && (
          <p className="muted" data-testid="overview-empty">
            No paper trades yet: the metrics fill in once the live loop (or a manual paper order on the What-if page) closes a trade.
          </p>
        )}
      </section>

      <div className="grid">
        <figure className="card" style={{ margin: 0 }}>
          <figcaption>
            <h2>Equity</h2>
            <p className="muted">{curve.length} {curve.length === 1 ? 'point' : 'points'} from {o.equitySource === 'snapshots' ? 'daily account snapshots' : 'closed trades'}; last {fmtNumber(curve[curve.length - 1]?.equity ?? null)} {quote}.</p>
          </figcaption>
          <div className="chart-box" role="img" aria-label={`Equity curve with ${curve.length} points`}>
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={curve} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="#8884" />
                <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={tick} stroke="#8a94a3" />
                <YAxis domain={['auto', 'auto']} width={70} stroke="#8a94a3" />
                <Tooltip labelFormatter={(v) => fmtTime(Number(v))} formatter={(v) => `${fmtNumber(Number(v))} ${quote}`} />
                <Area type="stepAfter" dataKey="equity" stroke="#388bfd" fill="#388bfd33" isAnimationActive={false} />
              </AreaChart>
            </ResponsiveContainer>
          </div>
        </figure>
        <figure className="card" style={{ margin: 0 }}>
          <figcaption>
            <h2>Underwater</h2>
            <p className="muted">Drawdown below the running peak; deepest {fmtPct(m.maxDrawdownPct)}.</p>
          </figcaption>
          <div className="chart-box" role="img" aria-label={`Drawdown chart, deepest ${fmtPct(m.maxDrawdownPct)}`}>
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={curve} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="#8884" />
                <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={tick} stroke="#8a94a3" />
                <YAxis domain={['auto', 0]} width={70} unit="%" stroke="#8a94a3" />
                <Tooltip labelFormatter={(v) => fmtTime(Number(v))} formatter={(v) => fmtPct(Number(v))} />
                <Area type="stepAfter" dataKey="drawdownPct" stroke="#f85149" fill="#f8514933" isAnimationActive={false} />
              </AreaChart>
            </ResponsiveContainer>
          </div>
        </figure>
      </div>

      <div className="grid">
        <section className="card" aria-labelledby="positions-heading">
          <h2 id="positions-heading">Open positions</h2>
          {o.positions.length === 0 ? (
            <p className="muted" data-testid="positions-empty">No open positions.</p>
          ) : (
            <PositionsTable accountId="default" quote={quote} positions={o.positions} canTrade={canTrade} label="Open positions" testId="positions" onDone={refresh} />
          )}
        </section>
        <section className="card" aria-labelledby="risk-heading" data-testid="risk-state">
          <h2 id="risk-heading">Risk</h2>
          <p>
            {o.risk.halted ? (
              <span className="badge bad" data-testid="risk-halted">halted</span>
            ) : (
              <span className="badge ok" data-testid="risk-active">trading allowed</span>
            )}{' '}
            {o.risk.haltReason && <span>{o.risk.haltReason}</span>}
          </p>
          <BreakersTable breakers={o.risk.breakers} quote={quote} />
          {canTrade ? (
            o.risk.halted ? (
              <ActionForm key="resume" action={resumeAccount} submitLabel="Resume trading" testId="resume-form" onDone={refresh}>
                <input type="hidden" name="id" value="default" />
                <FormField name="reason" label="Reason" required />
              </ActionForm>
            ) : (
              <ActionForm key="halt" action={haltAccount} submitLabel="Halt trading" testId="halt-form" danger onDone={refresh}>
                <input type="hidden" name="id" value="default" />
                <FormField name="reason" label="Reason" required />
              </ActionForm>
            )
          ) : null}
          <p className="muted"><small>The default account; every account is on the <a href="/accounts">Accounts page</a>.</small></p>
        </section>
      </div>

      <section className="card" aria-labelledby="var-heading" data-testid="overview-var">
        <h2 id="var-heading">Portfolio value-at-risk</h2>
        <ValueAtRiskFigures value={o.valueAtRisk} quote={quote} />
      </section>

      <section className="card" aria-labelledby="decisions-heading">
        <h2 id="decisions-heading">Latest decisions</h2>
        {o.decisions.length === 0 ? (
          <p className="muted" data-testid="decisions-empty">No live decisions yet.</p>
        ) : (
          <ScrollTable label="Latest decisions" data-testid="latest-decisions">
              <thead>
                <tr><th scope="col">Time (UTC)</th><th scope="col">Symbol</th><th scope="col">Strategy</th><th scope="col">Outcome</th><th scope="col">Side</th><th scope="col">Reason</th></tr>
              </thead>
              <tbody>
                {o.decisions.map((d) => (
                  <tr key={d.id}>
                    <td>{fmtTime(d.timeMs)}</td><td>{d.symbol}</td><td>{d.strategy}</td><td>{d.outcome}</td><td>{d.side}</td><td>{d.reason}</td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        )}
      </section>
    </>
  );
}
