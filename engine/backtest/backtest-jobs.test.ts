import { describe, expect, it } from 'vitest';
import { backtestRunMetrics } from '../testing/backtest-run-metrics';
import { NotFoundError } from '../core/errors';
import type { BacktestRunRecord, BacktestRunRepository } from '../ports/backtest-runs';
import type { JournalRepository, TradeRecord } from '../ports/journal';
import type { JobKind, JobQueue, Ticket, TicketFields, TicketOf } from '../orchestrator/job-queue';
import { backtestState } from './backtest-jobs';

const REQUEST = { exchange: 'x', symbol: 'BTC/USDT', timeframe: '1h', from: 0, to: 3_600_000, strategies: ['ema-trend'] };

/** A backtest job's stored result; the state report reads only its run id. */
const succeededWith = (runId: string) => ({ runId }) as TicketOf<'backtest'>['result'];

/** A ticket (a backtest unless `kind` says otherwise) with the given fields. */
const ticket = (patch: Partial<TicketFields> & { kind?: JobKind; result?: TicketOf<'backtest'>['result'] }): Ticket =>
  ({
    id: 'job-1',
    kind: 'backtest',
    params: REQUEST,
    status: 'queued',
    attempts: 0,
    maxAttempts: 3,
    progress: 0,
    progressMessage: null,
    result: null,
    error: null,
    runner: 'in-process',
    cancelRequested: false,
    createdAtMs: 1_000,
    startedAtMs: null,
    finishedAtMs: null,
    updatedAtMs: null,
    runAfterMs: null,
    dedupeKey: null,
    ...patch,
  }) as Ticket;

const RUN: BacktestRunRecord = {
  id: 'run-1',
  status: 'complete',
  config: { exchange: 'x', fromMs: 0 },
  configHash: 'h',
  exchange: 'x',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  fromMs: 0,
  toMs: 3_600_000,
  metrics: backtestRunMetrics({ finalEquity: 10_010 }),
  equity: [{ timeMs: 0, equity: 10_000 }],
  tradeCount: 1,
  decisionCount: 3,
  error: null,
  startedAtMs: 2_000,
  finishedAtMs: 3_000,
};

const TRADE: TradeRecord = {
  id: 't1',
  runId: 'run-1',
  exchange: 'x',
  symbol: 'BTC/USDT',
  strategy: 'ema-trend',
  side: 'long',
  amount: 0.5,
  entryPrice: 100,
  exitPrice: 130,
  entryTimeMs: 0,
  exitTimeMs: 60_000,
  realizedPnl: 15,
  fees: 0.25,
  funding: -0.5,
  exitReason: 'signal',
};

function deps(tickets: Ticket[], runs: BacktestRunRecord[]) {
  const jobs = { get: async (id: string) => tickets.find((t) => t.id === id) ?? null } as unknown as JobQueue;
  const runRepository = { get: async (id: string) => runs.find((r) => r.id === id) ?? null } as unknown as BacktestRunRepository;
  const journal = {
    async *iterTrades(query: { runId?: string | null }) {
      if (query.runId === 'run-1') yield TRADE;
    },
  } as unknown as JournalRepository;
  return { jobs, runs: runRepository, journal };
}

describe('backtestState', () => {
  it('reports a queued, running, failed and cancelled job with its request', async () => {
    const tickets = [
      ticket({ id: 'q' }),
      ticket({ id: 'r', status: 'running', progress: 0.4, progressMessage: '40% of candles', startedAtMs: 1_500 }),
      ticket({ id: 'f', status: 'failed', error: 'field "from" was 0: no candles', finishedAtMs: 2_500 }),
      ticket({ id: 'c', status: 'cancelled', finishedAtMs: 2_600 }),
    ];
    const d = deps(tickets, []);
    expect(await backtestState('q', d)).toEqual({ id: 'q', status: 'queued', request: REQUEST, queuedAtMs: 1_000 });
    expect(await backtestState('r', d)).toEqual({ id: 'r', status: 'running', request: REQUEST, progress: 0.4, progressMessage: '40% of candles', startedAtMs: 1_500 });
    expect(await backtestState('f', d)).toEqual({ id: 'f', status: 'failed', request: REQUEST, reason: 'field "from" was 0: no candles', runId: null, finishedAtMs: 2_500 });
    expect(await backtestState('c', d)).toEqual({ id: 'c', status: 'failed', request: REQUEST, reason: 'cancelled', runId: null, finishedAtMs: 2_600 });
  });

  it('refuses a complete run that has no metrics stored (corrupt row)', async () => {
    const d = deps([ticket({ status: 'succeeded', result: succeededWith('run-1'), finishedAtMs: 3_100 })], [{ ...RUN, metrics: null }]);
    await expect(backtestState('job-1', d)).rejects.toThrow('backtest run "run-1" is complete but has no metrics stored');
  });

  it('reports a succeeded job as complete with the run config, metrics, equity and trades with net PnL', async () => {
    const d = deps([ticket({ status: 'succeeded', result: succeededWith('run-1'), finishedAtMs: 3_100 })], [RUN]);
    expect(await backtestState('job-1', d)).toEqual({
      id: 'job-1',
      status: 'complete',
      runId: 'run-1',
      config: { exchange: 'x', fromMs: 0 },
      metrics: backtestRunMetrics({ finalEquity: 10_010 }),
      // RUN was stored without a warm-up record (as runs before it was recorded).
      warmup: null,
      equity: [{ timeMs: 0, equity: 10_000 }],
      startedAtMs: 2_000,
      finishedAtMs: 3_000,
      trades: [
        { id: 't1', symbol: 'BTC/USDT', strategy: 'ema-trend', side: 'long', amount: 0.5, entryPrice: 100, exitPrice: 130, entryTimeMs: 0, exitTimeMs: 60_000, realizedPnl: 15, fees: 0.25, funding: -0.5, netPnl: 15.25, exitReason: 'signal', initialRisk: null },
      ],
    });
  });

  it('reports the warm-up history a complete run got, with the run page line', async () => {
    const full = { ...RUN, id: 'run-3', metrics: { ...backtestRunMetrics({ finalEquity: 10_010 }), warmup: { candles: 139, needed: 139 } } };
    const short = { ...RUN, id: 'run-4', metrics: { ...backtestRunMetrics({ finalEquity: 10_010 }), warmup: { candles: 20, needed: 139 } } };
    const d = deps([], [full, short]);
    expect(await backtestState('run-3', d)).toMatchObject({ warmup: { candles: 139, needed: 139, summary: '139 candles before the range, all the strategies need' } });
    expect(await backtestState('run-4', d)).toMatchObject({ warmup: { candles: 20, needed: 139, summary: '20 of the 139 candles the strategies need, stored before the range (its first candles trade on indicators that still depend on where the history began)' } });
  });

  it('finds a run started without a job by its run id, and reports a failed run with its error', async () => {
    const failed = { ...RUN, id: 'run-2', status: 'failed' as const, error: 'disk full', metrics: null, equity: null };
    const d = deps([], [RUN, failed]);
    expect(await backtestState('run-1', d)).toMatchObject({ id: 'run-1', status: 'complete', runId: 'run-1' });
    expect(await backtestState('run-2', d)).toEqual({ id: 'run-2', status: 'failed', request: RUN.config, reason: 'disk full', runId: 'run-2', finishedAtMs: 3_000 });
  });

  it('throws NotFoundError naming an unknown id, and for a job of another kind', async () => {
    const d = deps([ticket({ id: 'snap', kind: 'daily-snapshot' })], []);
    await expect(backtestState('nope', d)).rejects.toThrow(new NotFoundError('no backtest has id "nope"'));
    await expect(backtestState('snap', d)).rejects.toThrow('no backtest has id "snap"');
  });
});
