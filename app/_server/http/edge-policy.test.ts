import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isDecodablePath, isProtectedPage, lastPathSegment, needsSignInRedirect, passwordChangeLocation, signInLocation } from './edge-policy';

const page = (pathname: string, init: { method?: string; headers?: Record<string, string>; cookieNames?: string[] } = {}) => ({
  method: init.method ?? 'GET',
  pathname,
  headers: new Headers(init.headers),
  cookieNames: init.cookieNames ?? [],
});

describe('the edge sign-in redirect', () => {
  it('sends an anonymous page load to /login, keeping the path and query', () => {
    expect(needsSignInRedirect(page('/journal'))).toBe(true);
    expect(signInLocation('/journal/decisions', '?symbol=BTC%2FUSDT')).toBe('/login?next=%2Fjournal%2Fdecisions%3Fsymbol%3DBTC%252FUSDT');
  });

  it('lets through a session cookie (plain or __Secure-), a Bearer token, a server action and non-GET methods', () => {
    expect(needsSignInRedirect(page('/journal', { cookieNames: ['aethelred.session_token'] }))).toBe(false);
    expect(needsSignInRedirect(page('/journal', { cookieNames: ['__Secure-aethelred.session_token'] }))).toBe(false);
    expect(needsSignInRedirect(page('/journal', { cookieNames: ['aethelred.theme'] }))).toBe(true);
    expect(needsSignInRedirect(page('/journal', { headers: { authorization: 'Bearer aeth_x' } }))).toBe(false);
    expect(needsSignInRedirect(page('/setup', { method: 'POST', headers: { 'next-action': 'abc' } }))).toBe(false);
    expect(needsSignInRedirect(page('/', { method: 'POST' }))).toBe(false);
  });

  it('never redirects the public pages, API routes or assets', () => {
    expect(['/login', '/setup', '/setup/', '/api/me', '/api/health', '/_next/data/x.json', '/favicon.ico'].map(isProtectedPage)).toEqual([false, false, false, false, false, false, false]);
    expect(['/', '/admin/users', '/live/live%3Abinance%3ABTC%2FUSDT%3A5m', '/no-such-page'].map(isProtectedPage)).toEqual([true, true, true, true]);
  });
});

describe('the forced password change redirect', () => {
  it('sends every page to /change-password, keeping the path and query to come back to', () => {
    expect(passwordChangeLocation('/strategies', '')).toBe('/change-password?next=%2Fstrategies');
    expect(passwordChangeLocation('/backtests/compare', '?ids=a,b')).toBe('/change-password?next=%2Fbacktests%2Fcompare%3Fids%3Da%2Cb');
    expect(passwordChangeLocation('/', '')).toBe('/change-password?next=%2F');
  });

  it('leaves the change-password page itself, public pages, API routes and assets alone', () => {
    expect(['/change-password', '/change-password/', '/login', '/setup', '/api/me', '/favicon.ico'].map((p) => passwordChangeLocation(p, '?next=%2F'))).toEqual([null, null, null, null, null, null]);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows scripts by nonce only and forbids framing', () => {
    expect(contentSecurityPolicy('abc=')).toBe(
      "default-src 'self'; script-src 'self' 'nonce-abc=' 'strict-dynamic'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
  });
});

describe('lastPathSegment', () => {
  it('decodes the id from the path the proxy recorded', () => {
    expect(lastPathSegment(new Headers({ 'x-aethelred-pathname': '/live/live%3Abinance%3ANOPE%2FUSDT%3A5m' }))).toBe('live:binance:NOPE/USDT:5m');
    expect(lastPathSegment(new Headers({ 'x-aethelred-pathname': '/journal/trades/%E0%A4%A' }))).toBe('%E0%A4%A');
    expect(lastPathSegment(new Headers())).toBeNull();
  });
});

describe('isDecodablePath', () => {
  it('refuses a path whose percent-encoding does not decode to UTF-8', () => {
    expect(['/api/live/%/drift', '/api/live/%ED%A0%80/drift', '/api/auth/sign-in/%zz', '/x/%C0%AF'].map(isDecodablePath)).toEqual([false, false, false, false]);
    expect(['/api/live/live%3Abinance%3ABTC%2FUSDT%3A5m/drift', '/', '/%F0%9F%92%A5', '/api/x/%00'].map(isDecodablePath)).toEqual([true, true, true, true]);
  });
});
