import { currentActor } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { SignOutButton } from './sign-out-button';

/** Top-bar navigation for the signed-in user: links their role may open, who they are, sign out. */
export async function UserBar() {
  const actor = await currentActor();
  if (!actor) return null;
  const admin = roleAtLeast(actor.role, 'admin');
  return (
    <nav className="userbar" aria-label="Account">
      <a href="/admin/tokens">API tokens</a>
      {admin && (
        <>
          <a href="/admin/users">Users</a>
          <a href="/admin/audit">Audit log</a>
          <a href="/admin/webhooks">Webhooks</a>
          <a href="/admin/credentials">Credentials</a>
          <a href="/admin/notifications">Notifications</a>
        </>
      )}
      <span className="muted" data-testid="current-user">
        {actor.email} · <span data-testid="current-role">{actor.role}</span>
      </span>
      <SignOutButton />
    </nav>
  );
}
