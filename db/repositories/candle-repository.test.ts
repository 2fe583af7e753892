import { describe, expect, it } from 'vitest';
import { RepositoryError } from '../../engine/core/errors';
import { candleColumnsFromBytes, inOpenTimeOrder } from './candle-repository';

/** Big-endian IEEE 754 doubles, as PostgreSQL's float8send writes them. */
function float8Bytes(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v));
  return bytes;
}

const plain = (c: ReturnType<typeof candleColumnsFromBytes>) => ({
  length: c.length,
  openTimeMs: [...c.openTimeMs],
  open: [...c.open],
  high: [...c.high],
  low: [...c.low],
  close: [...c.close],
  volume: [...c.volume],
});

describe('candle columns read as bytes', () => {
  it('decodes each column of big-endian doubles exactly, and no candle as empty columns', () => {
    // 0.1 and 42283.58 have no exact binary form: the bits round-trip, so the doubles are the very same.
    const row = {
      openTimeMs: float8Bytes([1_704_067_200_000, 1_704_067_500_000]),
      open: float8Bytes([42283.58, 0.1]),
      high: float8Bytes([42397.23, 0.2]),
      low: float8Bytes([42261.02, 0.05]),
      close: float8Bytes([42397.23, 0.15]),
      volume: float8Bytes([155.25731, 0]),
    };
    expect(plain(candleColumnsFromBytes(row))).toEqual({
      length: 2,
      openTimeMs: [1_704_067_200_000, 1_704_067_500_000],
      open: [42283.58, 0.1],
      high: [42397.23, 0.2],
      low: [42261.02, 0.05],
      close: [42397.23, 0.15],
      volume: [155.25731, 0],
    });
    const none = { openTimeMs: null, open: null, high: null, low: null, close: null, volume: null };
    expect(plain(candleColumnsFromBytes(none))).toEqual({ length: 0, openTimeMs: [], open: [], high: [], low: [], close: [], volume: [] });
  });

  it('refuses columns of unequal length as corrupt data, naming the column', () => {
    const row = {
      openTimeMs: float8Bytes([1, 2]),
      open: float8Bytes([1, 2]),
      high: float8Bytes([1]),
      low: float8Bytes([1, 2]),
      close: float8Bytes([1, 2]),
      volume: float8Bytes([1, 2]),
    };
    expect(() => candleColumnsFromBytes(row)).toThrow(RepositoryError);
    expect(() => candleColumnsFromBytes(row)).toThrow('candle column "high" has 8 bytes for 2 open times');
  });

  it('keeps columns already in open-time order as they are and sorts every column by open time otherwise', () => {
    const ordered = { length: 2, openTimeMs: Float64Array.of(1, 2), open: Float64Array.of(10, 20), high: Float64Array.of(11, 21), low: Float64Array.of(9, 19), close: Float64Array.of(10.5, 20.5), volume: Float64Array.of(1, 2) };
    expect(inOpenTimeOrder(ordered)).toBe(ordered);
    const shuffled = { length: 3, openTimeMs: Float64Array.of(3, 1, 2), open: Float64Array.of(30, 10, 20), high: Float64Array.of(31, 11, 21), low: Float64Array.of(29, 9, 19), close: Float64Array.of(30.5, 10.5, 20.5), volume: Float64Array.of(3, 1, 2) };
    expect(plain(inOpenTimeOrder(shuffled))).toEqual({
      length: 3,
      openTimeMs: [1, 2, 3],
      open: [10, 20, 30],
      high: [11, 21, 31],
      low: [9, 19, 29],
      close: [10.5, 20.5, 30.5],
      volume: [1, 2, 3],
    });
  });
});
