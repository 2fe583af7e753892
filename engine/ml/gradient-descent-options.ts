/**
 * Settings shared by the gradient-descent trainers (logistic and softmax regression).
 */
import { ValidationError } from '../core/errors';

/** Mini-batch gradient descent settings. All optional; defaults in {@link DEFAULT_GRADIENT_DESCENT}. */
export interface GradientDescentOptions {
  /** Passes over the training rows (integer >= 1). */
  epochs?: number;
  /** Step size on standardised features (> 0). */
  learningRate?: number;
  /** Rows per step (integer >= 1); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** L2 penalty on the weights (not the bias), >= 0. */
  l2?: number;
  /** PRNG seed: initial weights and the per-epoch row order. Same seed + data = same model, bit for bit. */
  seed?: number;
}

export const DEFAULT_GRADIENT_DESCENT: Required<GradientDescentOptions> = {
  epochs: 60,
  learningRate: 0.05,
  batchSize: 128,
  l2: 1e-3,
  seed: 1,
};

/** Fills defaults and validates. @throws ValidationError naming the bad option. */
export function resolveGradientDescent(options: GradientDescentOptions = {}): Required<GradientDescentOptions> {
  const o = { ...DEFAULT_GRADIENT_DESCENT, ...options };
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new ValidationError('epochs', o.epochs, 'must be an integer >= 1');
  if (!(o.learningRate > 0 && Number.isFinite(o.learningRate))) throw new ValidationError('learningRate', o.learningRate, 'must be a finite number > 0');
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new ValidationError('batchSize', o.batchSize, 'must be an integer >= 1');
  if (!(o.l2 >= 0 && Number.isFinite(o.l2))) throw new ValidationError('l2', o.l2, 'must be a finite number >= 0');
  if (!Number.isInteger(o.seed)) throw new ValidationError('seed', o.seed, 'must be an integer');
  return o;
}

/** Training data: `rows x featureNames.length` row-major features and one target per row. */
export interface TrainingData {
  readonly featureNames: readonly string[];
  readonly rows: number;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** @throws ValidationError when the sizes disagree or there are no rows. */
export function checkTrainingData(data: TrainingData): void {
  const f = data.featureNames.length;
  if (data.rows < 1) throw new ValidationError('rows', data.rows, 'training needs at least one row');
  if (f < 1) throw new ValidationError('featureNames', data.featureNames, 'training needs at least one feature');
  if (data.x.length !== data.rows * f) throw new ValidationError('x', data.x.length, `expected ${data.rows} rows x ${f} features`);
  if (data.y.length !== data.rows) throw new ValidationError('y', data.y.length, `expected ${data.rows} targets`);
  for (let i = 0; i < data.rows; i++) {
    if (!Number.isFinite(data.y[i])) throw new ValidationError(`y[${i}]`, data.y[i], 'targets must be finite');
  }
}
