import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { computeReturnMetrics, equityToReturns } from './metrics';
import { createReturnAccumulator } from './return-accumulator';

describe('createReturnAccumulator', () => {
  it('gives the batch metrics of 100, 110, 99, 99, 120: +20 % total, a 10 % drawdown lasting 2 periods', () => {
    const curve = [100, 110, 99, 99, 120];
    const acc = createReturnAccumulator({ periodsPerYear: 365 });
    for (const e of curve) acc.addEquity(e);
    const streamed = acc.metrics();
    // By hand: returns 0.1, -0.1, 0, 120/99 - 1; growth 1.2; peak 1.1 then 0.99 twice (drawdown -0.1) before 1.2.
    expect(streamed.periods).toBe(4);
    expect(streamed.totalReturn).toBeCloseTo(0.2, 14);
    expect(streamed.maxDrawdown).toBeCloseTo(-0.1, 14);
    expect(streamed.maxDrawdownDurationPeriods).toBe(2);
    const batch = computeReturnMetrics(equityToReturns(Float64Array.from(curve)), { periodsPerYear: 365 });
    // Same operations as the batch, bit for bit, except the Welford variances (volatility, Sharpe).
    for (const name of ['periods', 'totalReturn', 'cagr', 'sortino', 'maxDrawdown', 'maxDrawdownDurationPeriods', 'calmar'] as const) expect(streamed[name], name).toBe(batch[name]);
    expect(streamed.annualVolatility).toBeCloseTo(batch.annualVolatility, 12);
    expect(streamed.sharpe).toBeCloseTo(batch.sharpe, 12);
  });

  it('gives periods 0 and NaN for fewer than two values', () => {
    const acc = createReturnAccumulator({ periodsPerYear: 365 });
    acc.addEquity(100);
    expect(acc.metrics().periods).toBe(0);
    expect(acc.metrics().totalReturn).toBeNaN();
  });

  it('refuses a negative value and a value after zero equity, naming its index', () => {
    const acc = createReturnAccumulator({ periodsPerYear: 365 });
    acc.addEquity(100);
    expect(() => acc.addEquity(-1)).toThrow(new ValidationError('equity[1]', -1, 'expected finite equity > 0 (only the last value may be 0)'));
    acc.addEquity(0);
    expect(() => acc.addEquity(5)).toThrow(/field "equity\[1\]" was 0/);
  });
});
