import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { successiveHalving } from './successive-halving';

async function caught(fn: () => Promise<unknown>): Promise<ValidationError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('successiveHalving', () => {
  it('keeps the best third at each rung and picks the winner on the largest budget', async () => {
    const calls: string[] = [];
    const result = await successiveHalving({
      candidates: [0, 1, 2, 3, 4, 5, 6, 7, 8],
      budgets: ['1m', '3m', '9m'],
      eta: 3,
      // Short budget: bigger is better (8, 7, 6 survive). Medium: closest to 6 wins (6 survives alone).
      evaluate(c, budget) {
        calls.push(`${c}@${budget}`);
        if (budget === '1m') return c;
        if (budget === '3m') return -Math.abs(c - 6);
        return 100 + c;
      },
    });
    expect(result.rungs.map((r) => r.results.map((s) => s.candidate))).toEqual([[8, 7, 6, 5, 4, 3, 2, 1, 0], [6, 7, 8], [6]]);
    // floor(9 / 3) = 3 promoted, floor(3 / 3) = 1 promoted, none after the last rung.
    expect(result.rungs.map((r) => r.promoted)).toEqual([3, 1, 0]);
    expect(result.rungs[1].results.map((s) => s.score)).toEqual([-0, -1, -2]);
    expect(result.best).toEqual({ candidate: 6, index: 6, score: 106 });
    // 9 + 3 + 1
    expect(result.evaluations).toBe(13);
    expect(calls.slice(9)).toEqual(['8@3m', '7@3m', '6@3m', '6@9m']);
  });

  it('keeps at least one candidate, breaks ties by input order and ranks NaN last', async () => {
    const result = await successiveHalving({
      candidates: ['a', 'b', 'c', 'd', 'e'],
      budgets: [1, 2, 3],
      eta: 2,
      evaluate: async (c, budget) => (c === 'a' ? NaN : budget === 1 ? 1 : c === 'c' ? 2 : 1),
    });
    // rung 1: b, c, d, e tie at 1 (input order), a (NaN) last; floor(5 / 2) = 2 promoted: b, c.
    expect(result.rungs[0].results.map((s) => [s.candidate, s.score])).toEqual([
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 1],
      ['a', -Infinity],
    ]);
    // rung 2: c (2) before b (1); floor(2 / 2) = 1 promoted; rung 3 evaluates c alone.
    expect(result.rungs.map((r) => r.results.map((s) => s.candidate))).toEqual([['b', 'c', 'd', 'e', 'a'], ['c', 'b'], ['c']]);
    expect(result.best).toEqual({ candidate: 'c', index: 2, score: 2 });
    // 5 + 2 + 1
    expect(result.evaluations).toBe(8);
  });

  it('with a single budget evaluates every candidate once (a plain search)', async () => {
    const result = await successiveHalving({ candidates: [3, 1, 2], budgets: ['all'], evaluate: (c) => c });
    expect(result.rungs).toHaveLength(1);
    expect(result.best.candidate).toBe(3);
    expect(result.evaluations).toBe(3);
  });

  it('refuses no candidates, no budgets and an eta not above 1, evaluating nothing', async () => {
    let evaluated = 0;
    const evaluate = () => ++evaluated;
    const none = await caught(() => successiveHalving({ candidates: [], budgets: [1], evaluate }));
    expect([none.field, none.value]).toEqual(['candidates', 0]);
    expect((await caught(() => successiveHalving({ candidates: [1], budgets: [], evaluate }))).field).toBe('budgets');
    const eta = await caught(() => successiveHalving({ candidates: [1], budgets: [1], eta: 1, evaluate }));
    expect(eta.message).toBe('field "eta" was 1: expected a finite number > 1');
    expect(evaluated).toBe(0);
  });
});
