import type { DecisionRecord, JournalRepository, Logger, TradeRecord } from '../core/ports';

/** Settings for the batched journal writer. */
export interface JournalWriterConfig {
  /** Rows buffered per table before a multi-row insert is issued. */
  batchSize: number;
}

/**
 * Buffers journal rows and writes them in multi-row batches. Writes are serialised (one in
 * flight at a time) so rows reach the database in the order they were recorded.
 * `flush()` resolves once everything recorded before the call is stored; a failed write
 * rejects that flush and every later one, so a caller never mistakes lost rows for stored ones.
 */
export interface JournalWriter {
  recordTrade(trade: TradeRecord): void;
  recordDecision(decision: DecisionRecord): void;
  /** Rows recorded but not yet written. */
  pending(): number;
  flush(): Promise<void>;
}

/** Creates a journal writer over a repository. */
export function createJournalWriter(
  config: JournalWriterConfig,
  deps: { repository: JournalRepository; logger: Logger },
): JournalWriter {
  let trades: TradeRecord[] = [];
  let decisions: DecisionRecord[] = [];
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;

  const enqueueWrite = () => {
    const tradeBatch = trades;
    const decisionBatch = decisions;
    trades = [];
    decisions = [];
    chain = chain.then(async () => {
      if (failure) throw failure;
      try {
        if (tradeBatch.length) await deps.repository.appendTrades(tradeBatch);
        if (decisionBatch.length) await deps.repository.appendDecisions(decisionBatch);
      } catch (error) {
        failure = error;
        deps.logger.error({ err: error, trades: tradeBatch.length, decisions: decisionBatch.length }, 'journal write failed');
        throw error;
      }
    });
    // Keep the chain alive for later writes; the failure is surfaced by flush().
    chain.catch(() => undefined);
  };

  return {
    recordTrade(trade) {
      trades.push(trade);
      if (trades.length >= config.batchSize) enqueueWrite();
    },
    recordDecision(decision) {
      decisions.push(decision);
      if (decisions.length >= config.batchSize) enqueueWrite();
    },
    pending: () => trades.length + decisions.length,
    async flush() {
      if (trades.length || decisions.length) enqueueWrite();
      await chain;
      if (failure) throw failure;
    },
  };
}
