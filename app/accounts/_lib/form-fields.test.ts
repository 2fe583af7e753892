import { describe, expect, it } from 'vitest';
import { nestFormFields } from './form-fields';

describe('nestFormFields', () => {
  it('nests dotted names, converts listed number fields and drops empty ones', () => {
    expect(
      nestFormFields({ id: 'desk', 'settings.name': 'Desk', 'settings.leverage': '3', 'settings.makerFeeBps': '', 'risk.maxOpenPositions': '2' }, ['settings.leverage', 'settings.makerFeeBps', 'risk.maxOpenPositions']),
    ).toEqual({ id: 'desk', settings: { name: 'Desk', leverage: 3 }, risk: { maxOpenPositions: 2 } });
  });

  it('keeps a number field that is not a number as the string typed, so the schema names it', () => {
    expect(nestFormFields({ initialBalance: 'ten' }, ['initialBalance'])).toEqual({ initialBalance: 'ten' });
    expect(nestFormFields({ initialBalance: '-5' }, ['initialBalance'])).toEqual({ initialBalance: -5 });
  });

  it('leaves a non-object input alone', () => {
    expect(nestFormFields(null, [])).toBeNull();
    expect(nestFormFields('x', [])).toBe('x');
  });
});
