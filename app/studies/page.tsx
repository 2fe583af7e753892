import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { paramFieldsOf } from '@/app/_components/strategy-param-fields';
import { fmtNumber, fmtTime } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { accountOptions } from '@/app/backtests/_lib/account-options';
import { deployedLoopModelsOf, runModelsLabel } from '@/app/_components/models/model-form';
import { DEFAULT_MAX_TRIALS, searchSpaceFromCatalog } from '@/engine/research/search-space';
import { startStudy } from './actions';
import { StudyForm, type StudyStrategyOption } from './_components/study-form';
import { StudyStatusBadge, VerdictBadge } from './_components/study-badges';
import { spaceFieldOf, type DerivedDimension } from './_lib/space-fields';
import '../journal/journal.css';

export const dynamic = 'force-dynamic';

/**
 * Studies: the list of parameter searches (newest first) with their progress, best objective and
 * overfitting verdict, and the "New study" form for traders (its parameter ranges prefilled from the
 * engine's derived search space of each strategy, the account settings from the chosen account).
 */
export default async function StudiesPage() {
  const { root, actor } = await requireRole('viewer', '/studies');
  const canRun = roleAtLeast(actor.role, 'trader');
  const [studies, streams, settings] = await Promise.all([root.engine.studies.list(), root.engine.listCandleStreams(), root.engine.getTradingSettings()]);
  const strategies: StudyStrategyOption[] = canRun
    ? root.engine
        .describeStrategies()
        .filter((d) => !d.loadError)
        .map((d) => {
          const saved = settings.strategy.adapters[d.name]?.params ?? d.defaults;
          const listed = paramFieldsOf(d.paramsSchema);
          const fieldOf = (name: string) => listed.find((f) => f.name === name) ?? { kind: 'text' as const };
          try {
            // The engine's own derived space: the schema's bounds (exclusive ones moved a step inside) and default steps.
            const space = searchSpaceFromCatalog(root.engine.strategies, d.name);
            return {
              name: d.name,
              source: d.source,
              version: d.version,
              fields: space.dimensions.map((dim) => spaceFieldOf(dim as DerivedDimension, fieldOf(dim.name), saved[dim.name])),
            };
          } catch (error) {
            return {
              name: d.name,
              source: d.source,
              version: d.version,
              fields: listed.map((f) => spaceFieldOf({ name: f.name, kind: 'fixed', value: f.defaultValue }, f, saved[f.name])),
              spaceError: `Its search space could not be derived (${error instanceof Error ? error.message : String(error)}); give each parameter a range or values.`,
            };
          }
        })
    : [];
  const [accounts, models] = canRun ? await Promise.all([accountOptions(root), root.engine.models.list().catch(() => [])]) : [[], []];
  const deployedModels = deployedLoopModelsOf(models);
  return (
    <>
      <section className="card" aria-labelledby="studies-heading">
        <h1 id="studies-heading">Studies</h1>
        <p className="muted">
          A study searches one strategy&apos;s parameters on one market (every grid point, seeded random draws, or successive halving), optionally walked forward, and
          says how much of the winner is luck: the probability of backtest overfitting and the deflated Sharpe ratio.
        </p>
        <h2>New study</h2>
        {canRun ? (
          streams.length === 0 ? (
            <p data-testid="no-candles">
              No candles are stored yet. Upload a CSV file or download candles on the <a href="/markets">Markets</a> page, then come back.
            </p>
          ) : (
            <StudyForm
              markets={streams.map((s) => ({ exchange: s.exchange, symbol: s.symbol, timeframe: s.timeframe, firstOpenTimeMs: s.firstOpenTimeMs, lastOpenTimeMs: s.lastOpenTimeMs }))}
              strategies={strategies}
              accounts={accounts}
              deployedModels={deployedModels}
              maxTrials={DEFAULT_MAX_TRIALS}
              start={startStudy}
            />
          )
        ) : (
          <p className="muted">Starting a study needs the trader role; you can read the studies below.</p>
        )}
      </section>
      <section className="card" aria-labelledby="study-list-heading">
        <h2 id="study-list-heading">All studies</h2>
        {studies.length === 0 ? (
          <p className="muted" data-testid="empty-state">
            No study yet.
          </p>
        ) : (
          <ScrollTable label="Studies" wide data-testid="studies-table">
            <caption className="sr-only">Studies, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Strategy</th>
                <th scope="col">Market</th>
                <th scope="col">Method</th>
                <th scope="col">Objective</th>
                <th scope="col">Models</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Best objective
                </th>
                <th scope="col">PBO verdict</th>
                <th scope="col">Created (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {studies.map((s) => (
                <tr key={s.id} data-testid="study-row" data-status={s.status}>
                  <td>
                    <a href={`/studies/${encodeURIComponent(s.id)}`}>{s.name}</a>
                  </td>
                  <td>{s.request.strategy}</td>
                  <td className="nowrap">
                    {s.request.exchange} {s.request.symbol} {s.request.timeframe}
                  </td>
                  <td>
                    {s.request.method}
                    {s.request.walkForward ? `, walk-forward (${s.request.walkForward.mode})` : ''}
                  </td>
                  <td>{s.request.objective}</td>
                  <td data-testid="study-row-models">{runModelsLabel(s.request.backtest.models)}</td>
                  <td>
                    <StudyStatusBadge status={s.status} done={s.progress.done} total={s.progress.total} />
                  </td>
                  <td className="num">{fmtNumber(s.best?.objective ?? null, 2)}</td>
                  <td>{s.overfitting?.pbo ? <VerdictBadge level={s.overfitting.pbo.level} /> : '—'}</td>
                  <td className="nowrap">{fmtTime(s.createdAtMs)}</td>
                </tr>
              ))}
            </tbody>
          </ScrollTable>
        )}
      </section>
    </>
  );
}
