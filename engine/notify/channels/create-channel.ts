import type { ChannelDeps, NotificationChannel } from '../notification-channel';
import { ChannelKind, type ChannelConfig } from '../notification-settings';
import { createDiscordChannel } from './discord-channel';
import { createSlackChannel } from './slack-channel';
import { createTelegramChannel } from './telegram-channel';
import { createWebhookChannel } from './webhook-channel';

/** Builds the sender for one validated channel config (see `parseNotificationSettings`). */
export function createChannel(config: ChannelConfig, deps: ChannelDeps): NotificationChannel {
  switch (config.kind) {
    case ChannelKind.Telegram:
      return createTelegramChannel(config, deps);
    case ChannelKind.Discord:
      return createDiscordChannel(config, deps);
    case ChannelKind.Slack:
      return createSlackChannel(config, deps);
    case ChannelKind.Webhook:
      return createWebhookChannel(config, deps);
  }
}
