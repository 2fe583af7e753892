/**
 * Portfolio backtests through POST /api/v1/backtests (`symbols`) on a real root with its in-process
 * job runner, on embedded PGlite and on PostgreSQL: two markets go in through POST /api/v1/candles,
 * a run over both (listed, then "all") is queued and reports the same trades, per-market breakdown
 * and correlations as the engine's own run of the request; bad portfolio requests answer 400 naming
 * `symbols` and the value, and queue nothing.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestState } from '../../engine/backtest/backtest-jobs';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';
import { syntheticCandles } from '../support/ml-candles';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const CANDLES = 1_200;

function candleCsv(seed: number, startMs: number, count = CANDLES): string {
  const c = syntheticCandles(count, seed, startMs, HOUR);
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  for (let i = 0; i < c.length; i++) lines.push(`${c.openTimeMs[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  return lines.join('\n');
}

const REQUEST = {
  exchange: 'testex',
  symbols: ['SYN/USDT', 'SYN2/USDT'],
  timeframe: '1h',
  from: '2024-01-01',
  to: '2024-02-15',
  strategies: ['ma-crossover', 'ema-trend'],
  params: { 'ma-crossover': { fastPeriod: 10, slowPeriod: 30 } },
  fusion: { entryThreshold: 0.25 },
  risk: { maxOpenPositions: 2, maxSymbolExposurePct: 40, maxLeverage: 2 },
};

async function setup(app: AuthTestRoot): Promise<{ trader: ApiV1Client; viewer: ApiV1Client }> {
  const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
  const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
  await importMarket(trader, 'SYN/USDT', 7, T0);
  await importMarket(trader, 'SYN2/USDT', 11, T0);
  return { trader, viewer };
}

async function importMarket(trader: ApiV1Client, symbol: string, seed: number, startMs: number): Promise<void> {
  const imported = await trader.call('importCandles', { query: { exchange: 'testex', symbol, timeframe: '1h' }, body: candleCsv(seed, startMs) });
  expect(imported.body).toMatchObject({ parsed: CANDLES, inserted: CANDLES });
}

async function waitUntilDone(viewer: ApiV1Client, id: string): Promise<BacktestState> {
  for (let i = 0; i < 900; i++) {
    const answer = await viewer.call<BacktestState>('getBacktest', { path: { id } });
    expect(answer.status).toBe(200);
    if (answer.body.status === 'complete' || answer.body.status === 'failed') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`backtest "${id}" did not finish in 90 s`);
}

describe.each(AUTH_TEST_BACKENDS)('portfolio backtests through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('refuses an unstored or duplicate symbol, symbol with symbols, and markets with no common time, queuing nothing', async () => {
    const app = await roots.open();
    const { trader } = await setup(app);
    await importMarket(trader, 'LATE/USDT', 13, Date.UTC(2025, 0, 1));
    const refusal = async (patch: Record<string, unknown>) => {
      const answer = await trader.call('startBacktest', { body: { ...REQUEST, ...patch } });
      return { status: answer.status, fieldErrors: answer.body.error?.fieldErrors };
    };
    expect(await refusal({ symbols: ['SYN/USDT', 'ETH/USDT'] })).toEqual({
      status: 400,
      fieldErrors: { symbols: ['field "symbols" was "ETH/USDT": no 1h candles are stored for "ETH/USDT" on "testex"; import or download them first'] },
    });
    expect(await refusal({ symbols: ['SYN/USDT', 'SYN2/USDT', 'SYN/USDT'] })).toEqual({ status: 400, fieldErrors: { symbols: ['field "symbols" was "SYN/USDT": "SYN/USDT" is listed twice'] } });
    expect(await refusal({ symbol: 'SYN/USDT' })).toEqual({
      status: 400,
      fieldErrors: { symbols: ['field "symbols" was ["SYN/USDT","SYN2/USDT"]: give either "symbol" (one market) or "symbols" (a portfolio), not both'] },
    });
    // LATE/USDT's candles start in 2025: none in the range.
    expect(await refusal({ symbols: ['SYN/USDT', 'LATE/USDT'] })).toEqual({
      status: 400,
      fieldErrors: { symbols: ['field "symbols" was "LATE/USDT": no testex LATE/USDT 1h candles between 2024-01-01T00:00:00.000Z and 2024-02-15T00:00:00.000Z; import or download them first'] },
    });
    // Over 2024-01-01 .. 2025-03-01 each has candles, but SYN/USDT's 1,200 hours end (2024-02-19T23:00Z) before LATE/USDT starts.
    expect(await refusal({ symbols: ['SYN/USDT', 'LATE/USDT'], to: '2025-03-01' })).toEqual({
      status: 400,
      fieldErrors: {
        symbols: [
          'field "symbols" was "SYN/USDT,LATE/USDT": the markets have no overlapping data between 2024-01-01T00:00:00.000Z and 2025-03-01T00:00:00.000Z: SYN/USDT ends at 2024-02-19T23:00:00.000Z, before LATE/USDT starts at 2025-01-01T00:00:00.000Z',
        ],
      },
    });
    expect((await refusal({ symbols: ['SYN/USDT'] })).fieldErrors).toEqual({ symbols: [expect.stringContaining('expected at least 2 symbols')] });
    expect((await app.root.engine.listTickets({ limit: 10 })).items).toEqual([]);
  });

  it('queues a portfolio over listed markets and over "all", reporting what a direct engine run reports', async () => {
    const app = await roots.open();
    const { trader, viewer } = await setup(app);
    const queued = await trader.call<{ id: string }>('startBacktest', { body: REQUEST });
    expect(queued.status).toBe(202);
    const state = await waitUntilDone(viewer, queued.body.id);
    if (state.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(state)}`);

    const direct = await app.root.engine.runBacktest(REQUEST);
    expect(state.trades.map(({ id: _id, strategy: _strategy, netPnl: _net, ...t }) => t)).toEqual(direct.trades);
    expect(new Set(state.trades.map((t) => t.symbol))).toEqual(new Set(REQUEST.symbols));
    expect(state.config).toMatchObject({ exchange: 'testex', symbols: REQUEST.symbols, timeframe: '1h' });
    expect(state.config).not.toHaveProperty('symbol');
    expect(state.metrics.portfolio).toEqual(JSON.parse(JSON.stringify(direct.portfolio)));
    expect(state.metrics.portfolio!.markets.map((m) => [m.symbol, m.trades])).toEqual(REQUEST.symbols.map((s) => [s, state.trades.filter((t) => t.symbol === s).length]));
    const run = await app.root.engine.getBacktestRun(state.runId);
    expect(run?.symbol).toBe('SYN/USDT,SYN2/USDT');
    const audit = await app.root.auth.audit.list({ action: 'backtest.enqueue', limit: 1 });
    expect(audit.items.map((e) => [e.outcome, e.target])).toEqual([['ok', 'testex SYN/USDT,SYN2/USDT 1h']]);

    // "all": every testex 1h market stored, sorted (here the same two, in the same order), so the same run.
    const all = await trader.call<{ id: string }>('startBacktest', { body: { ...REQUEST, symbols: 'all' } });
    expect(all.status).toBe(202);
    const allState = await waitUntilDone(viewer, all.body.id);
    if (allState.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(allState)}`);
    expect(allState.config).toMatchObject({ symbols: ['SYN/USDT', 'SYN2/USDT'] });
    expect(allState.trades.map(({ id: _id, ...t }) => t)).toEqual(state.trades.map(({ id: _id, ...t }) => t));
  });
});
