import { describe, expect, it } from 'vitest';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Candle, Timeframe } from '../core/types';
import type { OhlcvWatcher } from '../execution/ccxt-ohlcv-watcher';
import { createWatchingCandleFeed } from './watching-candle-feed';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 2);
const candle = (k: number, close = 100 + k): Candle => ({ openTimeMs: T0 + k * MINUTE, open: 100 + k, high: 110 + k, low: 90 + k, close, volume: 1 + k });

/** A watcher the test feeds: each `send` resolves the pending watch with those candles; `fail` rejects it. */
function scriptedWatcher() {
  let pending: { resolve: (c: Candle[]) => void; reject: (e: unknown) => void } | null = null;
  let waiting: (() => void) | null = null;
  let closed = false;
  const watcher: OhlcvWatcher = {
    watchOhlcv: () =>
      new Promise<Candle[]>((resolve, reject) => {
        if (closed) return reject(new ExchangeError(FailureClass.NonRetryable, 'closed'));
        pending = { resolve, reject };
        waiting?.();
      }),
    async close() {
      closed = true;
      pending?.reject(new ExchangeError(FailureClass.Retryable, 'closed'));
    },
  };
  const next = async () => {
    while (!pending) await new Promise<void>((r) => (waiting = r));
    const p = pending;
    pending = null;
    return p;
  };
  return {
    watcher,
    async send(...candles: Candle[]) {
      (await next()).resolve(candles);
      await new Promise((r) => setTimeout(r, 0));
    },
    async fail(error: unknown) {
      (await next()).reject(error);
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

/** `restServesForming`: REST also answers the candle in progress (as Bybit and Binance do), with its close at 999. */
function harness(watcher: OhlcvWatcher | null, restServesForming = false) {
  let nowMs = T0 + 30_000;
  const restCalls: { sinceMs: number | undefined; limit: number | undefined }[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  const logger: Logger = { debug() {}, info: (_f, m) => void logs.push(`info ${m}`), warn: (_f, m) => void logs.push(`warn ${m}`), error() {} };
  const feed = createWatchingCandleFeed(
    { graceMs: 0, backoff: { baseMs: 100, maxMs: 400 } },
    {
      rest: {
        async fetchOhlcv(_symbol: string, _timeframe: Timeframe, sinceMs?: number, limit?: number) {
          restCalls.push({ sinceMs, limit });
          // REST serves closed candles from sinceMs, like a venue, with close + 0.5 so its answers are told apart.
          const out: Candle[] = [];
          for (let t = sinceMs ?? T0; (restServesForming ? t <= nowMs : t + MINUTE <= nowMs) && out.length < (limit ?? 500); t += MINUTE) {
            out.push(candle((t - T0) / MINUTE, t + MINUTE <= nowMs ? 100.5 + (t - T0) / MINUTE : 999));
          }
          return out;
        },
      },
      watcher,
      clock: { nowMs: () => nowMs },
      logger,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    },
  );
  return { feed, restCalls, logs, sleeps, setNow: (ms: number) => (nowMs = ms) };
}

describe('createWatchingCandleFeed', () => {
  it('polls over REST when the venue has no candle websocket, logging it once', async () => {
    const h = harness(null);
    h.setNow(T0 + 2 * MINUTE + 1);
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0, 10)).toEqual([candle(0, 100.5), candle(1, 101.5)]);
    await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 + MINUTE, 10);
    expect(h.restCalls).toHaveLength(2);
    expect(h.logs).toEqual(['info the venue has no candle websocket; polling over REST']);
    expect(h.feed.sourceOf('BTC/USDT', '1m')).toBe('polling');
    await h.feed.close();
  });

  it('drops the candle in progress a REST answer includes, keeping the closed ones', async () => {
    const h = harness(null, true);
    h.setNow(T0 + 2 * MINUTE + 1);
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0, 10)).toEqual([candle(0, 100.5), candle(1, 101.5)]);
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 + 2 * MINUTE, 10)).toEqual([]);
    expect(h.restCalls).toHaveLength(2);
    await h.feed.close();
  });

  it('serves closed candles from the socket once a later candle arrives, and nothing while a candle forms', async () => {
    const socket = scriptedWatcher();
    const h = harness(socket.watcher);
    await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 - 5 * MINUTE, 10);
    expect(h.restCalls).toHaveLength(1);
    await socket.send(candle(0, 1));
    await socket.send(candle(0), candle(1, 1));
    await socket.send(candle(1), candle(2, 1));
    expect(h.feed.sourceOf('BTC/USDT', '1m')).toBe('websocket');
    h.setNow(T0 + 2 * MINUTE + 1);
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0, 10)).toEqual([candle(0), candle(1)]);
    // candle 2 is forming on the socket and by the clock: an empty answer, not its forming values
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 + 2 * MINUTE, 10)).toEqual([]);
    expect(h.restCalls).toHaveLength(1);
    await h.feed.close();
  });

  it('clears the cache on a socket failure, backs off with jitter, and takes the socket back from the next candle it closes', async () => {
    const socket = scriptedWatcher();
    const h = harness(socket.watcher);
    await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 - MINUTE, 10);
    await socket.send(candle(0));
    await socket.send(candle(1, 1));
    await socket.fail(new ExchangeError(FailureClass.Retryable, 'socket closed'));
    await socket.fail(new ExchangeError(FailureClass.Retryable, 'connection refused'));
    expect(h.feed.sourceOf('BTC/USDT', '1m')).toBe('polling');
    // 100 then 200 ms, each x (0.5 + 0.5 / 2)
    expect(h.sleeps).toEqual([75, 150]);
    h.setNow(T0 + 2 * MINUTE + 1);
    // candle 0 was closed on the socket before it failed; the cache was cleared, so REST answers
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0, 10)).toEqual([candle(0, 100.5), candle(1, 101.5)]);
    await socket.send(candle(2));
    await socket.send(candle(3, 1));
    h.setNow(T0 + 3 * MINUTE + 1);
    expect(await h.feed.fetchOhlcv('BTC/USDT', '1m', T0 + 2 * MINUTE, 10)).toEqual([candle(2)]);
    expect(h.restCalls).toHaveLength(2);
    expect(h.logs).toEqual([
      'warn candle websocket failed; polling over REST until it recovers',
      'warn candle websocket failed; polling over REST until it recovers',
      'info candle websocket recovered; candles come from the websocket again',
    ]);
    await h.feed.close();
  });

  it('stops watching a market the socket refuses and polls it from then on', async () => {
    const socket = scriptedWatcher();
    const h = harness(socket.watcher);
    await h.feed.fetchOhlcv('NOPE/USDT', '1m', T0 - MINUTE, 10);
    await socket.fail(new ExchangeError(FailureClass.NonRetryable, 'bad symbol'));
    h.setNow(T0 + MINUTE + 1);
    await h.feed.fetchOhlcv('NOPE/USDT', '1m', T0, 10);
    expect(h.restCalls).toHaveLength(2);
    expect(h.sleeps).toEqual([]);
    expect(h.logs).toEqual(['warn candle websocket refused this market; polling over REST from now on']);
    await h.feed.close();
  });

  it('refuses a bad config naming the field', () => {
    const deps = { rest: { fetchOhlcv: async () => [] }, watcher: null, clock: { nowMs: () => 0 }, logger: { debug() {}, info() {}, warn() {}, error() {} }, sleep: async () => {} };
    for (const [config, field] of [
      [{ graceMs: -1 }, 'graceMs'],
      [{ backoff: { baseMs: 10, maxMs: 5 } }, 'backoff.maxMs'],
      [{ cacheCandles: 0 }, 'cacheCandles'],
    ] as const) {
      const error = (() => {
        try {
          createWatchingCandleFeed(config, deps);
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });
});
