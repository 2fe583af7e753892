/**
 * In-memory TicketRepository and SnapshotRepository, for unit tests and the port contract suites.
 * Same semantics as the drizzle adapters (single process, so claims are trivially atomic).
 */
import { NotFoundError, ValidationError } from '../core/errors';
import type { Page } from '../ports/journal';
import type { SnapshotRecord, SnapshotRepository } from '../ports/snapshots';
import type { NewTicket, Ticket } from '../orchestrator/job-queue';
import { TicketRunner, TicketStatus, type TicketFields, type TicketRepository } from '../ports/tickets';

const encode = (timeMs: number, id: string) => Buffer.from(JSON.stringify([timeMs, id]), 'utf8').toString('base64url');

function decode(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new ValidationError('cursor', cursor, 'not a cursor returned by a previous page');
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100;
  return Math.min(1000, Math.max(1, Math.trunc(limit)));
}

/** Newest first by (time, id), keyset cursor, like the drizzle repositories. */
function pageBy<T extends { id: string }>(rows: T[], timeOf: (r: T) => number, query: { limit?: number; cursor?: string }): Page<T> {
  const limit = limitOf(query.limit);
  let sorted = [...rows].sort((a, b) => timeOf(b) - timeOf(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  if (query.cursor !== undefined) {
    const [t, id] = decode(query.cursor);
    sorted = sorted.filter((r) => timeOf(r) < t || (timeOf(r) === t && r.id < id));
  }
  const items = sorted.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: sorted.length > limit ? encode(timeOf(last), last.id) : null };
}

/** The in-memory ticket store; `rows` exposes the stored tickets to tests. */
export interface InMemoryTicketRepository extends TicketRepository<Ticket> {
  readonly rows: Map<string, Ticket>;
}

export function createInMemoryTicketRepository(): InMemoryTicketRepository {
  const rows = new Map<string, Ticket>();
  const copy = (t: Ticket): Ticket => structuredClone(t);
  const transition = (id: string, from: TicketStatus[], set: Partial<TicketFields> & { result?: unknown }): Ticket => {
    const t = rows.get(id);
    if (!t || !from.includes(t.status)) throw new NotFoundError(`ticket "${id}" does not exist or is not ${from.join(' or ')}`);
    Object.assign(t, set);
    return copy(t);
  };
  const claimRow = (t: Ticket, nowMs: number): Ticket => {
    Object.assign(t, { status: TicketStatus.Running, attempts: t.attempts + 1, startedAtMs: nowMs, updatedAtMs: nowMs, runAfterMs: null });
    return copy(t);
  };
  const create = async (ticket: NewTicket): Promise<Ticket> => {
    if (rows.has(ticket.id)) throw new Error(`ticket "${ticket.id}" exists`);
    const row: Ticket = {
      ...structuredClone(ticket),
      status: TicketStatus.Queued,
      attempts: 0,
      progress: 0,
      progressMessage: null,
      result: null,
      error: null,
      cancelRequested: false,
      startedAtMs: null,
      finishedAtMs: null,
      updatedAtMs: ticket.createdAtMs,
      runAfterMs: null,
      dedupeKey: ticket.dedupeKey ?? null,
    };
    if (row.dedupeKey !== null && [...rows.values()].some((t) => t.dedupeKey === row.dedupeKey)) throw new Error(`a ticket with dedupe key "${row.dedupeKey}" exists`);
    rows.set(row.id, row);
    return copy(row);
  };
  return {
    rows,
    create,
    async createOnce(ticket) {
      const existing = [...rows.values()].find((t) => t.dedupeKey === ticket.dedupeKey);
      if (existing) return { ticket: copy(existing), created: false };
      return { ticket: await create(ticket), created: true };
    },
    async get(id) {
      const t = rows.get(id);
      return t ? copy(t) : null;
    },
    async list(query) {
      const matching = [...rows.values()].filter((t) => (query.status === undefined || t.status === query.status) && (query.kind === undefined || t.kind === query.kind));
      const page = pageBy(matching, (t) => t.createdAtMs, query);
      return { items: page.items.map(copy), nextCursor: page.nextCursor };
    },
    async claimNext(nowMs, runner = TicketRunner.InProcess) {
      const due = [...rows.values()]
        .filter((t) => t.status === TicketStatus.Queued && t.runner === runner && !t.cancelRequested && (t.runAfterMs === null || t.runAfterMs <= nowMs))
        .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return due[0] ? claimRow(due[0], nowMs) : null;
    },
    async claim(id, nowMs) {
      const t = rows.get(id);
      return t && t.status === TicketStatus.Queued && !t.cancelRequested ? claimRow(t, nowMs) : null;
    },
    async updateProgress(id, progress, message, nowMs) {
      const t = rows.get(id);
      if (!t || t.status !== TicketStatus.Running) return null;
      Object.assign(t, { progress: Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0, progressMessage: message, updatedAtMs: nowMs });
      return copy(t);
    },
    async succeed(id, result, nowMs) {
      return transition(id, [TicketStatus.Running], { status: TicketStatus.Succeeded, result: result ?? null, progress: 1, error: null, finishedAtMs: nowMs, updatedAtMs: nowMs });
    },
    async fail(id, error, nowMs) {
      return transition(id, [TicketStatus.Running, TicketStatus.Queued], { status: TicketStatus.Failed, error, finishedAtMs: nowMs, updatedAtMs: nowMs });
    },
    async retryLater(id, runAfterMs, error, nowMs) {
      return transition(id, [TicketStatus.Running], { status: TicketStatus.Queued, runAfterMs, error, updatedAtMs: nowMs });
    },
    async requestCancel(id, nowMs) {
      const t = rows.get(id);
      if (!t) return null;
      if (t.status === TicketStatus.Queued) Object.assign(t, { status: TicketStatus.Cancelled, cancelRequested: true, finishedAtMs: nowMs, updatedAtMs: nowMs });
      else if (t.status === TicketStatus.Running) Object.assign(t, { cancelRequested: true, updatedAtMs: nowMs });
      return copy(t);
    },
    async markCancelled(id, nowMs) {
      return transition(id, [TicketStatus.Running, TicketStatus.Queued], { status: TicketStatus.Cancelled, cancelRequested: true, finishedAtMs: nowMs, updatedAtMs: nowMs });
    },
    async heartbeat(ids, nowMs) {
      for (const id of ids) {
        const t = rows.get(id);
        if (t && t.status === TicketStatus.Running) t.updatedAtMs = nowMs;
      }
    },
    async recoverInterrupted(nowMs, options = {}) {
      const runner = options.runner ?? TicketRunner.InProcess;
      const result = { requeued: [] as string[], failed: [] as string[], cancelled: [] as string[] };
      for (const t of rows.values()) {
        if (t.status !== TicketStatus.Running || t.runner !== runner) continue;
        const last = t.updatedAtMs ?? t.startedAtMs ?? t.createdAtMs;
        if (options.staleBeforeMs !== undefined && !(last < options.staleBeforeMs)) continue;
        if (t.cancelRequested) {
          Object.assign(t, { status: TicketStatus.Cancelled, finishedAtMs: nowMs, updatedAtMs: nowMs });
          result.cancelled.push(t.id);
        } else if (t.attempts < t.maxAttempts) {
          Object.assign(t, { status: TicketStatus.Queued, runAfterMs: null, error: 'interrupted: the process stopped while the job was running', updatedAtMs: nowMs });
          result.requeued.push(t.id);
        } else {
          Object.assign(t, { status: TicketStatus.Failed, error: 'interrupted: the process stopped while the job was running (no attempts left)', finishedAtMs: nowMs, updatedAtMs: nowMs });
          result.failed.push(t.id);
        }
      }
      result.requeued.sort();
      result.failed.sort();
      result.cancelled.sort();
      return result;
    },
  };
}

export function createInMemorySnapshotRepository(): SnapshotRepository & { readonly rows: SnapshotRecord[] } {
  const rows: SnapshotRecord[] = [];
  return {
    rows,
    async insert(snapshot) {
      if (rows.some((r) => r.id === snapshot.id)) throw new Error(`snapshot "${snapshot.id}" exists`);
      rows.push(structuredClone(snapshot));
    },
    async insertOnce(snapshot) {
      const existing = rows.find((r) => r.id === snapshot.id);
      if (existing) return structuredClone(existing);
      rows.push(structuredClone(snapshot));
      return structuredClone(snapshot);
    },
    async list(query) {
      const page = pageBy(rows.filter((r) => query.kind === undefined || r.kind === query.kind), (r) => r.takenAtMs, query);
      return { items: page.items.map((r) => structuredClone(r)), nextCursor: page.nextCursor };
    },
  };
}
