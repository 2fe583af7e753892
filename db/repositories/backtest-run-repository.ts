/**
 * Drizzle implementation of the engine's BacktestRunRepository. Lifecycle timestamps
 * come from the database clock (`now()`), so no adapter reads the wall clock itself.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { BacktestRunRecord, BacktestRunRepository, BacktestRunResult, BacktestRunStatus, BacktestRunSummary, EquityPoint, NewBacktestRun } from '../../engine/ports/backtest-runs';
import type { Page } from '../../engine/ports/journal';
import type { Timeframe } from '../../engine/core/types';
import type { Db } from '../client';
import { backtestRuns, decisionLog, trades } from '../schema';
import { clampLimit, decodeCursor, encodeCursor, wrapDriver } from './sql-helpers';

const dbNowMs = sql<number>`(extract(epoch from now()) * 1000)::bigint`;

type RunRow = typeof backtestRuns.$inferSelect;

function rowToSummary(r: Omit<RunRow, 'equity' | 'ownerHost' | 'ownerPid'>): BacktestRunSummary {
  return {
    id: r.id,
    status: r.status as BacktestRunStatus,
    config: r.config,
    configHash: r.configHash,
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe as Timeframe,
    fromMs: Number(r.fromMs),
    toMs: Number(r.toMs),
    metrics: r.metrics ?? null,
    tradeCount: r.tradeCount,
    decisionCount: r.decisionCount,
    error: r.error,
    startedAtMs: Number(r.startedAtMs),
    finishedAtMs: r.finishedAtMs === null ? null : Number(r.finishedAtMs),
  };
}

function rowToRecord(r: RunRow): BacktestRunRecord {
  return { ...rowToSummary(r), equity: (r.equity as EquityPoint[] | null) ?? null };
}

const { equity: _equity, ...summaryColumns } = {
  id: backtestRuns.id,
  status: backtestRuns.status,
  config: backtestRuns.config,
  configHash: backtestRuns.configHash,
  exchange: backtestRuns.exchange,
  symbol: backtestRuns.symbol,
  timeframe: backtestRuns.timeframe,
  fromMs: backtestRuns.fromMs,
  toMs: backtestRuns.toMs,
  metrics: backtestRuns.metrics,
  equity: backtestRuns.equity,
  tradeCount: backtestRuns.tradeCount,
  decisionCount: backtestRuns.decisionCount,
  error: backtestRuns.error,
  startedAtMs: backtestRuns.startedAtMs,
  finishedAtMs: backtestRuns.finishedAtMs,
};

/** The process that runs a backtest: host name and pid. */
export interface RunOwner {
  host: string;
  pid: number;
}

export interface BacktestRunRepositoryOptions {
  /** Recorded on every run this repository creates. */
  owner?: RunOwner;
  /**
   * Whether a run's owner may still be running it. Without it every `running` run counts as stale at
   * start (right for a database only one process can open, such as embedded PGlite).
   */
  isOwnerAlive?(owner: RunOwner): boolean;
}

/** Builds the backtest run repository over a drizzle handle (PGlite or postgres.js). */
export function createBacktestRunRepository(db: Db, options: BacktestRunRepositoryOptions = {}): BacktestRunRepository {
  async function finish(id: string, set: Partial<typeof backtestRuns.$inferInsert>, what: string): Promise<void> {
    const updated = await wrapDriver(`${what} backtest run "${id}"`, () =>
      db
        .update(backtestRuns)
        .set({ ...set, finishedAtMs: dbNowMs })
        .where(and(eq(backtestRuns.id, id), eq(backtestRuns.status, 'running')))
        .returning({ id: backtestRuns.id }),
    );
    if (updated.length === 0) throw new NotFoundError(`backtest run "${id}" does not exist or is not running`);
  }

  return {
    async create(run: NewBacktestRun): Promise<BacktestRunRecord> {
      const rows = await wrapDriver(`creating backtest run "${run.id}"`, () =>
        db
          .insert(backtestRuns)
          .values({ ...run, status: 'running', startedAtMs: dbNowMs, ownerHost: options.owner?.host ?? null, ownerPid: options.owner?.pid ?? null })
          .returning(),
      );
      return rowToRecord(rows[0]);
    },

    complete(id: string, result: BacktestRunResult): Promise<void> {
      return finish(
        id,
        {
          status: 'complete',
          metrics: result.metrics,
          equity: result.equity,
          tradeCount: result.tradeCount,
          decisionCount: result.decisionCount,
        },
        'completing',
      );
    },

    fail(id: string, error: string): Promise<void> {
      return finish(id, { status: 'failed', error }, 'failing');
    },

    async get(id: string): Promise<BacktestRunRecord | null> {
      const rows = await wrapDriver(`loading backtest run "${id}"`, () =>
        db.select().from(backtestRuns).where(eq(backtestRuns.id, id)),
      );
      return rows[0] === undefined ? null : rowToRecord(rows[0]);
    },

    async list(page: { limit?: number; cursor?: string }): Promise<Page<BacktestRunSummary>> {
      const limit = clampLimit(page.limit);
      const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      const rows = await wrapDriver('listing backtest runs', () =>
        db
          .select(summaryColumns)
          .from(backtestRuns)
          .where(after && sql`(${backtestRuns.startedAtMs}, ${backtestRuns.id}) < (${after.timeMs}, ${after.id})`)
          .orderBy(desc(backtestRuns.startedAtMs), desc(backtestRuns.id))
          .limit(limit + 1),
      );
      const items = rows.slice(0, limit).map(rowToSummary);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit ? encodeCursor(last.startedAtMs, last.id) : null };
    },

    async markStaleRunningAsFailed(reason: string): Promise<number> {
      const running = await wrapDriver('reading running backtest runs', () =>
        db.select({ id: backtestRuns.id, host: backtestRuns.ownerHost, pid: backtestRuns.ownerPid }).from(backtestRuns).where(eq(backtestRuns.status, 'running')),
      );
      // A run whose owner is unknown (older rows) or gone is stale; one whose owner may still run it is left alone.
      const isAlive = options.isOwnerAlive;
      const stale = running.filter((r) => !isAlive || r.host === null || r.pid === null || !isAlive({ host: r.host, pid: r.pid })).map((r) => r.id);
      if (stale.length === 0) return 0;
      const rows = await wrapDriver('failing stale backtest runs', () =>
        db
          .update(backtestRuns)
          .set({ status: 'failed', error: reason, finishedAtMs: dbNowMs })
          .where(and(eq(backtestRuns.status, 'running'), inArray(backtestRuns.id, stale)))
          .returning({ id: backtestRuns.id }),
      );
      return rows.length;
    },

    async delete(id: string): Promise<BacktestRunSummary | null> {
      // One transaction: the run and everything it journaled go together, or nothing does.
      return wrapDriver(`deleting backtest run "${id}"`, () =>
        db.transaction(async (tx) => {
          const rows = await tx.select().from(backtestRuns).where(eq(backtestRuns.id, id)).for('update');
          const row = rows[0];
          if (row === undefined) return null;
          if (row.status === 'running') throw new ValidationError('runId', id, 'the run is still running; wait until it completes or fails, then delete it');
          // Trades last: deleting them takes the trades version row (migration 0022) until commit, so
          // other writers of trades wait only for the rest of this transaction, not for the decisions too.
          await tx.delete(decisionLog).where(eq(decisionLog.runId, id));
          await tx.delete(trades).where(eq(trades.runId, id));
          await tx.delete(backtestRuns).where(eq(backtestRuns.id, id));
          const { equity: _equity, ownerHost: _host, ownerPid: _pid, ...summary } = row;
          return rowToSummary(summary);
        }),
      );
    },
  };
}
