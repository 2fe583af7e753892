/**
 * Drizzle implementation of the engine's CandleRepository. Prices and volumes are
 * stored as `numeric` (exact) and read back as float8 in SQL, straight into typed arrays.
 */
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { candleColumnsFromRows, type CandleColumns, type MarketKey } from '../../engine/core/types';
import type { CandleRepository, CandleStreamSummary, CandleWriteResult } from '../../engine/ports/candles';
import type { Timeframe } from '../../engine/core/types';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client';
import { candles } from '../schema';
import { ValidationError } from '../../engine/core/errors';
import { numeric, rowsOf, wrapDriver } from './sql-helpers';

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

function keyWhere(key: MarketKey) {
  return and(eq(candles.exchange, key.exchange), eq(candles.symbol, key.symbol), eq(candles.timeframe, key.timeframe));
}

/** Builds the candle repository over a drizzle handle (PGlite or postgres.js). */
export function createCandleRepository(db: Db): CandleRepository {
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
      const rows = await wrapDriver(`loading candles for ${describe(key)}`, () =>
        db
          .select({
            openTimeMs: candles.openTimeMs,
            open: float8(candles.open),
            high: float8(candles.high),
            low: float8(candles.low),
            close: float8(candles.close),
            volume: float8(candles.volume),
          })
          .from(candles)
          .where(and(keyWhere(key), gte(candles.openTimeMs, fromMs), lt(candles.openTimeMs, toMs)))
          .orderBy(asc(candles.openTimeMs)),
      );
      return candleColumnsFromRows(rows);
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
