import { postJson, type ChannelDeps, type NotificationChannel } from '../notification-channel';
import { formatNotification } from '../notification-event';
import { ChannelKind } from '../notification-settings';

/** Discord's limit on a webhook message's content, characters. */
export const DISCORD_MAX_CONTENT = 2000;

/** Discord webhook channel: `POST <webhook URL>` with `{ content }`; Discord answers 204. */
export function createDiscordChannel(config: { id: string; webhookUrl: string }, deps: ChannelDeps): NotificationChannel {
  const label = `discord channel "${config.id}"`;
  return {
    id: config.id,
    kind: ChannelKind.Discord,
    async send(event) {
      const content = formatNotification(event).slice(0, DISCORD_MAX_CONTENT);
      await postJson(label, config.webhookUrl, JSON.stringify({ content }), {}, deps);
    },
  };
}
