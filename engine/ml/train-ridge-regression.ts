/**
 * Ridge (L2-penalised least-squares) regression in closed form on standardised features:
 * minimises mean((y - z.w - b)^2) + l2 |w|^2, so (Z'Z / n + l2 I) w = Z'(y - mean(y)) / n and
 * b = mean(y) (standardised columns have zero mean). Solved by Cholesky; deterministic, no PRNG.
 */
import { ValidationError } from '../core/errors';
import { LinearModelType, fitStandardization, standardize, type LinearModel } from './linear-model';
import { checkTrainingData, type TrainingData } from './gradient-descent-options';

/** Ridge settings: `l2` > 0 keeps the system positive definite even with a constant feature. */
export interface RidgeOptions {
  l2?: number;
}

export const DEFAULT_RIDGE_L2 = 1e-3;

/**
 * Trains a ridge regression on `data` (continuous targets).
 * @throws ValidationError for bad sizes, non-finite values or `l2 <= 0`.
 */
export function trainRidgeRegression(data: TrainingData, options: RidgeOptions = {}): LinearModel {
  checkTrainingData(data);
  const l2 = options.l2 ?? DEFAULT_RIDGE_L2;
  if (!(l2 > 0 && Number.isFinite(l2))) throw new ValidationError('l2', l2, 'must be a finite number > 0');
  const n = data.rows;
  const features = data.featureNames.length;
  const standardization = fitStandardization(data.x, n, features);
  const z = standardize(data.x, n, standardization);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += data.y[i];
  yMean /= n;
  const a = new Float64Array(features * features);
  const rhs = new Float64Array(features);
  for (let r = 0; r < n; r++) {
    const base = r * features;
    const yc = data.y[r] - yMean;
    for (let i = 0; i < features; i++) {
      const zi = z[base + i];
      rhs[i] += zi * yc;
      for (let j = 0; j <= i; j++) a[i * features + j] += zi * z[base + j];
    }
  }
  for (let i = 0; i < features; i++) {
    rhs[i] /= n;
    for (let j = 0; j <= i; j++) {
      a[i * features + j] /= n;
      a[j * features + i] = a[i * features + j];
    }
    a[i * features + i] += l2;
  }
  const weights = solveCholesky(a, rhs, features);
  return {
    type: LinearModelType.Linear,
    featureNames: [...data.featureNames],
    mean: standardization.mean,
    scale: standardization.scale,
    weights,
    bias: Float64Array.of(yMean),
    outputs: 1,
  };
}

/**
 * Solves A x = b for a symmetric positive-definite `m x m` A (row-major) by Cholesky A = L L'.
 * @throws RangeError when A is not positive definite.
 */
export function solveCholesky(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`matrix is not positive definite (pivot ${i} = ${s})`);
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j];
      }
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * y[k];
    y[i] = s / l[i * m + i];
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < m; k++) s -= l[k * m + i] * x[k];
    x[i] = s / l[i * m + i];
  }
  return x;
}
