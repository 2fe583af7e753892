/**
 * The `backtest` job: runs one backtest (the live loop on a simulated clock) with the ticket's
 * params, reporting progress as the fraction of candles simulated.
 */
import { backtestRequestSchema, resolveBacktest, type BacktestResult } from '../backtest/run-backtest';
import { JobCancelledError, type JobContext } from './job-context';
import { defineJob, type JobServices } from './job-definition';

/** What a backtest ticket stores: the run summary (no trade list, no equity curve; read those from the run). */
export type BacktestJobResult = Pick<BacktestResult, 'runId' | 'candles' | 'finalEquity' | 'returnMetrics' | 'tradeMetrics' | 'stats'>;

/**
 * Runs a backtest, reporting candle progress without ever making the simulation wait for a write.
 * A cancel or shutdown stops the simulation at its next progress tick (the run row is then marked
 * failed by `runBacktest`).
 */
export async function runBacktestJob(params: unknown, ctx: JobContext, services: Pick<JobServices, 'runBacktest'>): Promise<BacktestJobResult> {
  let inFlight: Promise<void> | null = null;
  let pending: [number, number] | null = null;
  let stopError: unknown = null;
  // One progress write at a time, never awaited by the simulation; ticks arriving meanwhile
  // collapse into the latest, written when the current write finishes.
  const write = (done: number, total: number) => {
    inFlight = ctx
      .reportProgress(done / total, `${done} of ${total} candles`)
      .catch((error: unknown) => {
        stopError = error;
      })
      .finally(() => {
        inFlight = null;
        const next = pending;
        pending = null;
        if (next && !stopError) write(...next);
      });
  };
  const onProgress = (done: number, total: number) => {
    if (stopError) throw stopError;
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new JobCancelledError(ctx.ticketId);
    if (total === 0) return;
    if (inFlight) pending = [done, total];
    else write(done, total);
  };
  const result = await services.runBacktest(params, onProgress);
  while (inFlight) await inFlight;
  if (stopError) throw stopError;
  return {
    runId: result.runId,
    candles: result.candles,
    finalEquity: result.finalEquity,
    returnMetrics: result.returnMetrics,
    tradeMetrics: result.tradeMetrics,
    stats: result.stats,
  };
}

export const backtestJob = defineJob({
  kind: 'backtest',
  webhookStartable: true,
  summary: 'Runs a backtest and stores the run (metrics, equity curve, trades, decisions).',
  paramsSchema: backtestRequestSchema,
  /** Unknown strategy or timeframe, empty date range, leverage above the venue maximum, ... */
  check: (params, context) => void resolveBacktest(params, undefined, context.strategies),
  example: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-02-01', strategies: ['ema-trend'] },
  run: runBacktestJob,
});
