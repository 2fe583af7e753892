/**
 * The in-process scheduler against real ticket tables: several schedulers (each with its own
 * queue, as several server processes have) ticking at the same occurrence enqueue it once, on
 * embedded PGlite (two repositories over one database) and on PostgreSQL (two connections).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { createTicketRepository } from '../../db/repositories/ticket-repository';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import { createJobScheduler } from '../../engine/jobs/job-scheduler';
import { defaultJobSchedules } from '../../engine/jobs/job-schedules';
import { createJobQueue } from '../../engine/orchestrator/job-queue';
import { POSTGRES_URL, TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const DAY = 86_400_000;
const D2 = Date.UTC(2024, 0, 2); // 2024-01-02T00:00:00Z

describe.each(TEST_DATABASE_BACKENDS)('scheduled occurrences are enqueued once ($name)', (backend) => {
  const databases: Database[] = [];
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const opened = await backend.open();
    dispose = opened.dispose;
    databases.push(opened.database);
    // PostgreSQL: a second connection, as a second process has; PGlite is one process, so one handle.
    if (backend.name === 'PostgreSQL') databases.push(await createDatabase({ url: POSTGRES_URL, dataDir: '/tmp', schema: opened.database.schema }));
  });
  afterAll(async () => {
    await databases[1]?.close();
    await dispose?.();
  });

  it('four schedulers ticking at 00:05:00.200 UTC create one daily-snapshot and one rollover ticket', async () => {
    const clock = createManualClock(D2 - 10_000);
    const schedulers = Array.from({ length: 4 }, (_, i) => {
      const tickets = createTicketRepository(databases[i % databases.length].db);
      let n = 0;
      const queue = createJobQueue(
        { defaultMaxAttempts: 3 },
        {
          tickets,
          clock,
          newId: () => `p${i}-${++n}`,
          dispatcher: { runner: 'in-process', dispatch: () => undefined },
          definitions: JOB_DEFINITIONS,
          handlers: { 'daily-snapshot': async () => null, rollover: async () => null },
          logger: silentLogger,
        },
      );
      return createJobScheduler({ schedules: defaultJobSchedules(), catchUpMs: 0 }, { queue, clock, logger: silentLogger });
    });
    await Promise.all(schedulers.map((s) => s.tick()));
    clock.set(D2 + 5 * 60_000 + 200);
    const results = (await Promise.all(schedulers.map((s) => s.tick()))).flat();
    // every scheduler handed both occurrences to its queue; all got the same two ticket ids
    expect(results).toHaveLength(8);
    const byKey = new Map<string, Set<string>>();
    for (const r of results) byKey.set(r.dedupeKey, (byKey.get(r.dedupeKey) ?? new Set()).add(r.ticketId));
    expect([...byKey.keys()].sort()).toEqual(['daily-snapshot@2024-01-02T00:00:00.000Z', 'rollover@2024-01-02T00:05:00.000Z']);
    expect([...byKey.values()].map((ids) => ids.size)).toEqual([1, 1]);
    const page = await createTicketRepository(databases[0].db).list({ limit: 100 });
    expect(page.items.map((t) => [t.kind, t.params, t.dedupeKey]).sort()).toEqual([
      ['daily-snapshot', { dayStartMs: D2 - DAY }, 'daily-snapshot@2024-01-02T00:00:00.000Z'],
      ['rollover', { retentionDays: 90 }, 'rollover@2024-01-02T00:05:00.000Z'],
    ]);
  });
});
