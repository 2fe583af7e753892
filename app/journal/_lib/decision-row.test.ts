import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '@/engine/ports/journal';
import { toDecisionRow } from './decision-row';
import { tradeChartHref } from './trade-row';

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
      models: null,
    });
  });

  it("link a live decision to its account's chart and a run's to the run", () => {
    expect(toDecisionRow({ ...base, accountId: 'desk' }).chartHref).toBe(`/chart?stream=${encodeURIComponent('binance|BTC/USDT|5m')}&account=desk&at=${Date.UTC(2024, 0, 1)}`);
    expect(toDecisionRow({ ...base, runId: 'r1' }).chartHref).toBe(`/chart?stream=${encodeURIComponent('binance|BTC/USDT|5m')}&run=r1&at=${Date.UTC(2024, 0, 1)}`);
    const trade = { runId: null, accountId: 'desk', exchange: 'binance', symbol: 'BTC/USDT', entryTimeMs: 1_000, exitTimeMs: 3_000 };
    expect(tradeChartHref(trade)).toBe(`/chart?stream=${encodeURIComponent('binance|BTC/USDT|')}&account=desk&from=1000&to=3000&at=2000`);
    expect(tradeChartHref({ ...trade, runId: 'r1', accountId: undefined })).toBe('/chart?run=r1&from=1000&to=3000&at=2000');
  });

  it('has no notes when the inputs carry no veto and every check passed', () => {
    const row = toDecisionRow({ ...base, outcome: 'signal', inputs: { risk: [{ name: 'leverage_after', value: 1, limit: 3, passed: true }] } });
    expect(row.veto).toBeNull();
    expect(row.failedChecks).toBeNull();
  });

  it('spell out what the regime, volatility and stop-distance models said on an entry', () => {
    const row = toDecisionRow({
      ...base,
      outcome: 'executed',
      inputs: {
        models: {
          regime: { modelVersion: 'regime@v3', regime: 'range', probabilities: [0.2, 0.1, 0.7], riskMultiplier: 0.5 },
          volatility: { modelVersion: 'volatility@v2', predicted: 0.0084, targetVolatility: 0.005, scale: 0.595238 },
          stopDistance: { modelVersion: 'stop-distance@v4', predictedAtr: 1.834, atr: 1.5, stopPrice: 97.25, strategyStopHint: null },
        },
      },
    });
    // 0.0084 = 0.840 % per candle; 0.005 / 0.0084 = 0.5952 to 4 decimals; a price near 100 shows 4 decimals (fmtPrice).
    expect(row.models).toBe('regime@v3: range, risk × 0.5 · volatility@v2: 0.840% predicted, size × 0.5952 · stop-distance@v4: 1.83 ATR, stop 97.2500');
  });
});
