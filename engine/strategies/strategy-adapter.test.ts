import { describe, expect, it } from 'vitest';
import { createFeatureExtractor } from '../features/feature-extractor';
import type { FeatureFrame } from '../features/feature-frame';
import { createBuiltInCatalog } from './built-in-strategies';
import { createAdapterColumns, createAdapterOutput, evaluateAdapterColumns, readAdapterColumns, type AdapterOutput, type StrategyAdapter } from './strategy-adapter';

/** A hand-written adapter without `evaluateColumns`: long on rows where the close rose, short where it fell. */
const momentum: StrategyAdapter = {
  name: 'momentum',
  config: {},
  features: {},
  warmup: 1,
  evaluate(f: FeatureFrame, i: number, out: AdapterOutput) {
    const change = i > 0 ? f.close[i] - f.close[i - 1] : 0;
    out.side = change > 0 ? 1 : change < 0 ? -1 : 0;
    out.strength = change === 0 ? 0 : 0.75;
    out.stopHint = change === 0 ? NaN : f.close[i] - out.side * 2;
    out.reason = change > 0 ? 'rose' : change < 0 ? 'fell' : 'flat';
    out.exit = 0;
  },
};

describe('evaluateAdapterColumns', () => {
  const frame = createFeatureExtractor({ sma: [2, 3] }, 8);
  // Closes 10, 11, 11, 9, 12, 13: rises at rows 1, 4, 5; a fall at row 3; row 2 unchanged.
  [10, 11, 11, 9, 12, 13].forEach((close, i) => frame.push(i * 60_000, close, close + 1, close - 1, close, 1));

  it('calls evaluate row by row for an adapter without a batch method, slot s holding row from + s', () => {
    const columns = createAdapterColumns(4);
    evaluateAdapterColumns(momentum, frame, 2, 6, columns, createAdapterOutput());
    expect(Array.from(columns.side)).toEqual([0, -1, 1, 1]);
    expect(Array.from(columns.strength)).toEqual([0, 0.75, 0.75, 0.75]);
    expect(Array.from(columns.stopHint)).toEqual([NaN, 11, 10, 11]);
    expect(columns.reason).toEqual(['flat', 'fell', 'rose', 'rose']);
    const out = createAdapterOutput();
    readAdapterColumns(columns, 1, out);
    expect(out).toEqual({ side: -1, strength: 0.75, stopHint: 11, reason: 'fell', exit: 0 });
  });

  it("gives a catalog strategy's own batch method exactly its per-row outputs", () => {
    const adapter = createBuiltInCatalog().create('ma-crossover', { fastPeriod: 2, slowPeriod: 3, atrPeriod: 2 });
    expect(typeof adapter.evaluateColumns).toBe('function');
    const fx = createFeatureExtractor(adapter.features, 64);
    for (let i = 0; i < 60; i++) {
      const close = 100 + 10 * Math.sin(i / 3);
      fx.push(i * 60_000, close, close + 1, close - 1, close, 1);
    }
    const columns = createAdapterColumns(60);
    evaluateAdapterColumns(adapter, fx, 0, 60, columns, createAdapterOutput());
    const out = createAdapterOutput();
    let fired = 0;
    for (let i = 0; i < 60; i++) {
      adapter.evaluate(fx, i, out);
      const stored = createAdapterOutput();
      readAdapterColumns(columns, i, stored);
      expect(stored, `row ${i}`).toEqual(out);
      if (out.side !== 0) fired++;
    }
    expect(fired).toBeGreaterThan(2);
  });

  it('refuses a range longer than the columns', () => {
    expect(() => evaluateAdapterColumns(momentum, frame, 0, 6, createAdapterColumns(4), createAdapterOutput())).toThrow(RangeError);
  });
});
