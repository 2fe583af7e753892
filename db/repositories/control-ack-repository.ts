/** Drizzle implementation of the engine's ControlAckStore: one row per message and process, upserted. */
import { asc, eq } from 'drizzle-orm';
import type { ControlAck, ControlAckStore, ControlKind, ControlOutcome } from '../../engine/ports/control-bus';
import type { Db } from '../client';
import { controlAcks } from '../schema';
import { wrapDriver } from './sql-helpers';

/** Builds the ack store over a drizzle handle (PGlite or postgres.js). */
export function createControlAckRepository(db: Db): ControlAckStore {
  return {
    async record(ack: ControlAck) {
      const { messageId: _m, processId: _p, ...update } = ack;
      await wrapDriver(`recording the ack of control message "${ack.messageId}"`, () =>
        db.insert(controlAcks).values(ack).onConflictDoUpdate({ target: [controlAcks.messageId, controlAcks.processId], set: update }),
      );
    },
    async list(messageId: string) {
      const rows = await wrapDriver(`listing the acks of control message "${messageId}"`, () =>
        db.select().from(controlAcks).where(eq(controlAcks.messageId, messageId)).orderBy(asc(controlAcks.atMs), asc(controlAcks.processId)),
      );
      return rows.map((r) => ({ ...r, kind: r.kind as ControlKind, outcome: r.outcome as ControlOutcome, atMs: Number(r.atMs) }));
    },
  };
}
