/**
 * POST /api/v1/backtests (trader) and GET /api/v1/backtests/{id} (viewer) on a real root with its
 * in-process job runner, on embedded PGlite and on PostgreSQL: candles go in through POST
 * /api/v1/candles, a backtest is queued (202 with the job id), runs, and reports its resolved
 * config, metrics, trades (net PnL = realized - fees - funding) and equity curve, equal to what the
 * engine's own backtest of the same request produces. Bad requests answer 400 naming the field and
 * queue nothing; unknown ids answer 404 naming the id.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestBreakdown } from '../../engine/backtest/backtest-breakdown';
import type { BacktestState } from '../../engine/backtest/backtest-jobs';
import type { ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots } from '../support/auth-test-root';
import { RESEARCH_START_MS, withSyntheticCandles } from '../support/research-test-roots';

const T0 = RESEARCH_START_MS;

const REQUEST = {
  exchange: 'testex',
  symbol: 'SYN/USDT',
  timeframe: '1h',
  from: '2024-01-01',
  to: '2024-03-01',
  strategies: ['ma-crossover', 'ema-trend'],
  params: { 'ma-crossover': { fastPeriod: 10, slowPeriod: 30 } },
  fusion: { entryThreshold: 0.25 },
};

const setup = withSyntheticCandles;

async function waitUntilDone(viewer: ApiV1Client, id: string): Promise<BacktestState> {
  for (let i = 0; i < 600; i++) {
    const answer = await viewer.call<BacktestState>('getBacktest', { path: { id } });
    expect(answer.status).toBe(200);
    if (answer.body.status === 'complete' || answer.body.status === 'failed') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`backtest "${id}" did not finish in 60 s`);
}

describe.each(AUTH_TEST_BACKENDS)('backtests through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('queues a backtest (202 with the job id) and reports the same results as a direct engine run', async () => {
    const app = await roots.open();
    const { trader, viewer } = await setup(app);
    const queued = await trader.call<{ id: string }>('startBacktest', { body: REQUEST });
    expect(queued.status).toBe(202);
    expect(Object.keys(queued.body)).toEqual(['id']);
    const state = await waitUntilDone(viewer, queued.body.id);
    if (state.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(state)}`);

    const direct = await app.root.engine.runBacktest(REQUEST);
    expect(state.id).toBe(queued.body.id);
    expect(state.trades.length).toBe(direct.trades.length);
    expect(state.trades.length).toBeGreaterThan(2);
    expect(state.trades.map(({ id: _id, strategy: _strategy, netPnl: _net, ...t }) => t)).toEqual(
      direct.trades,
    );
    for (const t of state.trades) expect(t.netPnl).toBe(t.realizedPnl - t.fees - t.funding);
    expect(state.equity).toEqual(direct.equity);
    expect(state.metrics).toMatchObject({ finalEquity: direct.finalEquity, sharpe: direct.returnMetrics.sharpe, trades: direct.trades.length });
    expect(state.config).toMatchObject({
      exchange: 'testex',
      symbol: 'SYN/USDT',
      timeframe: '1h',
      fromMs: T0,
      toMs: Date.UTC(2024, 2, 1),
      strategies: ['ma-crossover', 'ema-trend'],
      params: { 'ma-crossover': { fastPeriod: 10, slowPeriod: 30 } },
      veto: false,
      paper: { marketType: 'spot', initialBalance: 10_000, takerFeeBps: 10 },
    });
    const audit = await app.root.auth.audit.list({ action: 'backtest.enqueue', limit: 1 });
    expect(audit.items.map((e) => [e.outcome, e.target, e.after])).toEqual([['ok', 'testex SYN/USDT 1h', { id: queued.body.id }]]);

    // Results by tag: every dimension's counts add up to the run's trades; per strategy, the wins
    // (net PnL > 0) and net PnL are those of the reported trades.
    const breakdown = await viewer.call<BacktestBreakdown>('getBacktestBreakdown', { path: { id: queued.body.id } });
    expect(breakdown.status).toBe(200);
    expect(breakdown.body.runId).toBe(state.runId);
    expect(breakdown.body.trades).toBe(state.trades.length);
    for (const groups of [breakdown.body.strategy, breakdown.body.exitReason, breakdown.body.side, breakdown.body.hourOfDay, breakdown.body.weekday]) {
      expect(groups.reduce((n, g) => n + g.trades, 0)).toBe(state.trades.length);
    }
    for (const group of breakdown.body.strategy) {
      const mine = state.trades.filter((t) => t.strategy === group.key);
      expect([group.trades, group.wins]).toEqual([mine.length, mine.filter((t) => t.netPnl > 0).length]);
      expect(group.netPnl).toBeCloseTo(mine.reduce((sum, t) => sum + t.netPnl, 0), 6);
    }
    expect((await viewer.call<BacktestBreakdown>('getBacktestBreakdown', { path: { id: state.runId } })).body).toEqual(breakdown.body);
  });

  it('answers 400 naming the field and value for bad requests and queues nothing', async () => {
    const app = await roots.open();
    const { trader } = await setup(app);
    const refusal = async (patch: Record<string, unknown>) => {
      const answer = await trader.call('startBacktest', { body: { ...REQUEST, ...patch } });
      return { status: answer.status, fieldErrors: answer.body.error?.fieldErrors };
    };
    expect(await refusal({ strategies: ['moon-shot'] })).toEqual({
      status: 400,
      fieldErrors: { strategies: ['field "strategies" was "moon-shot": strategy "moon-shot" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout, bollinger-reversion, higher-timeframe-trend, volatility-breakout'] },
    });
    expect(await refusal({ params: { 'ma-crossover': { fastPeriod: 50, slowPeriod: 20 } } })).toEqual({
      status: 400,
      fieldErrors: { 'params.ma-crossover.fastPeriod': ['field "params.ma-crossover.fastPeriod" was 50: fastPeriod (50) must be below slowPeriod (20)'] },
    });
    expect(await refusal({ params: { 'ma-crossover': { fastPeriod: -3 } } })).toEqual({
      status: 400,
      fieldErrors: { 'params.ma-crossover.fastPeriod': ['field "params.ma-crossover.fastPeriod" was -3: ma-crossover parameter fastPeriod: must be an integer in 1..10000'] },
    });
    expect(await refusal({ from: '2024-03-01', to: '2024-02-01' })).toEqual({
      status: 400,
      fieldErrors: { to: ['field "to" was "2024-02-01": the date range is empty: "to" must be after "from" (2024-03-01T00:00:00.000Z)'] },
    });
    expect(await refusal({ from: '2025-01-01', to: '2025-02-01' })).toEqual({
      status: 400,
      fieldErrors: { from: ['field "from" was "2025-01-01": no testex SYN/USDT 1h candles between 2025-01-01T00:00:00.000Z and 2025-02-01T00:00:00.000Z'] },
    });
    expect(await refusal({ symbol: 'ETH/USDT' })).toEqual({
      status: 400,
      fieldErrors: { symbol: ['field "symbol" was "ETH/USDT": no 1h candles are stored for "ETH/USDT" on "testex"; import or download them first'] },
    });
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      expect(await refusal({ symbol: bad })).toEqual({
        status: 400,
        fieldErrors: { symbol: [`expected a market symbol like BTC/USDT (upper-case BASE/QUOTE) (got "${bad}")`] },
      });
    }
    expect(await refusal({ veto: true })).toEqual({
      status: 400,
      fieldErrors: { veto: ['field "veto" was true: no veto model is deployed; deploy one or run with veto off'] },
    });
    expect(await refusal({ leverage: 3 })).toEqual({ status: 400, fieldErrors: { leverage: ['not a field here (got 3)'] } });
    expect(await refusal({ risk: { maxLeverage: 0 } })).toEqual({
      status: 400,
      fieldErrors: { 'risk.maxLeverage': [expect.stringMatching(/^field "risk\.maxLeverage" was 0: /)] },
    });
    const notJson = await trader.call('startBacktest', { body: '{"exchange":', headers: { 'content-type': 'application/json' } });
    expect({ status: notJson.status, body: notJson.body }).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: 'the body is not valid JSON', fieldErrors: { body: ['not valid JSON'] } } },
    });
    const empty = await trader.call('startBacktest');
    expect(empty.body.error.fieldErrors).toEqual({ body: ['Invalid input: expected object, received undefined (missing)'] });
    expect((await app.root.engine.listTickets({ limit: 10 })).items).toEqual([]);
  });

  it('answers 404 naming an unknown id, and 403 to a viewer starting a backtest', async () => {
    const app = await roots.open();
    const { viewer } = await setup(app);
    const unknown = await viewer.call('getBacktest', { path: { id: 'no-such-job' } });
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no backtest has id "no-such-job"' } } });
    const noBreakdown = await viewer.call('getBacktestBreakdown', { path: { id: 'no-such-job' } });
    expect({ status: noBreakdown.status, body: noBreakdown.body }).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no backtest has id "no-such-job"' } } });
    expect((await viewer.call('startBacktest', { body: REQUEST })).status).toBe(403);
    expect((await app.root.engine.listTickets({ limit: 10 })).items).toEqual([]);
  });
});
