import { postJson, type ChannelDeps, type NotificationChannel } from '../notification-channel';
import { formatNotification } from '../notification-event';
import { ChannelKind } from '../notification-settings';

/** Slack incoming-webhook channel: `POST <webhook URL>` with `{ text }`; Slack answers 200 `ok`. */
export function createSlackChannel(config: { id: string; webhookUrl: string }, deps: ChannelDeps): NotificationChannel {
  const label = `slack channel "${config.id}"`;
  return {
    id: config.id,
    kind: ChannelKind.Slack,
    async send(event) {
      await postJson(label, config.webhookUrl, JSON.stringify({ text: formatNotification(event) }), {}, deps);
    },
  };
}
