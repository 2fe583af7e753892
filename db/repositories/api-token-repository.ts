/** API tokens: stored as SHA-256 hashes; revocable; last use recorded. */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../client';
import { apiTokens, users } from '../schema';
import { wrapDriver } from './sql-helpers';

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  role: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

/** A live token with its owner, for authentication. */
export interface ApiTokenOwner {
  token: ApiTokenRecord;
  user: { id: string; email: string; role: string; active: boolean };
}

export interface ApiTokenRepository {
  insert(token: ApiTokenRecord & { tokenHash: string }): Promise<void>;
  /** The unrevoked token with this hash and its owner, or null. */
  findActiveByHash(tokenHash: string): Promise<ApiTokenOwner | null>;
  list(userId?: string): Promise<ApiTokenRecord[]>;
  /** Marks the token revoked; returns the token before the change (null when unknown). */
  revoke(id: string, atMs: number): Promise<ApiTokenRecord | null>;
  touch(id: string, atMs: number): Promise<void>;
}

const toRecord = (r: typeof apiTokens.$inferSelect): ApiTokenRecord => ({
  id: r.id,
  userId: r.userId,
  name: r.name,
  prefix: r.prefix,
  role: r.role,
  createdAtMs: Number(r.createdAtMs),
  lastUsedAtMs: r.lastUsedAtMs === null ? null : Number(r.lastUsedAtMs),
  revokedAtMs: r.revokedAtMs === null ? null : Number(r.revokedAtMs),
});

export function createApiTokenRepository(db: Db): ApiTokenRepository {
  return {
    insert: (token) =>
      wrapDriver('storing an API token', async () => {
        await db.insert(apiTokens).values(token);
      }),
    findActiveByHash: (tokenHash) =>
      wrapDriver('reading an API token', async () => {
        const rows = await db
          .select({ token: apiTokens, user: { id: users.id, email: users.email, role: users.role, active: users.active } })
          .from(apiTokens)
          .innerJoin(users, eq(users.id, apiTokens.userId))
          .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAtMs)))
          .limit(1);
        return rows[0] ? { token: toRecord(rows[0].token), user: rows[0].user } : null;
      }),
    list: (userId) =>
      wrapDriver('listing API tokens', async () =>
        (await db.select().from(apiTokens).where(userId ? eq(apiTokens.userId, userId) : undefined).orderBy(desc(apiTokens.createdAtMs))).map(toRecord),
      ),
    revoke: (id, atMs) =>
      wrapDriver('revoking an API token', async () => {
        const rows = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
        if (!rows[0]) return null;
        await db.update(apiTokens).set({ revokedAtMs: atMs }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAtMs)));
        return toRecord(rows[0]);
      }),
    touch: (id, atMs) =>
      wrapDriver('recording API token use', async () => {
        await db.update(apiTokens).set({ lastUsedAtMs: atMs }).where(eq(apiTokens.id, id));
      }),
  };
}
