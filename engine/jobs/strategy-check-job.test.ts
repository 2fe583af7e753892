import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { candleColumnsFromRows, type MarketKey } from '../core/types';
import { runStrategyCheck } from '../insight/strategy-check';
import { JobCancelledError, NonRetryableJobError, type JobContext } from './job-context';
import { runStrategyCheckJob } from './strategy-check-job';
import { CHECK_EXAMPLES } from '../testing/check-examples';
import { createInMemoryCandleRepository } from '../testing/in-memory-repositories';

const T0 = Date.UTC(2024, 0, 1);
const H1 = 3_600_000;
const market: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

async function servicesWith60Candles() {
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(market, candleColumnsFromRows(Array.from({ length: 60 }, (_, i) => ({ openTimeMs: T0 + i * H1, open: 100, high: 101, low: 99, close: 100, volume: 1 }))));
  return {
    checkStrategy: (request: unknown, onProgress?: (done: number, total: number) => Promise<void>) =>
      runStrategyCheck(request, { candles, createStrategy: (name) => CHECK_EXAMPLES[name] }, onProgress),
  };
}

function context(progress: [number, string | undefined][], cancelAfter = Infinity): JobContext {
  return {
    ticketId: 'ticket-1',
    attempt: 1,
    signal: new AbortController().signal,
    logger: silentLogger,
    reportProgress: async (p, m) => {
      if (progress.length >= cancelAfter) throw new JobCancelledError('ticket-1');
      progress.push([p, m]);
    },
  };
}

describe('strategy-check job body', () => {
  it('writes progress after every pass and a verdict at the end', async () => {
    const progress: [number, string | undefined][] = [];
    const result = await runStrategyCheckJob({ strategy: 'close-above-sma', ...market }, context(progress), await servicesWith60Candles());
    expect(result.passed).toBe(true);
    // 60 candles, warm-up 4: history starts floor(j * 56 / 4) = 14, 28, 42; rows in total 60 + 60 + 46 + 32 + 18 = 216.
    expect(progress).toEqual([
      [0, 'loading candles'],
      [60 / 216, '60 of 216 candle rows'],
      [120 / 216, '120 of 216 candle rows'],
      [166 / 216, '166 of 216 candle rows'],
      [198 / 216, '198 of 216 candle rows'],
      [1, '216 of 216 candle rows'],
      [1, '60 candles checked: passed'],
    ]);
  });

  it('stops at the next pass when the job is cancelled, without wrapping the cancel', async () => {
    const progress: [number, string | undefined][] = [];
    await expect(runStrategyCheckJob({ strategy: 'close-above-sma', ...market }, context(progress, 2), await servicesWith60Candles())).rejects.toBeInstanceOf(JobCancelledError);
    expect(progress).toHaveLength(2);
  });

  it('fails without retry when the request is refused', async () => {
    const error = await runStrategyCheckJob({ strategy: 'close-above-sma', ...market, from: '2024-01-01', to: '2024-01-01T04:00' }, context([]), await servicesWith60Candles()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableJobError);
    // 4 candles (00:00 .. 03:00) and close-above-sma needs its startup 4 (no startupCandles: its warm-up) + 2 = 6.
    expect((error as Error).message).toBe(
      'strategy check refused: field "candles" was 4: binance BTC/USDT 1h has 4 stored candles in the range; close-above-sma needs at least 6 (4 startup candles plus two rows to compare). Import or download candles first.',
    );
  });
});
