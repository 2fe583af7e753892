import { redirect } from 'next/navigation';
import { currentActor } from '@/app/_server/auth/page-gate';
import { sameOriginPath } from '@/app/_server/http/same-origin-path';
import { getRoot } from '@/app/_server/root';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

/** Public: the sign-in form. Signed-in visitors go straight on. */
export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // Only same-origin paths may be a post-login destination (no open redirects).
  const next = sameOriginPath((await searchParams).next);
  if (await currentActor()) redirect(next);
  // A fresh install has nobody to sign in as: go to the one-time setup page instead.
  if (!(await (await getRoot()).auth.adminExists())) redirect('/setup');
  return (
    <section className="card narrow" aria-labelledby="login-heading">
      <h1 id="login-heading">Sign in</h1>
      <LoginForm next={next} />
      <p className="muted">
        First run? Create the first admin at <a href="/setup">/setup</a> or with <code>npm run cli -- create-admin --email you@example.com --password …</code>.
      </p>
    </section>
  );
}
