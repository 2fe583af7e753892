/**
 * Fixed-window rate limits stored in the database (`auth_rate_limits`), so every server on one
 * database counts a client's sign-in attempts together. One statement per request: the window is
 * started, restarted or counted atomically.
 */
import { lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { authRateLimits } from '../schema';
import { wrapDriver } from './sql-helpers';

export interface RateLimitRepository {
  /**
   * Counts one request under `key` at `nowMs` in a window of `windowMs`; allowed while the window's count
   * is at most `max`. `retryAfterSeconds` is when the window ends (null when allowed).
   */
  consume(key: string, windowMs: number, max: number, nowMs: number): Promise<{ allowed: boolean; retryAfterSeconds: number | null }>;
  /** Deletes windows that ended before `nowMs`; returns how many. */
  prune(nowMs: number): Promise<number>;
}

/** Builds the repository over a drizzle handle (PGlite or postgres.js). */
export function createRateLimitRepository(db: Db): RateLimitRepository {
  return {
    async consume(key, windowMs, max, nowMs) {
      const rows = await wrapDriver(`counting a request under rate limit "${key}"`, () =>
        db
          .insert(authRateLimits)
          .values({ key, count: 1, resetAtMs: nowMs + windowMs })
          .onConflictDoUpdate({
            target: authRateLimits.key,
            set: {
              count: sql`case when ${authRateLimits.resetAtMs} <= ${nowMs} then 1 else ${authRateLimits.count} + 1 end`,
              resetAtMs: sql`case when ${authRateLimits.resetAtMs} <= ${nowMs} then ${nowMs + windowMs} else ${authRateLimits.resetAtMs} end`,
            },
          })
          .returning({ count: authRateLimits.count, resetAtMs: authRateLimits.resetAtMs }),
      );
      const { count, resetAtMs } = rows[0];
      return count <= max ? { allowed: true, retryAfterSeconds: null } : { allowed: false, retryAfterSeconds: Math.ceil((Number(resetAtMs) - nowMs) / 1000) };
    },
    async prune(nowMs) {
      const rows = await wrapDriver('pruning ended rate-limit windows', () => db.delete(authRateLimits).where(lt(authRateLimits.resetAtMs, nowMs)).returning({ key: authRateLimits.key }));
      return rows.length;
    },
  };
}
