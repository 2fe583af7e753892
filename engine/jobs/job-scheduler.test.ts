import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { createJobQueue, type JobHandlers, type Ticket } from '../orchestrator/job-queue';
import { createInMemoryTicketRepository } from '../testing/in-memory-job-repositories';
import { JOB_DEFINITIONS } from './definitions';
import { createJobScheduler } from './job-scheduler';
import { defaultJobSchedules, latestOccurrenceAtOrBeforeMs, nextOccurrenceMs, resolveJobSchedules } from './job-schedules';

const DAY = 86_400_000;
const MIN = 60_000;
const D1 = Date.UTC(2024, 0, 1); // 2024-01-01T00:00:00Z
const noop = async () => null;
const handlers: JobHandlers = { 'daily-snapshot': noop, rollover: noop };

function setup(startMs: number, options: { catchUpMs?: number; overrides?: Record<string, string>; failEnqueues?: number } = {}) {
  const clock = createManualClock(startMs);
  const tickets = createInMemoryTicketRepository();
  let n = 0;
  const queue = createJobQueue(
    { defaultMaxAttempts: 3 },
    { tickets, clock, newId: () => `t${++n}`, dispatcher: { runner: 'in-process', dispatch: () => undefined }, definitions: JOB_DEFINITIONS, handlers, logger: silentLogger },
  );
  // The first `failEnqueues` enqueues fail, as when the database is away for a moment.
  let failures = options.failEnqueues ?? 0;
  const flaky = {
    enqueue: (request: Parameters<typeof queue.enqueue>[0]) => (failures-- > 0 ? Promise.reject(new Error('connection refused')) : queue.enqueue(request)),
  };
  const scheduler = createJobScheduler({ schedules: resolveJobSchedules(options.overrides ?? {}), catchUpMs: options.catchUpMs ?? 0 }, { queue: flaky, clock, logger: silentLogger });
  const all = () => [...tickets.rows.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  const summary = (t: Ticket) => ({ kind: t.kind, params: t.params, createdAtMs: t.createdAtMs, dedupeKey: t.dedupeKey });
  return { clock, tickets, scheduler, all, summary };
}

describe('job schedules', () => {
  it('defaults to daily-snapshot at 00:00 UTC and rollover at 00:05 UTC keeping 90 days', () => {
    const schedules = defaultJobSchedules();
    expect(schedules.map((s) => [s.kind, s.cron])).toEqual([
      ['daily-snapshot', '0 0 * * *'],
      ['rollover', '5 0 * * *'],
    ]);
    // the snapshot of the 00:00 occurrence on Jan 2 names Jan 1, whenever it runs
    expect(schedules[0].params(D1 + DAY)).toEqual({ dayStartMs: D1 });
    expect(schedules[1].params(D1 + DAY + 5 * MIN)).toEqual({ retentionDays: 90 });
  });

  it('gives params every default schedule that the kind accepts', () => {
    for (const schedule of defaultJobSchedules()) {
      const definition = JOB_DEFINITIONS.find((d) => d.kind === schedule.kind)!;
      expect(definition.paramsSchema.safeParse(schedule.params(D1 + DAY)).success).toBe(true);
    }
  });

  it('moves one schedule and switches another off', () => {
    const schedules = resolveJobSchedules({ rollover: '30 1 * * *', 'daily-snapshot': 'off' });
    expect(schedules.map((s) => [s.kind, s.cron])).toEqual([['rollover', '30 1 * * *']]);
  });

  it.each([
    [{ backtest: '0 0 * * *' }, 'schedules.backtest', '0 0 * * *'],
    [{ 'daily-snapshots': '0 0 * * *' }, 'schedules.daily-snapshots', '0 0 * * *'],
    [{ rollover: '0 25 * * *' }, 'schedules.rollover', '0 25 * * *'],
    [{ rollover: '0 0 0 * * *' }, 'schedules.rollover', '0 0 0 * * *'],
  ])('refuses %j naming %s', (overrides, field, value) => {
    let error: unknown;
    try {
      resolveJobSchedules(overrides);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).value).toBe(value);
  });

  it('finds occurrences in UTC: next strictly after, latest at or before', () => {
    expect(nextOccurrenceMs('5 0 * * *', D1)).toBe(D1 + 5 * MIN);
    expect(nextOccurrenceMs('5 0 * * *', D1 + 5 * MIN)).toBe(D1 + DAY + 5 * MIN);
    expect(latestOccurrenceAtOrBeforeMs('5 0 * * *', D1 + 5 * MIN)).toBe(D1 + 5 * MIN);
    expect(latestOccurrenceAtOrBeforeMs('5 0 * * *', D1 + 5 * MIN + 700)).toBe(D1 + 5 * MIN);
    expect(latestOccurrenceAtOrBeforeMs('5 0 * * *', D1 + 5 * MIN - 1)).toBe(D1 - DAY + 5 * MIN);
  });
});

describe('in-process job scheduler', () => {
  it('enqueues each kind at its occurrence with the occurrence params and key, once', async () => {
    const { clock, scheduler, all, summary } = setup(D1 + 23 * 60 * MIN); // 2024-01-01T23:00Z
    expect(await scheduler.tick()).toEqual([]);
    expect(scheduler.nextDueMs()).toBe(D1 + DAY);
    clock.set(D1 + DAY - 1);
    expect(await scheduler.tick()).toEqual([]);
    clock.set(D1 + DAY); // midnight
    expect(await scheduler.tick()).toEqual([{ kind: 'daily-snapshot', scheduledAtMs: D1 + DAY, dedupeKey: 'daily-snapshot@2024-01-02T00:00:00.000Z', ticketId: 't1' }]);
    expect(scheduler.nextDueMs()).toBe(D1 + DAY + 5 * MIN);
    clock.set(D1 + DAY + 5 * MIN + 250); // the timer fired a little late
    expect(await scheduler.tick()).toEqual([{ kind: 'rollover', scheduledAtMs: D1 + DAY + 5 * MIN, dedupeKey: 'rollover@2024-01-02T00:05:00.000Z', ticketId: 't2' }]);
    clock.set(D1 + 2 * DAY - 1);
    expect(await scheduler.tick()).toEqual([]);
    expect(all().map(summary)).toEqual([
      { kind: 'daily-snapshot', params: { dayStartMs: D1 }, createdAtMs: D1 + DAY, dedupeKey: 'daily-snapshot@2024-01-02T00:00:00.000Z' },
      { kind: 'rollover', params: { retentionDays: 90 }, createdAtMs: D1 + DAY + 5 * MIN + 250, dedupeKey: 'rollover@2024-01-02T00:05:00.000Z' },
    ]);
  });

  it('tries a failed enqueue again at the next tick, under the same key, until the queue takes it', async () => {
    const { clock, scheduler, all, summary } = setup(D1 + 23 * 60 * MIN, { failEnqueues: 2 });
    expect(await scheduler.tick()).toEqual([]);
    clock.set(D1 + DAY); // midnight: the enqueue fails
    expect(await scheduler.tick()).toEqual([]);
    expect(scheduler.nextDueMs()).toBe(D1 + DAY + 10_000);
    clock.set(D1 + DAY + 10_000); // fails again
    expect(await scheduler.tick()).toEqual([]);
    clock.set(D1 + DAY + 20_000);
    expect(await scheduler.tick()).toEqual([{ kind: 'daily-snapshot', scheduledAtMs: D1 + DAY, dedupeKey: 'daily-snapshot@2024-01-02T00:00:00.000Z', ticketId: 't1' }]);
    expect(scheduler.nextDueMs()).toBe(D1 + DAY + 5 * MIN);
    clock.set(D1 + DAY + 5 * MIN);
    expect(await scheduler.tick()).toEqual([{ kind: 'rollover', scheduledAtMs: D1 + DAY + 5 * MIN, dedupeKey: 'rollover@2024-01-02T00:05:00.000Z', ticketId: 't2' }]);
    clock.set(D1 + DAY + 6 * MIN);
    expect(await scheduler.tick()).toEqual([]);
    expect(all().map(summary)).toEqual([
      { kind: 'daily-snapshot', params: { dayStartMs: D1 }, createdAtMs: D1 + DAY + 20_000, dedupeKey: 'daily-snapshot@2024-01-02T00:00:00.000Z' },
      { kind: 'rollover', params: { retentionDays: 90 }, createdAtMs: D1 + DAY + 5 * MIN, dedupeKey: 'rollover@2024-01-02T00:05:00.000Z' },
    ]);
  });

  it('collapses occurrences missed during a long pause into the latest', async () => {
    const { clock, scheduler, all, summary } = setup(D1 + 12 * 60 * MIN);
    clock.set(D1 + 3 * DAY + 12 * 60 * MIN); // three midnights passed unchecked
    const enqueued = await scheduler.tick();
    expect(enqueued.map((e) => e.dedupeKey)).toEqual(['daily-snapshot@2024-01-04T00:00:00.000Z', 'rollover@2024-01-04T00:05:00.000Z']);
    expect(all().map(summary)[0]).toEqual({ kind: 'daily-snapshot', params: { dayStartMs: D1 + 2 * DAY }, createdAtMs: D1 + 3 * DAY + 12 * 60 * MIN, dedupeKey: 'daily-snapshot@2024-01-04T00:00:00.000Z' });
  });

  it('catches up at start on an occurrence missed within catchUpMs, and a restart does not enqueue it again', async () => {
    const { clock, tickets, scheduler, all } = setup(D1 + DAY + 20 * MIN, { catchUpMs: 30 * MIN }); // started at 00:20, down at midnight
    await scheduler.start();
    await scheduler.stop();
    expect(all().map((t) => [t.dedupeKey, t.createdAtMs])).toEqual([
      ['daily-snapshot@2024-01-02T00:00:00.000Z', D1 + DAY + 20 * MIN],
      ['rollover@2024-01-02T00:05:00.000Z', D1 + DAY + 20 * MIN],
    ]);
    // a second process (or a restart) on the same tickets table catches up on the same occurrences
    clock.advance(MIN);
    const queue = createJobQueue(
      { defaultMaxAttempts: 3 },
      { tickets, clock, newId: () => 'other', dispatcher: { runner: 'in-process', dispatch: () => undefined }, definitions: JOB_DEFINITIONS, handlers, logger: silentLogger },
    );
    const second = createJobScheduler({ schedules: defaultJobSchedules(), catchUpMs: 30 * MIN }, { queue, clock, logger: silentLogger });
    await second.start();
    await second.stop();
    expect(tickets.rows.size).toBe(2);
    expect(tickets.rows.has('other')).toBe(false);
  });

  it('does not look back further than catchUpMs', async () => {
    const { scheduler, all } = setup(D1 + DAY + 20 * MIN, { catchUpMs: 16 * MIN }); // looks back to 00:04
    await scheduler.start();
    await scheduler.stop();
    expect(all().map((t) => t.dedupeKey)).toEqual(['rollover@2024-01-02T00:05:00.000Z']);
  });

  it('enqueues nothing for a schedule switched off and runs a moved one at its new time', async () => {
    const { clock, scheduler, all } = setup(D1, { overrides: { 'daily-snapshot': 'off', rollover: '30 1 * * *' } });
    clock.set(D1 + DAY);
    expect(await scheduler.tick()).toEqual([{ kind: 'rollover', scheduledAtMs: D1 + 90 * MIN, dedupeKey: 'rollover@2024-01-01T01:30:00.000Z', ticketId: 't1' }]);
    expect(all()).toHaveLength(1);
  });
});

describe('in-process job scheduler timer', () => {
  it('wakes at the next occurrence of the injected clock and enqueues it', async () => {
    const { clock, scheduler, all } = setup(D1 + DAY - 20); // 20 ms before midnight
    await scheduler.start();
    expect(all()).toEqual([]);
    clock.set(D1 + DAY); // the timer (armed for 20 ms) fires and finds midnight due
    for (let i = 0; i < 50 && all().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await scheduler.stop();
    expect(all().map((t) => [t.dedupeKey, t.createdAtMs])).toEqual([['daily-snapshot@2024-01-02T00:00:00.000Z', D1 + DAY]]);
  });
});
