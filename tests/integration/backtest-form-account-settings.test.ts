/**
 * Research runs you can trust (issue 14): the backtest form's account settings and risk limits reach the
 * run. A form post with futures, leverage 3 and breakers off queues a run whose resolved spec (stored with
 * the run) carries them, with the daily-loss and drawdown limits at their maximum; a value out of range is
 * refused naming its field; with breakers on, a tight drawdown limit halts the run and the run stores when
 * and why; the run's analysis (benchmark, underwater, rolling risk) is computed from its equity curve.
 */
import { describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { startBacktest } from '../../app/backtests/actions';
import { RESEARCH_START_MS, runBacktestFromForm, useWaveCandleRoot } from '../support/research-test-roots';

const T0 = RESEARCH_START_MS;

const roots = useWaveCandleRoot();

const FORM = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '5m',
  from: '2024-01-01',
  to: '2024-01-06',
  strategies: ['ma-crossover'],
  params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
  veto: false,
};

const setup = () => roots.open();


describe('backtest form account settings', { timeout: 180_000 }, () => {
  it('runs futures at leverage 3 with breakers off, as the resolved spec shows', async () => {
    const { app, headers } = await setup();
    const runId = await runBacktestFromForm(app.root, headers, {
      ...FORM,
      accountId: 'default',
      paper: { marketType: 'futures', leverage: 3, marginMode: 'isolated', initialBalance: 5_000, makerFeeBps: 1, takerFeeBps: 4, spreadBps: 1, slippageBps: 1 },
      risk: { riskPerTradePct: 1, maxLeverage: 3, dailyLossLimitPct: 2, maxDrawdownPct: 5 },
      breakers: false,
    });
    const run = await app.root.engine.getBacktestRun(runId);
    expect(run?.status).toBe('complete');
    expect(run?.config).toMatchObject({
      accountId: 'default',
      paper: { marketType: 'futures', leverage: 3, marginMode: 'isolated', initialBalance: 5_000, makerFeeBps: 1, takerFeeBps: 4, spreadBps: 1, slippageBps: 1 },
      risk: { riskPerTradePct: 1, maxLeverage: 3, dailyLossLimitPct: 100, maxDrawdownPct: 100 },
    });
    expect(run?.metrics?.halts).toEqual([]);
    // Futures can go short: the wave's downswings are traded too.
    const trades = (await app.root.engine.listTrades({ runId, limit: 1000 })).items;
    expect(trades.some((t) => t.side === 'short')).toBe(true);
    const analysis = await app.root.engine.backtestAnalysis(runId);
    expect(analysis?.benchmark.length).toBe(run?.equity?.length);
    expect(analysis?.underwater.length).toBe(run?.equity?.length);
    expect(analysis?.benchmarkFeeBps).toBe(4);
  });

  it('names the field of a value out of range', async () => {
    const { app, headers } = await setup();
    const refused = await startBacktest[GATE].run(app.root, headers, { ...FORM, paper: { marketType: 'futures', leverage: 500 } });
    expect(refused).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'paper.leverage': [expect.stringContaining('125')] } } });
    const notNumber = await startBacktest[GATE].run(app.root, headers, { ...FORM, paper: { initialBalance: 'lots' } });
    expect(notNumber).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'paper.initialBalance': ['expected a number'] } } });
  });

  it('stores when and why a breaker halted the run when breakers are on', async () => {
    const { app, headers } = await setup();
    const runId = await runBacktestFromForm(app.root, headers, { ...FORM, paper: { marketType: 'futures', leverage: 3 }, risk: { riskPerTradePct: 2, maxDrawdownPct: 0.5 }, breakers: true });
    const run = await app.root.engine.getBacktestRun(runId);
    expect(run?.config).toMatchObject({ risk: { maxDrawdownPct: 0.5 } });
    const halts = run?.metrics?.halts ?? [];
    expect(halts.length).toBeGreaterThan(0);
    expect(halts[0]).toMatchObject({ reason: expect.stringMatching(/^max_drawdown: equity .* below peak .* \(limit 0\.5%\)$/), resumedAtMs: null });
    expect(halts[0].timeMs).toBeGreaterThan(T0);
  });
});
