/**
 * Port for an optional machine-learning veto: a model that estimates, for a signal about to be
 * acted on, the probability that the trade loses money. Fusion's `applyVeto` turns that probability
 * into a veto when it reaches the configured threshold. The engine runs without one by default
 * (pass `null` to `applyVeto`); an ONNX-backed implementation plugs in later.
 */

/** A loss-probability model used to veto signals. */
export interface VetoModel {
  /** Model identity recorded in the decision log with every veto decision (e.g. a content hash or semver). */
  readonly version: string;
  /** Names of the input features, in the order `predictLossProbability` expects them. */
  readonly featureNames: readonly string[];
  /**
   * Probability in 0..1 that acting on the signal ends in a loss. `features.length` must equal
   * `featureNames.length`. Implementations reject (throw) on a length mismatch or a non-finite output;
   * callers treat a rejection as "no veto available" or halt, per their policy.
   */
  predictLossProbability(features: Float32Array): Promise<number>;
}
