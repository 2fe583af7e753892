import { describe, expect, it } from 'vitest';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { ValidationError } from '../core/errors';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { waveCandles } from '../testing/wave-candles';
import { createSignalPhase, MIN_LOOKBACK_ROWS, type SignalPhaseConfig } from './signal-phase';

const catalog = createBuiltInCatalog();
const strategies = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'].map((name) => catalog.create(name, {}));
const base: SignalPhaseConfig = {
  strategies,
  fusion: { weights: Object.fromEntries(strategies.map((s) => [s.name, 1])), entryThreshold: 0.25, ttlMs: 300_000 },
  trailAtrPeriod: 0,
  withModels: false,
  chunkSize: 1,
  capacityHint: 16,
  varLookbackCandles: 500,
};

/** Every row's fused side and strength (NaN before the warm-up), the candles fed `chunkSize` at a time. */
function fusedRows(candles: CandleColumns, config: Partial<SignalPhaseConfig>): { side: Int8Array; strength: Float64Array; discarded: number } {
  const phase = createSignalPhase({ ...base, capacityHint: candles.length, ...config });
  const side = new Int8Array(candles.length);
  const strength = new Float64Array(candles.length).fill(NaN);
  for (let row = 0; row < candles.length; row += phase.chunkSlots) {
    const end = Math.min(row + phase.chunkSlots, candles.length);
    const discard = phase.rowsToDiscard(end - row);
    if (discard > 0) phase.features.discardBefore(discard);
    const from = phase.computeChunk(candles, row, end);
    for (let i = from; i < phase.features.length; i++) {
      const absolute = phase.features.rowBase + i;
      side[absolute] = phase.fusedColumns.side[i - from];
      strength[absolute] = phase.fusedColumns.strength[i - from];
    }
  }
  return { side, strength, discarded: phase.features.rowBase };
}

describe('signal phase', () => {
  // A wave whose averages cross every ~20 candles, with a slow drift so the levels differ from cycle to cycle.
  const candles = candleColumnsFromRows(
    waveCandles({ count: 12_000 }).map((c, i) => {
      const k = 1 + i * 1e-5;
      return { ...c, open: c.open * k, high: c.high * k, low: c.low * k, close: c.close * k };
    }),
  );

  it('gives every row the same fused signal in chunks over bounded columns as one candle at a time over all rows', () => {
    const oneByOne = fusedRows(candles, { chunkSize: 1 });
    const chunked = fusedRows(candles, { chunkSize: 4_096, maxFeatureRows: 2_048 });
    // The bounded run did move rows out (else it would prove nothing about the lookback).
    expect(oneByOne.discarded).toBe(0);
    expect(chunked.discarded).toBeGreaterThan(5_000);
    expect(Array.from(chunked.side)).toEqual(Array.from(oneByOne.side));
    expect(Array.from(chunked.strength)).toEqual(Array.from(oneByOne.strength));
    // Rows before the warm-up carry no signal; after it the wave gives both sides.
    const warmup = createSignalPhase(base).warmup;
    expect(Array.from(oneByOne.strength.subarray(0, warmup)).every(Number.isNaN)).toBe(true);
    expect(oneByOne.side.filter((s) => s === 1).length).toBeGreaterThan(50);
    expect(oneByOne.side.filter((s) => s === -1).length).toBeGreaterThan(50);
  });

  it('warms up over the largest strategy warm-up and keeps the longest look-back when bounded', () => {
    const maOnly = createSignalPhase({ ...base, strategies: [catalog.create('ma-crossover', {})], maxFeatureRows: 1 });
    // ma-crossover's defaults: slow SMA 50, ATR 14, so its first decision row is 50.
    expect(maOnly.warmup).toBe(50);
    expect(maOnly.lookbackRows).toBe(MIN_LOOKBACK_ROWS);
    expect(createSignalPhase({ ...base, maxFeatureRows: 1, varLookbackCandles: 5_000 }).lookbackRows).toBe(5_001);
    expect(createSignalPhase(base).lookbackRows).toBe(0);
    expect(createSignalPhase({ ...base, chunkSize: 100_000, capacityHint: 1_000_000 }).chunkSlots).toBe(65_536);
    expect(createSignalPhase({ ...base, chunkSize: 4_096, capacityHint: 300 }).chunkSlots).toBe(300);
  });

  it.each([
    ['chunkSize', { chunkSize: 0 }, 'field "chunkSize" was 0: chunkSize (0) must be an integer >= 1'],
    ['chunkSize', { chunkSize: 2.5 }, 'field "chunkSize" was 2.5: chunkSize (2.5) must be an integer >= 1'],
    ['maxFeatureRows', { maxFeatureRows: 0 }, 'field "maxFeatureRows" was 0: maxFeatureRows (0) must be an integer >= 1'],
  ])('refuses %s %j with an error naming the field and value', (field, config, message) => {
    let error: unknown;
    try {
      createSignalPhase({ ...base, ...config });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).message).toBe(message);
  });
});
