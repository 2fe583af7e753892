import { describe, expect, it } from 'vitest';
import type { Candle, Timeframe } from '../core/types';
import { ValidationError } from '../core/errors';
import { createManualClock } from '../core/clock';
import { createInMemoryCandleRepository } from '../testing/in-memory-repositories';
import { downloadCandles, type CandleSource } from './download-candles';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000; // 5m
const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' as const };
/** Long after every fake candle closed. */
const clock = createManualClock(T0 + 100_000 * STEP);

/** A venue with `count` 5m candles from T0; records every request; fails on request number `failOn`. */
function fakeVenue(count: number, failOn = 0) {
  const calls: { sinceMs?: number; limit?: number }[] = [];
  const source: CandleSource = {
    async fetchOhlcv(_symbol: string, _timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]> {
      calls.push({ sinceMs, limit });
      if (calls.length === failOn) throw new Error('connection reset');
      const first = Math.max(0, Math.ceil(((sinceMs ?? T0) - T0) / STEP));
      const out: Candle[] = [];
      for (let i = first; i < count && out.length < (limit ?? 500); i++) {
        out.push({ openTimeMs: T0 + i * STEP, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 5 });
      }
      return out;
    },
  };
  return { source, calls };
}

describe('downloadCandles', () => {
  it('pages through the range 1000 candles at a time, pausing the rate limit between pages', async () => {
    const candles = createInMemoryCandleRepository();
    const { source, calls } = fakeVenue(2_500);
    const sleeps: number[] = [];
    const progress: [number, number][] = [];
    const result = await downloadCandles(
      { key, sinceMs: T0, untilMs: T0 + 2_500 * STEP },
      { source, candles, clock, sleep: async (ms) => void sleeps.push(ms), rateLimitMs: 50, onProgress: (d, t) => void progress.push([d, t]) },
    );
    expect(result).toEqual({ fromMs: T0, pages: 3, fetched: 2_500, inserted: 2_500, lastOpenTimeMs: T0 + 2_499 * STEP });
    expect(calls).toEqual([
      { sinceMs: T0, limit: 1_000 },
      { sinceMs: T0 + 1_000 * STEP, limit: 1_000 },
      { sinceMs: T0 + 2_000 * STEP, limit: 1_000 },
    ]);
    expect(sleeps).toEqual([50, 50]);
    const total = 2_500 * STEP;
    expect(progress).toEqual([[0, total], [1_000 * STEP, total], [2_000 * STEP, total], [total, total], [total, total]]);
    expect(await candles.countCandles(key)).toBe(2_500);
  });

  it('resumes after the last stored candle when a download was interrupted', async () => {
    const candles = createInMemoryCandleRepository();
    const interrupted = fakeVenue(2_500, 3);
    await expect(downloadCandles({ key, sinceMs: T0, untilMs: T0 + 2_500 * STEP }, { source: interrupted.source, candles, clock })).rejects.toThrow('connection reset');
    expect(await candles.countCandles(key)).toBe(2_000);

    const resumed = fakeVenue(2_500);
    const result = await downloadCandles({ key, sinceMs: T0, untilMs: T0 + 2_500 * STEP }, { source: resumed.source, candles, clock });
    expect(resumed.calls[0]).toEqual({ sinceMs: T0 + 2_000 * STEP, limit: 1_000 });
    expect(result).toEqual({ fromMs: T0 + 2_000 * STEP, pages: 1, fetched: 500, inserted: 500, lastOpenTimeMs: T0 + 2_499 * STEP });
    expect(await candles.countCandles(key)).toBe(2_500);
  });

  it('stops when a page brings no newer candle, and keeps candles before until only', async () => {
    const candles = createInMemoryCandleRepository();
    const { source, calls } = fakeVenue(1_200);
    const open = await downloadCandles({ key, sinceMs: T0, untilMs: T0 + 10_000 * STEP }, { source, candles, clock });
    expect(open).toMatchObject({ pages: 3, fetched: 1_200 });
    expect(calls[2]).toEqual({ sinceMs: T0 + 1_200 * STEP, limit: 1_000 });

    const bounded = createInMemoryCandleRepository();
    const result = await downloadCandles({ key, sinceMs: T0 + 10 * STEP, untilMs: T0 + 20 * STEP }, { source: fakeVenue(1_200).source, candles: bounded, clock });
    expect(result).toEqual({ fromMs: T0 + 10 * STEP, pages: 1, fetched: 10, inserted: 10, lastOpenTimeMs: T0 + 19 * STEP });
  });

  it('stores closed candles only: the candle still forming at now waits for the next download', async () => {
    const candles = createInMemoryCandleRepository();
    // Now is 2.5 candles after T0: the venue answers with T0, T0 + 1 step (closed) and T0 + 2 steps (forming, closes at T0 + 3 steps).
    const now = createManualClock(T0 + 2.5 * STEP);
    const first = await downloadCandles({ key, sinceMs: T0, untilMs: T0 + 2.5 * STEP }, { source: fakeVenue(3).source, candles, clock: now });
    expect(first).toEqual({ fromMs: T0, pages: 1, fetched: 2, inserted: 2, lastOpenTimeMs: T0 + STEP });
    const stored = await candles.loadCandles(key, T0, T0 + 10 * STEP);
    expect(Array.from(stored.openTimeMs)).toEqual([T0, T0 + STEP]);
    expect(Array.from(stored.close)).toEqual([101, 102]);

    // At its close time the candle is closed: the next download stores it (with its final prices, here close 103).
    now.set(T0 + 3 * STEP);
    const next = await downloadCandles({ key, sinceMs: T0, untilMs: T0 + 3 * STEP }, { source: fakeVenue(3).source, candles, clock: now });
    expect(next).toEqual({ fromMs: T0 + 2 * STEP, pages: 1, fetched: 1, inserted: 1, lastOpenTimeMs: T0 + 2 * STEP });
    const all = await candles.loadCandles(key, T0, T0 + 10 * STEP);
    expect(Array.from(all.openTimeMs)).toEqual([T0, T0 + STEP, T0 + 2 * STEP]);
    expect(Array.from(all.close)).toEqual([101, 102, 103]);
  });

  it('refuses a bad range naming the field, before any request', async () => {
    const { source, calls } = fakeVenue(10);
    const candles = createInMemoryCandleRepository();
    await expect(downloadCandles({ key, sinceMs: T0, untilMs: T0 }, { source, candles, clock })).rejects.toThrow(ValidationError);
    await expect(downloadCandles({ key: { ...key, timeframe: '7m' as never }, sinceMs: T0, untilMs: T0 + STEP }, { source, candles, clock })).rejects.toThrow(/key.timeframe/);
    expect(calls).toEqual([]);
  });

  it('refuses an inconsistent candle from the venue and keeps the earlier pages', async () => {
    const candles = createInMemoryCandleRepository();
    const source: CandleSource = {
      async fetchOhlcv() {
        return [{ openTimeMs: T0, open: 100, high: 90, low: 95, close: 100, volume: 1 }];
      },
    };
    await expect(downloadCandles({ key, sinceMs: T0, untilMs: T0 + STEP }, { source, candles, clock })).rejects.toThrow(/candle BTC\/USDT@1704067200000/);
    expect(await candles.countCandles(key)).toBe(0);
  });
});
