/** Append-only audit log with keyset paging (newest first) and filters by actor, action and time. */
import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Page } from '../../engine/ports/journal';
import type { Db } from '../client';
import { auditLog } from '../schema';
import { clampLimit, decodeCursor, encodeCursor, wrapDriver } from './sql-helpers';

/** How the actor authenticated. */
export const ActorKind = { Session: 'session', Token: 'token', Cli: 'cli', Webhook: 'webhook', Anonymous: 'anonymous' } as const;
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

export const AuditOutcome = { Ok: 'ok', Failed: 'failed', Denied: 'denied' } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

export interface AuditEntry {
  id: string;
  atMs: number;
  actorId: string | null;
  actorEmail: string | null;
  actorKind: ActorKind;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actorId?: string;
  action?: string;
  fromMs?: number;
  toMs?: number;
  /** 1..1000, default 100. */
  limit?: number;
  cursor?: string;
}

export interface AuditRepository {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. @throws ValidationError for a foreign cursor. */
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
}

export function createAuditRepository(db: Db): AuditRepository {
  return {
    append: (entry) =>
      wrapDriver('writing the audit log', async () => {
        await db.insert(auditLog).values({ ...entry, before: entry.before ?? null, after: entry.after ?? null });
      }),
    list: (query) =>
      wrapDriver('reading the audit log', async () => {
        const limit = clampLimit(query.limit);
        const where: SQL[] = [];
        if (query.actorId) where.push(eq(auditLog.actorId, query.actorId));
        if (query.action) where.push(eq(auditLog.action, query.action));
        if (query.fromMs !== undefined) where.push(gte(auditLog.atMs, query.fromMs));
        if (query.toMs !== undefined) where.push(lte(auditLog.atMs, query.toMs));
        if (query.cursor) {
          const c = decodeCursor(query.cursor);
          where.push(or(lt(auditLog.atMs, c.timeMs), and(eq(auditLog.atMs, c.timeMs), lt(auditLog.id, c.id)))!);
        }
        const rows = await db
          .select()
          .from(auditLog)
          .where(where.length ? and(...where) : undefined)
          .orderBy(desc(auditLog.atMs), desc(auditLog.id))
          .limit(limit + 1);
        const items = rows.slice(0, limit).map(
          (r): AuditEntry => ({
            id: r.id,
            atMs: Number(r.atMs),
            actorId: r.actorId,
            actorEmail: r.actorEmail,
            actorKind: r.actorKind as ActorKind,
            action: r.action,
            target: r.target,
            outcome: r.outcome as AuditOutcome,
            before: r.before ?? null,
            after: r.after ?? null,
          }),
        );
        const last = items[items.length - 1];
        return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.atMs, last.id) : null };
      }),
  };
}
