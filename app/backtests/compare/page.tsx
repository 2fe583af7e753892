import { runModelsLabel } from '@/app/_components/models/model-form';
import { requireRole } from '@/app/_server/auth/page-gate';
import type { BacktestRunRecord } from '@/engine/ports/backtest-runs';
import { runQuoteCurrency } from '@/engine/backtest/run-backtest';
import { EquityChart } from '../_components/equity-chart';
import { METRIC_ROWS, formatMetric, metricNumber, runMarketsLabel } from '../_lib/run-metrics';
import { ScrollTable } from '@/app/_components/scroll-table';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

const MAX_RUNS = 6;

/** Run ids from `?ids=a,b` and/or repeated `?id=a&id=b` (the runs list's checkboxes), deduplicated. */
function idsOf(params: Record<string, string | string[] | undefined>): string[] {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const ids = [...list(params.ids).flatMap((v) => v.split(',')), ...list(params.id)].map((v) => v.trim()).filter((v) => v !== '');
  return [...new Set(ids)];
}

/** Two or more runs side by side: metrics table and overlaid equity curves. */
export default async function ComparePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ids = idsOf(await searchParams);
  const access = await requireRole('viewer', `/backtests/compare?ids=${encodeURIComponent(ids.join(','))}`);
  if (ids.length < 2 || ids.length > MAX_RUNS) {
    return (
      <section className="card" data-testid="empty-state">
        <h1>Compare runs</h1>
        <p role="alert">
          Choose between 2 and {MAX_RUNS} runs to compare (you chose {ids.length}). <a href="/backtests">Back to backtests</a>
        </p>
      </section>
    );
  }
  const found = await Promise.all(ids.map((id) => access.root.engine.getBacktestRun(id)));
  const runs = found.filter((r): r is BacktestRunRecord => r !== null);
  const missing = ids.filter((_, i) => found[i] === null);
  // One unit on the chart when every run is in the same quote currency (runs in USDT and in BTC are not one scale).
  const quotes = [...new Set(runs.map((r) => runQuoteCurrency(r.config)))];
  const unit = quotes.length === 1 ? quotes[0] : null;
  const label = (r: BacktestRunRecord) => `${r.id.slice(0, 8)} ${Array.isArray(r.config.strategies) ? (r.config.strategies as string[]).join('+') : ''}`;
  return (
    <>
      <section className="card" aria-labelledby="compare-heading">
        <p>
          <a href="/backtests">← Backtests</a>
        </p>
        <h1 id="compare-heading">Compare {runs.length === 1 ? '1 run' : `${runs.length} runs`}</h1>
        {missing.length > 0 && (
          <p role="alert" className="error" data-testid="compare-missing">
            {missing.length === 1 ? 'Run' : 'Runs'} {missing.map((m) => `"${m}"`).join(', ')} {missing.length === 1 ? 'is' : 'are'} gone: deleted, or never existed. The
            table shows the others; <a href="/backtests">pick runs again</a>.
          </p>
        )}
        <ScrollTable label="Compared runs" wide data-testid="compare-table">
            <caption className="sr-only">Metrics per run</caption>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                {runs.map((r) => (
                  <th scope="col" key={r.id} className="num">
                    <a href={`/backtests/${encodeURIComponent(r.id)}`}>{label(r)}</a>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Market</th>
                {runs.map((r) => (
                  <td key={r.id} className="num">
                    <span title={r.symbol}>{runMarketsLabel(r.symbol)}</span> {r.timeframe}
                  </td>
                ))}
              </tr>
              <tr data-testid="compare-models">
                <th scope="row">Models</th>
                {runs.map((r) => (
                  <td key={r.id} className="num">
                    {runModelsLabel(r.config.models)}
                  </td>
                ))}
              </tr>
              {METRIC_ROWS.map((m) => (
                <tr key={m.key} data-testid={`compare-${m.key}`}>
                  <th scope="row">{m.label}</th>
                  {runs.map((r) => (
                    <td key={r.id} className="num">
                      {formatMetric(metricNumber(r.metrics, m.key), m.kind)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      </section>
      <section className="card" aria-labelledby="compare-equity-heading">
        <h2 id="compare-equity-heading">Equity curves</h2>
        <EquityChart series={runs.map((r) => ({ name: label(r), points: r.equity ?? [] }))} unit={unit} label={`Equity of each run, ${unit ?? 'quote currency'}, overlaid`} />
      </section>
    </>
  );
}
