/**
 * Drizzle implementation of the engine's CandleRepository. Prices and volumes are
 * stored as `numeric` (exact) and read back as float8 in SQL, straight into typed arrays.
 */
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { CandleColumns, MarketKey } from '../../engine/core/types';
import type { CandleRepository, CandleStreamSummary, CandleWriteResult } from '../../engine/core/ports';
import type { Timeframe } from '../../engine/core/types';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client';
import { candles } from '../schema';
import { numeric, wrapDriver } from './sql-helpers';

/** Rows per INSERT statement (9 parameters each, well under Postgres' 65535-parameter limit). */
const INSERT_CHUNK_ROWS = 2000;

const float8 = (column: AnyPgColumn) => sql<number>`${column}::float8`.mapWith(Number);

function keyWhere(key: MarketKey) {
  return and(eq(candles.exchange, key.exchange), eq(candles.symbol, key.symbol), eq(candles.timeframe, key.timeframe));
}

/** Builds the candle repository over a drizzle handle (PGlite or postgres.js). */
export function createCandleRepository(db: Db): CandleRepository {
  return {
    async insertCandles(key: MarketKey, columns: CandleColumns): Promise<CandleWriteResult> {
      const rows: (typeof candles.$inferInsert)[] = new Array(columns.length);
      for (let i = 0; i < columns.length; i++) {
        rows[i] = {
          exchange: key.exchange,
          symbol: key.symbol,
          timeframe: key.timeframe,
          openTimeMs: columns.openTimeMs[i],
          open: numeric(columns.open[i], 'open'),
          high: numeric(columns.high[i], 'high'),
          low: numeric(columns.low[i], 'low'),
          close: numeric(columns.close[i], 'close'),
          volume: numeric(columns.volume[i], 'volume'),
        };
      }
      if (rows.length === 0) return { inserted: 0 };
      return wrapDriver(`inserting ${rows.length} candles for ${describe(key)}`, () =>
        db.transaction(async (tx) => {
          let inserted = 0;
          for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
            const result = await tx
              .insert(candles)
              .values(rows.slice(start, start + INSERT_CHUNK_ROWS))
              .onConflictDoNothing()
              .returning({ openTimeMs: candles.openTimeMs });
            inserted += result.length;
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
      const n = rows.length;
      const out = {
        length: n,
        openTimeMs: new Float64Array(n),
        open: new Float64Array(n),
        high: new Float64Array(n),
        low: new Float64Array(n),
        close: new Float64Array(n),
        volume: new Float64Array(n),
      };
      for (let i = 0; i < n; i++) {
        const r = rows[i];
        out.openTimeMs[i] = Number(r.openTimeMs);
        out.open[i] = r.open;
        out.high[i] = r.high;
        out.low[i] = r.low;
        out.close[i] = r.close;
        out.volume[i] = r.volume;
      }
      return out;
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
