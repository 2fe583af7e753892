/**
 * Binary logistic regression: P(y = 1 | x) = sigmoid(z . w + b) on standardised features z, trained
 * by the same deterministic mini-batch gradient descent as the softmax model (one output).
 */
import type { LinearModel } from './linear-model';
import type { GradientDescentOptions, TrainingData } from './gradient-descent-options';
import { trainByGradientDescent } from './train-softmax-regression';

/**
 * Trains a logistic regression; `data.y` holds 0 or 1.
 * @throws ValidationError for bad sizes, a label other than 0/1, non-finite features or bad options.
 */
export function trainLogisticRegression(data: TrainingData, options: GradientDescentOptions = {}): LinearModel {
  return trainByGradientDescent(data, 1, options);
}
