/**
 * Webhooks and their deliveries. An accepted delivery id is unique per webhook (a partial
 * unique index), so claiming it is the idempotency check; refused requests are stored too,
 * without claiming the id, so a forged request cannot block the genuine one.
 */
import { and, desc, eq, not, like, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { webhookDeliveries, webhooks } from '../schema';
import { wrapDriver } from './sql-helpers';

/**
 * Delivery ids of signature records start with this: the second accepted row of a delivery, keyed by a digest of
 * what its signature covers, so a replay under another delivery id is answered as the same delivery
 * (app/_server/auth/webhook-receiver.ts). Internal: {@link WebhookRepository.listDeliveries} leaves them out.
 */
export const SIGNATURE_RECORD_PREFIX = 'signed:sha256:';

export interface WebhookRecord {
  id: string;
  name: string;
  kind: string;
  active: boolean;
  createdAtMs: number;
  createdBy: string | null;
}

export interface WebhookDeliveryRecord {
  id: string;
  webhookId: string;
  deliveryId: string | null;
  receivedAtMs: number;
  status: 'accepted' | 'refused';
  reason: string | null;
  httpStatus: number;
  response: Record<string, unknown> | null;
  ticketId: string | null;
}

export interface WebhookRepository {
  create(row: WebhookRecord & { secretCiphertext: string }): Promise<void>;
  /** The webhook with its encrypted secret, or null. */
  get(id: string): Promise<(WebhookRecord & { secretCiphertext: string }) | null>;
  list(): Promise<WebhookRecord[]>;
  /** Returns the webhook before the change, null when unknown. */
  setActive(id: string, active: boolean): Promise<WebhookRecord | null>;
  findAccepted(webhookId: string, deliveryId: string): Promise<WebhookDeliveryRecord | null>;
  /** Inserts an accepted delivery unless that delivery id is already accepted; true when this call claimed it. */
  claim(row: WebhookDeliveryRecord): Promise<boolean>;
  /** Records the outcome of a claimed delivery; status `refused` releases the delivery id for a retry. */
  complete(id: string, outcome: Pick<WebhookDeliveryRecord, 'status' | 'httpStatus' | 'response' | 'ticketId' | 'reason'>): Promise<void>;
  recordRefused(row: WebhookDeliveryRecord): Promise<void>;
  /** The latest deliveries as senders sent them, newest first (signature records left out). */
  listDeliveries(query: { webhookId?: string; limit?: number }): Promise<WebhookDeliveryRecord[]>;
}

const toWebhook = (r: typeof webhooks.$inferSelect): WebhookRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  active: r.active,
  createdAtMs: Number(r.createdAtMs),
  createdBy: r.createdBy,
});

const toDelivery = (r: typeof webhookDeliveries.$inferSelect): WebhookDeliveryRecord => ({
  id: r.id,
  webhookId: r.webhookId,
  deliveryId: r.deliveryId,
  receivedAtMs: Number(r.receivedAtMs),
  status: r.status as WebhookDeliveryRecord['status'],
  reason: r.reason,
  httpStatus: r.httpStatus,
  response: r.response ?? null,
  ticketId: r.ticketId,
});

export function createWebhookRepository(db: Db): WebhookRepository {
  return {
    create: (row) =>
      wrapDriver('creating a webhook', async () => {
        await db.insert(webhooks).values(row);
      }),
    get: (id) =>
      wrapDriver('reading a webhook', async () => {
        const rows = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
        return rows[0] ? { ...toWebhook(rows[0]), secretCiphertext: rows[0].secretCiphertext } : null;
      }),
    list: () => wrapDriver('listing webhooks', async () => (await db.select().from(webhooks).orderBy(desc(webhooks.createdAtMs))).map(toWebhook)),
    setActive: (id, active) =>
      wrapDriver('changing a webhook', async () => {
        const rows = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
        if (!rows[0]) return null;
        await db.update(webhooks).set({ active }).where(eq(webhooks.id, id));
        return toWebhook(rows[0]);
      }),
    findAccepted: (webhookId, deliveryId) =>
      wrapDriver('reading a webhook delivery', async () => {
        const rows = await db
          .select()
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.deliveryId, deliveryId), eq(webhookDeliveries.status, 'accepted')))
          .limit(1);
        return rows[0] ? toDelivery(rows[0]) : null;
      }),
    claim: (row) =>
      wrapDriver('recording a webhook delivery', async () => {
        const inserted = await db.insert(webhookDeliveries).values(row).onConflictDoNothing().returning({ id: webhookDeliveries.id });
        return inserted.length === 1;
      }),
    complete: (id, outcome) =>
      wrapDriver('recording a webhook delivery', async () => {
        await db.update(webhookDeliveries).set(outcome).where(eq(webhookDeliveries.id, id));
      }),
    recordRefused: (row) =>
      wrapDriver('recording a refused webhook delivery', async () => {
        await db.insert(webhookDeliveries).values(row);
      }),
    listDeliveries: (query) =>
      wrapDriver('listing webhook deliveries', async () =>
        (
          await db
            .select()
            .from(webhookDeliveries)
            .where(
              and(
                query.webhookId ? eq(webhookDeliveries.webhookId, query.webhookId) : undefined,
                // A refused delivery has no delivery id (null): kept. `like` escapes nothing here: the prefix has no % or _.
                not(like(sql`coalesce(${webhookDeliveries.deliveryId}, '')`, `${SIGNATURE_RECORD_PREFIX}%`)),
              ),
            )
            .orderBy(desc(webhookDeliveries.receivedAtMs), desc(webhookDeliveries.id))
            .limit(Math.min(500, Math.max(1, query.limit ?? 100)))
        ).map(toDelivery),
      ),
  };
}
