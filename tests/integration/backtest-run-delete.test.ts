/**
 * Deleting a backtest run from the dashboard (issue 14): the trader's action removes the run with every
 * trade and decision it journaled, in one transaction, and the audit log keeps what it was; a viewer
 * may not; an unknown or already deleted run answers 404; a run still running is refused naming `id`;
 * another run's rows are untouched. On embedded PGlite and on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { deleteBacktestRun } from '../../app/backtests/actions';
import { waveCsv } from '../../engine/testing/wave-candles';
import { apiV1Client } from '../support/api-v1-client';
import { createBacktestRunRepository } from '../../db/repositories/backtest-run-repository';
import { AUTH_TEST_BACKENDS, TEST_ORIGIN, useAuthTestRoots } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  return data;
};

describe.each(AUTH_TEST_BACKENDS)('deleting a backtest run on $name', { timeout: 180_000 }, (backend) => {
  const roots = useAuthTestRoots(backend);

  it('removes the run with its trades and decisions, audited; refuses viewers, unknown ids and running runs', async () => {
    const app = await roots.open();
    const trader = await app.signedInAs('trader');
    const viewer = await app.signedInAs('viewer');
    const headers = (cookie: string) => new Headers({ cookie, origin: TEST_ORIGIN });
    const api = apiV1Client(app.root, { cookie: trader.cookie });
    expect((await api.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, body: waveCsv({ count: 1_500, phase: 0, base: 100, startMs: T0, timeframeMs: TF }) })).status).toBe(200);
    const request = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: T0, to: T0 + 1_500 * TF, strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } }, fusion: { entryThreshold: 0.05 }, decisionDetail: 'all' };
    const kept = await app.root.engine.runBacktest(request);
    const doomed = await app.root.engine.runBacktest(request);
    const rowsOf = async (runId: string) => ({
      trades: (await app.root.engine.listTrades({ runId, limit: 1000 })).items.length,
      decisions: (await app.root.engine.listDecisions({ runId, limit: 1000 } as never)).items.length,
    });
    const before = await rowsOf(doomed.runId);
    expect(before.trades).toBeGreaterThan(0);
    expect(before.decisions).toBeGreaterThan(before.trades);
    const keptRows = await rowsOf(kept.runId);

    expect(await deleteBacktestRun[GATE].run(app.root, headers(viewer.cookie), form({ runId: doomed.runId }))).toMatchObject({ ok: false, status: 403 });
    const deleted = await deleteBacktestRun[GATE].run(app.root, headers(trader.cookie), form({ runId: doomed.runId }));
    expect(deleted).toEqual({ ok: true, data: { deleted: doomed.runId } });
    expect(await app.root.engine.getBacktestRun(doomed.runId)).toBeNull();
    expect(await rowsOf(doomed.runId)).toEqual({ trades: 0, decisions: 0 });
    // The other run keeps every row.
    expect(await rowsOf(kept.runId)).toEqual(keptRows);
    const audit = (await app.root.auth.audit.list({ limit: 10 })).items.find((e) => e.action === 'backtest.delete');
    expect(audit).toMatchObject({ target: doomed.runId, actorEmail: trader.email, before: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', status: 'complete', tradeCount: before.trades } });

    const again = await deleteBacktestRun[GATE].run(app.root, headers(trader.cookie), form({ runId: doomed.runId }));
    expect(again).toMatchObject({ ok: false, status: 404, error: { message: expect.stringContaining(`backtest run "${doomed.runId}" does not exist`) } });
    // A run still running (its job owns it) cannot be deleted, and stays.
    const runs = createBacktestRunRepository(app.root.database.db);
    await runs.create({ id: 'still-running', config: {}, configHash: 'x', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', fromMs: T0, toMs: T0 + TF });
    const busy = await deleteBacktestRun[GATE].run(app.root, headers(trader.cookie), form({ runId: 'still-running' }));
    expect(busy).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { runId: ['field "runId" was "still-running": the run is still running; wait until it completes or fails, then delete it'] } } });
    expect((await app.root.engine.getBacktestRun('still-running'))?.status).toBe('running');
  });
});
