/**
 * Which indicator columns a feature extractor computes. Built from the strategy adapters'
 * requirements with {@link featureConfigFor}, so one extractor serves every adapter of a run.
 */
import { ValidationError } from '../core/errors';

/** Largest indicator period accepted (candles). Guards against configs that would allocate huge windows. */
export const MAX_FEATURE_PERIOD = 10_000;

/** Indicator families the extractor computes; each maps to a list of periods (candles). */
export const FeatureKind = {
  Sma: 'sma',
  Ema: 'ema',
  Rsi: 'rsi',
  Atr: 'atr',
  Donchian: 'donchian',
  Stddev: 'stddev',
} as const;
export type FeatureKind = (typeof FeatureKind)[keyof typeof FeatureKind];

/** Every feature kind, in a fixed order. */
export const FEATURE_KINDS: readonly FeatureKind[] = Object.freeze(Object.values(FeatureKind));

/**
 * Periods (in candles) requested per indicator family. Omitted families compute nothing.
 * Invariant (checked by {@link normalizeFeatureConfig}): every period is an integer in 1..{@link MAX_FEATURE_PERIOD}.
 */
export interface FeatureConfig {
  /** Simple moving averages of close. */
  readonly sma?: readonly number[];
  /** Exponential moving averages of close (weight 2/(n+1)). */
  readonly ema?: readonly number[];
  /** Wilder RSI of close. */
  readonly rsi?: readonly number[];
  /** Wilder average true range. */
  readonly atr?: readonly number[];
  /** Donchian channel (highest high / lowest low of the previous n candles). */
  readonly donchian?: readonly number[];
  /** Rolling population standard deviation of close (Bollinger bands' width unit). */
  readonly stddev?: readonly number[];
}

/** A {@link FeatureConfig} with every family present, periods ascending and unique, deeply frozen. */
export type NormalizedFeatureConfig = { readonly [K in FeatureKind]: readonly number[] };

/** Anything that declares the feature columns it reads (every strategy adapter does). */
export interface FeatureConsumer {
  readonly features: FeatureConfig;
}

/**
 * Validates and normalises a feature config: sorts and deduplicates periods and freezes the result.
 * @throws ValidationError naming the family (e.g. `sma[1]`) when a period is not an integer in 1..MAX_FEATURE_PERIOD.
 */
export function normalizeFeatureConfig(config: FeatureConfig): NormalizedFeatureConfig {
  const out = {} as Record<FeatureKind, readonly number[]>;
  for (const kind of FEATURE_KINDS) {
    const periods = config[kind] ?? [];
    periods.forEach((period, index) => {
      if (!Number.isInteger(period) || period < 1 || period > MAX_FEATURE_PERIOD) {
        throw new ValidationError(
          `${kind}[${index}]`,
          period,
          `${kind} period (${String(period)}) must be an integer in 1..${MAX_FEATURE_PERIOD}`,
        );
      }
    });
    out[kind] = Object.freeze([...new Set(periods)].sort((a, b) => a - b));
  }
  return Object.freeze(out);
}

/**
 * Merges the feature requirements of several consumers (strategy adapters) into one normalised config.
 * @throws ValidationError when any requested period is invalid.
 */
export function featureConfigFor(consumers: readonly FeatureConsumer[]): NormalizedFeatureConfig {
  const merged: Record<FeatureKind, number[]> = { sma: [], ema: [], rsi: [], atr: [], donchian: [], stddev: [] };
  for (const consumer of consumers) {
    for (const kind of FEATURE_KINDS) {
      const periods = consumer.features[kind];
      if (periods) merged[kind].push(...periods);
    }
  }
  return normalizeFeatureConfig(merged);
}
