import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { validateJobRequest, type JobContext } from '../orchestrator/job-queue';
import { bindJobHandlers, JOB_DEFINITIONS, JOB_KINDS } from './definitions';
import type { JobServices } from './job-definition';

function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const train = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-07-01' };

describe('job definitions', () => {
  it('lists every kind once, in listing order', () => {
    expect(JOB_KINDS).toEqual(['backtest', 'download-candles', 'strategy-check', 'study', 'train-intent-veto', 'train-regime', 'train-volatility', 'train-stop-distance', 'daily-snapshot', 'rollover']);
  });

  it.each(JOB_DEFINITIONS.map((d) => [d.kind, d] as const))('accepts the example request of %s', (kind, definition) => {
    expect(validateJobRequest({ kind, params: definition.example }, JOB_DEFINITIONS).kind).toBe(kind);
  });

  it('defaults the training params at enqueue: horizon 24, folds 5, seed 42, activate false', () => {
    expect(validateJobRequest({ kind: 'train-regime', params: train }, JOB_DEFINITIONS).params).toEqual({ ...train, horizon: 24, folds: 5, seed: 42, activate: false });
  });

  it.each([
    ['train-volatility', { ...train, timeframe: '7m' }, 'params.timeframe', '7m'],
    ['train-volatility', { ...train, to: '2024-01-01' }, 'params.to', '2024-01-01'],
    ['train-regime', { ...train, runId: 'run-1' }, 'params.runId', 'run-1'],
    ['train-intent-veto', { ...train, folds: 0 }, 'params.folds', 0],
    ['train-stop-distance', { ...train, seeds: 1 }, 'params.seeds', 1],
  ] as const)('refuses %s params %j naming %s', (kind, params, field, value) => {
    const error = validationErrorOf(() => validateJobRequest({ kind, params }, JOB_DEFINITIONS));
    expect(error.field).toBe(field);
    expect(error.value).toBe(value);
  });

  it('accepts runId for intent-veto training only', () => {
    expect(validateJobRequest({ kind: 'train-intent-veto', params: { ...train, runId: 'run-1' } }, JOB_DEFINITIONS).params.runId).toBe('run-1');
  });

  it('binds each body to the services the root passes', async () => {
    const seen: unknown[] = [];
    const services = {
      runBacktest: async (request: unknown) => {
        seen.push(request);
        return { runId: 'run-3', candles: 10, finalEquity: 10_010, returnMetrics: {}, tradeMetrics: {}, stats: { candles: 10 }, trades: [], equity: [] };
      },
    } as unknown as JobServices;
    const handlers = bindJobHandlers(services);
    expect(Object.keys(handlers)).toEqual(JOB_KINDS);
    const ctx: JobContext = { ticketId: 't-1', attempt: 1, signal: new AbortController().signal, logger: silentLogger, reportProgress: async () => undefined };
    expect(await handlers.backtest!({ symbol: 'BTC/USDT' }, ctx)).toEqual({ runId: 'run-3', candles: 10, finalEquity: 10_010, returnMetrics: {}, tradeMetrics: {}, stats: { candles: 10 } });
    expect(seen).toEqual([{ symbol: 'BTC/USDT' }]);
  });
});
