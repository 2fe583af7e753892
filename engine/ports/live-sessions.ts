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

/**
 * The fencing token a write of a session carries: the token its trader got when it claimed the session's
 * lease. A store refuses the write (StaleLeaseError) unless it is still the session's current token, so a
 * former owner that was partitioned or stalled past its lease cannot overwrite its successor's state.
 */
export interface SessionFence {
  sessionId: string;
  /** The token returned by `claim`; tokens only grow (every claim adds 1). */
  token: number;
}

/**
 * The longest lease a trader takes, ms (AETHELRED_SESSION_LEASE_MS at most). A lease ending further than
 * this ahead of the store's clock was not written by a trader (a restored backup, a clock far ahead, a
 * hand edit): `claim` treats it as ended, so a session is never held for hours by a holder that is gone.
 */
export const MAX_SESSION_LEASE_MS = 600_000;

/**
 * The largest fencing token a claim issues (tokens must compare exactly as numbers). A session whose
 * token is at or past it (a hand edit, a corrupt row) is never claimed: it stays stopped rather than
 * risk a former owner's write passing the fence.
 */
export const MAX_FENCING_TOKEN = Number.MAX_SAFE_INTEGER;

/** Who holds a session's lease. */
export interface SessionLease {
  /** The trader holding (or last holding) the lease; null when released or never claimed. */
  owner: string | null;
  /** When the lease ends unless renewed, epoch ms of the store's clock; null when unowned. */
  expiresAtMs: number | null;
  /** The current fencing token (0 before the first claim). */
  token: number;
}

/** Checkpoint storage (database in production, memory in tests). */
export interface LiveCheckpointStore {
  /** The session's last checkpoint, or null when it never processed a candle. */
  load(sessionId: string): Promise<LiveCheckpoint | null>;
  /**
   * Stores the checkpoint (replacing the previous one) after a processed candle.
   * @throws StaleLeaseError when `fence` is given and its token is not the session's current one (nothing is written).
   */
  save(checkpoint: LiveCheckpoint, fence?: SessionFence): Promise<void>;
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
  /** The session's lease (absent from stores that predate leases). */
  lease?: SessionLease;
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
  /** Stores the record when no session has its id yet (lease unowned); false when one exists (nothing changes). */
  insertIfMissing(record: LiveSessionRecord<Spec>): Promise<boolean>;
  /**
   * Claims the session's lease for `owner` for `leaseMs`, when nobody holds it, its lease has expired (by
   * the store's clock) or ends more than MAX_SESSION_LEASE_MS ahead, or its holder is `takeOverFrom` (a
   * trader known to be gone). Adds 1 to the fencing token. Returns the new token, or null when another
   * trader holds the lease, another trader (not `takeOverFrom`) holds a current lease on a session of the
   * same account (`config.accountId`, default "default": one account's in-memory paper state and risk
   * desk belong to one trader), the token is at MAX_FENCING_TOKEN or past it, or the id is unknown.
   */
  claim(id: string, owner: string, leaseMs: number, takeOverFrom?: string): Promise<number | null>;
  /** Extends the lease by `leaseMs` from now when `owner` still holds it under `token`; false when it was lost. */
  renew(id: string, owner: string, token: number, leaseMs: number): Promise<boolean>;
  /** Gives the lease up (unowned, so another trader claims it at once) when `owner` still holds it under `token`. */
  release(id: string, owner: string, token: number): Promise<void>;
  /**
   * The trader holding a current lease (by the store's clock, as `claim` counts one) on a session of account
   * `accountId`, or null when none does: the one process whose copy of the paper account is its truth.
   */
  accountHolder(accountId: string): Promise<string | null>;
}
