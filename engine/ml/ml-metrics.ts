/**
 * Validation metrics for the ML models: ROC AUC and log loss for classifiers, MAE for regressors.
 * Exact implementations over plain arrays (no sampling, no binning).
 */

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] in log loss so a confident miss costs ~34.5, not Infinity. */
export const LOG_LOSS_EPSILON = 1e-15;

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} labels but ${b.length} predictions`);
  if (a.length === 0) throw new RangeError(`${what}: no rows`);
}

/**
 * Area under the ROC curve by ranks (the Mann-Whitney U statistic / (positives x negatives)):
 * sort scores, give tied scores their average rank, sum the ranks of the positives.
 * Equals the probability that a random positive scores above a random negative, ties counting 1/2.
 * @param labels 1 = positive, 0 = negative (anything > 0.5 counts as positive).
 * @returns AUC in 0..1, or NaN when all labels are of one class.
 * @throws RangeError when lengths differ or are zero.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkLengths(labels, scores, 'rocAuc');
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks start+1..end, 1-based
    for (let k = start; k < end; k++) {
      if (labels[order[k]] > 0.5) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Mean binary cross-entropy: -mean(y ln p + (1 - y) ln(1 - p)), natural log, p clipped by {@link LOG_LOSS_EPSILON}.
 * @throws RangeError when lengths differ or are zero.
 */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkLengths(labels, probabilities, 'logLoss');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, probabilities[i]));
    sum -= labels[i] > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

/**
 * Mean categorical cross-entropy: -mean(ln p[row, label]), p clipped by {@link LOG_LOSS_EPSILON}.
 * @param labels class index per row, 0..classes-1.
 * @param probabilities row-major, `labels.length x classes`.
 * @throws RangeError for a label outside 0..classes-1 or a size mismatch.
 */
export function multiclassLogLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>, classes: number): number {
  if (probabilities.length !== labels.length * classes) {
    throw new RangeError(`multiclassLogLoss: ${labels.length} labels x ${classes} classes but ${probabilities.length} probabilities`);
  }
  if (labels.length === 0) throw new RangeError('multiclassLogLoss: no rows');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) throw new RangeError(`multiclassLogLoss: label ${c} at row ${i} is not a class in 0..${classes - 1}`);
    sum -= Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, probabilities[i * classes + c])));
  }
  return sum / labels.length;
}

/**
 * Macro one-vs-rest AUC: the mean over classes of {@link rocAuc}(label == c, p[c]), skipping classes
 * absent from (or the only class in) `labels`. NaN when no class qualifies.
 */
export function macroOneVsRestAuc(labels: ArrayLike<number>, probabilities: ArrayLike<number>, classes: number): number {
  let sum = 0;
  let counted = 0;
  for (let c = 0; c < classes; c++) {
    const y = Float64Array.from(labels, (l) => (l === c ? 1 : 0));
    const s = Float64Array.from({ length: labels.length }, (_, i) => probabilities[i * classes + c]);
    const auc = rocAuc(y, s);
    if (!Number.isNaN(auc)) {
      sum += auc;
      counted++;
    }
  }
  return counted === 0 ? NaN : sum / counted;
}

/** Share of rows whose highest-probability class equals the label (first class wins ties). */
export function multiclassAccuracy(labels: ArrayLike<number>, probabilities: ArrayLike<number>, classes: number): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    if (best === labels[i]) hits++;
  }
  return labels.length === 0 ? NaN : hits / labels.length;
}

/**
 * Mean absolute error: mean(|y - prediction|), in the target's unit.
 * @throws RangeError when lengths differ or are zero.
 */
export function meanAbsoluteError(targets: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkLengths(targets, predictions, 'meanAbsoluteError');
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += Math.abs(targets[i] - predictions[i]);
  return sum / targets.length;
}
