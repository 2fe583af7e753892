/**
 * Backtests as background jobs: queue one after checking everything that would make it fail at once
 * (the request, the candles it needs, the veto model), and report a queued backtest's state, with
 * the run's config, metrics, trades and equity curve once it is complete. The dashboard form, the
 * control API and scripts use these, so a backtest is validated and reported one way.
 */
import { NotFoundError, RepositoryError, ValidationError } from '../core/errors';
import type { BacktestRunRecord, BacktestRunRepository, BacktestWarmup, EquityPoint, StoredBacktestRunMetrics } from '../ports/backtest-runs';
import type { CandleRepository } from '../ports/candles';
import type { JournalRepository } from '../ports/journal';
import type { VetoModel } from '../decision/veto-model';
import { JobKind } from '../jobs/definitions';
import type { JobQueue, TicketOf } from '../orchestrator/job-queue';
import type { StoredRunSettings } from '../trading/run-spec';
import type { StrategyCatalog } from '../strategies/strategy-catalog';
import {
  backtestAccountIdOf,
  checkPortfolioSpans,
  describeBacktestWarmup,
  expandStoredSymbols,
  explicitBacktestRequest,
  loadBacktestModels,
  isPortfolio,
  marketsOf,
  resolveBacktest,
  type MarketSpan,
  type ResolvedBacktest,
} from './run-backtest';
import type { LoopModelSource } from '../decision/loop-models';
import { TIMEFRAME_MS } from '../core/types';
import { tradeNetPnl } from '../insight/trade-outcome';

/** What queuing and reporting backtests needs: candle, run and journal storage, the job queue, the active veto model. */
export interface BacktestJobDeps {
  candles: CandleRepository;
  jobs: JobQueue;
  runs: BacktestRunRepository;
  journal: JournalRepository;
  /** The veto model a run with `veto: true` would use now. */
  vetoModel: () => VetoModel | null;
  /** Where the models of a request's `models` option come from; without it a request that turns one on is refused. */
  loopModels?: LoopModelSource | null;
  /** The stored layer of a run on the account (its settings and risk limits, the strategy settings); none when absent. */
  storedSettings?: (accountId: string) => Promise<StoredRunSettings>;
  /** The strategies a run may use (the engine's catalog); the built-ins when absent. */
  strategies?: StrategyCatalog;
}

/**
 * Validates a backtest request and resolves its run spec over the stored settings (see `resolveBacktest`),
 * checks that candles are stored for its market and range and that a veto model is deployed when it
 * asks for one, then queues a `backtest` job whose params are the resolved request (every trading field
 * explicit), so the run trades the settings of the moment it was queued.
 * @returns the job (ticket) id.
 * A portfolio request (`symbols`, or `symbols: "all"` expanded over the stored markets) is checked market by market.
 * @throws ValidationError naming the request's field (`symbol` when no candles are stored for the market,
 *   `symbols` and the market for a portfolio market not stored or without candles in the range, or the list when the markets share no time,
 *   `from` when none fall in the range, `veto`, `models.<kind>`, `params.<strategy>.<field>`, …); nothing is queued.
 */
export async function enqueueBacktest(request: unknown, deps: BacktestJobDeps): Promise<string> {
  const expanded = await expandStoredSymbols(request, deps.candles);
  const spec = resolveBacktest(expanded, await deps.storedSettings?.(backtestAccountIdOf(request)), deps.strategies);
  if (isPortfolio(spec)) {
    await checkStoredPortfolio(spec, deps.candles);
  } else {
    const { exchange, symbol, timeframe } = spec.market;
    if ((await deps.candles.countCandles(spec.market)) === 0) {
      throw new ValidationError('symbol', symbol, `no ${timeframe} candles are stored for "${symbol}" on "${exchange}"; import or download them first`);
    }
    // One aggregated row (two when the range straddles a bucket boundary) says whether any candle is in range.
    const inRange = await deps.candles.loadCandleBuckets(spec.market, spec.fromMs, spec.toMs, spec.toMs - spec.fromMs);
    if (inRange.length === 0) {
      throw new ValidationError('from', (request as { from?: unknown }).from, `no ${exchange} ${symbol} ${timeframe} candles between ${new Date(spec.fromMs).toISOString()} and ${new Date(spec.toMs).toISOString()}`);
    }
  }
  if (spec.veto && !deps.vetoModel()) throw new ValidationError('veto', true, 'no veto model is deployed; deploy one or run with veto off');
  // The queued run uses the versions deployed now (and they must load).
  await loadBacktestModels(spec, deps.loopModels);
  return deps.jobs.enqueue({ kind: JobKind.Backtest, params: explicitBacktestRequest(spec) as Record<string, unknown> });
}

/**
 * A portfolio's markets as stored (one listing of the store): each must be stored, have candles in the
 * range and share some time with the others (`checkPortfolioSpans`). A stream's span in the range is
 * its stored first and last open time clipped to the range (gaps inside are not looked at here).
 */
async function checkStoredPortfolio(spec: ResolvedBacktest, candles: CandleRepository): Promise<void> {
  const stored = await candles.summarize();
  const timeframeMs = TIMEFRAME_MS[spec.market.timeframe];
  const spans = marketsOf(spec).map((m): MarketSpan | null => {
    const s = stored.find((x) => x.exchange === m.exchange && x.symbol === m.symbol && x.timeframe === m.timeframe && x.count > 0);
    if (!s) throw new ValidationError('symbols', m.symbol, `no ${m.timeframe} candles are stored for "${m.symbol}" on "${m.exchange}"; import or download them first`);
    const first = Math.max(s.firstOpenTimeMs, Math.ceil(spec.fromMs / timeframeMs) * timeframeMs);
    const last = Math.min(s.lastOpenTimeMs, spec.toMs - 1);
    return first <= last ? { symbol: m.symbol, firstOpenTimeMs: first, lastOpenTimeMs: last } : null;
  });
  checkPortfolioSpans(spec, spans);
}

/** One trade of a run. Money in quote currency; `netPnl = realizedPnl - fees - funding`. */
export interface BacktestTrade {
  id: string;
  /** The market traded (one of a portfolio run's symbols). */
  symbol: string;
  strategy: string;
  side: 'long' | 'short';
  amount: number;
  entryPrice: number;
  exitPrice: number;
  entryTimeMs: number;
  exitTimeMs: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  netPnl: number;
  exitReason: string;
  /** |entry − initial stop| × amount, quote currency; null when unknown. */
  initialRisk: number | null;
}

/** Where a backtest is. `id` is the job id, or the run id for a run started without a job (CLI). */
export type BacktestState =
  | { id: string; status: 'queued'; request: Record<string, unknown>; queuedAtMs: number }
  | { id: string; status: 'running'; request: Record<string, unknown>; progress: number; progressMessage: string | null; startedAtMs: number | null }
  | { id: string; status: 'failed'; request: Record<string, unknown>; reason: string; runId: string | null; finishedAtMs: number | null }
  | {
      id: string;
      status: 'complete';
      runId: string;
      /** The resolved run config as stored (defaults filled, times in epoch ms). */
      config: Record<string, unknown>;
      /** The run's return and trade metrics, final equity and loop counters (a metric that was not finite is null). */
      metrics: StoredBacktestRunMetrics;
      /**
       * History fed to the indicators before `from`: candles stored of those the strategies need, and the
       * line the run page shows (`describeBacktestWarmup`); null for runs stored before it was recorded.
       */
      warmup: (BacktestWarmup & { summary: string }) | null;
      trades: BacktestTrade[];
      equity: EquityPoint[];
      startedAtMs: number;
      finishedAtMs: number | null;
    };

async function tradesOf(runId: string, journal: JournalRepository): Promise<BacktestTrade[]> {
  const trades: BacktestTrade[] = [];
  for await (const t of journal.iterTrades({ runId, sort: 'time', direction: 'asc' })) {
    trades.push({
      id: t.id,
      symbol: t.symbol,
      strategy: t.strategy,
      side: t.side,
      amount: t.amount,
      entryPrice: t.entryPrice,
      exitPrice: t.exitPrice,
      entryTimeMs: t.entryTimeMs,
      exitTimeMs: t.exitTimeMs,
      realizedPnl: t.realizedPnl,
      fees: t.fees,
      funding: t.funding,
      netPnl: tradeNetPnl(t),
      exitReason: t.exitReason,
      initialRisk: t.initialRisk ?? null,
    });
  }
  return trades;
}

async function stateOfRun(id: string, run: BacktestRunRecord, request: Record<string, unknown>, journal: JournalRepository): Promise<BacktestState> {
  if (run.status === 'complete') {
    if (run.metrics === null) throw new RepositoryError(`backtest run "${run.id}" is complete but has no metrics stored`);
    return {
      id,
      status: 'complete',
      runId: run.id,
      config: run.config,
      metrics: run.metrics,
      warmup: run.metrics.warmup ? { ...run.metrics.warmup, summary: describeBacktestWarmup(run.metrics.warmup) } : null,
      trades: await tradesOf(run.id, journal),
      equity: run.equity ?? [],
      startedAtMs: run.startedAtMs,
      finishedAtMs: run.finishedAtMs,
    };
  }
  if (run.status === 'failed') return { id, status: 'failed', request, reason: run.error ?? 'failed', runId: run.id, finishedAtMs: run.finishedAtMs };
  return { id, status: 'running', request, progress: 0, progressMessage: null, startedAtMs: run.startedAtMs };
}

function stateOfTicket(ticket: TicketOf<'backtest'>): BacktestState | { completedRunId: string } {
  const base = { id: ticket.id, request: ticket.params };
  switch (ticket.status) {
    case 'queued':
      return { ...base, status: 'queued', queuedAtMs: ticket.createdAtMs };
    case 'running':
      return { ...base, status: 'running', progress: ticket.progress, progressMessage: ticket.progressMessage, startedAtMs: ticket.startedAtMs };
    case 'cancelled':
      return { ...base, status: 'failed', reason: 'cancelled', runId: null, finishedAtMs: ticket.finishedAtMs };
    case 'failed':
      return { ...base, status: 'failed', reason: ticket.error ?? 'failed', runId: null, finishedAtMs: ticket.finishedAtMs };
    case 'succeeded': {
      const runId = ticket.result?.runId;
      if (runId === undefined) return { ...base, status: 'failed', reason: 'the job succeeded without recording a run', runId: null, finishedAtMs: ticket.finishedAtMs };
      return { completedRunId: runId };
    }
  }
}

/**
 * The state of a backtest by job id (or by run id, for runs started without a job).
 * @throws NotFoundError naming the id when no backtest job or run has it.
 */
export async function backtestState(id: string, deps: Pick<BacktestJobDeps, 'jobs' | 'runs' | 'journal'>): Promise<BacktestState> {
  const ticket = await deps.jobs.get(id);
  if (ticket && ticket.kind === JobKind.Backtest) {
    const state = stateOfTicket(ticket);
    if (!('completedRunId' in state)) return state;
    const run = await deps.runs.get(state.completedRunId);
    if (!run) return { id, status: 'failed', request: ticket.params, reason: `run "${state.completedRunId}" of this job is missing`, runId: state.completedRunId, finishedAtMs: ticket.finishedAtMs };
    return stateOfRun(id, run, ticket.params, deps.journal);
  }
  const run = ticket ? null : await deps.runs.get(id);
  if (!run) throw new NotFoundError(`no backtest has id "${id}"`);
  return stateOfRun(id, run, run.config, deps.journal);
}
