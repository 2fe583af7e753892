import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { ChannelDeliveryError } from '@/engine/notify/notification-channel';
import { redactNotificationSettings, withStoredSecretsKept, type NotificationSettings } from '@/engine/notify/notification-settings';
import { NotificationKind } from '@/engine/ports/notifier';

export const dynamic = 'force-dynamic';

/** The stored notification channels and per-kind routing (read now), with tokens, secrets and webhook paths masked. */
export const GET = route({ role: 'admin' }, async ({ root }) => root.notifications.storedSettings());

/**
 * Replaces channels and routing (full documents: `{ channels: [...], routing: { fill: ["ops"], ... } }`).
 * A secret field (`botToken`, `webhookUrl`, `url`, `secret`) sent back exactly as GET shows it masked, blank
 * or left out keeps the stored value of the channel with the same id and kind, so GET, edit, PUT is safe;
 * any other value containing "****" is refused naming the field (`channels.2.webhookUrl`).
 * Field-level validation (URLs, token formats, unknown channel ids) names the field; nothing changes on error.
 * Stored settings that cannot be read (a changed key) are replaced by a document without masked values.
 */
export const PUT = route(
  {
    role: 'admin',
    input: z.object({ channels: z.array(z.record(z.string(), z.unknown())).max(50), routing: z.record(z.string(), z.array(z.string())) }),
    audit: { action: 'notifications.update' },
  },
  async ({ root, input, audit }) => {
    let before: NotificationSettings | null = null;
    const after = await root.notifications.edit(
      (current) => {
        before = redactNotificationSettings(current);
        return withStoredSecretsKept(current, input);
      },
      { replacesUnreadable: true },
    );
    audit({ before, after });
    return after;
  },
);

/** Sends a test notification to one channel now (bypassing routing and the queue); answers whether it was delivered. */
export const POST = route(
  { role: 'admin', input: z.object({ channelId: z.string().min(1).max(63) }), audit: { action: 'notifications.test', target: (input) => input.channelId } },
  async ({ root, input }) => {
    try {
      await root.notifications.sendTest(input.channelId, {
        kind: NotificationKind.Halt,
        timeMs: Date.now(),
        reason: 'test notification from the admin API (trading is not halted)',
      });
      return { delivered: true };
    } catch (error) {
      if (!(error instanceof ChannelDeliveryError)) throw error;
      // Channel errors name the channel and the HTTP status, never its token or URL.
      return { delivered: false, error: error.message, retryable: error.retryable };
    }
  },
);
