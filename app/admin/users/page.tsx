import { requireRole } from '@/app/_server/auth/page-gate';
import { ROLES } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { inviteUser, setUserActive, setUserRole } from '../actions';
import { ScrollTable } from '@/app/_components/scroll-table';
import { fmtTime } from '@/app/_components/format';

export const dynamic = 'force-dynamic';


/** Admin: invite users (temporary password shown once), change roles, deactivate. */
export default async function UsersPage() {
  const access = await requireRole('admin', '/admin/users');
  const users = await access.root.auth.users.list();
  return (
    <>
      <section className="card" aria-labelledby="invite-heading">
        <h1 id="invite-heading">Invite a user</h1>
        <ActionForm action={inviteUser} submitLabel="Invite" testId="invite-form" showResult secrets={['temporaryPassword']} hiddenResults={['userId']} resultLabels={{ email: 'Invited' }}>
          <label>
            E-mail <input name="email" type="email" required />
          </label>
          <label>
            Name <input name="name" />
          </label>
          <label>
            Role{' '}
            <select name="role" defaultValue="viewer">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
        </ActionForm>
        <p className="muted">The temporary password is shown once; pass it on privately. The invited user must choose their own password at first sign-in.</p>
      </section>
      <section className="card" aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <ScrollTable label="Users" data-testid="users-table">
          <thead>
            <tr><th scope="col">E-mail</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid="user-row">
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td data-testid="user-role">{u.role}</td>
                <td>{u.active ? 'active' : 'deactivated'}</td>
                <td>{fmtTime(u.createdAtMs)}</td>
                <td>
                  <ActionForm action={setUserRole} submitLabel="Set role">
                    <input type="hidden" name="userId" value={u.id} />
                    <select name="role" defaultValue={u.role} aria-label={`Role of ${u.email}`}>
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </ActionForm>
                  <ActionForm action={setUserActive} submitLabel={u.active ? 'Deactivate' : 'Reactivate'}>
                    <input type="hidden" name="userId" value={u.id} />
                    <input type="hidden" name="active" value={u.active ? 'false' : 'true'} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
    </>
  );
}
