import { notFound } from 'next/navigation';
import { RunModels } from '@/app/_components/models/run-models';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { fmtNumber, fmtPct, fmtTime } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { EquityChart } from '@/app/backtests/_components/equity-chart';
import { NotFoundError } from '@/engine/core/errors';
import type { StudyView } from '@/engine/research/study';
import { applyStudy, cancelStudy, studyStatus } from '../actions';
import { StudyLive } from '../_components/study-live';
import { StudyResultsTable } from '../_components/study-results-table';
import { ParamHeatmap } from '../_components/param-heatmap';
import { ApplySettings } from '../_components/apply-settings';
import { VerdictBadge } from '../_components/study-badges';
import { describeParams } from '../_lib/study-grid';
import '../../journal/journal.css';
import '../_components/studies.css';

export const dynamic = 'force-dynamic';

/** `2024-02-01 – 2024-02-12` (UTC days; the end is exclusive). */
const period = (fromMs: number, toMs: number) => `${fmtTime(fromMs)} – ${fmtTime(toMs)}`;

/** The quote currency of a symbol (`ETH/USDT` and `ETH/USDT:USDT` → `USDT`). */
const quoteOf = (symbol: string) => symbol.split('/')[1]?.split(':')[0] ?? 'quote';

const METHOD_TEXT = { grid: 'grid (every combination)', random: 'random (seeded draws)', halving: 'successive halving' } as const;

/** A study: its progress while it runs, then its trials, heatmap, walk-forward, overfitting guards and "apply to account settings". */
export default async function StudyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { root, actor } = await requireRole('viewer', `/studies/${encodeURIComponent(id)}`);
  let study: StudyView;
  try {
    study = await root.engine.studies.get(id);
  } catch (error) {
    // HTTP 404 with ./not-found.tsx.
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
  const trader = roleAtLeast(actor.role, 'trader');
  const r = study.request;
  const quote = quoteOf(r.symbol);
  const full = study.trials.filter((t) => t.sample === 'full');
  const settings = study.status === 'completed' && study.best ? await root.engine.getTradingSettings() : null;
  const adapter = settings?.strategy.adapters[r.strategy];
  const wf = study.walkForward;
  const over = study.overfitting;
  return (
    <>
      <section className="card" aria-labelledby="study-heading">
        <p className="muted">
          <a href="/studies">Studies</a>
        </p>
        <h1 id="study-heading" data-testid="study-name">
          {study.name}
        </h1>
        <dl className="metric-cards">
          <div>
            <dt>Strategy</dt>
            <dd>{r.strategy}</dd>
          </div>
          <div>
            <dt>Market</dt>
            <dd>
              {r.exchange} {r.symbol} {r.timeframe}
            </dd>
          </div>
          <div>
            <dt>Range (UTC)</dt>
            <dd>{period(r.fromMs, r.toMs)}</dd>
          </div>
          <div>
            <dt>Method</dt>
            <dd>
              {METHOD_TEXT[r.method]}
              {r.trials !== null ? `, ${r.trials} draws, seed ${r.seed}` : ''}
            </dd>
          </div>
          <div>
            <dt>Objective</dt>
            <dd>
              {r.objective}, at least {r.minTrades} trade{r.minTrades === 1 ? '' : 's'}
            </dd>
          </div>
          <div>
            <dt>Candidates</dt>
            <dd data-testid="study-candidates">
              {r.candidates.toLocaleString('en-US')}
              {r.skipped > 0 ? ` (${r.skipped.toLocaleString('en-US')} refused by the strategy)` : ''}
            </dd>
          </div>
          <div>
            <dt>Models</dt>
            <RunModels models={r.backtest.models} testId="study-models" />
          </div>
        </dl>
        <p className="muted">
          Created {fmtTime(study.createdAtMs)} UTC{study.finishedAtMs !== null ? `, finished ${fmtTime(study.finishedAtMs)} UTC` : ''}; account <code>{r.accountId}</code>; warm-up{' '}
          {r.warmupCandles} candles.
        </p>
        <StudyLive
          studyId={study.id}
          initial={{ status: study.status, done: study.progress.done, total: study.progress.total, message: study.progress.message, error: study.error }}
          canCancel={trader}
          poll={studyStatus}
          cancel={cancelStudy}
        />
      </section>

      <section className="card" aria-labelledby="results-heading">
        <h2 id="results-heading">Results</h2>
        {full.length === 0 ? (
          <p className="muted" data-testid="no-trials">
            No trial has finished yet.
          </p>
        ) : (
          <>
            <p data-testid="trial-count">
              {full.length.toLocaleString('en-US')} trial{full.length === 1 ? '' : 's'} over the whole range.
              {study.best ? (
                <>
                  {' '}
                  Best: <strong data-testid="best-params">{describeParams(study.best.params)}</strong> ({r.objective} {fmtNumber(study.best.objective, 3)}).
                </>
              ) : (
                ' No trial scored yet.'
              )}
            </p>
            <StudyResultsTable trials={full} quote={quote} objective={r.objective} bestIndex={study.best?.trialIndex ?? null} showRung={r.method === 'halving'} />
          </>
        )}
      </section>

      {full.length > 0 && (
        <section className="card" aria-labelledby="heatmap-heading">
          <h2 id="heatmap-heading">Heatmap</h2>
          <ParamHeatmap trials={full.map((t) => ({ index: t.index, params: t.params, objective: t.objective }))} objective={r.objective} />
        </section>
      )}

      {r.walkForward && (
        <section className="card" aria-labelledby="wf-heading" data-testid="walk-forward">
          <h2 id="wf-heading">Walk-forward ({r.walkForward.mode})</h2>
          {!wf || wf.windows.length === 0 ? (
            <p className="muted">No window has finished yet.</p>
          ) : (
            <>
              <p data-testid="degradation">
                {wf.degradation.meanRatio === null
                  ? 'In-sample against out-of-sample: no window had a positive in-sample score to compare with.'
                  : `Out of sample kept ${fmtPct(wf.degradation.meanRatio * 100, 0)} of the in-sample ${r.objective} on average (mean in-sample ${fmtNumber(wf.degradation.meanInSample, 3)}, out-of-sample ${fmtNumber(wf.degradation.meanOutOfSample, 3)}; 100 % = no degradation, below 0 = lost out of sample).`}
              </p>
              <EquityChart series={[{ name: 'Out-of-sample equity (stitched)', points: wf.outOfSampleEquity }]} unit={quote} label={`Out-of-sample equity in ${quote}, windows stitched end to end`} />
              <ScrollTable label="Walk-forward windows" wide data-testid="windows-table">
                <caption className="sr-only">Each window: in-sample and out-of-sample ranges, the in-sample winner and both scores</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Window
                    </th>
                    <th scope="col">In-sample (UTC)</th>
                    <th scope="col">Out-of-sample (UTC)</th>
                    <th scope="col">In-sample winner</th>
                    <th scope="col" className="num">
                      In-sample {r.objective}
                    </th>
                    <th scope="col" className="num">
                      Out-of-sample {r.objective}
                    </th>
                    <th scope="col" className="num">
                      Kept
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {wf.windows.map((w, i) => (
                    <tr key={w.index} data-testid="window-row">
                      <td className="num">{w.index}</td>
                      <td className="nowrap">{period(w.inSample.fromMs, w.inSample.toMs)}</td>
                      <td className="nowrap">{period(w.outOfSample.fromMs, w.outOfSample.toMs)}</td>
                      <td>{w.bestParams ? describeParams(w.bestParams) : 'none scored'}</td>
                      <td className="num">{fmtNumber(w.inSampleObjective, 3)}</td>
                      <td className="num">{fmtNumber(w.outOfSampleObjective, 3)}</td>
                      <td className="num">{wf.degradation.ratios[i] == null ? '—' : fmtPct((wf.degradation.ratios[i] as number) * 100, 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </ScrollTable>
            </>
          )}
        </section>
      )}

      <section className="card" aria-labelledby="overfitting-heading" data-testid="overfitting">
        <h2 id="overfitting-heading">Is the winner luck?</h2>
        {!over ? (
          <p className="muted">The overfitting guards are computed when the study completes.</p>
        ) : (
          <div className="grid">
            <div data-testid="pbo">
              <h3>Probability of backtest overfitting</h3>
              {over.pbo ? (
                <>
                  <p className="verdict">
                    <VerdictBadge level={over.pbo.level} testId="pbo-level" /> <strong data-testid="pbo-value">{fmtPct(over.pbo.value * 100, 1)}</strong>
                  </p>
                  <p data-testid="pbo-verdict">{over.pbo.verdict}</p>
                  <p className="muted">
                    How often the in-sample winner ranked below the median out of sample, over {over.pbo.combinations.toLocaleString('en-US')} splits of {over.pbo.partitions} blocks
                    (combinatorially symmetric cross-validation, Bailey, Borwein, López de Prado and Zhu 2014); the winner lost money out of sample in{' '}
                    {fmtPct(over.pbo.probabilityOfLoss * 100, 1)} of them.
                  </p>
                </>
              ) : (
                <p className="muted" data-testid="pbo-unavailable">
                  Not computed: {over.pboUnavailable ?? 'no reason recorded'}.
                </p>
              )}
            </div>
            <div data-testid="deflated-sharpe">
              <h3>Deflated Sharpe ratio</h3>
              {over.deflatedSharpe ? (
                <>
                  <p className="verdict">
                    <VerdictBadge level={over.deflatedSharpe.level} testId="dsr-level" /> <strong data-testid="dsr-value">{fmtPct(over.deflatedSharpe.probability * 100, 1)}</strong>
                  </p>
                  <p data-testid="dsr-verdict">{over.deflatedSharpe.verdict}</p>
                  <p className="muted">
                    The probability that the best trial&apos;s true Sharpe ({fmtNumber(over.deflatedSharpe.sharpe, 3)} per day) beats what the best of{' '}
                    {over.deflatedSharpe.trials.toLocaleString('en-US')} skill-less trials would show ({fmtNumber(over.deflatedSharpe.expectedMaxSharpe, 3)}) (Bailey and López de Prado 2014).
                  </p>
                </>
              ) : (
                <p className="muted" data-testid="dsr-unavailable">
                  Not computed: {over.deflatedSharpeUnavailable ?? 'no reason recorded'}.
                </p>
              )}
            </div>
          </div>
        )}
      </section>

      {study.status === 'completed' && study.best && (
        <section className="card" aria-labelledby="apply-heading">
          <h2 id="apply-heading">Apply to account settings</h2>
          <ApplySettings
            studyId={study.id}
            strategy={r.strategy}
            accountId={r.accountId}
            saved={adapter?.params ?? null}
            savedEnabled={adapter?.enabled ?? false}
            best={study.best.params}
            canApply={trader}
            appliedAtMs={study.appliedAtMs}
            apply={applyStudy}
          />
        </section>
      )}
    </>
  );
}
