/**
 * The gate for pages (server components): `requireRole` redirects anonymous visitors to
 * /login and hands a lower role a 403 page to render.
 */
import { cache, type ReactElement } from 'react';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getRoot, type Root } from '../root';
import type { Actor } from './auth-kit';
import { roleAtLeast, type Role } from './roles';

export type PageAccess = { ok: true; actor: Actor; root: Root } | { ok: false; forbidden: ReactElement };

/**
 * The request's actor, looked up once per server render (React `cache` is scoped to the request):
 * the page's `requireRole` and the layout's user bar share one session/token lookup.
 */
const requestActor = cache(async (): Promise<{ root: Root; actor: Actor | null }> => {
  const root = await getRoot();
  return { root, actor: await root.auth.authenticate(await headers()) };
});

/** `from` is the page's path, used to come back after signing in. */
export async function requireRole(role: Role, from: string): Promise<PageAccess> {
  const { root, actor } = await requestActor();
  if (!actor) redirect(`/login?next=${encodeURIComponent(from)}`);
  if (!roleAtLeast(actor.role, role)) {
    return {
      ok: false,
      forbidden: (
        <section className="card" data-testid="forbidden">
          <h1>403 — not allowed</h1>
          <p>
            This page needs the <strong>{role}</strong> role; you are signed in as {actor.email} with role <strong>{actor.role}</strong>.
          </p>
        </section>
      ),
    };
  }
  return { ok: true, actor, root };
}

/** The signed-in actor, or null; for pages that show something either way (the top bar). */
export async function currentActor(): Promise<Actor | null> {
  try {
    return (await requestActor()).actor;
  } catch {
    return null;
  }
}
