/**
 * `create-token` CLI command: issues an API token for an existing active user, for scripts,
 * Prometheus scrapes and `npm run bench:api`, without a browser. The plain token is printed once
 * (stdout, alone on its line) and only its hash is stored, exactly as a token made at /admin/tokens.
 * Exit codes: 0 issued, 2 bad flags, an unknown or inactive user, or a role above the owner's,
 * 1 anything else. Audited as actor kind `cli`.
 */
import { parseArgs } from 'node:util';
import type { AuthKit } from '../../app/_server/auth/auth-kit';
import { AppError } from '../../app/_server/auth/app-error';
import { isRole, ROLES } from '../../app/_server/auth/roles';

export const CREATE_TOKEN_USAGE = `usage: create-token --email EMAIL --role ${ROLES.join('|')} [--name NAME]   (the role may not exceed the user's)\n`;

export interface CreateTokenCommandServices {
  auth: Pick<AuthKit, 'issueToken' | 'recordAudit'> & { users: Pick<AuthKit['users'], 'findByEmail'> };
  stdout(s: string): void;
  stderr(s: string): void;
}

export async function runCreateTokenCommand(args: string[], services: CreateTokenCommandServices): Promise<number> {
  let values: { email?: string; role?: string; name?: string };
  try {
    values = parseArgs({ args, options: { email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    return refuse(services, (error as Error).message);
  }
  if (!values.email) return refuse(services, '--email is required');
  if (!isRole(values.role)) return refuse(services, `--role "${values.role ?? ''}" is not one of ${ROLES.join(', ')}`);
  const name = values.name ?? `cli ${values.role} token`;
  if (name.trim() === '' || name.length > 100) return refuse(services, `--name "${name}" must be 1-100 characters`);
  const owner = await services.auth.users.findByEmail(values.email);
  if (!owner) return refuse(services, `--email "${values.email}": no such user; create one with create-user`);
  // The auth kit owns the token rules (active owner, role at most the owner's); this maps its refusals to flags.
  let issued: Awaited<ReturnType<CreateTokenCommandServices['auth']['issueToken']>>;
  try {
    issued = await services.auth.issueToken({ userId: owner.id, name, role: values.role });
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return refuse(services, `--email "${values.email}": the user is deactivated`);
    if (error instanceof AppError && error.code === 'forbidden:auth') return refuse(services, `--role "${values.role}" is above the role "${owner.role}" of ${owner.email}`);
    throw error;
  }
  const { token, record } = issued;
  await services.auth.recordAudit({
    actorId: null,
    actorEmail: null,
    actorKind: 'cli',
    action: 'token.create_cli',
    target: record.prefix,
    outcome: 'ok',
    before: null,
    after: { id: record.id, owner: owner.email, role: record.role, name: record.name },
  });
  services.stderr(`issued ${record.role} token "${record.name}" for ${owner.email} (prefix ${record.prefix}); it is shown once, store it now:`);
  services.stdout(token);
  return 0;
}

function refuse(services: CreateTokenCommandServices, message: string): number {
  services.stderr(`create-token: ${message}\n${CREATE_TOKEN_USAGE}`);
  return 2;
}
