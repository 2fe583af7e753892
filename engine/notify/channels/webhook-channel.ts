import { createHmac, timingSafeEqual } from 'node:crypto';
import { postJson, type ChannelDeps, type NotificationChannel } from '../notification-channel';
import { formatNotification } from '../notification-event';
import { ChannelKind } from '../notification-settings';

/** Header carrying `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const SIGNATURE_HEADER = 'X-Aethelred-Signature';
/** Header carrying the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Aethelred-Timestamp';

/** `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` under `secret`. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Checks a received webhook: the signature matches (constant-time) and the timestamp is within
 * `toleranceMs` (default 5 minutes) of `nowMs`. Returns false for anything malformed; never throws.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  timestamp: string | null;
  body: string;
  signature: string | null;
  nowMs: number;
  toleranceMs?: number;
}): boolean {
  if (!input.timestamp || !input.signature || !/^\d{1,12}$/.test(input.timestamp)) return false;
  if (Math.abs(input.nowMs - Number(input.timestamp) * 1000) > (input.toleranceMs ?? 300_000)) return false;
  const expected = Buffer.from(signWebhookBody(input.secret, input.timestamp, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Generic webhook channel: `POST <url>` with the JSON body `{ event, text }` (the notification and
 * its one-line text), signed with `X-Aethelred-Signature` over `X-Aethelred-Timestamp` (Unix seconds
 * from the clock). Any 2xx is success.
 */
export function createWebhookChannel(config: { id: string; url: string; secret: string }, deps: ChannelDeps): NotificationChannel {
  const label = `webhook channel "${config.id}"`;
  return {
    id: config.id,
    kind: ChannelKind.Webhook,
    async send(event) {
      const body = JSON.stringify({ event, text: formatNotification(event) });
      const timestamp = String(Math.floor(deps.clock.nowMs() / 1000));
      await postJson(
        label,
        config.url,
        body,
        { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhookBody(config.secret, timestamp, body) },
        deps,
      );
    },
  };
}
