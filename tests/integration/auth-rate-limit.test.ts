import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/_server/config';
import { runOnConnection } from '../../app/_server/http/forwarding';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

/** The sign-in rate limit (20 a minute per client) keys on the socket address, not on X-Forwarded-For. */
describe('sign-in rate limit per client address', () => {
  let t: AuthTestRoot;
  beforeAll(async () => {
    t = await createAuthTestRoot({ AETHELRED_TRUSTED_PROXIES: '10.9.0.0/16' });
  });
  afterAll(() => t.close());

  let attempt = 0;
  const signIn = (remoteAddress: string, forwardedFor?: string) =>
    runOnConnection({ remoteAddress, encrypted: false }, () =>
      t.root.auth.handleAuthRequest(
        new Request(`${TEST_ORIGIN}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: TEST_ORIGIN, host: 'localhost:3000', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
          // A different unknown address each time: the per-account lockout never applies.
          body: JSON.stringify({ email: `nobody-${++attempt}@example.test`, password: 'wrong-password-123' }),
        }),
      ),
    );

  it('limits a client that rotates X-Forwarded-For like any other: the 21st try in a minute is 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await signIn('203.0.113.7', `198.51.100.${i}`)).status);
    expect(statuses).toEqual([...Array(20).fill(401), 429]);
    // Another client is not affected.
    expect((await signIn('203.0.113.8')).status).toBe(401);
  });

  it('counts clients behind a trusted proxy by the address the proxy forwarded', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await signIn('10.9.0.1', `6.6.6.${i}, 198.51.100.200`)).status);
    expect(statuses).toEqual([...Array(20).fill(401), 429]);
    expect((await signIn('10.9.0.1', '198.51.100.201')).status).toBe(401);
  });
});

describe('AETHELRED_TRUSTED_PROXIES', () => {
  it('stops start-up naming the variable and the bad entry', () => {
    expect(() => loadConfig({ AETHELRED_TRUSTED_PROXIES: '10.0.0.0/8, proxy.internal' }, '/tmp')).toThrow(ConfigError);
    expect(() => loadConfig({ AETHELRED_TRUSTED_PROXIES: '10.0.0.0/8, proxy.internal' }, '/tmp')).toThrow(
      'AETHELRED_TRUSTED_PROXIES="10.0.0.0/8, proxy.internal": "proxy.internal" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1); expected a comma-separated list of IP addresses or CIDR ranges',
    );
    expect(loadConfig({ AETHELRED_TRUSTED_PROXIES: '10.0.0.0/8, ::1' }, '/tmp').trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({}, '/tmp').trustedProxies).toEqual([]);
  });
});
