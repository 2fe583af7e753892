/**
 * A loopback websocket server speaking Binance's market-stream protocol for kline streams, as ccxt pro's
 * `binance.watchOHLCV` uses it: the client connects to `<ws url>/<stream index>`, sends
 * `{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":N}`, gets `{"result":null,"id":N}`, then
 * receives kline events `{"e":"kline","E":…,"s":"BTCUSDT","k":{"t","T","s","i","o","c","h","l","v","x",…}}`
 * (Binance "Kline/Candlestick Streams" docs).
 *
 * The websocket layer is a minimal RFC 6455 server on node:http (text frames, masked client frames,
 * ping/pong, close): the repository has no websocket server package of its own.
 *
 * Tests drive it: `push` sends a kline to every subscriber, `dropConnections` cuts every socket (the
 * client sees a network error), `refuseConnections` answers new connections with HTTP 503 until lifted.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  /** Binance's `x`: whether this is the candle's final update. */
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

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65_536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]) : null;
  if (!header) throw new Error('frames above 64 KiB are not needed here');
  return Buffer.concat([header, payload]);
}

/** Parses complete client frames from `buffer`; returns the frames and the unparsed rest. */
function parseFrames(buffer: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = buffer[offset] & 0x0f;
    const masked = (buffer[offset + 1] & 0x80) !== 0;
    let length = buffer[offset + 1] & 0x7f;
    let headerLength = 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      headerLength = 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      headerLength = 10;
    }
    const maskLength = masked ? 4 : 0;
    if (buffer.length - offset < headerLength + maskLength + length) break;
    const mask = buffer.subarray(offset + headerLength, offset + headerLength + maskLength);
    const payload = Buffer.from(buffer.subarray(offset + headerLength + maskLength, offset + headerLength + maskLength + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    frames.push({ opcode, payload });
    offset += headerLength + maskLength + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

const dec = (n: number, digits: number) => n.toFixed(digits);

/** Starts the server on a free loopback port. */
export async function startBinanceKlineStreamServer(): Promise<BinanceKlineStreamServer> {
  const sockets = new Map<Socket, Set<string>>();
  const subscriptions: string[] = [];
  let accepted = 0;
  let refuse = false;

  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('websocket only');
  });
  server.on('upgrade', (req, socket: Socket) => {
    if (refuse) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    accepted++;
    const streams = new Set<string>();
    sockets.set(socket, streams);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const parsed = parseFrames(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      for (const { opcode, payload } of parsed.frames) {
        if (opcode === 0x9) socket.write(frame(0xa, payload));
        else if (opcode === 0x8) {
          socket.end(frame(0x8, payload.subarray(0, 2)));
          sockets.delete(socket);
        } else if (opcode === 0x1) {
          const message = JSON.parse(payload.toString('utf8')) as { method?: string; params?: string[]; id?: number };
          if (message.method === 'SUBSCRIBE') {
            for (const stream of message.params ?? []) {
              streams.add(stream);
              subscriptions.push(stream);
            }
            socket.write(frame(0x1, Buffer.from(JSON.stringify({ result: null, id: message.id }))));
          }
        }
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    subscriptions,
    connections: () => accepted,
    subscribers: (stream) => [...sockets.values()].filter((s) => s.has(stream)).length,
    push(u) {
      const stream = `${u.symbol.toLowerCase()}@kline_${u.interval}`;
      const event = {
        e: 'kline',
        E: u.openTimeMs + (u.final ? u.intervalMs - 1 : 1_000),
        s: u.symbol,
        k: {
          t: u.openTimeMs, T: u.openTimeMs + u.intervalMs - 1, s: u.symbol, i: u.interval, f: 100, L: 200,
          o: dec(u.open, 2), c: dec(u.close, 2), h: dec(u.high, 2), l: dec(u.low, 2), v: dec(u.volume, 3),
          n: 100, x: u.final, q: dec(u.volume * u.close, 4), V: '0.500', Q: '1000.0000', B: '0',
        },
      };
      const data = frame(0x1, Buffer.from(JSON.stringify(event)));
      for (const [socket, streams] of sockets) if (streams.has(stream)) socket.write(data);
    },
    dropConnections() {
      for (const socket of sockets.keys()) socket.destroy();
      sockets.clear();
    },
    refuseConnections(value) {
      refuse = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets.keys()) socket.destroy();
        sockets.clear();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
