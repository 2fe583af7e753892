import { describe, expect, it } from 'vitest';
import { parseAccountSettings } from '../account/account-config';
import { defaultTradingSettings, signalTtlText, type StrategySettings } from '../settings/trading-settings';
import { loadStoredRunSettings, NO_STORED_SETTINGS, resolveRunSpec, runDefaults, type StoredRunSettings } from './run-spec';
import { createManualClock, silentLogger } from '../core/clock';
import { createTradingSettingsService } from '../account/trading-settings-service';
import { createInMemorySettingsRepository } from '../testing/in-memory-repositories';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { StrategySource } from '../strategies/strategy-catalog';
import { defineStrategy, setFlat, z } from '../strategies/strategy-api';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';
import { createPaperExchange } from '../execution/paper-exchange';

const BUILT_INS = createBuiltInCatalog();

const HOUR = 3_600_000;

function storedStrategy(): StrategySettings {
  const group = defaultTradingSettings(BUILT_INS).strategy;
  const adapters = Object.fromEntries(Object.entries(group.adapters).map(([name, a]) => [name, { ...a, enabled: false }])) as StrategySettings['adapters'];
  adapters['ema-trend'] = { enabled: true, weight: 3, params: { period: 40, atrPeriod: 14, atrStopMultiple: 2.5 } };
  adapters['rsi-mean-reversion'] = { enabled: true, weight: 0.5, params: { period: 10, oversold: 25, overbought: 75, atrPeriod: 14, atrStopMultiple: 2 } };
  return { adapters, entryThreshold: 0.35, ttlMs: 2 * HOUR, cooldownMs: 600_000, vetoThreshold: 0.7 };
}

const STORED: StoredRunSettings = {
  strategy: storedStrategy(),
  account: {
    record: { id: 'swing', settings: parseAccountSettings({ name: 'Swing', marketType: 'futures', initialBalance: 2_500, takerFeeBps: 4, makerFeeBps: 1, spreadBps: 1, slippageBps: 3, leverage: 5, marginMode: 'isolated' }) },
    riskLimits: { maxLeverage: 4, maxLossPctEquityPerTrade: 1.5, riskPerTradePct: 0.75, maxSymbolExposurePct: 150, maxOpenPositions: 3, atrStopMultiple: 3, dailyLossLimitPct: 4, maxDrawdownPct: 20, ...VALUE_AT_RISK_DEFAULTS },
  },
};

describe('resolveRunSpec', () => {
  it('takes the defaults when the request sets nothing and nothing is stored', () => {
    expect(resolveRunSpec({}, NO_STORED_SETTINGS, runDefaults('backtest', 300_000), BUILT_INS)).toEqual({
      accountId: null,
      strategies: ['ma-crossover'],
      params: { 'ma-crossover': { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 } },
      // sha256("built-in:ma-crossover@1.0.0")
      provenance: [{ name: 'ma-crossover', source: 'built-in', version: '1.0.0', sourceHash: '7bbc455dc1314d83383acdb3a25c7b444d4f8f943ae954472fcad04b38c6fb60' }],
      fusion: { weights: { 'ma-crossover': 1 }, entryThreshold: 0.5, ttlMs: 300_000, cooldownMs: 0, vetoThreshold: 0.5 },
      veto: false,
      models: { regime: null, volatility: null, stopDistance: null },
      risk: { maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 95, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, costs: { takerFeeBps: 10, makerFeeBps: 2, spreadBps: 2, slippageBps: 2 } },
      paper: { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 2, slippageBps: 2, maxVolumeShare: 0.1 },
      exits: null,
    });
  });

  it('takes the stored strategy group and the account over the defaults', () => {
    expect(resolveRunSpec({}, STORED, runDefaults('session', 300_000), BUILT_INS)).toEqual({
      accountId: 'swing',
      strategies: ['rsi-mean-reversion', 'ema-trend'],
      params: {
        'rsi-mean-reversion': { period: 10, oversold: 25, overbought: 75, atrPeriod: 14, atrStopMultiple: 2 },
        'ema-trend': { period: 40, atrPeriod: 14, atrStopMultiple: 2.5 },
      },
      provenance: [BUILT_INS.provenance('rsi-mean-reversion'), BUILT_INS.provenance('ema-trend')],
      fusion: { weights: { 'rsi-mean-reversion': 0.5, 'ema-trend': 3, external: 1 }, entryThreshold: 0.35, ttlMs: 2 * HOUR, cooldownMs: 600_000, vetoThreshold: 0.7 },
      veto: true,
      models: { regime: null, volatility: null, stopDistance: null },
      risk: { maxLeverage: 4, maxLossPctEquityPerTrade: 1.5, riskPerTradePct: 0.75, maxSymbolExposurePct: 150, maxOpenPositions: 3, atrStopMultiple: 3, dailyLossLimitPct: 4, maxDrawdownPct: 20, ...VALUE_AT_RISK_DEFAULTS, costs: { takerFeeBps: 4, makerFeeBps: 1, spreadBps: 1, slippageBps: 3 } },
      paper: { marketType: 'futures', quoteCurrency: 'USDT', initialBalance: 2_500, makerFeeBps: 1, takerFeeBps: 4, spreadBps: 1, slippageBps: 3, maxVolumeShare: 0.1, leverage: 5, marginMode: 'isolated' },
      exits: null,
    });
  });

  it("switches a futures account's run to spot without its leverage (1), and keeps a leverage the request sets", () => {
    const spot = resolveRunSpec({ paper: { marketType: 'spot' } }, STORED, runDefaults('backtest', 300_000), BUILT_INS);
    expect(spot.paper).toMatchObject({ marketType: 'spot', leverage: 1, initialBalance: 2_500, takerFeeBps: 4 });
    expect(() => createPaperExchange({ id: 'paper-swing', ...spot.paper }, { clock: createManualClock(0) })).not.toThrow();
    // What the account's 5x would have met on spot.
    expect(() => createPaperExchange({ id: 'paper-swing', ...spot.paper, leverage: 5 }, { clock: createManualClock(0) })).toThrow(/leverage/);
    const explicit = resolveRunSpec({ paper: { marketType: 'spot', leverage: 2 } }, STORED, runDefaults('backtest', 300_000), BUILT_INS);
    expect(explicit.paper.leverage).toBe(2);
  });

  it('lets each explicit request field win over the stored one, keeping the others', () => {
    const spec = resolveRunSpec(
      { strategies: ['ema-trend'], params: { 'ema-trend': { period: 30 } }, fusion: { ttlMs: HOUR, weights: { 'ema-trend': 2 } }, risk: { riskPerTradePct: 0.25 }, paper: { takerFeeBps: 6 }, veto: false },
      STORED,
      runDefaults('backtest', 300_000),
      BUILT_INS,
    );
    expect(spec.strategies).toEqual(['ema-trend']);
    expect(spec.params).toEqual({ 'ema-trend': { period: 30, atrPeriod: 14, atrStopMultiple: 2.5 } });
    expect(spec.fusion).toEqual({ weights: { 'ema-trend': 2 }, entryThreshold: 0.35, ttlMs: HOUR, cooldownMs: 600_000, vetoThreshold: 0.7 });
    expect(spec.veto).toBe(false);
    expect(spec.risk).toMatchObject({ riskPerTradePct: 0.25, maxLeverage: 4, costs: { takerFeeBps: 6, spreadBps: 1, slippageBps: 3 } });
    expect(spec.paper).toMatchObject({ takerFeeBps: 6, initialBalance: 2_500, leverage: 5 });
  });

  it('refuses bad input naming the field and value', () => {
    const defaults = runDefaults('backtest', HOUR);
    expect(() => resolveRunSpec({ strategies: ['moon-shot'] }, STORED, defaults, BUILT_INS)).toThrow('field "strategies" was "moon-shot": strategy "moon-shot" is not known');
    expect(() => resolveRunSpec({ params: { 'ma-crossover': { fastPeriod: 5 } } }, STORED, defaults, BUILT_INS)).toThrow(
      'field "params.ma-crossover" was {"fastPeriod":5}: parameters given for strategy "ma-crossover", which is not in the run',
    );
    expect(() => resolveRunSpec({ params: { 'ema-trend': { period: 0 } } }, STORED, defaults, BUILT_INS)).toThrow(/^field "params\.ema-trend\.period" was 0: /);
    expect(() => resolveRunSpec({ fusion: { entryThreshold: 2 } }, STORED, defaults, BUILT_INS)).toThrow('field "fusion.entryThreshold" was 2: entryThreshold (2) must be a number in 0..1');
    expect(() => resolveRunSpec({ fusion: { weights: { 'ema-trend': 0, 'rsi-mean-reversion': 0 } } }, STORED, defaults, BUILT_INS)).toThrow(
      'field "fusion.weights" was {"rsi-mean-reversion":0,"ema-trend":0}: give at least one strategy of the run a weight above 0',
    );
    expect(() => resolveRunSpec({ risk: { maxLeverage: -1 } }, STORED, defaults, BUILT_INS)).toThrow(/^field "risk\.maxLeverage" was -1: /);
    expect(() => resolveRunSpec({ risk: { costs: { takerFeeBps: 0 } } }, STORED, defaults, BUILT_INS)).toThrow(/^field "risk\.costs" was \{"takerFeeBps":0\}: costs come from the paper venue/);
    expect(() => resolveRunSpec({ paper: { takerFeeBps: -1 } }, STORED, defaults, BUILT_INS)).toThrow('field "paper.takerFeeBps" was -1: must be >= 0');
    expect(() => resolveRunSpec({ exits: { timeStop: { bars: 0 } } }, STORED, defaults, BUILT_INS)).toThrow(/^field "exits\.timeStop\.bars" was 0: /);
    expect(() => resolveRunSpec({ exits: { trailingStop: { percent: 1, atrMultiple: 2 } } }, STORED, defaults, BUILT_INS)).toThrow(
      /^field "exits\.trailingStop" was .*give exactly one of percent and atrMultiple/,
    );
    expect(() => resolveRunSpec({ exits: { stopLoss: 3 } }, STORED, defaults, BUILT_INS)).toThrow(/exits/);
  });

  it("takes the request's exit policy with its defaults filled, and none when neither the request nor a strategy of the run has one", () => {
    const defaults = runDefaults('backtest', HOUR);
    const spec = resolveRunSpec({ exits: { takeProfit: [{ r: 1, fraction: 0.5 }, { percent: 4 }], trailingStop: { atrMultiple: 2, activateAtR: 1 }, minimalRoi: [{ afterMinutes: 0, profitPercent: 5 }] } }, STORED, defaults, BUILT_INS);
    expect(spec.exits).toEqual({
      takeProfit: [{ r: 1, fraction: 0.5 }, { percent: 4, fraction: 1 }],
      trailingStop: { atrMultiple: 2, atrPeriod: 14, activateAtR: 1 },
      minimalRoi: [{ afterMinutes: 0, profitPercent: 5 }],
    });
    // The built-in strategies of the stored group declare no exits.
    expect(resolveRunSpec({}, STORED, defaults, BUILT_INS).exits).toBeNull();
  });

  it('takes the exits of the first strategy of the run that declares them, unless the request gives its own', () => {
    const catalog = createBuiltInCatalog();
    const declaring = (name: string, percent: number) =>
      defineStrategy({
        name,
        version: '1',
        summary: 'test strategy declaring a trailing stop',
        params: z.object({ trail: z.number().positive().default(percent) }),
        indicators: () => ({ sma: [2] }),
        warmup: () => 2,
        exits: (p) => ({ trailingStop: { percent: p.trail } }),
        evaluate: (_f, _i, out) => setFlat(out, 'no signal'),
      });
    const entry = (name: string, percent: number) => ({ name, source: StrategySource.File, version: '1', sourceHash: 'h', summary: '', definition: declaring(name, percent) });
    catalog.replaceSource('file', [entry('trail-a', 3), entry('trail-b', 7)]);
    const defaults = runDefaults('backtest', HOUR);
    // ma-crossover declares none; trail-b comes before trail-a in the run, so its 7 % wins.
    const spec = resolveRunSpec({ strategies: ['ma-crossover', 'trail-b', 'trail-a'] }, STORED, defaults, catalog);
    expect(spec.exits).toEqual({ trailingStop: { percent: 7, atrPeriod: 14 } });
    // Its params reach its exits: trail 2 -> a 2 % trailing stop.
    expect(resolveRunSpec({ strategies: ['trail-b'], params: { 'trail-b': { trail: 2 } } }, STORED, defaults, catalog).exits).toEqual({ trailingStop: { percent: 2, atrPeriod: 14 } });
    // The request's own policy replaces the strategy's whole policy.
    expect(resolveRunSpec({ strategies: ['trail-b'], exits: { timeStop: { bars: 12 } } }, STORED, defaults, catalog).exits).toEqual({ timeStop: { bars: 12 } });
  });
});

describe('the signal TTL: one candle of the run\'s timeframe unless the operator saves one', () => {
  const FIVE_MIN = 300_000;
  const DAY = 86_400_000;

  /** The strategy settings as /strategies reads and saves them, and the TTL a backtest or session on `timeframeMs` candles resolves from what is stored. */
  function harness() {
    const settings = createInMemorySettingsRepository();
    const service = createTradingSettingsService({
      clock: createManualClock(Date.UTC(2024, 0, 1)),
      logger: silentLogger,
      settings,
      riskDesk: async () => {
        throw new Error('no risk desk in this test');
      },
      strategies: BUILT_INS,
    });
    const ttlOf = async (kind: 'backtest' | 'session', timeframeMs: number) =>
      resolveRunSpec({}, await loadStoredRunSettings('default', { settings, strategies: BUILT_INS, logger: silentLogger }), runDefaults(kind, timeframeMs), BUILT_INS).fusion.ttlMs;
    const ttls = async () => [await ttlOf('backtest', FIVE_MIN), await ttlOf('backtest', DAY), await ttlOf('session', FIVE_MIN), await ttlOf('session', DAY)];
    return { settings, service, ttls };
  }

  it('with nothing saved: one candle for a 5m and a 1d run, and /strategies shows "1 candle (of the run\'s timeframe)"', async () => {
    const { service, ttls } = harness();
    expect(await ttls()).toEqual([300_000, 86_400_000, 300_000, 86_400_000]);
    const shown = await service.get();
    expect(shown.strategy.ttlMs).toBeNull();
    expect(shown.updated.strategy).toBeNull();
    expect(signalTtlText(shown.strategy.ttlMs)).toBe("1 candle (of the run's timeframe)");
  });

  it('a save of the strategy form that leaves the TTL alone keeps one candle', async () => {
    const { settings, service, ttls } = harness();
    // The form posts the group it was given, with the fields the operator changed: here the entry threshold.
    const form = (await service.get()).strategy;
    const saved = await service.update({ strategy: { ...form, entryThreshold: 0.4 } }, 'trader@example.test');
    expect(saved.ok).toBe(true);
    expect((settings.rows.get('trading.strategy')?.value as StrategySettings).ttlMs).toBeNull();
    expect(await ttls()).toEqual([300_000, 86_400_000, 300_000, 86_400_000]);
    expect(signalTtlText((await service.get()).strategy.ttlMs)).toBe("1 candle (of the run's timeframe)");
    // A group posted without ttlMs at all reads the same.
    const { ttlMs: _left, ...withoutTtl } = form;
    expect((await service.update({ strategy: withoutTtl }, 'trader@example.test')).ok).toBe(true);
    expect(await ttls()).toEqual([300_000, 86_400_000, 300_000, 86_400_000]);
  });

  it('an explicit TTL the operator saves is what every run uses; clearing it goes back to one candle', async () => {
    const { service, ttls } = harness();
    const form = (await service.get()).strategy;
    expect((await service.update({ strategy: { ...form, ttlMs: 900_000 } }, 'trader@example.test')).ok).toBe(true);
    expect(await ttls()).toEqual([900_000, 900_000, 900_000, 900_000]);
    expect(signalTtlText((await service.get()).strategy.ttlMs)).toBe('15m');
    expect((await service.update({ strategy: { ...form, ttlMs: null } }, 'trader@example.test')).ok).toBe(true);
    expect(await ttls()).toEqual([300_000, 86_400_000, 300_000, 86_400_000]);
  });

  it('keeps a group stored by an earlier version (ttlMs always a number) explicit, and a request\'s ttlMs still wins', async () => {
    const { settings, service, ttls } = harness();
    const legacy = { ...defaultTradingSettings(BUILT_INS).strategy, ttlMs: 3_600_000 };
    await settings.put({ key: 'trading.strategy', value: legacy, updatedAtMs: 0, updatedBy: 'old@example.test' });
    expect((await service.get()).strategy.ttlMs).toBe(3_600_000);
    expect(await ttls()).toEqual([3_600_000, 3_600_000, 3_600_000, 3_600_000]);
    const stored = await loadStoredRunSettings('default', { settings, strategies: BUILT_INS, logger: silentLogger });
    expect(resolveRunSpec({ fusion: { ttlMs: 60_000 } }, stored, runDefaults('backtest', DAY), BUILT_INS).fusion.ttlMs).toBe(60_000);
  });
});
