/**
 * Contract suite for the TicketRepository and SnapshotRepository ports, run unchanged against the
 * in-memory implementations, embedded PGlite and a real PostgreSQL (each in its own schema,
 * dropped afterwards), plus the journal's decision pruning. Ends with the race that matters: two
 * runners on two connections to one PostgreSQL never run a ticket twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createSnapshotRepository } from '../../db/repositories/snapshot-repository';
import { createTicketRepository } from '../../db/repositories/ticket-repository';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { DecisionRecord, JournalRepository } from '../../engine/ports/journal';
import type { SnapshotRecord, SnapshotRepository } from '../../engine/ports/snapshots';
import { createInProcessJobRunner } from '../../engine/orchestrator/in-process-runner';
import { JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import { createJobQueue, type NewTicket, type Ticket, type TicketRepository } from '../../engine/orchestrator/job-queue';
import { createInMemoryJournalRepository } from '../../engine/testing/in-memory-repositories';
import { createInMemorySnapshotRepository, createInMemoryTicketRepository } from '../../engine/testing/in-memory-job-repositories';
import { POSTGRES_URL, TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = 1_704_067_200_000;

interface Stores {
  tickets: TicketRepository;
  snapshots: SnapshotRepository;
  journal: JournalRepository;
}

interface Backend {
  name: string;
  open(): Promise<{ stores: Stores; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'in-memory',
    async open() {
      return {
        stores: { tickets: createInMemoryTicketRepository(), snapshots: createInMemorySnapshotRepository(), journal: createInMemoryJournalRepository() },
        dispose: async () => undefined,
      };
    },
  },
  ...TEST_DATABASE_BACKENDS.map(
    (backend): Backend => ({
      name: backend.name,
      async open() {
        const { database, dispose } = await backend.open();
        return {
          stores: { tickets: createTicketRepository(database.db), snapshots: createSnapshotRepository(database.db), journal: createJournalRepository(database.db) },
          dispose,
        };
      },
    }),
  ),
];

const newTicket = (id: string, overrides: Partial<NewTicket> = {}): NewTicket => ({
  id,
  kind: 'rollover',
  params: { retentionDays: 30 },
  maxAttempts: 3,
  runner: 'in-process',
  createdAtMs: T0,
  ...overrides,
});

describe.each(backends)('ticket and snapshot repositories ($name)', (backend) => {
  let stores: Stores;
  let dispose: () => Promise<void>;
  let tickets: TicketRepository;
  beforeAll(async () => {
    ({ stores, dispose } = await backend.open());
    tickets = stores.tickets;
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('creates a queued ticket and reads it back unchanged', async () => {
    const created = await tickets.create(newTicket('create-1', { params: { retentionDays: 7, nested: { a: [1, 2.5, 'x'] } } }));
    const expected: Ticket = {
      id: 'create-1',
      kind: 'rollover',
      params: { retentionDays: 7, nested: { a: [1, 2.5, 'x'] } },
      status: 'queued',
      attempts: 0,
      maxAttempts: 3,
      progress: 0,
      progressMessage: null,
      result: null,
      error: null,
      runner: 'in-process',
      cancelRequested: false,
      createdAtMs: T0,
      startedAtMs: null,
      finishedAtMs: null,
      updatedAtMs: T0,
      runAfterMs: null,
      dedupeKey: null,
    };
    expect(created).toEqual(expected);
    expect(await tickets.get('create-1')).toEqual(expected);
    expect(await tickets.get('missing')).toBeNull();
  });

  it('claims the oldest due ticket of the runner, skipping cancelled, future and foreign ones', async () => {
    const base = T0 + 1_000_000;
    await tickets.create(newTicket('claim-c', { createdAtMs: base + 3 }));
    await tickets.create(newTicket('claim-b', { createdAtMs: base + 2 }));
    await tickets.create(newTicket('claim-inngest', { createdAtMs: base + 1, runner: 'inngest' }));
    await tickets.create(newTicket('claim-cancelled', { createdAtMs: base }));
    await tickets.requestCancel('claim-cancelled', base);
    // everything older from other tests is claimed first: drain it
    const claimedIds: string[] = [];
    for (let t = await tickets.claimNext(base + 10); t; t = await tickets.claimNext(base + 10)) claimedIds.push(t.id);
    expect(claimedIds.slice(-2)).toEqual(['claim-b', 'claim-c']);
    expect(claimedIds).not.toContain('claim-inngest');
    expect(claimedIds).not.toContain('claim-cancelled');
    expect(await tickets.get('claim-b')).toMatchObject({ status: 'running', attempts: 1, startedAtMs: base + 10, updatedAtMs: base + 10 });
    expect(await tickets.claimNext(base + 10, 'inngest')).toMatchObject({ id: 'claim-inngest', status: 'running' });
  });

  it('moves a running ticket through progress, retry with backoff, second claim and success', async () => {
    const t1 = T0 + 2_000_000;
    await tickets.create(newTicket('life-1', { createdAtMs: t1 }));
    expect(await tickets.claim('life-1', t1 + 1)).toMatchObject({ status: 'running', attempts: 1 });
    expect(await tickets.claim('life-1', t1 + 1)).toBeNull(); // already running
    expect(await tickets.updateProgress('life-1', 1.7, 'overshoot', t1 + 2)).toMatchObject({ progress: 1, progressMessage: 'overshoot', updatedAtMs: t1 + 2, cancelRequested: false });
    expect(await tickets.updateProgress('life-1', -3, null, t1 + 3)).toMatchObject({ progress: 0, progressMessage: null });
    expect(await tickets.retryLater('life-1', t1 + 5_000, 'timeout', t1 + 4)).toMatchObject({ status: 'queued', runAfterMs: t1 + 5_000, error: 'timeout', attempts: 1 });
    expect(await tickets.updateProgress('life-1', 0.5, 'not running', t1 + 5)).toBeNull();
    expect(await tickets.claim('life-1', t1 + 6)).toMatchObject({ status: 'running', attempts: 2, runAfterMs: null });
    const done = await tickets.succeed('life-1', { equity: 10_000.5, list: [1, null] }, t1 + 7);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, error: null, result: { equity: 10_000.5, list: [1, null] }, finishedAtMs: t1 + 7 });
    await expect(tickets.succeed('life-1', null, t1 + 8)).rejects.toBeInstanceOf(NotFoundError);
    await expect(tickets.retryLater('life-1', t1, 'x', t1 + 8)).rejects.toThrow('ticket "life-1" does not exist or is not running');
    await expect(tickets.fail('life-1', 'late', t1 + 8)).rejects.toThrow('ticket "life-1" does not exist or is not running or queued');
  });

  it('does not claim a requeued ticket before its runAfterMs', async () => {
    const t1 = T0 + 3_000_000;
    await tickets.create(newTicket('later-1', { createdAtMs: t1 }));
    await tickets.claim('later-1', t1);
    await tickets.retryLater('later-1', t1 + 10_000, 'busy', t1);
    expect(await tickets.claimNext(t1 + 9_999)).toBeNull();
    expect(await tickets.claimNext(t1 + 10_000)).toMatchObject({ id: 'later-1', attempts: 2 });
    await tickets.fail('later-1', 'gave up', t1 + 10_001);
    expect(await tickets.get('later-1')).toMatchObject({ status: 'failed', error: 'gave up', finishedAtMs: t1 + 10_001 });
  });

  it('cancels a queued ticket at once, flags a running one, leaves a finished one, returns null for none', async () => {
    const t1 = T0 + 4_000_000;
    await tickets.create(newTicket('cancel-q', { createdAtMs: t1 }));
    await tickets.create(newTicket('cancel-r', { createdAtMs: t1 }));
    await tickets.claim('cancel-r', t1);
    expect(await tickets.requestCancel('cancel-q', t1 + 1)).toMatchObject({ status: 'cancelled', cancelRequested: true, finishedAtMs: t1 + 1 });
    expect(await tickets.requestCancel('cancel-r', t1 + 1)).toMatchObject({ status: 'running', cancelRequested: true, finishedAtMs: null });
    expect(await tickets.updateProgress('cancel-r', 0.3, 'tick', t1 + 2)).toMatchObject({ cancelRequested: true });
    expect(await tickets.markCancelled('cancel-r', t1 + 3)).toMatchObject({ status: 'cancelled', finishedAtMs: t1 + 3 });
    expect(await tickets.requestCancel('cancel-r', t1 + 4)).toMatchObject({ status: 'cancelled', finishedAtMs: t1 + 3 });
    expect(await tickets.requestCancel('cancel-none', t1)).toBeNull();
  });

  it('recovers only stale running tickets of the runner: cancelled if asked, requeued with attempts left, else failed', async () => {
    const t1 = T0 + 5_000_000;
    await tickets.create(newTicket('rec-requeue', { createdAtMs: t1 }));
    await tickets.create(newTicket('rec-fail', { createdAtMs: t1, maxAttempts: 1 }));
    await tickets.create(newTicket('rec-cancel', { createdAtMs: t1 }));
    await tickets.create(newTicket('rec-alive', { createdAtMs: t1 }));
    await tickets.create(newTicket('rec-inngest', { createdAtMs: t1, runner: 'inngest' }));
    for (const id of ['rec-requeue', 'rec-fail', 'rec-cancel', 'rec-alive', 'rec-inngest']) await tickets.claim(id, t1);
    await tickets.requestCancel('rec-cancel', t1);
    await tickets.heartbeat(['rec-alive', 'rec-inngest'], t1 + 50_000);
    const recovered = await tickets.recoverInterrupted(t1 + 60_000, { runner: 'in-process', staleBeforeMs: t1 + 30_000 });
    const ours = (ids: string[]) => ids.filter((id) => id.startsWith('rec-')); // earlier tests left running tickets too
    expect({ requeued: ours(recovered.requeued), failed: ours(recovered.failed), cancelled: ours(recovered.cancelled) }).toEqual({
      requeued: ['rec-requeue'],
      failed: ['rec-fail'],
      cancelled: ['rec-cancel'],
    });
    expect(await tickets.get('rec-requeue')).toMatchObject({ status: 'queued', attempts: 1, error: 'interrupted: the process stopped while the job was running' });
    expect(await tickets.get('rec-fail')).toMatchObject({ status: 'failed', finishedAtMs: t1 + 60_000 });
    expect(await tickets.get('rec-cancel')).toMatchObject({ status: 'cancelled', finishedAtMs: t1 + 60_000 });
    expect(await tickets.get('rec-alive')).toMatchObject({ status: 'running', updatedAtMs: t1 + 50_000 });
    expect((await tickets.get('rec-inngest'))!.status).toBe('running');
    expect((await tickets.recoverInterrupted(t1 + 60_000, { runner: 'inngest' })).requeued).toContain('rec-inngest');
  });

  it('lists newest first with status and kind filters and keyset pages', async () => {
    const t1 = T0 + 6_000_000;
    for (let i = 0; i < 5; i++) await tickets.create(newTicket(`list-${i}`, { kind: 'daily-snapshot', params: {}, createdAtMs: t1 + (i < 2 ? 0 : i) }));
    await tickets.claim('list-4', t1 + 10);
    const first = await tickets.list({ kind: 'daily-snapshot', status: 'queued', limit: 2 });
    expect(first.items.map((t) => t.id)).toEqual(['list-3', 'list-2']);
    const second = await tickets.list({ kind: 'daily-snapshot', status: 'queued', limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((t) => t.id)).toEqual(['list-1', 'list-0']); // same created time: id descending
    expect(second.nextCursor).toBeNull();
    expect((await tickets.list({ kind: 'daily-snapshot', status: 'running' })).items.map((t) => t.id)).toEqual(['list-4']);
    await expect(tickets.list({ cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('stores and lists snapshots with exact equity and payload', async () => {
    const snapshot = (id: string, kind: 'daily' | 'day-close', takenAtMs: number, equity: number): SnapshotRecord => ({
      id,
      kind,
      takenAtMs,
      equity,
      payload: {
        dayStartMs: T0,
        walletBalance: 9_999.99,
        openPositionCount: 0,
        positions: [],
        openOrderCount: 1,
        day: { fromMs: T0, toMs: T0 + 86_400_000, trades: 1, wins: 1, losses: 0, realizedPnl: 0.1 + 0.2, fees: 0.01, funding: 0, netPnl: 0.29 },
      },
    });
    await stores.snapshots.insert(snapshot('s-1', 'daily', T0, 10_000.123456789));
    await stores.snapshots.insert(snapshot('s-2', 'day-close', T0 + 1, 10_001));
    await stores.snapshots.insert(snapshot('s-3', 'daily', T0 + 2, 0.1 + 0.2));
    const daily = await stores.snapshots.list({ kind: 'daily' });
    expect(daily.items).toEqual([snapshot('s-3', 'daily', T0 + 2, 0.30000000000000004), snapshot('s-1', 'daily', T0, 10_000.123456789)]);
    const page = await stores.snapshots.list({ limit: 1 });
    expect(page.items.map((s) => s.id)).toEqual(['s-3']);
    expect((await stores.snapshots.list({ limit: 5, cursor: page.nextCursor! })).items.map((s) => s.id)).toEqual(['s-2', 's-1']);
    // insertOnce: a second snapshot with the id stores nothing and returns the first.
    expect(await stores.snapshots.insertOnce(snapshot('once', 'day-close', T0 + 3, 10_002))).toEqual(snapshot('once', 'day-close', T0 + 3, 10_002));
    expect(await stores.snapshots.insertOnce(snapshot('once', 'day-close', T0 + 4, 10_003))).toEqual(snapshot('once', 'day-close', T0 + 3, 10_002));
    expect((await stores.snapshots.list({ kind: 'day-close' })).items.map((s) => [s.id, s.equity])).toEqual([
      ['once', 10_002],
      ['s-2', 10_001],
    ]);
  });

  it('prunes live decisions before a time in bounded batches, keeping backtest decisions', async () => {
    const d = (id: string, timeMs: number, runId: string | null = null): DecisionRecord => ({
      id,
      runId,
      exchange: 'paper',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      strategy: 'ema-trend',
      timeMs,
      outcome: 'no_trade',
      side: 'flat',
      strength: 0,
      reason: 'flat',
      inputs: {},
    });
    await stores.journal.appendDecisions([d('p-1', T0), d('p-2', T0 + 1), d('p-3', T0 + 2), d('p-keep', T0 + 10), d('p-run', T0, 'run-1')]);
    expect(await stores.journal.pruneDecisionsBefore(T0 + 10, 2)).toBe(2);
    expect(await stores.journal.pruneDecisionsBefore(T0 + 10, 2)).toBe(1);
    expect(await stores.journal.pruneDecisionsBefore(T0 + 10, 2)).toBe(0);
    const left = await stores.journal.listDecisions({ limit: 100 });
    expect(left.items.map((x) => x.id).sort()).toEqual(['p-keep', 'p-run']);
  });

  it('creates a keyed ticket once: a second create with the same key returns the first ticket and writes nothing', async () => {
    const key = 'daily-snapshot@2024-01-02T00:00:00.000Z';
    const first = await tickets.createOnce({ ...newTicket('once-1', { kind: 'daily-snapshot', params: { dayStartMs: T0 } }), dedupeKey: key });
    expect(first.created).toBe(true);
    expect(first.ticket).toMatchObject({ id: 'once-1', kind: 'daily-snapshot', status: 'queued', dedupeKey: key });
    const second = await tickets.createOnce({ ...newTicket('once-2', { kind: 'daily-snapshot', params: { dayStartMs: T0 } }), dedupeKey: key });
    expect(second.created).toBe(false);
    expect(second.ticket.id).toBe('once-1');
    expect(await tickets.get('once-2')).toBeNull();
    const other = await tickets.createOnce({ ...newTicket('once-3'), dedupeKey: 'rollover@2024-01-02T00:05:00.000Z' });
    expect(other).toMatchObject({ created: true, ticket: { id: 'once-3', dedupeKey: 'rollover@2024-01-02T00:05:00.000Z' } });
  });

  it('creates exactly one ticket when ten keyed creates race', async () => {
    const key = 'rollover@2024-01-03T00:05:00.000Z';
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => tickets.createOnce({ ...newTicket(`race-${i}`), dedupeKey: key })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.ticket.id;
    expect(new Set(results.map((r) => r.ticket.id))).toEqual(new Set([winner]));
  });
});

describe('two runners on one PostgreSQL', () => {
  const databases: Database[] = [];
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const backend = TEST_DATABASE_BACKENDS.find((b) => b.name === 'PostgreSQL')!;
    const opened = await backend.open();
    dispose = opened.dispose;
    databases.push(opened.database, await createDatabase({ url: POSTGRES_URL, dataDir: '/tmp', schema: opened.database.schema }));
  });
  afterAll(async () => {
    await databases[1]?.close();
    await dispose?.();
  });

  it('hands each due ticket to exactly one of many concurrent claimNext calls', async () => {
    const [a, b] = databases.map((d) => createTicketRepository(d.db));
    for (let i = 0; i < 20; i++) await a.create(newTicket(`race-${String(i).padStart(2, '0')}`, { createdAtMs: T0 + i }));
    const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).claimNext(T0 + 100)));
    const ids = claims.filter((t): t is Ticket => t !== null).map((t) => t.id);
    expect(ids.length).toBe(20);
    expect(new Set(ids).size).toBe(20);
    expect((await a.list({ status: 'running', limit: 100 })).items.every((t) => t.attempts === 1)).toBe(true);
  });

  it('runs every ticket exactly once when two runners (concurrency 3 each) race on the same table', async () => {
    const clock = createManualClock(T0);
    const runs = new Map<string, number>();
    let active = 0;
    let maxActive = 0;
    const handler = async (_params: unknown, ctx: { ticketId: string }) => {
      runs.set(ctx.ticketId, (runs.get(ctx.ticketId) ?? 0) + 1);
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 2));
      active--;
      return { ok: true };
    };
    const config = { concurrency: 3, pollIntervalMs: 20_000, backoff: { baseMs: 1, capMs: 1, jitterRatio: 0 }, leaseMs: 60_000 };
    const repos = databases.map((d) => createTicketRepository(d.db));
    const runners = repos.map((tickets) =>
      createInProcessJobRunner(config, { tickets, handlers: { 'daily-snapshot': handler }, clock, logger: silentLogger, random: () => 0.5 }),
    );
    let n = 0;
    const queue = createJobQueue(
      { defaultMaxAttempts: 3 },
      {
        tickets: repos[0],
        clock,
        newId: () => `dual-${String(++n).padStart(2, '0')}`,
        // wake both runners for every ticket, so they compete for each one
        dispatcher: { runner: 'in-process', dispatch: () => runners.forEach((r) => r.wake()) },
        definitions: JOB_DEFINITIONS,
        handlers: { 'daily-snapshot': handler },
        logger: silentLogger,
      },
    );
    await Promise.all(runners.map((r) => r.start()));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await queue.enqueue({ kind: 'daily-snapshot', params: {} }));
    for (let round = 0; round < 50; round++) {
      await Promise.all(runners.map((r) => r.pollNow()));
      await Promise.all(runners.map((r) => r.whenIdle()));
      const open = await repos[0].list({ status: 'queued', limit: 1 });
      if (open.items.length === 0) break;
    }
    await Promise.all(runners.map((r) => r.stop()));
    expect([...runs.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(runs.size).toBe(30);
    expect(maxActive).toBeLessThanOrEqual(6);
    const stored = await Promise.all(ids.map((id) => repos[1].get(id)));
    expect(stored.map((t) => `${t!.status}/${t!.attempts}`)).toEqual(Array(30).fill('succeeded/1'));
  });
});
