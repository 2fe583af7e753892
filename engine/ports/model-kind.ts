/**
 * The model kinds this project trains and versions. Each kind has at most one active version.
 */

export const ModelKind = {
  /** Binary: probability that an entry loses; the loop's veto. */
  IntentVeto: 'intent-veto',
  /** 3 classes: trend-up / trend-down / range over the horizon. */
  Regime: 'regime',
  /** Regression: realised forward volatility per candle. */
  Volatility: 'volatility',
  /** Regression: maximum adverse excursion over the horizon, in ATRs. */
  StopDistance: 'stop-distance',
} as const;
export type ModelKind = (typeof ModelKind)[keyof typeof ModelKind];

/** Every model kind, in a fixed order. */
export const MODEL_KINDS: readonly ModelKind[] = Object.freeze(Object.values(ModelKind));

/** Whether `value` names a model kind. */
export function isModelKind(value: unknown): value is ModelKind {
  return typeof value === 'string' && (MODEL_KINDS as readonly string[]).includes(value);
}
