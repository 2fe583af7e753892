/**
 * Notifications for the composition root: loads the settings, builds the channel senders and the
 * notifier (an engine BackgroundWorker), and applies an admin's edits without a restart.
 */
import { NotFoundError } from '@/engine/core/errors';
import type { Clock } from '@/engine/core/clock';
import type { Logger } from '@/engine/core/logger';
import { createChannel } from '@/engine/notify/channels/create-channel';
import type { ChannelDeps } from '@/engine/notify/notification-channel';
import type { NotificationEvent } from '@/engine/ports/notifier';
import {
  emptyNotificationSettings,
  redactNotificationSettings,
  type NotificationSettings,
  type NotificationSettingsStore,
} from '@/engine/notify/notification-settings';
import { createNotifier, defaultNotifierConfig, sleepUnlessAborted, type NotifierConfig, type NotifierWorker } from '@/engine/notify/notifier';
import type { MetricsSink } from '@/engine/ports/metrics';
import type { BackgroundWorker } from '@/engine/ports/lifecycle';

export interface NotificationService {
  /** The worker to add to the engine's workers and pass as the engine's notifier. */
  readonly notifier: NotifierWorker;
  /** A worker that picks up settings another server saved (polls the store's change time). */
  readonly watcher: BackgroundWorker;
  /** Reloads the settings when the store says they changed since this server loaded them; true when it reloaded. */
  refresh(): Promise<boolean>;
  /** Current settings with tokens, secrets and webhook paths masked. */
  redactedSettings(): NotificationSettings;
  /** Validates, stores and applies new settings. @throws ValidationError naming the field; nothing changes then. */
  update(input: unknown): Promise<NotificationSettings>;
  /**
   * Like `update`, with the new settings computed from the current ones (secrets included, which never
   * leave the server): `change` receives the stored settings and returns the candidate. Returns them masked.
   * @throws ValidationError naming the field; nothing changes then.
   */
  edit(change: (current: NotificationSettings) => unknown): Promise<NotificationSettings>;
  /** Sends `event` to one channel now, bypassing routing and the queue (an admin's "send test"). @throws ChannelDeliveryError, or NotFoundError for an unknown id. */
  sendTest(channelId: string, event: NotificationEvent): Promise<void>;
}

export interface NotificationServiceDeps {
  store: NotificationSettingsStore;
  clock: Clock;
  logger: Logger;
  metrics?: MetricsSink;
  fetch?: typeof globalThis.fetch;
  random?: () => number;
  config?: NotifierConfig;
  /** Per-request timeout of channel sends, ms (default 10 000). */
  timeoutMs?: number;
  /** How often the watcher checks for another server's edit, ms (default 30 000). */
  refreshIntervalMs?: number;
}

/**
 * Builds the service. Invalid stored settings are logged and replaced by empty ones in memory
 * (notifications must never stop the trading engine from starting); the stored row is left for an admin to replace.
 */
export async function createNotificationService(deps: NotificationServiceDeps): Promise<NotificationService> {
  const channelDeps: ChannelDeps = { fetch: deps.fetch ?? globalThis.fetch, clock: deps.clock, timeoutMs: deps.timeoutMs };
  let settings: NotificationSettings;
  /** The store's change time of the settings in use (null: never saved, or unknown after a failed load). */
  let loadedVersion: number | null = null;
  const versionOf = async () => (deps.store.savedAtMs ? deps.store.savedAtMs() : null);
  try {
    loadedVersion = await versionOf();
    settings = await deps.store.load();
  } catch (error) {
    deps.logger.error({ err: error }, 'notification settings are invalid; notifications are off until an admin saves new ones');
    settings = emptyNotificationSettings();
  }
  const build = (s: NotificationSettings) => s.channels.map((channel) => createChannel(channel, channelDeps));
  const notifier = createNotifier(
    { channels: build(settings), routing: settings.routing, clock: deps.clock, logger: deps.logger, sleep: sleepUnlessAborted, random: deps.random ?? Math.random, metrics: deps.metrics },
    deps.config ?? defaultNotifierConfig,
  );
  async function refresh(): Promise<boolean> {
    const version = await versionOf();
    if (version === null || version === loadedVersion) return false;
    const fresh = await deps.store.load();
    settings = fresh;
    loadedVersion = version;
    notifier.configure(build(fresh), fresh.routing);
    deps.logger.info({ channels: fresh.channels.map((c) => `${c.kind}:${c.id}`), routing: fresh.routing }, 'notification settings changed on another server: reloaded');
    return true;
  }
  let timer: ReturnType<typeof setInterval> | null = null;
  const watcher: BackgroundWorker = {
    name: 'notification-settings-watcher',
    start() {
      if (timer || !deps.store.savedAtMs) return;
      timer = setInterval(() => {
        refresh().catch((error: unknown) => deps.logger.warn({ err: error }, 'checking the notification settings for changes failed; keeping the current ones'));
      }, deps.refreshIntervalMs ?? 30_000);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
  async function update(input: unknown): Promise<NotificationSettings> {
    const saved = await deps.store.save(input);
    settings = saved;
    loadedVersion = await versionOf().catch(() => loadedVersion);
    notifier.configure(build(saved), saved.routing);
    deps.logger.info({ channels: saved.channels.map((c) => `${c.kind}:${c.id}`), routing: saved.routing }, 'notification settings updated');
    return redactNotificationSettings(saved);
  }
  return {
    notifier,
    watcher,
    refresh,
    redactedSettings: () => redactNotificationSettings(settings),
    update,
    edit: (change) => update(change(settings)),
    async sendTest(channelId, event) {
      const channel = settings.channels.find((c) => c.id === channelId);
      if (!channel) throw new NotFoundError(`no notification channel has id "${channelId}"`);
      await createChannel(channel, channelDeps).send(event);
    },
  };
}
