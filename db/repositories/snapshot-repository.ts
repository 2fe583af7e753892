/**
 * Drizzle implementation of the orchestrator's SnapshotRepository (the `snapshots` table):
 * equity as `numeric`, the rest of the snapshot as JSON.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Page } from '../../engine/ports/journal';
import type { SnapshotKind, SnapshotPayload, SnapshotRecord, SnapshotRepository } from '../../engine/ports/snapshots';
import type { Db } from '../client';
import { snapshots } from '../schema';
import { clampLimit, decodeCursor, encodeCursor, num, numeric, wrapDriver } from './sql-helpers';

type SnapshotRow = typeof snapshots.$inferSelect;

function rowToSnapshot(r: SnapshotRow): SnapshotRecord {
  return {
    id: r.id,
    kind: r.kind as SnapshotKind,
    takenAtMs: Number(r.takenAtMs),
    equity: num(r.equity),
    payload: r.payload as SnapshotPayload,
  };
}

function toRow(snapshot: SnapshotRecord) {
  return {
    id: snapshot.id,
    kind: snapshot.kind,
    takenAtMs: snapshot.takenAtMs,
    equity: numeric(snapshot.equity, 'equity'),
    payload: snapshot.payload,
  };
}

/** Builds the snapshot repository over a drizzle handle (PGlite or postgres.js). */
export function createSnapshotRepository(db: Db): SnapshotRepository {
  return {
    async insert(snapshot: SnapshotRecord): Promise<void> {
      await wrapDriver(`storing snapshot "${snapshot.id}"`, () => db.insert(snapshots).values(toRow(snapshot)));
    },

    async insertOnce(snapshot: SnapshotRecord): Promise<SnapshotRecord> {
      const inserted = await wrapDriver(`storing snapshot "${snapshot.id}"`, () => db.insert(snapshots).values(toRow(snapshot)).onConflictDoNothing({ target: snapshots.id }).returning());
      if (inserted.length > 0) return rowToSnapshot(inserted[0]);
      const [existing] = await wrapDriver(`reading snapshot "${snapshot.id}"`, () => db.select().from(snapshots).where(eq(snapshots.id, snapshot.id)));
      return rowToSnapshot(existing);
    },

    async list(query: { kind?: SnapshotKind; limit?: number; cursor?: string }): Promise<Page<SnapshotRecord>> {
      const limit = clampLimit(query.limit);
      const conditions: (SQL | undefined)[] = [];
      if (query.kind !== undefined) conditions.push(eq(snapshots.kind, query.kind));
      if (query.cursor !== undefined) {
        const { timeMs, id } = decodeCursor(query.cursor);
        conditions.push(sql`(${snapshots.takenAtMs}, ${snapshots.id}) < (${timeMs}, ${id})`);
      }
      const rows = await wrapDriver('listing snapshots', () =>
        db
          .select()
          .from(snapshots)
          .where(and(...conditions))
          .orderBy(desc(snapshots.takenAtMs), desc(snapshots.id))
          .limit(limit + 1),
      );
      const items = rows.slice(0, limit).map(rowToSnapshot);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit ? encodeCursor(last.takenAtMs, last.id) : null };
    },
  };
}
