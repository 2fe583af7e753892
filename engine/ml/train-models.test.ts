import { describe, expect, it } from 'vitest';
import { foldStandardization, predictLinearModel } from './linear-model';
import { createMulberry32 } from './prng';
import { trainLogisticRegression } from './train-logistic-regression';
import { solveCholesky, trainRidgeRegression } from './train-ridge-regression';
import { trainSoftmaxRegression } from './train-softmax-regression';
import { rocAuc } from './ml-metrics';

/** Two informative features (scaled very differently) and a noise feature; y = 1 when 3 a - b/100 + noise > 0. */
function binaryData(rows: number, seed: number) {
  const prng = createMulberry32(seed);
  const x = new Float64Array(rows * 3);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = prng.next() - 0.5;
    const b = (prng.next() - 0.5) * 100;
    x.set([a, b, prng.next()], r * 3);
    y[r] = 3 * a - b / 100 + 0.3 * (prng.next() - 0.5) > 0 ? 1 : 0;
  }
  return { featureNames: ['a', 'b', 'noise'], rows, x, y };
}

describe('ridge regression', () => {
  it('matches the closed form on a hand-computed line (prediction 4 + 4 / (1 + l2) at x = 4)', () => {
    // x = 1, 2, 3; y = 2x. Standardised z = (x - 2) / s, s = sqrt(2/3); w = 2 s / (1 + l2), b = 4.
    const model = trainRidgeRegression({ featureNames: ['x'], rows: 3, x: [1, 2, 3], y: [2, 4, 6] }, { l2: 1e-3 });
    expect(model.bias[0]).toBe(4);
    expect(model.weights[0]).toBeCloseTo((2 * Math.sqrt(2 / 3)) / 1.001, 14);
    expect(predictLinearModel(model, [4], 1)[0]).toBeCloseTo(4 + 4 / 1.001, 12);
  });

  it('gives a constant feature no weight', () => {
    const model = trainRidgeRegression({ featureNames: ['x', 'c'], rows: 3, x: [1, 5, 2, 5, 3, 5], y: [1, 2, 3] });
    expect(model.weights[1]).toBe(0);
  });

  it('solves a 2x2 system by Cholesky ([[4, 2], [2, 3]] x = [2, 1] -> [0.5, 0])', () => {
    expect(Array.from(solveCholesky(Float64Array.of(4, 2, 2, 3), Float64Array.of(2, 1), 2))).toEqual([0.5, 0]);
  });

  it('rejects a non-positive penalty', () => {
    expect(() => trainRidgeRegression({ featureNames: ['x'], rows: 1, x: [1], y: [1] }, { l2: 0 })).toThrow('field "l2" was 0: must be a finite number > 0');
  });
});

describe('logistic regression', () => {
  it('learns a separable rule through standardisation (validation AUC above 0.97)', () => {
    const train = binaryData(2000, 1);
    const test = binaryData(500, 2);
    const model = trainLogisticRegression(train, { seed: 5 });
    const p = predictLinearModel(model, test.x, test.rows);
    expect(rocAuc(test.y, p)).toBeGreaterThan(0.97);
    // The informative weights have the generating signs: + for a, - for b.
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(model.weights[1]).toBeLessThan(0);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const data = binaryData(300, 3);
    const a = trainLogisticRegression(data, { seed: 11, epochs: 5 });
    const b = trainLogisticRegression(data, { seed: 11, epochs: 5 });
    const c = trainLogisticRegression(data, { seed: 12, epochs: 5 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(Array.from(a.weights)).not.toEqual(Array.from(c.weights));
  });

  it('rejects labels other than 0 and 1, naming the row', () => {
    expect(() => trainLogisticRegression({ featureNames: ['x'], rows: 2, x: [1, 2], y: [0, 2] })).toThrow('field "y[1]" was 2: binary labels must be 0 or 1');
  });

  it('folding the standardisation into the weights gives the same logits', () => {
    const data = binaryData(200, 4);
    const model = trainLogisticRegression(data, { seed: 1, epochs: 3 });
    const folded = foldStandardization(model);
    const row = [0.25, -20, 0.5];
    const logit = row.reduce((s, v, f) => s + v * folded.weights[f], folded.bias[0]);
    expect(1 / (1 + Math.exp(-logit))).toBeCloseTo(predictLinearModel(model, row, 1)[0], 14);
  });
});

describe('softmax regression', () => {
  it('separates three classes by the sign and size of one feature', () => {
    const prng = createMulberry32(9);
    const rows = 1500;
    const x = new Float64Array(rows * 2);
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const v = prng.next() * 3 - 1.5;
      x.set([v, prng.next()], r * 2);
      y[r] = v > 0.5 ? 0 : v < -0.5 ? 1 : 2;
    }
    const model = trainSoftmaxRegression({ featureNames: ['v', 'noise'], rows, x, y }, 3, { seed: 2, epochs: 200, learningRate: 0.5 });
    const p = predictLinearModel(model, [1.4, 0.5, -1.4, 0.5, 0, 0.5], 3);
    const argmax = (r: number) => [0, 1, 2].reduce((best, c) => (p[r * 3 + c] > p[r * 3 + best] ? c : best), 0);
    expect([argmax(0), argmax(1), argmax(2)]).toEqual([0, 1, 2]);
    for (let r = 0; r < 3; r++) expect(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2]).toBeCloseTo(1, 12);
  });

  it('rejects fewer than two classes', () => {
    expect(() => trainSoftmaxRegression({ featureNames: ['x'], rows: 1, x: [1], y: [0] }, 1)).toThrow('field "classes" was 1: must be an integer >= 2');
  });
});
