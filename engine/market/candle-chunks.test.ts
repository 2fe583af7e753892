import { describe, expect, it } from 'vitest';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { createInMemoryCandleRepository } from '../testing/in-memory-repositories';
import { checkChunkSize, streamCandleChunks } from './candle-chunks';
import { createWaveCandleSource, waveCandles } from '../testing/wave-candles';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' } as const;

/** Candles at the given minute offsets, close = offset (so a chunk's content reads as its minutes). */
const at = (minutes: number[]) => candleColumnsFromRows(minutes.map((m) => ({ openTimeMs: T0 + m * MIN, open: m + 1, high: m + 2, low: m, close: m + 1, volume: 1 })));
const minutesOf = (c: CandleColumns) => [...c.openTimeMs].map((t) => (t - T0) / MIN);

async function collect(gen: AsyncGenerator<CandleColumns>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const chunk of gen) out.push(minutesOf(chunk));
  return out;
}

describe('streamCandleChunks', () => {
  it('yields windows of chunk-size timeframes in order, skipping empty ones, and ends at toMs', async () => {
    const repo = createInMemoryCandleRepository();
    // Minutes 0..9, a gap of 20, then 30..34.
    await repo.insertCandles(key, at([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 31, 32, 33, 34]));
    const chunks = await collect(streamCandleChunks(repo, key, T0, T0 + 34 * MIN, 4));
    // Windows [0,4) [4,8) [8,12) [12,16).. [28,32) [32,34): the empty ones between 12 and 28 are not yielded.
    expect(chunks).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [30, 31], [32, 33]]);
    const whole = await repo.loadCandles(key, T0, T0 + 34 * MIN);
    expect(chunks.flat()).toEqual(minutesOf(whole));
  });

  it('reads the next window while the caller works on the current one, two at most', async () => {
    const repo = createInMemoryCandleRepository();
    await repo.insertCandles(key, at([0, 1, 2, 3, 4, 5]));
    const reads: number[] = [];
    const store = { loadCandles: (k: typeof key, fromMs: number, toMs: number) => (reads.push((fromMs - T0) / MIN), repo.loadCandles(k, fromMs, toMs)) };
    const gen = streamCandleChunks(store, key, T0, T0 + 6 * MIN, 2);
    const first = await gen.next();
    expect(minutesOf(first.value as CandleColumns)).toEqual([0, 1]);
    expect(reads).toEqual([0, 2]);
    await gen.next();
    expect(reads).toEqual([0, 2, 4]);
  });

  it('passes a store failure to the caller at the chunk it belongs to', async () => {
    const repo = createInMemoryCandleRepository();
    await repo.insertCandles(key, at([0, 1, 2, 3]));
    const store = {
      loadCandles: async (k: typeof key, fromMs: number, toMs: number) => {
        if (fromMs >= T0 + 2 * MIN) throw new Error('connection lost');
        return repo.loadCandles(k, fromMs, toMs);
      },
    };
    const gen = streamCandleChunks(store, key, T0, T0 + 4 * MIN, 2);
    expect(minutesOf((await gen.next()).value as CandleColumns)).toEqual([0, 1]);
    await expect(gen.next()).rejects.toThrow('connection lost');
  });

  it('refuses a chunk size of zero, a fraction or a non-number, naming the field and value', async () => {
    expect(() => checkChunkSize(0)).toThrow('chunkSize (0) must be a whole number of candles >= 1');
    expect(() => checkChunkSize(2.5, 'candleChunk')).toThrow('candleChunk (2.5) must be a whole number of candles >= 1');
    expect(() => checkChunkSize('10')).toThrow('chunkSize (10) must be a whole number of candles >= 1');
    const repo = createInMemoryCandleRepository();
    await expect(streamCandleChunks(repo, key, T0, T0 + MIN, 0).next()).rejects.toThrow('chunkSize (0)');
  });
});

describe('streamCandleChunks over a computed wave', () => {
  it('streams a wave source chunk by chunk equal to the wave rows, across chunk edges', async () => {
    const wave = { count: 25, startMs: T0, timeframeMs: MIN };
    const source = createWaveCandleSource(key, wave);
    const rows = waveCandles(wave);
    const chunks: CandleColumns[] = [];
    for await (const chunk of streamCandleChunks(source, key, T0 - 5 * MIN, T0 + 100 * MIN, 7)) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([2, 7, 7, 7, 2]);
    const closes = chunks.flatMap((c) => [...c.close]);
    expect(closes).toEqual(rows.map((r) => r.close));
    expect(chunks.flatMap((c) => [...c.openTimeMs])).toEqual(rows.map((r) => r.openTimeMs));
    expect(await source.summarize()).toEqual([{ ...key, count: 25, firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 24 * MIN }]);
  });
});
