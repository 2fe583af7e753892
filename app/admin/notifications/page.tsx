import { requireRole } from '@/app/_server/auth/page-gate';
import { ActionForm, FormField } from '@/app/_components/action-form';
import { ValidationError } from '@/engine/core/errors';
import { ChannelKind, type ChannelConfig, type NotificationSettings } from '@/engine/notify/notification-settings';
import { NOTIFICATION_KINDS } from '@/engine/ports/notifier';
import { removeNotificationChannel, saveNotificationChannel, saveNotificationRouting, sendTestNotification } from './actions';
import { TestMessageButton } from './test-message-button';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

/** What the table shows of a channel: its address with secrets already masked by the service. */
function channelDetails(channel: ChannelConfig): string {
  switch (channel.kind) {
    case ChannelKind.Telegram:
      return `chat ${channel.chatId}, bot token ${channel.botToken}${channel.baseUrl ? `, API ${channel.baseUrl}` : ''}`;
    case ChannelKind.Webhook:
      return `${channel.url}, signing secret ${channel.secret}`;
    default:
      return channel.webhookUrl;
  }
}

const KIND_LABELS: Record<string, string> = {
  fill: 'Order filled',
  denial: 'Order denied by risk',
  breaker_trip: 'Circuit breaker tripped',
  halt: 'Trading halted',
  job_failure: 'Job failed',
  daily_summary: 'Daily summary',
};

/** Admin: notification channels (secrets write-only, shown masked), per-event routing and a test message per channel. */
export default async function NotificationsPage() {
  const access = await requireRole('admin', '/admin/notifications');
  // The stored settings (any server's latest save), not this server's copy, which may be a watcher interval old.
  let settings: NotificationSettings;
  try {
    settings = await access.root.notifications.storedSettings();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return (
      <section className="card" role="alert" aria-labelledby="notifications-heading">
        <h1 id="notifications-heading">Notifications</h1>
        <p data-testid="settings-unreadable">The stored notification settings cannot be read: {error.message}</p>
        <p className="muted">Notifications are off. Restore the key they were saved with, or replace them with a full document (PUT /api/notifications).</p>
      </section>
    );
  }
  return (
    <>
      <section className="card" aria-labelledby="notifications-heading">
        <h1 id="notifications-heading">Notifications</h1>
        <p className="muted">Tokens, signing secrets and webhook URL paths are stored encrypted and never shown again: only their last four characters.</p>
        {settings.channels.length === 0 ? (
          <p className="muted" data-testid="channels-empty">No channels yet. Add one below, then route events to it.</p>
        ) : (
          <ScrollTable label="Notification channels" data-testid="channels-table">
              <thead>
                <tr><th scope="col">Channel</th><th scope="col">Kind</th><th scope="col">Address</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {settings.channels.map((channel) => (
                  <tr key={channel.id} data-testid="channel-row">
                    <td>{channel.id}</td>
                    <td>{channel.kind}</td>
                    <td data-testid={`channel-details-${channel.id}`}>
                      <code>{channelDetails(channel)}</code>
                    </td>
                    <td>
                      <TestMessageButton channelId={channel.id} send={sendTestNotification} />
                      <ActionForm action={removeNotificationChannel} submitLabel={`Remove ${channel.id}`} danger>
                        <input type="hidden" name="id" value={channel.id} />
                      </ActionForm>
                    </td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        )}
      </section>
      <section className="card" aria-labelledby="channel-form-heading">
        <h2 id="channel-form-heading">Add or replace a channel</h2>
        <p className="muted">
          Saving an existing id replaces that channel; leave a secret field blank to keep the stored one. Telegram needs a bot token and chat id; Discord and Slack an incoming-webhook URL; a
          webhook a URL and a signing secret (16+ characters; deliveries carry an HMAC of the body).
        </p>
        <ActionForm action={saveNotificationChannel} submitLabel="Save channel" testId="channel-form">
          <FormField name="id" label="Channel id" hint="lower-case letters, digits, - or _" required placeholder="ops" />
          <FormField name="kind" label="Kind" options={Object.values(ChannelKind)} defaultValue={ChannelKind.Webhook} />
          <FormField name="url" label="Webhook URL" hint="webhook" type="password" />
          <FormField name="secret" label="Signing secret" hint="webhook" type="password" />
          <FormField name="webhookUrl" label="Incoming-webhook URL" hint="Discord, Slack" type="password" />
          <FormField name="botToken" label="Bot token" hint="Telegram" type="password" />
          <FormField name="chatId" label="Chat id" hint="Telegram" />
          <FormField name="baseUrl" label="Bot API origin" hint="Telegram, optional" placeholder="https://api.telegram.org" />
        </ActionForm>
      </section>
      <section className="card" aria-labelledby="routing-heading">
        <h2 id="routing-heading">Routing</h2>
        {settings.channels.length === 0 ? (
          <p className="muted">Add a channel first; an event routed nowhere is not sent.</p>
        ) : (
          <ActionForm action={saveNotificationRouting} submitLabel="Save routing" testId="routing-form" doneMessage="Routing saved.">
            <ScrollTable label="Notification routing">
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    {settings.channels.map((channel) => (
                      <th key={channel.id} scope="col">{channel.id}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {NOTIFICATION_KINDS.map((kind) => (
                    <tr key={kind}>
                      <th scope="row">{KIND_LABELS[kind] ?? kind}</th>
                      {settings.channels.map((channel) => (
                        <td key={channel.id}>
                          <input
                            type="checkbox"
                            name={kind}
                            value={channel.id}
                            defaultChecked={(settings.routing[kind] ?? []).includes(channel.id)}
                            aria-label={`Send "${KIND_LABELS[kind] ?? kind}" to ${channel.id}`}
                          />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
            </ScrollTable>
          </ActionForm>
        )}
      </section>
    </>
  );
}
