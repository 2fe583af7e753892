import { describe, expect, it } from 'vitest';
import { gridSize, narrowingOf, spaceFieldOf, spaceOf, valueCount, type SpaceField } from './space-fields';

const field = (over: Partial<SpaceField>): SpaceField => ({ name: 'p', kind: 'integer', mode: 'range', min: '', max: '', step: '', values: '', fixed: '', ...over });

describe('study space fields', () => {
  it('prefills a range parameter with the derived bounds and step, and the saved value as its fixed value', () => {
    expect(spaceFieldOf({ name: 'fastPeriod', kind: 'range', min: 1, max: 10000, step: 1, integer: true }, { kind: 'integer' }, 20)).toEqual({
      name: 'fastPeriod',
      kind: 'integer',
      mode: 'range',
      min: '1',
      max: '10000',
      step: '1',
      values: '',
      fixed: '20',
    });
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
