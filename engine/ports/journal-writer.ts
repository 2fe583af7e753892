/**
 * Journal writer port: where the trading loop, sessions, manual orders and external signals record
 * trades and decisions. It buffers rows and writes them in batches to the `JournalRepository`;
 * `engine/journal/journal-writer.ts` implements it.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { DecisionRecord, TradeRecord } from './journal';

/** How the writer is doing, for health checks. */
export interface JournalWriterStatus {
  /** True while the last write failed and its rows wait for a retry (the database is unavailable). */
  failing: boolean;
  /** The last write failure's message; null after a write succeeds. */
  lastError: string | null;
  /** Rows the database refused for good (bad data), since the writer was created; each was logged with its id. */
  refusedRows: number;
  /** Rows recorded but not yet stored (including rows waiting for a retry). */
  pending: number;
}

/**
 * Buffers journal rows and writes them in multi-row batches. Writes are serialised (one in
 * flight at a time) so rows reach the database in the order they were recorded.
 *
 * A failed write fails that write only; later writes go on:
 * - a retryable failure (the database is unreachable) puts the batch's rows back at the front of the
 *   buffer, so the next write retries them, in order;
 * - a non-retryable failure (the database refuses the data) is narrowed down row by row: the rows the
 *   database accepts are stored, the rows it refuses are logged with their ids and counted, not retried.
 *
 * `flush()` writes everything recorded so far and rejects with a JournalWriteError when some of it is not
 * stored: its own write failed, or a batch written since the previous flush had rows refused (reported to
 * one flush, then cleared, so one bad row never fails every later caller).
 */
export interface JournalWriter {
  /** Buffers a closed trade for the next batch; never throws (failures surface in `flush` and `status`). */
  recordTrade(trade: TradeRecord): void;
  /** Buffers a decision for the next batch; never throws (failures surface in `flush` and `status`). */
  recordDecision(decision: DecisionRecord): void;
  /** Rows recorded but not yet written. */
  pending(): number;
  /** Writes everything recorded so far; rejects with a JournalWriteError (a `journal_write` EngineError) when some of it is not stored. */
  flush(): Promise<void>;
  /** How the writer is doing (for health checks). */
  status(): JournalWriterStatus;
}
