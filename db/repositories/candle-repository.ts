/**
 * Drizzle implementation of the engine's CandleRepository. Prices and volumes are
 * stored as `numeric` (exact) and read back as float8 in SQL, straight into typed arrays.
 */
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { TIMEFRAME_MS, candleColumnsFromRows, type CandleColumns, type MarketKey } from '../../engine/core/types';
import type { CandleGap, CandleRepository, CandleStreamCoverage, CandleStreamSummary, CandleWriteResult } from '../../engine/ports/candles';
import type { Timeframe } from '../../engine/core/types';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client';
import { candles } from '../schema';
import { FailureClass, RepositoryError, ValidationError } from '../../engine/core/errors';
import { numeric, rowsOf, wrapDriver } from './sql-helpers';
import { createMonthPartitioner } from './partition-repository';

/** Rows per INSERT statement (each statement sends six array parameters). */
const INSERT_CHUNK_ROWS = 10_000;

/**
 * Postgres array literals (`{1,2.5,...}`) of the first `length` values, one per chunk.
 * @throws ValidationError quoting the first non-finite (or, for times, non-integer) value.
 */
function arrayLiteral(values: Float64Array, length: number, field: string, integer = false): string[] {
  const out: string[] = [];
  for (let start = 0; start < length; start += INSERT_CHUNK_ROWS) {
    const end = Math.min(length, start + INSERT_CHUNK_ROWS);
    const parts = new Array<string>(end - start);
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (integer && !Number.isSafeInteger(v)) throw new ValidationError(field, v, 'not an integer of milliseconds');
      parts[i - start] = numeric(v, field);
    }
    out.push(`{${parts.join(',')}}`);
  }
  return out;
}

const float8 = (column: AnyPgColumn) => sql<number>`${column}::float8`.mapWith(Number);

/** The six columns `loadCandles` reads, in the order of the typed columns. */
const LOADED_COLUMNS = ['openTimeMs', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Typed columns from one aggregated row: each column is the big-endian IEEE 754 doubles `float8send`
 * wrote, concatenated (postgres.js returns a Buffer, PGlite a Uint8Array; null when no candle matched).
 * @throws RepositoryError (non-retryable) when the columns differ in length: corrupt data.
 */
export function candleColumnsFromBytes(row: Record<(typeof LOADED_COLUMNS)[number], Uint8Array | null>): CandleColumns {
  const n = (row.openTimeMs?.byteLength ?? 0) / 8;
  const column = (name: (typeof LOADED_COLUMNS)[number]): Float64Array => {
    const bytes = row[name] ?? new Uint8Array(0);
    if (bytes.byteLength !== n * 8) throw new RepositoryError(`candle column "${name}" has ${bytes.byteLength} bytes for ${n} open times`, undefined, FailureClass.NonRetryable);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = view.getFloat64(i * 8);
    return values;
  };
  return { length: n, openTimeMs: column('openTimeMs'), open: column('open'), high: column('high'), low: column('low'), close: column('close'), volume: column('volume') };
}

/** The columns in ascending open time: as they are when the database kept the subquery's order, else sorted. */
export function inOpenTimeOrder(columns: CandleColumns): CandleColumns {
  const times = columns.openTimeMs;
  let ascending = true;
  for (let i = 1; i < columns.length && ascending; i++) ascending = times[i - 1] < times[i];
  if (ascending) return columns;
  const order = Array.from({ length: columns.length }, (_, i) => i).sort((a, b) => times[a] - times[b]);
  const permuted = (values: Float64Array) => Float64Array.from(order, (i) => values[i]);
  return { length: columns.length, openTimeMs: permuted(times), open: permuted(columns.open), high: permuted(columns.high), low: permuted(columns.low), close: permuted(columns.close), volume: permuted(columns.volume) };
}

function keyWhere(key: MarketKey) {
  return and(eq(candles.exchange, key.exchange), eq(candles.symbol, key.symbol), eq(candles.timeframe, key.timeframe));
}

/** Builds the candle repository over a drizzle handle (PGlite or postgres.js). */
export function createCandleRepository(db: Db): CandleRepository {
  const ensureMonths = createMonthPartitioner(db, 'candles');
  return {
    async insertCandles(key: MarketKey, columns: CandleColumns): Promise<CandleWriteResult> {
      if (columns.length === 0) return { inserted: 0 };
      // Validate everything before opening the transaction.
      const text = {
        openTimeMs: arrayLiteral(columns.openTimeMs, columns.length, 'openTimeMs', true),
        open: arrayLiteral(columns.open, columns.length, 'open'),
        high: arrayLiteral(columns.high, columns.length, 'high'),
        low: arrayLiteral(columns.low, columns.length, 'low'),
        close: arrayLiteral(columns.close, columns.length, 'close'),
        volume: arrayLiteral(columns.volume, columns.length, 'volume'),
      };
      await ensureMonths(columns.openTimeMs.subarray(0, columns.length));
      return wrapDriver(`inserting ${columns.length} candles for ${describe(key)}`, () =>
        db.transaction(async (tx) => {
          let inserted = 0;
          for (let c = 0; c < text.openTimeMs.length; c++) {
            // One statement per chunk: six array parameters unnested server-side.
            const result = await tx.execute(sql`
              with inserted as (
                insert into ${candles} (exchange, symbol, timeframe, open_time_ms, open, high, low, close, volume)
                select ${key.exchange}, ${key.symbol}, ${key.timeframe}, t.*
                from unnest(
                  ${text.openTimeMs[c]}::bigint[], ${text.open[c]}::numeric[], ${text.high[c]}::numeric[],
                  ${text.low[c]}::numeric[], ${text.close[c]}::numeric[], ${text.volume[c]}::numeric[]
                ) as t
                on conflict do nothing
                returning 1
              )
              select count(*)::int as inserted from inserted`);
            inserted += Number(rowsOf<{ inserted: number }>(result)[0].inserted);
          }
          return { inserted };
        }),
      );
    },

    async loadCandles(key: MarketKey, fromMs: number, toMs: number): Promise<CandleColumns> {
      // One row of six binary columns rather than a row object per candle: the doubles travel as bytes
      // (exact, no text to parse) and land in typed arrays; a year of 5m candles costs the client ~10 ms.
      // The aggregates read an ordered subquery (the primary key's order, no sort; an ORDER BY inside
      // each aggregate would sort six times); the open times are checked and re-sorted here if need be.
      const column = (name: (typeof LOADED_COLUMNS)[number]) =>
        sql`string_agg(float8send(t.${sql.identifier(candles[name].name)}::float8), ''::bytea) as ${sql.identifier(name)}`;
      const result = await wrapDriver(`loading candles for ${describe(key)}`, () =>
        db.execute(sql`
          select ${sql.join(LOADED_COLUMNS.map(column), sql`, `)}
          from (
            select * from ${candles}
            where ${and(keyWhere(key), gte(candles.openTimeMs, fromMs), lt(candles.openTimeMs, toMs))}
            order by ${candles.openTimeMs}
          ) as t`),
      );
      return inOpenTimeOrder(candleColumnsFromBytes(rowsOf<Record<(typeof LOADED_COLUMNS)[number], Uint8Array | null>>(result)[0]));
    },

    async loadCandleBuckets(key: MarketKey, fromMs: number, toMs: number, bucketMs: number): Promise<CandleColumns> {
      if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw new ValidationError('bucketMs', bucketMs, 'expected a whole number of milliseconds > 0');
      // Open of the first candle, highest high, lowest low, close of the last, summed volume; buckets
      // start at multiples of bucketMs (open times are positive, so `t - t % b` is the floor).
      const bucket = sql`(${candles.openTimeMs} - ${candles.openTimeMs} % ${bucketMs}::bigint)`;
      const rows = await wrapDriver(`loading ${bucketMs} ms buckets of candles for ${describe(key)}`, () =>
        db
          .select({
            openTimeMs: sql<number>`${bucket}`.mapWith(Number),
            open: sql<number>`(array_agg(${candles.open} order by ${candles.openTimeMs} asc))[1]::float8`.mapWith(Number),
            high: sql<number>`max(${candles.high})::float8`.mapWith(Number),
            low: sql<number>`min(${candles.low})::float8`.mapWith(Number),
            close: sql<number>`(array_agg(${candles.close} order by ${candles.openTimeMs} desc))[1]::float8`.mapWith(Number),
            volume: sql<number>`sum(${candles.volume})::float8`.mapWith(Number),
          })
          .from(candles)
          .where(and(keyWhere(key), gte(candles.openTimeMs, fromMs), lt(candles.openTimeMs, toMs)))
          // By position: the bucket expression binds bucketMs as a parameter, and each occurrence would be a new one.
          .groupBy(sql`1`)
          .orderBy(sql`1`),
      );
      return candleColumnsFromRows(rows);
    },

    async summarize(): Promise<CandleStreamSummary[]> {
      const rows = await wrapDriver('summarizing candles', () =>
        db
          .select({
            exchange: candles.exchange,
            symbol: candles.symbol,
            timeframe: candles.timeframe,
            count: sql<number>`count(*)::int`.mapWith(Number),
            firstOpenTimeMs: sql<number>`min(${candles.openTimeMs})`.mapWith(Number),
            lastOpenTimeMs: sql<number>`max(${candles.openTimeMs})`.mapWith(Number),
          })
          .from(candles)
          .groupBy(candles.exchange, candles.symbol, candles.timeframe)
          .orderBy(asc(candles.exchange), asc(candles.symbol), asc(candles.timeframe)),
      );
      return rows.map((r) => ({ ...r, timeframe: r.timeframe as Timeframe }));
    },

    async summarizeCoverage(largestGaps: number): Promise<CandleStreamCoverage[]> {
      if (!Number.isInteger(largestGaps) || largestGaps < 0 || largestGaps > 100) throw new ValidationError('largestGaps', largestGaps, 'expected an integer from 0 to 100');
      // The timeframe lengths as a table, so the grid step is known per stream in SQL.
      const steps = sql.join(
        Object.entries(TIMEFRAME_MS).map(([timeframe, stepMs]) => sql`(${timeframe}::text, ${stepMs}::bigint)`),
        sql`, `,
      );
      // One ordered pass per stream (the primary key's order): a gap is two neighbours further apart than one step.
      const result = await wrapDriver('summarizing candle coverage', () =>
        db.execute(sql`
          with tf(timeframe, step_ms) as (values ${steps}),
          neighbours as (
            select c.exchange, c.symbol, c.timeframe, c.open_time_ms,
                   lag(c.open_time_ms) over (partition by c.exchange, c.symbol, c.timeframe order by c.open_time_ms) as previous_ms
            from ${candles} c
          ),
          gaps as (
            select n.exchange, n.symbol, n.timeframe, n.previous_ms as after_ms, n.open_time_ms as before_ms,
                   (n.open_time_ms - n.previous_ms) / tf.step_ms - 1 as missing,
                   row_number() over (partition by n.exchange, n.symbol, n.timeframe order by n.open_time_ms - n.previous_ms desc, n.open_time_ms asc) as rank
            from neighbours n join tf on tf.timeframe = n.timeframe
            where n.open_time_ms - n.previous_ms > tf.step_ms
          ),
          gap_totals as (
            select exchange, symbol, timeframe, count(*)::int as gap_count,
                   coalesce(json_agg(json_build_array(after_ms, before_ms, missing) order by rank) filter (where rank <= ${largestGaps}), '[]'::json) as largest
            from gaps group by exchange, symbol, timeframe
          ),
          streams as (
            select exchange, symbol, timeframe, count(*)::int as count, min(open_time_ms) as first_ms, max(open_time_ms) as last_ms
            from ${candles} group by exchange, symbol, timeframe
          )
          select s.exchange, s.symbol, s.timeframe, s.count, s.first_ms::float8 as first_ms, s.last_ms::float8 as last_ms,
                 ((s.last_ms - s.first_ms) / tf.step_ms + 1)::float8 as expected_count,
                 coalesce(g.gap_count, 0) as gap_count, coalesce(g.largest, '[]'::json) as largest
          from streams s
          join tf on tf.timeframe = s.timeframe
          left join gap_totals g on g.exchange = s.exchange and g.symbol = s.symbol and g.timeframe = s.timeframe
          order by s.exchange, s.symbol, s.timeframe`),
      );
      type Row = { exchange: string; symbol: string; timeframe: string; count: number; first_ms: number; last_ms: number; expected_count: number; gap_count: number; largest: unknown };
      return rowsOf<Row>(result).map((r) => {
        const largest = (typeof r.largest === 'string' ? JSON.parse(r.largest) : r.largest) as [number | string, number | string, number | string][];
        const expectedCount = Number(r.expected_count);
        const count = Number(r.count);
        return {
          exchange: r.exchange,
          symbol: r.symbol,
          timeframe: r.timeframe as Timeframe,
          count,
          firstOpenTimeMs: Number(r.first_ms),
          lastOpenTimeMs: Number(r.last_ms),
          expectedCount,
          missingCount: expectedCount - count,
          gapCount: Number(r.gap_count),
          largestGaps: largest.map(([after, before, missing]): CandleGap => ({ afterOpenTimeMs: Number(after), beforeOpenTimeMs: Number(before), missing: Number(missing) })),
        };
      });
    },

    async countCandles(key: MarketKey): Promise<number> {
      const rows = await wrapDriver(`counting candles for ${describe(key)}`, () =>
        db.select({ count: sql<number>`count(*)::int`.mapWith(Number) }).from(candles).where(keyWhere(key)),
      );
      return rows[0]?.count ?? 0;
    },
  };
}

function describe(key: MarketKey): string {
  return `${key.exchange} "${key.symbol}" ${key.timeframe}`;
}
