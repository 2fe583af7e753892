/**
 * Notifications for the composition root: loads the settings, builds the channel senders and the
 * notifier (an engine BackgroundWorker), and applies an admin's edits without a restart.
 */
import { AppError } from '@/app/_server/auth/app-error';
import { NotFoundError, ValidationError } from '@/engine/core/errors';
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
  /**
   * The settings this server routes with, masked: up to one watcher interval behind another server's save.
   * What a page or API shows is {@link NotificationService.storedSettings}.
   */
  redactedSettings(): NotificationSettings;
  /**
   * The stored settings, read now (any server's latest save), with tokens, secrets and webhook paths masked;
   * this server's notifier picks them up too when they differ from its copy.
   * @throws ValidationError when the stored settings cannot be read (wrong key, invalid data).
   */
  storedSettings(): Promise<NotificationSettings>;
  /** Validates, stores and applies new settings. @throws ValidationError naming the field; nothing changes then. */
  update(input: unknown): Promise<NotificationSettings>;
  /**
   * Like `update`, with the new settings computed from the stored ones (secrets included, which never
   * leave the server): the stored settings are read now (not this server's copy, which may be a watcher
   * interval old), `change` returns the candidate from them, and the candidate is saved only if the store's
   * change time has not moved since the read (otherwise they are read and `change` applied again, up to 3
   * times; `change` may run more than once). Returns them masked.
   * `replacesUnreadable`: when the stored settings cannot be read (wrong key, invalid data), `change`
   * receives empty settings instead of the edit being refused (a full replacement, like the API's PUT).
   * @throws ValidationError naming the field, AppError 'conflict' when other saves kept landing; nothing changes then.
   */
  edit(change: (current: NotificationSettings) => unknown, options?: { replacesUnreadable?: boolean }): Promise<NotificationSettings>;
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
    // Unknown, so the watcher and the next read try the stored settings again.
    loadedVersion = null;
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
  /** Reads the stored settings and their change time now; adopts them for routing when they differ from this server's copy. */
  async function readStored(): Promise<{ stored: NotificationSettings; version: number | null }> {
    const version = await versionOf();
    const stored = await deps.store.load();
    if (JSON.stringify(stored) !== JSON.stringify(settings)) {
      settings = stored;
      notifier.configure(build(stored), stored.routing);
      deps.logger.info({ channels: stored.channels.map((c) => `${c.kind}:${c.id}`), routing: stored.routing }, 'notification settings changed on another server: reloaded');
    }
    loadedVersion = version;
    return { stored, version };
  }
  const EDIT_ATTEMPTS = 3;
  async function edit(change: (current: NotificationSettings) => unknown, options: { replacesUnreadable?: boolean } = {}): Promise<NotificationSettings> {
    for (let attempt = 1; ; attempt++) {
      let current: NotificationSettings;
      let version: number | null;
      try {
        ({ stored: current, version } = await readStored());
      } catch (error) {
        if (!(options.replacesUnreadable && error instanceof ValidationError)) throw error;
        deps.logger.warn({ err: error }, 'the stored notification settings cannot be read; this save replaces them');
        current = emptyNotificationSettings();
        version = await versionOf();
      }
      const candidate = change(current);
      // Checked against the store's change time: a save that landed since the read is applied to, not overwritten.
      // Not atomic (the store has no conditional save): a save landing between this check and ours is still lost.
      if ((await versionOf()) === version) return update(candidate);
      if (attempt >= EDIT_ATTEMPTS) throw new AppError('conflict', `the notification settings were saved by another server ${EDIT_ATTEMPTS} times while this edit was being applied; nothing was changed, try again`);
      deps.logger.info({ attempt }, 'the notification settings changed while an edit was being applied: applying it to the new ones');
    }
  }
  return {
    notifier,
    watcher,
    refresh,
    redactedSettings: () => redactNotificationSettings(settings),
    storedSettings: async () => redactNotificationSettings((await readStored()).stored),
    update,
    edit,
    async sendTest(channelId, event) {
      // A channel another server added moments ago is found (this server's copy may be a watcher interval old).
      const { stored } = await readStored();
      const channel = stored.channels.find((c) => c.id === channelId);
      if (!channel) throw new NotFoundError(`no notification channel has id "${channelId}"`);
      await createChannel(channel, channelDeps).send(event);
    },
  };
}
