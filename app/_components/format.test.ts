import { describe, expect, it } from 'vitest';
import { fmtAmount, fmtPrice, priceDigits } from './format';

describe('price and amount formatting', () => {
  it('shows prices with six significant digits, between 2 and 8 decimals', () => {
    expect(fmtPrice(60123.456)).toBe('60,123.46');
    expect(fmtPrice(101.23456)).toBe('101.235');
    expect(fmtPrice(50.123456)).toBe('50.1235');
    expect(fmtPrice(0.012345678)).toBe('0.0123457');
    expect(priceDigits(0)).toBe(2);
    expect(fmtPrice(null)).toBe('—');
  });

  it('shows amounts without trailing zeros', () => {
    expect(fmtAmount(25)).toBe('25');
    expect(fmtAmount(1.5)).toBe('1.5');
    expect(fmtAmount(0.015)).toBe('0.015');
    expect(fmtAmount(1234.5)).toBe('1,234.5');
    expect(fmtAmount(Number.NaN)).toBe('—');
  });
});
