/**
 * Risk state storage port: a halt survives restarts.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
/**
 * Day start time a resume stores: a day long past, so the risk engine's next equity starts a new day
 * (day start equity = that equity).
 */
export const RESUMED_DAY_START_MS = 0;
/** Peak equity a resume stores: below any equity, so the risk engine's next equity is the new peak. */
export const RESUMED_PEAK_EQUITY = 0;

/** Persisted risk state: survives restarts so a halt stays a halt. */
export interface RiskStateRecord {
  accountId: string;
  halted: boolean;
  haltReason: string | null;
  haltedAtMs: number | null;
  dayStartEquity: number;
  dayStartMs: number;
  peakEquity: number;
  updatedAtMs: number;
  /**
   * Version of the halt fields (halted, reason, time): a new row starts at 1, and the store adds 1
   * whenever a write changes them.
   * On load, the stored version. On save, absent means a control-path write (halt, resume): it is always
   * stored. Present means a session's save made from a state that last saw this version: a
   * compare-and-set, stored only while the stored version still equals it, so a halt or resume written
   * by someone else in between is never overwritten (the session adopts it at its next candle instead).
   */
  haltVersion?: number;
}

export interface RiskStateRepository {
  /** The stored state with its `haltVersion`, or null when the account has none yet. */
  load(accountId: string): Promise<RiskStateRecord | null>;
  /**
   * Stores the state: always without `haltVersion`, only while the stored halt version equals it with one
   * (no stored row counts as version 0). Never throws for a lost compare-and-set; the stored row is unchanged.
   */
  save(state: RiskStateRecord): Promise<void>;
  /**
   * The control path's write (a halt or resume, from any process): stores the halt fields (halted, reason,
   * time) and `updatedAtMs` of `state` only, always (no compare-and-set; `haltVersion` is ignored). The stored
   * day start and peak stay as they are: they belong to the session trading the account, and the writer's
   * copy may be stale. A resume (`halted` false) also stores day start time {@link RESUMED_DAY_START_MS} and
   * peak {@link RESUMED_PEAK_EQUITY}: whichever process next trades the account, even a session started
   * later, begins a new day and a new peak at its next equity (the re-base a resume means), instead of
   * tripping the breaker the operator just resumed on figures from before it. With no stored row, all of
   * `state` is stored.
   */
  saveHalt(state: RiskStateRecord): Promise<void>;
}
