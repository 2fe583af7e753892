import { notFound } from 'next/navigation';
import { getRoot } from '@/app/_server/root';
import { setupFirstAdmin } from '../actions';
import { SetupForm } from './setup-form';

export const dynamic = 'force-dynamic';

/** Public, first run only: creates the first admin and signs them in; 404 once any admin exists (the action checks again). */
export default async function SetupPage() {
  const root = await getRoot();
  if (await root.auth.adminExists()) notFound();
  return (
    <section className="card narrow" aria-labelledby="setup-heading">
      <h1 id="setup-heading">Create the first admin</h1>
      <p className="muted">This page works once: the admin you create here signs in right away and can invite the rest of the team.</p>
      <SetupForm action={setupFirstAdmin} />
    </section>
  );
}
