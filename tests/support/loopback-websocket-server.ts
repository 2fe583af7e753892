/**
 * A minimal RFC 6455 websocket server on node:http for the venue stream servers of the tests
 * (binance-kline-stream-server.ts, bybit-kline-stream-server.ts): text frames, masked client frames,
 * protocol ping/pong, close. The repository has no websocket server package of its own.
 *
 * The venue server on top speaks the protocol: it gets every client text message through `onText` with
 * the connection it came on, records the connection's topics in `connection.topics` and answers with
 * `connection.send`; `broadcast` sends to every connection subscribed to a topic. Tests drive faults:
 * `dropConnections` cuts every socket (the client sees a network error), `refuseConnections` answers new
 * connections with HTTP 503 until lifted.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One accepted websocket connection. */
export interface LoopbackWebsocketConnection {
  /** Running number of the connection (1 for the first accepted). */
  readonly id: number;
  /** Topics (streams) the venue server subscribed this connection to. */
  readonly topics: Set<string>;
  /** Sends a JSON message as one text frame. */
  send(message: unknown): void;
}

export interface LoopbackWebsocketServerOptions {
  /** Called with each client text message (UTF-8) and its connection. */
  onText(connection: LoopbackWebsocketConnection, text: string): void;
}

export interface LoopbackWebsocketServer {
  /** Listening port on 127.0.0.1. */
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Open connections subscribed to `topic`. */
  subscribers(topic: string): number;
  /** Sends a JSON message to every open connection subscribed to `topic`. */
  broadcast(topic: string, message: unknown): void;
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

/** Starts the server on a free loopback port. */
export async function startLoopbackWebsocketServer(options: LoopbackWebsocketServerOptions): Promise<LoopbackWebsocketServer> {
  const sockets = new Map<Socket, LoopbackWebsocketConnection>();
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
    const connection: LoopbackWebsocketConnection = {
      id: ++accepted,
      topics: new Set<string>(),
      send: (message) => void socket.write(frame(0x1, Buffer.from(JSON.stringify(message)))),
    };
    sockets.set(socket, connection);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const parsed = parseFrames(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      for (const { opcode, payload } of parsed.frames) {
        if (opcode === 0x9) socket.write(frame(0xa, payload));
        else if (opcode === 0x8) {
          socket.end(frame(0x8, payload.subarray(0, 2)));
          sockets.delete(socket);
        } else if (opcode === 0x1) options.onText(connection, payload.toString('utf8'));
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    subscribers: (topic) => [...sockets.values()].filter((c) => c.topics.has(topic)).length,
    broadcast(topic, message) {
      for (const connection of sockets.values()) if (connection.topics.has(topic)) connection.send(message);
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
