import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { createInMemoryTicketRepository } from '../testing/in-memory-job-repositories';
import { createInProcessJobRunner, type InProcessJobRunnerConfig } from './in-process-runner';
import { JOB_DEFINITIONS } from '../jobs/definitions';
import { createJobQueue, JobInterruptedError, NonRetryableJobError, RetryableJobError, type JobHandlers } from './job-queue';

const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets queued microtasks and promise chains settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const config: InProcessJobRunnerConfig = {
  concurrency: 2,
  pollIntervalMs: 20_000, // real-time timer; longer than a test, so tests poll by hand
  backoff: { baseMs: 1_000, capMs: 60_000, jitterRatio: 0.2 },
  stopTimeoutMs: 1_000,
  leaseMs: 30_000,
};

function setup(handlers: JobHandlers, overrides: Partial<InProcessJobRunnerConfig> = {}, extra: { sleep?: (ms: number) => Promise<void>; tickets?: ReturnType<typeof createInMemoryTicketRepository> } = {}) {
  const clock = createManualClock(T0);
  const tickets = extra.tickets ?? createInMemoryTicketRepository();
  // random 0.75 -> jitter factor 1 + 0.2 * (2 * 0.75 - 1) = 1.1
  const runner = createInProcessJobRunner({ ...config, ...overrides }, { tickets, handlers, clock, logger: silentLogger, random: () => 0.75, ...(extra.sleep ? { sleep: extra.sleep } : {}) });
  let n = 0;
  const queue = createJobQueue(
    { defaultMaxAttempts: 3 },
    { tickets, clock, newId: () => `t${++n}`, dispatcher: runner, definitions: JOB_DEFINITIONS, handlers, logger: silentLogger },
  );
  return { clock, tickets, runner, queue };
}

describe('in-process job runner', () => {
  it('never runs more than `concurrency` jobs at once and starts them oldest first', async () => {
    const gates = new Map<number, ReturnType<typeof deferred<void>>>();
    const startedOrder: number[] = [];
    let runningNow = 0;
    let maxRunning = 0;
    const { runner, queue, tickets } = setup({
      'daily-snapshot': async (params: { dayStartMs?: number }) => {
        const index = params.dayStartMs! / 86_400_000;
        startedOrder.push(index);
        runningNow++;
        maxRunning = Math.max(maxRunning, runningNow);
        const gate = deferred();
        gates.set(index, gate);
        await gate.promise;
        runningNow--;
        return { index };
      },
    });
    await runner.start();
    for (let i = 1; i <= 5; i++) await queue.enqueue({ kind: 'daily-snapshot', params: { dayStartMs: i * 86_400_000 } });
    await settle();
    expect(startedOrder).toEqual([1, 2]);
    expect(runner.runningTicketIds().sort()).toEqual(['t1', 't2']);
    gates.get(1)!.resolve();
    await settle();
    expect(startedOrder).toEqual([1, 2, 3]);
    for (let i = 2; i <= 5; i++) {
      await settle();
      gates.get(i)?.resolve();
    }
    await settle();
    gates.get(5)?.resolve();
    await runner.whenIdle();
    expect(maxRunning).toBe(2);
    expect(startedOrder).toEqual([1, 2, 3, 4, 5]);
    const statuses = (await tickets.list({})).items.map((t) => [t.id, t.status, t.result]);
    expect(statuses).toEqual([
      ['t5', 'succeeded', { index: 5 }],
      ['t4', 'succeeded', { index: 4 }],
      ['t3', 'succeeded', { index: 3 }],
      ['t2', 'succeeded', { index: 2 }],
      ['t1', 'succeeded', { index: 1 }],
    ]);
    await runner.stop();
  });

  it('retries a retryable failure after baseMs * 2^(attempt-1) with jitter, and succeeds on the third attempt', async () => {
    const attemptsSeen: number[] = [];
    const { runner, queue, tickets, clock } = setup({
      rollover: async (_params, ctx) => {
        attemptsSeen.push(ctx.attempt);
        if (ctx.attempt < 3) throw new RetryableJobError(`exchange timed out on attempt ${ctx.attempt}`);
        return 'done';
      },
    });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 30 } });
    await runner.whenIdle();
    // attempt 1 failed at T0: delay 1000 * 2^0 * 1.1 = 1100 ms
    expect(await tickets.get(id)).toMatchObject({ status: 'queued', attempts: 1, runAfterMs: T0 + 1_100, error: 'exchange timed out on attempt 1' });
    clock.advance(1_099);
    expect(await runner.pollNow()).toBe(0);
    clock.advance(1);
    expect(await runner.pollNow()).toBe(1);
    await runner.whenIdle();
    // attempt 2 failed at T0 + 1100: delay 1000 * 2^1 * 1.1 = 2200 ms
    expect(await tickets.get(id)).toMatchObject({ status: 'queued', attempts: 2, runAfterMs: T0 + 1_100 + 2_200 });
    clock.advance(2_200);
    expect(await runner.pollNow()).toBe(1);
    await runner.whenIdle();
    expect(await tickets.get(id)).toMatchObject({ status: 'succeeded', attempts: 3, result: 'done', error: null, progress: 1, finishedAtMs: T0 + 3_300 });
    expect(attemptsSeen).toEqual([1, 2, 3]);
    await runner.stop();
  });

  it('fails a retryable job for good once maxAttempts are used', async () => {
    const { runner, queue, tickets, clock } = setup({
      rollover: async () => {
        throw new RetryableJobError('database busy');
      },
    });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 }, maxAttempts: 2 });
    await runner.whenIdle();
    clock.advance(1_100);
    await runner.pollNow();
    await runner.whenIdle();
    expect(await tickets.get(id)).toMatchObject({ status: 'failed', attempts: 2, error: 'database busy (gave up after 2 attempts)', finishedAtMs: T0 + 1_100 });
    await runner.stop();
  });

  it('fails non-retryable, validation and unclassified errors at once, after one attempt', async () => {
    const errors = [new NonRetryableJobError('model file is corrupt'), new ValidationError('symbol', 'XYZ', 'not listed'), new Error('bug')];
    const { runner, queue, tickets } = setup({
      rollover: async (params: { retentionDays: number }) => {
        throw errors[params.retentionDays - 1];
      },
    });
    await runner.start();
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push(await queue.enqueue({ kind: 'rollover', params: { retentionDays: i } }));
    await runner.whenIdle();
    const rows = await Promise.all(ids.map((id) => tickets.get(id)));
    expect(rows.map((t) => [t!.status, t!.attempts, t!.error])).toEqual([
      ['failed', 1, 'model file is corrupt'],
      ['failed', 1, 'field "symbol" was "XYZ": not listed'],
      ['failed', 1, 'bug'],
    ]);
    await runner.stop();
  });

  it('cancels a queued job before it runs', async () => {
    const gate = deferred();
    const ran: number[] = [];
    const { runner, queue, tickets } = setup(
      {
        rollover: async (params: { retentionDays: number }) => {
          ran.push(params.retentionDays);
          await gate.promise;
        },
      },
      { concurrency: 1 },
    );
    await runner.start();
    const first = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    const second = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 2 } });
    await settle();
    const cancelled = await queue.cancel(second);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelRequested: true, attempts: 0, finishedAtMs: T0 });
    gate.resolve();
    await runner.whenIdle();
    await runner.pollNow();
    await runner.whenIdle();
    expect(ran).toEqual([1]);
    expect((await tickets.get(first))!.status).toBe('succeeded');
    expect((await tickets.get(second))!.status).toBe('cancelled');
    await runner.stop();
  });

  it('cancels a running job: its signal aborts and its next progress report throws', async () => {
    const started = deferred();
    let sawAbort = false;
    const { runner, queue, tickets } = setup({
      rollover: async (_params, ctx) => {
        started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        sawAbort = true;
        await ctx.reportProgress(0.5, 'still here');
        return 'finished anyway';
      },
    });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await started.promise;
    expect(await queue.cancel(id)).toMatchObject({ status: 'running', cancelRequested: true });
    await runner.whenIdle();
    expect(sawAbort).toBe(true);
    expect(await tickets.get(id)).toMatchObject({ status: 'cancelled', result: null, finishedAtMs: T0 });
    await runner.stop();
  });

  it('sees a cancel requested by another process at the next progress report', async () => {
    const reported = deferred();
    const proceed = deferred();
    const { runner, queue, tickets } = setup({
      rollover: async (_params, ctx) => {
        await ctx.reportProgress(0.25, 'first quarter');
        reported.resolve();
        await proceed.promise;
        await ctx.reportProgress(0.5, 'half way');
        return 'unreachable';
      },
    });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await reported.promise;
    expect(await tickets.get(id)).toMatchObject({ progress: 0.25, progressMessage: 'first quarter' });
    await tickets.requestCancel(id, T0); // straight to the table, as another process's queue would
    proceed.resolve();
    await runner.whenIdle();
    // The report that discovers the cancel is still recorded (one statement writes it and reads the flag).
    expect(await tickets.get(id)).toMatchObject({ status: 'cancelled', progress: 0.5, progressMessage: 'half way' });
    await runner.stop();
  });

  it('stop() aborts running jobs and puts their tickets back in the queue; the next start runs them at once, without waiting for the lease', async () => {
    const started = deferred();
    let runs = 0;
    const handlers: JobHandlers = {
      rollover: async (_params, ctx) => {
        runs++;
        if (runs === 1) {
          started.resolve();
          await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
        }
        return `run ${runs}`;
      },
    };
    const first = setup(handlers);
    await first.runner.start();
    const id = await first.queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await started.promise;
    await first.runner.stop();
    expect(await first.tickets.get(id)).toMatchObject({ status: 'queued', attempts: 1, runAfterMs: T0, error: 'interrupted: the server stopped while the job was running' });

    // The next start (same clock: no lease has expired) claims it at once.
    const second = createInProcessJobRunner(config, { tickets: first.tickets, handlers, clock: first.clock, logger: silentLogger, random: () => 0.5 });
    await second.start();
    await second.pollNow();
    await second.whenIdle();
    expect(await first.tickets.get(id)).toMatchObject({ status: 'succeeded', attempts: 2, result: 'run 2' });
    expect(runs).toBe(2);
    await second.stop();
  });

  it('recovers tickets a crash left running: requeued while attempts remain, failed when none do', async () => {
    const { tickets, clock } = setup({});
    await tickets.create({ id: 'a', kind: 'rollover', params: { retentionDays: 1 }, maxAttempts: 3, runner: 'in-process', createdAtMs: T0 });
    await tickets.create({ id: 'b', kind: 'rollover', params: { retentionDays: 1 }, maxAttempts: 1, runner: 'in-process', createdAtMs: T0 });
    await tickets.create({ id: 'c', kind: 'rollover', params: { retentionDays: 1 }, maxAttempts: 3, runner: 'inngest', createdAtMs: T0 });
    await tickets.claimNext(T0);
    await tickets.claimNext(T0);
    await tickets.claim('c', T0);
    clock.advance(60_000);
    const ran: string[] = [];
    const runner = createInProcessJobRunner(config, {
      tickets,
      handlers: { rollover: async (_p, ctx) => ran.push(ctx.ticketId) },
      clock,
      logger: silentLogger,
      random: () => 0.5,
    });
    await runner.start();
    await runner.whenIdle();
    expect(ran).toEqual(['a']);
    expect(await tickets.get('a')).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await tickets.get('b')).toMatchObject({ status: 'failed', attempts: 1, error: 'interrupted: the process stopped while the job was running (no attempts left)' });
    expect(await tickets.get('c')).toMatchObject({ status: 'running', runner: 'inngest' }); // Inngest recovers its own
    await runner.stop();
  });

  it('puts a job interrupted by stop back in the queue at once, not failed and not left running', async () => {
    const { runner, queue, tickets } = setup({
      rollover: async (_params, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        throw new JobInterruptedError(ctx.ticketId);
      },
    });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await settle();
    await runner.stop();
    expect(await tickets.get(id)).toMatchObject({ status: 'queued', attempts: 1, runAfterMs: T0, error: 'interrupted: the server stopped while the job was running' });
  });

  it('retries recording a finished job\'s outcome while the database is away, heartbeating it meanwhile, so it is not run again', async () => {
    const tickets = createInMemoryTicketRepository();
    let failures = 2;
    const succeed = tickets.succeed.bind(tickets);
    tickets.succeed = async (id, result, nowMs) => {
      if (failures-- > 0) throw new Error('connection refused');
      return succeed(id, result, nowMs);
    };
    const sleeps: number[] = [];
    const slept = deferred();
    const resume = deferred();
    let runs = 0;
    const { runner, queue, clock } = setup(
      {
        rollover: async () => {
          runs++;
          return { ok: true };
        },
      },
      { outcomeRetry: { baseMs: 100, maxMs: 150, forMs: 1_000 } },
      {
        tickets,
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length === 1) {
            slept.resolve();
            await resume.promise;
          }
        },
      },
    );
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await slept.promise;
    // Past the lease while the write waits: the job still counts as running here, its heartbeat goes on, nothing is recovered.
    clock.set(T0 + 31_000);
    await runner.maintain();
    expect(runner.runningTicketIds()).toEqual([id]);
    expect(await tickets.get(id)).toMatchObject({ status: 'running', attempts: 1, updatedAtMs: T0 + 31_000 });
    resume.resolve();
    await runner.whenIdle();
    expect(sleeps).toEqual([100, 150]);
    expect(runs).toBe(1);
    expect(await tickets.get(id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { ok: true } });
    await runner.stop();
  });

  it('gives up recording the outcome after outcomeRetry.forMs, leaving the ticket running for recovery', async () => {
    const tickets = createInMemoryTicketRepository();
    tickets.succeed = async () => {
      throw new Error('connection refused');
    };
    const sleeps: number[] = [];
    const { runner, queue } = setup({ rollover: async () => ({ ok: true }) }, { outcomeRetry: { baseMs: 100, maxMs: 400, forMs: 1_000 } }, { tickets, sleep: async (ms) => void sleeps.push(ms) });
    await runner.start();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } });
    await settle();
    await runner.whenIdle();
    // 100 + 200 + 400 = 700; another 400 would pass 1 000.
    expect(sleeps).toEqual([100, 200, 400]);
    expect(runner.runningTicketIds()).toEqual([]);
    expect(await tickets.get(id)).toMatchObject({ status: 'running', attempts: 1 });
    await runner.stop();
  });
});
