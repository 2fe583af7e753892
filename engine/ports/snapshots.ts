/** Snapshot storage port: stored end-of-day account snapshots. */
import type { Page } from './journal';

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
  /** The account it describes: the day summary counts its sessions' trades. */
  accountId: string;
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
  /**
   * Inserts the snapshot unless one with its id exists (a job retried after the snapshot was stored):
   * returns the stored snapshot, the one there before when it existed.
   */
  insertOnce(snapshot: SnapshotRecord): Promise<SnapshotRecord>;
  /** Newest first (taken time, then id), keyset-paginated; `limit` 1..1000. */
  list(query: { kind?: SnapshotKind; limit?: number; cursor?: string }): Promise<Page<SnapshotRecord>>;
}
