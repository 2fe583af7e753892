'use client';
import { useQuery } from '@tanstack/react-query';
import { ActionForm, FormField } from '@/app/_components/action-form';
import { fmtFractionPct, fmtNumber, fmtPrice, fmtTime } from '@/app/_components/format';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { JobResultOf } from '@/engine/jobs/definitions';
import type { Page } from '@/engine/ports/journal';
import type { Ticket } from '@/engine/orchestrator/job-queue';
import { describeSignal } from '../_lib/describe-signal';

type CheckReport = JobResultOf<'strategy-check'>;

async function fetchChecks(): Promise<Page<Ticket>> {
  const response = await fetch('/api/tickets?kind=strategy-check&limit=10', { cache: 'no-store' });
  if (!response.ok) throw new Error(`jobs request failed with ${response.status}`);
  return response.json();
}

const subjectOf = (t: Ticket) => {
  const p = t.params as { strategy?: string; exchange?: string; symbol?: string; timeframe?: string };
  return `${p.strategy ?? '?'} on ${p.exchange ?? '?'} ${p.symbol ?? '?'} ${p.timeframe ?? '?'}`;
};

const reportOf = (t: Ticket): CheckReport | null => (t.kind === 'strategy-check' && t.result ? t.result : null);

const pct = (value: number | null) => (value === null ? 'missing on one side' : fmtFractionPct(value, 3));
/** RSI is in points (0..100) and its differences are points too (relative to the 100-point scale); other columns are prices. */
const valueOf = (kind: string, value: number | null) => (kind === 'rsi' ? fmtNumber(value, 2) : fmtPrice(value));
const differenceOf = (kind: string, value: number | null) => (kind === 'rsi' && value !== null ? `${fmtNumber(value * 100, 2)} RSI points` : pct(value));

function outcomeOf(t: Ticket): string {
  const r = reportOf(t);
  if (!r) return t.error ?? '';
  if (r.passed) return 'passed';
  return `${r.lookAhead.findingCount} look-ahead, ${r.recursion.findings.length} recursion finding${r.recursion.findings.length === 1 ? '' : 's'}`;
}

/** One check's report: a summary per part and the findings table (kind, candle time, full versus cut values). */
function CheckReportView({ report }: { report: CheckReport }) {
  const la = report.lookAhead;
  const rc = report.recursion;
  return (
    <div data-testid="check-report">
      <p>
        <span className={`badge ${report.passed ? 'ok' : 'bad'}`} data-testid="check-verdict">
          {report.passed ? 'passed' : 'failed'}
        </span>{' '}
        {report.strategy}
        {report.version ? ` ${report.version}` : ''} on {report.market.exchange} {report.market.symbol} {report.market.timeframe}: {fmtNumber(report.candles, 0)} candles from {fmtTime(report.firstTimeMs)} to{' '}
        {fmtTime(report.lastTimeMs)} UTC, warm-up {report.warmup}, startup history {report.startupCandles ?? report.warmup} candles.
      </p>
      <ul>
        <li>
          Look-ahead: {la.findingCount === 0 ? 'none' : `${la.findingCount} of ${la.rowsChecked} candles`} (each candle evaluated with the whole range loaded and with the range cut after it).
        </li>
        <li>
          Recursion: {rc.findings.length === 0 ? 'none' : `${new Set(rc.findings.map((f) => f.indicator)).size} indicator(s)`} ({rc.indicators.join(', ') || 'no indicators'} recomputed from later history starts; tolerance{' '}
          {fmtFractionPct(rc.tolerance ?? 0, 2)}).
        </li>
      </ul>
      {la.findings.length + rc.findings.length > 0 ? (
        <div className="table-wrap">
          <table data-testid="check-findings">
            <caption className="muted">
              Look-ahead: the strategy&apos;s output with the whole range versus the range cut after the candle. Recursion: the indicator with full history versus history from a later start, at the first candle after the startup history where they differ.
            </caption>
            <thead>
              <tr>
                <th scope="col">Finding</th>
                <th scope="col">Candle (UTC)</th>
                <th scope="col">What</th>
                <th scope="col">Full</th>
                <th scope="col">Cut / shorter history</th>
                <th scope="col">Difference</th>
              </tr>
            </thead>
            <tbody>
              {la.findings.map((f) => (
                <tr key={`la-${f.row}`} data-testid="finding-row" data-kind="look-ahead">
                  <td>look-ahead</td>
                  <td data-testid="finding-time">{fmtTime(f.timeMs)}</td>
                  <td>signal</td>
                  <td>{describeSignal(f.full)}</td>
                  <td>{describeSignal(f.truncated)}</td>
                  <td>—</td>
                </tr>
              ))}
              {rc.findings.map((f) => (
                <tr key={`rc-${f.indicator}-${f.historyStartRow}`} data-testid="finding-row" data-kind="recursion">
                  <td>recursion</td>
                  <td data-testid="finding-time">{fmtTime(f.firstTimeMs)}</td>
                  <td>
                    {f.indicator}, history from {fmtTime(f.historyStartMs)}
                  </td>
                  <td>{valueOf(f.kind, f.fullValue)}</td>
                  <td>{valueOf(f.kind, f.shortValue)}</td>
                  <td>
                    {differenceOf(f.kind, f.difference)}; largest {differenceOf(f.kind, f.maxDifference)} at {fmtTime(f.maxDifferenceTimeMs)}; {f.differingRows} of {f.comparedRows} candles
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {(la.findingCount ?? 0) > la.findings.length ? <p className="muted">…and {(la.findingCount ?? 0) - la.findings.length} more look-ahead candles.</p> : null}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The check form (a `strategy-check` job, like `npm run cli -- strategies check`) and the last ten
 * checks with live progress; each finished check opens its report (the newest one open).
 */
export function StrategyChecks({
  initial,
  nowMs,
  canRun,
  strategies,
  exchanges,
  timeframes,
  queue,
}: {
  initial: Page<Ticket>;
  nowMs: number;
  canRun: boolean;
  strategies: readonly string[];
  exchanges: readonly string[];
  timeframes: readonly string[];
  queue: (input: unknown) => Promise<ActionResult<unknown>>;
}) {
  const { data, error, refetch } = useQuery({
    queryKey: ['tickets', 'strategy-check'],
    queryFn: fetchChecks,
    initialData: initial,
    initialDataUpdatedAt: nowMs,
    refetchInterval: (query) => ((query.state.data?.items ?? []).some((t) => t.status === 'queued' || t.status === 'running') ? 1_000 : 5_000),
  });
  const tickets = data?.items ?? [];
  const newestReport = tickets.find((t) => reportOf(t) !== null)?.id;

  return (
    <>
      {canRun ? (
        <ActionForm action={queue} submitLabel="Run check" testId="strategy-check-form" onDone={() => void refetch()}>
          <p className="muted">
            Runs as a job over the stored candles of the market (blank dates: every stored candle); progress shows below and on the Jobs page.
          </p>
          <FormField name="strategy" label="Strategy" options={strategies} defaultValue={strategies[0]} />
          <FormField name="params" label="Parameters" hint='JSON object, blank = defaults, e.g. {"period": 20}' placeholder="{}" />
          <FormField name="exchange" label="Exchange" options={exchanges} defaultValue={exchanges[0]} />
          <FormField name="symbol" label="Symbol" placeholder="BTC/USDT" required />
          <FormField name="timeframe" label="Timeframe" options={timeframes} defaultValue="1h" />
          <FormField name="from" label="From" hint="UTC date, blank = first stored" type="date" />
          <FormField name="to" label="To" hint="UTC date, exclusive, blank = last stored" type="date" />
          <FormField name="startupCandles" label="Startup candles" hint="history before each compared candle; blank = the strategy's own" type="number" />
        </ActionForm>
      ) : (
        <p className="muted">Running a check needs the trader role.</p>
      )}
      {error ? <p className="error">Refresh failed: {(error as Error).message}</p> : null}
      {tickets.length === 0 ? (
        <p className="muted" data-testid="checks-empty">
          No checks yet.
        </p>
      ) : (
        <>
          <div className="table-wrap">
            <table data-testid="checks">
              <thead>
                <tr>
                  <th scope="col">Queued (UTC)</th>
                  <th scope="col">Strategy and market</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {tickets.map((t) => (
                  <tr key={t.id} data-testid="check-row">
                    <td>{fmtTime(t.createdAtMs)}</td>
                    <td>{subjectOf(t)}</td>
                    <td>
                      <span className={`badge ${t.status === 'succeeded' ? 'ok' : t.status === 'failed' ? 'bad' : t.status === 'running' ? 'warn' : ''}`}>{t.status}</span>
                    </td>
                    <td>
                      <progress className="progress" max={1} value={t.progress} aria-label={`Progress of the check of ${subjectOf(t)}`} /> {fmtFractionPct(t.progress, 0)}
                      {t.progressMessage ? ` · ${t.progressMessage}` : ''}
                    </td>
                    <td data-testid="check-outcome">{outcomeOf(t)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {tickets.map((t) => {
            const report = reportOf(t);
            return report ? (
              <details key={t.id} open={t.id === newestReport}>
                <summary>
                  Report: {subjectOf(t)}, queued {fmtTime(t.createdAtMs)} UTC ({outcomeOf(t)})
                </summary>
                <CheckReportView report={report} />
              </details>
            ) : null;
          })}
        </>
      )}
    </>
  );
}
