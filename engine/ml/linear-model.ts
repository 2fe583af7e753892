/**
 * The one model family this project trains: a linear map of standardised features, followed by a
 * sigmoid (binary logistic regression), a softmax (multinomial logistic regression) or nothing
 * (ridge regression). Small, exact, and exportable to ONNX as MatMul + Add (+ Sigmoid / Softmax).
 *
 * Inputs are row-major matrices: `x[row * features + f]`.
 */
import { ValidationError } from '../core/errors';

export const LinearModelType = { Logistic: 'logistic', Softmax: 'softmax', Linear: 'linear' } as const;
export type LinearModelType = (typeof LinearModelType)[keyof typeof LinearModelType];

/**
 * A trained linear model. Invariants: `mean.length === scale.length === featureNames.length = F`,
 * every scale > 0, `weights.length === F * outputs` (row-major F x outputs, on standardised inputs),
 * `bias.length === outputs`; `outputs` is 1 for logistic and linear, the class count for softmax.
 */
export interface LinearModel {
  readonly type: LinearModelType;
  readonly featureNames: readonly string[];
  /** Per-feature training mean; standardised z = (x - mean) / scale. */
  readonly mean: Float64Array;
  /** Per-feature training standard deviation (population); 1 for a constant feature. */
  readonly scale: Float64Array;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly outputs: number;
}

/** Per-feature mean and population standard deviation (1 when a feature is constant). */
export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
}

/**
 * Fits feature standardisation on `rows` rows of `x`.
 * @throws ValidationError when there are no rows or a value is not finite (naming row and feature).
 */
export function fitStandardization(x: ArrayLike<number>, rows: number, features: number): Standardization {
  if (rows < 1) throw new ValidationError('rows', rows, 'standardisation needs at least one row');
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const v = x[r * features + f];
      if (!Number.isFinite(v)) throw new ValidationError(`x[${r}][${f}]`, v, 'training features must be finite');
      mean[f] += v;
    }
  }
  for (let f = 0; f < features; f++) mean[f] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const d = x[r * features + f] - mean[f];
      scale[f] += d * d;
    }
  }
  for (let f = 0; f < features; f++) {
    const sd = Math.sqrt(scale[f] / rows);
    scale[f] = sd > 1e-12 ? sd : 1;
  }
  return { mean, scale };
}

/** Row-major standardised copy of `x`. */
export function standardize(x: ArrayLike<number>, rows: number, s: Standardization): Float64Array {
  const features = s.mean.length;
  const z = new Float64Array(rows * features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) z[r * features + f] = (x[r * features + f] - s.mean[f]) / s.scale[f];
  }
  return z;
}

/** In-place numerically stable softmax of `v[offset .. offset + k)`. */
export function softmaxInPlace(v: Float64Array, offset: number, k: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (v[offset + c] > max) max = v[offset + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(v[offset + c] - max);
    v[offset + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) v[offset + c] /= sum;
}

/** Logistic sigmoid 1 / (1 + e^-z), written to avoid overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Predicts `rows` rows of raw (unstandardised) features `x`. Float64 throughout.
 * @returns row-major `rows x model.outputs`: P(positive) for logistic, class probabilities for softmax, the value for linear.
 * @throws ValidationError when `x.length !== rows * features`.
 */
export function predictLinearModel(model: LinearModel, x: ArrayLike<number>, rows: number): Float64Array {
  const features = model.featureNames.length;
  if (x.length !== rows * features) {
    throw new ValidationError('x', x.length, `expected ${rows} rows x ${features} features = ${rows * features} values`);
  }
  const k = model.outputs;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      let z = model.bias[c];
      for (let f = 0; f < features; f++) z += ((x[r * features + f] - model.mean[f]) / model.scale[f]) * model.weights[f * k + c];
      out[r * k + c] = z;
    }
    if (model.type === LinearModelType.Logistic) out[r] = sigmoid(out[r]);
    else if (model.type === LinearModelType.Softmax) softmaxInPlace(out, r * k, k);
  }
  return out;
}

/**
 * The same affine map on raw features: weights' = weights / scale (per feature row) and
 * bias' = bias - sum_f mean_f * weights'_f, so `x * weights' + bias'` equals the standardised logits.
 * This is what the ONNX export stores.
 */
export function foldStandardization(model: LinearModel): { weights: Float64Array; bias: Float64Array } {
  const features = model.featureNames.length;
  const k = model.outputs;
  const weights = new Float64Array(features * k);
  const bias = Float64Array.from(model.bias);
  for (let f = 0; f < features; f++) {
    for (let c = 0; c < k; c++) {
      const w = model.weights[f * k + c] / model.scale[f];
      weights[f * k + c] = w;
      bias[c] -= model.mean[f] * w;
    }
  }
  return { weights, bias };
}
