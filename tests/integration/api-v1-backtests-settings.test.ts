/**
 * Issue 12 ("what the operator sets is what trades"): strategy settings saved like /strategies saves
 * them and the default account's fee model and risk limits change the next backtest queued through
 * POST /api/v1/backtests: its resolved config (stored with the run) carries them, and its first trade's
 * size is the one computed by hand from the candle prices with the cost rule of `trading-costs.ts`.
 * An explicit request field still wins over the stored one.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestState } from '../../engine/backtest/backtest-jobs';
import { GATE, type ActionResult } from '../../app/_server/auth/gate';
import { saveRiskLimits, saveStrategySettings } from '../../app/strategies/actions';
import type { StoredTradingSettings } from '../../engine/settings/trading-settings';
import { signalTtlText } from '../../engine/settings/trading-settings';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, TEST_ORIGIN, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

/**
 * 30 flat hours (high 101, low 99, close 100), a breakout hour closing at 104 above the 10-hour
 * channel high of 101 (Donchian long, stop at the channel low 99), a fall to 97.5 through the stop
 * (opening at 103, so no gap), then flat hours at 97.5.
 */
function candleCsv(): string {
  const rows: [number, number, number, number][] = [];
  for (let i = 0; i < 30; i++) rows.push([100, 101, 99, 100]);
  rows.push([100, 105, 99.5, 104]);
  rows.push([103, 103.5, 97, 97.5]);
  for (let i = 0; i < 8; i++) rows.push([97.5, 98, 97, 97.5]);
  return ['timestamp_ms,open,high,low,close,volume', ...rows.map(([o, h, l, c], i) => `${T0 + i * HOUR},${o},${h},${l},${c},1000`)].join('\n');
}

const REQUEST = { exchange: 'testex', symbol: 'SYN/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-01-03' };

async function waitUntilDone(viewer: ApiV1Client, id: string): Promise<BacktestState> {
  for (let i = 0; i < 600; i++) {
    const answer = await viewer.call<BacktestState>('getBacktest', { path: { id } });
    expect(answer.status).toBe(200);
    if (answer.body.status === 'complete' || answer.body.status === 'failed') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`backtest "${id}" did not finish in 60 s`);
}

async function backtest(trader: ApiV1Client, viewer: ApiV1Client, body: Record<string, unknown>) {
  const queued = await trader.call<{ id: string }>('startBacktest', { body });
  expect(queued.status).toBe(202);
  const state = await waitUntilDone(viewer, queued.body.id);
  if (state.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(state)}`);
  return state;
}

/** Saves the strategy group (Donchian alone, weight 2, period 10) and the default account's fees and limits. */
async function saveSettings(app: AuthTestRoot): Promise<void> {
  const engine = app.root.engine;
  const current = (await engine.getTradingSettings()).strategy;
  const adapters = Object.fromEntries(Object.entries(current.adapters).map(([name, a]) => [name, { ...a, enabled: false }]));
  adapters['donchian-breakout'] = { enabled: true, weight: 2, params: { period: 10, atrPeriod: 5 } };
  const saved = await engine.updateTradingSettings({ strategy: { adapters, entryThreshold: 0.4, ttlMs: 7_200_000, cooldownMs: 0, vetoThreshold: 0.6 } }, 'trader@test');
  expect(saved.ok).toBe(true);
  const account = await engine.accounts.update(
    'default',
    {
      settings: { takerFeeBps: 5, spreadBps: 4, slippageBps: 1 },
      risk: { maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 0.5, maxSymbolExposurePct: 95, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25 },
    },
    'admin@test',
  );
  expect(account.ok).toBe(true);
}

/** `count` flat candles (100 ± 1) of `timeframeMs` from T0, as the import CSV. */
function flatCsv(timeframeMs: number, count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `${T0 + i * timeframeMs},100,101,99,100,1000`);
  return ['timestamp_ms,open,high,low,close,volume', ...rows].join('\n');
}

/**
 * By hand: a long entered at market at the breakout close 104 with its stop at 99 fills at
 * 104 x (1 + 0.0003) = 104.0312 and stops out at 99 x (1 - 0.0003) = 98.9703 (half the 4 bps spread plus
 * 1 bp slippage = 3 bps each way); both fills pay the 5 bps taker fee on (104.0312 + 98.9703) = 203.0015,
 * i.e. 0.10150075. Loss per unit = 5.0609 + 0.10150075 = 5.16240075.
 */
const LOSS_PER_UNIT = 5.16240075;

describe.each(AUTH_TEST_BACKENDS)('stored settings drive backtests through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('takes the saved strategy settings and the account fee model and limits into the next backtest, and sizes by them', async () => {
    const app = await roots.open();
    const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
    const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
    const imported = await trader.call('importCandles', { query: { exchange: 'testex', symbol: 'SYN/USDT', timeframe: '1h' }, body: candleCsv() });
    expect(imported.body).toMatchObject({ parsed: 40, inserted: 40 });

    // Before anything is saved: the defaults (ma-crossover alone, TTL one candle, 1 % risk, 10 bps taker).
    const before = await backtest(trader, viewer, REQUEST);
    expect(before.config).toMatchObject({
      accountId: 'default',
      strategies: ['ma-crossover'],
      fusion: { weights: { 'ma-crossover': 1 }, entryThreshold: 0.5, ttlMs: HOUR, cooldownMs: 0, vetoThreshold: 0.5 },
      risk: { riskPerTradePct: 1, costs: { takerFeeBps: 10, spreadBps: 2, slippageBps: 2 } },
    });

    await saveSettings(app);
    const after = await backtest(trader, viewer, REQUEST);
    expect(after.config).toEqual({
      accountId: 'default',
      exchange: 'testex',
      symbol: 'SYN/USDT',
      timeframe: '1h',
      fromMs: T0,
      toMs: T0 + 48 * HOUR,
      strategies: ['donchian-breakout'],
      params: { 'donchian-breakout': { period: 10, atrPeriod: 5 } },
      fusion: { weights: { 'donchian-breakout': 2 }, entryThreshold: 0.4, ttlMs: 7_200_000, cooldownMs: 0, vetoThreshold: 0.6 },
      risk: {
        maxLeverage: 1,
        maxLossPctEquityPerTrade: 2,
        riskPerTradePct: 0.5,
        maxSymbolExposurePct: 95,
        maxOpenPositions: 1,
        atrStopMultiple: 2,
        dailyLossLimitPct: 5,
        maxDrawdownPct: 25,
        // VaR / ES limits off, at their default confidence and lookback.
        maxVarFraction: null,
        maxExpectedShortfallFraction: null,
        varConfidence: 0.99,
        varLookbackCandles: 500,
        costs: { takerFeeBps: 5, makerFeeBps: 2, spreadBps: 4, slippageBps: 1 },
      },
      paper: {
        marketType: 'spot',
        quoteCurrency: 'USDT',
        initialBalance: 10_000,
        makerFeeBps: 2,
        takerFeeBps: 5,
        spreadBps: 4,
        slippageBps: 1,
        maxVolumeShare: 0.1,
        leverage: 1,
        marginMode: 'cross',
      },
      decisionDetail: 'signals',
      veto: false,
      // No exit policy asked for and none declared by donchian-breakout; what is open at the end is closed.
      exits: null,
      closeAtEnd: true,
      // The built-in's hash is sha256("built-in:donchian-breakout@1.0.0").
      provenance: [{ name: 'donchian-breakout', source: 'built-in', version: '1.0.0', sourceHash: '53028e770d5cd2bdad2b65a893822dcca2eb6c95cd8df22ce192edb6ed748106' }],
    });
    // 0.5 % of 10 000 = 50 at risk over 5.16240075 per unit.
    expect(after.trades.map((t) => [t.side, t.entryTimeMs, t.exitReason])).toEqual([['long', T0 + 31 * HOUR, 'stop']]);
    expect(after.trades[0].amount).toBeCloseTo(50 / LOSS_PER_UNIT, 10);
    expect(after.trades[0].amount).toBeCloseTo(9.685416, 6);

    // An explicit request field wins over the stored one: 1 % at risk doubles the size; the rest stays stored.
    const explicit = await backtest(trader, viewer, { ...REQUEST, risk: { riskPerTradePct: 1 } });
    expect(explicit.config).toMatchObject({ strategies: ['donchian-breakout'], risk: { riskPerTradePct: 1, maxLeverage: 1, costs: { takerFeeBps: 5 } } });
    expect(explicit.trades[0].amount).toBeCloseTo(100 / LOSS_PER_UNIT, 10);
  });
  it('trades one candle of signal TTL until the operator saves one: on 5m and 1d runs, after a form save that leaves the TTL alone, and after an explicit 15m; the risk "last changed" line names who saved the limits', async () => {
    const app = await roots.open();
    const traderSession = await app.signedInAs('trader', 'ttl-trader@example.test');
    const adminSession = await app.signedInAs('admin', 'ttl-admin@example.test');
    const trader = apiV1Client(app.root, { cookie: traderSession.cookie });
    const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
    const asTrader = new Headers({ cookie: traderSession.cookie, origin: TEST_ORIGIN });
    const asAdmin = new Headers({ cookie: adminSession.cookie, origin: TEST_ORIGIN });
    const MIN5 = 300_000;
    const DAY = 86_400_000;
    // 5m: 2 days (576 candles); 1d: 60 days.
    for (const [timeframe, ms, count] of [['5m', MIN5, 576], ['1d', DAY, 60]] as const) {
      const imported = await trader.call('importCandles', { query: { exchange: 'testex', symbol: 'SYN/USDT', timeframe }, body: flatCsv(ms, count) });
      expect(imported.body).toMatchObject({ parsed: count, inserted: count });
    }
    const ttls = async () =>
      Promise.all(
        [
          { timeframe: '5m', from: '2024-01-01', to: '2024-01-02' },
          { timeframe: '1d', from: '2024-01-01', to: '2024-02-28' },
        ].map(async (range) => ((await backtest(trader, viewer, { exchange: 'testex', symbol: 'SYN/USDT', ...range })).config.fusion as { ttlMs: number }).ttlMs),
      );
    const shown = async () => (await app.root.engine.getTradingSettings()) as StoredTradingSettings;

    // Nothing saved: one candle of each run's timeframe, and /strategies shows it as such.
    expect(await ttls()).toEqual([300_000, 86_400_000]);
    expect((await shown()).strategy.ttlMs).toBeNull();
    expect(signalTtlText((await shown()).strategy.ttlMs)).toBe("1 candle (of the run's timeframe)");

    // The strategy form saved with only the entry threshold changed: still one candle.
    const form = (await shown()).strategy;
    const saved = (await saveStrategySettings[GATE].run(app.root, asTrader, { strategy: { ...form, entryThreshold: 0.45 } })) as ActionResult<StoredTradingSettings>;
    if (!saved.ok) throw new Error(`save refused: ${JSON.stringify(saved.error)}`);
    expect(saved.data.strategy).toMatchObject({ entryThreshold: 0.45, ttlMs: null });
    expect(await ttls()).toEqual([300_000, 86_400_000]);

    // An explicit 15 minutes: what every run uses.
    const explicit = (await saveStrategySettings[GATE].run(app.root, asTrader, { strategy: { ...form, ttlMs: 900_000 } })) as ActionResult<StoredTradingSettings>;
    if (!explicit.ok) throw new Error(`save refused: ${JSON.stringify(explicit.error)}`);
    expect(await ttls()).toEqual([900_000, 900_000]);
    expect(signalTtlText((await shown()).strategy.ttlMs)).toBe('15m');

    // The risk "last changed" line: the default account's risk save, by its actor.
    expect((await shown()).updated.risk).toBeNull();
    const risk = { ...(await shown()).risk, riskPerTradePct: 0.5 };
    const riskSaved = (await saveRiskLimits[GATE].run(app.root, asAdmin, { risk })) as ActionResult<StoredTradingSettings>;
    if (!riskSaved.ok) throw new Error(`risk save refused: ${JSON.stringify(riskSaved.error)}`);
    const account = await app.root.engine.accounts.get('default');
    expect((await shown()).updated.risk).toEqual({ atMs: account.updatedAtMs, by: 'ttl-admin@example.test' });
    expect((await shown()).risk.riskPerTradePct).toBe(0.5);
  });
});
