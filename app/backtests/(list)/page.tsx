import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { paramFieldsOf } from '@/app/_components/strategy-param-fields';
import { fmtFractionPct, formatNumber, formatTime } from '@/app/_components/format';
import { backtestTicket, startBacktest } from '../actions';
import { BacktestForm, type AccountOption, type StrategyOption } from '../_components/backtest-form';
import { deployedLoopModelsOf } from '@/app/_components/models/model-form';
import { accountOptions } from '../_lib/account-options';
import { metricNumber, runMarketsLabel } from '../_lib/run-metrics';
import { ScrollTable } from '@/app/_components/scroll-table';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

/** A UTC day (the period's end is exclusive, as the form's "to"). */
const formatDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Backtests: the form (traders), then stored runs newest first, with a compare selection. */
export default async function BacktestsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { cursor: rawCursor } = await searchParams;
  const cursor = typeof rawCursor === 'string' && rawCursor !== '' ? rawCursor : undefined;
  const access = await requireRole('viewer', '/backtests');
  const { root, actor } = access;
  const [streams, runs, settings] = await Promise.all([root.engine.listCandleStreams(), root.engine.listBacktestRuns({ limit: 50, cursor }), root.engine.getTradingSettings()]);
  // The form starts from the saved strategy settings (/strategies): what a blank field or an untouched box runs with.
  // Every runnable catalog strategy (built-in, file, rule), its inputs from its params JSON Schema.
  const strategies: StrategyOption[] = root.engine
    .describeStrategies()
    .filter((d) => !d.loadError)
    .map((d) => ({
      name: d.name,
      source: d.source,
      version: d.version,
      enabled: settings.strategy.adapters[d.name]?.enabled ?? false,
      fields: paramFieldsOf(d.paramsSchema),
      saved: settings.strategy.adapters[d.name]?.params ?? d.defaults,
    }));
  const canRun = roleAtLeast(actor.role, 'trader');
  // The account fields and risk limits start from each account's stored settings (the form prefills from the chosen one).
  const accounts: AccountOption[] = canRun ? await accountOptions(root) : [];
  // Which models a run may turn on: the deployed version of each kind (none offered when the registry cannot answer).
  const deployedModels = canRun ? deployedLoopModelsOf(await root.engine.models.list().catch(() => [])) : deployedLoopModelsOf([]);
  return (
    <>
      <section className="card" aria-labelledby="new-backtest-heading">
        <h1 id="new-backtest-heading">Backtests</h1>
        {canRun ? (
          streams.length === 0 ? (
            <p data-testid="no-candles">No candles are stored yet. Upload a CSV file or download candles on the <a href="/markets">Markets</a> page, then come back.</p>
          ) : (
            <BacktestForm
              markets={streams.map((s) => ({ exchange: s.exchange, symbol: s.symbol, timeframe: s.timeframe, firstOpenTimeMs: s.firstOpenTimeMs, lastOpenTimeMs: s.lastOpenTimeMs }))}
              strategies={strategies}
              accounts={accounts}
              deployedModels={deployedModels}
              start={startBacktest}
              poll={backtestTicket}
            />
          )
        ) : (
          <p className="muted">Running a backtest needs the trader role; you can browse the runs below.</p>
        )}
      </section>
      <section className="card" aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        {runs.items.length === 0 ? (
          <p className="muted" data-testid="empty-state">No backtest runs yet.</p>
        ) : (
          <form method="get" action="/backtests/compare" aria-label="Compare runs">
            <ScrollTable label="Backtest runs" wide data-testid="runs-table">
                <caption className="sr-only">Backtest runs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Compare</th>
                    <th scope="col">Started</th>
                    <th scope="col">Market</th>
                    <th scope="col">Period (UTC)</th>
                    <th scope="col">Strategies</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">Trades</th>
                    <th scope="col" className="num">Return</th>
                    <th scope="col" className="num">Max drawdown</th>
                    <th scope="col" className="num">Sharpe</th>
                    <th scope="col">Run</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.items.map((r) => {
                    const strategiesOf = Array.isArray(r.config.strategies) ? (r.config.strategies as string[]).join(', ') : '—';
                    const totalReturn = metricNumber(r.metrics, 'totalReturn');
                    const maxDrawdown = metricNumber(r.metrics, 'maxDrawdown');
                    const sharpe = metricNumber(r.metrics, 'sharpe');
                    return (
                      <tr key={r.id} data-testid="run-row" data-status={r.status}>
                        <td>
                          <input type="checkbox" name="id" value={r.id} aria-label={`Compare run ${r.id.slice(0, 8)}`} disabled={r.status !== 'complete'} />
                        </td>
                        <td className="nowrap">{formatTime(r.startedAtMs)}</td>
                        <td>
                          {r.exchange} <span title={r.symbol}>{runMarketsLabel(r.symbol)}</span> {r.timeframe}
                        </td>
                        <td className="nowrap" data-testid="run-period">
                          {formatDay(r.fromMs)} – {formatDay(r.toMs)}
                        </td>
                        <td>{strategiesOf}</td>
                        <td>
                          <span className="badge">{r.status}</span>
                        </td>
                        <td className="num">{r.tradeCount ?? '—'}</td>
                        <td className="num">{fmtFractionPct(totalReturn)}</td>
                        <td className="num" data-testid="run-max-drawdown">{fmtFractionPct(maxDrawdown)}</td>
                        <td className="num" data-testid="run-sharpe">{sharpe === null ? '—' : formatNumber(sharpe, 2)}</td>
                        <td>
                          <a href={`/backtests/${encodeURIComponent(r.id)}`}>{r.id.slice(0, 8)}</a>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
            </ScrollTable>
            <div className="actions-row" style={{ marginTop: '0.75rem' }}>
              <button type="submit" data-testid="compare-runs">
                Compare selected runs
              </button>
              {runs.nextCursor && (
                <a href={`/backtests?cursor=${encodeURIComponent(runs.nextCursor)}`} rel="next">
                  Older runs
                </a>
              )}
            </div>
          </form>
        )}
      </section>
    </>
  );
}
