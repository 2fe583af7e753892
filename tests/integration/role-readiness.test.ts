/**
 * Readiness per role and the session-lease metrics, on a real PostgreSQL database of its own
 * (127.0.0.1:5432, created and dropped here): a web, a worker and a trader root (AETHELRED_ROLE each) in
 * this process share it. Each answers `GET /api/health/ready` 503 before its role's work started and 200
 * after, naming what it checked; the trader's `/api/metrics` shows the replay session it claimed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { Root } from '../../app/_server/root';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as readyRoute from '../../app/api/health/ready/route';
import * as metricsRoute from '../../app/api/metrics/route';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import { waveCsv } from '../../engine/testing/wave-candles';
import { TEST_PASSWORD } from '../support/auth-test-root';
import { REPO_DIR, useScratchPostgres } from '../support/scratch-postgres';

const ORIGIN = 'http://localhost:3000';
const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
// The migrations this build ships, counted independently of db/migrate.ts.
const journal = JSON.parse(readFileSync(path.join(REPO_DIR, 'db/migrations/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
const MIGRATIONS = `${journal.entries.length} of ${journal.entries.length} migrations applied (last: ${journal.entries.at(-1)!.tag})`;

const scratch = useScratchPostgres('ready');
const DATABASE_URL = scratch.url;
/** A root of `role` on the shared database and data dir (so the shared secrets match). */
const rootOf = (role: string) => scratch.rootOf(role, { AETHELRED_SESSION_LEASE_MS: '4000' });
const ready = async (root: Root) => {
  const response = await (gateMetaOf(readyRoute.GET) as RouteGateMeta).run(root, new Request(`${ORIGIN}/api/health/ready`), {});
  return { status: response.status, body: await response.json() };
};

describe('GET /api/health/ready per role', () => {
  it('answers 503 until each role started its work and 200 after, naming what it checked; the trader\'s metrics show the session it holds; migrations behind make it 503', async () => {
    // Web: built (which migrates), not started yet: the database answers and migrations are current, so ready.
    const web = await rootOf('web');
    expect(await ready(web)).toEqual({
      status: 200,
      body: { ready: true, role: 'web', checks: [{ name: 'database', ok: true, detail: 'the postgres database answers' }, { name: 'migrations', ok: true, detail: MIGRATIONS }] },
    });
    await web.start();

    // Worker: 503 until its job runner started.
    const worker = await rootOf('worker');
    expect(await ready(worker)).toEqual({
      status: 503,
      body: {
        ready: false,
        role: 'worker',
        checks: [
          { name: 'database', ok: true, detail: 'the postgres database answers' },
          { name: 'migrations', ok: true, detail: MIGRATIONS },
          { name: 'job-runner', ok: false, detail: 'in-process-job-runner has not started (engine created)' },
        ],
      },
    });
    await worker.start();
    expect((await ready(worker)).status).toBe(200);
    expect((await ready(worker)).body.checks[2]).toEqual({ name: 'job-runner', ok: true, detail: 'in-process-job-runner started' });

    // The web root stores a replay session for a trader.
    await web.engine.importCandleText({ csv: waveCsv({ count: 5_000, startMs: T0, timeframeMs: TF, phase: 0 }), key: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, name: 'wave' });
    const session = await web.engine.startLiveSession({ mode: 'replay', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } }, fusion: { entryThreshold: 0.05 }, from: T0 + 400 * TF, speed: 1, veto: 'off' });
    expect(session.status).toBe('starting');

    // Trader: 503 until its first lease round; after start it has claimed the session.
    const trader = await rootOf('trader');
    const before = await ready(trader);
    expect(before.status).toBe(503);
    expect(before.body.checks[2]).toEqual({ name: 'session-leases', ok: false, detail: 'the first session-lease round has not finished' });
    const startedAt = performance.now();
    await trader.start();
    const owner = (await trader.health()).leases!.owner;
    expect(await ready(trader)).toEqual({
      status: 200,
      body: {
        ready: true,
        role: 'trader',
        checks: [
          { name: 'database', ok: true, detail: 'the postgres database answers' },
          { name: 'migrations', ok: true, detail: MIGRATIONS },
          { name: 'session-leases', ok: true, detail: `session-lease rounds running as ${owner}, 1 session(s) held` },
        ],
      },
    });
    expect((await createLiveSessionRepository(web.database.db).get(session.id))!.lease).toMatchObject({ owner, token: 1 });

    // Its /api/metrics (Bearer token, as Prometheus scrapes) shows the session it holds, owned here, and a lease age
    // no older than the time since start() was called (the claim, or a later renewal, was asked for after it).
    const user = await web.auth.createUser({ email: 'prometheus@example.test', password: TEST_PASSWORD, role: 'viewer' });
    const { token } = await web.auth.issueToken({ userId: user.id, name: 'prometheus', role: 'viewer' });
    const response = await (gateMetaOf(metricsRoute.GET) as RouteGateMeta).run(trader, new Request(`${ORIGIN}/api/metrics`, { headers: { authorization: `Bearer ${token}` } }), {});
    expect(response.status).toBe(200);
    const families = new Map(parsePrometheusTextFormat(await response.text()).map((f) => [f.name, f]));
    expect(families.get('aethelred_session_owner')).toMatchObject({ type: 'GAUGE', metrics: [{ labels: { session: session.id, owner }, value: '1' }] });
    const age = families.get('aethelred_session_lease_age_seconds')!;
    expect(age.type).toBe('GAUGE');
    expect(age.metrics).toHaveLength(1);
    expect(age.metrics[0]!.labels).toEqual({ session: session.id });
    const seconds = Number(age.metrics[0]!.value);
    const elapsed = (performance.now() - startedAt) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(elapsed);

    // A web or worker process holds no session: the metric families exist with no series.
    const webMetrics = await web.telemetry.metricsText();
    expect(webMetrics).toContain('# TYPE aethelred_session_owner gauge');
    expect(webMetrics).not.toContain('aethelred_session_owner{');

    // A database whose migrations are behind this build (the newest one's record removed): not ready, saying how far behind.
    const db = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined });
    await db.unsafe('DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations)');
    await db.end();
    const n = journal.entries.length;
    expect(await ready(web)).toEqual({
      status: 503,
      body: { ready: false, role: 'web', checks: [{ name: 'database', ok: true, detail: 'the postgres database answers' }, { name: 'migrations', ok: false, detail: `${n - 1} of ${n} migrations applied (last: ${journal.entries.at(-2)!.tag})` }] },
    });
  }, 180_000);
});
