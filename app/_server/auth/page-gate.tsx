/**
 * The gate for pages (server components): `requireRole` redirects anonymous visitors to
 * /login, users still on a temporary password to /change-password, and answers a lower role with HTTP 403 (`forbidden()`, rendered by app/forbidden.tsx).
 * `redirectPendingPasswordChange` (root layout) sends a temporary-password session on with an HTTP 307 before any page streams.
 */
import { cache } from 'react';
import { headers } from 'next/headers';
import { forbidden, redirect } from 'next/navigation';
import { getRoot, type Root } from '../root';
import { CHANGE_PASSWORD_PATH, passwordChangeLocation, PATHNAME_HEADER, SEARCH_HEADER } from '../http/edge-policy';
import type { Actor } from './auth-kit';
import { roleAtLeast, type Role } from './roles';

export type PageAccess = { actor: Actor; root: Root };

/**
 * The request's actor, looked up once per server render (React `cache` is scoped to the request):
 * the page's `requireRole` and the layout's user bar share one session/token lookup.
 */
const requestActor = cache(async (): Promise<{ root: Root; actor: Actor | null }> => {
  const root = await getRoot();
  return { root, actor: await root.auth.authenticate(await headers()) };
});

export { CHANGE_PASSWORD_PATH };

/**
 * `from` is the page's path, used to come back after signing in. A user still on a temporary
 * password is sent to the change-password page (only that page passes `passwordChange: true`).
 */
export async function requireRole(role: Role, from: string, options: { passwordChange?: boolean } = {}): Promise<PageAccess> {
  const { root, actor } = await requestActor();
  if (!actor) redirect(`/login?next=${encodeURIComponent(from)}`);
  if (actor.mustChangePassword && !options.passwordChange) redirect(`${CHANGE_PASSWORD_PATH}?next=${encodeURIComponent(from)}`);
  // 403 with app/forbidden.tsx, which names the caller's role. Pages that need more than "viewer" have no
  // loading state, so nothing has been streamed yet and the status is still settable.
  if (!roleAtLeast(actor.role, role)) forbidden();
  return { actor, root };
}

/**
 * Sends a session still on its temporary password to the change-password page, from the root layout.
 * The layout renders before any page's loading state has streamed, so this answers HTTP 307 with a
 * Location; `requireRole` inside a page with a loading state can only redirect in the browser, after a
 * 200 went out. Pages keep their own check (a client-side navigation does not render the layout again).
 * Without the proxy's path header (not a page request) it does nothing.
 */
export async function redirectPendingPasswordChange(): Promise<void> {
  const requestHeaders = await headers();
  const pathname = requestHeaders.get(PATHNAME_HEADER);
  if (pathname === null) return;
  const location = passwordChangeLocation(pathname, requestHeaders.get(SEARCH_HEADER) ?? '');
  if (location === null) return;
  if ((await currentActor())?.mustChangePassword) redirect(location);
}

/** The signed-in actor, or null; for pages that show something either way (the top bar). */
export async function currentActor(): Promise<Actor | null> {
  try {
    return (await requestActor()).actor;
  } catch {
    return null;
  }
}
