/**
 * Who is on the other end of a request, under the trusted-proxy rule: forwarding headers
 * (`X-Forwarded-For`, `-Proto`, `-Host`) count only when the TCP peer is one of the configured
 * proxies (`AETHELRED_TRUSTED_PROXIES`); otherwise the socket's own address and scheme and the
 * `Host` header do. A client that sends `X-Forwarded-For` itself changes nothing.
 *
 * Next.js does not hand the socket to route handlers (and keeps a client-sent `X-Forwarded-For`),
 * so `server.mjs`, the production server, records each connection's address in an
 * AsyncLocalStorage under `CONNECTION_STORE`; this module reads it. Clients cannot forge it. Under
 * plain `next start`/`next dev` no connection is recorded: the client address is then unknown
 * (sign-in rate limiting falls back to one shared bucket) and no forwarding header is trusted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BlockList, isIP } from 'node:net';

/** The TCP connection a request came in on, as the production server saw it. */
export interface Connection {
  remoteAddress: string;
  /** TLS terminated in this process. */
  encrypted: boolean;
}

/** Where `server.mjs` keeps the current request's connection (one store per process, shared by every bundle). */
export const CONNECTION_STORE = Symbol.for('aethelred.connection-store');

/** The connection of the request being served, or undefined outside the production server. */
export function currentConnection(): Connection | undefined {
  const store = (globalThis as { [CONNECTION_STORE]?: AsyncLocalStorage<Connection> })[CONNECTION_STORE];
  return store?.getStore();
}

/**
 * Runs `body` as if it were a request on `connection` (tests; server.mjs does the same for real requests).
 * The store is process-wide on purpose: every bundle of the app must see the one the server writes.
 */
export function runOnConnection<T>(connection: Connection, body: () => T): T {
  const holder = globalThis as { [CONNECTION_STORE]?: AsyncLocalStorage<Connection> };
  holder[CONNECTION_STORE] ??= new AsyncLocalStorage<Connection>();
  return holder[CONNECTION_STORE].run(connection, body);
}

/** What the app may believe about a request. */
export interface RequestSource {
  /** The client's IP address; null when it cannot be known (no connection recorded). */
  clientAddress: string | null;
  protocol: 'http' | 'https';
  /** The host the client asked for (`Host`, or `X-Forwarded-Host` from a trusted proxy); null when absent or malformed. */
  host: string | null;
}

/** `::ffff:1.2.3.4` -> `1.2.3.4`; other addresses unchanged. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * Parses `AETHELRED_TRUSTED_PROXIES` entries (IPv4/IPv6 addresses or CIDR ranges).
 * @throws Error naming the first entry that is neither.
 */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefixText, extra] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}": the prefix length must be 0-${family === 4 ? 32 : 128}`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const normalized = normalizeAddress(address);
  const family = isIP(normalized);
  return family !== 0 && list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
}

const HOST_PATTERN = /^[a-z0-9.\-\[\]:]{1,255}$/i;
const firstValue = (header: string | null) => header?.split(',')[0]?.trim() || null;

/**
 * Resolves a request's client address, scheme and host. With a trusted peer, `X-Forwarded-For` is
 * walked from the right past every trusted proxy: the first address that is not one is the client
 * (the left part of the header is whatever the client sent and proves nothing).
 */
export function resolveRequestSource(headers: Headers, connection: Connection | undefined, trustedProxies: BlockList, url?: string): RequestSource {
  const hostOf = (value: string | null) => (value && HOST_PATTERN.test(value) ? value : null);
  if (!connection) {
    // Not under server.mjs (tests, `next dev`): nothing known about the peer; the URL tells the scheme (and the host, without a Host header).
    let urlHost: string | null = null;
    try {
      urlHost = url ? new URL(url).host : null;
    } catch {
      // no usable URL
    }
    return { clientAddress: null, protocol: url?.startsWith('https:') ? 'https' : 'http', host: hostOf(headers.get('host')) ?? hostOf(urlHost) };
  }
  if (!isTrusted(trustedProxies, connection.remoteAddress)) {
    return { clientAddress: normalizeAddress(connection.remoteAddress), protocol: connection.encrypted ? 'https' : 'http', host: hostOf(headers.get('host')) };
  }
  const chain = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  let clientAddress = normalizeAddress(connection.remoteAddress);
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(chain[i]);
    if (isIP(hop) === 0) break; // garbage from the client's part of the chain: stop at the last address a proxy vouched for
    clientAddress = hop;
    if (!isTrusted(trustedProxies, hop)) break;
  }
  const forwardedProto = firstValue(headers.get('x-forwarded-proto'))?.toLowerCase();
  return {
    clientAddress,
    protocol: forwardedProto === 'https' ? 'https' : forwardedProto === 'http' ? 'http' : connection.encrypted ? 'https' : 'http',
    host: hostOf(firstValue(headers.get('x-forwarded-host'))) ?? hostOf(headers.get('host')),
  };
}

/** The app's trusted-proxy rule, built once by the composition root. */
export interface Forwarding {
  /**
   * The request's source; `connection` defaults to the one the production server recorded. `url` (the
   * request's URL) gives the scheme only when no connection is recorded.
   */
  sourceOf(headers: Headers, options?: { connection?: Connection; url?: string }): RequestSource;
  /**
   * The origins this request may call its own: the public URL when configured, else the host it was
   * addressed to, over http and https (TLS may end at a proxy in front that is not listed as trusted).
   */
  ownOrigins(headers: Headers, options?: { connection?: Connection; url?: string }): string[];
}

export function createForwarding(config: { trustedProxies: readonly string[]; publicUrl?: string }): Forwarding {
  const list = parseTrustedProxies(config.trustedProxies);
  const sourceOf: Forwarding['sourceOf'] = (headers, options = {}) =>
    resolveRequestSource(headers, 'connection' in options ? options.connection : currentConnection(), list, options.url);
  return {
    sourceOf,
    ownOrigins(headers, options) {
      if (config.publicUrl) return [new URL(config.publicUrl).origin];
      const { host } = sourceOf(headers, options);
      if (!host) return [];
      try {
        return [new URL(`http://${host}`).origin, new URL(`https://${host}`).origin];
      } catch {
        return [];
      }
    },
  };
}
