/**
 * The models toggles of the backtest form and the session form, through their server actions on a PGlite
 * root with no model deployed: a ticked model is refused next to its toggle naming the kind ("no volatility
 * model is deployed"), a parameter out of range next to its input; nothing is queued or started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
import { startBacktest } from '../../app/backtests/actions';
import { startLiveSession } from '../../app/live/actions';
import { waveCsv } from '../../engine/testing/wave-candles';
import { apiV1Client } from '../support/api-v1-client';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);

let app: AuthTestRoot | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

const BACKTEST = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', from: '2024-01-01', to: '2024-01-03', strategies: ['ma-crossover'], veto: false };

/** A session form post as the browser sends it: flat field names, checkboxes "on". */
const sessionForm = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  return data;
};

describe('model toggles of the dashboard forms', { timeout: 120_000 }, () => {
  it('refuses ticked models that are not deployed and parameters out of range, naming each field', async () => {
    app = await createAuthTestRoot();
    const trader = await app.signedInAs('trader');
    const headers = new Headers({ cookie: trader.cookie, origin: TEST_ORIGIN });
    const api = apiV1Client(app.root, { cookie: trader.cookie });
    expect((await api.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, body: waveCsv({ count: 600, phase: 0, base: 100, startMs: T0, timeframeMs: 300_000 }) })).status).toBe(200);

    const notDeployed = await startBacktest[GATE].run(app.root, headers, { ...BACKTEST, models: { volatility: { targetVolatility: 0.01 } } });
    expect(notDeployed).toMatchObject({
      ok: false,
      status: 400,
      error: { fieldErrors: { 'models.volatility': ['field "models.volatility" was "deployed": no volatility model is deployed; train and deploy one on the Models page or run without it'] } },
    });
    const outOfRange = await startBacktest[GATE].run(app.root, headers, { ...BACKTEST, models: { regime: { riskMultiplier: { range: 1.5 } } } });
    expect(outOfRange).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'models.regime.riskMultiplier.range': ['expected a multiplier in 0..1'] } } });

    const session = { mode: 'replay', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: 'ma-crossover', from: '2024-01-01', speed: 'max' };
    const sessionRefused = await startLiveSession[GATE].run(app.root, headers, sessionForm({ ...session, 'models.stopDistance': 'on', 'models.stopDistance.multiple': '1.5' }));
    expect(sessionRefused).toMatchObject({
      ok: false,
      status: 400,
      error: { fieldErrors: { 'models.stopDistance': ['field "models.stopDistance" was "deployed": no stop-distance model is deployed; train and deploy one on the Models page or run without it'] } },
    });
    const sessionBadValue = await startLiveSession[GATE].run(app.root, headers, sessionForm({ ...session, 'models.volatility': 'on', 'models.volatility.targetVolatility': '-1' }));
    expect(sessionBadValue).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'models.volatility.targetVolatility': [expect.stringContaining('expected a volatility above 0')] } } });
    expect(await app.root.engine.listLiveSessions()).toEqual([]);
  });
});
