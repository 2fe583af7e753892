import { requireRole } from '@/app/_server/auth/page-gate';
import { ROLES, roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { createApiToken, logoutEverywhere, revokeApiToken } from '../actions';
import { ChangePasswordForm } from './change-password-form';
import { ScrollTable } from '@/app/_components/scroll-table';
import { fmtTime } from '@/app/_components/format';

export const dynamic = 'force-dynamic';


/** Any signed-in user: their API tokens (admins see everyone's) and "log out everywhere". */
export default async function TokensPage() {
  const access = await requireRole('viewer', '/admin/tokens');
  const { actor, root } = access;
  const isAdmin = roleAtLeast(actor.role, 'admin');
  const [tokens, users] = await Promise.all([root.auth.tokens.list(isAdmin ? undefined : actor.userId), isAdmin ? root.auth.users.list() : Promise.resolve([])]);
  const emailOf = new Map(users.map((u) => [u.id, u.email]));
  return (
    <>
      <section className="card" aria-labelledby="new-token-heading">
        <h1 id="new-token-heading">API tokens</h1>
        <p className="muted">Send as <code>Authorization: Bearer &lt;token&gt;</code>. The token is shown once; only its hash is stored.</p>
        <ActionForm action={createApiToken} submitLabel="Create token" testId="token-form" showResult secrets={['token']} hiddenResults={['tokenId']} resultLabels={{ token: 'API token' }}>
          <label>
            Name <input name="name" required />
          </label>
          <label>
            Role{' '}
            <select name="role" defaultValue="viewer">
              {ROLES.filter((r) => roleAtLeast(actor.role, r)).map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
        </ActionForm>
      </section>
      <section className="card" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">{isAdmin ? 'All tokens' : 'Your tokens'}</h2>
        <ScrollTable label={isAdmin ? 'All API tokens' : 'Your API tokens'} data-testid="tokens-table">
          <thead>
            <tr><th scope="col">Name</th>{isAdmin && <th scope="col">Owner</th>}<th scope="col">Prefix</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col" /></tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row">
                <td>{t.name}</td>
                {isAdmin && <td>{emailOf.get(t.userId) ?? t.userId}</td>}
                <td><code>{t.prefix}…</code></td>
                <td>{t.role}</td>
                <td>{fmtTime(t.createdAtMs)}</td>
                <td>{fmtTime(t.lastUsedAtMs)}</td>
                <td>{t.revokedAtMs === null ? 'active' : `revoked ${fmtTime(t.revokedAtMs)}`}</td>
                <td>
                  {t.revokedAtMs === null && (
                    <ActionForm action={revokeApiToken} submitLabel="Revoke">
                      <input type="hidden" name="tokenId" value={t.id} />
                    </ActionForm>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section className="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        <ActionForm action={logoutEverywhere} submitLabel="Log out everywhere" testId="logout-everywhere" showResult resultLabels={{ sessionsRevoked: 'Sessions signed out' }} />
      </section>
      {actor.kind === 'session' && (
        <section className="card" aria-labelledby="password-heading">
          <h2 id="password-heading">Password</h2>
          <ChangePasswordForm />
        </section>
      )}
    </>
  );
}
