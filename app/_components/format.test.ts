import { describe, expect, it } from 'vitest';
import { amountColumnDecimals, decimalsOfStep, fmtAmount, fmtDuration, fmtFractionPct, fmtMoney, fmtNumber, fmtPct, fmtPrice, fmtR, formatNumber, netPnlClass, priceDigits, significantDecimals } from './format';

describe('price and amount formatting', () => {
  it("shows prices with the market's price decimals when the venue gives them", () => {
    expect(fmtPrice(64168.674829, { priceDecimals: 2 })).toBe('64,168.67');
    expect(fmtPrice(64168.6, { priceDecimals: 2 })).toBe('64,168.60');
    expect(fmtPrice(0.11320417992690522, { priceDecimals: 5 })).toBe('0.11320');
    expect(fmtPrice(0.11320417992690522, { priceDecimals: 4 })).toBe('0.1132');
    expect(fmtPrice(27.125, { priceDecimals: 0 })).toBe('27');
    expect(fmtPrice(0.000012345678, { priceDecimals: 8 })).toBe('0.00001235');
  });

  it('falls back to six significant digits, between 2 and 8 decimals, without a precision', () => {
    expect(fmtPrice(64168.674829)).toBe('64,168.67');
    expect(fmtPrice(0.11320417992690522)).toBe('0.113204');
    expect(fmtPrice(60123.456)).toBe('60,123.46');
    expect(fmtPrice(101.23456)).toBe('101.235');
    expect(fmtPrice(50.123456)).toBe('50.1235');
    expect(fmtPrice(0.012345678)).toBe('0.0123457');
    expect(fmtPrice(0.000000012345)).toBe('0.00000001');
    expect(fmtPrice(64168.674829, { priceDecimals: null })).toBe('64,168.67');
    expect(fmtPrice(64168.674829, { priceDecimals: 1.5 })).toBe('64,168.67');
    expect(priceDigits(0)).toBe(2);
    expect(fmtPrice(null)).toBe('—');
    expect(fmtPrice(Number.NaN)).toBe('—');
  });

  it("shows amounts with the market's amount decimals, trailing zeros dropped", () => {
    expect(fmtAmount(0.11320417992690522, { amountDecimals: 3 })).toBe('0.113');
    expect(fmtAmount(1.5, { amountDecimals: 4 })).toBe('1.5');
    expect(fmtAmount(1234.56789, { amountDecimals: 2 })).toBe('1,234.57');
    expect(fmtAmount(12.9, { amountDecimals: 0 })).toBe('13');
  });

  it('falls back to six significant digits and at most 8 decimals for amounts', () => {
    expect(fmtAmount(0.11320417992690522)).toBe('0.113204');
    expect(fmtAmount(64168.674829)).toBe('64,168.7');
    expect(fmtAmount(25)).toBe('25');
    expect(fmtAmount(1.5)).toBe('1.5');
    expect(fmtAmount(0.015)).toBe('0.015');
    expect(fmtAmount(1234.5)).toBe('1,234.5');
    expect(fmtAmount(0.000000001234)).toBe('0');
    expect(fmtAmount(Number.NaN)).toBe('—');
  });

  it('reads decimals from a tick or step size', () => {
    expect(decimalsOfStep(0.01)).toBe(2);
    expect(decimalsOfStep(0.5)).toBe(1);
    expect(decimalsOfStep(1)).toBe(0);
    expect(decimalsOfStep(10)).toBe(0);
    expect(decimalsOfStep(1e-8)).toBe(8);
    expect(decimalsOfStep(0.00025)).toBe(5);
    expect(decimalsOfStep(0)).toBeNull();
    expect(decimalsOfStep(Number.NaN)).toBeNull();
    expect(significantDecimals(123.456, 4, 0, 8)).toBe(1);
  });

  it('shows money with two grouped decimals and the sign', () => {
    expect(fmtMoney(-2376.544)).toBe('-2,376.54');
    expect(fmtMoney(0.005)).toBe('0.01');
    expect(fmtMoney(42)).toBe('42.00');
    expect(fmtMoney(null)).toBe('—');
    expect(fmtNumber(Infinity)).toBe('∞');
    expect(fmtNumber(-Infinity)).toBe('-∞');
    expect(formatNumber(0.35123456, 4)).toBe('0.3512');
    expect(formatNumber(12345.5, 2)).toBe('12345.5');
  });

  it('colours only a winning net PnL green', () => {
    expect(netPnlClass(0.01)).toBe('num pos');
    expect(netPnlClass(0)).toBe('num');
    expect(netPnlClass(-0.01)).toBe('num neg');
  });
});

describe('duration display', () => {
  it('shows durations in human units, at most two', () => {
    expect(fmtDuration(5_400_000)).toBe('1h 30m');
    expect(fmtDuration(45_000)).toBe('45s');
    expect(fmtDuration(250)).toBe('250ms');
    expect(fmtDuration(5_415_000)).toBe('1h 30m');
    expect(fmtDuration(5_431_000)).toBe('1h 31m');
    expect(fmtDuration(300_000)).toBe('5m');
    expect(fmtDuration(90_061_000)).toBe('1d 1h');
    expect(fmtDuration(0)).toBe('0s');
    expect(fmtDuration(-1)).toBe('—');
    expect(fmtDuration(null)).toBe('—');
  });
});

describe('R multiples', () => {
  it('shows an R multiple with two decimals and its unit, an em dash when unknown', () => {
    expect(fmtR(1.94)).toBe('1.94 R');
    expect(fmtR(-0.755)).toBe('-0.76 R'); // rounded half away from zero by Intl.NumberFormat
    expect(fmtR(12_345.5)).toBe('12,345.50 R');
    expect(fmtR(null)).toBe('—');
    expect(fmtR(NaN)).toBe('—');
  });
});

describe('percentages', () => {
  it('writes a percentage with its decimals and the sign straight after, as the engine messages do', () => {
    expect(fmtPct(-13.6)).toBe('-13.60%');
    expect(fmtPct(0)).toBe('0.00%');
    expect(fmtPct(1234.5, 1)).toBe('1,234.5%');
    expect(fmtPct(50, 0)).toBe('50%');
    expect(fmtPct(null)).toBe('—');
    expect(fmtPct(Number.NaN)).toBe('—');
    expect(fmtPct(Infinity)).toBe('∞');
  });

  it('turns a fraction into a percentage', () => {
    expect(fmtFractionPct(-0.136)).toBe('-13.60%');
    expect(fmtFractionPct(0.0123, 1)).toBe('1.2%');
    expect(fmtFractionPct(0.5, 0)).toBe('50%');
    expect(fmtFractionPct(1)).toBe('100.00%');
    expect(fmtFractionPct(null)).toBe('—');
    expect(fmtFractionPct(undefined)).toBe('—');
  });
});

describe('amount columns', () => {
  it('gives a column of amounts the decimals its most precise amount needs, so the rows line up', () => {
    // Six significant digits: 0.13352 and 0.146845 need 6 decimals, 25 needs 4; the column takes the most.
    const decimals = amountColumnDecimals([0.13352, 0.146845, 25]);
    expect(decimals).toBe(6);
    expect([0.13352, 0.146845, 25].map((a) => fmtNumber(a, decimals))).toEqual(['0.133520', '0.146845', '25.000000']);
    expect(amountColumnDecimals([1500, 2, Number.NaN])).toBe(5);
    expect(amountColumnDecimals([0.000000012345])).toBe(8);
    expect(amountColumnDecimals([])).toBe(0);
  });

  it("uses the market's amount decimals when the venue gives them", () => {
    expect(amountColumnDecimals([0.13352, 0.146845], { amountDecimals: 3 })).toBe(3);
    expect(amountColumnDecimals([0.13352], { amountDecimals: null })).toBe(6);
  });
});
