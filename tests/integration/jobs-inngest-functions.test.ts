/**
 * The Inngest runner: job functions run by @inngest/test's InngestTestEngine over in-memory
 * tickets and the same engine handlers the in-process runner uses.
 */
import { createHash } from 'node:crypto';
import { InngestTestEngine } from '@inngest/test';
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { NonRetryableJobError, RetryableJobError, type JobHandlers } from '../../engine/orchestrator/job-queue';
import { createInMemoryTicketRepository } from '../../engine/testing/in-memory-job-repositories';
import { createInngestClient } from '../../inngest/client';
import { JOB_REQUESTED_EVENT } from '../../inngest/events';
import { defaultJobSchedules, resolveJobSchedules, type JobSchedule } from '../../engine/jobs/job-schedules';
import { createInngestFunctions, jobFunctionId } from '../../inngest/job-functions';

const T0 = 1_704_067_200_000;
/** InngestTestEngine keys step state by the SHA-1 of the step id (as Inngest does on the wire). */
const stepKey = (id: string) => createHash('sha1').update(id).digest('hex');

function setup(handlers: JobHandlers, schedules: JobSchedule[] = defaultJobSchedules()) {
  const clock = createManualClock(T0);
  const tickets = createInMemoryTicketRepository();
  const client = createInngestClient({ id: 'aethelred-test', isDev: true });
  let n = 0;
  const functions = createInngestFunctions(client, {
    handlers,
    tickets,
    clock,
    logger: silentLogger,
    random: () => 0.5,
    backoff: { baseMs: 1_000, capMs: 60_000, jitterRatio: 0.2 },
    newId: () => `cron-${++n}`,
    schedules,
  });
  const byId = (id: string) => {
    const fn = functions.find((f) => f.id() === id);
    if (!fn) throw new Error(`no function "${id}"`);
    return fn;
  };
  return { clock, tickets, functions, byId };
}

async function queuedTicket(tickets: ReturnType<typeof createInMemoryTicketRepository>, kind: 'rollover' | 'daily-snapshot', params: Record<string, unknown>) {
  return tickets.create({ id: 'ticket-1', kind, params, maxAttempts: 3, runner: 'inngest', createdAtMs: T0 });
}

const requested = (kind: string) => [{ name: JOB_REQUESTED_EVENT, data: { ticketId: 'ticket-1', kind } }] as [{ name: string; data: Record<string, unknown> }];

describe('Inngest job functions', () => {
  it('makes one function per registered kind, triggered by the request event filtered by kind; the scheduled kinds also by their UTC crons', () => {
    const { functions, byId } = setup({ backtest: async () => null, rollover: async () => null, 'daily-snapshot': async () => null });
    expect(functions.map((f) => f.id())).toEqual([jobFunctionId('backtest'), jobFunctionId('daily-snapshot'), jobFunctionId('rollover')]);
    const config = (id: string) => byId(id)['getConfig']({ baseUrl: new URL('http://localhost:3000/api/inngest'), appPrefix: 'aethelred-test' })[0];
    expect(config('job-backtest').triggers).toEqual([{ event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "backtest"' }]);
    expect(config('job-daily-snapshot').triggers).toEqual([
      { event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "daily-snapshot"' },
      { cron: 'TZ=UTC 0 0 * * *' },
    ]);
    expect(config('job-rollover').triggers).toEqual([
      { event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "rollover"' },
      { cron: 'TZ=UTC 5 0 * * *' },
    ]);
  });

  it('takes the crons from the configured schedules: moved, or switched off', () => {
    const { byId } = setup({ rollover: async () => null, 'daily-snapshot': async () => null }, resolveJobSchedules({ rollover: '30 1 * * *', 'daily-snapshot': 'off' }));
    const config = (id: string) => byId(id)['getConfig']({ baseUrl: new URL('http://localhost:3000/api/inngest'), appPrefix: 'aethelred-test' })[0];
    expect(config('job-daily-snapshot').triggers).toEqual([{ event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "daily-snapshot"' }]);
    expect(config('job-rollover').triggers).toEqual([
      { event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "rollover"' },
      { cron: 'TZ=UTC 30 1 * * *' },
    ]);
  });

  it('runs the handler in named steps and records the result on the ticket', async () => {
    const { tickets, byId } = setup({ rollover: async (params: { retentionDays: number }, ctx) => {
      await ctx.reportProgress(0.5, 'half way');
      return { pruned: params.retentionDays * 2 };
    } });
    await queuedTicket(tickets, 'rollover', { retentionDays: 21 });
    const t = new InngestTestEngine({ function: byId('job-rollover'), events: requested('rollover') });
    const { result, ctx, state } = await t.execute();
    expect(result).toEqual({ ticketId: 'ticket-1', status: 'succeeded', result: { pruned: 42 } });
    expect(ctx.step.run.mock.calls.map((call) => call[0])).toEqual(['mark-running', 'run-handler', 'record-result']);
    await expect(state[stepKey('run-handler')]).resolves.toEqual({ type: 'succeeded', result: { pruned: 42 } });
    expect(await tickets.get('ticket-1')).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      progress: 1,
      progressMessage: 'half way',
      result: { pruned: 42 },
      startedAtMs: T0,
      finishedAtMs: T0,
    });
  });

  it('marks the ticket failed and throws NonRetriableError for a permanent failure', async () => {
    const { tickets, byId } = setup({ rollover: async () => {
      throw new NonRetryableJobError('retention policy is locked');
    } });
    await queuedTicket(tickets, 'rollover', { retentionDays: 1 });
    const t = new InngestTestEngine({ function: byId('job-rollover'), events: requested('rollover') });
    const { error, ctx } = await t.execute();
    // The engine returns the thrown error serialised, as Inngest receives it.
    expect(error).toMatchObject({ name: 'NonRetriableError', message: 'retention policy is locked' });
    expect(ctx.step.run.mock.calls.map((call) => call[0])).toEqual(['mark-running', 'run-handler', 'record-failure']);
    expect(await tickets.get('ticket-1')).toMatchObject({ status: 'failed', attempts: 1, error: 'retention policy is locked' });
  });

  it('requeues the ticket with the engine backoff and lets Inngest retry the step for a retryable failure', async () => {
    const { tickets, byId } = setup({ rollover: async () => {
      throw new RetryableJobError('exchange timed out');
    } });
    await queuedTicket(tickets, 'rollover', { retentionDays: 1 });
    const t = new InngestTestEngine({ function: byId('job-rollover'), events: requested('rollover') });
    const { error, ctx } = await t.execute();
    // The step failed with RetryAfterError (1000 ms -> "1" second); Inngest would run it again then.
    expect(error).toMatchObject({ name: 'RetryAfterError', message: 'exchange timed out' });
    expect(ctx.step.run.mock.calls.map((call) => call[0])).toEqual(['mark-running', 'run-handler']);
    // attempt 1 at T0, random 0.5 -> no jitter: due at T0 + 1000
    expect(await tickets.get('ticket-1')).toMatchObject({ status: 'queued', attempts: 1, runAfterMs: T0 + 1_000, error: 'exchange timed out' });
  });

  it('skips a ticket cancelled before the run started', async () => {
    const ran: string[] = [];
    const { tickets, byId } = setup({ rollover: async (_p, ctx) => ran.push(ctx.ticketId) });
    await queuedTicket(tickets, 'rollover', { retentionDays: 1 });
    await tickets.requestCancel('ticket-1', T0);
    const t = new InngestTestEngine({ function: byId('job-rollover'), events: requested('rollover') });
    const { result } = await t.execute();
    expect(result).toEqual({ ticketId: 'ticket-1', status: 'skipped', reason: 'ticket is cancelled' });
    expect(ran).toEqual([]);
  });

  it('creates a ticket for the midnight cron run of daily-snapshot, naming the day that ended', async () => {
    const seen: unknown[] = [];
    const { tickets, byId } = setup({
      'daily-snapshot': async (params) => {
        seen.push(params);
        return { snapshotId: 's-1' };
      },
    });
    // fired 800 ms after 2024-01-02T00:00Z: the occurrence is midnight, the day is Jan 1
    const t = new InngestTestEngine({ function: byId('job-daily-snapshot'), events: [{ name: 'inngest/scheduled.timer', data: { cron: 'TZ=UTC 0 0 * * *' }, ts: T0 + 86_400_000 + 800 }] });
    const { result, ctx } = await t.execute();
    expect(result).toEqual({ ticketId: 'cron-1', status: 'succeeded', result: { snapshotId: 's-1' } });
    expect(ctx.step.run.mock.calls.map((call) => call[0])).toEqual(['create-ticket', 'mark-running', 'run-handler', 'record-result']);
    expect(await tickets.get('cron-1')).toMatchObject({
      kind: 'daily-snapshot',
      runner: 'inngest',
      status: 'succeeded',
      params: { dayStartMs: T0 },
      dedupeKey: 'daily-snapshot@2024-01-02T00:00:00.000Z',
    });
    expect(seen).toEqual([{ dayStartMs: T0 }]);
  });

  it('runs rollover on its 00:05 UTC cron with the default retention of 90 days, once per occurrence', async () => {
    const seen: unknown[] = [];
    const { tickets, byId } = setup({
      rollover: async (params) => {
        seen.push(params);
        return { prunedDecisions: 0 };
      },
    });
    const fired = { name: 'inngest/scheduled.timer', data: { cron: 'TZ=UTC 5 0 * * *' }, ts: T0 + 5 * 60_000 + 120 };
    const first = await new InngestTestEngine({ function: byId('job-rollover'), events: [fired] }).execute();
    expect(first.result).toEqual({ ticketId: 'cron-1', status: 'succeeded', result: { prunedDecisions: 0 } });
    expect(await tickets.get('cron-1')).toMatchObject({ kind: 'rollover', status: 'succeeded', params: { retentionDays: 90 }, dedupeKey: 'rollover@2024-01-01T00:05:00.000Z' });
    // a second delivery of the same occurrence finds the ticket done and runs nothing
    const second = await new InngestTestEngine({ function: byId('job-rollover'), events: [{ ...fired, ts: fired.ts + 3_000 }] }).execute();
    expect(second.result).toEqual({ ticketId: 'cron-1', status: 'skipped', reason: 'ticket is succeeded' });
    expect(seen).toEqual([{ retentionDays: 90 }]);
    expect(tickets.rows.size).toBe(1);
  });
});
