/**
 * Portfolio VaR / ES through /api/v1 on a real root (embedded PGlite and PostgreSQL): the account view of a
 * paper account carries the VaR and ES of its positions, computed by historical simulation on the stored
 * candles, and a manual order that would push VaR past the account's limit is denied with the figures.
 * The candles are built from 20 chosen hourly returns, so the figures are checked against values worked
 * out by hand.
 */
import { describe, expect, it } from 'vitest';
import { apiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
// 20 hourly returns; sorted, the two worst are -5 % and -3.5 %.
const R20 = [0.01, -0.02, 0.005, -0.035, 0.012, 0.003, -0.01, 0.02, -0.05, 0.007, 0, -0.004, 0.015, -0.012, 0.008, -0.025, 0.011, 0.002, -0.006, 0.009];
const CLOSES = R20.reduce((out, r) => [...out, out[out.length - 1] * (1 + r)], [100]);
const CSV = ['timestamp_ms,open,high,low,close,volume', ...CLOSES.map((c, i) => `${T0 + i * HOUR},${c},${c},${c},${c},1000000`)].join('\n');
const LAST = CLOSES[CLOSES.length - 1];

/** No costs, so the account's equity stays 10 000 at the entry price; VaR at 90 % over the 20 returns. */
const RISK = { maxLeverage: 5, maxOpenPositions: 2, maxSymbolExposurePct: 200, riskPerTradePct: 0.5, maxLossPctEquityPerTrade: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, varConfidence: 0.9, varLookbackCandles: 20 };
const ACCOUNT = { id: 'var', name: 'VaR desk', marketType: 'futures', initialBalance: 10_000, leverage: 3, maxVolumeShare: 1, spreadBps: 0, slippageBps: 0, takerFeeBps: 0, makerFeeBps: 0, risk: { ...RISK, maxVarFraction: 0.5 } };

describe.each(AUTH_TEST_BACKENDS)('portfolio VaR through /api/v1 on $name', { timeout: 120_000 }, (backend) => {
  const roots = useAuthTestRoots(backend);

  it('shows VaR and ES of a paper account position in the account view and denies an order past the VaR limit', async () => {
    const app = await roots.open();
    const admin = apiV1Client(app.root, { cookie: (await app.signedInAs('admin')).cookie });
    const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
    expect((await trader.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, body: CSV })).status).toBe(200);
    expect((await admin.call('createAccount', { body: ACCOUNT })).status).toBe(201);

    const flat = await trader.call('getAccount', { path: { id: 'var' } });
    expect(flat.body.valueAtRisk).toEqual({ status: 'flat', confidence: 0.9, lookbackCandles: 20 });

    // Loss at the stop (2 below) = 0.5 % of 10 000 = 50 -> 25 BTC, notional 25 x LAST.
    const placed = await trader.call('placeAccountOrder', { path: { id: 'var' }, body: { symbol: 'BTC/USDT', side: 'long', price: LAST, stopPrice: LAST - 2, leverage: 3 } });
    expect(placed.status).toBe(201);
    expect(placed.body.whatIf.checks.find((c: { name: string }) => c.name === 'var_fraction')).toMatchObject({ limit: 0.5, passed: true });

    const view = await trader.call('getAccount', { path: { id: 'var' } });
    expect(view.status).toBe(200);
    const notional = 25 * LAST;
    // PnL_t = notional x r_t. c = 0.9: k = ceil(20 x 0.1) = 2, the second-worst return -3.5 % -> VaR = 0.035 x notional;
    // ES = mean of the two worst = (0.05 + 0.035) / 2 x notional = 0.0425 x notional. Equity 10 000.
    const v = view.body.valueAtRisk;
    expect(v).toMatchObject({ status: 'ok', timeframe: '1h', confidence: 0.9, lookbackCandles: 20, scenarios: 20, quantileRank: 2, tailCount: 2, fromOpenTimeMs: T0 + HOUR, toOpenTimeMs: T0 + 20 * HOUR, maxVarFraction: 0.5, maxExpectedShortfallFraction: null });
    expect(v.equity).toBeCloseTo(10_000, 6);
    expect(v.valueAtRisk).toBeCloseTo(0.035 * notional, 6);
    expect(v.expectedShortfall).toBeCloseTo(0.0425 * notional, 6);
    expect(v.varFraction).toBeCloseTo((0.035 * notional) / 10_000, 9);
    expect(v.esFraction).toBeCloseTo((0.0425 * notional) / 10_000, 9);

    // A limit below the VaR after a second order of 25 BTC (2 x 0.035 x notional / 10 000) denies it, quoting the figures.
    const limit = 0.01;
    const after = (2 * 0.035 * notional) / 10_000;
    expect(after).toBeGreaterThan(limit);
    expect((await admin.call('updateAccountSettings', { path: { id: 'var' }, body: { risk: { ...RISK, maxVarFraction: limit } } })).status).toBe(200);
    const denied = await trader.call('placeAccountOrder', { path: { id: 'var' }, body: { symbol: 'BTC/USDT', side: 'long', price: LAST, stopPrice: LAST - 2, leverage: 3 } });
    expect(denied.status).toBe(422);
    const fmt = (x: number) => String(Number(x.toFixed(4)));
    expect(denied.body.reason).toBe(
      `var_fraction ${fmt(after)} of equity exceeds maxVarFraction 0.01 (VaR ${fmt(2 * 0.035 * notional)} and ES ${fmt(2 * 0.0425 * notional)} at 90% over 20 candles of 1h)`,
    );
    expect((await trader.call('getAccount', { path: { id: 'var' } })).body.positions).toHaveLength(1);

    // Bad limits are refused with a message under the field's name; nothing is written.
    const fraction = 'expected a fraction of equity from 0 to 1 (0.03 = 3 %), or null for no limit';
    const confidence = 'expected a confidence level strictly between 0 and 1, e.g. 0.99';
    const cases = [
      [{ maxVarFraction: 1.5 }, 'risk.maxVarFraction', fraction],
      [{ maxExpectedShortfallFraction: -0.1 }, 'risk.maxExpectedShortfallFraction', fraction],
      [{ varConfidence: 0 }, 'risk.varConfidence', confidence],
      [{ varConfidence: 1 }, 'risk.varConfidence', confidence],
    ] as const;
    for (const [bad, field, message] of cases) {
      const refused = await admin.call('updateAccountSettings', { path: { id: 'var' }, body: { risk: { ...RISK, ...bad } } });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body.error.fieldErrors).toEqual({ [field]: [message] });
    }
    expect((await admin.call('getAccountSettings', { path: { id: 'var' } })).body.risk).toMatchObject({ maxVarFraction: limit, varConfidence: 0.9 });
  });
});
