/**
 * Receives `POST /api/webhooks/{id}`: size limit, HMAC-SHA256 signature over
 * `timestamp + "." + rawBody` (constant-time compare), five-minute freshness window,
 * idempotency by delivery id AND by the signed request itself, then hands the payload to the
 * engine. Every request for a known webhook is stored as a delivery, accepted or refused, with
 * its reason; a duplicate is answered from storage and stores nothing.
 *
 * The delivery id header is not signed, so it alone cannot stop a replay: whoever captured one
 * delivery could resend it under a new delivery id inside the window. An accepted delivery
 * therefore claims two keys in `webhook_deliveries` (whose accepted delivery ids are unique per
 * webhook): its delivery id (a sender's retry, even re-signed, gets the stored answer) and the
 * replay key of what the signature covers (`signed:sha256:<hex of sha256(timestamp + "." + rawBody)>`,
 * see `webhookReplayKey`), so the same signed request gets the stored answer under any delivery id.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type pino from 'pino';
import { SIGNATURE_RECORD_PREFIX, type WebhookDeliveryRecord, type WebhookRepository } from '@/db/repositories/webhook-repository';
import type { ExternalSignal, ExternalSignalResult } from '@/engine/decision/external-signal';
import { ValidationError } from '@/engine/core/errors';
import { storableTextCheck } from '@/engine/core/storable-text';
import { accountIdSchema } from '@/engine/account/account-config';
import { findJobDefinition, WEBHOOK_JOB_KINDS } from '@/engine/jobs/definitions';
import type { SecretBox } from './secret-box';

export const WebhookKind = { Alert: 'alert', Job: 'job' } as const;
export type WebhookKind = (typeof WebhookKind)[keyof typeof WebhookKind];

export const WEBHOOK_MAX_BODY_BYTES = 64 * 1024;
export const WEBHOOK_MAX_SKEW_MS = 5 * 60_000;
export const WEBHOOK_HEADERS = {
  timestamp: 'x-aethelred-timestamp',
  delivery: 'x-aethelred-delivery',
  signature: 'x-aethelred-signature',
} as const;

/** TradingView-style alert body. `side` accepts buy/sell as long/short. Text the database cannot store (NUL) is refused. */
export const alertPayloadSchema = z
  .object({
    symbol: z.string().min(1).max(40),
    side: z.enum(['long', 'short', 'flat', 'buy', 'sell']),
    strategy: z.string().min(1).max(80),
    strength: z.number().min(0).max(1).optional(),
    price: z.number().positive().optional(),
    exchange: z.string().min(1).max(40).optional(),
    /** The account whose session of the market receives the alert (its halt applies); default "default". */
    account: accountIdSchema.optional(),
  })
  .superRefine(storableTextCheck);

/** A job to enqueue; `params` are checked against the kind's own schema by the engine. */
export const jobPayloadSchema = z
  .object({
    job: z.string().min(1).max(80),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine(storableTextCheck);

/** Enqueues a job and returns its ticket id (the engine's JobQueue, when the build has one). */
export type Enqueue = (job: { kind: string; params: Record<string, unknown> }) => Promise<string>;

export interface WebhookReceiverDeps {
  webhooks: WebhookRepository;
  secretBox: SecretBox;
  submitSignal: (signal: ExternalSignal) => Promise<ExternalSignalResult>;
  /** Absent when the engine has no job queue: job webhooks then answer 501. */
  enqueue?: Enqueue;
  nowMs: () => number;
  newId: () => string;
  logger: Pick<pino.Logger, 'warn' | 'error'>;
}

/** The signature header value for a body: `sha256=<hex>`. Exported for senders and tests. */
export function signWebhook(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/**
 * The replay key of a signed request: a digest of exactly what the signature covers. Stored as the
 * delivery id of a second accepted row per delivery (its "signature record"), so no schema change.
 */
export function webhookReplayKey(timestamp: string, rawBody: string): string {
  return `${SIGNATURE_RECORD_PREFIX}${createHash('sha256').update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/** Why a job webhook may not carry `params.activate`: deploying a model needs an admin (see app/models/actions.ts). */
export function webhookActivateRefusal(value: unknown): string {
  return `field "params.activate" was ${JSON.stringify(value)}: a webhook cannot deploy a model (deploying needs the "admin" role). Send the job without "activate" (or with false), then deploy the trained version from the Models page as an admin after review`;
}

/**
 * Why a job webhook may not start `kind`: a known kind its definition keeps from webhooks (`webhookStartable`,
 * engine/jobs), such as rollover, which deletes decision history. Null when a webhook may start it, or when
 * no kind has that name (the queue then refuses it with 400).
 */
export function webhookJobKindRefusal(kind: string): string | null {
  const definition = findJobDefinition(kind);
  if (!definition || definition.webhookStartable) return null;
  return `field "job" was ${JSON.stringify(kind)}: a webhook cannot start this job (it runs on its schedule or from the app); a webhook may start ${WEBHOOK_JOB_KINDS.join(', ')}`;
}

function signatureMatches(secret: string, timestamp: string, rawBody: string, header: string | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Reads at most `limit` bytes; null when the body is larger. */
async function readLimited(request: Request, limit: number): Promise<string | null> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

const WEBHOOK_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const json = (status: number, body: Record<string, unknown>, headers?: Record<string, string>) => Response.json(body, { status, headers });
const refusal = (status: number, code: string, message: string) => json(status, { error: { code, message } });

/** Handles one webhook request end to end; never throws for bad input. */
export async function receiveWebhook(deps: WebhookReceiverDeps, webhookId: string, request: Request): Promise<Response> {
  // Webhook ids are base64url: anything else (U+0000, a lone surrogate, 10 kB of text) names no webhook, and never reaches the database.
  if (!WEBHOOK_ID_PATTERN.test(webhookId)) return refusal(404, 'not_found', 'no such webhook');
  const webhook = await deps.webhooks.get(webhookId);
  if (!webhook || !webhook.active) return refusal(404, 'not_found', 'no such webhook');
  const receivedAtMs = deps.nowMs();
  const deliveryId = request.headers.get(WEBHOOK_HEADERS.delivery)?.trim() || null;

  const refuse = async (status: number, code: string, reason: string) => {
    const row: WebhookDeliveryRecord = { id: deps.newId(), webhookId, deliveryId, receivedAtMs, status: 'refused', reason, httpStatus: status, response: null, ticketId: null };
    await deps.webhooks.recordRefused(row);
    return refusal(status, code, reason);
  };

  const rawBody = await readLimited(request, WEBHOOK_MAX_BODY_BYTES);
  if (rawBody === null) return refuse(413, 'payload_too_large:input', `the body exceeds ${WEBHOOK_MAX_BODY_BYTES} bytes`);
  const timestamp = request.headers.get(WEBHOOK_HEADERS.timestamp)?.trim() ?? '';
  const secret = deps.secretBox.decrypt(webhook.secretCiphertext);
  if (!/^\d{1,12}$/.test(timestamp) || !signatureMatches(secret, timestamp, rawBody, request.headers.get(WEBHOOK_HEADERS.signature))) {
    return refuse(401, 'unauthorized:auth', 'the signature does not match');
  }
  if (Math.abs(receivedAtMs - Number(timestamp) * 1000) > WEBHOOK_MAX_SKEW_MS) {
    return refuse(401, 'unauthorized:auth', `the timestamp ${timestamp} is more than 5 minutes from the server time`);
  }
  if (!deliveryId || deliveryId.length > 200 || /[\u0000-\u001f\u007f]/.test(deliveryId)) {
    return refuse(400, 'bad_request:input', `header ${WEBHOOK_HEADERS.delivery} is required (at most 200 characters, no control characters)`);
  }

  // A sender's retry (same delivery id) or a replay of the same signed request (any delivery id) gets the stored answer.
  const replayKey = webhookReplayKey(timestamp, rawBody);
  const duplicate = (stored: WebhookDeliveryRecord) => json(stored.httpStatus, stored.response ?? {}, { 'x-aethelred-replay': 'true' });
  const previous = await deps.webhooks.findAccepted(webhookId, deliveryId);
  if (previous) return duplicate(previous);
  const signedBefore = await deps.webhooks.findAccepted(webhookId, replayKey);
  if (signedBefore) {
    deps.logger.warn({ webhookId, deliveryId, replayOf: signedBefore.reason }, 'webhook: a signed request already accepted came again under another delivery id; answered from storage');
    return duplicate(signedBefore);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    return refuse(400, 'bad_request:input', 'the body is not valid JSON');
  }
  const schema = webhook.kind === WebhookKind.Job ? jobPayloadSchema : alertPayloadSchema;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return refuse(400, 'bad_request:input', `invalid ${webhook.kind} payload: ${fields}`);
  }
  if (webhook.kind === WebhookKind.Job) {
    // `activate` deploys the trained model (train-* jobs); deploying is admin-only, and a webhook's secret is no admin.
    const jobKindRefusal = webhookJobKindRefusal((parsed.data as z.infer<typeof jobPayloadSchema>).job);
    if (jobKindRefusal) return refuse(403, 'forbidden:auth', jobKindRefusal);
    const activate = (parsed.data as z.infer<typeof jobPayloadSchema>).params.activate;
    if (activate !== undefined && activate !== false) return refuse(403, 'forbidden:auth', webhookActivateRefusal(activate));
  }

  const answerFromWinner = async (key: string) => {
    const winner = await deps.webhooks.findAccepted(webhookId, key);
    return json(winner?.httpStatus ?? 409, winner?.response ?? { error: { code: 'conflict', message: 'this delivery is being processed' } }, { 'x-aethelred-replay': 'true' });
  };
  const id = deps.newId();
  const claimed = await deps.webhooks.claim({ id, webhookId, deliveryId, receivedAtMs, status: 'accepted', reason: null, httpStatus: 202, response: null, ticketId: null });
  if (!claimed) return answerFromWinner(deliveryId);
  const signatureRecordId = deps.newId();
  const signatureRecordReason = `signature record of delivery "${deliveryId}": a replay of this signed request under another delivery id gets this answer`;
  let signatureClaimed: boolean;
  try {
    signatureClaimed = await deps.webhooks.claim({ id: signatureRecordId, webhookId, deliveryId: replayKey, receivedAtMs, status: 'accepted', reason: signatureRecordReason, httpStatus: 202, response: null, ticketId: null });
  } catch (error) {
    // Release the delivery id, or the sender's retry would be answered with an empty 202 forever.
    await deps.webhooks.complete(id, { status: 'refused', httpStatus: 500, response: null, ticketId: null, reason: 'internal error' }).catch(() => undefined);
    throw error;
  }
  if (!signatureClaimed) {
    // The same signed request arrived concurrently under another delivery id and won: this one does nothing.
    const answer = await answerFromWinner(replayKey);
    await deps.webhooks.complete(id, { status: 'refused', httpStatus: answer.status, response: null, ticketId: null, reason: 'a replay: the same signed request (timestamp and body) was accepted under another delivery id' });
    return answer;
  }
  /** Records the outcome on the delivery and its signature record; `refused` releases both for a retry. */
  const complete = async (outcome: Pick<WebhookDeliveryRecord, 'status' | 'httpStatus' | 'response' | 'ticketId' | 'reason'>) => {
    const signatureReason = outcome.status === 'accepted' ? signatureRecordReason : `signature record of delivery "${deliveryId}", released: the delivery was refused`;
    const results = await Promise.allSettled([deps.webhooks.complete(id, outcome), deps.webhooks.complete(signatureRecordId, { ...outcome, reason: signatureReason })]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  try {
    let status = 202;
    let body: Record<string, unknown>;
    let ticketId: string | null = null;
    let reason: string | null = null;
    if (webhook.kind === WebhookKind.Job) {
      const job = parsed.data as z.infer<typeof jobPayloadSchema>;
      if (!deps.enqueue) {
        status = 501;
        reason = 'this build has no job queue (engine.enqueue is missing); job webhooks cannot run yet';
        body = { error: { code: 'not_implemented', message: reason } };
      } else {
        ticketId = await deps.enqueue({ kind: job.job, params: job.params });
        body = { status: 'accepted', ticketId, deliveryId };
      }
    } else {
      const alert = parsed.data as z.infer<typeof alertPayloadSchema>;
      const side = alert.side === 'buy' ? 'long' : alert.side === 'sell' ? 'short' : alert.side;
      const result = await deps.submitSignal({ ...alert, side, source: `webhook:${webhookId}` });
      ticketId = result.decisionId;
      reason = result.reason;
      body = { status: 'accepted', ticketId, deliveryId, outcome: result.outcome, reason: result.reason };
    }
    await complete({ status: 'accepted', httpStatus: status, response: body, ticketId, reason });
    return json(status, body);
  } catch (error) {
    if (error instanceof ValidationError) {
      await complete({ status: 'refused', httpStatus: 400, response: null, ticketId: null, reason: error.message });
      return refusal(400, 'bad_request:input', error.message);
    }
    deps.logger.error({ err: error, webhookId, deliveryId }, 'webhook delivery failed');
    // Release the delivery id and the signature record so the sender's retry runs again.
    await complete({ status: 'refused', httpStatus: 500, response: null, ticketId: null, reason: 'internal error' }).catch(() => undefined);
    return refusal(500, 'internal', 'internal error; see the server log');
  }
}
