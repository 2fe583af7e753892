/**
 * The edge, before any route renders (Next.js 16 `proxy`, formerly middleware): security headers
 * with a per-request CSP nonce on every response, and a 307 to /login for page requests that carry
 * no session cookie (pages with a loading state stream a 200 before their own `requireRole` runs).
 * Policy lives in app/_server/http/edge-policy.ts.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, needsSignInRedirect, newNonce, PATHNAME_HEADER, SECURITY_HEADERS, signInLocation } from './app/_server/http/edge-policy';

export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const csp = contentSecurityPolicy(nonce);
  const { pathname, search } = request.nextUrl;
  let response: NextResponse;
  if (needsSignInRedirect({ method: request.method, pathname, headers: request.headers, cookieNames: request.cookies.getAll().map((c) => c.name) })) {
    // Next sends a same-origin redirect with a relative Location: the browser resolves it against the URL it asked for.
    response = NextResponse.redirect(new URL(signInLocation(pathname, search), request.url), 307);
  } else {
    const requestHeaders = new Headers(request.headers);
    requestHeaders.set('x-nonce', nonce);
    requestHeaders.set('content-security-policy', csp);
    requestHeaders.set(PATHNAME_HEADER, pathname);
    response = NextResponse.next({ request: { headers: requestHeaders } });
  }
  response.headers.set('content-security-policy', csp);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but Next's static assets (hashed files need no nonce and no session).
  matcher: [{ source: '/((?!_next/static|_next/image|favicon.ico).*)' }],
};
