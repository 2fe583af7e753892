import { describe, expect, it } from 'vitest';
import { gridSize, narrowingOf, rangeAround, spaceFieldOf, spaceOf, valueCount, type SpaceField } from './space-fields';

const field = (over: Partial<SpaceField>): SpaceField => ({ name: 'p', kind: 'integer', mode: 'range', min: '', max: '', step: '', values: '', fixed: '', ...over });

describe('study space fields', () => {
  it('prefills a range parameter with five values around the saved setting, and the saved value as its fixed value', () => {
    // 20 ± 1 and 2 steps of a quarter of it (5): 10, 15, 20, 25, 30, not the schema's 1–10,000.
    expect(spaceFieldOf({ name: 'fastPeriod', kind: 'range', min: 1, max: 10000, step: 1, integer: true }, { kind: 'integer' }, 20)).toEqual({
      name: 'fastPeriod',
      kind: 'integer',
      mode: 'range',
      min: '10',
      max: '30',
      step: '5',
      values: '',
      fixed: '20',
    });
    expect(gridSize([spaceFieldOf({ name: 'fastPeriod', kind: 'range', min: 1, max: 10000, step: 1, integer: true }, { kind: 'integer' }, 20)])).toBe(5);
  });

  it('rounds the step to whole derived steps and clips the range to the bounds', () => {
    const period = { name: 'p', kind: 'range', min: 2, max: 10000, step: 1, integer: true } as const;
    // 14 / 4 = 3.5 -> 4: 6, 10, 14, 18, 22.
    expect(rangeAround(period, 14)).toEqual({ min: 6, max: 22, step: 4 });
    // 50 / 4 = 12.5 -> 13: 24 .. 76.
    expect(rangeAround(period, 50)).toEqual({ min: 24, max: 76, step: 13 });
    // 3: a step of 1 (0.75 rounds to 1); 3 - 2 = 1 is below the bound 2: from 2.
    expect(rangeAround(period, 3)).toEqual({ min: 2, max: 5, step: 1 });
    // A multiple of 2 (a float with the derived step 0.1): 0.5 apart, 1 .. 3.
    expect(rangeAround({ name: 'm', kind: 'range', min: 0.1, max: 100, step: 0.1, integer: false }, 2)).toEqual({ min: 1, max: 3, step: 0.5 });
    // A float range without a step: a quarter as is. 0.3 ± 2 x 0.075 = 0.15 .. 0.45 (no binary noise).
    expect(rangeAround({ name: 'x', kind: 'range', min: 0, max: 1, step: 0, integer: false }, 0.3)).toEqual({ min: 0.15, max: 0.45, step: 0.075 });
    // Near the top: clipped to max.
    expect(rangeAround({ name: 'q', kind: 'range', min: 1, max: 100, step: 1, integer: true }, 96)).toEqual({ min: 48, max: 100, step: 24 });
  });

  it('keeps the derived range when the saved setting is not a number inside it above 0', () => {
    const period = { name: 'p', kind: 'range', min: 1, max: 10000, step: 1, integer: true } as const;
    for (const saved of [undefined, 0, -5, 20000, 'x', Number.NaN]) expect(rangeAround(period, saved)).toBeNull();
    expect(spaceFieldOf(period, { kind: 'integer' }, undefined)).toMatchObject({ min: '1', max: '10000', step: '1' });
  });

  it('prefills a values parameter with its list and a fixed parameter with its value', () => {
    expect(spaceFieldOf({ name: 'on', kind: 'values', values: [false, true] }, { kind: 'boolean' }, undefined)).toMatchObject({ mode: 'values', values: 'false, true', fixed: '' });
    expect(spaceFieldOf({ name: 'mult', kind: 'fixed', value: 2.5 }, { kind: 'number' }, undefined)).toMatchObject({ mode: 'fixed', fixed: '2.5' });
  });

  it('turns the inputs into the engine narrowing forms', () => {
    expect(narrowingOf(field({ min: '5', max: '15', step: '5' }))).toEqual({ min: 5, max: 15, step: 5 });
    expect(narrowingOf(field({ min: '5', max: '15' }))).toEqual({ min: 5, max: 15 });
    // Text that is not a number goes through as typed, so the engine names the field.
    expect(narrowingOf(field({ min: 'abc', max: '15' }))).toEqual({ min: 'abc', max: 15 });
    expect(narrowingOf(field({ mode: 'values', values: '10, 20,,30 ' }))).toEqual({ values: [10, 20, 30] });
    expect(narrowingOf(field({ kind: 'boolean', mode: 'values', values: 'true, false' }))).toEqual({ values: [true, false] });
    expect(narrowingOf(field({ mode: 'fixed', fixed: '14' }))).toBe(14);
    expect(narrowingOf(field({ mode: 'fixed', fixed: ' ' }))).toBeUndefined();
  });

  it('builds the space, leaving blank fixed values out', () => {
    expect(spaceOf([field({ name: 'a', min: '1', max: '3' }), field({ name: 'b', mode: 'fixed', fixed: '' }), field({ name: 'c', kind: 'enum', mode: 'fixed', fixed: 'x' })])).toEqual({
      a: { min: 1, max: 3 },
      c: 'x',
    });
  });

  it('counts the values of a range as the engine does', () => {
    // 5, 10, 15 -> 3; 5, 10 (15 > 14) -> 2; integer blank step 1: 1..10 -> 10.
    expect(valueCount(field({ min: '5', max: '15', step: '5' }))).toBe(3);
    expect(valueCount(field({ min: '5', max: '14', step: '5' }))).toBe(2);
    expect(valueCount(field({ min: '1', max: '10' }))).toBe(10);
    // A float with a blank step is cut into 10 steps: 11 values; 0.1 steps from 0 to 0.3 -> 4 despite rounding.
    expect(valueCount(field({ kind: 'number', min: '0', max: '1' }))).toBe(11);
    expect(valueCount(field({ kind: 'number', min: '0', max: '0.3', step: '0.1' }))).toBe(4);
    expect(valueCount(field({ min: '15', max: '5' }))).toBeNull();
    expect(valueCount(field({ min: '1', max: '5', step: '0' }))).toBeNull();
    expect(valueCount(field({ mode: 'values', values: '1, 2, 3' }))).toBe(3);
    expect(valueCount(field({ mode: 'fixed' }))).toBe(1);
  });

  it('multiplies the counts into the grid size, unknown while a range is invalid', () => {
    expect(gridSize([field({ min: '5', max: '15', step: '5' }), field({ min: '30', max: '50', step: '10' }), field({ mode: 'fixed', fixed: '14' })])).toBe(9);
    expect(gridSize([field({ min: '5', max: '15', step: '5' }), field({ min: '50', max: '30' })])).toBeNull();
  });
});
