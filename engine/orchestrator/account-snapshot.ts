/**
 * Account snapshots: a point-in-time record of the live (paper) account — equity, positions,
 * open orders — plus the day's closed-trade summary. The daily-snapshot and rollover jobs write
 * them; the dashboard's equity history reads them.
 */
import type { Clock } from '../core/clock';
import type { JournalRepository, Page } from '../ports/journal';
import { SnapshotKind, type SnapshotRecord, type AccountSnapshotSource, type DaySummary, type SnapshotRepository } from '../ports/snapshots';

export const DAY_MS = 86_400_000;

/** UTC midnight of the day containing `timeMs` (epoch ms). */
export const utcDayStartMs = (timeMs: number) => Math.floor(timeMs / DAY_MS) * DAY_MS;

/**
 * Sums the live trades of account `accountId`'s sessions closed in `[fromMs, toMs)`. Backtest trades (with a
 * run id) and other accounts' trades are excluded. Win = net PnL > 0, loss = net PnL < 0 (a zero trade is neither).
 */
export async function summarizeDay(journal: JournalRepository, accountId: string, fromMs: number, toMs: number): Promise<DaySummary> {
  const summary: DaySummary = { fromMs, toMs, trades: 0, wins: 0, losses: 0, realizedPnl: 0, fees: 0, funding: 0, netPnl: 0 };
  for await (const trade of journal.iterTrades({ fromMs, toMs, runId: null, accountId })) {
    const net = trade.realizedPnl - trade.fees - trade.funding;
    summary.trades++;
    if (net > 0) summary.wins++;
    else if (net < 0) summary.losses++;
    summary.realizedPnl += trade.realizedPnl;
    summary.fees += trade.fees;
    summary.funding += trade.funding;
    summary.netPnl += net;
  }
  return summary;
}

export interface TakeSnapshotDeps {
  account: AccountSnapshotSource;
  journal: JournalRepository;
  snapshots: SnapshotRepository;
  clock: Clock;
  newId: () => string;
}

/** The id of the one snapshot of `kind` for an account's day (`day-close:default:2024-01-11`). */
export function daySnapshotId(kind: SnapshotKind, accountId: string, dayStartMs: number): string {
  return `${kind}:${accountId}:${new Date(dayStartMs).toISOString().slice(0, 10)}`;
}

/**
 * Reads the account, summarises the UTC day starting at `dayStartMs` (up to now, at most one day)
 * and stores the snapshot. With `onePerDay` its id is the account's day ({@link daySnapshotId}) and a second
 * call for that day (a retried job) stores nothing and returns the snapshot stored first.
 * @throws RangeError when the account reports a non-finite equity (nothing is written).
 */
export async function takeAccountSnapshot(kind: SnapshotKind, dayStartMs: number, deps: TakeSnapshotDeps, options: { onePerDay?: boolean } = {}): Promise<SnapshotRecord> {
  const nowMs = deps.clock.nowMs();
  const account = await deps.account();
  if (!Number.isFinite(account.equity)) throw new RangeError(`account equity is ${account.equity}; refusing to store a snapshot`);
  const day = await summarizeDay(deps.journal, account.accountId, dayStartMs, Math.max(dayStartMs, Math.min(dayStartMs + DAY_MS, nowMs)));
  const record: SnapshotRecord = {
    id: options.onePerDay ? daySnapshotId(kind, account.accountId, dayStartMs) : deps.newId(),
    kind,
    takenAtMs: nowMs,
    equity: account.equity,
    payload: {
      accountId: account.accountId,
      dayStartMs,
      walletBalance: account.walletBalance,
      openPositionCount: account.openPositionCount,
      positions: account.positions,
      openOrderCount: account.openOrderCount,
      day,
    },
  };
  if (options.onePerDay) return deps.snapshots.insertOnce(record);
  await deps.snapshots.insert(record);
  return record;
}
