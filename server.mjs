/**
 * The production server: Next.js's request handler behind a plain Node HTTP server that records each
 * request's TCP connection (peer address, TLS) in an AsyncLocalStorage the app reads
 * (app/_server/http/forwarding.ts). Next.js keeps a client-sent X-Forwarded-For and does not give
 * route handlers the socket, so this is the only place the real peer address is known.
 *
 * Usage: node server.mjs [--port 3000] [--hostname 0.0.0.0]   (after `next build`)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const CONNECTION_STORE = Symbol.for('aethelred.connection-store');
const { values } = parseArgs({ options: { port: { type: 'string', short: 'p', default: '3000' }, hostname: { type: 'string', short: 'H', default: '0.0.0.0' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`aethelred: --port "${values.port}" is not a TCP port (0-65535)`);
  process.exit(2);
}

const connections = new AsyncLocalStorage();
globalThis[CONNECTION_STORE] = connections;

// As `next start` does: React and Next pick their production builds from NODE_ENV when first loaded.
process.env.NODE_ENV = 'production';
const { default: next } = await import('next');
const app = next({ dev: false, hostname: values.hostname, port });
const handle = app.getRequestHandler();
await app.prepare();
const server = createServer((req, res) => {
  const connection = { remoteAddress: req.socket.remoteAddress ?? '', encrypted: Boolean(req.socket.encrypted) };
  connections.run(connection, () => handle(req, res));
});
server.listen(port, values.hostname, () => console.log(`aethelred: listening on http://${values.hostname}:${port}`));
