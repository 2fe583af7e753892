import { describe, expect, it, vi } from 'vitest';
import { EngineError, ExchangeError, FailureClass, NotFoundError, RepositoryError, ValidationError } from './errors';
import { RetryableJobError } from '../orchestrator/job-queue';

describe('engine errors', () => {
  it('are recognised by instanceof across two copies of the module (Next bundles routes and the root apart)', async () => {
    vi.resetModules();
    const copy = await import('./errors');
    expect(copy.ValidationError).not.toBe(ValidationError);
    const thrown = new copy.ValidationError('symbol', 'NOPE/USDT', 'unknown market');
    expect(thrown instanceof ValidationError).toBe(true);
    expect(thrown instanceof EngineError).toBe(true);
    expect(thrown instanceof NotFoundError).toBe(false);
    expect(thrown.field).toBe('symbol');
    expect(new copy.NotFoundError('no trade "t1"') instanceof NotFoundError).toBe(true);
    expect(new copy.ExchangeError(FailureClass.Fatal, 'bad key') instanceof ExchangeError).toBe(true);
    expect(new copy.RepositoryError('down') instanceof ValidationError).toBe(false);
  });

  it('keep class semantics within one copy, and other errors are not engine errors', () => {
    expect(new ValidationError('a', 1, 'x') instanceof ValidationError).toBe(true);
    expect(new RepositoryError('down') instanceof RepositoryError).toBe(true);
    expect(new RepositoryError('down') instanceof ValidationError).toBe(false);
    // A subclass without its own codes falls back to the prototype chain (also below a class that has codes).
    class Unreachable extends ExchangeError {}
    expect(new Unreachable(FailureClass.Retryable, 'offline') instanceof Unreachable).toBe(true);
    expect(new Unreachable(FailureClass.Retryable, 'offline') instanceof ExchangeError).toBe(true);
    expect(new ExchangeError(FailureClass.Retryable, '429') instanceof Unreachable).toBe(false);
    expect(new RetryableJobError('busy') instanceof RetryableJobError).toBe(true);
    expect(new ValidationError('a', 1, 'x') instanceof RetryableJobError).toBe(false);
    const plain = Object.assign(new Error('x'), { code: 'validation', field: 'a' });
    expect(plain instanceof ValidationError).toBe(false);
    expect(plain instanceof EngineError).toBe(false);
    expect((null as unknown as object) instanceof EngineError).toBe(false);
  });
});
