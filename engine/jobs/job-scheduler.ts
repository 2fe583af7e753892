/**
 * The in-process scheduler: enqueues each scheduled kind (`job-schedules.ts`) through the JobQueue
 * when its cron comes due, in UTC. Inngest runs the same schedules as cron triggers instead.
 *
 * Every occurrence is enqueued with the key `<kind>@<scheduled ISO time>`, which is unique in the
 * tickets table: several processes on one PostgreSQL (or a restart that catches up) never enqueue
 * the same occurrence twice. Occurrences missed while the scheduler was not running collapse into
 * the latest one, and only within `catchUpMs` before start. Each schedule's last check moves forward only once
 * its occurrence was handed to the queue: a failed enqueue (the database away for a moment) is tried again
 * after `retryDelayMs`, under the same key, until it is.
 */
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { BackgroundWorker } from '../ports/lifecycle';
import type { JobQueue } from '../orchestrator/job-queue';
import { nextOccurrenceMs, occurrenceKey, type JobSchedule } from './job-schedules';

export interface JobSchedulerConfig {
  schedules: readonly JobSchedule[];
  /** At start, an occurrence this recent (ms before now) that no ticket carries yet is enqueued (default 1 hour). */
  catchUpMs?: number;
  /** Longest wait between two checks, ms (default 60 000): bounds the delay after a clock jump. */
  maxSleepMs?: number;
  /** Wait before trying a failed enqueue again, ms (default 10 000, at most `maxSleepMs`). */
  retryDelayMs?: number;
}

export interface JobSchedulerDeps {
  queue: Pick<JobQueue, 'enqueue'>;
  clock: Clock;
  logger: Logger;
}

/** One occurrence the scheduler handed to the queue. */
export interface ScheduledEnqueue {
  kind: string;
  scheduledAtMs: number;
  dedupeKey: string;
  ticketId: string;
}

export interface JobScheduler extends BackgroundWorker {
  /**
   * Enqueues every schedule's latest occurrence in (its last check, now] and moves its last check to
   * now once the queue took it; what the timer calls. Returns what was handed to the queue (a key already
   * taken returns the existing ticket id). A failed enqueue is logged and its schedule keeps its last check,
   * so the next tick (due `retryDelayMs` later) enqueues the occurrence again.
   */
  tick(): Promise<ScheduledEnqueue[]>;
  /** The next occurrence over all schedules after their last check (or a failed enqueue's retry time), epoch ms; null when none. */
  nextDueMs(): number | null;
}

/**
 * Creates the scheduler. `start()` sets the last check to `now - catchUpMs`, ticks once, then
 * ticks again at each next occurrence (or after `maxSleepMs`). `stop()` cancels the timer and waits
 * for a tick in progress. Does nothing when there are no schedules.
 * @throws RangeError for a negative catchUpMs or a non-positive maxSleepMs.
 */
export function createJobScheduler(config: JobSchedulerConfig, deps: JobSchedulerDeps): JobScheduler {
  const catchUpMs = config.catchUpMs ?? 3_600_000;
  const maxSleepMs = config.maxSleepMs ?? 60_000;
  if (!(catchUpMs >= 0)) throw new RangeError(`catchUpMs must be >= 0, got ${catchUpMs}`);
  if (!(maxSleepMs > 0)) throw new RangeError(`maxSleepMs must be > 0, got ${maxSleepMs}`);
  const retryDelayMs = Math.min(maxSleepMs, config.retryDelayMs ?? 10_000);
  if (!(retryDelayMs >= 0)) throw new RangeError(`retryDelayMs must be >= 0, got ${config.retryDelayMs}`);
  /** Per schedule: occurrences at or before `checkedUntilMs` were handed to the queue; `retryAtMs` set after a failed enqueue. */
  const states = config.schedules.map((schedule) => ({ schedule, checkedUntilMs: deps.clock.nowMs() - catchUpMs, retryAtMs: null as number | null }));
  let active = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ticking: Promise<ScheduledEnqueue[]> | null = null;

  function nextDueMs(): number | null {
    let next: number | null = null;
    for (const state of states) {
      const at = state.retryAtMs ?? nextOccurrenceMs(state.schedule.cron, state.checkedUntilMs);
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  async function runTick(): Promise<ScheduledEnqueue[]> {
    const nowMs = deps.clock.nowMs();
    const enqueued: ScheduledEnqueue[] = [];
    for (const state of states) {
      const { schedule } = state;
      const from = state.checkedUntilMs;
      if (nowMs <= from) continue;
      let latest: number | null = null;
      let missed = 0;
      for (let at = nextOccurrenceMs(schedule.cron, from); at !== null && at <= nowMs; at = nextOccurrenceMs(schedule.cron, at)) {
        if (latest !== null) missed++;
        latest = at;
      }
      if (latest === null) {
        state.checkedUntilMs = nowMs;
        continue;
      }
      if (missed > 0) deps.logger.warn({ kind: schedule.kind, missed, scheduledAtMs: latest }, 'scheduled occurrences were missed; enqueueing only the latest');
      const dedupeKey = occurrenceKey(schedule.kind, latest);
      try {
        const ticketId = await deps.queue.enqueue({ kind: schedule.kind, params: schedule.params(latest), dedupeKey });
        enqueued.push({ kind: schedule.kind, scheduledAtMs: latest, dedupeKey, ticketId });
        state.checkedUntilMs = nowMs;
        state.retryAtMs = null;
      } catch (error) {
        state.retryAtMs = nowMs + retryDelayMs;
        deps.logger.error({ err: error, kind: schedule.kind, dedupeKey, retryAtMs: state.retryAtMs }, 'could not enqueue a scheduled job; trying again');
      }
    }
    return enqueued;
  }

  function tick(): Promise<ScheduledEnqueue[]> {
    const previous = ticking ?? Promise.resolve([]);
    const current = previous.then(runTick, runTick);
    ticking = current;
    void current.finally(() => {
      if (ticking === current) ticking = null;
    });
    return current;
  }

  function arm() {
    if (!active) return;
    const next = nextDueMs();
    const delay = next === null ? maxSleepMs : Math.min(maxSleepMs, Math.max(0, next - deps.clock.nowMs()));
    timer = setTimeout(() => {
      timer = null;
      void tick().finally(arm);
    }, delay);
    timer.unref?.();
  }

  return {
    name: 'job-scheduler',
    async start() {
      if (active || config.schedules.length === 0) return;
      active = true;
      for (const state of states) {
        state.checkedUntilMs = deps.clock.nowMs() - catchUpMs;
        state.retryAtMs = null;
      }
      await tick();
      arm();
    },
    async stop() {
      active = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await ticking?.catch(() => undefined);
    },
    tick,
    nextDueMs,
  };
}
