/**
 * The edge, before any route renders (Next.js 16 `proxy`, formerly middleware): security headers
 * with a per-request CSP nonce on every response, and a 307 to /login for page requests that carry
 * no session cookie (pages with a loading state stream a 200 before their own `requireRole` runs).
 * Policy lives in app/_server/http/edge-policy.ts.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { checkFormActionBody, checkTextActionBody, isFormActionPost } from './app/_server/http/action-payload';
import { contentSecurityPolicy, isDecodablePath, needsSignInRedirect, newNonce, PATHNAME_HEADER, SEARCH_HEADER, SECURITY_HEADERS, signInLocation } from './app/_server/http/edge-policy';

/** A client error answered at the edge, logged as one (a warning with the reason), never as a server failure. */
function refuse(request: NextRequest, message: string): NextResponse {
  console.warn(JSON.stringify({ level: 40, time: Date.now(), msg: 'refused a malformed request', method: request.method, path: request.nextUrl.pathname.slice(0, 200), reason: message }));
  return NextResponse.json({ error: { code: 'bad_request:input', message } }, { status: 400 });
}

/**
 * Why a server action call's body cannot be decoded, or null. Next.js passes the body to React's
 * decoder, which throws on malformed input and Next answers that with 500.
 */
async function malformedActionBody(request: NextRequest): Promise<string | null> {
  const contentType = request.headers.get('content-type') ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await request.clone().formData();
    } catch {
      return 'the server action body is not valid multipart form data';
    }
    const reason = checkFormActionBody(form);
    return reason && `the server action body is malformed: ${reason}`;
  }
  const reason = checkTextActionBody(await request.clone().text());
  return reason && `the server action body is malformed: ${reason}`;
}

export async function proxy(request: NextRequest) {
  // Next decodes path parameters itself and answers bad percent-encoding (`/api/live/%/drift`) with 500.
  if (!isDecodablePath(request.nextUrl.pathname)) return withSecurityHeaders(refuse(request, 'the URL path is not valid percent-encoded UTF-8'));
  if (request.method === 'POST' && request.headers.has('next-action')) {
    const reason = await malformedActionBody(request);
    if (reason) return withSecurityHeaders(refuse(request, reason));
  } else if (request.method === 'POST' && /^(multipart\/form-data|application\/x-www-form-urlencoded)/.test(request.headers.get('content-type') ?? '') && !request.nextUrl.pathname.startsWith('/api/')) {
    // A form posted to a page without JavaScript: Next.js would look for a server action in it.
    const form = await request.clone().formData().catch(() => null);
    if (!form || isFormActionPost(form)) return withSecurityHeaders(refuse(request, 'server actions are called from the app\'s pages, not by posting a form without JavaScript'));
  }
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
    requestHeaders.set(SEARCH_HEADER, search);
    response = NextResponse.next({ request: { headers: requestHeaders } });
  }
  response.headers.set('content-security-policy', csp);
  return withSecurityHeaders(response);
}

function withSecurityHeaders(response: NextResponse): NextResponse {
  if (!response.headers.has('content-security-policy')) response.headers.set('content-security-policy', contentSecurityPolicy(newNonce()));
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but Next's static assets (hashed files need no nonce and no session).
  matcher: [{ source: '/((?!_next/static|_next/image|favicon.ico).*)' }],
};
