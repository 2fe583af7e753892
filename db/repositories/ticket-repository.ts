/**
 * Drizzle implementation of the TicketRepository port (`engine/ports/tickets.ts`, the `tickets` table).
 * Every transition is one UPDATE guarded by the expected status, so concurrent runners never
 * move a ticket twice; `claimNext` picks its row with `FOR UPDATE SKIP LOCKED`, so two claimers
 * on the same PostgreSQL never get the same ticket and never wait on each other.
 * Times are the engine clock's, passed in by the caller.
 */
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { NotFoundError } from '../../engine/core/errors';
import type { Page } from '../../engine/ports/journal';
import type { JobKind, NewTicket, Ticket, TicketQuery } from '../../engine/orchestrator/job-queue';
import { TicketRunner, TicketStatus, type RecoveredTickets, type TicketRepository } from '../../engine/ports/tickets';
import type { Db } from '../client';
import { tickets } from '../schema';
import { clampLimit, decodeCursor, encodeCursor, wrapDriver } from './sql-helpers';

type TicketRow = typeof tickets.$inferSelect;

const INTERRUPTED = 'interrupted: the process stopped while the job was running';

/** The stored result is the one the runner recorded from this kind's body, so it has that kind's result type. */
function rowToTicket(r: TicketRow): Ticket {
  return {
    id: r.id,
    kind: r.kind as JobKind,
    params: r.params,
    status: r.status as TicketStatus,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    progress: r.progress,
    progressMessage: r.progressMessage,
    result: r.result ?? null,
    error: r.error,
    runner: r.runner as TicketRunner,
    cancelRequested: r.cancelRequested,
    createdAtMs: Number(r.createdAtMs),
    startedAtMs: r.startedAtMs === null ? null : Number(r.startedAtMs),
    finishedAtMs: r.finishedAtMs === null ? null : Number(r.finishedAtMs),
    updatedAtMs: r.updatedAtMs === null ? null : Number(r.updatedAtMs),
    runAfterMs: r.runAfterMs === null ? null : Number(r.runAfterMs),
    dedupeKey: r.dedupeKey,
  } as Ticket;
}

function insertValues(ticket: NewTicket): typeof tickets.$inferInsert {
  return {
    id: ticket.id,
    kind: ticket.kind,
    params: ticket.params,
    status: TicketStatus.Queued,
    attempts: 0,
    maxAttempts: ticket.maxAttempts,
    progress: 0,
    runner: ticket.runner,
    cancelRequested: false,
    createdAtMs: ticket.createdAtMs,
    updatedAtMs: ticket.createdAtMs,
    dedupeKey: ticket.dedupeKey ?? null,
  };
}

/** Builds the ticket repository over a drizzle handle (PGlite or postgres.js). */
export function createTicketRepository(db: Db): TicketRepository<Ticket> {
  async function get(id: string): Promise<Ticket | null> {
    const rows = await wrapDriver(`loading ticket "${id}"`, () => db.select().from(tickets).where(eq(tickets.id, id)));
    return rows[0] === undefined ? null : rowToTicket(rows[0]);
  }

  /** One guarded UPDATE; NotFoundError when no row with that id is in one of `from`. */
  async function transition(id: string, from: TicketStatus[], set: Partial<typeof tickets.$inferInsert>, what: string): Promise<Ticket> {
    const rows = await wrapDriver(`${what} ticket "${id}"`, () =>
      db
        .update(tickets)
        .set(set)
        .where(and(eq(tickets.id, id), inArray(tickets.status, from)))
        .returning(),
    );
    if (rows.length === 0) throw new NotFoundError(`ticket "${id}" does not exist or is not ${from.join(' or ')}`);
    return rowToTicket(rows[0]);
  }

  return {
    async create(ticket: NewTicket): Promise<Ticket> {
      const rows = await wrapDriver(`creating ticket "${ticket.id}"`, () => db.insert(tickets).values(insertValues(ticket)).returning());
      return rowToTicket(rows[0]);
    },

    async createOnce(ticket) {
      // ON CONFLICT on the unique dedupe key: of concurrent inserts (any process) exactly one wins.
      const inserted = await wrapDriver(`creating ticket "${ticket.id}" (key "${ticket.dedupeKey}")`, () =>
        db.insert(tickets).values(insertValues(ticket)).onConflictDoNothing({ target: tickets.dedupeKey }).returning(),
      );
      if (inserted[0]) return { ticket: rowToTicket(inserted[0]), created: true };
      const existing = await wrapDriver(`loading the ticket with key "${ticket.dedupeKey}"`, () => db.select().from(tickets).where(eq(tickets.dedupeKey, ticket.dedupeKey)));
      if (!existing[0]) throw new NotFoundError(`ticket with key "${ticket.dedupeKey}" conflicted on insert but is gone`);
      return { ticket: rowToTicket(existing[0]), created: false };
    },

    get,

    async list(query: TicketQuery): Promise<Page<Ticket>> {
      const limit = clampLimit(query.limit);
      const conditions: (SQL | undefined)[] = [];
      if (query.status !== undefined) conditions.push(eq(tickets.status, query.status));
      if (query.kind !== undefined) conditions.push(eq(tickets.kind, query.kind));
      if (query.cursor !== undefined) {
        const { timeMs, id } = decodeCursor(query.cursor);
        conditions.push(sql`(${tickets.createdAtMs}, ${tickets.id}) < (${timeMs}, ${id})`);
      }
      const rows = await wrapDriver('listing tickets', () =>
        db
          .select()
          .from(tickets)
          .where(and(...conditions))
          .orderBy(desc(tickets.createdAtMs), desc(tickets.id))
          .limit(limit + 1),
      );
      const items = rows.slice(0, limit).map(rowToTicket);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit ? encodeCursor(last.createdAtMs, last.id) : null };
    },

    async claimNext(nowMs: number, runner: TicketRunner = TicketRunner.InProcess): Promise<Ticket | null> {
      const rows = await wrapDriver('claiming the next ticket', () => {
        const next = db
          .select({ id: tickets.id })
          .from(tickets)
          .where(
            and(
              eq(tickets.status, TicketStatus.Queued),
              eq(tickets.runner, runner),
              eq(tickets.cancelRequested, false),
              or(isNull(tickets.runAfterMs), lte(tickets.runAfterMs, nowMs)),
            ),
          )
          .orderBy(asc(tickets.createdAtMs), asc(tickets.id))
          .limit(1)
          .for('update', { skipLocked: true });
        return db
          .update(tickets)
          .set({ status: TicketStatus.Running, attempts: sql`${tickets.attempts} + 1`, startedAtMs: nowMs, updatedAtMs: nowMs, runAfterMs: null })
          // A scalar subquery runs once (an InitPlan). `id IN (subquery)` would not: Postgres may
          // re-run it per scanned row and claim every queued ticket in one statement.
          .where(and(sql`${tickets.id} = (${next})`, eq(tickets.status, TicketStatus.Queued)))
          .returning();
      });
      return rows[0] === undefined ? null : rowToTicket(rows[0]);
    },

    async claim(id: string, nowMs: number): Promise<Ticket | null> {
      const rows = await wrapDriver(`claiming ticket "${id}"`, () =>
        db
          .update(tickets)
          .set({ status: TicketStatus.Running, attempts: sql`${tickets.attempts} + 1`, startedAtMs: nowMs, updatedAtMs: nowMs, runAfterMs: null })
          .where(and(eq(tickets.id, id), eq(tickets.status, TicketStatus.Queued), eq(tickets.cancelRequested, false)))
          .returning(),
      );
      return rows[0] === undefined ? null : rowToTicket(rows[0]);
    },

    async updateProgress(id: string, progress: number, message: string | null, nowMs: number): Promise<Ticket | null> {
      const clamped = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
      const rows = await wrapDriver(`updating progress of ticket "${id}"`, () =>
        db
          .update(tickets)
          .set({ progress: clamped, progressMessage: message, updatedAtMs: nowMs })
          .where(and(eq(tickets.id, id), eq(tickets.status, TicketStatus.Running)))
          .returning(),
      );
      return rows[0] === undefined ? null : rowToTicket(rows[0]);
    },

    succeed: (id, result, nowMs) =>
      transition(id, [TicketStatus.Running], { status: TicketStatus.Succeeded, result: result ?? null, progress: 1, error: null, finishedAtMs: nowMs, updatedAtMs: nowMs }, 'completing'),

    fail: (id, error, nowMs) =>
      transition(id, [TicketStatus.Running, TicketStatus.Queued], { status: TicketStatus.Failed, error, finishedAtMs: nowMs, updatedAtMs: nowMs }, 'failing'),

    retryLater: (id, runAfterMs, error, nowMs) =>
      transition(id, [TicketStatus.Running], { status: TicketStatus.Queued, runAfterMs, error, updatedAtMs: nowMs }, 'requeueing'),

    async requestCancel(id: string, nowMs: number): Promise<Ticket | null> {
      const rows = await wrapDriver(`cancelling ticket "${id}"`, () =>
        db
          .update(tickets)
          .set({
            cancelRequested: true,
            status: sql`case when ${tickets.status} = ${TicketStatus.Queued} then ${TicketStatus.Cancelled} else ${tickets.status} end`,
            finishedAtMs: sql`case when ${tickets.status} = ${TicketStatus.Queued} then ${nowMs}::bigint else ${tickets.finishedAtMs} end`,
            updatedAtMs: nowMs,
          })
          .where(and(eq(tickets.id, id), inArray(tickets.status, [TicketStatus.Queued, TicketStatus.Running])))
          .returning(),
      );
      if (rows[0] !== undefined) return rowToTicket(rows[0]);
      return get(id);
    },

    markCancelled: (id, nowMs) =>
      transition(id, [TicketStatus.Running, TicketStatus.Queued], { status: TicketStatus.Cancelled, cancelRequested: true, finishedAtMs: nowMs, updatedAtMs: nowMs }, 'cancelling'),

    async heartbeat(ids: readonly string[], nowMs: number): Promise<void> {
      if (ids.length === 0) return;
      await wrapDriver(`heartbeat of ${ids.length} tickets`, () =>
        db
          .update(tickets)
          .set({ updatedAtMs: nowMs })
          .where(and(inArray(tickets.id, [...ids]), eq(tickets.status, TicketStatus.Running))),
      );
    },

    async recoverInterrupted(nowMs: number, options: { runner?: TicketRunner; staleBeforeMs?: number } = {}): Promise<RecoveredTickets> {
      const runner = options.runner ?? TicketRunner.InProcess;
      const stale = and(
        eq(tickets.status, TicketStatus.Running),
        eq(tickets.runner, runner),
        options.staleBeforeMs === undefined ? undefined : lt(sql`coalesce(${tickets.updatedAtMs}, ${tickets.startedAtMs}, ${tickets.createdAtMs})`, options.staleBeforeMs),
      );
      return wrapDriver('recovering interrupted tickets', () =>
        db.transaction(async (tx) => {
          const cancelled = await tx
            .update(tickets)
            .set({ status: TicketStatus.Cancelled, finishedAtMs: nowMs, updatedAtMs: nowMs })
            .where(and(stale, eq(tickets.cancelRequested, true)))
            .returning({ id: tickets.id });
          const requeued = await tx
            .update(tickets)
            .set({ status: TicketStatus.Queued, runAfterMs: null, error: INTERRUPTED, updatedAtMs: nowMs })
            .where(and(stale, lt(tickets.attempts, tickets.maxAttempts)))
            .returning({ id: tickets.id });
          const failed = await tx
            .update(tickets)
            .set({ status: TicketStatus.Failed, error: `${INTERRUPTED} (no attempts left)`, finishedAtMs: nowMs, updatedAtMs: nowMs })
            .where(and(stale, sql`${tickets.attempts} >= ${tickets.maxAttempts}`))
            .returning({ id: tickets.id });
          return { requeued: requeued.map((r) => r.id).sort(), failed: failed.map((r) => r.id).sort(), cancelled: cancelled.map((r) => r.id).sort() };
        }),
      );
    },
  };
}
