/**
 * Websocket candles end to end on loopback, per venue: ccxt pro's `watchOHLCV` (unmodified) against a
 * server speaking the venue's socket protocol (Binance kline streams; Bybit v5 `public.linear` kline
 * topics), REST fallback against the venue's replay server, both behind the live sessions' CandleFeed
 * port (createWatchingCandleFeed). A test clock says which candles have closed; the
 * caller asks like a live session does, from its last candle plus one timeframe.
 */
import { pro } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../engine/core/logger';
import type { Candle } from '../../engine/core/types';
import { createPublicCcxtExchange } from '../../engine/execution/ccxt-exchange';
import { createCcxtOhlcvWatcher } from '../../engine/execution/ccxt-ohlcv-watcher';
import { ccxtClientSettings } from '../../engine/execution/ccxt-venue-dialects';
import { createWatchingCandleFeed, type WatchingCandleFeed } from '../../engine/live/watching-candle-feed';
import { startBinanceReplayServer, type BinanceReplayServer } from '../support/binance-replay-server';
import { startBinanceKlineStreamServer, type BinanceKlineStreamServer } from '../support/binance-kline-stream-server';
import { startBybitKlineStreamServer, type BybitKlineStreamServer } from '../support/bybit-kline-stream-server';
import { startBybitReplayServer, type BybitReplayServer } from '../support/bybit-replay-server';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 2, 0, 0);

/** The candle at an open time, as both sources report it once closed: 42 000 + 10 per minute from T0. */
function script(openTimeMs: number): Omit<Candle, 'openTimeMs'> {
  const k = (openTimeMs - T0) / MINUTE;
  return { open: 42_000 + 10 * k, high: 42_020 + 10 * k, low: 41_990 + 10 * k, close: 42_005 + 10 * k, volume: 3 + k };
}
const closedCandle = (openTimeMs: number): Candle => ({ openTimeMs, ...script(openTimeMs) });

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** One venue under test: its socket server, its REST replay server and where ccxt finds them. */
interface Venue {
  name: string;
  exchangeId: 'binance' | 'bybit';
  /** The socket's topic for BTC/USDT one-minute candles. */
  stream: string;
  /** The venue's id of the one-minute interval on the socket. */
  interval: string;
  /** The REST path of candle requests. */
  klinesPath: string;
  startStreams(): Promise<BinanceKlineStreamServer | BybitKlineStreamServer>;
  startReplay(clock: () => number): Promise<BinanceReplayServer | BybitReplayServer>;
  /** ccxt `urls.api.ws` overrides pointing at the socket server. */
  wsUrls(wsUrl: string): Record<string, string>;
}

const scripted = (_symbol: string, openTimeMs: number) => ({ ...script(openTimeMs) });
const VENUES: Venue[] = [
  {
    name: 'Binance kline stream',
    exchangeId: 'binance',
    stream: 'btcusdt@kline_1m',
    interval: '1m',
    klinesPath: '/api/v3/klines',
    startStreams: startBinanceKlineStreamServer,
    startReplay: (clock) => startBinanceReplayServer({ clock, klines: scripted }),
    wsUrls: (wsUrl) => ({ spot: wsUrl }),
  },
  {
    name: 'Bybit v5 public linear kline topics',
    exchangeId: 'bybit',
    stream: 'kline.1.BTCUSDT',
    interval: '1',
    klinesPath: '/v5/market/kline',
    startStreams: startBybitKlineStreamServer,
    startReplay: (clock) => startBybitReplayServer({ clock, klines: scripted }),
    wsUrls: (wsUrl) => ({ 'public.linear': wsUrl }),
  },
];

describe.each(VENUES)('websocket candles with REST fallback ($name on loopback)', (venue) => {
  const STREAM = venue.stream;
  let nowMs: number;
  let replay: BinanceReplayServer | BybitReplayServer;
  let streams: BinanceKlineStreamServer | BybitKlineStreamServer;
  let feed: WatchingCandleFeed;
  let logs: { level: string; msg: string }[];

  /** Sends one kline update and gives the client time to take it (Binance spaces its updates too). */
  async function push(openTimeMs: number, state: 'forming' | 'final'): Promise<void> {
    const closed = script(openTimeMs);
    // A forming update carries other prices than the candle's final state, so a forming candle handed out would show.
    const values = state === 'final' ? closed : { open: closed.open, high: closed.open + 1, low: closed.open - 1, close: closed.open + 0.5, volume: 0.25 };
    streams.push({ symbol: 'BTCUSDT', interval: venue.interval, openTimeMs, intervalMs: MINUTE, ...values, final: state === 'final' });
    await sleep(60);
  }

  beforeEach(async () => {
    nowMs = T0 + 30_000;
    logs = [];
    const record = (level: string) => (_fields: unknown, msg?: string) => void logs.push({ level, msg: msg ?? '' });
    const logger: Logger = { debug() {}, info: record('info'), warn: record('warn'), error: record('error') };
    const clock = { nowMs: () => nowMs };
    replay = await venue.startReplay(() => nowMs);
    streams = await venue.startStreams();
    feed = createWatchingCandleFeed(
      { graceMs: 1_000, backoff: { baseMs: 20, maxMs: 100 } },
      {
        rest: createPublicCcxtExchange(venue.exchangeId, { clock, logger }, { urls: replay.urls }),
        watcher: createCcxtOhlcvWatcher(venue.exchangeId, { urls: replay.urls, wsUrls: venue.wsUrls(streams.wsUrl) }),
        clock,
        logger,
        sleep,
        random: () => 0.5,
      },
    );
  });
  afterEach(async () => {
    await feed.close();
    await streams.close();
    await replay.close();
  });

  it('delivers each closed candle once, never a forming one, polls while the socket is down and returns to it', async () => {
    const delivered: Candle[] = [];
    const restHits = () => replay.hits(venue.klinesPath);

    // Warm-up history comes over REST; the request starts watching the market.
    delivered.push(...(await feed.fetchOhlcv('BTC/USDT', '1m', T0 - 3 * MINUTE, 500)));
    expect(restHits()).toBe(1);
    await until(() => streams.subscribers(STREAM) === 1, 'the kline subscription');
    expect(streams.subscriptions).toEqual([STREAM]);

    // Candle T0 forms on the socket: nothing is closed after the history, and REST is not asked.
    await push(T0, 'forming');
    await until(() => feed.sourceOf('BTC/USDT', '1m') === 'websocket', 'the websocket to take over');
    expect(await feed.fetchOhlcv('BTC/USDT', '1m', T0, 500)).toEqual([]);
    await push(T0, 'final');
    // The clock says T0 has closed, but the socket has not opened T0+1m yet: the request waits for it (grace).
    nowMs = T0 + MINUTE + 5_000;
    const waiting = feed.fetchOhlcv('BTC/USDT', '1m', T0, 500);
    await sleep(100);
    await push(T0 + MINUTE, 'forming');
    delivered.push(...(await waiting));
    expect(delivered.at(-1)).toEqual(closedCandle(T0));
    expect(restHits()).toBe(1);

    await push(T0 + MINUTE, 'final');
    await push(T0 + 2 * MINUTE, 'forming');
    nowMs = T0 + 2 * MINUTE + 5_000;
    delivered.push(...(await feed.fetchOhlcv('BTC/USDT', '1m', T0 + MINUTE, 500)));
    expect(restHits()).toBe(1);

    // The socket fails and stays down: the feed polls over REST and retries the socket with backoff.
    await push(T0 + 2 * MINUTE, 'forming');
    streams.refuseConnections(true);
    streams.dropConnections();
    await until(() => feed.sourceOf('BTC/USDT', '1m') === 'polling', 'the fallback to polling');
    nowMs = T0 + 3 * MINUTE + 5_000;
    delivered.push(...(await feed.fetchOhlcv('BTC/USDT', '1m', T0 + 2 * MINUTE, 500)));
    expect(restHits()).toBe(2);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)[0]).toBe('candle websocket failed; polling over REST until it recovers');

    // The socket comes back: the first candle it closes is served from it again.
    streams.refuseConnections(false);
    await until(() => streams.subscribers(STREAM) === 1, 'the resubscription');
    await push(T0 + 3 * MINUTE, 'final');
    await push(T0 + 4 * MINUTE, 'forming');
    await until(() => feed.sourceOf('BTC/USDT', '1m') === 'websocket', 'the websocket to take over again');
    nowMs = T0 + 4 * MINUTE + 5_000;
    delivered.push(...(await feed.fetchOhlcv('BTC/USDT', '1m', T0 + 3 * MINUTE, 500)));
    expect(restHits()).toBe(2);
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toContain('candle websocket recovered; candles come from the websocket again');

    // Every closed candle once, in order, with its final values: T0-3m … T0+3m.
    expect(delivered).toEqual([-3, -2, -1, 0, 1, 2, 3].map((k) => closedCandle(T0 + k * MINUTE)));
    expect(streams.subscriptions).toEqual([STREAM, STREAM]);
  });

  it('answers from REST after the grace period when the socket does not close a candle the clock says has closed', async () => {
    await feed.fetchOhlcv('BTC/USDT', '1m', T0 - 2 * MINUTE, 500);
    await until(() => streams.subscribers(STREAM) === 1, 'the kline subscription');
    await push(T0 - MINUTE, 'final');
    await push(T0, 'forming');
    await until(() => feed.sourceOf('BTC/USDT', '1m') === 'websocket', 'the websocket to take over');
    nowMs = T0 + MINUTE + 1_000;
    const started = Date.now();
    expect(await feed.fetchOhlcv('BTC/USDT', '1m', T0, 500)).toEqual([closedCandle(T0)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(replay.hits(venue.klinesPath)).toBe(2);
  });
});

describe('Bybit v5 public socket keep-alive on loopback', () => {
  it("answers ccxt's ping op with Bybit's pong so the subscribed socket stays open past the missed-pong timeout", async () => {
    const replay = await startBybitReplayServer({ nowMs: T0 });
    const streams = await startBybitKlineStreamServer();
    // ccxt's bybit pings every 18 s; here every 50 ms, so two missed pongs (100 ms) would drop the socket.
    const client = new pro.bybit({ ...ccxtClientSettings('bybit', 'futures'), streaming: { keepAlive: 50 } });
    const api = client.urls['api'] as Record<string, unknown>;
    for (const [key, url] of Object.entries(replay.urls)) api[key] = url;
    ((api['ws'] as Record<string, Record<string, string>>)['public'])['linear'] = streams.wsUrl;
    try {
      await client.loadHttpProxyAgent();
      await client.loadMarkets();
      const watching = client.watchOHLCV('BTC/USDT:USDT', '1m');
      await until(() => streams.subscribers('kline.1.BTCUSDT') === 1, 'the kline subscription');
      await sleep(400);
      expect(streams.pings()).toBeGreaterThanOrEqual(4);
      expect(streams.connections()).toBe(1);
      expect(streams.subscribers('kline.1.BTCUSDT')).toBe(1);
      streams.push({ symbol: 'BTCUSDT', interval: '1', openTimeMs: T0, intervalMs: MINUTE, ...script(T0), final: true });
      expect(await watching).toEqual([[T0, 42_000, 42_020, 41_990, 42_005, 3]]);
    } finally {
      await client.close();
      await streams.close();
      await replay.close();
    }
  });
});
