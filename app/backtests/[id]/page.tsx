import { RunModels } from '@/app/_components/models/run-models';
import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { TradesTable } from '../../journal/_components/trades-table';
import { toTradeRow } from '../../journal/_lib/trade-row';
import { fmtFractionPct, fmtMoney, formatTime } from '@/app/_components/format';
import { totalTradeMoney } from '@/engine/insight/trade-outcome';
import { describeBacktestWarmup, runQuoteCurrency } from '@/engine/backtest/run-backtest';
import { EquityChart } from '../_components/equity-chart';
import { RollingRiskChart, UnderwaterChart } from '../_components/research-charts';
import { DeleteRunForm } from '../_components/delete-run-form';
import { PortfolioSection } from '../_components/portfolio-section';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { TradeBreakdownSection } from '@/app/_components/trade-breakdown-section';
import { chartQuery } from '@/app/_components/chart/chart-params';
import { METRIC_ROWS, formatMetric, metricNumber } from '../_lib/run-metrics';
import { ScrollTable } from '@/app/_components/scroll-table';
import { StrategyProvenanceList } from '@/app/_components/strategy-provenance';
import '../../journal/journal.css';

export const dynamic = 'force-dynamic';

const TRADE_ROWS = 100;

/** The run's resolved venue settings and limits in one line ("futures, leverage 3x, isolated margin; fees …; breakers off"). */
function describeSettings(config: Record<string, unknown>): string {
  const paper = (config.paper ?? {}) as Record<string, unknown>;
  const risk = (config.risk ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? String(v) : '—');
  const market = paper.marketType === 'futures' ? `futures, leverage ${num(paper.leverage ?? 1)}x, ${String(paper.marginMode ?? 'cross')} margin` : 'spot (long only)';
  const costs = `maker ${num(paper.makerFeeBps)} / taker ${num(paper.takerFeeBps)} bps, spread ${num(paper.spreadBps)} bps, slippage ${num(paper.slippageBps)} bps`;
  const limits = `risk ${num(risk.riskPerTradePct)}% per trade, max leverage ${num(risk.maxLeverage)}`;
  // Breakers off (research runs) means both limits at their maximum, 100 %.
  const breakers = risk.dailyLossLimitPct === 100 && risk.maxDrawdownPct === 100 ? 'breakers off' : `breakers: daily loss ${num(risk.dailyLossLimitPct)}%, drawdown ${num(risk.maxDrawdownPct)}%`;
  // VaR / ES limits (fractions of equity) only when the run set one.
  const pctOf = (v: unknown) => (typeof v === 'number' ? `${Number((v * 100).toFixed(4))}%` : 'off');
  const varLimits =
    typeof risk.maxVarFraction === 'number' || typeof risk.maxExpectedShortfallFraction === 'number'
      ? `; VaR / ES limits ${pctOf(risk.maxVarFraction)} / ${pctOf(risk.maxExpectedShortfallFraction)} of equity at ${pctOf(risk.varConfidence ?? 0.99)} over ${num(risk.varLookbackCandles ?? 500)} candles`
      : '';
  return `${market}; ${costs}; ${limits}; ${breakers}${varLimits}`;
}

/** One backtest run: config, metrics, equity curve and its trades. */
export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const access = await requireRole('viewer', `/backtests/${encodeURIComponent(id)}`);
  const run = await access.root.engine.getBacktestRun(id);
  // HTTP 404 with ./not-found.tsx.
  if (!run) notFound();
  const trades = await access.root.engine.listTrades({ runId: run.id, limit: TRADE_ROWS });
  // A portfolio run (several markets, one account) lists its symbols in its config.
  const portfolioSymbols = Array.isArray(run.config.symbols) ? (run.config.symbols as string[]) : null;
  // Prices show the decimals the market's own candles are quoted with (its tick), else six significant digits (several markets: no one tick).
  const priceDecimals = portfolioSymbols ? null : await access.root.engine.marketPriceDecimals({ exchange: run.exchange, symbol: run.symbol, timeframe: run.timeframe }, run.toMs);
  // Totals over every trade of the run (not only the shown rows), streamed in constant memory.
  const all = [];
  for await (const t of access.root.engine.exportTrades({ runId: run.id })) all.push({ realizedPnl: t.realizedPnl, fees: t.fees, funding: t.funding });
  const totals = totalTradeMoney(all);
  const paper = (run.config.paper ?? {}) as { initialBalance?: unknown };
  const initialBalance = typeof paper.initialBalance === 'number' ? paper.initialBalance : null;
  const quote = runQuoteCurrency(run.config) ?? 'quote currency';
  // Equity change = the closed trades' net PnL + what the position still open at the end holds
  // (unrealized PnL at the last close less the fees and funding it already paid). Not a trade yet.
  const finalEquity = metricNumber(run.metrics, 'finalEquity');
  const equityChange = finalEquity !== null && initialBalance !== null ? finalEquity - initialBalance : null;
  const openAtEnd = equityChange !== null && Math.abs(equityChange - totals.netPnl) >= 0.005 ? equityChange - totals.netPnl : null;
  // Breaker halts (recorded by runs since halts were stored), the underwater curve, the benchmark and rolling risk.
  const halts = run.metrics?.halts ?? [];
  const analysis = await access.root.engine.backtestAnalysis(run.id);
  const marketsLabel = portfolioSymbols ? `portfolio of ${portfolioSymbols.length} markets` : run.symbol;
  const benchmarkReturn = analysis && analysis.benchmark.length > 0 && initialBalance ? analysis.benchmark[analysis.benchmark.length - 1].equity / initialBalance - 1 : null;
  return (
    <>
      <section className="card" aria-labelledby="run-heading">
        <p>
          <a href="/backtests">← Backtests</a>
        </p>
        <h1 id="run-heading">
          {run.exchange} {marketsLabel} {run.timeframe} · <span className="badge" data-testid="run-status">{run.status}</span>
        </h1>
        <dl className="kv">
          {portfolioSymbols && (
            <>
              <dt>Markets</dt>
              <dd data-testid="run-markets">{portfolioSymbols.join(', ')} (one account: max open positions and exposure per market apply across them)</dd>
            </>
          )}
          <dt>Run id</dt>
          <dd><code data-testid="run-id">{run.id}</code></dd>
          <dt>Range</dt>
          <dd>{formatTime(run.fromMs)} to {formatTime(run.toMs)} (exclusive)</dd>
          <dt>Strategies</dt>
          <dd>
            <StrategyProvenanceList config={run.config} />
          </dd>
          {run.metrics?.warmup && (
            <>
              <dt>Warm-up</dt>
              <dd data-testid="run-warmup">{describeBacktestWarmup(run.metrics.warmup)}</dd>
            </>
          )}
          <dt>Initial balance</dt>
          <dd data-testid="run-initial-balance">{fmtMoney(initialBalance)} {quote}</dd>
          <dt>Account settings</dt>
          <dd data-testid="run-settings">{describeSettings(run.config)}</dd>
          <dt>Veto</dt>
          <dd>{run.config.veto === true ? 'on' : 'off'}</dd>
          <dt>Models</dt>
          <RunModels models={run.config.models} testId="run-models" />
          <dt>Started / finished</dt>
          <dd>{formatTime(run.startedAtMs)} / {formatTime(run.finishedAtMs)}</dd>
          {!portfolioSymbols && (
            <>
              <dt>Chart</dt>
              <dd><a href={`/chart?${chartQuery({ runId: run.id })}`} data-testid="run-chart-link">Show on chart</a> (the run's market and period, its trades and signals)</dd>
            </>
          )}
          <dt>Decisions journaled</dt>
          <dd>{run.decisionCount ?? '—'} (<a href={`/journal/decisions?run=${encodeURIComponent(run.id)}`}>decision log</a>)</dd>
          {run.error && (
            <>
              <dt>Error</dt>
              <dd role="alert" className="error">{run.error}</dd>
            </>
          )}
        </dl>
        {run.status !== 'running' && roleAtLeast(access.actor.role, 'trader') && <DeleteRunForm runId={run.id} />}
      </section>
      <section className="card" aria-labelledby="metrics-heading">
        <h2 id="metrics-heading">Metrics</h2>
        <p className="muted">
          Money in {quote}, after fees and funding. A trade wins when its net PnL is above zero.
        </p>
        {run.metrics === null ? (
          <p className="muted">No metrics: the run did not complete.</p>
        ) : (
          <ScrollTable label="Run metrics" data-testid="metrics-table">
              <caption className="sr-only">Run metrics</caption>
              <tbody>
                {METRIC_ROWS.map((m) => (
                  <tr key={m.key} data-testid={`metric-${m.key}`}>
                    <th scope="row">{m.label.replace('quote currency', quote)}</th>
                    <td className="num">{formatMetric(metricNumber(run.metrics, m.key), m.kind)}</td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        )}
      </section>
      {run.metrics?.portfolio && <PortfolioSection portfolio={run.metrics.portfolio} run={run} quote={quote} />}
      {halts.length > 0 && (
        <section className="card" aria-labelledby="halts-heading" data-testid="breaker-halts">
          <h2 id="halts-heading">Breaker halts</h2>
          <p>A circuit breaker stopped new entries during this run; open positions kept their exits.</p>
          <ul>
            {halts.map((h) => (
              <li key={h.timeMs} data-testid="breaker-halt">
                <strong>{formatTime(h.timeMs)}</strong>: {h.reason}.{' '}
                {h.resumedAtMs === null ? 'Entries stayed halted to the end of the run.' : `Entries resumed at ${formatTime(h.resumedAtMs)}.`}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-labelledby="equity-heading">
        <h2 id="equity-heading">Equity curve</h2>
        <EquityChart
          series={[
            { name: `Run ${run.id.slice(0, 8)}`, points: run.equity ?? [] },
            ...(analysis && analysis.benchmark.length > 0 ? [{ name: 'Buy and hold', points: analysis.benchmark }] : []),
          ]}
          halts={halts.map((h) => ({ timeMs: h.timeMs, label: `halted: ${h.reason.split(':', 1)[0]}` }))}
          label={`Equity of run ${run.id.slice(0, 8)}${portfolioSymbols ? '' : ` and buy-and-hold of ${run.symbol}`} over the same period, ${quote}`}
          unit={runQuoteCurrency(run.config)}
        />
        {analysis && benchmarkReturn !== null && (
          <p data-testid="benchmark">
            Buy and hold {run.symbol} (the initial balance bought at the first candle&apos;s open, held to the last close, {analysis.benchmarkFeeBps} bps taker fee on
            the buy and the sale): <strong>{fmtFractionPct(benchmarkReturn)}</strong>
            {metricNumber(run.metrics, 'totalReturn') !== null && <> against the run&apos;s {fmtFractionPct(metricNumber(run.metrics, 'totalReturn'))}</>}.
          </p>
        )}
      </section>
      {analysis && (
        <section className="card" aria-labelledby="underwater-heading">
          <h2 id="underwater-heading">Underwater (drawdown from peak)</h2>
          <UnderwaterChart points={analysis.underwater} label={`Drawdown of run ${run.id.slice(0, 8)} below its running equity peak, percent`} />
          <h2 id="rolling-heading">Rolling Sharpe and volatility</h2>
          <RollingRiskChart points={analysis.rolling} label={`Sharpe ratio and volatility over ${analysis.window} equity points, annualised (risk-free rate 0)`} />
        </section>
      )}
      <TradeBreakdownSection engine={access.root.engine} filter={{ runId: run.id }} label={`Trades of run ${run.id}`} card />
      <section className="card" aria-labelledby="trades-heading">
        <h2 id="trades-heading">Trades ({run.tradeCount ?? trades.items.length})</h2>
        {trades.items.length === 0 ? (
          <p className="muted" data-testid="trades-empty">This run closed no trades.</p>
        ) : (
          <TradesTable
            trades={trades.items.map(toTradeRow)}
            caption={`Trades of run ${run.id}`}
            precision={{ priceDecimals }}
            totals={totals}
            totalsLabel={trades.nextCursor ? `Total of all ${totals.trades} trades of the run` : `Total of the ${totals.trades} trades`}
          />
        )}
        {equityChange !== null && (
          <p data-testid="equity-reconciliation">
            Equity changed by <strong>{fmtMoney(equityChange)}</strong> {quote}; the closed trades&apos; net PnL is {fmtMoney(totals.netPnl)}.
            {openAtEnd !== null && (
              <span data-testid="open-at-end">
                {' '}The other {fmtMoney(openAtEnd)} is the position still open when the run ended (its unrealized PnL at the last close, less the fees and funding it had paid); it becomes a trade only once it closes.
              </span>
            )}
          </p>
        )}
        {trades.nextCursor && (
          <p>
            Showing the newest {TRADE_ROWS}. <a href={`/journal?run=${encodeURIComponent(run.id)}`}>All trades of this run in the journal</a>
          </p>
        )}
      </section>
    </>
  );
}
