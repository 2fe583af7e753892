import { notFound } from 'next/navigation';
import { getRoot } from '@/app/_server/root';
import { ActionForm } from '@/app/_components/action-form';
import { setupFirstAdmin } from '../actions';

export const dynamic = 'force-dynamic';

/** Public, first run only: creates the first admin; 404 once any admin exists (the action checks again). */
export default async function SetupPage() {
  const root = await getRoot();
  if (await root.auth.adminExists()) notFound();
  return (
    <section className="card narrow" aria-labelledby="setup-heading">
      <h1 id="setup-heading">Create the first admin</h1>
      <ActionForm action={setupFirstAdmin} submitLabel="Create admin" testId="setup-form" showResult>
        <label>
          E-mail <input name="email" type="email" required />
        </label>
        <label>
          Name <input name="name" />
        </label>
        <label>
          Password <input name="password" type="password" minLength={10} required />
        </label>
      </ActionForm>
      <p className="muted">
        Then <a href="/login">sign in</a>.
      </p>
    </section>
  );
}
