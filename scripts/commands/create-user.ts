/**
 * `create-admin` / `create-user` CLI commands: first-run bootstrap and scripted user
 * creation. `create-admin` creates the first admin only (the same guarded path as the /setup
 * page); further admins come from `create-user --role admin`. Exit codes: 0 created, 2 bad flags,
 * the user exists or (create-admin) an admin exists already, 1 anything else. Audited as actor kind `cli`.
 */
import { parseArgs } from 'node:util';
import { AppError } from '../../app/_server/auth/app-error';
import type { AuthKit } from '../../app/_server/auth/auth-kit';
import { isRole, Role, ROLES } from '../../app/_server/auth/roles';

export const CREATE_USER_USAGE =
  'usage: create-admin --email EMAIL --password PASSWORD [--name NAME]   (first admin only)\n' +
  `       create-user  --email EMAIL --password PASSWORD --role ${ROLES.join('|')} [--name NAME]\n` +
  '  PASSWORD: at least 10 characters\n';

export interface CreateUserCommandServices {
  auth: Pick<AuthKit, 'createUser' | 'createFirstAdmin' | 'recordAudit'>;
  stdout(s: string): void;
  stderr(s: string): void;
}

export async function runCreateUserCommand(args: string[], services: CreateUserCommandServices, fixedRole?: Role): Promise<number> {
  const name = fixedRole === Role.Admin ? 'create-admin' : 'create-user';
  let values: { email?: string; password?: string; role?: string; name?: string };
  try {
    values = parseArgs({
      args,
      options: { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    services.stderr(`${name}: ${(error as Error).message}\n${CREATE_USER_USAGE}`);
    return 2;
  }
  const role = fixedRole ?? values.role;
  if (!values.email) return usage(services, name, '--email is required');
  if (!values.password) return usage(services, name, '--password is required');
  if (!isRole(role)) return usage(services, name, `--role "${role ?? ''}" is not one of ${ROLES.join(', ')}`);
  try {
    const input = { email: values.email, password: values.password, name: values.name };
    const user = fixedRole === Role.Admin ? await services.auth.createFirstAdmin(input) : await services.auth.createUser({ ...input, role });
    await services.auth.recordAudit({ actorId: null, actorEmail: null, actorKind: 'cli', action: 'user.create_cli', target: user.email, outcome: 'ok', before: null, after: { id: user.id, email: user.email, role } });
    services.stdout(`created ${role} "${user.email}" (id ${user.id})`);
    return 0;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found' && fixedRole === Role.Admin) {
      services.stderr(`${name}: an admin exists already; add more with create-user --role admin`);
      return 2;
    }
    if (error instanceof AppError && (error.code === 'conflict' || error.code === 'bad_request:input')) {
      services.stderr(`${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

function usage(services: CreateUserCommandServices, name: string, message: string): number {
  services.stderr(`${name}: ${message}\n${CREATE_USER_USAGE}`);
  return 2;
}
