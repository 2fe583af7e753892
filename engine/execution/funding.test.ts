import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { fundingPayment, fundingRateIndexAt, normalizeFundingRates, parseFundingRateCsv } from './funding';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = path.join(process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data'), 'binance-usdm');
const fundingCsv = path.join(dataDir, 'XRPUSDT_funding_8h.csv');
const hasData = fs.existsSync(fundingCsv);
const H8 = 8 * 3_600_000;

describe('normalizeFundingRates', () => {
  it('rounds settlement jitter down to the interval, sorts, and lets the later duplicate win', () => {
    const series = normalizeFundingRates(
      'X',
      { timestampsMs: [1637222400007, 1637193600017, 1637193600000], rates: [0.0002, 0.0001, 0.0005] },
      H8,
    );
    // 1637193600017 and 1637193600000 both round to 1637193600000; the later stamp (…017) wins with 0.0001
    expect([...series.timesMs]).toEqual([1637193600000, 1637222400000]);
    expect([...series.rates]).toEqual([0.0001, 0.0002]);
  });

  it('accepts a Map and rejects a non-finite rate naming the symbol', () => {
    const series = normalizeFundingRates('X', new Map([[H8, -0.0003]]), H8);
    expect([...series.rates]).toEqual([-0.0003]);
    expect(() => normalizeFundingRates('X', new Map([[H8, Number.NaN]]), H8)).toThrow(ValidationError);
  });
});

describe('fundingRateIndexAt', () => {
  const series = normalizeFundingRates('X', { timestampsMs: [0, H8, 2 * H8], rates: [1, 2, 3] }, H8);

  it('returns the latest settlement at or before the time, walking forward from a hint', () => {
    expect(fundingRateIndexAt(series, -1, -1)).toBe(-1);
    expect(fundingRateIndexAt(series, 0, -1)).toBe(0);
    expect(fundingRateIndexAt(series, H8 - 1, 0)).toBe(0);
    expect(fundingRateIndexAt(series, H8, 0)).toBe(1);
    expect(fundingRateIndexAt(series, 10 * H8, 1)).toBe(2);
  });

  it('binary-searches when time moves before the hint', () => {
    expect(fundingRateIndexAt(series, H8 + 5, 2)).toBe(1);
  });
});

describe('fundingPayment', () => {
  it('makes longs pay and shorts receive on a positive rate, and the reverse on a negative one', () => {
    // -Side * Size * mark * rate: long 2 @ 100, rate 0.0001 -> -0.02; short -> +0.02
    expect(fundingPayment(1, 2, 100, 0.0001)).toBeCloseTo(-0.02, 15);
    expect(fundingPayment(-1, 2, 100, 0.0001)).toBeCloseTo(0.02, 15);
    expect(fundingPayment(1, 2, 100, -0.0001)).toBeCloseTo(0.02, 15);
  });
});

describe('parseFundingRateCsv', () => {
  it('parses the shared-data format and rejects a malformed line', () => {
    const parsed = parseFundingRateCsv('timestamp_ms,funding_rate\n1637193600017,0.0001\n1637222400007,-0.00219334\n');
    expect([...parsed.timestampsMs]).toEqual([1637193600017, 1637222400007]);
    expect([...parsed.rates]).toEqual([0.0001, -0.00219334]);
    expect(() => parseFundingRateCsv('timestamp_ms,funding_rate\nabc,0.1\n')).toThrow(ValidationError);
  });
});

if (hasData) {
  describe('real XRPUSDT funding history', () => {
    it('normalises 91 settlements onto consecutive 8h boundaries with the 2021-12-04 outlier intact', () => {
      const raw = parseFundingRateCsv(fs.readFileSync(fundingCsv, 'utf8'));
      const series = normalizeFundingRates('XRPUSDT', raw, H8);
      expect(series.timesMs.length).toBe(91);
      expect(series.timesMs[0]).toBe(1637193600000); // 2021-11-18 00:00 UTC
      for (let i = 1; i < series.timesMs.length; i++) expect(series.timesMs[i] - series.timesMs[i - 1]).toBe(H8);
      // 1638604800004 -> 2021-12-04 08:00:00.004 UTC
      const i = fundingRateIndexAt(series, Date.UTC(2021, 11, 4, 8, 0, 0), -1);
      expect(series.rates[i]).toBe(-0.00219334);
    });
  });
} else {
  describe('real XRPUSDT funding history', () => {
    it('needs no shared data when it is absent', () => {
      console.log(`shared data not found at ${dataDir}: real-data suite not run`);
      expect(hasData).toBe(false);
    });
  });
}
