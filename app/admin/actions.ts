'use server';
/**
 * Team administration server actions. Each passes the gate (authenticate, role, zod input,
 * audit log); secrets created here (temporary passwords, API tokens, webhook secrets) are
 * returned once and never stored in plain text.
 */
import { VENUE_IDS } from '@/engine/venues/registry';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { Role, ROLES, roleAtLeast } from '@/app/_server/auth/roles';
import { WebhookKind } from '@/app/_server/auth/webhook-receiver';

const role = z.enum(ROLES as [Role, ...Role[]]);
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const email = z.string().trim().toLowerCase().pipe(z.email());

export const inviteUser = action(
  {
    role: 'admin',
    input: z.object({ email, name: z.string().trim().max(100).optional(), role }),
    audit: { action: 'user.invite', target: (i) => i.email },
    revalidate: ['/admin/users'],
  },
  async ({ root, input, audit }) => {
    const temporaryPassword = root.auth.temporaryPassword();
    const user = await root.auth.createUser({ email: input.email, name: input.name, password: temporaryPassword, role: input.role, mustChangePassword: true });
    audit({ after: { id: user.id, email: user.email, role: user.role, mustChangePassword: true } });
    return { userId: user.id, email: user.email, temporaryPassword };
  },
);

export const setUserRole = action(
  {
    role: 'admin',
    input: z.object({ userId: z.string().min(1), role }),
    audit: { action: 'user.set_role', target: (i) => i.userId },
    revalidate: ['/admin/users'],
  },
  async ({ root, input, audit }) => {
    const user = await root.auth.users.get(input.userId);
    if (!user) throw new AppError('not_found', `no user with id "${input.userId}"`);
    if (user.role === Role.Admin && input.role !== Role.Admin && (await root.auth.users.countByRole(Role.Admin)) <= 1) {
      throw new AppError('conflict', 'the last admin cannot be demoted');
    }
    await root.auth.users.setRole(user.id, input.role);
    audit({ target: user.email, before: { role: user.role }, after: { role: input.role } });
    return { userId: user.id, role: input.role };
  },
);

export const setUserActive = action(
  {
    role: 'admin',
    input: z.object({ userId: z.string().min(1), active: bool }),
    audit: { action: 'user.set_active', target: (i) => i.userId },
    revalidate: ['/admin/users'],
  },
  async ({ root, actor, input, audit }) => {
    const user = await root.auth.users.get(input.userId);
    if (!user) throw new AppError('not_found', `no user with id "${input.userId}"`);
    if (!input.active && user.id === actor!.userId) throw new AppError('conflict', 'you cannot deactivate yourself');
    if (!input.active && user.role === Role.Admin && user.active && (await root.auth.users.countByRole(Role.Admin)) <= 1) {
      throw new AppError('conflict', 'the last admin cannot be deactivated');
    }
    // Deactivating deletes every session of the user in the same transaction.
    await root.auth.users.setActive(user.id, input.active);
    audit({ target: user.email, before: { active: user.active }, after: { active: input.active } });
    return { userId: user.id, active: input.active };
  },
);

export const createApiToken = action(
  {
    role: 'viewer',
    input: z.object({ name: z.string().trim().min(1).max(80), role }),
    audit: { action: 'token.create', target: (i) => i.name },
    revalidate: ['/admin/tokens'],
    sessionOnly: 'creating an API token',
  },
  async ({ root, actor, input, audit }) => {
    if (!roleAtLeast(actor!.role, input.role)) throw new AppError('forbidden:auth', `a token cannot have role "${input.role}" above your role "${actor!.role}"`);
    const { token, record } = await root.auth.issueToken({ userId: actor!.userId, name: input.name, role: input.role });
    audit({ target: record.id, after: { id: record.id, name: record.name, role: record.role, prefix: record.prefix } });
    return { tokenId: record.id, token };
  },
);

export const revokeApiToken = action(
  {
    role: 'viewer',
    input: z.object({ tokenId: z.string().min(1) }),
    audit: { action: 'token.revoke', target: (i) => i.tokenId },
    revalidate: ['/admin/tokens'],
    sessionOnly: 'revoking an API token',
  },
  async ({ root, actor, input, audit }) => {
    const own = await root.auth.tokens.list(actor!.role === Role.Admin ? undefined : actor!.userId);
    const token = own.find((t) => t.id === input.tokenId);
    if (!token) throw new AppError('not_found', `no token with id "${input.tokenId}" that you may revoke`);
    await root.auth.tokens.revoke(token.id, Date.now());
    audit({ before: { revokedAtMs: token.revokedAtMs }, after: { revoked: true } });
    return { tokenId: token.id };
  },
);

export const logoutEverywhere = action(
  { role: 'viewer', input: z.object({}), audit: { action: 'auth.logout_everywhere' } },
  async ({ root, actor, audit }) => {
    const sessions = await root.auth.users.deleteSessions(actor!.userId);
    audit({ target: actor!.email, after: { sessionsRevoked: sessions } });
    return { sessionsRevoked: sessions };
  },
);

export const createWebhook = action(
  {
    role: 'admin',
    input: z.object({ name: z.string().trim().min(1).max(80), kind: z.enum([WebhookKind.Alert, WebhookKind.Job]) }),
    audit: { action: 'webhook.create', target: (i) => i.name },
    revalidate: ['/admin/webhooks'],
  },
  async ({ root, actor, input, audit }) => {
    const id = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await root.auth.webhooks.create({ id, name: input.name, kind: input.kind, active: true, createdAtMs: Date.now(), createdBy: actor!.email, secretCiphertext: root.auth.secretBox.encrypt(secret) });
    audit({ target: id, after: { id, name: input.name, kind: input.kind } });
    return { webhookId: id, url: `/api/webhooks/${id}`, secret };
  },
);

export const setWebhookActive = action(
  {
    role: 'admin',
    input: z.object({ webhookId: z.string().min(1), active: bool }),
    audit: { action: 'webhook.set_active', target: (i) => i.webhookId },
    revalidate: ['/admin/webhooks'],
  },
  async ({ root, input, audit }) => {
    const before = await root.auth.webhooks.setActive(input.webhookId, input.active);
    if (!before) throw new AppError('not_found', `no webhook with id "${input.webhookId}"`);
    audit({ before: { active: before.active }, after: { active: input.active } });
    return { webhookId: input.webhookId, active: input.active };
  },
);

export const setExchangeCredential = action(
  {
    role: 'admin',
    input: z.object({
      /** One of the registry's venues (as the live-trading toggle and session start), so a typo is refused instead of stored. */
      exchange: z.string().trim().toLowerCase().pipe(z.enum(VENUE_IDS as [string, ...string[]], { error: `unknown exchange: pick one of ${VENUE_IDS.join(', ')}` })),
      apiKey: z.string().trim().min(4).max(500),
      secret: z.string().trim().min(4).max(2000),
      password: z.string().max(500).optional(),
    }),
    audit: { action: 'credential.set', target: (i) => i.exchange },
    revalidate: ['/admin/credentials'],
  },
  async ({ root, actor, input, audit }) => {
    const ciphertext = root.auth.secretBox.encrypt(JSON.stringify({ apiKey: input.apiKey, secret: input.secret, password: input.password || undefined }));
    const keyIdLast4 = input.apiKey.slice(-4);
    const setAtMs = Date.now();
    const before = await root.auth.credentials.put({ exchange: input.exchange, ciphertext, keyIdLast4, setAtMs, setBy: actor!.email });
    // Only metadata reaches the audit log and the browser.
    audit({ before: before && { keyIdLast4: before.keyIdLast4, setAtMs: before.setAtMs }, after: { keyIdLast4, setAtMs } });
    return { exchange: input.exchange, keyIdLast4, setAtMs };
  },
);

export const removeExchangeCredential = action(
  {
    role: 'admin',
    input: z.object({ exchange: z.string().trim().min(1) }),
    audit: { action: 'credential.remove', target: (i) => i.exchange },
    revalidate: ['/admin/credentials'],
  },
  async ({ root, input, audit }) => {
    const before = await root.auth.credentials.remove(input.exchange);
    if (!before) throw new AppError('not_found', `no credentials stored for "${input.exchange}"`);
    audit({ before: { keyIdLast4: before.keyIdLast4, setAtMs: before.setAtMs }, after: null });
    return { exchange: input.exchange };
  },
);

/** Admin: allow (or forbid) live sessions to trade on the real venue of an exchange; its API keys must be stored too. */
export const setLiveTrading = action(
  {
    role: 'admin',
    input: z.object({ exchange: z.enum(VENUE_IDS as [string, ...string[]]), enabled: z.preprocess((v) => v === 'on' || v === true || v === 'true', z.boolean()) }),
    audit: { action: 'live_trading.set', target: (i) => i.exchange },
    revalidate: ['/admin/credentials'],
  },
  async ({ root, actor, input, audit }) => {
    const before = await root.liveTrading.setEnabled(input.exchange, input.enabled, actor!.email);
    audit({ before: { enabled: before }, after: { enabled: input.enabled } });
    return { exchange: input.exchange, enabled: input.enabled };
  },
);
