/**
 * The gate for pages (server components): `requireRole` redirects anonymous visitors to
 * /login, users still on a temporary password to /change-password, and answers a lower role with HTTP 403 (`forbidden()`, rendered by app/forbidden.tsx).
 */
import { cache } from 'react';
import { headers } from 'next/headers';
import { forbidden, redirect } from 'next/navigation';
import { getRoot, type Root } from '../root';
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

/** The page a session still on its temporary password is sent to from every other page. */
export const CHANGE_PASSWORD_PATH = '/change-password';

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

/** The signed-in actor, or null; for pages that show something either way (the top bar). */
export async function currentActor(): Promise<Actor | null> {
  try {
    return (await requestActor()).actor;
  } catch {
    return null;
  }
}
