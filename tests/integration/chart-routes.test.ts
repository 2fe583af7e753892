/**
 * The chart's data routes through the gate on a real root, on embedded PGlite and on PostgreSQL:
 * GET /api/chart-markers returns exactly one run's trades and vetoed/denied decisions (hand-made
 * rows with known times, next to live rows and another run's rows that must not show), GET
 * /api/chart-chain opens a marker's decision chain, and GET /api/chart-indicators gives the
 * strategy's SMA values as a hand-computed mean of the closes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as markersRoute from '../../app/api/chart-markers/route';
import * as chainRoute from '../../app/api/chart-chain/route';
import * as indicatorsRoute from '../../app/api/chart-indicators/route';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import type { ChartMarkers } from '../../engine/account/chart';
import type { ChartIndicators } from '../../engine/account/chart-indicators';
import type { DecisionRecord, TradeRecord } from '../../engine/ports/journal';
import { toColumns } from '../../engine/testing/in-memory-repositories';
import { AUTH_TEST_BACKENDS, createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
/** Closes 100, 101, …: SMA(n) at row i is the mean of rows i-n+1..i, i.e. 100 + i - (n-1)/2. */
const candleRows = Array.from({ length: 400 }, (_, i) => ({ openTimeMs: T0 + i * TF, open: 100 + i, high: 101 + i, low: 99 + i, close: 100 + i, volume: 10 + i }));
const MARKET = { exchange: 'test', symbol: 'CHT/USDT', timeframe: '5m' } as const;

const trade = (id: string, runId: string | null, entryRow: number, exitRow: number, over: Partial<TradeRecord> = {}): TradeRecord => ({
  id,
  runId,
  exchange: MARKET.exchange,
  symbol: MARKET.symbol,
  strategy: 'ma-crossover',
  side: 'long',
  amount: 1,
  entryPrice: 100 + entryRow,
  exitPrice: 100 + exitRow,
  entryTimeMs: T0 + entryRow * TF,
  exitTimeMs: T0 + exitRow * TF,
  realizedPnl: exitRow - entryRow,
  fees: 0.25,
  funding: 0,
  exitReason: 'signal',
  ...over,
});
const decision = (id: string, runId: string | null, row: number, outcome: DecisionRecord['outcome'], inputs: Record<string, unknown> = {}): DecisionRecord => ({
  id,
  runId,
  ...MARKET,
  strategy: 'fusion',
  timeMs: T0 + row * TF,
  outcome,
  side: 'long',
  strength: 0.8,
  reason: `${outcome} at row ${row}`,
  inputs,
});

describe.each(AUTH_TEST_BACKENDS)('chart routes on $name', (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  let app: AuthTestRoot;
  let viewer: string;

  const get = async <T>(route: { GET: unknown }, path: string, query: Record<string, string>): Promise<{ status: number; body: T }> => {
    const response = await (gateMetaOf(route.GET as never) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}${path}?${new URLSearchParams(query)}`, { headers: { cookie: viewer } }), {});
    return { status: response.status, body: (await response.json()) as T };
  };
  const window = { exchange: MARKET.exchange, symbol: MARKET.symbol, timeframe: MARKET.timeframe, from: String(T0), to: String(T0 + 400 * TF) };

  beforeAll(async () => {
    app = await createAuthTestRoot(backend.env(schema));
    viewer = (await app.signedInAs('viewer')).cookie;
    const db = app.root.database.db;
    await createCandleRepository(db).insertCandles(MARKET, toColumns(candleRows));
    const journal = createJournalRepository(db);
    await journal.appendTrades([
      trade('run-a-1', 'run-a', 30, 45),
      trade('run-a-2', 'run-a', 100, 130, { side: 'short', exitReason: 'stop', realizedPnl: -3 }),
      trade('run-b-1', 'run-b', 50, 60),
      trade('live-1', null, 70, 80, { accountId: 'default' }),
      // Another account's session on the same market.
      trade('live-desk', null, 72, 82, { accountId: 'swing-desk' }),
      // Outside the window asked for below (exits after it).
      trade('run-a-late', 'run-a', 390, 420),
      // Closed at the end of the run, at the clock after the last stored candle (row 399): the full window's end.
      trade('run-c-end', 'run-c', 380, 400, { exitReason: 'end-of-run' }),
    ]);
    await journal.appendDecisions([
      decision('d-exec', 'run-a', 30, 'executed', { orderId: 'o-1' }),
      decision('d-veto', 'run-a', 60, 'vetoed', { veto: { modelVersion: 'v1', lossProbability: 0.8, threshold: 0.6 } }),
      decision('d-deny', 'run-a', 61, 'denied', { stopPrice: 150.5, risk: [{ name: 'leverage_after', value: 4, limit: 3, passed: false }] }),
      decision('d-none', 'run-a', 62, 'no_trade'),
      decision('d-other', 'run-b', 63, 'vetoed'),
      decision('d-live', null, 64, 'denied'),
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await backend.dropSchema(schema);
  });

  it("returns exactly a run's trades and executed, vetoed and denied decisions with their times", async () => {
    const { status, body } = await get<ChartMarkers>(markersRoute, '/api/chart-markers', { ...window, to: String(T0 + 300 * TF), runId: 'run-a' });
    expect(status).toBe(200);
    expect([...body.trades].sort((a, b) => a.entryTimeMs - b.entryTimeMs)).toEqual([
      { id: 'run-a-1', side: 'long', amount: 1, entryTimeMs: T0 + 30 * TF, entryPrice: 130, exitTimeMs: T0 + 45 * TF, exitPrice: 145, exitReason: 'signal', strategy: 'ma-crossover', netPnl: 14.75 },
      { id: 'run-a-2', side: 'short', amount: 1, entryTimeMs: T0 + 100 * TF, entryPrice: 200, exitTimeMs: T0 + 130 * TF, exitPrice: 230, exitReason: 'stop', strategy: 'ma-crossover', netPnl: -3.25 },
    ]);
    expect([...body.decisions].sort((a, b) => a.timeMs - b.timeMs)).toEqual([
      { id: 'd-exec', timeMs: T0 + 30 * TF, outcome: 'executed', side: 'long', reason: 'executed at row 30', stopPrice: null },
      { id: 'd-veto', timeMs: T0 + 60 * TF, outcome: 'vetoed', side: 'long', reason: 'vetoed at row 60', stopPrice: null },
      { id: 'd-deny', timeMs: T0 + 61 * TF, outcome: 'denied', side: 'long', reason: 'denied at row 61', stopPrice: 150.5 },
    ]);
    expect(body.stops).toEqual([]);
  });

  it("includes an end-of-run exit timed at exactly the window's end, and nothing after it", async () => {
    const { body } = await get<ChartMarkers>(markersRoute, '/api/chart-markers', { ...window, runId: 'run-c' });
    // Entry at row 380 (close 480), exit at row 400's time (T0 + 400 × 5 min) at price 500: net 20 − 0.25.
    expect(body.trades).toEqual([{ id: 'run-c-end', side: 'long', amount: 1, entryTimeMs: T0 + 380 * TF, entryPrice: 480, exitTimeMs: T0 + 400 * TF, exitPrice: 500, exitReason: 'end-of-run', strategy: 'ma-crossover', netPnl: 19.75 }]);
    const before = await get<ChartMarkers>(markersRoute, '/api/chart-markers', { ...window, to: String(T0 + 400 * TF - 1), runId: 'run-c' });
    expect(before.body.trades).toEqual([]);
    const runA = await get<ChartMarkers>(markersRoute, '/api/chart-markers', { ...window, runId: 'run-a' });
    expect(runA.body.trades.map((t) => t.id).sort()).toEqual(['run-a-1', 'run-a-2']);
  });

  it('returns only live rows without a run id', async () => {
    const { body } = await get<ChartMarkers>(markersRoute, '/api/chart-markers', window);
    expect(body.trades.map((t) => t.id).sort()).toEqual(['live-1', 'live-desk']);
    expect(body.decisions.map((d) => d.id)).toEqual(['d-live']);
  });

  it("returns one account's session rows with `account`, and refuses a malformed one or one given with a run", async () => {
    const mine = await get<ChartMarkers>(markersRoute, '/api/chart-markers', { ...window, account: 'default' });
    expect(mine.status).toBe(200);
    expect(mine.body.trades.map((t) => t.id)).toEqual(['live-1']);
    expect(mine.body.stops).toEqual([]);
    type Refusal = { error: { fieldErrors: Record<string, string[]> } };
    const bad = await get<Refusal>(markersRoute, '/api/chart-markers', { ...window, account: 'Swing Desk' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fieldErrors.account).toEqual(['expected an account id like "default"']);
    const both = await get<Refusal>(markersRoute, '/api/chart-markers', { ...window, account: 'default', runId: 'run-a' });
    expect(both.status).toBe(400);
    expect(both.body.error.fieldErrors.accountId).toEqual([expect.stringContaining('give account "default" or run "run-a", not both')]);
  });

  it("opens a denied decision's chain with its full inputs", async () => {
    const { status, body } = await get<{ trade: TradeRecord | null; decisions: DecisionRecord[] }>(chainRoute, '/api/chart-chain', { decision: 'd-deny', symbol: MARKET.symbol, time: String(T0 + 61 * TF), runId: 'run-a' });
    expect(status).toBe(200);
    expect(body.trade).toBeNull();
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({ id: 'd-deny', outcome: 'denied', inputs: { stopPrice: 150.5, risk: [{ name: 'leverage_after', value: 4, limit: 3, passed: false }] } });
  });

  it("opens a trade marker's chain from its entry decision", async () => {
    const { body } = await get<{ trade: TradeRecord | null; decisions: DecisionRecord[] }>(chainRoute, '/api/chart-chain', { trade: 'run-a-1' });
    expect(body.trade?.id).toBe('run-a-1');
    expect(body.decisions.map((d) => d.id)).toContain('d-exec');
  });

  it("draws the strategy's moving averages with its parameters, warmed up on candles before the window", async () => {
    const strategies = JSON.stringify([{ name: 'ma-crossover', params: { fastPeriod: 5, slowPeriod: 20 } }]);
    const { status, body } = await get<ChartIndicators>(indicatorsRoute, '/api/chart-indicators', { ...window, from: String(T0 + 100 * TF), to: String(T0 + 110 * TF), strategies });
    expect(status).toBe(200);
    expect(body.skipped).toBeNull();
    expect(body.lines.map((l) => [l.name, l.pane])).toEqual([
      ['SMA(5)', 'price'],
      ['SMA(20)', 'price'],
    ]);
    const [fast, slow] = body.lines;
    expect(fast.points).toHaveLength(10);
    expect(fast.points[0][0]).toBe(T0 + 100 * TF);
    expect(fast.points[0][1]).toBeCloseTo(100 + 100 - 2, 9);
    expect(slow.points[9][1]).toBeCloseTo(100 + 109 - 9.5, 9);
  });

  it('draws RSI in the oscillator pane with its levels, and refuses an unknown strategy with a 400', async () => {
    const rsi = await get<ChartIndicators>(indicatorsRoute, '/api/chart-indicators', { ...window, strategies: JSON.stringify([{ name: 'rsi-mean-reversion' }]) });
    expect(rsi.body.lines.map((l) => [l.name, l.pane])).toEqual([['RSI(14)', 'oscillator']]);
    // Closes only rise: RSI is 100 wherever defined.
    expect(rsi.body.lines[0].points.every(([, v]) => v === 100)).toBe(true);
    expect(rsi.body.levels.map((l) => l.value)).toEqual([30, 70]);
    const bad = await get<unknown>(indicatorsRoute, '/api/chart-indicators', { ...window, strategies: JSON.stringify([{ name: 'moon-shot' }]) });
    expect(bad.status).toBe(400);
  });
});
