import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { toColumns } from '../testing/in-memory-repositories';
import { chooseBucketMs, downsampleCandles } from './downsample-candles';

const M5 = 300_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00Z, a multiple of 15 minutes

const rows = [
  { openTimeMs: T0, open: 100, high: 105, low: 99, close: 104, volume: 1 },
  { openTimeMs: T0 + M5, open: 104, high: 110, low: 103, close: 108, volume: 2 },
  { openTimeMs: T0 + 2 * M5, open: 108, high: 109, low: 95, close: 96, volume: 3 },
  { openTimeMs: T0 + 3 * M5, open: 96, high: 98, low: 94, close: 97, volume: 4 },
  // gap: T0 + 4*M5 and T0 + 5*M5 are missing
  { openTimeMs: T0 + 6 * M5, open: 97, high: 99, low: 96, close: 98, volume: 5 },
];

const plain = (c: ReturnType<typeof downsampleCandles>) =>
  Array.from({ length: c.length }, (_, i) => [c.openTimeMs[i], c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]]);

describe('downsampleCandles', () => {
  it('aggregates 5m candles into aligned 15m buckets: first open, max high, min low, last close, summed volume', () => {
    const out = downsampleCandles(toColumns(rows), 3 * M5);
    expect(plain(out)).toEqual([
      [T0, 100, 110, 95, 96, 6],
      [T0 + 3 * M5, 96, 98, 94, 97, 4],
      [T0 + 6 * M5, 97, 99, 96, 98, 5],
    ]);
  });

  it('aligns buckets to the epoch, not to the first candle', () => {
    const out = downsampleCandles(toColumns(rows.slice(1)), 3 * M5);
    expect(plain(out)).toEqual([
      [T0, 104, 110, 95, 96, 5],
      [T0 + 3 * M5, 96, 98, 94, 97, 4],
      [T0 + 6 * M5, 97, 99, 96, 98, 5],
    ]);
  });

  it('returns an identical copy when the bucket equals the candle spacing', () => {
    const out = downsampleCandles(toColumns(rows), M5);
    expect(plain(out)).toEqual(rows.map((r) => [r.openTimeMs, r.open, r.high, r.low, r.close, r.volume]));
  });

  it('returns no candles for no input', () => {
    expect(downsampleCandles(toColumns([]), M5).length).toBe(0);
  });

  it('rejects a bucket that is not a positive duration', () => {
    expect(() => downsampleCandles(toColumns(rows), 0)).toThrow(ValidationError);
    expect(() => downsampleCandles(toColumns(rows), 0)).toThrow('field "bucketMs" was 0');
  });
});

describe('chooseBucketMs', () => {
  it('keeps the timeframe when the range fits the budget', () => {
    // 1 day of 5m candles = 288 candles <= 2000
    expect(chooseBucketMs(M5, T0, T0 + 86_400_000, 2_000)).toBe(M5);
  });

  it('picks the smallest multiple of the timeframe that fits, leaving room for two partial edge buckets', () => {
    // 30 days of 5m = 8640 candles; ceil(8640 / 1998) = 5 -> 25 minutes
    expect(chooseBucketMs(M5, T0, T0 + 30 * 86_400_000, 2_000)).toBe(5 * M5);
    // 10 candles into 4 points: ceil(10 / 2) = 5
    expect(chooseBucketMs(M5, T0, T0 + 10 * M5, 4)).toBe(5 * M5);
  });

  it('names the field for a bad budget or range', () => {
    expect(() => chooseBucketMs(M5, T0, T0 + M5, 5_000)).toThrow('field "maxPoints" was 5000');
    expect(() => chooseBucketMs(M5, T0, T0, 100)).toThrow(`field "toMs" was ${T0}`);
  });
});
