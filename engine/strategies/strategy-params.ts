/**
 * Parameter schemas shared by the built-in strategies (and usable by strategy files): an indicator
 * period, a positive multiple and an RSI level, each with its default and range.
 */
import { z } from 'zod';
import { MAX_FEATURE_PERIOD } from '../features/feature-config';

/** An indicator period in candles: an integer in 1..{@link MAX_FEATURE_PERIOD}, default `value`. */
export function periodParam(value: number) {
  return z
    .number({ error: 'expected a number' })
    .int(`must be an integer in 1..${MAX_FEATURE_PERIOD}`)
    .min(1, `must be an integer in 1..${MAX_FEATURE_PERIOD}`)
    .max(MAX_FEATURE_PERIOD, `must be an integer in 1..${MAX_FEATURE_PERIOD}`)
    .default(value);
}

/** A finite multiple > 0 (e.g. a stop distance in ATRs), default `value`. */
export function multipleParam(value: number) {
  return z.number({ error: 'expected a number' }).finite('must be a finite number > 0').positive('must be a finite number > 0').default(value);
}

/** An RSI level in RSI points, above 0 and below 100, default `value`. */
export function rsiLevelParam(value: number) {
  return z.number({ error: 'expected a number' }).gt(0, 'must be above 0 and below 100').lt(100, 'must be above 0 and below 100').default(value);
}
