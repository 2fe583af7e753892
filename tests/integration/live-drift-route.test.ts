/**
 * GET /api/live/[id]/drift through the gate on a real root, on embedded PGlite and on PostgreSQL:
 * a stored (stopped) paper session over synthetic candles, journaled live trades fabricated from
 * the replay's own trades with known departures (a worse entry fill, higher fees, one trade only
 * live made), so every per-cause total is known by hand.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as driftRoute from '../../app/api/live/[id]/drift/route';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import type { TradeRecord } from '../../engine/ports/journal';
import type { DriftReport } from '../../engine/insight/live-drift';
import type { LiveSessionRecord } from '../../engine/live/live-session-manager';
import { toColumns } from '../../engine/testing/in-memory-repositories';
import { AUTH_TEST_BACKENDS, createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
/** A smooth synthetic wave (not market data): ma-crossover 5/20 trades it several times in 600 candles. */
const candleRows = Array.from({ length: 1_200 }, (_, i) => {
  const close = 100 * (1 + 0.05 * Math.sin(i / 15));
  const open = 100 * (1 + 0.05 * Math.sin((i - 1) / 15));
  return { openTimeMs: T0 + i * TF, open, high: Math.max(open, close) * 1.001, low: Math.min(open, close) * 0.999, close, volume: 1_000 };
});
const MARKET = { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' } as const;
const session = (id: string, overrides: Partial<LiveSessionRecord> = {}): LiveSessionRecord => ({
  id,
  ...MARKET,
  config: { strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 5, slowPeriod: 20 } } },
  status: 'stopped',
  lastCandleMs: T0 + 1_199 * TF,
  liveTrading: false,
  lastError: null,
  startedAtMs: T0 + 600 * TF,
  updatedAtMs: T0 + 1_200 * TF,
  ...overrides,
});
const SESSION_ID = 'live:test:SYN/USDT:5m';
/** A session on a market with no stored candles. */
const NO_CANDLES_ID = 'live:test:NOC/USDT:5m';

describe.each(AUTH_TEST_BACKENDS)('GET /api/live/[id]/drift on $name', (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  let app: AuthTestRoot;
  let viewer: string;
  /** The replay's trades, read before any live trade is journaled. */
  let replayTrades: DriftReport['onlySimulated'];
  let live: TradeRecord[];

  const get = (id: string, headers: Record<string, string> = {}) =>
    (gateMetaOf(driftRoute.GET) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}/api/live/${encodeURIComponent(id)}/drift`, { headers }), { id });

  beforeAll(async () => {
    app = await createAuthTestRoot(backend.env(schema));
    viewer = (await app.signedInAs('viewer')).cookie;
    const db = app.root.database.db;
    await createCandleRepository(db).insertCandles(MARKET, toColumns(candleRows));
    const sessions = createLiveSessionRepository(db);
    await sessions.upsert(session(SESSION_ID));
    await sessions.upsert(session(NO_CANDLES_ID, { symbol: 'NOC/USDT' }));
    replayTrades = (await app.root.engine.liveDrift(SESSION_ID)).onlySimulated;
    // Live copies of the replay's trades: the first filled 0.1 worse on entry, the second paid 0.5 more in fees.
    live = replayTrades.map((t, k) => ({
      id: `live-${k}`,
      runId: null,
      accountId: 'default',
      exchange: MARKET.exchange,
      symbol: MARKET.symbol,
      strategy: 'ma-crossover',
      exitReason: 'signal',
      ...t,
      entryPrice: k === 0 ? t.entryPrice + 0.1 : t.entryPrice,
      realizedPnl: k === 0 ? t.realizedPnl - 0.1 * t.amount : t.realizedPnl,
      fees: k === 1 ? t.fees + 0.5 : t.fees,
    }));
    // One trade only live made: entry at least two candles from any replay entry, net 3 - 0.2 = 2.8.
    const lonely = Array.from({ length: 600 }, (_, k) => T0 + (600 + k) * TF).find((ms) => replayTrades.every((t) => Math.abs(t.entryTimeMs - ms) > 2 * TF));
    expect(lonely).toBeDefined();
    live.push({
      id: 'live-only',
      runId: null,
      accountId: 'default',
      ...MARKET,
      strategy: 'ma-crossover',
      side: 'long',
      amount: 1,
      entryPrice: 100,
      exitPrice: 103,
      entryTimeMs: lonely!,
      exitTimeMs: lonely! + 3 * TF,
      realizedPnl: 3,
      fees: 0.2,
      funding: 0,
      exitReason: 'signal',
    });
    // The session trades the default account; another account's trade on the same market is not its.
    await createJournalRepository(db).appendTrades([...live, { ...live[live.length - 1], id: 'other-account', accountId: 'swing-desk', realizedPnl: 1_000 }]);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await backend.dropSchema(schema);
  });

  it('the fixture replays into at least two trades for live to copy', () => {
    expect(replayTrades.length).toBeGreaterThanOrEqual(2);
  });

  it('answers the engine report to a viewer, with per-cause totals known by hand that sum to the PnL difference', async () => {
    const response = await get(SESSION_ID, { cookie: viewer });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Awaited<ReturnType<typeof app.root.engine.liveDrift>>;
    expect(body).toEqual(await app.root.engine.liveDrift(SESSION_ID));
    expect(body.sessionId).toBe(SESSION_ID);
    expect(body.fromMs).toBe(T0 + 600 * TF);
    expect(body.toMs).toBe(T0 + 1_200 * TF);
    expect(body.rows).toHaveLength(replayTrades.length);
    expect(body.onlySimulated).toEqual([]);
    expect(body.onlyLive.map((t) => t.realizedPnl)).toEqual([3]);

    const firstAmount = replayTrades[0].amount;
    const t = body.totals;
    expect(t.entryFill).toBeCloseTo(-0.1 * firstAmount, 9);
    expect(t.exitFill).toBeCloseTo(0, 9);
    expect(t.fees).toBeCloseTo(-0.5, 9);
    expect(t.funding).toBeCloseTo(0, 9);
    expect(t.timing).toBeCloseTo(2.8, 9);
    expect(t.pnl).toBeCloseTo(-0.1 * firstAmount - 0.5 + 2.8, 9);
    expect(t.entryFill + t.exitFill + t.fees + t.funding + t.timing).toBeCloseTo(t.pnl, 9);
    // Per trade: the worse entry and the higher fees land on their own rows.
    expect(body.rows[0].entryFill).toBeCloseTo(-0.1 * firstAmount, 9);
    expect(body.rows[1].fees).toBeCloseTo(-0.5, 9);
    expect(body.rows.every((r) => r.entryDelayMs === 0)).toBe(true);
  });

  it('answers 400 naming the field and the value for an unknown session', async () => {
    const response = await get('live:test:NONE/USDT:5m', { cookie: viewer });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_request:input');
    expect(body.error.message).toBe('field "sessionId" was "live:test:NONE/USDT:5m": no live session has this id; see `live list`');
  });

  it('answers 400 asking for download-candles when the stored candles do not cover the session', async () => {
    const response = await get(NO_CANDLES_ID, { cookie: viewer });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toBe(
      'field "sessionId" was "live:test:NOC/USDT:5m": stored test NOC/USDT 5m candles do not cover the session (2024-01-03T02:00:00.000Z to 2024-01-05T04:00:00.000Z); download them first with download-candles',
    );
  });

  it('decodes a still-encoded id segment and rejects an empty one naming the field', async () => {
    const encoded = await (gateMetaOf(driftRoute.GET) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}/api/live/x/drift`, { headers: { cookie: viewer } }), {
      id: encodeURIComponent(SESSION_ID),
    });
    expect(encoded.status).toBe(200);
    expect(((await encoded.json()) as { sessionId: string }).sessionId).toBe(SESSION_ID);
    const blank = await get(' ', { cookie: viewer });
    expect(blank.status).toBe(400);
    expect(((await blank.json()) as { error: { message: string } }).error.message).toBe('field "id" was " ": expected a live session id such as "live:binance:BTC/USDT:5m"');
  });

  it('answers 401 to an anonymous caller', async () => {
    const response = await get(SESSION_ID);
    expect(response.status).toBe(401);
  });
});
