/**
 * The wired application: `/api/metrics` behind the gate (session or Bearer API token, viewer and
 * up), admin-only notification settings, and the root's notifier delivering `engine.notify` events.
 * Runs a real root on embedded PGlite in a temp data dir.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as metricsRoute from '../../app/api/metrics/route';
import * as notificationsRoute from '../../app/api/notifications/route';
import * as healthRoute from '../../app/api/health/route';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import * as webhookRoute from '../../app/api/webhooks/[id]/route';
import { createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';
import { startFakeHttpService, type FakeHttpService } from '../support/fake-http-service';

const ORIGIN = 'http://localhost:3000';
let app: AuthTestRoot;
let slack: FakeHttpService;

const run = (handler: unknown, request: Request) => (gateMetaOf(handler) as RouteGateMeta).run(app.root, request, {});

beforeAll(async () => {
  app = await createAuthTestRoot();
  slack = await startFakeHttpService({ status: 200, body: 'ok' });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await slack?.close();
});

describe('GET /api/metrics', () => {
  it('answers 401 without credentials', async () => {
    const response = await run(metricsRoute.GET, new Request(`${ORIGIN}/api/metrics`));
    expect(response.status).toBe(401);
  });

  it('serves the Prometheus text format to a viewer session', async () => {
    const { cookie } = await app.signedInAs('viewer');
    const response = await run(metricsRoute.GET, new Request(`${ORIGIN}/api/metrics`, { headers: { cookie } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    // A real Prometheus text-format parser (prom2json-compatible) reads the whole exposition.
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('aethelred_breaker_tripped')?.type).toBe('GAUGE');
    expect(byName.get('aethelred_breaker_tripped')?.metrics).toContainEqual({ labels: { breaker: 'max_drawdown' }, value: '0' });
    expect(byName.get('aethelred_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(byName.get('process_resident_memory_bytes')?.type).toBe('GAUGE');
    expect(families.length).toBeGreaterThan(15);
    expect(text).toContain('aethelred_breaker_tripped{breaker="max_drawdown"} 0');
    expect(text).toContain('aethelred_job_queue_depth{status="queued"} 0');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it('accepts a Bearer API token, as a Prometheus scrape job sends it', async () => {
    const { userId } = await app.signedInAs('trader');
    const { token } = await app.root.auth.issueToken({ userId, name: 'prometheus', role: 'viewer' });
    const response = await run(metricsRoute.GET, new Request(`${ORIGIN}/api/metrics`, { headers: { authorization: `Bearer ${token}` } }));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('aethelred_http_request_duration_seconds_count{route="/api/metrics",method="GET",status="200"}');
  });
});

describe('every gated route', () => {
  it('answers with a request id (honouring the caller\'s) and lands in the latency histogram under its route pattern', async () => {
    const health = await run(healthRoute.GET, new Request(`${ORIGIN}/api/health`, { headers: { 'x-request-id': 'req-42' } }));
    expect(health.headers.get('x-request-id')).toBe('req-42');
    const webhook = await (gateMetaOf(webhookRoute.POST) as RouteGateMeta).run(app.root, new Request(`${ORIGIN}/api/webhooks/wh-unknown`, { method: 'POST', body: '{}' }), { id: 'wh-unknown' });
    expect(webhook.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const text = await app.root.telemetry.metricsText();
    expect(text).toContain(`aethelred_http_request_duration_seconds_count{route="/api/health",method="GET",status="${health.status}"} 1`);
    expect(text).toContain(`aethelred_http_request_duration_seconds_count{route="/api/webhooks/[id]",method="POST",status="${webhook.status}"} 1`);
  });
});

describe('notification settings API and the root notifier', () => {
  const settings = () => ({
    channels: [{ id: 'ops', kind: 'slack', webhookUrl: `${slack.origin}/services/T0/B0/SECRETPATH` }],
    routing: { halt: ['ops'] },
  });

  it('refuses a trader', async () => {
    const { cookie } = await app.signedInAs('trader');
    const response = await run(notificationsRoute.PUT, new Request(`${ORIGIN}/api/notifications`, { method: 'PUT', headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify(settings()) }));
    expect(response.status).toBe(403);
  });

  it('names the bad field and changes nothing', async () => {
    const { cookie } = await app.signedInAs('admin');
    const bad = { ...settings(), routing: { halt: ['nobody'] } };
    const response = await run(notificationsRoute.PUT, new Request(`${ORIGIN}/api/notifications`, { method: 'PUT', headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify(bad) }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'bad_request:input', message: 'field "routing.halt.0" was "nobody": no channel has this id' } });
    expect(app.root.notifications.redactedSettings()).toEqual({ channels: [], routing: {} });
  });

  it('saves settings for an admin, shows them masked, and delivers engine.notify to the routed channel', async () => {
    const { cookie } = await app.signedInAs('admin');
    const put = await run(notificationsRoute.PUT, new Request(`${ORIGIN}/api/notifications`, { method: 'PUT', headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify(settings()) }));
    expect(put.status).toBe(200);
    const shown = await run(notificationsRoute.GET, new Request(`${ORIGIN}/api/notifications`, { headers: { cookie } }));
    const body = (await shown.json()) as { channels: { webhookUrl: string }[]; routing: unknown };
    expect(body.routing).toEqual({ halt: ['ops'] });
    expect(body.channels[0].webhookUrl).not.toContain('SECRETPATH');

    app.root.engine.notify({ kind: 'halt', timeMs: Date.UTC(2024, 0, 1), reason: 'manual: maintenance' });
    await (app.root.notifications.notifier.whenIdle());
    expect(slack.requests.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
      ['/services/T0/B0/SECRETPATH', { text: '[Aethelred] trading halted: manual: maintenance at 2024-01-01T00:00:00.000Z' }],
    ]);
    const metrics = await app.root.telemetry.metricsText();
    expect(metrics).toContain('aethelred_notifications_total{channel="slack",outcome="sent"} 1');
  });
});

describe('GET /api/health', () => {
  it('tells an anonymous caller (or a non-admin) which component fails but not its error text; an admin, by session or token, gets the text', async () => {
    const internal = 'insert into "decision_log" failed: duplicate key value violates unique constraint "decision_log_pkey" on db-primary.internal:5432';
    const status = vi.spyOn(app.root.engine.journal, 'status').mockReturnValue({ failing: true, lastError: internal, refusedRows: 0, pending: 3 });
    try {
      const admin = await app.signedInAs('admin');
      const { token } = await app.root.auth.issueToken({ userId: admin.userId, name: 'health', role: 'admin' });
      const viewer = await app.signedInAs('viewer');
      const get = async (headers: Record<string, string>) => {
        const response = await run(healthRoute.GET, new Request(`${ORIGIN}/api/health`, { headers }));
        return { status: response.status, text: await response.text() };
      };
      for (const headers of [{}, { cookie: viewer.cookie }, { cookie: 'better-auth.session_token=forged' }, { authorization: 'Bearer aeth_unknown' }] as Record<string, string>[]) {
        const anonymous = await get(headers);
        expect(anonymous.status).toBe(503);
        expect(anonymous.text).not.toContain('decision_log');
        expect(JSON.parse(anonymous.text)).toMatchObject({ status: 'degraded', reasons: ['journal writes are failing (3 rows wait for a retry)'], journal: { failing: true, refusedRows: 0, pending: 3 } });
        expect(JSON.parse(anonymous.text).journal).not.toHaveProperty('lastError');
      }
      for (const headers of [{ cookie: admin.cookie }, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
        const detailed = await get(headers);
        expect(detailed.status).toBe(503);
        expect(JSON.parse(detailed.text)).toMatchObject({ reasons: [`journal writes are failing (3 rows wait for a retry): ${internal}`], journal: { lastError: internal } });
      }
    } finally {
      status.mockRestore();
    }
  });
});
