import { describe, expect, it } from 'vitest';
import { createForwarding, parseTrustedProxies, resolveRequestSource, runOnConnection } from './forwarding';

const headers = (init: Record<string, string>) => new Headers(init);
const direct = { remoteAddress: '203.0.113.7', encrypted: false };
const fromProxy = { remoteAddress: '10.0.0.2', encrypted: false };
const proxies = parseTrustedProxies(['10.0.0.0/8', '::1']);

describe('resolveRequestSource', () => {
  it('ignores every forwarding header from a peer that is not a trusted proxy', () => {
    const spoofed = headers({ host: 'trade.example.test', 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' });
    expect(resolveRequestSource(spoofed, direct, proxies)).toEqual({ clientAddress: '203.0.113.7', protocol: 'http', host: 'trade.example.test' });
  });

  it('ignores them too when no proxy is configured', () => {
    const spoofed = headers({ host: 'localhost:3000', 'x-forwarded-for': '198.51.100.1' });
    expect(resolveRequestSource(spoofed, { remoteAddress: '::ffff:127.0.0.1', encrypted: false }, parseTrustedProxies([]))).toEqual({
      clientAddress: '127.0.0.1',
      protocol: 'http',
      host: 'localhost:3000',
    });
  });

  it('takes the first address from the right that is not a trusted proxy, whatever the client prepended', () => {
    const forwarded = headers({ host: 'internal:3000', 'x-forwarded-for': '1.2.3.4, 198.51.100.9, 10.0.0.5', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'trade.example.test' });
    expect(resolveRequestSource(forwarded, fromProxy, proxies)).toEqual({ clientAddress: '198.51.100.9', protocol: 'https', host: 'trade.example.test' });
  });

  it('stops at garbage in the chain and keeps the last address a proxy vouched for', () => {
    expect(resolveRequestSource(headers({ 'x-forwarded-for': 'not-an-ip, 10.0.0.5' }), fromProxy, proxies).clientAddress).toBe('10.0.0.5');
  });

  it('uses the proxy itself when it sent no X-Forwarded-For', () => {
    expect(resolveRequestSource(headers({ host: 'a:1' }), fromProxy, proxies)).toEqual({ clientAddress: '10.0.0.2', protocol: 'http', host: 'a:1' });
  });

  it('knows no client address without a recorded connection, and takes the scheme from the URL', () => {
    expect(resolveRequestSource(headers({ host: 'a:1', 'x-forwarded-for': '1.2.3.4' }), undefined, proxies, 'https://a:1/x')).toEqual({ clientAddress: null, protocol: 'https', host: 'a:1' });
  });

  it('refuses a malformed host', () => {
    expect(resolveRequestSource(headers({ host: 'evil.example/"><script>' }), direct, proxies).host).toBeNull();
  });
});

describe('parseTrustedProxies', () => {
  it.each([
    ['10.0.0.0/33', '"10.0.0.0/33": the prefix length must be 0-32'],
    ['proxy.internal', '"proxy.internal" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)'],
    ['10.0.0.0/8/1', '"10.0.0.0/8/1" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)'],
    ['::1/abc', '"::1/abc": the prefix length must be 0-128'],
  ])('refuses %s', (entry, message) => {
    expect(() => parseTrustedProxies([entry])).toThrow(message);
  });
});

describe('createForwarding', () => {
  it('names the origins of the host the request was sent to, or the public URL', () => {
    const request = headers({ host: '127.0.0.1:3100', 'x-forwarded-host': 'evil.example' });
    expect(createForwarding({ trustedProxies: [] }).ownOrigins(request, { connection: direct })).toEqual(['http://127.0.0.1:3100', 'https://127.0.0.1:3100']);
    expect(createForwarding({ trustedProxies: [], publicUrl: 'https://trade.example.test' }).ownOrigins(request)).toEqual(['https://trade.example.test']);
    expect(createForwarding({ trustedProxies: [] }).ownOrigins(headers({}), { connection: direct })).toEqual([]);
  });

  it('reads the connection the server recorded for the current request', () => {
    const forwarding = createForwarding({ trustedProxies: [] });
    const source = runOnConnection({ remoteAddress: '192.0.2.44', encrypted: true }, () => forwarding.sourceOf(headers({ host: 'a:1', 'x-forwarded-for': '1.1.1.1' })));
    expect(source).toEqual({ clientAddress: '192.0.2.44', protocol: 'https', host: 'a:1' });
  });
});
