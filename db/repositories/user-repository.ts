/**
 * Team members and failed sign-ins. better-auth owns creating users and their password
 * hashes; this repository reads users and changes the columns it does not manage
 * (role, active and whether a temporary password must be changed), keeps the per-address failed sign-in counter for lockout, and holds
 * the first-run setup claim that lets only one caller create the first admin.
 */
import { and, asc, count, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { appSettings, loginFailures, sessions, users } from '../schema';
import { wrapDriver } from './sql-helpers';

/** A user as the app sees it (no credentials). */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  /** Signed in with a temporary password (invited): must choose their own before doing anything else. */
  mustChangePassword: boolean;
  createdAtMs: number;
}

/** Failed sign-in state of one e-mail address. */
export interface LoginFailureRecord {
  email: string;
  failedCount: number;
  lastFailedAtMs: number;
  lockedUntilMs: number | null;
}

export interface UserRepository {
  get(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  countByRole(role: string): Promise<number>;
  /** Sets the role; returns the user before the change, null when unknown. */
  setRole(id: string, role: string): Promise<UserRecord | null>;
  /** Activates or deactivates; deactivating also deletes every session of the user (one transaction). */
  setActive(id: string, active: boolean): Promise<UserRecord | null>;
  /** Marks whether the user must change their (temporary) password before anything else. */
  setMustChangePassword(id: string, mustChange: boolean): Promise<void>;
  /** Deletes every session of the user ("log out everywhere"); returns how many were deleted. */
  deleteSessions(userId: string): Promise<number>;
  loginFailure(email: string): Promise<LoginFailureRecord | null>;
  /** Counts one failed sign-in; when the count within the window reaches `threshold`, locks until `nowMs + lockMs`. */
  recordLoginFailure(email: string, nowMs: number, policy: { threshold: number; windowMs: number; lockMs: number }): Promise<LoginFailureRecord>;
  clearLoginFailures(email: string): Promise<void>;
  /**
   * Claims first-run setup (one row in `app_settings`, inserted with ON CONFLICT DO NOTHING, so of
   * concurrent callers on any number of servers exactly one wins). A claim older than
   * `staleAfterMs` (its holder crashed) is taken over. False when another caller holds a live claim.
   */
  claimFirstAdminSetup(input: { token: string; email: string; nowMs: number; staleAfterMs: number }): Promise<boolean>;
  /** Releases the claim `token` (a no-op when it was taken over). */
  releaseFirstAdminSetup(token: string): Promise<void>;
}

/** The `app_settings` key of the first-run setup claim. */
export const FIRST_ADMIN_SETUP_KEY = 'auth.first_admin_setup';

type UserRow = typeof users.$inferSelect;

const toRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  active: r.active,
  mustChangePassword: r.mustChangePassword,
  createdAtMs: r.createdAt.getTime(),
});

const toFailure = (r: typeof loginFailures.$inferSelect): LoginFailureRecord => ({
  email: r.email,
  failedCount: r.failedCount,
  lastFailedAtMs: Number(r.lastFailedAtMs),
  lockedUntilMs: r.lockedUntilMs === null ? null : Number(r.lockedUntilMs),
});

/** E-mail addresses compare case-insensitively (better-auth stores them lower-cased). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function createUserRepository(db: Db): UserRepository {
  const get = (id: string) =>
    wrapDriver('reading a user', async () => {
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return rows[0] ? toRecord(rows[0]) : null;
    });
  return {
    get,
    findByEmail: (email) =>
      wrapDriver('reading a user', async () => {
        const rows = await db.select().from(users).where(eq(users.email, normalizeEmail(email))).limit(1);
        return rows[0] ? toRecord(rows[0]) : null;
      }),
    list: () => wrapDriver('listing users', async () => (await db.select().from(users).orderBy(asc(users.email))).map(toRecord)),
    countByRole: (role) =>
      wrapDriver('counting users', async () => {
        const rows = await db.select({ n: count() }).from(users).where(and(eq(users.role, role), eq(users.active, true)));
        return Number(rows[0]?.n ?? 0);
      }),
    setRole: (id, role) =>
      wrapDriver('changing a role', async () => {
        const before = await get(id);
        if (!before) return null;
        await db.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, id));
        return before;
      }),
    setActive: (id, active) =>
      wrapDriver('changing whether a user is active', () =>
        db.transaction(async (tx) => {
          const rows = await tx.select().from(users).where(eq(users.id, id)).limit(1);
          if (!rows[0]) return null;
          await tx.update(users).set({ active, updatedAt: new Date() }).where(eq(users.id, id));
          if (!active) await tx.delete(sessions).where(eq(sessions.userId, id));
          return toRecord(rows[0]);
        }),
      ),
    setMustChangePassword: (id, mustChange) =>
      wrapDriver('marking a password change', async () => {
        await db.update(users).set({ mustChangePassword: mustChange, updatedAt: new Date() }).where(eq(users.id, id));
      }),
    deleteSessions: (userId) =>
      wrapDriver('deleting sessions', async () => {
        const deleted = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
        return deleted.length;
      }),
    loginFailure: (email) =>
      wrapDriver('reading failed sign-ins', async () => {
        const rows = await db.select().from(loginFailures).where(eq(loginFailures.email, normalizeEmail(email))).limit(1);
        return rows[0] ? toFailure(rows[0]) : null;
      }),
    recordLoginFailure: (email, nowMs, policy) =>
      wrapDriver('recording a failed sign-in', async () => {
        const key = normalizeEmail(email);
        // One statement: a counter older than the window restarts at 1; reaching the threshold sets the lock.
        const restart = sql`${loginFailures.lastFailedAtMs} < ${nowMs - policy.windowMs}`;
        const nextCount = sql`case when ${restart} then 1 else ${loginFailures.failedCount} + 1 end`;
        const rows = await db
          .insert(loginFailures)
          .values({ email: key, failedCount: 1, lastFailedAtMs: nowMs, lockedUntilMs: policy.threshold <= 1 ? nowMs + policy.lockMs : null })
          .onConflictDoUpdate({
            target: loginFailures.email,
            set: {
              failedCount: nextCount,
              lastFailedAtMs: nowMs,
              lockedUntilMs: sql`case when ${nextCount} >= ${policy.threshold} then ${nowMs + policy.lockMs}::bigint else ${loginFailures.lockedUntilMs} end`,
            },
          })
          .returning();
        return toFailure(rows[0]);
      }),
    clearLoginFailures: (email) =>
      wrapDriver('clearing failed sign-ins', async () => {
        await db.delete(loginFailures).where(eq(loginFailures.email, normalizeEmail(email)));
      }),
    claimFirstAdminSetup: ({ token, email, nowMs, staleAfterMs }) =>
      wrapDriver('claiming first-run setup', async () => {
        await db.delete(appSettings).where(and(eq(appSettings.key, FIRST_ADMIN_SETUP_KEY), lt(appSettings.updatedAtMs, nowMs - staleAfterMs)));
        const inserted = await db
          .insert(appSettings)
          .values({ key: FIRST_ADMIN_SETUP_KEY, value: { token, email }, updatedAtMs: nowMs, updatedBy: normalizeEmail(email) })
          .onConflictDoNothing({ target: appSettings.key })
          .returning({ key: appSettings.key });
        return inserted.length === 1;
      }),
    releaseFirstAdminSetup: (token) =>
      wrapDriver('releasing first-run setup', async () => {
        await db.delete(appSettings).where(and(eq(appSettings.key, FIRST_ADMIN_SETUP_KEY), sql`${appSettings.value}->>'token' = ${token}`));
      }),
  };
}
