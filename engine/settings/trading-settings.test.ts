import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION_SETTINGS, defaultTradingSettings, readStrategySettings, signalTtlMsOf, signalTtlText, validateRiskLimits, validateRiskLimitsInput, validateStrategySettings } from './trading-settings';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';

const BUILT_INS = createBuiltInCatalog();

describe('trading settings validation', () => {
  it('accepts the defaults', () => {
    const defaults = defaultTradingSettings(BUILT_INS);
    expect(validateStrategySettings(defaults.strategy, BUILT_INS)).toEqual({ ok: true, value: defaults.strategy });
    expect(validateRiskLimits(defaults.risk)).toEqual({ ok: true, value: defaults.risk });
    expect(defaults.risk).toEqual({
      maxLeverage: 1,
      maxLossPctEquityPerTrade: 2,
      riskPerTradePct: 1,
      maxSymbolExposurePct: 95,
      maxOpenPositions: 1,
      atrStopMultiple: 2,
      dailyLossLimitPct: 5,
      maxDrawdownPct: 25,
      maxVarFraction: null,
      maxExpectedShortfallFraction: null,
      varConfidence: 0.99,
      varLookbackCandles: 500,
    });
  });

  it('accepts risk limits stored with the former feeRateBps and drops it: costs come from the account fee model', () => {
    const stored = { ...defaultTradingSettings(BUILT_INS).risk, feeRateBps: 10 };
    expect(validateRiskLimits(stored)).toEqual({ ok: true, value: defaultTradingSettings(BUILT_INS).risk });
  });

  it('refuses, in limits an operator sends, a field that is not a limit (naming it), and drops only the former feeRateBps', () => {
    const risk = defaultTradingSettings(BUILT_INS).risk;
    expect(validateRiskLimitsInput({ ...risk, riskPerTrade: 0.5, costs: { takerFeeBps: 10 } })).toEqual({
      ok: false,
      fieldErrors: { 'risk.riskPerTrade': ['unknown field'], 'risk.costs': ['unknown field'] },
    });
    expect(validateRiskLimitsInput({ ...risk, feeRateBps: 10, maxOpenPositions: 4 })).toEqual({ ok: true, value: { ...risk, maxOpenPositions: 4 } });
    expect(validateRiskLimitsInput('tight')).toMatchObject({ ok: false });
  });

  it('refuses, in a strategy group being saved, a field the group does not have, and reads a stored one leniently', () => {
    const strategy = defaultTradingSettings(BUILT_INS).strategy;
    const typo = { ...strategy, entryTreshold: 0.3, adapters: { ...strategy.adapters, 'ma-crossover': { ...strategy.adapters['ma-crossover'], weigth: 2 } } };
    expect(validateStrategySettings(typo, BUILT_INS)).toEqual({
      ok: false,
      fieldErrors: { 'strategy.entryTreshold': ['unknown field'], 'strategy.adapters.ma-crossover.weigth': ['unknown field'] },
    });
    expect(readStrategySettings(BUILT_INS)(typo)).toEqual({ ok: true, value: strategy });
  });

  it('keeps trading costs out of the risk limits', () => {
    const result = validateRiskLimits({ ...defaultTradingSettings(BUILT_INS).risk, costs: { takerFeeBps: 10, spreadBps: 2, slippageBps: 2 } });
    expect(result).toEqual({ ok: true, value: defaultTradingSettings(BUILT_INS).risk });
  });

  it('reports every invalid strategy field under its own path', () => {
    const s = structuredClone(defaultTradingSettings(BUILT_INS).strategy);
    s.entryThreshold = 1.5;
    s.ttlMs = -1;
    s.adapters['ma-crossover'].weight = -2;
    (s.adapters['rsi-mean-reversion'].params as Record<string, unknown>).period = 0;
    const result = validateStrategySettings(s, BUILT_INS);
    expect(result).toEqual({
      ok: false,
      fieldErrors: {
        'strategy.adapters.ma-crossover.weight': ['must be >= 0'],
        'strategy.adapters.rsi-mean-reversion.params.period': ['must be an integer in 1..10000'],
        'strategy.entryThreshold': ['must be <= 1'],
        'strategy.ttlMs': ['must be >= 0'],
      },
    });
  });

  it('leaves the signal TTL unset by default (null: one candle of the run\'s timeframe) and keeps a saved one explicit', () => {
    const defaults = defaultTradingSettings(BUILT_INS).strategy;
    expect(defaults).toMatchObject({ entryThreshold: 0.5, ttlMs: null, cooldownMs: 0, vetoThreshold: 0.5 });
    expect(DEFAULT_FUSION_SETTINGS).toEqual({ entryThreshold: 0.5, ttlMs: null, cooldownMs: 0, vetoThreshold: 0.5 });
    // A group without ttlMs reads as one candle; an explicit one (every group earlier versions stored) stays.
    const { ttlMs: _ttl, ...withoutTtl } = defaults;
    expect(validateStrategySettings(withoutTtl, BUILT_INS)).toEqual({ ok: true, value: defaults });
    expect(readStrategySettings(BUILT_INS)({ ...defaults, ttlMs: 3_600_000 })).toEqual({ ok: true, value: { ...defaults, ttlMs: 3_600_000 } });
    expect(validateStrategySettings({ ...defaults, ttlMs: '1h' }, BUILT_INS)).toEqual({ ok: false, fieldErrors: { 'strategy.ttlMs': ['expected a number'] } });
    expect([signalTtlMsOf(null, 300_000), signalTtlMsOf(undefined, 86_400_000), signalTtlMsOf(900_000, 86_400_000), signalTtlMsOf(0, 300_000)]).toEqual([300_000, 86_400_000, 900_000, 0]);
    expect(signalTtlText(null)).toBe("1 candle (of the run's timeframe)");
    expect(signalTtlText(5_400_000)).toBe('1h 30m');
  });

  it('reports a cross-field parameter error on the parameter the factory names', () => {
    const s = structuredClone(defaultTradingSettings(BUILT_INS).strategy);
    s.adapters['ma-crossover'].params = { fastPeriod: 50, slowPeriod: 20 };
    const result = validateStrategySettings(s, BUILT_INS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.fieldErrors)).toEqual(['strategy.adapters.ma-crossover.params.fastPeriod']);
    expect(result.fieldErrors['strategy.adapters.ma-crossover.params.fastPeriod'][0]).toContain('fastPeriod (50) must be below slowPeriod (20)');
  });

  it('needs at least one enabled adapter with a weight', () => {
    const s = structuredClone(defaultTradingSettings(BUILT_INS).strategy);
    s.adapters['ma-crossover'].enabled = false;
    expect(validateStrategySettings(s, BUILT_INS)).toEqual({ ok: false, fieldErrors: { 'strategy.adapters': ['enable at least one adapter with a weight above 0'] } });
  });

  it('names unknown strategy parameters', () => {
    const s = structuredClone(defaultTradingSettings(BUILT_INS).strategy) as { adapters: Record<string, { params: Record<string, unknown> }> };
    s.adapters['ema-trend'].params.speed = 3;
    const result = validateStrategySettings(s, BUILT_INS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.fieldErrors['strategy.adapters.ema-trend.params.speed']).toEqual(['unknown field']);
  });

  it('refuses to save a strategy the catalog does not know, naming it and the known ones', () => {
    const s = structuredClone(defaultTradingSettings(BUILT_INS).strategy);
    s.adapters['moon-shot'] = { enabled: true, weight: 1, params: {} };
    expect(validateStrategySettings(s, BUILT_INS)).toEqual({
      ok: false,
      fieldErrors: { 'strategy.adapters.moon-shot': ['strategy "moon-shot" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout'] },
    });
  });

  it('ignores a stored strategy the catalog no longer runs and fills in the ones it lacks with their defaults', () => {
    const stored = {
      adapters: { 'moon-shot': { enabled: true, weight: 3, params: { x: 1 } }, 'ema-trend': { enabled: true, weight: 2, params: { period: 30 } } },
      entryThreshold: 0.5,
      ttlMs: 60_000,
      cooldownMs: 0,
      vetoThreshold: 0.5,
    };
    const result = readStrategySettings(BUILT_INS)(stored);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.value.adapters).sort()).toEqual(['donchian-breakout', 'ema-trend', 'ma-crossover', 'rsi-mean-reversion']);
    // ema-trend keeps its stored period and weight; atrPeriod 14 and atrStopMultiple 2 are its defaults.
    expect(result.value.adapters['ema-trend']).toEqual({ enabled: true, weight: 2, params: { period: 30, atrPeriod: 14, atrStopMultiple: 2 } });
    expect(result.value.adapters['ma-crossover']).toEqual({ enabled: false, weight: 1, params: { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 } });
  });

  it('reports invalid risk limits per field with the risk engine schema messages', () => {
    const result = validateRiskLimits({ ...defaultTradingSettings(BUILT_INS).risk, maxLeverage: 0, dailyLossLimitPct: 150, maxOpenPositions: 1.5 });
    expect(result).toEqual({
      ok: false,
      fieldErrors: {
        'risk.maxLeverage': ['Too small: expected number to be >0'],
        'risk.maxOpenPositions': ['Invalid input: expected int, received number'],
        'risk.dailyLossLimitPct': ['Too big: expected number to be <=100'],
      },
    });
  });
});
