import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { createFeatureExtractor } from '../features/feature-extractor';
import { createAdapterOutput } from './strategy-adapter';
import { createExternalSignalAdapter, EXTERNAL_REASONS } from './external-signal-adapter';

describe('external signal adapter', () => {
  const frame = createFeatureExtractor({}, 4);

  it('passes an alert to the next evaluated candle once, then is flat again', () => {
    const clock = createManualClock(1_000);
    const adapter = createExternalSignalAdapter({ ttlMs: 300_000 }, { clock });
    const out = createAdapterOutput();
    adapter.evaluate(frame, 0, out);
    expect(out).toEqual({ side: 0, strength: 0, stopHint: NaN, reason: EXTERNAL_REASONS.None, exit: 0 });
    adapter.push({ side: 'short', strength: 0.8, stopHint: 105, receivedAtMs: 1_000 });
    clock.advance(299_000);
    adapter.evaluate(frame, 0, out);
    expect(out).toEqual({ side: -1, strength: 0.8, stopHint: 105, reason: EXTERNAL_REASONS.Alert, exit: 0 });
    adapter.evaluate(frame, 0, out);
    expect(out.side).toBe(0);
  });

  it('drops an alert older than its time-to-live when the candle closes', () => {
    const clock = createManualClock(0);
    const adapter = createExternalSignalAdapter({ ttlMs: 60_000 }, { clock });
    adapter.push({ side: 'long', strength: 1, stopHint: NaN, receivedAtMs: 0 });
    clock.advance(60_001);
    const out = createAdapterOutput();
    adapter.evaluate(frame, 0, out);
    expect(out.side).toBe(0);
    expect(adapter.pending()).toBeNull();
  });
});
