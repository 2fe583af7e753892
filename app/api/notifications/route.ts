import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { ChannelDeliveryError } from '@/engine/notify/notification-channel';
import { NotificationKind } from '@/engine/ports/notifier';

export const dynamic = 'force-dynamic';

/** Notification channels and per-kind routing, with tokens, secrets and webhook paths masked. */
export const GET = route({ role: 'admin' }, async ({ root }) => root.notifications.redactedSettings());

/**
 * Replaces channels and routing (full documents: `{ channels: [...], routing: { fill: ["ops"], ... } }`).
 * Field-level validation (URLs, token formats, unknown channel ids) names the field; nothing changes on error.
 */
export const PUT = route(
  {
    role: 'admin',
    input: z.object({ channels: z.array(z.record(z.string(), z.unknown())).max(50), routing: z.record(z.string(), z.array(z.string())) }),
    audit: { action: 'notifications.update' },
  },
  async ({ root, input, audit }) => {
    const before = root.notifications.redactedSettings();
    const after = await root.notifications.update(input);
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
