import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import type { Candle } from '../core/types';
import type { ClosableCandleSource } from '../ports/candle-source';
import { createInMemoryCandleRepository } from '../testing/in-memory-repositories';
import { JobCancelledError, NonRetryableJobError, type JobContext } from './job-context';
import { parseUtcDateMs, runDownloadCandlesJob } from './download-candles-job';

const H1 = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function source(untilMs: number, log: string[]): ClosableCandleSource {
  return {
    rateLimitMs: 0,
    async fetchOhlcv(_symbol, _timeframe, sinceMs = T0, limit = 1000) {
      log.push(`page from ${(sinceMs - T0) / H1}`);
      const out: Candle[] = [];
      for (let t = sinceMs; t < untilMs && out.length < limit; t += H1) out.push({ openTimeMs: t, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 });
      return out;
    },
    close: async () => void log.push('closed'),
  };
}

function context(onProgress: (p: number, m?: string) => void = () => undefined): JobContext {
  return { ticketId: 't-1', attempt: 1, signal: new AbortController().signal, logger: silentLogger, reportProgress: async (p, m) => onProgress(p, m) };
}

describe('parseUtcDateMs', () => {
  it('reads dates as UTC midnight and zone-less timestamps as UTC', () => {
    expect(parseUtcDateMs('2024-01-01')).toBe(T0);
    expect(parseUtcDateMs('2024-01-01T12:00')).toBe(T0 + 12 * H1);
    expect(parseUtcDateMs('2024-01-01T12:00:00+02:00')).toBe(T0 + 10 * H1);
    expect(parseUtcDateMs('01/01/2024')).toBeNaN();
  });
});

describe('runDownloadCandlesJob', () => {
  const params = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const, since: '2024-01-01' };

  it('downloads up to now by default in pages of 1 000, reporting the share of the range covered after each page', async () => {
    const log: string[] = [];
    const candles = createInMemoryCandleRepository();
    const progress: [number, string | undefined][] = [];
    const result = await runDownloadCandlesJob(params, context((p, m) => progress.push([p, m])), {
      clock: createManualClock(T0 + 1_500 * H1),
      marketData: { candles, openCandleSource: () => source(T0 + 1_500 * H1, log) },
    });
    expect(result).toEqual({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', fromMs: T0, untilMs: T0 + 1_500 * H1, pages: 2, fetched: 1_500, inserted: 1_500, lastOpenTimeMs: T0 + 1_499 * H1 });
    expect(log).toEqual(['page from 0', 'page from 1000', 'closed']);
    expect(progress).toEqual([
      [0, 'connecting to binance'],
      [1_000 / 1_500, 'up to 2024-02-11 16:00 UTC'],
      [1, 'up to 2024-03-03 12:00 UTC'],
      [1, 'up to 2024-03-03 12:00 UTC'],
    ]);
  });

  it('leaves the candle still forming at now for the next run', async () => {
    const log: string[] = [];
    const candles = createInMemoryCandleRepository();
    // Now is 10.5 hours after T0: the venue also returns the candle opened at T0 + 10 h, closing at T0 + 11 h.
    const now = T0 + 10.5 * H1;
    const result = await runDownloadCandlesJob(params, context(), { clock: createManualClock(now), marketData: { candles, openCandleSource: () => source(now, log) } });
    expect(result).toMatchObject({ fromMs: T0, untilMs: now, pages: 1, fetched: 10, inserted: 10, lastOpenTimeMs: T0 + 9 * H1 });
    const stored = await candles.loadCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, T0, T0 + 24 * H1);
    expect(Array.from(stored.openTimeMs)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * H1));
  });

  it('stops between pages when the job is cancelled, keeping the pages already stored, and closes the source', async () => {
    const log: string[] = [];
    const candles = createInMemoryCandleRepository();
    let calls = 0;
    const ctx = context(() => {
      if (++calls === 2) throw new JobCancelledError('t-1');
    });
    await expect(
      runDownloadCandlesJob(params, ctx, { clock: createManualClock(T0 + 2_500 * H1), marketData: { candles, openCandleSource: () => source(T0 + 2_500 * H1, log) } }),
    ).rejects.toBeInstanceOf(JobCancelledError);
    expect(log).toEqual(['page from 0', 'closed']);
    expect(await candles.countCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' })).toBe(1_000);
  });

  it('fails at once, without opening the venue, when since is not before the end', async () => {
    let opened = false;
    const error = await runDownloadCandlesJob(params, context(), {
      clock: createManualClock(T0),
      marketData: {
        candles: createInMemoryCandleRepository(),
        openCandleSource: () => {
          opened = true;
          return source(T0, []);
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableJobError);
    expect((error as Error).message).toBe('nothing to download for binance BTC/USDT 1h: since (2024-01-01) is not before 2024-01-01 00:00 UTC');
    expect(opened).toBe(false);
  });
});
