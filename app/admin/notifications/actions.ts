'use server';
/**
 * Notification settings from the admin page (admin, audited): add or replace a channel, remove one,
 * route each notification kind to channels, send a test message. Secrets stay on the server: every
 * answer and audit entry carries the masked settings only.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { ValidationError } from '@/engine/core/errors';
import { reasonOf } from '@/engine/core/validation';
import { ChannelDeliveryError } from '@/engine/notify/notification-channel';
import { ChannelKind, redactNotificationSettings, withChannel, withoutChannel, withRouting, type NotificationRouting, type NotificationSettings } from '@/engine/notify/notification-settings';
import { NOTIFICATION_KINDS, NotificationKind } from '@/engine/ports/notifier';

const CHANNEL_KINDS = Object.values(ChannelKind) as [ChannelKind, ...ChannelKind[]];
const text = z.string().trim().max(2_000).optional();

/**
 * Runs a settings edit; a field error about channel `index` (`channels.3.webhookUrl`) is renamed to
 * the form's field (`webhookUrl`), keeping the value (secrets stay redacted) and reason.
 */
async function renamingChannelFields<T>(edit: () => Promise<T>): Promise<T> {
  try {
    return await edit();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = /^channels\.\d+\.(\w+)$/.exec(error.field)?.[1];
    if (field === undefined) throw error;
    throw new ValidationError(field, error.value, reasonOf(error));
  }
}

/**
 * Runs `change` on the stored settings (read now, not this server's copy: see NotificationService.edit)
 * and returns the masked settings it started from (for the audit) and the saved ones.
 */
async function editStored(root: { notifications: { edit(change: (current: NotificationSettings) => unknown): Promise<NotificationSettings> } }, change: (current: NotificationSettings) => unknown): Promise<{ before: NotificationSettings | null; after: NotificationSettings }> {
  let before: NotificationSettings | null = null;
  const after = await root.notifications.edit((current) => {
    before = redactNotificationSettings(current);
    return change(current);
  });
  return { before, after };
}

/**
 * Adds a channel, or replaces the one with the same id; a secret field left blank, or sent back exactly as
 * the page shows it masked, keeps the stored one (withChannel); any other masked-looking value is refused.
 */
export const saveNotificationChannel = action(
  {
    role: 'admin',
    input: z.object({ id: z.string().trim().min(1), kind: z.enum(CHANNEL_KINDS), url: text, webhookUrl: text, botToken: text, chatId: text, baseUrl: text, secret: text }),
    audit: { action: 'notifications.channel.save', target: (i) => i.id },
    revalidate: ['/admin/notifications'],
  },
  async ({ root, input, audit }) => {
    const { before, after } = await renamingChannelFields(() => editStored(root, (current) => withChannel(current, input)));
    audit({ before, after });
    return { id: input.id, kind: input.kind };
  },
);

/** Removes a channel and every route to it. */
export const removeNotificationChannel = action(
  { role: 'admin', input: z.object({ id: z.string().trim().min(1) }), audit: { action: 'notifications.channel.remove', target: (i) => i.id }, revalidate: ['/admin/notifications'] },
  async ({ root, input, audit }) => {
    const { before, after } = await editStored(root, (current) => withoutChannel(current, input.id));
    audit({ before, after });
    return { id: input.id };
  },
);

const channelIds = z.union([z.string(), z.array(z.string())]).optional();

/** Replaces the routing: one field per notification kind, each the ids of the channels that receive it (checkboxes). */
export const saveNotificationRouting = action(
  {
    role: 'admin',
    input: z.strictObject(Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, channelIds])) as Record<NotificationKind, typeof channelIds>),
    audit: { action: 'notifications.routing.save' },
    revalidate: ['/admin/notifications'],
  },
  async ({ root, input, audit }) => {
    const routing: NotificationRouting = {};
    for (const kind of NOTIFICATION_KINDS) {
      const ids = input[kind];
      const list = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids];
      if (list.length > 0) routing[kind] = list;
    }
    const { before, after } = await editStored(root, (current) => withRouting(current, routing));
    audit({ before: before?.routing, after: after.routing });
    return { routing: after.routing };
  },
);

/**
 * Sends a test message to one channel now (bypassing routing and the queue). Answers whether it was
 * delivered and, if not, the channel's error (which names the channel and HTTP status, never a secret).
 */
export const sendTestNotification = action(
  { role: 'admin', input: z.object({ channelId: z.string().trim().min(1).max(63) }), audit: { action: 'notifications.test', target: (i) => i.channelId } },
  async ({ root, input, audit }) => {
    try {
      await root.notifications.sendTest(input.channelId, {
        kind: NotificationKind.Halt,
        timeMs: Date.now(),
        reason: 'test message from the notifications page (trading is not halted)',
      });
      audit({ after: { delivered: true } });
      return { delivered: true as const, error: null };
    } catch (error) {
      if (!(error instanceof ChannelDeliveryError)) throw error;
      audit({ after: { delivered: false, error: error.message } });
      return { delivered: false as const, error: error.message };
    }
  },
);
