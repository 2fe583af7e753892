/**
 * The adapter through which outside alerts (TradingView-style webhooks) enter a live session: an
 * alert is held until the next candle the loop evaluates, where it is one more adapter output for
 * fusion, so it passes the veto, TTL and the risk gate like any other signal and never goes
 * straight to an exchange. An alert older than its time-to-live when that candle closes is dropped.
 */
import type { Clock } from '../core/clock';
import type { FeatureFrame } from '../features/feature-frame';
import { Direction, setFlat, type AdapterOutput, type StrategyAdapter } from './strategy-adapter';

export const EXTERNAL_ADAPTER_NAME = 'external';

export const EXTERNAL_REASONS = {
  None: 'no external alert pending',
  Alert: 'external alert',
} as const;

/** An alert as the session receives it. */
export interface ExternalAlert {
  side: 'long' | 'short' | 'flat';
  /** 0..1. */
  strength: number;
  /** Protective stop price, NaN when the sender gave none. */
  stopHint: number;
  receivedAtMs: number;
}

export interface ExternalSignalAdapter extends StrategyAdapter<{ ttlMs: number }> {
  /** Holds an alert for the next evaluated candle (a newer alert replaces an older one). */
  push(alert: ExternalAlert): void;
  /** The alert waiting for the next candle, if any. */
  pending(): ExternalAlert | null;
}

/** Creates the adapter. `ttlMs`: how long an alert stays actionable (normally one timeframe). */
export function createExternalSignalAdapter(config: { ttlMs: number }, deps: { clock: Clock }): ExternalSignalAdapter {
  let waiting: ExternalAlert | null = null;
  const frozen = Object.freeze({ ...config });
  return {
    name: EXTERNAL_ADAPTER_NAME,
    config: frozen,
    features: {},
    warmup: 0,
    startupCandles: 0,
    push(alert) {
      waiting = { ...alert };
    },
    pending: () => waiting,
    evaluate(_f: FeatureFrame, _i: number, out: AdapterOutput) {
      const alert = waiting;
      if (alert === null) return setFlat(out, EXTERNAL_REASONS.None);
      waiting = null;
      if (alert.side === 'flat' || deps.clock.nowMs() - alert.receivedAtMs > frozen.ttlMs) return setFlat(out, EXTERNAL_REASONS.None);
      out.side = alert.side === 'long' ? Direction.Long : Direction.Short;
      out.strength = alert.strength;
      out.stopHint = alert.stopHint;
      out.reason = EXTERNAL_REASONS.Alert;
    },
  };
}
