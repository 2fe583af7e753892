/**
 * Notification settings: the channels (with their credentials) and which notification kinds go to
 * which channels. An admin edits them; a `NotificationSettingsStore` keeps them.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { isSecretFieldPath } from '../core/secret-names';
import { reasonOf, validationErrorOf } from '../core/validation';
import { NOTIFICATION_KINDS, type NotificationKind } from '../ports/notifier';

/** Kinds of delivery channel. */
export const ChannelKind = { Telegram: 'telegram', Discord: 'discord', Slack: 'slack', Webhook: 'webhook' } as const;
export type ChannelKind = (typeof ChannelKind)[keyof typeof ChannelKind];

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'expected an http(s) URL');
const channelId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected 1-63 lower-case letters, digits, "-" or "_"');

const telegram = z.object({
  id: channelId,
  kind: z.literal(ChannelKind.Telegram),
  botToken: z.string().regex(/^[0-9]+:[A-Za-z0-9_-]+$/, 'expected a Telegram bot token like 123456:ABC-def'),
  chatId: z.union([z.string().min(1), z.number().int()]).transform(String),
  /** Bot API origin; default https://api.telegram.org. */
  baseUrl: httpUrl.optional(),
});
const discord = z.object({ id: channelId, kind: z.literal(ChannelKind.Discord), webhookUrl: httpUrl });
const slack = z.object({ id: channelId, kind: z.literal(ChannelKind.Slack), webhookUrl: httpUrl });
const webhook = z.object({
  id: channelId,
  kind: z.literal(ChannelKind.Webhook),
  url: httpUrl,
  secret: z.string().min(16, 'expected at least 16 characters'),
});

const settingsSchema = z.object({
  channels: z.array(z.discriminatedUnion('kind', [telegram, discord, slack, webhook])).max(50).default([]),
  routing: z.partialRecord(z.enum(NOTIFICATION_KINDS as [NotificationKind, ...NotificationKind[]]), z.array(channelId)).default({}),
});

export type ChannelConfig = z.output<typeof telegram> | z.output<typeof discord> | z.output<typeof slack> | z.output<typeof webhook>;

/** Which channel ids receive each notification kind; a kind not listed goes nowhere. */
export type NotificationRouting = Partial<Record<NotificationKind, readonly string[]>>;

/** Channels plus routing. Channel ids are unique and every routed id names a channel. */
export interface NotificationSettings {
  channels: ChannelConfig[];
  routing: NotificationRouting;
}

export const emptyNotificationSettings = (): NotificationSettings => ({ channels: [], routing: {} });

/**
 * What a refusal may quote of the value at `field`: never a secret. A secret field is "(redacted)"; a list
 * (`channels`, a kind's routing) is named by its length and an object (a channel, the whole settings) by
 * its kind, since either may hold the stored secrets merged into an edit. Only a plain value is quoted.
 */
function shownValue(field: string, value: unknown): unknown {
  if (isSecretFieldPath(field)) return '(redacted)';
  if (Array.isArray(value)) return `(a list of ${value.length})`;
  if (value !== null && typeof value === 'object') return '(an object)';
  return value;
}

/**
 * Validates settings (from an admin form or a stored file).
 * @throws ValidationError naming the field (e.g. `channels.0.webhookUrl`, `routing.fill.1`) and its value.
 */
export function parseNotificationSettings(input: unknown): NotificationSettings {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    const error = validationErrorOf(parsed.error, input, { root: '(settings)' });
    throw new ValidationError(error.field, shownValue(error.field, error.value), reasonOf(error));
  }
  const settings: NotificationSettings = { channels: parsed.data.channels, routing: parsed.data.routing };
  const ids = new Set<string>();
  settings.channels.forEach((channel, index) => {
    if (ids.has(channel.id)) throw new ValidationError(`channels.${index}.id`, channel.id, 'duplicate channel id');
    ids.add(channel.id);
  });
  for (const [kind, targets] of Object.entries(settings.routing)) {
    (targets ?? []).forEach((id, index) => {
      if (!ids.has(id)) throw new ValidationError(`routing.${kind}.${index}`, id, 'no channel has this id');
    });
  }
  return settings;
}

const mask = (secret: string) => (secret.length <= 4 ? '****' : `****${secret.slice(-4)}`);

/** A copy safe to show or log: tokens, secrets and webhook URL paths (every kind's) replaced by `****<last 4>`. */
export function redactNotificationSettings(settings: NotificationSettings): NotificationSettings {
  const origin = (url: string) => url.replace(/^(https?:\/\/[^/]+).*$/, '$1') + '/' + mask(url);
  return {
    routing: settings.routing,
    channels: settings.channels.map((channel) => {
      switch (channel.kind) {
        case ChannelKind.Telegram:
          return { ...channel, botToken: mask(channel.botToken) };
        case ChannelKind.Webhook:
          // A webhook URL may carry a token in its path or query, like Discord's and Slack's.
          return { ...channel, url: origin(channel.url), secret: mask(channel.secret) };
        default:
          return { ...channel, webhookUrl: origin(channel.webhookUrl) };
      }
    }),
  };
}

/** Where settings live (a database table, encrypted at rest, shared by every server of the database). */
export interface NotificationSettingsStore {
  /** The stored settings, or empty settings when none were saved. @throws ValidationError when the stored data is invalid. */
  load(): Promise<NotificationSettings>;
  /** Validates and replaces the settings atomically. @throws ValidationError naming the field. */
  save(settings: unknown): Promise<NotificationSettings>;
  /**
   * When the stored settings last changed (epoch ms; any server's save), or null when never saved.
   * Lets a server notice another server's edit without reading and decrypting the settings.
   */
  savedAtMs?(): Promise<number | null>;
}

/** A channel as an admin's form sends it: secret fields left out (or blank) keep the stored channel's values. */
export type ChannelInput = { id: string; kind: string } & Record<string, unknown>;

const SECRET_FIELDS = ['botToken', 'webhookUrl', 'url', 'secret'] as const;

/** What {@link redactNotificationSettings} puts in place of a secret; a value containing it was copied from a masked read. */
export const MASK_MARKER = '****';

/**
 * The one rule for secrets an admin sends back (the admin page's channel form and the API's PUT): `entered`
 * is channel `index` of the candidate settings, `stored` the stored channel of the same id (null when none).
 * When `stored` has the same kind, a secret field (`botToken`, `webhookUrl`, `url`, `secret`) that is left out,
 * blank, or exactly what a masked read shows of the stored value ({@link redactNotificationSettings}) keeps
 * the stored value. Any other secret value containing {@link MASK_MARKER} is refused: saving it would replace
 * the real secret with its mask (a masked Discord/Slack URL still looks like a URL, so sends would fail later).
 * @throws ValidationError naming `channels.<index>.<field>`.
 */
function withStoredSecrets(entered: Record<string, unknown>, stored: ChannelConfig | null, index: number): Record<string, unknown> {
  const sameKind = stored !== null && stored.kind === entered.kind ? (stored as unknown as Record<string, unknown>) : null;
  const shown = sameKind ? (redactNotificationSettings({ channels: [stored as ChannelConfig], routing: {} }).channels[0] as unknown as Record<string, unknown>) : null;
  const channel = { ...entered };
  for (const field of SECRET_FIELDS) {
    const value = channel[field];
    if (sameKind && field in sameKind && (value === undefined || value === null || value === '' || value === shown?.[field])) {
      channel[field] = sameKind[field];
    } else if (typeof value === 'string' && value.includes(MASK_MARKER)) {
      const which = sameKind ? `is not what a read shows of the stored ${String(entered.kind)} channel "${String(entered.id)}"` : `no stored ${String(entered.kind)} channel has id "${String(entered.id)}" to keep it from`;
      throw new ValidationError(
        `channels.${index}.${field}`,
        '(redacted)',
        `looks masked (contains "${MASK_MARKER}") but ${which}: send the real value, or the masked value unchanged to keep the stored one`,
      );
    }
  }
  return channel;
}

/**
 * Settings with `input` added as a channel, or replacing the channel of the same id (its routing kept).
 * Blank fields are dropped; secrets follow {@link withStoredSecrets} (left out, blank or the unchanged mask
 * keeps the stored channel's value when that channel has the same kind), so an edit never needs the secret sent back.
 * The result is not validated: pass it to {@link parseNotificationSettings} (the store's `save` does).
 * @throws ValidationError naming `channels.<index>.<field>` for a masked-looking secret that is not the stored one's mask.
 */
export function withChannel(settings: NotificationSettings, input: ChannelInput): unknown {
  const entered = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== null && value !== ''));
  const found = settings.channels.findIndex((channel) => channel.id === input.id);
  const index = found >= 0 ? found : settings.channels.length;
  const channel = withStoredSecrets(entered, found >= 0 ? settings.channels[found] : null, index);
  const channels: unknown[] = [...settings.channels];
  channels[index] = channel;
  return { channels, routing: settings.routing };
}

/**
 * A whole settings document (the API's PUT, typically a masked GET edited and sent back) with each
 * channel's secrets resolved against the stored channel of the same id by {@link withStoredSecrets}, so
 * sending back the masked value unchanged keeps the real secret. Routing is taken as sent.
 * The result is not validated: pass it to {@link parseNotificationSettings} (the store's `save` does).
 * @throws ValidationError naming `channels.<index>.<field>` for a masked-looking secret that is not the stored one's mask.
 */
export function withStoredSecretsKept(settings: NotificationSettings, input: { channels: readonly unknown[]; routing: unknown }): unknown {
  const channels = input.channels.map((entered, index) => {
    if (entered === null || typeof entered !== 'object' || Array.isArray(entered)) return entered;
    const id = (entered as Record<string, unknown>).id;
    const stored = typeof id === 'string' ? (settings.channels.find((channel) => channel.id === id) ?? null) : null;
    return withStoredSecrets(entered as Record<string, unknown>, stored, index);
  });
  return { channels, routing: input.routing };
}

/**
 * Settings without channel `id`, and without it in any kind's routing.
 * @throws ValidationError naming `id` when no channel has it.
 */
export function withoutChannel(settings: NotificationSettings, id: string): NotificationSettings {
  if (!settings.channels.some((channel) => channel.id === id)) throw new ValidationError('id', id, 'no channel has this id');
  const routing: NotificationRouting = {};
  for (const [kind, targets] of Object.entries(settings.routing) as [NotificationKind, readonly string[]][]) {
    const left = targets.filter((target) => target !== id);
    if (left.length > 0) routing[kind] = left;
  }
  return { channels: settings.channels.filter((channel) => channel.id !== id), routing };
}

/** Settings with their routing replaced by `routing` (validated with the rest by {@link parseNotificationSettings}). */
export function withRouting(settings: NotificationSettings, routing: NotificationRouting): NotificationSettings {
  return { channels: settings.channels, routing };
}
