/**
 * What the loopback venue replay servers (binance-replay-server.ts, bybit-replay-server.ts) share: the request
 * log, injected faults taken in order, the request body read, and the HTTP server on a free loopback port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a replay server saw it (signing parameters dropped). */
export interface ReplayRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  apiKey: string | null;
}

/** The request log and the fault queue of a replay server. */
export interface ReplayLog<F> {
  readonly requests: ReplayRequest[];
  /** Answers the next `times` requests matching `match` (any method when none) with `fault`. */
  inject(match: { method?: string; path: string }, fault: F, times?: number): void;
  /** Records a request and takes the fault injected for it, if any. */
  record(request: ReplayRequest): F | null;
  /** Requests seen on `pathname` (with `method`, when given). */
  hits(pathname: string, method?: string): number;
}

export function createReplayLog<F>(): ReplayLog<F> {
  const requests: ReplayRequest[] = [];
  const faults: { method?: string; path: string; fault: F; times: number }[] = [];
  return {
    requests,
    inject(match, fault, times = 1) {
      faults.push({ method: match.method, path: match.path, fault, times });
    },
    record(request) {
      requests.push(request);
      const index = faults.findIndex((f) => f.path === request.path && (f.method === undefined || f.method === request.method));
      if (index < 0) return null;
      const { fault } = faults[index];
      if (--faults[index].times <= 0) faults.splice(index, 1);
      return fault;
    },
    hits: (pathname, method) => requests.filter((r) => r.path === pathname && (method === undefined || r.method === method)).length,
  };
}

/** The request's URL (against 127.0.0.1) and its body as text. */
export async function readReplayRequest(req: IncomingMessage): Promise<{ url: URL; body: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return { url: new URL(req.url ?? '/', 'http://127.0.0.1'), body: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Serves `handle` on a free 127.0.0.1 port (keep-alive 1 s); a handler that throws answers 500 with
 * `errorBody(message)`. `close` drops open connections and stops the server.
 */
export async function listenReplayServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errorBody: (message: string) => unknown,
): Promise<{ server: Server; baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody(error instanceof Error ? error.message : String(error))));
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
