/**
 * The notifier: routes each notification to the channels configured for its kind and delivers it
 * in the background. Each channel has its own bounded queue and its own drain loop, so a slow or
 * dead channel delays only itself. `notify` only enqueues: it never awaits, never throws, and when a
 * channel's queue is full it drops that queue's oldest entry (counted and logged).
 *
 * Failed deliveries are retried with exponential backoff (or the service's Retry-After, whichever
 * is longer, capped) up to `maxAttempts`, then dropped with an error log.
 */
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { BackgroundWorker } from '../ports/lifecycle';
import { backoffDelayMs, type BackoffConfig } from '../orchestrator/job-queue';
import { NotificationOutcome, noopMetricsSink, type MetricsSink } from '../ports/metrics';
import { ChannelDeliveryError, type NotificationChannel } from './notification-channel';
import type { NotificationEvent, Notifier } from '../ports/notifier';
import type { NotificationRouting } from './notification-settings';

export interface NotifierConfig {
  /** Notifications waiting per channel, >= 1; when full the oldest is dropped. */
  queueCapacity: number;
  /** Delivery attempts per notification and channel, >= 1. */
  maxAttempts: number;
  /** Delay before retry n: `baseMs * 2^(n-1)`, capped, with jitter. */
  backoff: BackoffConfig;
  /** Longest Retry-After (from a 429) honoured, ms. */
  maxRetryAfterMs: number;
  /** How long `stop()` waits for deliveries in flight, ms. */
  stopTimeoutMs: number;
}

export const defaultNotifierConfig: NotifierConfig = {
  queueCapacity: 100,
  maxAttempts: 4,
  backoff: { baseMs: 1_000, capMs: 30_000, jitterRatio: 0.2 },
  maxRetryAfterMs: 60_000,
  stopTimeoutMs: 5_000,
};

export interface NotifierDeps {
  channels: readonly NotificationChannel[];
  routing: NotificationRouting;
  clock: Clock;
  logger: Logger;
  /** Waits `ms`; resolves early (or rejects) when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform [0, 1), for backoff jitter. */
  random: () => number;
  metrics?: MetricsSink;
}

/** Delivery counters since creation. */
export interface NotifierStats {
  /** Waiting in all channel queues now. */
  queued: number;
  sent: number;
  /** Gave up after the last attempt or a non-retryable answer. */
  failed: number;
  /** Dropped from a full queue, or left in a queue at stop. */
  dropped: number;
}

/** The notifier: the engine's `Notifier` port and a BackgroundWorker for the engine lifecycle. */
export interface NotifierWorker extends Notifier, BackgroundWorker {
  /**
   * Replaces channels and routing (after an admin edit). Queues of channels that remain (same id)
   * are kept; queues of removed channels are dropped.
   */
  configure(channels: readonly NotificationChannel[], routing: NotificationRouting): void;
  /** Resolves when every queue is empty and nothing is in flight (tests, shutdown). */
  whenIdle(): Promise<void>;
  stats(): NotifierStats;
}

interface Lane {
  channel: NotificationChannel;
  queue: NotificationEvent[];
  draining: Promise<void> | null;
}

/** Sleeps with `setTimeout`, ending early (resolving) when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref?.();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Creates the notifier. Nothing is delivered before `start()`; notifications sent earlier wait in the
 * queues. `stop()` ends retry waits at once, waits up to `stopTimeoutMs` for sends in flight and drops
 * what is still queued (logged with the count).
 * @throws RangeError for a queue capacity or attempt count below 1.
 */
export function createNotifier(deps: NotifierDeps, config: NotifierConfig = defaultNotifierConfig): NotifierWorker {
  if (!Number.isInteger(config.queueCapacity) || config.queueCapacity < 1) throw new RangeError(`queueCapacity must be an integer >= 1, got ${config.queueCapacity}`);
  if (!Number.isInteger(config.maxAttempts) || config.maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${config.maxAttempts}`);
  const metrics = deps.metrics ?? noopMetricsSink;
  const logger = deps.logger;
  let lanes = new Map<string, Lane>();
  let routing: NotificationRouting = {};
  let active = false;
  let stopping: AbortController = new AbortController();
  const counts = { sent: 0, failed: 0, dropped: 0 };

  function configure(channels: readonly NotificationChannel[], nextRouting: NotificationRouting) {
    const next = new Map<string, Lane>();
    for (const channel of channels) {
      const kept = lanes.get(channel.id);
      next.set(channel.id, { channel, queue: kept?.queue ?? [], draining: kept?.draining ?? null });
    }
    for (const [id, lane] of lanes) {
      if (!next.has(id) && lane.queue.length > 0) {
        counts.dropped += lane.queue.length;
        logger.warn({ channel: id, dropped: lane.queue.length }, 'channel removed: its queued notifications are dropped');
        lane.queue.length = 0;
      }
    }
    lanes = next;
    routing = nextRouting;
    if (active) for (const lane of lanes.values()) drain(lane);
  }

  async function deliver(lane: Lane, event: NotificationEvent): Promise<void> {
    const { channel } = lane;
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.send(event);
        counts.sent++;
        metrics.onNotification(channel.kind, NotificationOutcome.Sent);
        return;
      } catch (error) {
        const retryable = error instanceof ChannelDeliveryError && error.retryable;
        const message = error instanceof Error ? error.message : String(error);
        if (!retryable || attempt >= config.maxAttempts || !active) {
          counts.failed++;
          metrics.onNotification(channel.kind, NotificationOutcome.Failed);
          logger.error({ channel: channel.id, kind: event.kind, attempts: attempt, error: message }, 'notification dropped after a failed delivery');
          return;
        }
        const retryAfterMs = error instanceof ChannelDeliveryError && error.retryAfterMs !== null ? Math.min(error.retryAfterMs, config.maxRetryAfterMs) : 0;
        const delayMs = Math.max(backoffDelayMs(attempt, config.backoff, deps.random), retryAfterMs);
        logger.warn({ channel: channel.id, kind: event.kind, attempt, delayMs, error: message }, 'notification delivery failed; retrying');
        await deps.sleep(delayMs, stopping.signal).catch(() => undefined);
      }
    }
  }

  function drain(lane: Lane): void {
    if (lane.draining || !active || lane.queue.length === 0) return;
    lane.draining = (async () => {
      while (active && lane.queue.length > 0) {
        const event = lane.queue.shift()!;
        try {
          await deliver(lane, event);
        } catch (error) {
          logger.error({ err: error, channel: lane.channel.id }, 'notification delivery crashed');
        }
      }
    })().finally(() => {
      lane.draining = null;
      if (active && lane.queue.length > 0) drain(lane);
    });
  }

  configure(deps.channels, deps.routing);

  return {
    name: 'notifier',
    configure,
    notify(event) {
      try {
        const targets = routing[event.kind];
        if (!targets) return;
        for (const id of targets) {
          const lane = lanes.get(id);
          if (!lane) continue;
          if (lane.queue.length >= config.queueCapacity) {
            lane.queue.shift();
            counts.dropped++;
            metrics.onNotification(lane.channel.kind, NotificationOutcome.Dropped);
            logger.warn({ channel: id, capacity: config.queueCapacity, dropped: counts.dropped }, 'notification queue full: dropped the oldest');
          }
          lane.queue.push(event);
          drain(lane);
        }
      } catch (error) {
        logger.error({ err: error }, 'notify failed');
      }
    },
    start() {
      if (active) return;
      active = true;
      stopping = new AbortController();
      for (const lane of lanes.values()) drain(lane);
    },
    async stop() {
      if (!active) return;
      active = false;
      stopping.abort();
      const inFlight = [...lanes.values()].map((lane) => lane.draining).filter((p): p is Promise<void> => p !== null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, config.stopTimeoutMs);
          timer.unref?.();
        }),
      ]);
      clearTimeout(timer);
      const left = [...lanes.values()].reduce((sum, lane) => sum + lane.queue.length, 0);
      if (left > 0) {
        counts.dropped += left;
        for (const lane of lanes.values()) lane.queue.length = 0;
        logger.warn({ dropped: left }, 'notifier stopped with undelivered notifications');
      }
    },
    async whenIdle() {
      for (;;) {
        const busy = [...lanes.values()].map((lane) => lane.draining).filter((p): p is Promise<void> => p !== null);
        if (busy.length === 0) return;
        await Promise.allSettled(busy);
      }
    },
    stats: () => ({ queued: [...lanes.values()].reduce((sum, lane) => sum + lane.queue.length, 0), ...counts }),
  };
}
