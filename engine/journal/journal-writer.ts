import { EngineError, FailureClass, RepositoryError } from '../core/errors';
import type { DecisionRecord, JournalRepository, TradeRecord } from '../ports/journal';
import type { JournalWriter } from '../ports/journal-writer';
import type { Logger } from '../core/logger';

/** Settings for the batched journal writer. */
export interface JournalWriterConfig {
  /** Rows buffered per table before a multi-row insert is issued. */
  batchSize: number;
}

/** Raised by `flush()` when rows recorded before it are not stored (kept for a retry, or refused by the database). */
export class JournalWriteError extends EngineError {
  /** Rows the database refused for good (`trade <id>`, `decision <id>`); empty when the rows are kept for a retry. */
  readonly refused: readonly string[];
  constructor(message: string, options: { cause?: unknown; refused?: readonly string[] } = {}) {
    super('journal_write', message, { cause: options.cause });
    this.refused = options.refused ?? [];
  }

  protected static override ownsCode(code: string): boolean {
    return code === 'journal_write';
  }
}

interface Batch {
  trades: TradeRecord[];
  decisions: DecisionRecord[];
}

/** Whether a repository failure may succeed when tried again (unclassified failures are assumed to be). */
function isRetryable(error: unknown): boolean {
  return !(error instanceof RepositoryError && error.failure === FailureClass.NonRetryable) && !(error instanceof EngineError && error.code === 'validation');
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Creates a journal writer (the `JournalWriter` port of `engine/ports/journal-writer.ts`) over a repository. */
export function createJournalWriter(
  config: JournalWriterConfig,
  deps: { repository: JournalRepository; logger: Logger },
): JournalWriter {
  let trades: TradeRecord[] = [];
  let decisions: DecisionRecord[] = [];
  let chain: Promise<void> = Promise.resolve();
  let lastError: string | null = null;
  let refusedRows = 0;
  /** Refusals from batch-size writes nobody awaited, for the next flush to report. */
  let unreported: JournalWriteError | null = null;

  const requeue = (batch: Batch) => {
    trades = [...batch.trades, ...trades];
    decisions = [...batch.decisions, ...decisions];
  };

  /** Writes rows one at a time; returns the ids the database refused. A retryable failure requeues the rest and throws. */
  async function writeRowByRow(batch: Batch): Promise<string[]> {
    const refused: string[] = [];
    const rows: { kind: 'trade' | 'decision'; row: TradeRecord | DecisionRecord }[] = [
      ...batch.trades.map((row) => ({ kind: 'trade' as const, row })),
      ...batch.decisions.map((row) => ({ kind: 'decision' as const, row })),
    ];
    for (let i = 0; i < rows.length; i++) {
      const { kind, row } = rows[i];
      try {
        if (kind === 'trade') await deps.repository.appendTrades([row as TradeRecord]);
        else await deps.repository.appendDecisions([row as DecisionRecord]);
      } catch (error) {
        if (isRetryable(error)) {
          const rest = rows.slice(i);
          requeue({ trades: rest.filter((r) => r.kind === 'trade').map((r) => r.row as TradeRecord), decisions: rest.filter((r) => r.kind === 'decision').map((r) => r.row as DecisionRecord) });
          throw error;
        }
        refused.push(`${kind} ${row.id}`);
        deps.logger.error({ err: error, kind, id: row.id }, 'the database refused a journal row; it is not stored');
      }
    }
    return refused;
  }

  async function write(batch: Batch): Promise<void> {
    try {
      if (batch.trades.length) await deps.repository.appendTrades(batch.trades);
    } catch (error) {
      return handleFailure(error, batch);
    }
    try {
      if (batch.decisions.length) await deps.repository.appendDecisions(batch.decisions);
    } catch (error) {
      return handleFailure(error, { trades: [], decisions: batch.decisions });
    }
    lastError = null;
  }

  async function handleFailure(error: unknown, batch: Batch): Promise<void> {
    const rows = batch.trades.length + batch.decisions.length;
    if (isRetryable(error)) {
      requeue(batch);
      lastError = messageOf(error);
      deps.logger.error({ err: error, trades: batch.trades.length, decisions: batch.decisions.length }, 'journal write failed; its rows are kept for the next write');
      throw new JournalWriteError(`journal write failed, ${rows} rows kept for a retry: ${lastError}`, { cause: error });
    }
    let refused: string[];
    try {
      refused = await writeRowByRow(batch);
    } catch (retryable) {
      lastError = messageOf(retryable);
      throw new JournalWriteError(`journal write failed, rows kept for a retry: ${lastError}`, { cause: retryable });
    }
    lastError = null;
    refusedRows += refused.length;
    throw new JournalWriteError(`the database refused ${refused.length} of ${rows} journal rows, which are not stored (${refused.join(', ')}): ${messageOf(error)}`, { cause: error, refused });
  }

  /** Queues a write of everything buffered; the returned promise settles with that write. */
  const enqueueWrite = (): Promise<void> => {
    const written = chain.then(() => {
      const batch = { trades, decisions };
      trades = [];
      decisions = [];
      return batch.trades.length || batch.decisions.length ? write(batch) : undefined;
    });
    chain = written.catch(() => undefined);
    return written;
  };

  const writeInBackground = () => {
    enqueueWrite().catch((error: unknown) => {
      if (error instanceof JournalWriteError && error.refused.length > 0) unreported = error; // rows refused for good: tell the next flush
    });
  };

  return {
    recordTrade(trade) {
      trades.push(trade);
      if (trades.length >= config.batchSize) writeInBackground();
    },
    recordDecision(decision) {
      decisions.push(decision);
      if (decisions.length >= config.batchSize) writeInBackground();
    },
    pending: () => trades.length + decisions.length,
    async flush() {
      await enqueueWrite();
      if (unreported) {
        const error = unreported;
        unreported = null;
        throw error;
      }
    },
    status: () => ({ failing: lastError !== null, lastError, refusedRows, pending: trades.length + decisions.length }),
  };
}
