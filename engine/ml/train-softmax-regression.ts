/**
 * Multinomial logistic (softmax) regression by deterministic mini-batch gradient descent on
 * standardised features, and binary logistic regression as its one-output case. The loss is the
 * mean cross-entropy plus `l2 * |W|^2 / 2`; each epoch visits the rows in a seeded shuffled order.
 */
import { ValidationError } from '../core/errors';
import { LinearModelType, fitStandardization, sigmoid, softmaxInPlace, standardize, type LinearModel } from './linear-model';
import { createMulberry32, shuffleInPlace } from './prng';
import { checkTrainingData, resolveGradientDescent, type GradientDescentOptions, type TrainingData } from './gradient-descent-options';

/**
 * Shared gradient-descent core. `outputs === 1` trains a sigmoid on y in {0, 1}; otherwise a
 * softmax over `outputs` classes with y the class index.
 */
export function trainByGradientDescent(data: TrainingData, outputs: number, options: GradientDescentOptions): LinearModel {
  checkTrainingData(data);
  const o = resolveGradientDescent(options);
  const n = data.rows;
  const features = data.featureNames.length;
  const k = outputs;
  for (let i = 0; i < n; i++) {
    const y = data.y[i];
    const ok = k === 1 ? y === 0 || y === 1 : Number.isInteger(y) && y >= 0 && y < k;
    if (!ok) throw new ValidationError(`y[${i}]`, y, k === 1 ? 'binary labels must be 0 or 1' : `class labels must be integers in 0..${k - 1}`);
  }
  const standardization = fitStandardization(data.x, n, features);
  const z = standardize(data.x, n, standardization);
  const prng = createMulberry32(o.seed);
  const weights = new Float64Array(features * k);
  for (let j = 0; j < weights.length; j++) weights[j] = (prng.next() - 0.5) * 0.02;
  const bias = new Float64Array(k);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const gradW = new Float64Array(features * k);
  const gradB = new Float64Array(k);
  const logits = new Float64Array(k);

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    shuffleInPlace(order, prng);
    for (let start = 0; start < n; start += o.batchSize) {
      const end = Math.min(n, start + o.batchSize);
      gradW.fill(0);
      gradB.fill(0);
      for (let b = start; b < end; b++) {
        const r = order[b];
        const base = r * features;
        for (let c = 0; c < k; c++) {
          let s = bias[c];
          for (let f = 0; f < features; f++) s += z[base + f] * weights[f * k + c];
          logits[c] = s;
        }
        if (k === 1) logits[0] = sigmoid(logits[0]) - data.y[r];
        else {
          softmaxInPlace(logits, 0, k);
          logits[data.y[r]] -= 1;
        }
        for (let c = 0; c < k; c++) {
          const err = logits[c];
          gradB[c] += err;
          for (let f = 0; f < features; f++) gradW[f * k + c] += err * z[base + f];
        }
      }
      const step = o.learningRate / (end - start);
      for (let j = 0; j < weights.length; j++) weights[j] -= step * gradW[j] + o.learningRate * o.l2 * weights[j];
      for (let c = 0; c < k; c++) bias[c] -= step * gradB[c];
    }
  }
  // A feature that never varied in training carries no information: give it no weight.
  for (let f = 0; f < features; f++) {
    if (standardization.scale[f] === 1 && isConstant(data.x, n, features, f)) for (let c = 0; c < k; c++) weights[f * k + c] = 0;
  }
  return {
    type: k === 1 ? LinearModelType.Logistic : LinearModelType.Softmax,
    featureNames: [...data.featureNames],
    mean: standardization.mean,
    scale: standardization.scale,
    weights,
    bias,
    outputs: k,
  };
}

function isConstant(x: ArrayLike<number>, rows: number, features: number, f: number): boolean {
  for (let r = 1; r < rows; r++) if (x[r * features + f] !== x[f]) return false;
  return true;
}

/**
 * Trains a softmax regression over `classes` classes (integer >= 2); `data.y` holds class indices.
 * @throws ValidationError for bad sizes, labels outside 0..classes-1, non-finite features or bad options.
 */
export function trainSoftmaxRegression(data: TrainingData, classes: number, options: GradientDescentOptions = {}): LinearModel {
  if (!Number.isInteger(classes) || classes < 2) throw new ValidationError('classes', classes, 'must be an integer >= 2');
  return trainByGradientDescent(data, classes, options);
}
