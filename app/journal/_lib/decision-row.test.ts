import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '@/engine/ports/journal';
import { toDecisionRow } from './decision-row';

const base: DecisionRecord = {
  id: 'd1',
  runId: null,
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '5m',
  strategy: 'fusion',
  timeMs: Date.UTC(2024, 0, 1),
  outcome: 'denied',
  side: 'long',
  strength: 0.75,
  reason: 'risk denied: leverage_after',
  inputs: {},
};

describe('decision rows', () => {
  it('keep the shown fields and spell out the failed risk checks and the veto verdict', () => {
    const row = toDecisionRow({
      ...base,
      inputs: {
        risk: [
          { name: 'leverage_after', value: 3.123456, limit: 3, passed: false },
          { name: 'est_loss_pct_equity', value: 1.5, limit: 2, passed: true },
          { name: 'symbol_exposure_pct', value: 95.5, limit: 90, passed: false },
        ],
        veto: { modelVersion: 'v3', lossProbability: 0.712345, threshold: 0.6 },
        adapters: { big: 'x'.repeat(1000) },
      },
    });
    expect(row).toEqual({
      id: 'd1',
      timeMs: Date.UTC(2024, 0, 1),
      symbol: 'BTC/USDT',
      strategy: 'fusion',
      outcome: 'denied',
      side: 'long',
      strength: 0.75,
      reason: 'risk denied: leverage_after',
      runId: null,
      chartHref: `/chart?stream=${encodeURIComponent('binance|BTC/USDT|5m')}&at=${Date.UTC(2024, 0, 1)}`,
      veto: 'veto v3: p(loss) 0.7123 vs 0.6',
      failedChecks: 'leverage_after 3.1235 > 3, symbol_exposure_pct 95.5 > 90',
    });
  });

  it('has no notes when the inputs carry no veto and every check passed', () => {
    const row = toDecisionRow({ ...base, outcome: 'signal', inputs: { risk: [{ name: 'leverage_after', value: 1, limit: 3, passed: true }] } });
    expect(row.veto).toBeNull();
    expect(row.failedChecks).toBeNull();
  });
});
