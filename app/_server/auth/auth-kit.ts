/**
 * Team access for one composition root: better-auth (e-mail + password, sessions in the
 * database), the failed-sign-in lockout, API tokens, the audit log and the encrypted-secret
 * box. Built once by `buildRoot`; route handlers and pages reach it through the gate.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pino from 'pino';
import type { Db } from '@/db/client';
import { accounts, sessions, users, verifications } from '@/db/schema';
import { createApiTokenRepository, type ApiTokenRecord, type ApiTokenRepository } from '@/db/repositories/api-token-repository';
import { ActorKind, AuditOutcome, createAuditRepository, type AuditEntry, type AuditRepository } from '@/db/repositories/audit-repository';
import { createCredentialRepository, type CredentialRepository } from '@/db/repositories/credential-repository';
import { createUserRepository, normalizeEmail, type UserRecord, type UserRepository } from '@/db/repositories/user-repository';
import { createWebhookRepository, type WebhookRepository } from '@/db/repositories/webhook-repository';
import { createRateLimitRepository } from '@/db/repositories/rate-limit-repository';
import type { Forwarding } from '../http/forwarding';
import { AppError } from './app-error';
import { isRole, Role, roleAtLeast } from './roles';
import type { SecretBox } from './secret-box';

/** Who is calling: a signed-in user (cookie session) or an API token. `role` is the effective role. */
export interface Actor {
  kind: typeof ActorKind.Session | typeof ActorKind.Token;
  userId: string;
  email: string;
  role: Role;
  sessionId?: string;
  tokenId?: string;
  /**
   * A session of a user still on their temporary password: it may only change the password (pages
   * redirect to /change-password, routes and actions answer 403). Never set for API tokens.
   */
  mustChangePassword?: boolean;
}

/** Failed sign-ins allowed per address within `windowMs` before the address is locked for `lockMs`. */
export interface LockoutPolicy {
  threshold: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export interface AuthKitConfig {
  /** Signs session cookies; at least 32 characters. */
  secret: string;
  /** Public origin (e.g. https://trade.example.com); when https, cookies are always Secure. */
  publicUrl?: string;
  lockout?: LockoutPolicy;
  /** Requests per minute per client address on the sign-in endpoint (better-auth's limiter). */
  signInRateLimitPerMinute?: number;
}

export interface AuthKitDeps {
  db: Db;
  logger: pino.Logger;
  secretBox: SecretBox;
  /** The trusted-proxy rule: the client address for rate limits, the scheme and the request's own origin. */
  forwarding: Forwarding;
  nowMs?: () => number;
}

/** better-auth paths reachable over HTTP; everything else (sign-up, password reset by e-mail) is server-side only. */
const PUBLIC_AUTH_PATHS = new Set(['POST /sign-in/email', 'POST /sign-out', 'GET /get-session', 'POST /change-password']);
const AUTH_BASE_PATH = '/api/auth';
const TOKEN_PREFIX = 'aeth_';
/** A first-run setup claim older than this is taken over (its holder crashed; creating a user takes well under a second). */
const FIRST_ADMIN_CLAIM_STALE_MS = 60_000;

/**
 * better-auth's limiter storage, one per auth kit: fixed windows per key (client address + path) in the
 * database, so every server on it counts a client's attempts together (its built-in memory store is
 * per process). Ended windows are pruned at most once a minute.
 */
function createRateLimitStore(db: Db, nowMs: () => number, logger: pino.Logger) {
  const repository = createRateLimitRepository(db);
  let prunedAtMs = -Infinity;
  return {
    async consume(key: string, rule: { window: number; max: number }) {
      const now = nowMs();
      if (now - prunedAtMs >= 60_000) {
        prunedAtMs = now;
        void repository.prune(now).catch((error: unknown) => logger.warn({ err: error }, 'pruning ended rate-limit windows failed'));
      }
      const { allowed, retryAfterSeconds } = await repository.consume(key, rule.window * 1000, rule.max, now);
      return { allowed, retryAfter: retryAfterSeconds };
    },
  };
}

/**
 * The header better-auth reads the client address from. `handleAuthRequest` always sets or removes
 * it itself (from the trusted-proxy rule), so a value sent by the client never reaches better-auth.
 */
const CLIENT_ADDRESS_HEADER = 'x-aethelred-client-address';

/**
 * Loads better-auth on first use (its import costs ~0.5 s, which CLI commands that never
 * authenticate should not pay) and builds the instance.
 */
async function loadBetterAuth(db: Db, config: AuthKitConfig, logger: pino.Logger, nowMs: () => number, forwarding: Forwarding) {
  const [{ betterAuth }, { drizzleAdapter }, { APIError }] = await Promise.all([import('better-auth'), import('better-auth/adapters/drizzle'), import('better-auth/api')]);
  const instance = betterAuth({
    appName: 'Aethelred',
    secret: config.secret,
    baseURL: config.publicUrl,
    basePath: AUTH_BASE_PATH,
    // Without AETHELRED_PUBLIC_URL, trust exactly the origin the browser used to reach this server
    // (its Host header): a same-origin check. Next may rewrite request.url's host (127.0.0.1 vs
    // localhost), which made better-auth refuse legitimate sign-ins as "Invalid origin".
    // X-Forwarded-Host counts only from a trusted proxy (AETHELRED_TRUSTED_PROXIES).
    trustedOrigins: config.publicUrl ? undefined : (request) => (request ? forwarding.ownOrigins(request.headers) : []),
    database: drizzleAdapter(db, { provider: 'pg', schema: { user: users, session: sessions, account: accounts, verification: verifications } }),
    emailAndPassword: { enabled: true, autoSignIn: false, minPasswordLength: 10 },
    user: {
      additionalFields: {
        role: { type: 'string', required: false, defaultValue: Role.Viewer, input: false },
        active: { type: 'boolean', required: false, defaultValue: true, input: false },
        mustChangePassword: { type: 'boolean', required: false, defaultValue: false, input: false },
      },
    },
    session: { expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 300,
      customRules: { '/sign-in/email': { window: 60, max: config.signInRateLimitPerMinute ?? 20 } },
      customStorage: createRateLimitStore(db, nowMs, logger),
    },
    advanced: {
      useSecureCookies: config.publicUrl?.startsWith('https://') ?? false,
      cookiePrefix: 'aethelred',
      // The rate limit's client key: set by handleAuthRequest from the socket or a trusted proxy's X-Forwarded-For.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    telemetry: { enabled: false },
    logger: {
      level: 'warn',
      // Without AETHELRED_PUBLIC_URL the origin comes from each request, which is intended here: not worth a warning.
      log: (level, message) =>
        logger[level === 'debug' || message.includes('Base URL is not set') ? 'debug' : level === 'info' ? 'info' : level === 'warn' ? 'warn' : 'error']({ component: 'better-auth' }, message),
    },
    databaseHooks: {
      session: {
        create: {
          // Defence in depth: a deactivated user never gets a session, whatever path asked for one.
          async before(session) {
            const rows = await createUserRepository(db).get(session.userId);
            if (!rows?.active) throw new APIError('UNAUTHORIZED', { message: 'Invalid email or password' });
          },
        },
      },
    },
  });
  return { instance, APIError };
}

export type BetterAuthInstance = Awaited<ReturnType<typeof loadBetterAuth>>['instance'];

export interface AuthKit {
  /** The better-auth instance, loaded on first use. */
  betterAuth(): Promise<BetterAuthInstance>;
  readonly users: UserRepository;
  readonly audit: AuditRepository;
  readonly tokens: ApiTokenRepository;
  readonly webhooks: WebhookRepository;
  readonly credentials: CredentialRepository;
  readonly secretBox: SecretBox;
  /** The actor behind a request's `Authorization: Bearer` token or session cookie; null when neither is valid. */
  authenticate(headers: Headers): Promise<Actor | null>;
  /** Serves `/api/auth/*`: only the allowed paths, with the per-address lockout and Secure cookies over https. */
  handleAuthRequest(request: Request): Promise<Response>;
  /** @throws AppError conflict when the e-mail is taken, bad_request:input for a short password or bad e-mail. */
  createUser(input: { email: string; password: string; name?: string; role: Role; mustChangePassword?: boolean }): Promise<UserRecord>;
  /** True while at least one active admin exists. */
  adminExists(): Promise<boolean>;
  /**
   * First-run setup: creates an admin only while none exists. Concurrent callers (on any number of
   * servers sharing the database) are serialized by a claim row, so exactly one first admin is created.
   * @throws AppError not_found once an admin exists, conflict while another setup holds the claim,
   * and what `createUser` throws.
   */
  createFirstAdmin(input: { email: string; password: string; name?: string }): Promise<UserRecord>;
  /** Creates an API token; the plain token is returned once and only its hash is stored. @throws AppError forbidden:auth when `role` exceeds the owner's. */
  issueToken(input: { userId: string; name: string; role: Role }): Promise<{ token: string; record: ApiTokenRecord }>;
  /** Appends an audit entry stamped with the current time. */
  recordAudit(entry: Omit<AuditEntry, 'id' | 'atMs'>): Promise<void>;
  /** A random password for invited users (shown once). */
  temporaryPassword(): string;
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Copies a response, adding `Secure` to every Set-Cookie that lacks it. */
function withSecureCookies(response: Response): Response {
  const cookies = response.headers.getSetCookie();
  if (cookies.length === 0) return response;
  const headers = new Headers(response.headers);
  headers.delete('set-cookie');
  for (const cookie of cookies) headers.append('set-cookie', /;\s*secure\s*(;|$)/i.test(cookie) ? cookie : `${cookie}; Secure`);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export function createAuthKit(config: AuthKitConfig, deps: AuthKitDeps): AuthKit {
  if (config.secret.length < 32) throw new Error(`the auth secret must be at least 32 characters; got ${config.secret.length}`);
  const nowMs = deps.nowMs ?? (() => Date.now());
  const lockout = config.lockout ?? DEFAULT_LOCKOUT;
  let loaded: ReturnType<typeof loadBetterAuth> | null = null;
  const betterAuthModule = () => {
    loaded ??= loadBetterAuth(deps.db, config, deps.logger, nowMs, deps.forwarding);
    loaded.catch(() => {
      loaded = null;
    });
    return loaded;
  };
  const getAuth = async () => (await betterAuthModule()).instance;
  const userRepo = createUserRepository(deps.db);
  const auditRepo = createAuditRepository(deps.db);
  const tokenRepo = createApiTokenRepository(deps.db);

  const recordAudit: AuthKit['recordAudit'] = (entry) => auditRepo.append({ id: randomUUID(), atMs: nowMs(), ...entry });

  const createUser: AuthKit['createUser'] = async (input) => {
    const email = normalizeEmail(input.email);
    if (await userRepo.findByEmail(email)) throw new AppError('conflict', `a user with e-mail "${email}" already exists`);
    const { instance, APIError } = await betterAuthModule();
    try {
      await instance.api.signUpEmail({ body: { email, password: input.password, name: input.name?.trim() || email.split('@')[0] } });
    } catch (error) {
      if (error instanceof APIError) throw new AppError('bad_request:input', error.message, { [/password/i.test(error.message) ? 'password' : 'email']: [error.message] });
      throw error;
    }
    const created = await userRepo.findByEmail(email);
    if (!created) throw new Error(`user "${email}" was not stored`);
    await userRepo.setRole(created.id, input.role);
    if (input.mustChangePassword) await userRepo.setMustChangePassword(created.id, true);
    return { ...created, role: input.role, mustChangePassword: input.mustChangePassword ?? false };
  };

  const adminExists = async () => (await userRepo.countByRole(Role.Admin)) > 0;

  const TOKEN_TOUCH_INTERVAL_MS = 60_000;

  async function authenticateToken(token: string): Promise<Actor | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const found = await tokenRepo.findActiveByHash(hashToken(token));
    if (!found || !found.user.active || !isRole(found.user.role) || !isRole(found.token.role)) return null;
    // A token never grants more than its owner has now (the owner may have been demoted since).
    const role = roleAtLeast(found.user.role, found.token.role) ? found.token.role : found.user.role;
    // Last use is recorded at most once a minute per token: no database write on every API call.
    const now = nowMs();
    if (found.token.lastUsedAtMs === null || now - found.token.lastUsedAtMs >= TOKEN_TOUCH_INTERVAL_MS) await tokenRepo.touch(found.token.id, now);
    return { kind: ActorKind.Token, userId: found.user.id, email: found.user.email, role, tokenId: found.token.id };
  }

  /**
   * E-mail sign-in behind the per-address lockout. The body must be JSON with `email` as a string:
   * better-auth also takes form-encoded bodies, and a body the lockout cannot read the address from
   * would skip the lockout check and go uncounted, so anything else is refused before better-auth.
   */
  async function signIn(request: Request): Promise<Response> {
    const refuse = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });
    const mediaType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return refuse(415, 'unsupported_media_type:input', `sign-in takes a JSON body (content-type: application/json) with "email" and "password"; got content-type "${mediaType.slice(0, 80) || '(none)'}"`);
    }
    let body: unknown;
    try {
      body = await request.clone().json();
    } catch {
      return refuse(400, 'bad_request:input', 'the sign-in body is not valid JSON');
    }
    const rawEmail = typeof body === 'object' && body !== null ? (body as { email?: unknown }).email : undefined;
    if (typeof rawEmail !== 'string') return refuse(400, 'bad_request:input', 'the sign-in body needs "email" as a string');
    const email = normalizeEmail(rawEmail);
    if (email) {
      const failure = await userRepo.loginFailure(email);
      if (failure?.lockedUntilMs != null && failure.lockedUntilMs > nowMs()) {
        await recordAudit({ actorId: null, actorEmail: email, actorKind: ActorKind.Anonymous, action: 'auth.sign_in', target: email, outcome: AuditOutcome.Denied, before: null, after: { reason: 'locked' } });
        const retryAfterS = Math.ceil((failure.lockedUntilMs - nowMs()) / 1000);
        return Response.json(
          { error: { code: 'rate_limited:auth', message: `too many failed sign-ins for this address; try again in ${retryAfterS} s` } },
          { status: 429, headers: { 'retry-after': String(retryAfterS) } },
        );
      }
    }
    const response = await (await getAuth()).handler(request);
    if (email && response.status === 401) {
      const state = await userRepo.recordLoginFailure(email, nowMs(), lockout);
      await recordAudit({ actorId: null, actorEmail: email, actorKind: ActorKind.Anonymous, action: 'auth.sign_in', target: email, outcome: AuditOutcome.Failed, before: null, after: { failedCount: state.failedCount, locked: state.lockedUntilMs !== null && state.lockedUntilMs > nowMs() } });
    } else if (email && response.ok) {
      await userRepo.clearLoginFailures(email);
      const user = await userRepo.findByEmail(email);
      await recordAudit({ actorId: user?.id ?? null, actorEmail: email, actorKind: ActorKind.Session, action: 'auth.sign_in', target: email, outcome: AuditOutcome.Ok, before: null, after: null });
    }
    return response;
  }

  /**
   * Serves a user's own password change and audits it (`auth.change_password`, ok or failed with
   * better-auth's error code as the reason). The actor comes from the session before the change,
   * since `revokeOtherSessions` replaces it; the passwords are never recorded.
   */
  async function changePassword(request: Request): Promise<Response> {
    const auth = await getAuth();
    const found = await auth.api.getSession({ headers: request.headers }).catch(() => null);
    const response = await auth.handler(request);
    if (!found) return response;
    const actor = { actorId: found.user.id, actorEmail: found.user.email, actorKind: ActorKind.Session, action: 'auth.change_password', target: found.user.email, before: null } as const;
    if (response.ok) {
      // A temporary password is gone once its owner chose a new one.
      await userRepo.setMustChangePassword(found.user.id, false);
      await recordAudit({ ...actor, outcome: AuditOutcome.Ok, after: null });
    } else {
      let reason = `status_${response.status}`;
      try {
        const body = (await response.clone().json()) as { code?: unknown };
        if (typeof body.code === 'string' && /^[A-Z_]{1,64}$/.test(body.code)) reason = body.code.toLowerCase();
      } catch {
        // not JSON: keep the status as the reason
      }
      await recordAudit({ ...actor, outcome: AuditOutcome.Failed, after: { reason } });
    }
    return response;
  }

  return {
    betterAuth: getAuth,
    users: userRepo,
    audit: auditRepo,
    tokens: tokenRepo,
    webhooks: createWebhookRepository(deps.db),
    credentials: createCredentialRepository(deps.db),
    secretBox: deps.secretBox,
    recordAudit,

    async authenticate(headers) {
      const authorization = headers.get('authorization');
      if (authorization !== null) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
        return match ? authenticateToken(match[1]) : null;
      }
      const found = await (await getAuth()).api.getSession({ headers });
      if (!found) return null;
      const user = found.user as typeof found.user & { role?: unknown; active?: unknown; mustChangePassword?: unknown };
      if (user.active !== true || !isRole(user.role)) return null;
      const actor: Actor = { kind: ActorKind.Session, userId: user.id, email: user.email, role: user.role, sessionId: found.session.id };
      return user.mustChangePassword === true ? { ...actor, mustChangePassword: true } : actor;
    },

    async handleAuthRequest(request) {
      const url = new URL(request.url);
      const subPath = url.pathname.startsWith(AUTH_BASE_PATH) ? url.pathname.slice(AUTH_BASE_PATH.length) : url.pathname;
      const key = `${request.method.toUpperCase()} ${subPath}`;
      if (!PUBLIC_AUTH_PATHS.has(key)) return Response.json({ error: { code: 'not_found', message: 'not found' } }, { status: 404 });
      const source = deps.forwarding.sourceOf(request.headers, { url: request.url });
      const headers = new Headers(request.headers);
      headers.delete(CLIENT_ADDRESS_HEADER);
      if (source.clientAddress) headers.set(CLIENT_ADDRESS_HEADER, source.clientAddress);
      const resolved = new Request(request, { headers });
      const response = key === 'POST /sign-in/email' ? await signIn(resolved) : key === 'POST /change-password' ? await changePassword(resolved) : await (await getAuth()).handler(resolved);
      // Over https (directly, or per a trusted proxy's X-Forwarded-Proto): every cookie is Secure.
      return source.protocol === 'https' ? withSecureCookies(response) : response;
    },

    createUser,
    adminExists,

    async createFirstAdmin(input) {
      if (await adminExists()) throw new AppError('not_found');
      const claim = randomUUID();
      if (!(await userRepo.claimFirstAdminSetup({ token: claim, email: input.email, nowMs: nowMs(), staleAfterMs: FIRST_ADMIN_CLAIM_STALE_MS }))) {
        if (await adminExists()) throw new AppError('not_found');
        throw new AppError('conflict', 'first-run setup is already in progress; try again in a moment');
      }
      try {
        // Checked again under the claim: another setup may have finished between the first check and the claim.
        if (await adminExists()) throw new AppError('not_found');
        return await createUser({ ...input, role: Role.Admin });
      } finally {
        await userRepo.releaseFirstAdminSetup(claim).catch((error: unknown) =>
          deps.logger.error({ err: error }, `releasing the first-run setup claim failed; it expires after ${FIRST_ADMIN_CLAIM_STALE_MS / 1000} s`),
        );
      }
    },

    async issueToken(input) {
      const owner = await userRepo.get(input.userId);
      if (!owner || !owner.active || !isRole(owner.role)) throw new AppError('not_found', 'no such active user');
      if (!roleAtLeast(owner.role, input.role)) throw new AppError('forbidden:auth', `a token cannot have role "${input.role}" above its owner's role "${owner.role}"`);
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const record: ApiTokenRecord = {
        id: randomUUID(),
        userId: owner.id,
        name: input.name,
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        role: input.role,
        createdAtMs: nowMs(),
        lastUsedAtMs: null,
        revokedAtMs: null,
      };
      await tokenRepo.insert({ ...record, tokenHash: hashToken(token) });
      return { token, record };
    },

    temporaryPassword: () => randomBytes(12).toString('base64url'),
  };
}
