/**
 * Exits from the backtest form to the journal (issue 15, issue 14's average R): the form's exits
 * fieldset reaches the run's resolved spec, every trade is journaled with an exit reason of the policy
 * and its initial risk, the run closes what is open at its end so the trades' net PnL sums to the
 * equity change, and the run's breakdown carries average R computed by the database (the embedded
 * PGlite of the test root). Bad exit fields are refused naming the form field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { backtestTicket, startBacktest, type BacktestProgress } from '../../app/backtests/actions';
import type { ActionResult } from '../../app/_server/auth/gate';
import { waveCsv } from '../../engine/testing/wave-candles';
import { apiV1Client } from '../support/api-v1-client';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const EXIT_REASONS = ['stop', 'trailing-stop', 'take-profit', 'time-stop', 'roi', 'exit-signal', 'signal', 'end-of-run', 'liquidation'];

let app: AuthTestRoot | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

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

async function setup() {
  app = await createAuthTestRoot();
  const trader = await app.signedInAs('trader');
  const headers = new Headers({ cookie: trader.cookie, origin: TEST_ORIGIN });
  const api = apiV1Client(app.root, { cookie: trader.cookie });
  expect((await api.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, body: waveCsv({ count: 1_440, phase: 0, base: 100, startMs: T0, timeframeMs: TF }) })).status).toBe(200);
  return { app, headers };
}

async function runFromForm(root: AuthTestRoot['root'], headers: Headers, input: Record<string, unknown>): Promise<string> {
  const queued = (await startBacktest[GATE].run(root, headers, input)) as ActionResult<{ ticketId: string }>;
  if (!queued.ok) throw new Error(`refused: ${JSON.stringify(queued.error)}`);
  for (let i = 0; i < 600; i++) {
    const progress = (await backtestTicket[GATE].run(root, headers, { ticketId: queued.data.ticketId })) as ActionResult<BacktestProgress>;
    if (progress.ok && progress.data.status === 'succeeded' && progress.data.runId) return progress.data.runId;
    if (progress.ok && (progress.data.status === 'failed' || progress.data.status === 'cancelled')) throw new Error(`backtest ${progress.data.status}: ${progress.data.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the backtest did not finish in 60 s');
}

describe('backtest exits from the form', { timeout: 180_000 }, () => {
  it('runs the exits of the form, journals each trade with its reason and initial risk, and breaks average R down', async () => {
    const { app, headers } = await setup();
    const runId = await runFromForm(app.root, headers, { ...FORM, exits: { takeProfitR: 2, trailingPercent: 1.5, timeStopBars: 30, roi: '' }, closeAtEnd: true });
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
