/**
 * Trains one model kind on a dataset with walk-forward validation: each fold's model trains on the
 * past only (see `walkForwardSplits`) and is scored on its block; the metrics pool the out-of-sample
 * predictions of every fold. The returned model is then trained on every row.
 *
 * Model per kind: intent veto = logistic regression, regime = softmax regression over 3 classes,
 * volatility and stop distance = ridge regression.
 */
import { ValidationError } from '../core/errors';
import { subsetDataset, walkForwardSplits, type Dataset, type TimeSplit } from './dataset';
import { predictLinearModel, type LinearModel } from './linear-model';
import { logLoss, macroOneVsRestAuc, meanAbsoluteError, multiclassAccuracy, multiclassLogLoss, rocAuc } from './ml-metrics';
import { ModelKind } from '../ports/model-kind';
import type { GradientDescentOptions } from './gradient-descent-options';
import { trainLogisticRegression } from './train-logistic-regression';
import { trainRidgeRegression } from './train-ridge-regression';
import { trainSoftmaxRegression } from './train-softmax-regression';

/** Number of regime classes. */
export const REGIME_CLASSES = 3;

/** Training settings. */
export interface ModelTrainingOptions {
  /** Walk-forward folds, integer 1..50. */
  folds: number;
  /** PRNG seed for the gradient-descent models. */
  seed: number;
  /** Overrides for gradient descent (epochs, learning rate...). */
  gradientDescent?: Omit<GradientDescentOptions, 'seed'>;
  /** Ridge L2 penalty. */
  ridgeL2?: number;
  /** Called after each fold with (finished folds, total folds). */
  onFold?: (done: number, total: number) => void | Promise<void>;
  /** Checked between folds; an aborted signal stops training with its reason. */
  signal?: AbortSignal;
}

/** One walk-forward fold's time windows and scores. */
export interface FoldReport extends Omit<TimeSplit, 'train' | 'validation'> {
  trainRows: number;
  validationRows: number;
  metrics: Record<string, number>;
}

export interface TrainedModel {
  kind: ModelKind;
  model: LinearModel;
  /** Pooled out-of-sample metrics (classifiers: auc, logLoss, ...; regressors: mae, ...) plus row counts. */
  metrics: Record<string, number>;
  folds: FoldReport[];
}

function fit(kind: ModelKind, data: Dataset, options: ModelTrainingOptions): LinearModel {
  const gd = { ...options.gradientDescent, seed: options.seed };
  switch (kind) {
    case ModelKind.IntentVeto:
      return trainLogisticRegression(data, gd);
    case ModelKind.Regime:
      return trainSoftmaxRegression(data, REGIME_CLASSES, gd);
    case ModelKind.Volatility:
    case ModelKind.StopDistance:
      return trainRidgeRegression(data, { l2: options.ridgeL2 });
  }
}

/**
 * The naive forecast a fold's model must beat, from its training labels only: the base rate
 * (intent veto), the class frequencies (regime) or the mean (regressors), for every validation row.
 */
function baselinePredictions(kind: ModelKind, trainLabels: Float64Array, rows: number): Float64Array {
  if (kind === ModelKind.Regime) {
    const prior = new Float64Array(REGIME_CLASSES);
    for (const c of trainLabels) prior[c] += 1 / trainLabels.length;
    const out = new Float64Array(rows * REGIME_CLASSES);
    for (let r = 0; r < rows; r++) out.set(prior, r * REGIME_CLASSES);
    return out;
  }
  const mean = trainLabels.reduce((s, v) => s + v, 0) / trainLabels.length;
  return new Float64Array(rows).fill(mean);
}

/** Scores a kind's predictions (and the baseline's) against labels. */
function score(kind: ModelKind, labels: Float64Array, predictions: Float64Array, baseline: Float64Array): Record<string, number> {
  switch (kind) {
    case ModelKind.IntentVeto:
      return {
        auc: rocAuc(labels, predictions),
        logLoss: logLoss(labels, predictions),
        baselineLogLoss: logLoss(labels, baseline),
        positiveRate: labels.reduce((s, v) => s + v, 0) / labels.length,
      };
    case ModelKind.Regime:
      return {
        auc: macroOneVsRestAuc(labels, predictions, REGIME_CLASSES),
        logLoss: multiclassLogLoss(labels, predictions, REGIME_CLASSES),
        baselineLogLoss: multiclassLogLoss(labels, baseline, REGIME_CLASSES),
        accuracy: multiclassAccuracy(labels, predictions, REGIME_CLASSES),
      };
    case ModelKind.Volatility:
    case ModelKind.StopDistance:
      return { mae: meanAbsoluteError(labels, predictions), baselineMae: meanAbsoluteError(labels, baseline) };
  }
}

/**
 * Walk-forward validation, then a final fit on every row.
 * @throws ValidationError for too few rows or bad options; the abort reason when `signal` aborts.
 */
export async function trainModel(kind: ModelKind, dataset: Dataset, options: ModelTrainingOptions): Promise<TrainedModel> {
  if (!Number.isInteger(options.seed)) throw new ValidationError('seed', options.seed, 'must be an integer');
  const splits = walkForwardSplits(dataset, options.folds);
  const pooledLabels: number[] = [];
  const pooledPredictions: number[] = [];
  const pooledBaseline: number[] = [];
  const folds: FoldReport[] = [];
  for (const [j, split] of splits.entries()) {
    options.signal?.throwIfAborted();
    const train = subsetDataset(dataset, split.train);
    const validation = subsetDataset(dataset, split.validation);
    const model = fit(kind, train, options);
    const predictions = predictLinearModel(model, validation.x, validation.rows);
    for (const v of validation.y) pooledLabels.push(v);
    const baseline = baselinePredictions(kind, train.y, validation.rows);
    for (const p of predictions) pooledPredictions.push(p);
    for (const p of baseline) pooledBaseline.push(p);
    const { train: _t, validation: _v, ...windows } = split;
    folds.push({ ...windows, trainRows: train.rows, validationRows: validation.rows, metrics: score(kind, validation.y, predictions, baseline) });
    await options.onFold?.(j + 1, splits.length);
  }
  options.signal?.throwIfAborted();
  const model = fit(kind, dataset, options);
  const metrics = {
    ...score(kind, Float64Array.from(pooledLabels), Float64Array.from(pooledPredictions), Float64Array.from(pooledBaseline)),
    validationRows: pooledLabels.length,
    trainRows: dataset.rows,
    folds: splits.length,
  };
  return { kind, model, metrics, folds };
}
