import { describe, expect, it } from 'vitest';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import { createCcxtOhlcvWatcher } from './ccxt-ohlcv-watcher';

const fieldOf = (build: () => unknown): string | null => {
  try {
    build();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
};

describe('createCcxtOhlcvWatcher', () => {
  it('refuses an unknown venue and URLs of the wrong scheme, naming the field', () => {
    expect(fieldOf(() => createCcxtOhlcvWatcher('kraken' as never))).toBe('exchangeId');
    expect(fieldOf(() => createCcxtOhlcvWatcher('bybit', { wsUrls: { 'public.linear': 'https://stream.example.test' } }))).toBe('wsUrls.public.linear');
    expect(fieldOf(() => createCcxtOhlcvWatcher('binance', { urls: { public: 'ws://127.0.0.1:1' } }))).toBe('urls.public');
  });

  it('builds a watcher for every registered venue, and a closed one refuses to watch as non-retryable', async () => {
    for (const id of ['binance', 'binanceusdm', 'bybit'] as const) {
      const watcher = createCcxtOhlcvWatcher(id, { wsUrls: { spot: 'ws://127.0.0.1:1/ws' } });
      expect(watcher).not.toBeNull();
      await watcher!.close();
      const error = (await watcher!.watchOhlcv('BTC/USDT', '1m').catch((e: unknown) => e)) as ExchangeError;
      expect([error instanceof ExchangeError, error.failure, error.message]).toEqual([true, FailureClass.NonRetryable, `${id} candle watcher is closed`]);
    }
  });
});
