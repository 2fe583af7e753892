/**
 * A loopback websocket server speaking Bybit's v5 public websocket for kline topics on the linear
 * (USDT perpetual) path, as ccxt pro's `bybit.watchOHLCV` uses it (node_modules/ccxt/js/src/pro/bybit.js
 * `watchTopics`, `handleMessage`, `handleOHLCV`, `ping`; Bybit v5 docs "WebSocket Stream: Connect" and
 * "Public: Kline"):
 *
 * - the client connects to `<ws url>` (`urls.api.ws.public.linear`, Bybit's `/v5/public/linear`) and sends
 *   `{"op":"subscribe","req_id":N,"args":["kline.1.BTCUSDT"]}`; the answer is
 *   `{"success":true,"ret_msg":"","conn_id":…,"req_id":N,"op":"subscribe"}`;
 * - its keep-alive `{"req_id":N,"op":"ping"}` is answered `{"success":true,"ret_msg":"pong","conn_id":…,"req_id":N,"op":"ping"}`;
 * - pushes are `{"topic":"kline.1.BTCUSDT","data":[{"start","end","interval","open","close","high","low",
 *   "volume","turnover","confirm","timestamp"}],"ts":…,"type":"snapshot"}`, numbers as strings, `confirm`
 *   true on the candle's last update.
 *
 * The websocket layer is the shared loopback server (loopback-websocket-server.ts). Tests drive it: `push`
 * sends a kline to every subscriber, `dropConnections` cuts every socket, `refuseConnections` answers new
 * connections with HTTP 503 until lifted.
 */
import type { KlineUpdate } from './binance-kline-stream-server';
import { startLoopbackWebsocketServer } from './loopback-websocket-server';

export interface BybitKlineStreamServer {
  /** `ws://127.0.0.1:<port>/v5/public/linear`, for ccxt `urls.api.ws.public.linear`. */
  readonly wsUrl: string;
  /** Topics subscribed so far (e.g. "kline.1.BTCUSDT"), one entry per topic of each subscribe. */
  readonly subscriptions: string[];
  /** Pings answered so far. */
  pings(): number;
  /** Connections accepted so far. */
  connections(): number;
  /** Open sockets subscribed to `topic`. */
  subscribers(topic: string): number;
  /** Sends a kline; `interval` is Bybit's interval id ("1" for one minute). */
  push(update: KlineUpdate): void;
  dropConnections(): void;
  refuseConnections(refuse: boolean): void;
  close(): Promise<void>;
}

const dec = (n: number, digits: number) => n.toFixed(digits);

/** Starts the server on a free loopback port. */
export async function startBybitKlineStreamServer(): Promise<BybitKlineStreamServer> {
  const subscriptions: string[] = [];
  let pings = 0;
  const server = await startLoopbackWebsocketServer({
    onText(connection, text) {
      const message = JSON.parse(text) as { op?: string; req_id?: string | number; args?: string[] };
      const connId = `loopback-${connection.id}`;
      if (message.op === 'ping') {
        pings++;
        connection.send({ success: true, ret_msg: 'pong', conn_id: connId, req_id: message.req_id, op: 'ping' });
      } else if (message.op === 'subscribe') {
        for (const topic of message.args ?? []) {
          connection.topics.add(topic);
          subscriptions.push(topic);
        }
        connection.send({ success: true, ret_msg: '', conn_id: connId, req_id: message.req_id, op: 'subscribe' });
      } else if (message.op === 'unsubscribe') {
        for (const topic of message.args ?? []) connection.topics.delete(topic);
        connection.send({ success: true, ret_msg: '', conn_id: connId, req_id: message.req_id, op: 'unsubscribe' });
      }
    },
  });

  return {
    wsUrl: `ws://127.0.0.1:${server.port}/v5/public/linear`,
    subscriptions,
    pings: () => pings,
    connections: server.connections,
    subscribers: server.subscribers,
    push(u) {
      const topic = `kline.${u.interval}.${u.symbol}`;
      // Bybit stamps an update with its matching-engine time: inside the candle, its last millisecond once confirmed.
      const timestamp = u.openTimeMs + (u.final ? u.intervalMs - 1 : 1_000);
      server.broadcast(topic, {
        topic,
        data: [
          {
            start: u.openTimeMs, end: u.openTimeMs + u.intervalMs - 1, interval: u.interval,
            open: dec(u.open, 2), close: dec(u.close, 2), high: dec(u.high, 2), low: dec(u.low, 2),
            volume: dec(u.volume, 3), turnover: dec(u.volume * u.close, 4), confirm: u.final, timestamp,
          },
        ],
        ts: timestamp,
        type: 'snapshot',
      });
    },
    dropConnections: server.dropConnections,
    refuseConnections: server.refuseConnections,
    close: server.close,
  };
}
