/**
 * Live session storage port: the sessions an operator started (request, status, the run spec they
 * resolved) and each session's resume checkpoint (last processed candle, the position it holds on a
 * real venue). `db/repositories/live-session-repository.ts` and
 * `engine/testing/in-memory-live-session-store.ts` implement it.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */

/**
 * The position a loop holds on a real venue, as it journals it: the entry's fills (amount in base
 * currency, volume-weighted price, fee in quote currency still to be charged to the round trip, fill
 * time in ms), the strategy that entered and the protective stop working at the venue with the
 * amount of its fills already journaled. A live session checkpoints it so a restart journals the exit.
 */
export interface VenuePosition {
  side: 'long' | 'short';
  /** Base currency, > 0. */
  amount: number;
  /** Volume-weighted entry price, quote currency. */
  price: number;
  /** Entry fee still to be charged to the round trip, quote currency. */
  fee: number;
  /** Entry fill time, epoch ms. */
  timeMs: number;
  /** The strategy that entered. */
  strategy: string;
  /** The protective stop working at the venue; null when none. */
  stopOrderId: string | null;
  /** Amount of the stop's fills already journaled, base currency. */
  stopFilledJournaled: number;
  /** The stop placed at entry (the initial risk of the trade), quote currency; null or absent when unknown. */
  initialStop?: number | null;
}

/** What a session persists so a restart resumes where it stopped. */
export interface LiveCheckpoint {
  sessionId: string;
  /** Open time of the last candle the loop processed. */
  lastCandleMs: number;
  updatedAtMs: number;
  /** The position the loop holds on a real venue after that candle (null or absent when flat or on paper). */
  venuePosition?: VenuePosition | null;
}

/** Checkpoint storage (database in production, memory in tests). */
export interface LiveCheckpointStore {
  /** The session's last checkpoint, or null when it never processed a candle. */
  load(sessionId: string): Promise<LiveCheckpoint | null>;
  /** Stores the checkpoint (replacing the previous one) after a processed candle. */
  save(checkpoint: LiveCheckpoint): Promise<void>;
}

/**
 * A stored live session. `Spec` is the run spec it resolved when it started (the engine binds it to
 * `RunSpec`; storage keeps it as given).
 */
export interface LiveSessionRecord<Spec = unknown> {
  id: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  /** The request the session was started with (what a resume starts it from again). */
  config: Record<string, unknown>;
  status: string;
  /** Open time of the last processed candle, epoch ms; null before the first. */
  lastCandleMs: number | null;
  liveTrading: boolean;
  lastError: string | null;
  startedAtMs: number | null;
  updatedAtMs: number;
  /** What the session trades with, resolved when it started (request > account and strategy settings > defaults); absent on records from before. */
  spec?: Spec | null;
}

/** Session records plus checkpoints. */
export interface LiveSessionStore<Spec = unknown> extends LiveCheckpointStore {
  /** Inserts or replaces the session's record. */
  upsert(record: LiveSessionRecord<Spec>): Promise<void>;
  /** One session's record, or null when no session has this id. */
  get(id: string): Promise<LiveSessionRecord<Spec> | null>;
  /** Every stored session. */
  list(): Promise<LiveSessionRecord<Spec>[]>;
  /** Sets a session's status and last error (no-op when the id is unknown). */
  setStatus(id: string, status: string, lastError: string | null, updatedAtMs: number): Promise<void>;
  /** Deletes a session's record and checkpoint (a session that never started); a no-op for an unknown id. */
  remove(id: string): Promise<void>;
}
