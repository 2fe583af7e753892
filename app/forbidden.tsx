import { currentActor } from '@/app/_server/auth/page-gate';

/** HTTP 403 for a page the signed-in user's role does not reach (`requireRole` calls `forbidden()`). */
export default async function Forbidden() {
  const actor = await currentActor();
  return (
    <section className="card" data-testid="forbidden">
      <h1>403 — not allowed</h1>
      <p>
        This page needs a higher role
        {actor ? (
          <>
            ; you are signed in as {actor.email} with role <strong>{actor.role}</strong>
          </>
        ) : null}
        .
      </p>
    </section>
  );
}
