/**
 * Monthly partitions of the tables that grow for years (candles, decision log).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */

/** What dropping whole decision-log months did. */
export interface DroppedMonths {
  /** Partition tables dropped (e.g. `decision_log_p202401`), oldest first. */
  dropped: string[];
  /** Decision rows they held. */
  rows: number;
  /** Months entirely before the cutoff kept because they hold backtest decisions (kept with their runs), oldest first. */
  kept: string[];
}

export interface TablePartitions {
  /**
   * Creates the month partitions of both tables for the UTC month containing `fromMs` and the
   * `monthsAhead` months after it, when missing (rows of those months waiting in the default
   * partition move in). Idempotent; safe from several processes at once. Returns the partitions of
   * the decision log it ensured.
   */
  ensureMonths(fromMs: number, monthsAhead: number): Promise<string[]>;
  /**
   * Drops the decision-log month partitions that end at or before `beforeMs` and hold only live
   * decisions (no run id). A month holding backtest decisions is kept (its live rows are pruned by
   * the caller's row-wise delete). @throws ValidationError for a non-integer time.
   */
  dropDecisionMonthsBefore(beforeMs: number): Promise<DroppedMonths>;
}
