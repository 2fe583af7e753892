/**
 * What the edge (proxy.ts, before any page renders) decides: security headers with a per-request
 * CSP nonce, and the sign-in redirect for anonymous page requests. Pages still run the real check
 * (`requireRole`); this only answers 307 before a streaming page (one with a loading state) has
 * sent its 200.
 */

/**
 * The request path, set by the proxy on every request it passes on (a client-sent value is replaced),
 * for server components that are not given it: the not-found pages name the id that was not found.
 */
export const PATHNAME_HEADER = 'x-aethelred-pathname';

/** The request's query string (with its `?`, or empty), set by the proxy next to PATHNAME_HEADER (a client-sent value is replaced). */
export const SEARCH_HEADER = 'x-aethelred-search';

/** The page a session still on its temporary password is sent to from every other page. */
export const CHANGE_PASSWORD_PATH = '/change-password';

/** The last path segment of the request (percent-decoded when valid), from the proxy's header; null when absent. */
export function lastPathSegment(headers: Headers): string | null {
  const segment = headers.get(PATHNAME_HEADER)?.split('/').filter(Boolean).pop();
  if (!segment) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** better-auth's session cookie (prefix `aethelred`; `__Secure-` when cookies are Secure). */
export const SESSION_COOKIES = ['aethelred.session_token', '__Secure-aethelred.session_token'] as const;

/** Paths anyone may open: the sign-in and first-run pages, and everything that is not a page. */
const PUBLIC_PAGE_PATHS = new Set(['/login', '/setup']);

/** Whether every segment of `pathname` is valid percent-encoded UTF-8 (Next.js fails with 500 on the others). */
export function isDecodablePath(pathname: string): boolean {
  try {
    for (const segment of pathname.split('/')) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pathname` is a page that needs a signed-in user (not an API route, a Next asset or a public page). */
export function isProtectedPage(pathname: string): boolean {
  if (pathname.startsWith('/api/') || pathname === '/api' || pathname.startsWith('/_next/')) return false;
  if (/\.(ico|png|svg|jpg|jpeg|gif|webp|txt|xml|webmanifest|css|js|map)$/i.test(pathname)) return false;
  return !PUBLIC_PAGE_PATHS.has(pathname.replace(/\/+$/, '') || '/');
}

/**
 * Whether a page request should be sent to /login at the edge: a plain page load (GET/HEAD, not a
 * server action) with neither a session cookie nor an `Authorization` header.
 */
export function needsSignInRedirect(request: { method: string; pathname: string; headers: Headers; cookieNames: readonly string[] }): boolean {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (request.headers.has('next-action') || request.headers.has('authorization')) return false;
  if (!isProtectedPage(request.pathname)) return false;
  return !SESSION_COOKIES.some((name) => request.cookieNames.includes(name));
}

/**
 * Where a session still on its temporary password is sent from a page: `/change-password?next=<path and query>`,
 * or null for the change-password page itself and for what needs no session (public pages, API routes, assets).
 */
export function passwordChangeLocation(pathname: string, search: string): string | null {
  if (!isProtectedPage(pathname) || (pathname.replace(/\/+$/, '') || '/') === CHANGE_PASSWORD_PATH) return null;
  return `${CHANGE_PASSWORD_PATH}?next=${encodeURIComponent(`${pathname}${search}`)}`;
}

/** `/login?next=<path and query>`: where an anonymous visitor is sent. */
export function signInLocation(pathname: string, search: string): string {
  return `/login?next=${encodeURIComponent(`${pathname}${search}`)}`;
}

/**
 * The Content-Security-Policy for a response. Scripts: only this origin's and those carrying the
 * request's nonce (Next.js puts it on its own inline scripts when it finds it in the request's CSP
 * header), plus what they load ('strict-dynamic'). Styles allow inline attributes (React `style`
 * props, chart libraries). No framing, no plugins, forms post only here.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response carries (the CSP is added per request, with its nonce). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

/** A fresh nonce: 16 random bytes, base64. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}
