/**
 * A live sessions' CandleFeed that takes candles from a venue's websocket (ccxt pro `watchOHLCV`) and
 * falls back to REST polling (the venue's `fetchOhlcv`) whenever the socket cannot answer.
 *
 * - The first `fetchOhlcv` of a market starts watching it in the background; until the socket has
 *   delivered, and whenever it fails, requests go to REST as before (polling).
 * - A candle is closed once the socket delivers a later one (the venue sends the candle's final state
 *   before the next one opens): the forming candle is never returned, even when the clock says its time
 *   is up. Closed candles are kept per market (the last `cacheCandles`), contiguous from the first one
 *   closed since the socket (re)connected.
 * - A request the cache covers (every candle from `sinceMs` up to the clock's last closed candle) is
 *   answered from it, without REST. A candle the clock says has closed but the socket has not closed yet
 *   is awaited for up to `graceMs`, then REST answers. A request starting before the cache (warm-up, the
 *   backfill after a socket gap) goes to REST.
 * - A socket failure is logged (warn), clears the market's cache (a gap may follow) and is retried with
 *   exponential backoff and jitter (`min(maxMs, baseMs·2^(n−1))·(0.5 + random/2)`); the first update after
 *   it is logged (info) and the socket takes over again. A non-retryable failure (bad symbol) stops
 *   watching that market: REST only, logged once.
 * - REST answers keep only candles the clock says have closed (venues serve the one in progress too).
 * - Each answer is ascending by open time with each open time once, from one source: a session that
 *   asks from its last candle plus one timeframe gets every candle once across switch-overs.
 */
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { TIMEFRAME_MS, type Candle, type Timeframe } from '../core/types';
import type { OhlcvWatcher } from '../execution/ccxt-ohlcv-watcher';
import type { CandleFeed } from './live-session';

/** Settings of a watching feed (all optional). */
export interface WatchingCandleFeedConfig {
  /** How long a request waits for the socket to close a candle the clock says has closed, ms; default 2 000. */
  graceMs?: number;
  /** Reconnect backoff after a socket failure, ms; default 1 000 doubling to 60 000. */
  backoff?: { baseMs: number; maxMs: number };
  /** Closed candles kept per market; default 1 000. */
  cacheCandles?: number;
}

/** Injected services. `sleep` resolves early (never rejects) when `signal` aborts. */
export interface WatchingCandleFeedDeps {
  /** The REST source (the venue's public `fetchOhlcv`); closed with the feed. */
  rest: CandleFeed;
  /** The websocket source; null = the venue has none (REST only). */
  watcher: OhlcvWatcher | null;
  clock: Clock;
  logger: Logger;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), for backoff jitter; default Math.random. */
  random?(): number;
}

/** Which source currently answers a market. */
export const CandleSourceKind = { Websocket: 'websocket', Polling: 'polling' } as const;
export type CandleSourceKind = (typeof CandleSourceKind)[keyof typeof CandleSourceKind];

/** The feed, plus which source answers each watched market (for health pages and tests). */
export interface WatchingCandleFeed extends CandleFeed {
  sourceOf(symbol: string, timeframe: Timeframe): CandleSourceKind;
  close(): Promise<void>;
}

interface MarketStream {
  symbol: string;
  timeframe: Timeframe;
  timeframeMs: number;
  /** Closed candles by open time, contiguous. */
  closed: Map<number, Candle>;
  firstClosedMs: number | null;
  lastClosedMs: number | null;
  forming: Candle | null;
  /** True from the first update after a (re)connect until the next failure. */
  live: boolean;
  /** False once a non-retryable failure stopped watching. */
  watching: boolean;
  failures: number;
  waiters: Set<() => void>;
  loop: Promise<void>;
}

function positiveMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ValidationError(field, value, 'expected a number of milliseconds >= 0');
  return value;
}

/**
 * Builds the feed. Starts nothing until the first request.
 * @throws ValidationError for a bad config, naming the field.
 */
export function createWatchingCandleFeed(config: WatchingCandleFeedConfig, deps: WatchingCandleFeedDeps): WatchingCandleFeed {
  const graceMs = positiveMs('graceMs', config.graceMs ?? 2_000);
  const backoff = config.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
  positiveMs('backoff.baseMs', backoff.baseMs);
  if (!(positiveMs('backoff.maxMs', backoff.maxMs) >= backoff.baseMs)) throw new ValidationError('backoff.maxMs', backoff.maxMs, `expected >= backoff.baseMs (${backoff.baseMs})`);
  const cacheCandles = config.cacheCandles ?? 1_000;
  if (!Number.isInteger(cacheCandles) || cacheCandles < 1) throw new ValidationError('cacheCandles', cacheCandles, 'expected an integer >= 1');
  const random = deps.random ?? Math.random;
  const abort = new AbortController();
  const streams = new Map<string, MarketStream>();
  let watcherMissingLogged = false;

  function wake(stream: MarketStream): void {
    for (const resolve of stream.waiters) resolve();
    stream.waiters.clear();
  }

  function reset(stream: MarketStream): void {
    stream.closed.clear();
    stream.firstClosedMs = null;
    stream.lastClosedMs = null;
    stream.forming = null;
  }

  function close(stream: MarketStream, candle: Candle): void {
    if (stream.lastClosedMs !== null && candle.openTimeMs !== stream.lastClosedMs + stream.timeframeMs) reset(stream);
    stream.closed.set(candle.openTimeMs, candle);
    stream.firstClosedMs ??= candle.openTimeMs;
    stream.lastClosedMs = candle.openTimeMs;
    while (stream.closed.size > cacheCandles) {
      stream.closed.delete(stream.firstClosedMs);
      stream.firstClosedMs += stream.timeframeMs;
    }
  }

  /** Takes the socket's updates: a candle followed by a later one is closed. */
  function ingest(stream: MarketStream, candles: readonly Candle[]): void {
    let closedAny = false;
    for (const candle of candles) {
      if (stream.lastClosedMs !== null && candle.openTimeMs <= stream.lastClosedMs) continue;
      if (stream.forming && candle.openTimeMs > stream.forming.openTimeMs) {
        close(stream, stream.forming);
        closedAny = true;
      }
      if (!stream.forming || candle.openTimeMs >= stream.forming.openTimeMs) stream.forming = candle;
    }
    if (closedAny) wake(stream);
  }

  async function watch(stream: MarketStream, watcher: OhlcvWatcher): Promise<void> {
    const market = { symbol: stream.symbol, timeframe: stream.timeframe };
    while (!abort.signal.aborted) {
      try {
        const candles = await watcher.watchOhlcv(stream.symbol, stream.timeframe);
        if (abort.signal.aborted) return;
        if (!stream.live) {
          stream.live = true;
          if (stream.failures > 0) deps.logger.info({ ...market, after: stream.failures }, 'candle websocket recovered; candles come from the websocket again');
          stream.failures = 0;
        }
        ingest(stream, candles);
      } catch (error) {
        if (abort.signal.aborted) return;
        stream.live = false;
        reset(stream);
        wake(stream);
        if (error instanceof ExchangeError && error.failure !== FailureClass.Retryable) {
          stream.watching = false;
          deps.logger.warn({ ...market, err: error }, 'candle websocket refused this market; polling over REST from now on');
          return;
        }
        stream.failures++;
        const delayMs = Math.round(Math.min(backoff.maxMs, backoff.baseMs * 2 ** (stream.failures - 1)) * (0.5 + random() / 2));
        deps.logger.warn({ ...market, err: error, attempt: stream.failures, delayMs }, 'candle websocket failed; polling over REST until it recovers');
        await deps.sleep(delayMs, abort.signal);
      }
    }
  }

  function streamOf(symbol: string, timeframe: Timeframe): MarketStream | null {
    const watcher = deps.watcher;
    if (!watcher) {
      if (!watcherMissingLogged) deps.logger.info({}, 'the venue has no candle websocket; polling over REST');
      watcherMissingLogged = true;
      return null;
    }
    const key = `${symbol}|${timeframe}`;
    let stream = streams.get(key);
    if (!stream) {
      stream = {
        symbol, timeframe, timeframeMs: TIMEFRAME_MS[timeframe], closed: new Map(), firstClosedMs: null, lastClosedMs: null, forming: null,
        live: false, watching: true, failures: 0, waiters: new Set(), loop: Promise.resolve(),
      };
      streams.set(key, stream);
      stream.loop = watch(stream, watcher);
    }
    return stream;
  }

  /** The cached closed candles from `sinceMs` up to `toMs` when the cache holds all of them, else null. */
  function fromCache(stream: MarketStream, sinceMs: number, toMs: number, limit: number): Candle[] | null {
    if (sinceMs > toMs) return [];
    if (stream.firstClosedMs === null || stream.lastClosedMs === null) return null;
    const from = Math.ceil(sinceMs / stream.timeframeMs) * stream.timeframeMs;
    if (from < stream.firstClosedMs || stream.lastClosedMs < Math.min(toMs, from + (limit - 1) * stream.timeframeMs)) return null;
    const out: Candle[] = [];
    for (let t = from; t <= toMs && out.length < limit; t += stream.timeframeMs) out.push(stream.closed.get(t) as Candle);
    return out;
  }

  async function waitForClose(stream: MarketStream): Promise<void> {
    const waitAbort = new AbortController();
    const onAbort = () => waitAbort.abort();
    abort.signal.addEventListener('abort', onAbort, { once: true });
    let resolveClose = () => {};
    const closed = new Promise<void>((resolve) => (resolveClose = resolve));
    stream.waiters.add(resolveClose);
    try {
      await Promise.race([closed, deps.sleep(graceMs, waitAbort.signal)]);
    } finally {
      stream.waiters.delete(resolveClose);
      waitAbort.abort();
      abort.signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    async fetchOhlcv(symbol, timeframe, sinceMs, limit = 500) {
      if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, timeframe)) {
        throw new ValidationError('timeframe', timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
      }
      const stream = abort.signal.aborted ? null : streamOf(symbol, timeframe);
      if (stream && stream.watching && sinceMs !== undefined) {
        const lastClosedByClock = Math.floor(deps.clock.nowMs() / stream.timeframeMs) * stream.timeframeMs - stream.timeframeMs;
        let cached = stream.live ? fromCache(stream, sinceMs, lastClosedByClock, limit) : null;
        // The socket has yet to close a candle the clock says has closed, and the request starts within what it holds.
        const held = stream.firstClosedMs ?? stream.forming?.openTimeMs;
        const behind = stream.forming !== null && stream.forming.openTimeMs <= lastClosedByClock && held !== undefined && sinceMs >= held;
        if (cached === null && stream.live && behind) {
          await waitForClose(stream);
          cached = stream.live ? fromCache(stream, sinceMs, lastClosedByClock, limit) : null;
        }
        if (cached !== null) return cached;
      }
      const candles = await deps.rest.fetchOhlcv(symbol, timeframe, sinceMs, limit);
      // Venues serve the candle in progress over REST too (Bybit, Binance): it is dropped like the socket's.
      const timeframeMs = TIMEFRAME_MS[timeframe];
      const lastClosedByClock = Math.floor(deps.clock.nowMs() / timeframeMs) * timeframeMs - timeframeMs;
      const out: Candle[] = [];
      for (const c of [...candles].sort((a, b) => a.openTimeMs - b.openTimeMs)) {
        if (c.openTimeMs <= lastClosedByClock && (out.length === 0 || c.openTimeMs > out[out.length - 1].openTimeMs)) out.push(c);
      }
      return out;
    },
    sourceOf(symbol, timeframe) {
      const stream = streams.get(`${symbol}|${timeframe}`);
      return stream?.live && stream.watching ? CandleSourceKind.Websocket : CandleSourceKind.Polling;
    },
    async close() {
      if (abort.signal.aborted) return;
      abort.abort();
      for (const stream of streams.values()) wake(stream);
      await deps.watcher?.close().catch(() => undefined);
      await Promise.all([...streams.values()].map((s) => s.loop));
      await deps.rest.close?.();
    },
  };
}
