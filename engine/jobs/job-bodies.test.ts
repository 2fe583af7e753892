import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import type { BacktestResult } from '../backtest/run-backtest';
import { createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { createInMemorySnapshotRepository } from '../testing/in-memory-job-repositories';
import type { AccountSnapshot } from '../ports/snapshots';
import { JobCancelledError, type JobContext } from '../orchestrator/job-queue';
import { runDailySnapshotJob, runRolloverJob } from './account-jobs';
import { runBacktestJob } from './backtest-job';

const DAY = 86_400_000;

/** A body with its services bound, as `bindJobHandlers` does for the runners. */
const bindBody =
  <P, S, R>(run: (params: P, ctx: JobContext, services: S) => Promise<R>, services: S) =>
  (params: P, ctx: JobContext) =>
    run(params, ctx, services);
const D0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

/** A trade of account `accountId`'s sessions (a live trade), or of backtest run `runId` (no account). */
function trade(id: string, exitTimeMs: number, realizedPnl: number, fees: number, runId: string | null = null, accountId = 'default'): TradeRecord {
  return {
    id,
    runId,
    ...(runId === null ? { accountId } : {}),
    exchange: 'paper',
    symbol: 'BTC/USDT',
    strategy: 'ema-trend',
    side: 'long',
    amount: 0.1,
    entryPrice: 40_000,
    exitPrice: 40_100,
    entryTimeMs: exitTimeMs - 60_000,
    exitTimeMs,
    realizedPnl,
    fees,
    funding: 0.5,
    exitReason: 'signal',
  };
}

function decision(id: string, timeMs: number, runId: string | null = null): DecisionRecord {
  return { id, runId, exchange: 'paper', symbol: 'BTC/USDT', timeframe: '5m', strategy: 'ema-trend', timeMs, outcome: 'no_trade', side: 'flat', strength: 0, reason: 'flat', inputs: {} };
}

const account: AccountSnapshot = {
  accountId: 'default',
  equity: 10_250.5,
  walletBalance: 10_200,
  openPositionCount: 1,
  positions: [{ symbol: 'BTC/USDT', side: 'long', amount: 0.1, entryPrice: 40_000, markPrice: 40_505, unrealizedPnl: 50.5 }],
  openOrderCount: 2,
};

function context(progress: [number, string | undefined][] = [], signal = new AbortController().signal): JobContext {
  return {
    ticketId: 'ticket-1',
    attempt: 1,
    signal,
    logger: silentLogger,
    reportProgress: async (p, m) => {
      progress.push([p, m]);
    },
  };
}

describe('daily-snapshot job', () => {
  it("stores equity, positions, open orders and the day's trades of the account's sessions", async () => {
    const clock = createManualClock(D0 + DAY); // the midnight cron: 2024-01-02T00:00:00Z
    const journal = createInMemoryJournalRepository();
    await journal.appendTrades([
      trade('before', D0 - 1, 100, 1), // previous day
      trade('win', D0, 30, 2), // net 30 - 2 - 0.5 = 27.5
      trade('loss', D0 + DAY / 2, -10, 1), // net -11.5
      trade('backtest', D0 + 1_000, 500, 1, 'run-1'), // a backtest's trade: excluded
      trade('desk', D0 + 2_000, 900, 1, null, 'desk'), // another account's session: excluded
      trade('next', D0 + DAY, 70, 1), // the new day
    ]);
    const snapshots = createInMemorySnapshotRepository();
    const handler = bindBody(runDailySnapshotJob, { journal, snapshots, account: async () => account, clock, newId: () => 'snap-1' });
    const result = await handler({}, context());
    expect(result).toEqual({ snapshotId: 'snap-1', accountId: 'default', equity: 10_250.5, dayStartMs: D0 });
    expect(snapshots.rows).toEqual([
      {
        id: 'snap-1',
        kind: 'daily',
        takenAtMs: D0 + DAY,
        equity: 10_250.5,
        payload: {
          accountId: 'default',
          dayStartMs: D0,
          walletBalance: 10_200,
          openPositionCount: 1,
          positions: account.positions,
          openOrderCount: 2,
          day: { fromMs: D0, toMs: D0 + DAY, trades: 2, wins: 1, losses: 1, realizedPnl: 20, fees: 3, funding: 1, netPnl: 16 },
        },
      },
    ]);
  });

  it('refuses to store a snapshot of a non-finite equity', async () => {
    const snapshots = createInMemorySnapshotRepository();
    const handler = bindBody(runDailySnapshotJob, {
      journal: createInMemoryJournalRepository(),
      snapshots,
      account: async () => ({ ...account, equity: Number.NaN }),
      clock: createManualClock(D0),
      newId: () => 'snap-1',
    });
    await expect(handler({}, context())).rejects.toThrow('account equity is NaN; refusing to store a snapshot');
    expect(snapshots.rows).toEqual([]);
  });
});

describe('rollover job', () => {
  it('stores a day-close snapshot and deletes live decisions older than the retention window, in batches', async () => {
    const clock = createManualClock(D0 + 10 * DAY + 5_000); // 2024-01-11T00:00:05Z
    const journal = createInMemoryJournalRepository();
    const cutoff = D0 + 3 * DAY; // midnight of Jan 11 minus 7 days = Jan 4
    await journal.appendDecisions([
      decision('old-1', D0),
      decision('old-2', D0 + DAY),
      decision('old-3', D0 + 2 * DAY),
      decision('old-4', cutoff - 1),
      decision('old-5', cutoff - 1),
      decision('edge', cutoff), // exactly at the cutoff: kept
      decision('recent', D0 + 9 * DAY),
      decision('backtest', D0, 'run-1'), // backtest decisions stay with their run
    ]);
    const snapshots = createInMemorySnapshotRepository();
    const progress: [number, string | undefined][] = [];
    const handler = bindBody(runRolloverJob, { journal, snapshots, account: async () => account, clock, newId: () => 'snap-9', pruneBatchSize: 2 });
    const result = await handler({ retentionDays: 7 }, context(progress));
    expect(result).toEqual({ snapshotId: 'day-close:default:2024-01-11', equity: 10_250.5, prunedDecisions: 5, pruneBeforeMs: cutoff });
    expect(journal.decisions.map((d) => d.id).sort()).toEqual(['backtest', 'edge', 'recent']);
    expect(snapshots.rows.map((s) => [s.kind, s.payload.dayStartMs])).toEqual([['day-close', D0 + 10 * DAY]]);
    // batches of 2: 2, 2, 1 -> progress after each full batch
    expect(progress).toEqual([
      [0.1, 'day-close snapshot stored'],
      [0.5, '2 decisions deleted'],
      [0.5, '4 decisions deleted'],
    ]);
  });

  it('stores one day-close snapshot per account and day: a retry after a later failure keeps the first', async () => {
    const clock = createManualClock(D0 + 10 * DAY + 5_000);
    const journal = createInMemoryJournalRepository();
    await journal.appendDecisions([decision('old', D0)]);
    const snapshots = createInMemorySnapshotRepository();
    let n = 0;
    let equity = 10_250.5;
    const partitions = {
      ensureMonths: async () => [],
      // The first attempt fails after its snapshot was stored.
      dropDecisionMonthsBefore: async () => {
        if (++n === 1) throw new Error('connection lost');
        return { dropped: [], rows: 0, kept: [] };
      },
    };
    const handler = bindBody(runRolloverJob, { journal, snapshots, account: async () => ({ ...account, equity }), clock, newId: () => `snap-${n}`, partitions });
    await expect(handler({ retentionDays: 7 }, context())).rejects.toThrow('connection lost');
    clock.set(D0 + 10 * DAY + 65_000);
    equity = 10_300;
    const retried = await handler({ retentionDays: 7 }, context());
    expect(retried).toMatchObject({ snapshotId: 'day-close:default:2024-01-11', equity: 10_250.5, prunedDecisions: 1 });
    expect(snapshots.rows.map((s) => [s.id, s.kind, s.takenAtMs, s.equity])).toEqual([['day-close:default:2024-01-11', 'day-close', D0 + 10 * DAY + 5_000, 10_250.5]]);
  });

  it('with partitions, creates the months ahead, counts the rows of dropped months, then prunes the rest row by row', async () => {
    const clock = createManualClock(D0 + 10 * DAY + 5_000);
    const journal = createInMemoryJournalRepository();
    const cutoff = D0 + 3 * DAY;
    await journal.appendDecisions([decision('old', D0), decision('recent', D0 + 9 * DAY)]);
    const calls: string[] = [];
    const partitions = {
      async ensureMonths(fromMs: number, monthsAhead: number) {
        calls.push(`ensure ${fromMs} +${monthsAhead}`);
        return [];
      },
      async dropDecisionMonthsBefore(beforeMs: number) {
        calls.push(`drop before ${beforeMs}`);
        return { dropped: ['decision_log_p202312'], rows: 7, kept: [] };
      },
    };
    const progress: [number, string | undefined][] = [];
    const handler = bindBody(runRolloverJob, { journal, snapshots: createInMemorySnapshotRepository(), account: async () => account, clock, newId: () => 'snap-9', partitions });
    const result = await handler({ retentionDays: 7 }, context(progress));
    // 7 rows in the dropped month + 1 live row before the cutoff deleted row-wise.
    expect(result).toEqual({ snapshotId: 'day-close:default:2024-01-11', equity: 10_250.5, prunedDecisions: 8, pruneBeforeMs: cutoff, droppedPartitions: ['decision_log_p202312'] });
    expect(calls).toEqual([`ensure ${D0 + 10 * DAY + 5_000} +3`, `drop before ${cutoff}`]);
    expect(journal.decisions.map((d) => d.id)).toEqual(['recent']);
    expect(progress).toEqual([
      [0.1, 'day-close snapshot stored'],
      [0.3, '1 month partitions dropped (7 decisions)'],
    ]);
  });
});

describe('backtest job', () => {
  const result: BacktestResult = {
    runId: 'run-7',
    config: {},
    candles: 4,
    warmup: { candles: 0, needed: 0 },
    returnMetrics: { totalReturn: 0.01 } as unknown as BacktestResult['returnMetrics'],
    tradeMetrics: { trades: 1 } as unknown as BacktestResult['tradeMetrics'],
    finalEquity: 10_100,
    trades: [],
    equity: [],
    stats: { candles: 4, decisions: 2 },
    halts: [],
    portfolio: null,
  };

  it('maps candle progress to ticket progress and returns the run summary without the trade list', async () => {
    const progress: [number, string | undefined][] = [];
    const handler = bindBody(runBacktestJob, {
      runBacktest: async (request, onProgress) => {
        expect(request).toEqual({ symbol: 'BTC/USDT' });
        onProgress?.(1, 4);
        onProgress?.(2, 4); // arrives while the first write is in flight: replaced by the next
        onProgress?.(3, 4); // written once the first write finishes
        return result;
      },
    });
    expect(await handler({ symbol: 'BTC/USDT' }, context(progress))).toEqual({
      runId: 'run-7',
      candles: 4,
      finalEquity: 10_100,
      returnMetrics: { totalReturn: 0.01 },
      tradeMetrics: { trades: 1 },
      stats: { candles: 4, decisions: 2 },
    });
    expect(progress).toEqual([
      [0.25, '1 of 4 candles'],
      [0.75, '3 of 4 candles'],
    ]);
  });

  it('stops the simulation at the next progress tick once a progress report says the job was cancelled', async () => {
    let ticks = 0;
    const handler = bindBody(runBacktestJob, {
      runBacktest: async (_request, onProgress) => {
        for (let i = 0; i < 10; i++) {
          ticks++;
          onProgress?.(i, 10);
          await new Promise((resolve) => setTimeout(resolve, 0)); // the rejected report settles before the next tick
        }
        return result;
      },
    });
    const ctx = { ...context(), reportProgress: async () => Promise.reject(new JobCancelledError('ticket-1')) };
    await expect(handler({}, ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(ticks).toBe(2);
  });
});
