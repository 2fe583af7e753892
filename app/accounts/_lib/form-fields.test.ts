import { describe, expect, it } from 'vitest';
import { nestFormFields, withBlankRiskLimits } from './form-fields';

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

  it('turns an optional risk limit left blank off and keeps a required one blank, so the engine names it', () => {
    const fields = [{ key: 'maxLeverage' }, { key: 'maxVarFraction', optional: true }, { key: 'varConfidence' }];
    const raw = { id: 'desk', 'risk.maxLeverage': ' ', 'risk.maxVarFraction': '', 'risk.varConfidence': '0.95' };
    const nested = nestFormFields(raw, ['risk.maxLeverage', 'risk.maxVarFraction', 'risk.varConfidence']);
    expect(withBlankRiskLimits(raw, nested, fields)).toEqual({ id: 'desk', risk: { maxLeverage: '', maxVarFraction: null, varConfidence: 0.95 } });
    // Without risk fields in the form (a settings-only post) nothing is added.
    expect(withBlankRiskLimits({ id: 'desk' }, { id: 'desk' }, fields)).toEqual({ id: 'desk' });
  });
});
