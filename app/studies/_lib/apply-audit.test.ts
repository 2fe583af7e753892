import { describe, expect, it } from 'vitest';
import { defaultTradingSettings, type StrategySettings } from '@/engine/settings/trading-settings';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { applyAuditOf } from './apply-audit';

const group = (): StrategySettings => structuredClone(defaultTradingSettings(createBuiltInCatalog()).strategy);
const BEST = { fastPeriod: 7, slowPeriod: 30, atrPeriod: 14, atrStopMultiple: 2 };

describe('the audit entry of a study apply', () => {
  it('records the studied adapter before and after, and nothing else when nothing else changed', () => {
    const before = group();
    const after = structuredClone(before);
    after.adapters['ma-crossover'] = { ...after.adapters['ma-crossover'], params: BEST };
    expect(applyAuditOf('ma-crossover', before, after)).toEqual({
      before: { enabled: true, params: { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 } },
      after: { enabled: true, params: BEST },
    });
  });

  it('records every other setting of the group the apply changed, each under its path', () => {
    const before = group();
    const after = structuredClone(before);
    after.adapters['ema-trend'] = { ...after.adapters['ema-trend'], enabled: true, params: { period: 30, atrPeriod: 14, atrStopMultiple: 2 } };
    after.adapters['ema-trend'].weight = 2;
    after.ttlMs = 3_600_000;
    after.entryThreshold = 0.4;
    expect(applyAuditOf('ema-trend', before, after)).toEqual({
      before: { enabled: false, params: { period: 50, atrPeriod: 14, atrStopMultiple: 2 }, others: { 'adapters.ema-trend.weight': 1, entryThreshold: 0.5, ttlMs: null } },
      after: { enabled: true, params: { period: 30, atrPeriod: 14, atrStopMultiple: 2 }, others: { 'adapters.ema-trend.weight': 2, entryThreshold: 0.4, ttlMs: 3_600_000 } },
    });
  });

  it('names another adapter that changed, and a strategy new to the group', () => {
    const before = group();
    const after = structuredClone(before);
    after.adapters['ma-crossover'].enabled = false;
    after.adapters['rule-x'] = { enabled: true, weight: 1, params: { n: 3 } };
    expect(applyAuditOf('rule-x', before, after)).toEqual({
      before: { enabled: false, params: null, others: { 'adapters.rule-x.weight': null, 'adapters.ma-crossover': before.adapters['ma-crossover'] } },
      after: { enabled: true, params: { n: 3 }, others: { 'adapters.rule-x.weight': 1, 'adapters.ma-crossover': after.adapters['ma-crossover'] } },
    });
  });
});
