/**
 * The production server: Next.js's request handler behind a plain Node HTTP server that records each
 * request's TCP connection (peer address, TLS) in an AsyncLocalStorage the app reads
 * (app/_server/http/forwarding.ts). Next.js keeps a client-sent X-Forwarded-For and does not give
 * route handlers the socket, so this is the only place the real peer address is known.
 *
 * Usage: node server.mjs [--port <port>] [--hostname 0.0.0.0]   (after `next build`)
 *
 * The port is taken before Next.js (and with it the engine and its workers) starts: a port given with
 * `--port` that is in use ends the process with status 1 and a message saying what to do, before anything
 * else has started; without `--port` the server takes 3000, or the next free one of 3001-3009, or one the
 * system picks, and prints which. Requests that arrive while Next.js prepares wait for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const CONNECTION_STORE = Symbol.for('aethelred.connection-store');
const DEFAULT_PORT = 3000;
/** Ports tried after the default one when it is taken and no port was given, before letting the system pick one. */
const FALLBACK_PORTS = 9;

const { values } = parseArgs({ options: { port: { type: 'string', short: 'p' }, hostname: { type: 'string', short: 'H', default: '0.0.0.0' } } });
const explicitPort = values.port !== undefined;
const wanted = explicitPort ? Number(values.port) : DEFAULT_PORT;
if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) {
  console.error(`aethelred: --port "${values.port}" is not a TCP port (0-65535)`);
  process.exit(2);
}

const connections = new AsyncLocalStorage();
globalThis[CONNECTION_STORE] = connections;

/** Next's handler once prepared; until then requests wait on `prepared`. */
let handle = null;
let resolvePrepared;
const prepared = new Promise((resolve) => (resolvePrepared = resolve));
const server = createServer((req, res) => {
  const connection = { remoteAddress: req.socket.remoteAddress ?? '', encrypted: Boolean(req.socket.encrypted) };
  connections.run(connection, () => (handle !== null ? handle(req, res) : prepared.then(() => handle(req, res))));
});

/** Listens on `port`; resolves with the port taken, rejects with the listen error (EADDRINUSE, EACCES, ...). */
function listen(port) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, values.hostname);
  });
}

function cannotListen(port, error) {
  const where = `port ${port} on ${values.hostname}`;
  if (error.code === 'EADDRINUSE') {
    return `aethelred: ${where} is in use (another Aethelred or another program holds it): stop what holds it, or choose a free port (PORT=<port> npm start, or node server.mjs --port <port>)`;
  }
  if (error.code === 'EACCES') return `aethelred: ${where} needs privileges this process lacks (${error.code}): choose a port above 1023 (PORT=<port> npm start)`;
  if (error.code === 'EADDRNOTAVAIL') return `aethelred: ${values.hostname} is not an address of this machine (${error.code}): give --hostname one it has, or 0.0.0.0`;
  return `aethelred: cannot listen on ${where}: ${error.message}`;
}

let port;
const candidates = explicitPort ? [wanted] : [...Array.from({ length: FALLBACK_PORTS + 1 }, (_, k) => DEFAULT_PORT + k), 0];
for (const candidate of candidates) {
  try {
    port = await listen(candidate);
    break;
  } catch (error) {
    if (explicitPort || error.code !== 'EADDRINUSE' || candidate === 0) {
      console.error(cannotListen(candidate, error));
      process.exit(1);
    }
  }
}
if (port !== DEFAULT_PORT && !explicitPort) console.log(`aethelred: port ${DEFAULT_PORT} is in use; serving on port ${port} instead (set PORT to choose one)`);
const shownHost = values.hostname === '0.0.0.0' || values.hostname === '::' ? 'localhost' : values.hostname;
console.log(`aethelred: listening on http://${shownHost}:${port}`);

// As `next start` does: React and Next pick their production builds from NODE_ENV when first loaded.
process.env.NODE_ENV = 'production';
const { default: next } = await import('next');
const app = next({ dev: false, hostname: values.hostname, port });
await app.prepare();
handle = app.getRequestHandler();
resolvePrepared();
