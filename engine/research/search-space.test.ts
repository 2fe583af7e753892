import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { maCrossover } from '../strategies/ma-crossover';
import { rsiMeanReversion } from '../strategies/rsi-mean-reversion';
import { defineStrategy, setFlat, z } from '../strategies/strategy-api';
import { checkGridSize, DEFAULT_MAX_TRIALS, dimensionValue, gridCandidates, randomCandidates, searchSpaceFromCatalog, searchSpaceOf, spaceSize, type SpaceNarrowing } from './search-space';

function caught(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

function expectRefused(narrowing: SpaceNarrowing, field: string, value: unknown): ValidationError {
  const error = caught(() => searchSpaceOf(maCrossover, narrowing));
  expect(error.field).toBe(field);
  expect(error.value).toEqual(value);
  return error;
}

/** A strategy with a boolean, an enum, a bounded float and a required integer without default. */
const toy = defineStrategy({
  name: 'toy',
  version: '1.0.0',
  summary: 'test strategy',
  params: z.strictObject({
    lookback: z.number().int().min(2).max(4),
    useFilter: z.boolean().default(true),
    side: z.enum(['long', 'both']).default('both'),
    weight: z.number().min(0).max(1).default(0.5),
  }),
  indicators: (p) => ({ sma: [p.lookback] }),
  warmup: (p) => p.lookback,
  evaluate(_f, _i, out) {
    setFlat(out, 'toy');
  },
});

const narrowed: SpaceNarrowing = {
  fastPeriod: { min: 10, max: 30, step: 10 },
  slowPeriod: { values: [20, 50] },
  atrPeriod: 14,
  atrStopMultiple: { min: 1, max: 2, step: 0.5 },
};

describe('searchSpaceOf', () => {
  it('derives the ma-crossover space from its zod schema: periods 1..10000 step 1, the open-ended ATR multiple fixed at its default', () => {
    const space = searchSpaceOf(maCrossover);
    expect(space.strategy).toBe('ma-crossover');
    expect(space.dimensions).toEqual([
      { name: 'fastPeriod', kind: 'range', min: 1, max: 10_000, step: 1, integer: true, count: 10_000 },
      { name: 'slowPeriod', kind: 'range', min: 1, max: 10_000, step: 1, integer: true, count: 10_000 },
      { name: 'atrPeriod', kind: 'range', min: 1, max: 10_000, step: 1, integer: true, count: 10_000 },
      // positive() has no maximum: nothing to span until the user narrows it.
      { name: 'atrStopMultiple', kind: 'fixed', value: 2, count: 1 },
    ]);
    // 10^4 * 10^4 * 10^4 * 1
    expect(spaceSize(space)).toBe(1e12);
  });

  it('moves exclusive float bounds one default step inside: RSI levels 0 < x < 100 give 10..90 step 10', () => {
    const oversold = searchSpaceOf(rsiMeanReversion).dimensions.find((d) => d.name === 'oversold');
    // step = (100 - 0) / 10 = 10; min = 0 + 10; max = 100 - 10; count = (90 - 10) / 10 + 1 = 9
    expect(oversold).toEqual({ name: 'oversold', kind: 'range', min: 10, max: 90, step: 10, integer: false, count: 9 });
  });

  it('spans booleans and enums, cuts a bounded float into 10 steps and needs no default for a bounded integer', () => {
    const space = searchSpaceOf(toy);
    expect(space.dimensions).toEqual([
      { name: 'lookback', kind: 'range', min: 2, max: 4, step: 1, integer: true, count: 3 },
      { name: 'useFilter', kind: 'values', values: [false, true], count: 2 },
      { name: 'side', kind: 'values', values: ['long', 'both'], count: 2 },
      // step (1 - 0) / 10 = 0.1 -> 0, 0.1, ..., 1: 11 values
      { name: 'weight', kind: 'range', min: 0, max: 1, step: 0.1, integer: false, count: 11 },
    ]);
    // 3 * 2 * 2 * 11
    expect(spaceSize(space)).toBe(132);
    // 0 + 3 * 0.1 is 0.30000000000000004 in floating point; values are rounded to 12 significant digits.
    expect(dimensionValue(space.dimensions[3], 3)).toBe(0.3);
    expect(dimensionValue(space.dimensions[3], 10)).toBe(1);
  });

  it('applies the user narrowing: a stepped range, a list, a fixed value and a float range', () => {
    const space = searchSpaceOf(maCrossover, narrowed);
    expect(space.dimensions).toEqual([
      { name: 'fastPeriod', kind: 'range', min: 10, max: 30, step: 10, integer: true, count: 3 },
      { name: 'slowPeriod', kind: 'values', values: [20, 50], count: 2 },
      { name: 'atrPeriod', kind: 'fixed', value: 14, count: 1 },
      { name: 'atrStopMultiple', kind: 'range', min: 1, max: 2, step: 0.5, integer: false, count: 3 },
    ]);
    // 3 * 2 * 1 * 3
    expect(spaceSize(space)).toBe(18);
  });

  it('defaults the step of a narrowed float range to a tenth of it and includes max only when it lies on the grid', () => {
    const space = searchSpaceOf(maCrossover, { atrStopMultiple: { min: 0.5, max: 1.5 }, fastPeriod: { min: 1, max: 10, step: 4 } });
    const atr = space.dimensions[3];
    // step (1.5 - 0.5) / 10 = 0.1 -> 11 values 0.5 .. 1.5
    expect(atr).toMatchObject({ min: 0.5, max: 1.5, step: 0.1, count: 11 });
    expect(Array.from({ length: 11 }, (_, k) => dimensionValue(atr, k))).toEqual([0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5]);
    // 1, 5, 9 (13 would pass max 10)
    expect(space.dimensions[0].count).toBe(3);
    expect(dimensionValue(space.dimensions[0], 2)).toBe(9);
  });

  it('counts a fine float range despite rounding: 0.001..1000 step 0.001 holds 1,000,000 values', () => {
    const atr = searchSpaceOf(maCrossover, { atrStopMultiple: { min: 0.001, max: 1000, step: 0.001 } }).dimensions[3];
    // (1000 - 0.001) / 0.001 = 999999 (computed as 999998.99999…), + 1
    expect(atr.count).toBe(1_000_000);
    expect(dimensionValue(atr, 999_999)).toBe(1000);
    expect(dimensionValue(atr, 1234)).toBe(1.235);
  });

  it('takes the strategy from the catalog and names an unknown one', () => {
    const catalog = createBuiltInCatalog();
    expect(searchSpaceFromCatalog(catalog, 'ma-crossover', narrowed).dimensions).toEqual(searchSpaceOf(maCrossover, narrowed).dimensions);
    const error = caught(() => searchSpaceFromCatalog(catalog, 'moon-shot'));
    expect(error.field).toBe('strategy');
    expect(error.value).toBe('moon-shot');
  });

  describe('refuses a bad narrowing, naming the field and the value', () => {
    it('an inverted range', () => {
      const error = expectRefused({ fastPeriod: { min: 30, max: 10 } }, 'space.fastPeriod.min', 30);
      expect(error.message).toBe('field "space.fastPeriod.min" was 30: empty range: min 30 is above max 10');
    });
    it('bounds outside the schema range', () => {
      expectRefused({ fastPeriod: { min: 0, max: 10 } }, 'space.fastPeriod.min', 0);
      const error = expectRefused({ slowPeriod: { min: 10, max: 20_000 } }, 'space.slowPeriod.max', 20_000);
      expect(error.message).toContain('must be an integer in 1..10000');
      expectRefused({ atrStopMultiple: { min: -1, max: 2 } }, 'space.atrStopMultiple.min', -1);
    });
    it('an unknown parameter', () => {
      const error = expectRefused({ fastPeriod: 5, colour: { values: ['red'] } }, 'space.colour', { values: ['red'] });
      expect(error.message).toContain('ma-crossover has no parameter colour; expected one of fastPeriod, slowPeriod, atrPeriod, atrStopMultiple');
    });
    it('an empty or repeated list of values and a value the schema refuses', () => {
      expectRefused({ slowPeriod: { values: [] } }, 'space.slowPeriod.values', []);
      expectRefused({ slowPeriod: { values: [20, 30, 20] } }, 'space.slowPeriod.values.2', 20);
      expectRefused({ slowPeriod: { values: [20, 2.5] } }, 'space.slowPeriod.values.1', 2.5);
    });
    it('a fixed value the schema refuses', () => {
      expectRefused({ fastPeriod: 1.5 }, 'space.fastPeriod', 1.5);
      expectRefused({ atrStopMultiple: 0 }, 'space.atrStopMultiple', 0);
    });
    it('a bad step', () => {
      expectRefused({ fastPeriod: { min: 1, max: 9, step: 0 } }, 'space.fastPeriod.step', 0);
      expectRefused({ fastPeriod: { min: 1, max: 9, step: 0.5 } }, 'space.fastPeriod.step', 0.5);
    });
    it('a non-numeric bound, an unknown field of a range and a range on a boolean', () => {
      expectRefused({ fastPeriod: { min: '1', max: 9 } as never }, 'space.fastPeriod.min', '1');
      expectRefused({ fastPeriod: { min: 1, max: 9, by: 2 } as never }, 'space.fastPeriod.by', 2);
      const error = caught(() => searchSpaceOf(toy, { useFilter: { min: 0, max: 1 } }));
      expect([error.field, error.value]).toEqual(['space.useFilter', { min: 0, max: 1 }]);
    });
    it('a narrowing that is not an object', () => {
      expect(caught(() => searchSpaceOf(maCrossover, [] as never)).field).toBe('space');
    });
  });
});

describe('gridCandidates', () => {
  it('lists every combination, last parameter fastest, skipping and counting those failing fastPeriod < slowPeriod', () => {
    const { candidates, skipped } = gridCandidates(searchSpaceOf(maCrossover, narrowed));
    // 18 combinations; fast 20 with slow 20 and fast 30 with slow 20 fail the check, 3 ATR multiples each: 6 skipped.
    expect(skipped).toBe(6);
    expect(candidates.map((c) => [c.fastPeriod, c.slowPeriod, c.atrStopMultiple])).toEqual([
      [10, 20, 1],
      [10, 20, 1.5],
      [10, 20, 2],
      [10, 50, 1],
      [10, 50, 1.5],
      [10, 50, 2],
      [20, 50, 1],
      [20, 50, 1.5],
      [20, 50, 2],
      [30, 50, 1],
      [30, 50, 1.5],
      [30, 50, 2],
    ]);
    expect(candidates[0]).toEqual({ fastPeriod: 10, slowPeriod: 20, atrPeriod: 14, atrStopMultiple: 1 });
  });

  it('refuses a grid larger than maxTrials, naming maxTrials and giving the space size', () => {
    const space = searchSpaceOf(maCrossover, { fastPeriod: { min: 1, max: 200 }, slowPeriod: { min: 1, max: 100 }, atrPeriod: 14 });
    expect(DEFAULT_MAX_TRIALS).toBe(10_000);
    // 200 * 100 = 20000 > 10000
    const error = caught(() => gridCandidates(space));
    expect(error.field).toBe('maxTrials');
    expect(error.value).toBe(10_000);
    expect(error.message).toContain('holds 20000 combinations, above the maximum of 10000 trials');
    expect(caught(() => checkGridSize(searchSpaceOf(maCrossover, narrowed), 17)).message).toContain('holds 18 combinations');
    expect(() => checkGridSize(searchSpaceOf(maCrossover, narrowed), 18)).not.toThrow();
    expect(caught(() => gridCandidates(space, { maxTrials: 0 })).field).toBe('maxTrials');
  });
});

describe('randomCandidates', () => {
  // fast 1..5 x slow {3, 6}: 10 combinations; valid (fast < slow): slow 3 -> fast 1, 2; slow 6 -> fast 1..5: 7.
  const small = searchSpaceOf(maCrossover, { fastPeriod: { min: 1, max: 5 }, slowPeriod: { values: [3, 6] }, atrPeriod: 14 });
  const key = (c: Readonly<Record<string, unknown>>) => `${String(c.fastPeriod)}/${String(c.slowPeriod)}`;

  it('is reproducible: the same seed gives the same candidates in the same order', () => {
    const a = randomCandidates(small, 4, 42);
    expect(a.candidates).toHaveLength(4);
    expect(randomCandidates(small, 4, 42)).toEqual(a);
    expect(new Set(a.candidates.map(key)).size).toBe(4);
  });

  it('draws without repeats: asking for more than the space returns each valid combination once', () => {
    const { candidates, skipped } = randomCandidates(small, 20, 7);
    expect(skipped).toBe(3);
    expect(candidates.map(key).sort()).toEqual(['1/3', '1/6', '2/3', '2/6', '3/6', '4/6', '5/6']);
  });

  it('samples a space too large to shuffle dimension by dimension, still reproducible and without repeats', () => {
    const space = searchSpaceOf(maCrossover);
    const { candidates, skipped } = randomCandidates(space, 50, 1);
    expect(candidates).toHaveLength(50);
    expect(new Set(candidates.map((c) => `${key(c)}/${String(c.atrPeriod)}`)).size).toBe(50);
    for (const c of candidates) expect(c.fastPeriod as number).toBeLessThan(c.slowPeriod as number);
    expect(skipped).toBeGreaterThan(0);
    expect(randomCandidates(space, 50, 1)).toEqual({ candidates, skipped });
  });

  it('stops after 100,000 draws when the strategy refuses almost every combination', () => {
    const picky = defineStrategy({
      name: 'picky',
      version: '1.0.0',
      summary: 'accepts only n = 7',
      params: z.strictObject({ n: z.number().int().min(1).max(200_000).default(7) }),
      check(p) {
        if (p.n !== 7) throw new ValidationError('n', p.n, 'only 7');
      },
      indicators: () => ({}),
      warmup: () => 0,
      evaluate(_f, _i, out) {
        setFlat(out, 'picky');
      },
    });
    const { candidates, skipped } = randomCandidates(searchSpaceOf(picky), 5, 3);
    // max(100 * 5, 100000) = 100000 draws of 200000 positions: either n = 7 was among them or not.
    expect(candidates.length + skipped).toBe(100_000);
    expect(candidates.every((c) => c.n === 7)).toBe(true);
  });

  it('refuses a trial count outside 1..maxTrials and a fractional seed', () => {
    expect([caught(() => randomCandidates(small, 0, 1)).field, caught(() => randomCandidates(small, 0, 1)).value]).toEqual(['trials', 0]);
    expect(caught(() => randomCandidates(small, 10_001, 1)).message).toBe('field "trials" was 10001: above the maximum of 10000 trials');
    expect(caught(() => randomCandidates(small, 5, 1, { maxTrials: 4 })).field).toBe('trials');
    expect([caught(() => randomCandidates(small, 5, 1.5)).field, caught(() => randomCandidates(small, 5, 1.5)).value]).toEqual(['seed', 1.5]);
  });
});
