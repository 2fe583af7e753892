import { redirect } from 'next/navigation';
import { CHANGE_PASSWORD_PATH, requireRole } from '@/app/_server/auth/page-gate';
import { sameOriginPath } from '@/app/_server/http/same-origin-path';
import { ChangePasswordForm } from '@/app/admin/tokens/change-password-form';

export const dynamic = 'force-dynamic';

/**
 * Any signed-in user; the only page a user still on a temporary password (an invite) may open:
 * every other page redirects here and routes and actions answer 403 until the password is changed.
 */
export default async function ChangePasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { actor } = await requireRole('viewer', CHANGE_PASSWORD_PATH, { passwordChange: true });
  const rawNext = sameOriginPath((await searchParams).next);
  const next = rawNext.startsWith(CHANGE_PASSWORD_PATH) ? '/' : rawNext;
  // Nothing to force any more: the regular password form is on the tokens page.
  if (!actor.mustChangePassword) redirect(next === '/' ? '/admin/tokens' : next);
  return (
    <section className="card narrow" aria-labelledby="change-password-heading" data-testid="forced-password-change">
      <h1 id="change-password-heading">Choose your own password</h1>
      <p>
        You signed in with the temporary password an admin gave you. Choose a password of your own (at least 10 characters) to continue; until then the
        app and its API answer this session with 403.
      </p>
      <ChangePasswordForm next={next} />
    </section>
  );
}
