/**
 * Text the database cannot store (NUL, an unpaired surrogate) is refused where it enters, naming the
 * field, on PGlite and on PostgreSQL: query parameters and path ids of the read endpoints, and webhook
 * payloads. Before, a NUL in an alert's `strategy` reached the journal writer, whose failed write stuck
 * and failed every later alert and order until a restart; now the alert is a 400 and the next one works.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook } from '../../app/admin/actions';
import { GATE, gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as auditRoute from '../../app/api/audit/route';
import * as candlesRoute from '../../app/api/candles/route';
import * as chartMarkersRoute from '../../app/api/chart-markers/route';
import * as decisionsRoute from '../../app/api/decisions/route';
import * as healthRoute from '../../app/api/health/route';
import * as driftRoute from '../../app/api/live/[id]/drift/route';
import * as v1BacktestRoute from '../../app/api/v1/backtests/[id]/route';
import * as exportRoute from '../../app/api/trades/export/route';
import * as tradesRoute from '../../app/api/trades/route';
import { POST as webhookPost } from '../../app/api/webhooks/[id]/route';
import { AUTH_TEST_BACKENDS, createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const NUL_MESSAGE = 'contains the NUL character (U+0000), which the database cannot store';

describe.each(AUTH_TEST_BACKENDS)('text the database cannot store, on $name', (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  let app: AuthTestRoot;
  let viewer: string;
  let admin: string;

  const get = async (module: { GET: unknown }, url: string, params: Record<string, string> = {}, cookie = viewer) => {
    const response = await (gateMetaOf(module.GET) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}${url}`, { headers: { cookie } }), params);
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string; fieldErrors?: Record<string, string[]> } } & Record<string, unknown> };
  };

  beforeAll(async () => {
    app = await createAuthTestRoot(backend.env(schema));
    viewer = (await app.signedInAs('viewer')).cookie;
    admin = (await app.signedInAs('admin')).cookie;
    await app.root.engine.importCandles({ file: path.resolve('tests/fixtures/btc-usdt-5m-small.csv'), key: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' } });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await backend.dropSchema(schema);
  });

  it('answers 400 naming the query parameter or path id that holds NUL, on every read endpoint', async () => {
    const cases: [{ GET: unknown }, string, Record<string, string>, string, string][] = [
      [tradesRoute, '/api/trades?symbol=BTC%00', {}, 'symbol', '"BTC\\u0000"'],
      [decisionsRoute, '/api/decisions?strategy=a%00b', {}, 'strategy', '"a\\u0000b"'],
      [auditRoute, '/api/audit?action=%00', {}, 'action', '"\\u0000"'],
      [candlesRoute, '/api/candles?exchange=binance&symbol=BTC%2FUSDT%00&timeframe=5m&from=0&to=1', {}, 'symbol', '"BTC/USDT\\u0000"'],
      [chartMarkersRoute, '/api/chart-markers?exchange=bin%00ance&symbol=BTC%2FUSDT&timeframe=5m&from=0&to=1', {}, 'exchange', '"bin\\u0000ance"'],
      [exportRoute, '/api/trades/export?strategy=%00', {}, 'strategy', '"\\u0000"'],
    ];
    for (const [module, url, params, field, quoted] of cases) {
      expect({ url, ...(await get(module, url, params, module === auditRoute ? admin : viewer)) }).toEqual({
        url,
        status: 400,
        body: { error: { code: 'bad_request:input', message: `parameter "${field}" was ${quoted}: ${NUL_MESSAGE}`, fieldErrors: { [field]: [NUL_MESSAGE] } } },
      });
    }
    // A long value is quoted up to 80 characters.
    const long = `${'x'.repeat(100)}\u0000`;
    expect((await get(tradesRoute, `/api/trades?strategy=${'x'.repeat(100)}%00`)).body.error?.message).toBe(`parameter "strategy" was "${long.slice(0, 80)}…": ${NUL_MESSAGE}`);
    // The control API's operations pass the same gate.
    expect(await get(v1BacktestRoute, '/api/v1/backtests/a%00b', { id: 'a\u0000b' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: `path parameter "id" was "a\\u0000b": ${NUL_MESSAGE}`, fieldErrors: { id: [NUL_MESSAGE] } } },
    });
    const drift = await get(driftRoute, '/api/live/live%3Ax%00/drift', { id: 'live:x\u0000' });
    expect(drift).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: `path parameter "id" was "live:x\\u0000": ${NUL_MESSAGE}`, fieldErrors: { id: [NUL_MESSAGE] } } },
    });
  });

  it('refuses a cursor on the CSV export (it has no paging) instead of exporting everything', async () => {
    const response = await get(exportRoute, '/api/trades/export?cursor=junk');
    expect(response).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request:input',
          message: 'invalid input: cursor: not a parameter here; expected one of symbol, strategy, run, account, from, to, dir, sort, side, outcome',
          fieldErrors: { cursor: ['not a parameter here; expected one of symbol, strategy, run, account, from, to, dir, sort, side, outcome'] },
        },
      },
    });
  });

  it('refuses an alert whose strategy holds NUL with 400, and the next alert and the health check still work', async () => {
    const created = await createWebhook[GATE].run(app.root, new Headers({ cookie: admin }), { name: 'tv', kind: 'alert' });
    if (!created.ok) throw new Error(JSON.stringify(created));
    const { webhookId, secret } = created.data as { webhookId: string; secret: string };
    const send = async (payload: Record<string, unknown>) => {
      const body = JSON.stringify(payload);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
      const request = new Request(`${TEST_ORIGIN}/api/webhooks/${webhookId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-aethelred-timestamp': timestamp, 'x-aethelred-delivery': randomUUID(), 'x-aethelred-signature': signature },
        body,
      });
      const response = await webhookPost[GATE].run(app.root, request, { id: webhookId });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await send({ symbol: 'BTC/USDT', side: 'buy', strategy: 'tv\u0000' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: `invalid alert payload: strategy: ${NUL_MESSAGE}` } },
    });
    expect(await send({ symbol: 'BTC/USDT', side: 'buy', strategy: 'x', exchange: '\ud800' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: 'invalid alert payload: exchange: contains an unpaired UTF-16 surrogate (U+D800..U+DFFF), which is not valid Unicode' } },
    });
    const good = await send({ symbol: 'BTC/USDT', side: 'buy', strategy: 'tv-breakout' });
    expect(good).toMatchObject({ status: 202, body: { status: 'accepted', outcome: 'signal' } });
    const health = await get(healthRoute, '/api/health');
    // A viewer gets the public health: no error texts, so no `lastError` (an admin's health has it).
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', reasons: [], journal: { failing: false, refusedRows: 0, pending: 0 } } });
  });
});

describe('health of a root whose database went away', () => {
  it('answers 503 naming the database and the failing journal writes', async () => {
    const app = await createAuthTestRoot();
    try {
      app.root.engine.journal.recordDecision({
        id: 'd-outage', runId: null, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategy: 'tv', timeMs: 0, outcome: 'signal', side: 'long', strength: 1, reason: 'test', inputs: {},
      });
      await app.root.database.close();
      await expect(app.root.engine.journal.flush()).rejects.toThrow(/^journal write failed, 1 rows kept for a retry: /);
      // Anonymous (a load balancer's probe): the status and which component fails, never the database's error text.
      const response = await (gateMetaOf(healthRoute.GET) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}/api/health`), {});
      const text = await response.text();
      const body = JSON.parse(text) as { status: string; reasons: string[]; journal: Record<string, unknown> };
      expect(response.status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.reasons).toEqual(['the embedded database does not answer', 'journal writes are failing (1 rows wait for a retry)']);
      expect(body.journal).toEqual({ failing: true, refusedRows: 0, pending: 1 });
      expect(text).not.toContain('appending 1 decisions failed');
      // The error text itself is for admins (and the server log): root.health() keeps it.
      const detailed = await app.root.health();
      expect(detailed.reasons[1]).toMatch(/^journal writes are failing \(1 rows wait for a retry\): appending 1 decisions failed: /);
      expect(detailed.journal).toMatchObject({ failing: true, lastError: expect.stringMatching(/^appending 1 decisions failed: /) });
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});
