import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { FailureClass, RepositoryError } from '../core/errors';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import { createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { createJournalWriter, JournalWriteError } from './journal-writer';

const decision = (id: string, strategy = 'ema-trend'): DecisionRecord => ({
  id,
  runId: null,
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  strategy,
  timeMs: 0,
  outcome: 'signal',
  side: 'long',
  strength: 0.5,
  reason: 'test',
  inputs: {},
});

/** An in-memory journal whose decision writes fail while `down` is set, and refuse any row whose strategy holds NUL (like PostgreSQL). */
function flakyJournal() {
  const repository = createInMemoryJournalRepository();
  const stored: string[] = [];
  const state = { down: false, writes: 0 };
  return {
    state,
    stored,
    repository: {
      ...repository,
      async appendTrades(rows: readonly TradeRecord[]) {
        await repository.appendTrades(rows);
      },
      async appendDecisions(rows: readonly DecisionRecord[]) {
        state.writes++;
        if (state.down) throw new RepositoryError('appending decisions failed: connection refused', new Error('ECONNREFUSED'), FailureClass.Retryable);
        if (rows.some((row) => row.strategy.includes('\u0000'))) {
          throw new RepositoryError('appending decisions failed: invalid byte sequence for encoding "UTF8": 0x00', { code: '22021' }, FailureClass.NonRetryable);
        }
        stored.push(...rows.map((row) => row.id));
        await repository.appendDecisions(rows);
      },
    },
  };
}

describe('journal writer', () => {
  it('stores the good rows of a batch the database refuses, reports the bad one once, and goes on writing', async () => {
    const journal = flakyJournal();
    const writer = createJournalWriter({ batchSize: 100 }, { repository: journal.repository, logger: silentLogger });
    writer.recordDecision(decision('d1'));
    writer.recordDecision(decision('bad', 'x\u0000y'));
    writer.recordDecision(decision('d3'));
    const error = await writer.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as JournalWriteError).refused).toEqual(['decision bad']);
    expect((error as Error).message).toBe('the database refused 1 of 3 journal rows, which are not stored (decision bad): appending decisions failed: invalid byte sequence for encoding "UTF8": 0x00');
    expect(journal.stored).toEqual(['d1', 'd3']);
    // The failure is not sticky: the next write and flush succeed.
    writer.recordDecision(decision('d4'));
    await writer.flush();
    expect(journal.stored).toEqual(['d1', 'd3', 'd4']);
    expect(writer.status()).toEqual({ failing: false, lastError: null, refusedRows: 1, pending: 0 });
  });

  it('keeps the rows of a write that failed while the database was down and stores them, in order, once it is back', async () => {
    const journal = flakyJournal();
    const writer = createJournalWriter({ batchSize: 100 }, { repository: journal.repository, logger: silentLogger });
    journal.state.down = true;
    writer.recordDecision(decision('d1'));
    writer.recordDecision(decision('d2'));
    const error = await writer.flush().catch((e: unknown) => e);
    expect((error as Error).message).toBe('journal write failed, 2 rows kept for a retry: appending decisions failed: connection refused');
    expect(writer.status()).toEqual({ failing: true, lastError: 'appending decisions failed: connection refused', refusedRows: 0, pending: 2 });
    writer.recordDecision(decision('d3'));
    journal.state.down = false;
    await writer.flush();
    expect(journal.stored).toEqual(['d1', 'd2', 'd3']);
    expect(writer.status()).toEqual({ failing: false, lastError: null, refusedRows: 0, pending: 0 });
  });

  it('reports rows refused by a batch-size write to the next flush only', async () => {
    const journal = flakyJournal();
    const writer = createJournalWriter({ batchSize: 2 }, { repository: journal.repository, logger: silentLogger });
    writer.recordDecision(decision('bad', '\u0000'));
    writer.recordDecision(decision('d2')); // batch full: written in the background
    writer.recordDecision(decision('d3')); // recorded before the background write starts: it takes all three
    await expect(writer.flush()).rejects.toThrow('the database refused 1 of 3 journal rows, which are not stored (decision bad)');
    await writer.flush();
    expect(journal.stored).toEqual(['d2', 'd3']);
  });
});
