/**
 * Monthly partitions of `candles` and `decision_log` (migration 0018): creation ahead through the
 * database function `aethelred_month_partition`, and whole-month drops of the decision log for the
 * rollover job. Partition tables are named `<table>_pYYYYMM` (UTC month); rows of a month without a
 * partition go to `<table>_default` until it is created; the candle and journal repositories create the
 * months of what they insert first (`createMonthPartitioner`).
 */
import { sql } from 'drizzle-orm';
import { ValidationError } from '../../engine/core/errors';
import type { DroppedMonths, TablePartitions } from '../../engine/ports/partitions';
import type { Db } from '../client';
import { rowsOf, wrapDriver } from './sql-helpers';

const MONTH_PARTITION = /^decision_log_p(\d{4})(\d{2})$/;

/** Start of the UTC month `offset` months after the one containing `ms`, epoch ms. */
export function monthStartMs(ms: number, offset = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
}

/** A table with monthly partitions (migration 0018). */
export type PartitionedTable = 'candles' | 'decision_log';

/**
 * What a repository runs before inserting rows of `table`: creates the month partitions of the rows'
 * times that this process has not seen yet (rows of that month waiting in the default partition move
 * in; see `aethelred_month_partition`), so an import of old candles or a backtest's decisions land in
 * their months' partitions instead of the default one. Runs outside the insert's transaction. A failed
 * creation (a database before migration 0018, a concurrent insert into the default partition) is not
 * an error: the rows go to the default partition, the month is tried again with the next batch, and
 * creating it later moves them.
 * @param timesMs the rows' partition-key times, epoch ms.
 */
export function createMonthPartitioner(db: Db, table: PartitionedTable): (timesMs: ArrayLike<number>) => Promise<void> {
  /** Starts of the UTC months whose partition exists (created or found by this process). */
  const known = new Set<number>();
  return async (timesMs) => {
    const missing = new Set<number>();
    let lo = Infinity;
    let hi = -Infinity; // bounds of the last month looked at: consecutive rows mostly share it
    for (let i = 0; i < timesMs.length; i++) {
      const t = timesMs[i];
      if (t >= lo && t < hi) continue;
      lo = monthStartMs(t);
      hi = monthStartMs(t, 1);
      if (!known.has(lo)) missing.add(lo);
    }
    for (const at of [...missing].sort((a, b) => a - b)) {
      const created = await db.execute(sql`select aethelred_month_partition(${table}, ${at}::bigint)`).then(
        () => true,
        () => false,
      );
      if (created) known.add(at);
    }
  };
}

/** Builds the partition maintenance over a drizzle handle (PGlite or postgres.js). */
export function createPartitionRepository(db: Db): TablePartitions {
  return {
    async ensureMonths(fromMs, monthsAhead) {
      if (!Number.isSafeInteger(fromMs)) throw new ValidationError('fromMs', fromMs, 'expected an integer epoch-ms time');
      if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 120) throw new ValidationError('monthsAhead', monthsAhead, 'expected an integer from 0 to 120');
      const ensured: string[] = [];
      for (let i = 0; i <= monthsAhead; i++) {
        const at = monthStartMs(fromMs, i);
        await wrapDriver(`creating the candle partition of ${new Date(at).toISOString().slice(0, 7)}`, () => db.execute(sql`select aethelred_month_partition('candles', ${at}::bigint)`));
        const result = await wrapDriver(`creating the decision-log partition of ${new Date(at).toISOString().slice(0, 7)}`, () =>
          db.execute(sql`select aethelred_month_partition('decision_log', ${at}::bigint) as name`),
        );
        ensured.push(rowsOf<{ name: string }>(result)[0].name);
      }
      return ensured;
    },
    async dropDecisionMonthsBefore(beforeMs) {
      if (!Number.isSafeInteger(beforeMs)) throw new ValidationError('beforeMs', beforeMs, 'expected an integer epoch-ms time');
      const listed = await wrapDriver('listing the decision-log partitions', () =>
        db.execute(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'decision_log'::regclass order by c.relname`),
      );
      const result: DroppedMonths = { dropped: [], rows: 0, kept: [] };
      for (const { name } of rowsOf<{ name: string }>(listed)) {
        const match = MONTH_PARTITION.exec(name);
        if (!match) continue; // the default partition
        const endMs = Date.UTC(Number(match[1]), Number(match[2]), 1); // month index is 0-based: this is the next month's start
        if (endMs > beforeMs) continue;
        await wrapDriver(`dropping decision-log partition "${name}"`, () =>
          db.transaction(async (tx) => {
            const counts = rowsOf<{ rows: number; runs: number }>(
              await tx.execute(sql`select count(*)::int as rows, count(run_id)::int as runs from ${sql.identifier(name)}`),
            )[0];
            if (counts.runs > 0) {
              result.kept.push(name);
              return;
            }
            await tx.execute(sql`drop table ${sql.identifier(name)}`);
            result.dropped.push(name);
            result.rows += counts.rows;
          }),
        );
      }
      return result;
    },
  };
}
