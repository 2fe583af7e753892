/**
 * The sign-in rate limiter's windows live in the database: two servers (two connections to one
 * PostgreSQL schema, 127.0.0.1:5432) count a client's attempts together.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createRateLimitRepository } from '../../db/repositories/rate-limit-repository';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `test_${randomBytes(6).toString('hex')}`;
let serverA: Database;
let serverB: Database;

beforeAll(async () => {
  serverA = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
  await migrateDatabase(serverA);
  serverB = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
});

afterAll(async () => {
  await serverB?.close();
  await serverA?.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  await serverA?.close();
});

describe('sign-in rate limit shared by servers on one database', () => {
  it('counts one window across both servers, refuses past the limit until the window ends, then starts a new one', async () => {
    const a = createRateLimitRepository(serverA.db);
    const b = createRateLimitRepository(serverB.db);
    const key = '203.0.113.7/sign-in/email';
    const t0 = 1_700_000_000_000;
    // max 3 a minute: A, B, A allowed; the 4th (B, 10 s later) is refused for the 50 s left of the window.
    expect(await a.consume(key, 60_000, 3, t0)).toEqual({ allowed: true, retryAfterSeconds: null });
    expect(await b.consume(key, 60_000, 3, t0 + 1_000)).toEqual({ allowed: true, retryAfterSeconds: null });
    expect(await a.consume(key, 60_000, 3, t0 + 2_000)).toEqual({ allowed: true, retryAfterSeconds: null });
    expect(await b.consume(key, 60_000, 3, t0 + 10_000)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(await a.consume(key, 60_000, 3, t0 + 59_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Another client has its own window.
    expect(await b.consume('203.0.113.8/sign-in/email', 60_000, 3, t0 + 10_000)).toEqual({ allowed: true, retryAfterSeconds: null });
    // At the window's end a new one starts.
    expect(await b.consume(key, 60_000, 3, t0 + 60_000)).toEqual({ allowed: true, retryAfterSeconds: null });
    // Windows that ended are pruned: the second client's ended at t0 + 70 000, the first's runs to t0 + 120 000.
    expect(await a.prune(t0 + 70_001)).toBe(1);
    expect(await a.consume(key, 60_000, 1, t0 + 70_002)).toEqual({ allowed: false, retryAfterSeconds: 50 });
  });

  it('never loses a count when both servers are hit at once', async () => {
    const a = createRateLimitRepository(serverA.db);
    const b = createRateLimitRepository(serverB.db);
    const t0 = 1_800_000_000_000;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume('198.51.100.1/sign-in/email', 60_000, 10, t0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterSeconds === 60)).toBe(true);
  });
});
