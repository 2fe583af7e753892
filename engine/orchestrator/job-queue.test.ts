import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { createInMemoryTicketRepository } from '../testing/in-memory-job-repositories';
import { JOB_DEFINITIONS } from '../jobs/definitions';
import { backoffDelayMs, createJobQueue, validateJobRequest, type JobDispatcher, type JobHandlers } from './job-queue';

const T0 = 1_704_067_200_000;
const noop = async () => null;
const allHandlers: JobHandlers = { backtest: noop, rollover: noop, 'daily-snapshot': noop };

function setup(dispatch: JobDispatcher['dispatch'] = () => undefined, handlers: JobHandlers = allHandlers) {
  const tickets = createInMemoryTicketRepository();
  const dispatched: string[] = [];
  const queue = createJobQueue(
    { defaultMaxAttempts: 3 },
    {
      tickets,
      clock: createManualClock(T0),
      newId: () => 'ticket-1',
      dispatcher: {
        runner: 'in-process',
        dispatch: (t) => {
          dispatched.push(t.id);
          return dispatch(t);
        },
      },
      definitions: JOB_DEFINITIONS,
      handlers,
      logger: silentLogger,
    },
  );
  return { tickets, queue, dispatched };
}

function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('job queue', () => {
  it('writes a queued ticket with the parsed params and hands it to the runner', async () => {
    const { tickets, queue, dispatched } = setup();
    const id = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 30 } });
    expect(id).toBe('ticket-1');
    expect(dispatched).toEqual(['ticket-1']);
    expect(await tickets.get(id)).toEqual({
      id: 'ticket-1',
      kind: 'rollover',
      params: { retentionDays: 30 },
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
    });
  });

  it('enqueues a keyed request once: a repeat returns the first ticket id and dispatches nothing', async () => {
    const { tickets, queue, dispatched } = setup();
    const key = 'rollover@2024-01-01T00:05:00.000Z';
    expect(await queue.enqueue({ kind: 'rollover', params: { retentionDays: 30 }, dedupeKey: key })).toBe('ticket-1');
    expect(await queue.enqueue({ kind: 'rollover', params: { retentionDays: 30 }, dedupeKey: key })).toBe('ticket-1');
    expect(dispatched).toEqual(['ticket-1']);
    expect([...tickets.rows.values()].map((t) => t.dedupeKey)).toEqual([key]);
  });

  it('refuses an empty dedupe key naming the field', async () => {
    const { tickets, queue } = setup();
    const error = await queue.enqueue({ kind: 'rollover', params: { retentionDays: 30 }, dedupeKey: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('dedupeKey');
    expect(tickets.rows.size).toBe(0);
  });

  it.each([
    [{ kind: 'nope', params: {} }, 'kind', 'nope'],
    [{ kind: 'rollover', params: {} }, 'params.retentionDays', undefined],
    [{ kind: 'rollover', params: { retentionDays: 0 } }, 'params.retentionDays', 0],
    [{ kind: 'rollover', params: { retentionDays: 1.5 } }, 'params.retentionDays', 1.5],
    [{ kind: 'rollover', params: { retentionDays: 7, retention: 7 } }, 'params.retention', 7],
    [{ kind: 'daily-snapshot', params: { dayStartMs: T0 + 1 } }, 'params.dayStartMs', T0 + 1],
    [{ kind: 'rollover', params: { retentionDays: 7 }, maxAttempts: 0 }, 'maxAttempts', 0],
    [{ kind: 'backtest', params: { exchange: 'binance', symbol: 'BTC/USDT' } }, 'params.timeframe', undefined],
  ])('refuses %j naming the field %s', async (job, field, value) => {
    const { tickets, queue, dispatched } = setup();
    const error = await queue.enqueue(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).value).toBe(value);
    expect(tickets.rows.size).toBe(0);
    expect(dispatched).toEqual([]);
  });

  it('refuses a backtest with an unknown strategy, naming params.strategies and the strategy', () => {
    const error = validationErrorOf(() =>
      validateJobRequest({
        kind: 'backtest',
        params: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: '2024-01-01', to: '2024-02-01', strategies: ['moon-shot'] },
      }, JOB_DEFINITIONS),
    );
    expect(error.field).toBe('params.strategies');
    expect(error.message).toMatch(/^field "params\.strategies" was "moon-shot": strategy "moon-shot" is not known/);
  });

  it('refuses a kind that has no registered handler before writing anything', async () => {
    const { tickets, queue } = setup(undefined, { rollover: noop });
    const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-07-01' };
    const error = await queue.enqueue({ kind: 'train-regime', params }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('field "kind" was "train-regime": no handler is registered for job kind "train-regime"');
    expect(tickets.rows.size).toBe(0);
  });

  it('marks the ticket failed and rethrows when the runner cannot take it', async () => {
    const { tickets, queue } = setup(() => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8288');
    });
    await expect(queue.enqueue({ kind: 'rollover', params: { retentionDays: 1 } })).rejects.toThrow('connect ECONNREFUSED 127.0.0.1:8288');
    expect(await tickets.get('ticket-1')).toMatchObject({
      status: 'failed',
      error: 'could not hand the job to the in-process runner: connect ECONNREFUSED 127.0.0.1:8288',
      finishedAtMs: T0,
    });
  });

  it('throws NotFoundError when cancelling an unknown ticket', async () => {
    const { queue } = setup();
    await expect(queue.cancel('missing')).rejects.toThrow('ticket "missing" does not exist');
  });
});

describe('backoffDelayMs', () => {
  const backoff = { baseMs: 1_000, capMs: 10_000, jitterRatio: 0.25 };
  it('doubles per attempt from baseMs and stops at capMs (no jitter at random 0.5)', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, backoff, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
  it('spreads the delay by +/- jitterRatio', () => {
    expect(backoffDelayMs(3, backoff, () => 0)).toBe(3_000); // 4000 * 0.75
    expect(backoffDelayMs(3, backoff, () => 0.999)).toBe(4_998); // 4000 * (1 + 0.25 * 0.998) = 4998
  });
  it('refuses an attempt below 1', () => {
    expect(() => backoffDelayMs(0, backoff, () => 0.5)).toThrow('attempt must be an integer >= 1, got 0');
  });
});
