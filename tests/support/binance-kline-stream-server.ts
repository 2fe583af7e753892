/**
 * A loopback websocket server speaking Binance's market-stream protocol for kline streams, as ccxt pro's
 * `binance.watchOHLCV` uses it: the client connects to `<ws url>/<stream index>`, sends
 * `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":N}`, gets `{"result":null,"id":N}`, then
 * receives kline events `{"e":"kline","E":…,"s":"BTCUSDT","k":{"t","T","s","i","o","c","h","l","v","x",…}}`
 * (Binance "Kline/Candlestick Streams" docs).
 *
 * The websocket layer is the shared loopback server (loopback-websocket-server.ts).
 *
 * Tests drive it: `push` sends a kline to every subscriber, `dropConnections` cuts every socket (the
 * client sees a network error), `refuseConnections` answers new connections with HTTP 503 until lifted.
 */
import { startLoopbackWebsocketServer } from './loopback-websocket-server';

/** One kline update (prices in quote currency, volume in base). */
export interface KlineUpdate {
  symbol: string;
  interval: string;
  openTimeMs: number;
  intervalMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Whether this is the candle's final update (Binance's `x`, Bybit's `confirm`). */
  final: boolean;
}

export interface BinanceKlineStreamServer {
  /** `ws://127.0.0.1:<port>/ws`, for ccxt `urls.api.ws.spot` / `.future`. */
  readonly wsUrl: string;
  /** Streams subscribed so far (e.g. "btcusdt@kline_1m"), one entry per SUBSCRIBE. */
  readonly subscriptions: string[];
  /** Connections accepted so far. */
  connections(): number;
  /** Open sockets subscribed to `stream`. */
  subscribers(stream: string): number;
  push(update: KlineUpdate): void;
  dropConnections(): void;
  refuseConnections(refuse: boolean): void;
  close(): Promise<void>;
}

const dec = (n: number, digits: number) => n.toFixed(digits);

/** Starts the server on a free loopback port. */
export async function startBinanceKlineStreamServer(): Promise<BinanceKlineStreamServer> {
  const subscriptions: string[] = [];
  const server = await startLoopbackWebsocketServer({
    onText(connection, text) {
      const message = JSON.parse(text) as { method?: string; params?: string[]; id?: number };
      if (message.method !== 'SUBSCRIBE') return;
      for (const stream of message.params ?? []) {
        connection.topics.add(stream);
        subscriptions.push(stream);
      }
      connection.send({ result: null, id: message.id });
    },
  });

  return {
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    subscriptions,
    connections: server.connections,
    subscribers: server.subscribers,
    push(u) {
      const stream = `${u.symbol.toLowerCase()}@kline_${u.interval}`;
      server.broadcast(stream, {
        e: 'kline',
        E: u.openTimeMs + (u.final ? u.intervalMs - 1 : 1_000),
        s: u.symbol,
        k: {
          t: u.openTimeMs, T: u.openTimeMs + u.intervalMs - 1, s: u.symbol, i: u.interval, f: 100, L: 200,
          o: dec(u.open, 2), c: dec(u.close, 2), h: dec(u.high, 2), l: dec(u.low, 2), v: dec(u.volume, 3),
          n: 100, x: u.final, q: dec(u.volume * u.close, 4), V: '0.500', Q: '1000.0000', B: '0',
        },
      });
    },
    dropConnections: server.dropConnections,
    refuseConnections: server.refuseConnections,
    close: server.close,
  };
}
