/**
 * What a stored session's record says: its mode, its account and the candles it trades. A module of its own, free of
 * the session manager's dependencies, so that the engine (and an engine-only root such as the CLI's), the pages and
 * the CLI read records by the same rules without loading it.
 */
import { timeInputMs } from '../core/time-input';
import type { LiveSessionRecord } from '../ports/live-sessions';
import { TIMEFRAME_MS, type Timeframe } from '../core/types';
import { DEFAULT_ACCOUNT_ID } from '../account/account-config';

/** How a session gets candles and where it trades. */
export const SessionMode = {
  /** Stored candles from `from`, at `speed` candles per second, on a paper account (offline paper trading). */
  Replay: 'replay',
  /** Live candles from the venue's public API, orders to a paper account (dry run). */
  Paper: 'paper',
  /** Live candles, orders to the real venue (needs stored keys and an admin's enablement). */
  Live: 'live',
} as const;
export type SessionMode = (typeof SessionMode)[keyof typeof SessionMode];

/** Epoch ms of a request's time, NaN when it is not one (engine/core/time-input.ts: dates and zone-less times are UTC). */
export const parseTimeMs = timeInputMs;

/**
 * Open time of the first candle a stored session traded: a replay's first candle (its request's `from`, rounded up to
 * the timeframe as its replay window is), else the candle its start fell in (a paper or live session trades from its
 * start, in wall-clock time); null before it started. A replay's start time is wall-clock time and says nothing of the
 * candles it replays.
 */
export function sessionFirstCandleMs(record: Pick<LiveSessionRecord, 'timeframe' | 'config' | 'startedAtMs'>): number | null {
  const timeframeMs = TIMEFRAME_MS[record.timeframe as Timeframe];
  const { mode, from } = record.config as { mode?: unknown; from?: unknown };
  if (mode === SessionMode.Replay && (typeof from === 'string' || typeof from === 'number')) {
    const fromMs = parseTimeMs(from);
    if (Number.isFinite(fromMs)) return Math.ceil(fromMs / timeframeMs) * timeframeMs;
  }
  return record.startedAtMs === null ? null : Math.floor(record.startedAtMs / timeframeMs) * timeframeMs;
}


/** The mode of a stored session: its request's `mode`; a record from before modes: live when it traded a real venue, else paper. */
export function sessionModeOf(record: Pick<LiveSessionRecord, 'config' | 'liveTrading'>): SessionMode {
  const mode = record.config.mode;
  if (mode === SessionMode.Replay || mode === SessionMode.Paper || mode === SessionMode.Live) return mode;
  return record.liveTrading ? SessionMode.Live : SessionMode.Paper;
}

/** The account a stored session trades: its request's `accountId`; a record from before accounts: the default account. */
export function sessionAccountOf(record: Pick<LiveSessionRecord, 'config'>): string {
  const id = record.config.accountId;
  return typeof id === 'string' && id !== '' ? id : DEFAULT_ACCOUNT_ID;
}
