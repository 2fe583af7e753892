/**
 * The regime, volatility and stop-distance models in a backtest through POST /api/v1/backtests, on a real
 * root (embedded PGlite and PostgreSQL) with models trained by its own job runner on synthetic candles and
 * deployed: a model option naming a kind with no deployed model, or a version that does not exist, answers
 * 400 naming the field and value and queues nothing; a run with all three records the versions it used in
 * its config and journals each model's version on every entry; a run without them records no models.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestState } from '../../engine/backtest/backtest-jobs';
import type { DecisionRecord } from '../../engine/ports/journal';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, waitForTicket, type AuthTestRoot } from '../support/auth-test-root';
import { syntheticCandles } from '../support/ml-candles';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const CANDLES = 1_500;
/** Models learn from the first 900 candles; the backtests trade the rest. */
const SPLIT = T0 + 900 * HOUR;
const MARKET = { exchange: 'testex', symbol: 'SYN/USDT', timeframe: '1h' };

function candleCsv(): string {
  const c = syntheticCandles(CANDLES, 7, T0, HOUR);
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  for (let i = 0; i < c.length; i++) lines.push(`${c.openTimeMs[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  return lines.join('\n');
}

const REQUEST = {
  ...MARKET,
  from: SPLIT,
  to: T0 + CANDLES * HOUR,
  strategies: ['ma-crossover', 'donchian-breakout'],
  fusion: { entryThreshold: 0.25 },
  decisionDetail: 'signals',
};
const MODELS = {
  regime: { riskMultiplier: { trendUp: 1, trendDown: 1, range: 0.5 } },
  volatility: { targetVolatility: 0.01, minScale: 0.25, maxScale: 1 },
  stopDistance: { multiple: 1.5 },
};

async function waitUntilDone(viewer: ApiV1Client, id: string): Promise<BacktestState & { status: 'complete' }> {
  for (let i = 0; i < 1_200; i++) {
    const answer = await viewer.call<BacktestState>('getBacktest', { path: { id } });
    expect(answer.status).toBe(200);
    if (answer.body.status === 'complete') return answer.body as BacktestState & { status: 'complete' };
    if (answer.body.status === 'failed') throw new Error(`backtest failed: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`backtest "${id}" did not finish in 120 s`);
}

async function decisionsOf(app: AuthTestRoot, runId: string): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await app.root.engine.listDecisions({ runId, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe.each(AUTH_TEST_BACKENDS)('models in a backtest through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('refuses models that are not deployed, then journals the deployed versions on every entry', { timeout: 240_000 }, async () => {
    const app = await roots.open();
    const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
    const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
    const imported = await trader.call('importCandles', { query: MARKET, body: candleCsv() });
    expect(imported.body).toMatchObject({ inserted: CANDLES });

    const refusal = async (models: Record<string, unknown>) => {
      const answer = await trader.call('startBacktest', { body: { ...REQUEST, models } });
      return { status: answer.status, fieldErrors: answer.body.error?.fieldErrors };
    };
    expect(await refusal({ volatility: MODELS.volatility })).toEqual({
      status: 400,
      fieldErrors: { 'models.volatility': ['field "models.volatility" was "deployed": no volatility model is deployed; train and deploy one on the Models page or run without it'] },
    });
    expect(await refusal({ regime: { riskMultiplier: { range: 2 } } })).toEqual({
      status: 400,
      fieldErrors: { 'models.regime.riskMultiplier.range': ['expected a multiplier in 0..1 (got 2)'] },
    });

    // Train each kind on the candles before the backtest window, deploying it (its job runner, as the Models page does).
    for (const kind of ['train-regime', 'train-volatility', 'train-stop-distance']) {
      const ticket = await app.root.engine.enqueue({ kind, params: { ...MARKET, from: T0, to: SPLIT, horizon: 12, folds: 2, seed: 7, activate: true } });
      await waitForTicket(app, ticket);
    }
    expect(await refusal({ regime: true, volatility: { version: 9, targetVolatility: 0.01 } })).toEqual({
      status: 400,
      fieldErrors: { 'models.volatility': ['field "models.volatility" was 9: no volatility model has this version; see the Models page'] },
    });

    const queued = await trader.call<{ id: string }>('startBacktest', { body: { ...REQUEST, models: MODELS } });
    expect(queued.status).toBe(202);
    const on = await waitUntilDone(viewer, queued.body.id);
    expect(on.config.models).toEqual({
      regime: { version: 1, ...MODELS.regime },
      volatility: { version: 1, ...MODELS.volatility },
      stopDistance: { version: 1, multiple: 1.5, minAtr: 0.5 },
    });
    const entries = (await decisionsOf(app, on.runId)).filter((d) => d.outcome === 'executed' && d.reason.startsWith('entered'));
    expect(entries.length).toBeGreaterThan(0);
    for (const d of entries) {
      const models = d.inputs.models as Record<string, { modelVersion: string }>;
      expect([models.regime.modelVersion, models.volatility.modelVersion, models.stopDistance.modelVersion]).toEqual(['regime@v1', 'volatility@v1', 'stop-distance@v1']);
    }

    const plain = await trader.call<{ id: string }>('startBacktest', { body: REQUEST });
    const off = await waitUntilDone(viewer, plain.body.id);
    expect(off.config).not.toHaveProperty('models');
    expect((await decisionsOf(app, off.runId)).some((d) => 'models' in d.inputs)).toBe(false);
    // The same signals are taken; the models change sizes and stops, not which candles enter.
    expect(off.trades[0].entryTimeMs).toBe(on.trades[0].entryTimeMs);
  });
});
