/**
 * The account's day jobs: `daily-snapshot` (end-of-day account record) and `rollover` (start of a
 * new UTC trading day: day-close snapshot, then pruning of old live decision-log rows). Both run
 * on a schedule by default (see README "Background jobs").
 */
import { z } from 'zod';
import { DAY_MS, takeAccountSnapshot, utcDayStartMs } from '../orchestrator/account-snapshot';
import { SnapshotKind } from '../ports/snapshots';
import type { TablePartitions } from '../ports/partitions';
import type { JobContext } from './job-context';
import { defineJob, type JobServices } from './job-definition';

/** Default day of a snapshot taken at `nowMs`: the UTC day containing `nowMs - 1` (at 00:00 that is the day just ended). */
export const snapshotDayStartMs = (nowMs: number) => utcDayStartMs(nowMs - 1);

export const dailySnapshotParamsSchema = z
  .object({
    /** UTC midnight (epoch ms) of the day to summarise; default: the day containing `now - 1 ms`. */
    dayStartMs: z.number().int().nonnegative().refine((v) => v % DAY_MS === 0, 'expected a UTC midnight in epoch ms').optional(),
  })
  .strict();
export type DailySnapshotParams = z.infer<typeof dailySnapshotParamsSchema>;

/** What a daily-snapshot ticket stores. */
export interface DailySnapshotJobResult {
  snapshotId: string;
  /** The account snapshotted. */
  accountId: string;
  equity: number;
  dayStartMs: number;
}

type AccountJobServices = Pick<JobServices, 'journal' | 'snapshots' | 'account' | 'clock' | 'newId' | 'pruneBatchSize'> & { partitions?: TablePartitions };

/** Months of candle and decision-log partitions the rollover (and the server's start) keeps created ahead of the current one. */
export const PARTITION_MONTHS_AHEAD = 3;

/** Stores the account snapshot with the day's live-trade summary. */
export async function runDailySnapshotJob(params: DailySnapshotParams, ctx: JobContext, services: AccountJobServices): Promise<DailySnapshotJobResult> {
  const dayStartMs = params.dayStartMs ?? snapshotDayStartMs(services.clock.nowMs());
  await ctx.reportProgress(0, 'reading the account');
  const snapshot = await takeAccountSnapshot(SnapshotKind.Daily, dayStartMs, services);
  return { snapshotId: snapshot.id, accountId: snapshot.payload.accountId as string, equity: snapshot.equity, dayStartMs };
}

export const dailySnapshotJob = defineJob({
  kind: 'daily-snapshot',
  summary: "Stores the account's equity, positions and the day's live-trade summary.",
  /** Maintenance on its schedule (or by an operator): a snapshot of a day named by a sender would stand in the account's history. */
  webhookStartable: false,
  paramsSchema: dailySnapshotParamsSchema,
  /** Midnight UTC, for the day that just ended (named in the params, so a late run still records that day). */
  schedule: { cron: '0 0 * * *', params: (scheduledAtMs) => ({ dayStartMs: snapshotDayStartMs(scheduledAtMs) }) },
  example: {},
  run: runDailySnapshotJob,
});

/** Retention of live decision-log rows used by the scheduled rollover, days. */
export const DEFAULT_RETENTION_DAYS = 90;

export const rolloverParamsSchema = z
  .object({
    /** Live decision-log rows older than this many days are deleted. */
    retentionDays: z.number().int('expected an integer').min(1, 'expected at least 1 day'),
  })
  .strict();
export type RolloverParams = z.infer<typeof rolloverParamsSchema>;

/** What a rollover ticket stores. */
export interface RolloverJobResult {
  snapshotId: string;
  equity: number;
  prunedDecisions: number;
  pruneBeforeMs: number;
  /** Whole decision-log month partitions dropped (only with a partitioned database; absent otherwise). */
  droppedPartitions?: string[];
}

/**
 * Stores a `day-close` snapshot of the day that just ended, then deletes live decision-log rows
 * (no run id; backtest decisions are kept with their runs) older than `retentionDays` before the
 * current UTC midnight, in batches, reporting progress and honouring cancellation between batches.
 * With a partitioned database it first creates the partitions of the coming months and drops whole
 * month partitions that end before the cutoff and hold only live decisions (a month with backtest
 * decisions is kept and pruned row by row); `prunedDecisions` counts the rows of both.
 */
export async function runRolloverJob(params: RolloverParams, ctx: JobContext, services: AccountJobServices): Promise<RolloverJobResult> {
  const batchSize = services.pruneBatchSize ?? 5_000;
  const nowMs = services.clock.nowMs();
  // One day-close snapshot per account and day: a retry (after a later step failed) keeps the one stored first.
  const snapshot = await takeAccountSnapshot(SnapshotKind.DayClose, snapshotDayStartMs(nowMs), services, { onePerDay: true });
  await ctx.reportProgress(0.1, 'day-close snapshot stored');
  const pruneBeforeMs = utcDayStartMs(nowMs) - params.retentionDays * DAY_MS;
  let prunedDecisions = 0;
  let droppedPartitions: string[] | undefined;
  if (services.partitions) {
    await services.partitions.ensureMonths(nowMs, PARTITION_MONTHS_AHEAD);
    const months = await services.partitions.dropDecisionMonthsBefore(pruneBeforeMs);
    droppedPartitions = months.dropped;
    prunedDecisions += months.rows;
    await ctx.reportProgress(0.3, `${months.dropped.length} month partitions dropped (${months.rows} decisions)`);
  }
  for (;;) {
    const deleted = await services.journal.pruneDecisionsBefore(pruneBeforeMs, batchSize);
    prunedDecisions += deleted;
    if (deleted < batchSize) break;
    await ctx.reportProgress(0.5, `${prunedDecisions} decisions deleted`);
  }
  return { snapshotId: snapshot.id, equity: snapshot.equity, prunedDecisions, pruneBeforeMs, ...(droppedPartitions ? { droppedPartitions } : {}) };
}

export const rolloverJob = defineJob({
  kind: 'rollover',
  summary: 'Starts a new UTC day: a day-close snapshot, then deletes live decisions older than retentionDays.',
  /** Deletes decision-log rows for good: only its schedule or an operator starts it. */
  webhookStartable: false,
  paramsSchema: rolloverParamsSchema,
  /** Five minutes past midnight UTC, after the daily snapshot. */
  schedule: { cron: '5 0 * * *', params: () => ({ retentionDays: DEFAULT_RETENTION_DAYS }) },
  example: { retentionDays: 30 },
  run: runRolloverJob,
});
