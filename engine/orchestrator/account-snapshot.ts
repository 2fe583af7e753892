/**
 * Account snapshots: a point-in-time record of the live (paper) account — equity, positions,
 * open orders — plus the day's closed-trade summary. The daily-snapshot and rollover jobs write
 * them; the dashboard's equity history reads them.
 */
import type { Clock } from '../core/clock';
import type { JournalRepository, Page } from '../ports/journal';

/** `daily`: the scheduled end-of-day record; `day-close`: written by the rollover job. */
export const SnapshotKind = { Daily: 'daily', DayClose: 'day-close' } as const;
export type SnapshotKind = (typeof SnapshotKind)[keyof typeof SnapshotKind];

/** One stored snapshot. Money in quote currency; `takenAtMs` from the engine clock. */
export interface SnapshotRecord {
  id: string;
  kind: SnapshotKind;
  takenAtMs: number;
  equity: number;
  payload: SnapshotPayload;
}

/** A position as it appears in a snapshot. */
export interface SnapshotPosition {
  symbol: string;
  side: 'long' | 'short';
  /** Base-currency amount, > 0. */
  amount: number;
  entryPrice: number;
  markPrice: number;
  unrealizedPnl: number;
}

/** The live account at one instant, as the exchange reports it. */
export interface AccountSnapshot {
  /** Wallet + unrealised PnL, quote currency. */
  equity: number;
  walletBalance: number;
  openPositionCount: number;
  /** Detail of the open positions the source can list (may be fewer than `openPositionCount`). */
  positions: SnapshotPosition[];
  openOrderCount: number;
}

/** Reads the live account; the composition root passes one backed by the paper (or real) exchange. */
export type AccountSnapshotSource = () => Promise<AccountSnapshot>;

/** Closed live trades (journal rows without a backtest run id) of one UTC day window. */
export interface DaySummary {
  /** Window `fromMs <= exitTimeMs < toMs`. */
  fromMs: number;
  toMs: number;
  trades: number;
  wins: number;
  losses: number;
  /** Gross realised PnL, quote currency. */
  realizedPnl: number;
  fees: number;
  funding: number;
  /** realizedPnl - fees - funding. */
  netPnl: number;
}

export interface SnapshotPayload extends Record<string, unknown> {
  dayStartMs: number;
  walletBalance: number;
  openPositionCount: number;
  positions: SnapshotPosition[];
  openOrderCount: number;
  day: DaySummary;
}

/** Snapshot storage (the `snapshots` table). */
export interface SnapshotRepository {
  /** Inserts one snapshot. Throws RepositoryError when the id exists. */
  insert(snapshot: SnapshotRecord): Promise<void>;
  /** Newest first (taken time, then id), keyset-paginated; `limit` 1..1000. */
  list(query: { kind?: SnapshotKind; limit?: number; cursor?: string }): Promise<Page<SnapshotRecord>>;
}

export const DAY_MS = 86_400_000;

/** UTC midnight of the day containing `timeMs` (epoch ms). */
export const utcDayStartMs = (timeMs: number) => Math.floor(timeMs / DAY_MS) * DAY_MS;

/**
 * Sums the live trades closed in `[fromMs, toMs)`. Backtest trades (with a run id) are excluded.
 * Win = net PnL > 0, loss = net PnL < 0 (a zero trade is neither).
 */
export async function summarizeDay(journal: JournalRepository, fromMs: number, toMs: number): Promise<DaySummary> {
  const summary: DaySummary = { fromMs, toMs, trades: 0, wins: 0, losses: 0, realizedPnl: 0, fees: 0, funding: 0, netPnl: 0 };
  for await (const trade of journal.iterTrades({ fromMs, toMs })) {
    if (trade.runId !== null) continue;
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

/**
 * Reads the account, summarises the UTC day starting at `dayStartMs` (up to now, at most one day)
 * and stores the snapshot.
 * @throws RangeError when the account reports a non-finite equity (nothing is written).
 */
export async function takeAccountSnapshot(kind: SnapshotKind, dayStartMs: number, deps: TakeSnapshotDeps): Promise<SnapshotRecord> {
  const nowMs = deps.clock.nowMs();
  const account = await deps.account();
  if (!Number.isFinite(account.equity)) throw new RangeError(`account equity is ${account.equity}; refusing to store a snapshot`);
  const day = await summarizeDay(deps.journal, dayStartMs, Math.max(dayStartMs, Math.min(dayStartMs + DAY_MS, nowMs)));
  const record: SnapshotRecord = {
    id: deps.newId(),
    kind,
    takenAtMs: nowMs,
    equity: account.equity,
    payload: {
      dayStartMs,
      walletBalance: account.walletBalance,
      openPositionCount: account.openPositionCount,
      positions: account.positions,
      openOrderCount: account.openOrderCount,
      day,
    },
  };
  await deps.snapshots.insert(record);
  return record;
}
