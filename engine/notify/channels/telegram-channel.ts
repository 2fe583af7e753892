import { ChannelDeliveryError, postJson, type ChannelDeps, type NotificationChannel } from '../notification-channel';
import { formatNotification } from '../notification-event';
import { ChannelKind } from '../notification-settings';

/** Telegram's limit on one message's text, characters. */
export const TELEGRAM_MAX_TEXT = 4096;

export interface TelegramChannelConfig {
  id: string;
  botToken: string;
  chatId: string;
  /** Bot API origin; default https://api.telegram.org. */
  baseUrl?: string;
}

/**
 * Telegram Bot API channel: `POST {baseUrl}/bot<token>/sendMessage` with `{ chat_id, text }`.
 * Telegram answers `{"ok":true,...}`; `{"ok":false}` with a 2xx status counts as a non-retryable refusal.
 */
export function createTelegramChannel(config: TelegramChannelConfig, deps: ChannelDeps): NotificationChannel {
  const base = (config.baseUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const url = `${base}/bot${config.botToken}/sendMessage`;
  const label = `telegram channel "${config.id}"`;
  return {
    id: config.id,
    kind: ChannelKind.Telegram,
    async send(event) {
      const text = formatNotification(event).slice(0, TELEGRAM_MAX_TEXT);
      const answer = await postJson(label, url, JSON.stringify({ chat_id: config.chatId, text }), {}, deps);
      let ok = false;
      try {
        ok = (JSON.parse(answer.text) as { ok?: unknown }).ok === true;
      } catch {
        ok = false;
      }
      if (!ok) throw new ChannelDeliveryError(`${label}: the Bot API did not answer {"ok":true}`, { retryable: false, status: answer.status });
    },
  };
}
