/**
 * The volatility and stop-distance models in a study through /api/v1/studies, on a real root (embedded PGlite and
 * PostgreSQL) whose trials run on two worker threads, with models trained and deployed by the root's own job runner on
 * synthetic candles: a study naming a kind with no deployed model, or a version that does not exist, answers 400 naming
 * the field and value and queues nothing; a study with the models pins the deployed versions when it is queued and every
 * trial equals a backtest of the same params with the same model versions (the engine's own, in the server's thread);
 * the same study without the models equals the backtests without them, so two studies compare the models on and off.
 */
import { describe, expect, it } from 'vitest';
import type { StudyView } from '../../engine/research/study';
import type { ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, waitForTicket } from '../support/auth-test-root';
import { RESEARCH_START_MS, SYNTHETIC_CANDLES, withSyntheticCandles } from '../support/research-test-roots';

const HOUR = 3_600_000;
/** Models learn from the first 900 candles; the studies trade the rest. */
const SPLIT = RESEARCH_START_MS + 900 * HOUR;
const MARKET = { exchange: SYNTHETIC_CANDLES.exchange, symbol: SYNTHETIC_CANDLES.symbol, timeframe: SYNTHETIC_CANDLES.timeframe };

const REQUEST = {
  ...MARKET,
  from: SPLIT,
  to: RESEARCH_START_MS + SYNTHETIC_CANDLES.count * HOUR,
  strategy: 'ma-crossover',
  space: { fastPeriod: { values: [5, 10] }, slowPeriod: { values: [20, 40] }, atrPeriod: 14, atrStopMultiple: 2 },
  method: 'grid',
  objective: 'netProfit',
  minTrades: 1,
};
const VOLATILITY = { targetVolatility: 0.004, minScale: 0.25, maxScale: 1 };
const STOP_DISTANCE = { multiple: 1.5 };

async function studyOf(trader: ApiV1Client, viewer: ApiV1Client, body: Record<string, unknown>): Promise<StudyView> {
  const queued = await trader.call<{ id: string }>('startStudy', { body });
  expect(queued.status).toBe(202);
  for (let i = 0; i < 1_200; i++) {
    const answer = await viewer.call<StudyView>('getStudy', { path: { id: queued.body.id } });
    if (answer.body.status === 'completed') return answer.body;
    if (answer.body.status === 'failed' || answer.body.status === 'cancelled') throw new Error(`study ${answer.body.status}: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`study "${queued.body.id}" did not finish in 120 s`);
}

describe.each(AUTH_TEST_BACKENDS)('models in a study through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('refuses models that are not deployed, then runs every trial with the pinned versions, equal to backtests with them', { timeout: 300_000 }, async () => {
    const app = await roots.open({ AETHELRED_STUDY_WORKERS: '2' });
    const { trader, viewer } = await withSyntheticCandles(app);

    const refusal = async (models: Record<string, unknown>) => {
      const answer = await trader.call<{ error: { fieldErrors: Record<string, string[]> } }>('startStudy', { body: { ...REQUEST, models } });
      return { status: answer.status, fieldErrors: answer.body.error?.fieldErrors };
    };
    expect(await refusal({ volatility: VOLATILITY })).toEqual({
      status: 400,
      fieldErrors: { 'models.volatility': ['field "models.volatility" was "deployed": no volatility model is deployed; train and deploy one on the Models page or run without it'] },
    });
    expect(await refusal({ volatility: { ...VOLATILITY, minScale: 2 } })).toEqual({
      status: 400,
      fieldErrors: { 'models.volatility.maxScale': ['must be at least minScale (2) (got 1)'] },
    });

    for (const kind of ['train-volatility', 'train-stop-distance']) {
      const ticket = await app.root.engine.enqueue({ kind, params: { ...MARKET, from: RESEARCH_START_MS, to: SPLIT, horizon: 12, folds: 2, seed: 7, activate: true } });
      await waitForTicket(app, ticket);
    }
    expect(await refusal({ volatility: { ...VOLATILITY, version: 9 } })).toEqual({
      status: 400,
      fieldErrors: { 'models.volatility': ['field "models.volatility" was 9: no volatility model has this version; see the Models page'] },
    });
    expect(await app.root.engine.studies.list()).toEqual([]);

    const on = await studyOf(trader, viewer, { ...REQUEST, models: { volatility: VOLATILITY, stopDistance: STOP_DISTANCE } });
    const off = await studyOf(trader, viewer, REQUEST);
    const pinned = { volatility: { version: 1, ...VOLATILITY }, stopDistance: { version: 1, multiple: 1.5, minAtr: 0.5 } };
    expect(on.request.backtest.models).toEqual(pinned);
    expect(off.request.backtest).not.toHaveProperty('models');

    expect(on.trials.map((t) => t.params)).toEqual(off.trials.map((t) => t.params));
    const backtest = (params: Record<string, unknown>, models?: typeof pinned) =>
      app.root.engine.runBacktest({ ...MARKET, from: REQUEST.from, to: REQUEST.to, strategies: ['ma-crossover'], params: { 'ma-crossover': params }, decisionDetail: 'off', ...(models ? { models } : {}) });
    let changed = 0;
    for (const [study, models] of [[on, pinned], [off, undefined]] as const) {
      for (const trial of study.trials) {
        const direct = await backtest(trial.params, models);
        const t = direct.tradeMetrics;
        expect(trial.metrics.trades).toBe(t.trades);
        expect(trial.metrics.netProfit).toBe(t.trades === 0 ? 0 : t.trades * t.averageTrade);
        expect(trial.metrics.maxDrawdownPct).toBe(direct.returnMetrics.maxDrawdown === 0 ? 0 : -direct.returnMetrics.maxDrawdown * 100);
      }
    }
    for (let k = 0; k < on.trials.length; k++) {
      expect(on.trials[k].metrics.trades).toBeGreaterThan(0);
      if (on.trials[k].metrics.netProfit !== off.trials[k].metrics.netProfit) changed++;
    }
    // The models size and stop every entry: each candidate's result moves.
    expect(changed).toBe(on.trials.length);
  });
});
