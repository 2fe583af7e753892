/**
 * Exits from the backtest form to the journal (issue 15, issue 14's average R): the form's exits
 * fieldset reaches the run's resolved spec, every trade is journaled with an exit reason of the policy
 * and its initial risk, the run closes what is open at its end so the trades' net PnL sums to the
 * equity change, and the run's breakdown carries average R computed by the database (the embedded
 * PGlite of the test root). Bad exit fields are refused naming the form field.
 */
import { describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { startBacktest } from '../../app/backtests/actions';
import { runBacktestFromForm, useWaveCandleRoot } from '../support/research-test-roots';

const EXIT_REASONS = ['stop', 'trailing-stop', 'take-profit', 'time-stop', 'roi', 'exit-signal', 'signal', 'end-of-run', 'liquidation'];

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
  paper: { marketType: 'futures', leverage: 2, initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 2, slippageBps: 1 },
};

const setup = () => roots.open();


describe('backtest exits from the form', { timeout: 180_000 }, () => {
  it('runs the exits of the form, journals each trade with its reason and initial risk, and breaks average R down', async () => {
    const { app, headers } = await setup();
    const runId = await runBacktestFromForm(app.root, headers, { ...FORM, exits: { takeProfitR: 2, trailingPercent: 1.5, timeStopBars: 30, roi: '' }, closeAtEnd: true });
    const run = await app.root.engine.getBacktestRun(runId);
    expect(run?.status).toBe('complete');
    expect(run?.config).toMatchObject({ exits: { takeProfit: [{ r: 2, fraction: 1 }], trailingStop: { percent: 1.5, atrPeriod: 14 }, timeStop: { bars: 30 } }, closeAtEnd: true });
    const trades = (await app.root.engine.listTrades({ runId, limit: 1000 })).items;
    expect(trades.length).toBeGreaterThan(3);
    expect(trades.every((t) => EXIT_REASONS.includes(t.exitReason))).toBe(true);
    // The wave's swings reach 2 R: take-profits close most trades.
    expect(trades.filter((t) => t.exitReason === 'take-profit').length).toBeGreaterThan(trades.length / 2);
    // Every trade entered with a stop: initial risk = |entry − stop| × amount > 0.
    expect(trades.every((t) => typeof t.initialRisk === 'number' && t.initialRisk > 0)).toBe(true);
    // The run closed what was open at its end: the trades account for the whole equity change.
    const net = trades.reduce((sum, t) => sum + t.realizedPnl - t.fees - t.funding, 0);
    expect(run?.metrics?.finalEquity).toBeCloseTo(10_000 + net, 6);
    // Average R per exit reason, from the database, equals the mean over the journaled rows.
    const breakdown = await app.root.engine.backtestBreakdown(runId);
    for (const group of breakdown.exitReason) {
      const rows = trades.filter((t) => t.exitReason === group.key);
      const mean = rows.reduce((sum, t) => sum + (t.realizedPnl - t.fees - t.funding) / (t.initialRisk as number), 0) / rows.length;
      expect(group.averageR).toBeCloseTo(mean, 9);
    }
  });

  it('names the exits field of a bad value', async () => {
    const { app, headers } = await setup();
    const both = await startBacktest[GATE].run(app.root, headers, { ...FORM, exits: { takeProfitR: 2, takeProfitPercent: 3 } });
    expect(both).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'exits.takeProfitPercent': ['give the take-profit in R or in %, not both'] } } });
    const roi = await startBacktest[GATE].run(app.root, headers, { ...FORM, exits: { roi: '[{"afterMinutes": 0}]' } });
    expect(roi).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'exits.roi': [expect.stringContaining('0.profitPercent')] } } });
    const notJson = await startBacktest[GATE].run(app.root, headers, { ...FORM, exits: { roi: 'five percent' } });
    expect(notJson).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'exits.roi': [expect.stringContaining('expected JSON')] } } });
    const bars = await startBacktest[GATE].run(app.root, headers, { ...FORM, exits: { timeStopBars: 0 } });
    expect(bars).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'exits.timeStopBars': ['must be at least 1 bar'] } } });
  });
});
