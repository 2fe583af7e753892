/**
 * The engine's own job bodies: backtest, daily-snapshot and rollover. Both runners call these same
 * functions. The `train-*` bodies come from the ML module; the composition root merges them:
 * `{ ...createBaseJobHandlers(deps), ...mlHandlers }`.
 */
import type { Clock, JournalRepository } from '../core/ports';
import type { BacktestResult } from '../backtest/run-backtest';
import { JobCancelledError, JobKind, type JobContext, type JobHandler, type JobHandlers } from './job-queue';
import {
  DAY_MS,
  SnapshotKind,
  takeAccountSnapshot,
  utcDayStartMs,
  type AccountSnapshotSource,
  type SnapshotRepository,
} from './account-snapshot';

/** What the base handlers need. `runBacktest` is the engine facade's method. */
export interface BaseJobHandlerDeps {
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  journal: JournalRepository;
  snapshots: SnapshotRepository;
  account: AccountSnapshotSource;
  clock: Clock;
  newId: () => string;
  /** Decision rows deleted per statement by rollover (default 5 000). */
  pruneBatchSize?: number;
}

/**
 * Backtest job: runs the backtest with the ticket's params (a backtest request), reporting
 * progress as the fraction of candles simulated. A cancel or shutdown stops the simulation at its
 * next progress tick (the run row is then marked failed by `runBacktest`).
 * @returns the run summary: runId, candle count, final equity, metrics and loop stats (no trade list).
 */
export function createBacktestJobHandler(deps: Pick<BaseJobHandlerDeps, 'runBacktest'>): JobHandler {
  return async (params, ctx) => {
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
    const result = await deps.runBacktest(params, onProgress);
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
  };
}

/** Default day of a snapshot taken at `nowMs`: the UTC day containing `nowMs - 1` (at 00:00 that is the day just ended). */
export const snapshotDayStartMs = (nowMs: number) => utcDayStartMs(nowMs - 1);

/**
 * Daily-snapshot job: stores the account snapshot with the day's live-trade summary.
 * Params: `{ dayStartMs?: UTC midnight }`. @returns `{ snapshotId, equity, dayStartMs }`.
 */
export function createDailySnapshotJobHandler(deps: Omit<BaseJobHandlerDeps, 'runBacktest' | 'pruneBatchSize'>): JobHandler<{ dayStartMs?: number }> {
  return async (params, ctx) => {
    const dayStartMs = params.dayStartMs ?? snapshotDayStartMs(deps.clock.nowMs());
    await ctx.reportProgress(0, 'reading the account');
    const snapshot = await takeAccountSnapshot(SnapshotKind.Daily, dayStartMs, deps);
    return { snapshotId: snapshot.id, equity: snapshot.equity, dayStartMs };
  };
}

/**
 * Rollover job: starts a new UTC trading day. Stores a `day-close` snapshot of the day that just
 * ended, then deletes live decision-log rows (no run id; backtest decisions are kept with their
 * runs) older than `retentionDays` before the current UTC midnight, in batches, reporting progress
 * and honouring cancellation between batches.
 * Params: `{ retentionDays: integer >= 1 }`. @returns `{ snapshotId, equity, prunedDecisions, pruneBeforeMs }`.
 */
export function createRolloverJobHandler(deps: Omit<BaseJobHandlerDeps, 'runBacktest'>): JobHandler<{ retentionDays: number }> {
  const batchSize = deps.pruneBatchSize ?? 5_000;
  return async (params, ctx: JobContext) => {
    const nowMs = deps.clock.nowMs();
    const snapshot = await takeAccountSnapshot(SnapshotKind.DayClose, snapshotDayStartMs(nowMs), deps);
    await ctx.reportProgress(0.1, 'day-close snapshot stored');
    const pruneBeforeMs = utcDayStartMs(nowMs) - params.retentionDays * DAY_MS;
    let prunedDecisions = 0;
    for (;;) {
      const deleted = await deps.journal.pruneDecisionsBefore(pruneBeforeMs, batchSize);
      prunedDecisions += deleted;
      if (deleted < batchSize) break;
      await ctx.reportProgress(0.5, `${prunedDecisions} decisions deleted`);
    }
    return { snapshotId: snapshot.id, equity: snapshot.equity, prunedDecisions, pruneBeforeMs };
  };
}

/** The engine's handlers by kind (no `train-*`). */
export function createBaseJobHandlers(deps: BaseJobHandlerDeps): JobHandlers {
  return {
    [JobKind.Backtest]: createBacktestJobHandler(deps),
    [JobKind.DailySnapshot]: createDailySnapshotJobHandler(deps),
    [JobKind.Rollover]: createRolloverJobHandler(deps),
  };
}
