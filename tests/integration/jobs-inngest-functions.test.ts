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
import { defaultJobSchedules } from '../../engine/jobs/job-schedules';
import { createInngestFunctions, jobFunctionId } from '../../inngest/job-functions';

const T0 = 1_704_067_200_000;
/** InngestTestEngine keys step state by the SHA-1 of the step id (as Inngest does on the wire). */
const stepKey = (id: string) => createHash('sha1').update(id).digest('hex');

function setup(handlers: JobHandlers) {
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
    schedules: defaultJobSchedules(),
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
  it('makes one function per registered kind, triggered by the request event filtered by kind; daily-snapshot also by a UTC cron', () => {
    const { functions, byId } = setup({ rollover: async () => null, 'daily-snapshot': async () => null });
    expect(functions.map((f) => f.id())).toEqual([jobFunctionId('daily-snapshot'), jobFunctionId('rollover')]);
    const config = (id: string) => byId(id)['getConfig']({ baseUrl: new URL('http://localhost:3000/api/inngest'), appPrefix: 'aethelred-test' })[0];
    expect(config('job-rollover').triggers).toEqual([{ event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "rollover"' }]);
    expect(config('job-daily-snapshot').triggers).toEqual([
      { event: JOB_REQUESTED_EVENT, expression: 'event.data.kind == "daily-snapshot"' },
      { cron: 'TZ=UTC 0 0 * * *' },
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

  it('creates a ticket for the midnight cron run of daily-snapshot', async () => {
    const { tickets, byId } = setup({ 'daily-snapshot': async () => ({ snapshotId: 's-1' }) });
    const t = new InngestTestEngine({ function: byId('job-daily-snapshot'), events: [{ name: 'inngest/scheduled.timer', data: { cron: 'TZ=UTC 0 0 * * *' } }] });
    const { result, ctx } = await t.execute();
    expect(result).toEqual({ ticketId: 'cron-1', status: 'succeeded', result: { snapshotId: 's-1' } });
    expect(ctx.step.run.mock.calls.map((call) => call[0])).toEqual(['create-ticket', 'mark-running', 'run-handler', 'record-result']);
    expect(await tickets.get('cron-1')).toMatchObject({ kind: 'daily-snapshot', runner: 'inngest', status: 'succeeded', params: {} });
  });
});
