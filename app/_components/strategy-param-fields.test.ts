import { describe, expect, it } from 'vitest';
import { paramFieldsOf, paramValueOf } from './strategy-param-fields';

describe('strategy parameter fields from a params JSON Schema', () => {
  const schema = {
    type: 'object',
    properties: {
      period: { type: 'integer', minimum: 1, maximum: 10000, default: 20 },
      atrStopMultiple: { type: 'number', exclusiveMinimum: 0, default: 2 },
      shorts: { type: 'boolean', default: false },
      mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
      note: { type: 'string' },
    },
  };

  it('gives each property its control, bounds and default in property order', () => {
    expect(paramFieldsOf(schema)).toEqual([
      { name: 'period', kind: 'integer', defaultValue: 20, min: 1, max: 10000 },
      { name: 'atrStopMultiple', kind: 'number', defaultValue: 2, min: 0 },
      { name: 'shorts', kind: 'boolean', defaultValue: false },
      { name: 'mode', kind: 'enum', defaultValue: 'fast', options: ['fast', 'slow'] },
      { name: 'note', kind: 'text', defaultValue: undefined },
    ]);
    expect(paramFieldsOf({})).toEqual([]);
  });

  it('turns typed text into the value the engine checks (text that is not a number stays text, so the engine names it)', () => {
    const [period, , shorts, mode] = paramFieldsOf(schema);
    expect(paramValueOf(period, '12')).toBe(12);
    expect(paramValueOf(period, '12x')).toBe('12x');
    expect(paramValueOf(shorts, 'true')).toBe(true);
    expect(paramValueOf(shorts, 'false')).toBe(false);
    expect(paramValueOf(mode, 'slow')).toBe('slow');
  });
});
