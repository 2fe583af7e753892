/**
 * Overfitting guards for strategy research: after trying many configurations, how much should the
 * trader trust the best one?
 *
 * - Probability of backtest overfitting (PBO) by combinatorially symmetric cross-validation (CSCV):
 *   D. H. Bailey, J. M. Borwein, M. López de Prado, Q. J. Zhu, "The Probability of Backtest
 *   Overfitting", Journal of Computational Finance 20(4), 2017 (working paper 2014, SSRN 2326253).
 * - Deflated Sharpe ratio (DSR): D. H. Bailey, M. López de Prado, "The Deflated Sharpe Ratio:
 *   Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio
 *   Management 40(5), 2014, 94–107 (SSRN 2460551).
 */
import { ValidationError } from '../core/errors';
import { inverseNormalCdf, normalCdf } from './normal-distribution';

/**
 * A T×N performance matrix: T time slices (rows) of per-period returns for N trials (columns, one
 * per configuration tried). Either
 * - `number[][]`, row-major: `matrix[t][n]` is trial n's return in slice t, every row of length N; or
 * - `{ values, slices, trials }` with a column-major `Float64Array`: trial n's return in slice t is
 *   `values[n * slices + t]`, so each trial's series is contiguous (`values.length === slices * trials`).
 * Returns are per period (e.g. daily), not annualised; every value must be finite.
 */
export type PerformanceMatrix =
  | readonly (readonly number[])[]
  | { readonly values: Float64Array; readonly slices: number; readonly trials: number };

/** How a PBO reads for a trader. */
export const OverfittingLevel = { Low: 'low', Elevated: 'elevated', LikelyOverfit: 'likely-overfit' } as const;
export type OverfittingLevel = (typeof OverfittingLevel)[keyof typeof OverfittingLevel];

/** One CSCV split: which slice groups were in-sample, the trial chosen there and how it fared out-of-sample. */
export interface CscvSplit {
  /** Indexes (0-based, ascending) of the S/2 row groups used in-sample; the rest were out-of-sample. */
  readonly inSampleGroups: readonly number[];
  /** Column of the trial with the best in-sample Sharpe (lowest column on a tie). */
  readonly chosenTrial: number;
  /** The chosen trial's in-sample per-period Sharpe (mean / sample standard deviation). */
  readonly inSampleSharpe: number;
  /** The chosen trial's out-of-sample per-period Sharpe. */
  readonly outOfSampleSharpe: number;
  /** ω = rank/(N+1), the chosen trial's out-of-sample rank among all N (1 worst, N best; ties share the mid-rank). */
  readonly relativeRank: number;
  /** λ = ln(ω/(1−ω)); λ <= 0 means the in-sample winner was at or below the out-of-sample median. */
  readonly logit: number;
}

/** Result of {@link probabilityOfBacktestOverfitting}. */
export interface BacktestOverfitting {
  /** PBO: share of splits whose in-sample winner had λ <= 0 out-of-sample, in [0, 1]. */
  readonly probability: number;
  /** Number of splits, C(S, S/2). */
  readonly combinationCount: number;
  /** λ of every split, in the order of {@link BacktestOverfitting.splits}. */
  readonly logits: readonly number[];
  /** Every split, in lexicographic order of `inSampleGroups`. */
  readonly splits: readonly CscvSplit[];
  /** Performance degradation: the chosen trial's in-sample vs out-of-sample Sharpe per split, in split order (for a scatter plot). */
  readonly degradation: readonly { readonly inSampleSharpe: number; readonly outOfSampleSharpe: number }[];
  /**
   * Slope of the least-squares line of out-of-sample on in-sample Sharpe over the splits (the paper's
   * degradation regression): near or below 0 means a better backtest does not predict a better future.
   * Null when it is undefined (an infinite Sharpe, or every in-sample Sharpe equal).
   */
  readonly degradationSlope: number | null;
  /** Share of splits whose chosen trial lost money out-of-sample (out-of-sample Sharpe < 0), in [0, 1]. */
  readonly probabilityOfLoss: number;
  /** Plain-language reading. */
  readonly verdict: { readonly level: OverfittingLevel; readonly message: string };
}

/** Settings for {@link probabilityOfBacktestOverfitting}. */
export interface CscvConfig {
  /** S, the number of contiguous row groups: even, 2..{@link MAX_CSCV_PARTITIONS}, dividing T into groups of at least 2 rows. */
  readonly partitions: number;
}

/** Largest S accepted: C(20, 10) = 184 756 splits. */
export const MAX_CSCV_PARTITIONS = 20;

interface MatrixView {
  readonly slices: number;
  readonly trials: number;
  at(slice: number, trial: number): number;
}

function viewMatrix(matrix: PerformanceMatrix): MatrixView {
  if (Array.isArray(matrix)) {
    const rows = matrix as readonly (readonly number[])[];
    const trials = rows.length > 0 && Array.isArray(rows[0]) ? rows[0].length : 0;
    rows.forEach((row, index) => {
      if (!Array.isArray(row) || row.length !== trials) {
        throw new ValidationError(`matrix[${index}]`, Array.isArray(row) ? `${row.length} columns` : row, `every row must have the ${trials} columns of row 0`);
      }
    });
    return { slices: rows.length, trials, at: (slice, trial) => rows[slice][trial] };
  }
  const { values, slices, trials } = matrix as { values: Float64Array; slices: number; trials: number };
  if (!(values instanceof Float64Array)) throw new ValidationError('matrix.values', typeof values, 'must be a Float64Array');
  if (!Number.isInteger(slices) || slices < 0) throw new ValidationError('matrix.slices', slices, 'must be a non-negative integer');
  if (!Number.isInteger(trials) || trials < 0) throw new ValidationError('matrix.trials', trials, 'must be a non-negative integer');
  if (values.length !== slices * trials) {
    throw new ValidationError('matrix.values', `length ${values.length}`, `must hold slices × trials = ${slices} × ${trials} = ${slices * trials} values`);
  }
  return { slices, trials, at: (slice, trial) => values[trial * slices + slice] };
}

/** Count, mean and sum of squared deviations of a sample (Welford / Chan et al. form, numerically stable). */
interface Moments {
  count: number;
  mean: number;
  squaredDeviations: number;
}

function mergeInto(target: Moments, other: Moments): void {
  const count = target.count + other.count;
  const delta = other.mean - target.mean;
  target.mean += (delta * other.count) / count;
  target.squaredDeviations += other.squaredDeviations + (delta * delta * target.count * other.count) / count;
  target.count = count;
}

/** Per-period Sharpe of a sample: mean / sample standard deviation; ±Infinity for a constant non-zero series, 0 for all zeros. */
function sharpeOf(moments: Moments): number {
  const deviation = Math.sqrt(moments.squaredDeviations / (moments.count - 1));
  if (deviation > 0) return moments.mean / deviation;
  return moments.mean > 0 ? Infinity : moments.mean < 0 ? -Infinity : 0;
}

function* halves(groupCount: number): Generator<number[]> {
  const size = groupCount / 2;
  const chosen = Array.from({ length: size }, (_, index) => index);
  for (;;) {
    yield chosen.slice();
    let position = size - 1;
    while (position >= 0 && chosen[position] === groupCount - size + position) position--;
    if (position < 0) return;
    chosen[position]++;
    for (let next = position + 1; next < size; next++) chosen[next] = chosen[next - 1] + 1;
  }
}

function leastSquaresSlope(points: readonly { readonly inSampleSharpe: number; readonly outOfSampleSharpe: number }[]): number | null {
  if (points.some((point) => !Number.isFinite(point.inSampleSharpe) || !Number.isFinite(point.outOfSampleSharpe))) return null;
  const meanX = points.reduce((sum, point) => sum + point.inSampleSharpe, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.outOfSampleSharpe, 0) / points.length;
  let covariance = 0;
  let varianceX = 0;
  for (const point of points) {
    covariance += (point.inSampleSharpe - meanX) * (point.outOfSampleSharpe - meanY);
    varianceX += (point.inSampleSharpe - meanX) ** 2;
  }
  return varianceX > 0 ? covariance / varianceX : null;
}

function describeOverfitting(probability: number, probabilityOfLoss: number): BacktestOverfitting['verdict'] {
  const percent = `${(probability * 100).toFixed(1)}%`;
  const loss = `${(probabilityOfLoss * 100).toFixed(1)}%`;
  if (probability < 0.1) {
    return {
      level: OverfittingLevel.Low,
      message: `Low risk of overfitting: the best in-sample configuration ranked at or below the out-of-sample median in ${percent} of the splits (it lost money in ${loss}). Picking the best backtest generalises to unseen data; still check that the winner makes money after costs.`,
    };
  }
  if (probability <= 0.5) {
    return {
      level: OverfittingLevel.Elevated,
      message: `Elevated risk of overfitting: the best in-sample configuration ranked at or below the out-of-sample median in ${percent} of the splits (it lost money in ${loss}). Expect live results well below the backtest; trade it small or test it on more data first.`,
    };
  }
  return {
    level: OverfittingLevel.LikelyOverfit,
    message: `Likely overfit: the best in-sample configuration ranked at or below the out-of-sample median in ${percent} of the splits (it lost money in ${loss}), worse than picking a configuration at random. Do not trade the winner on the strength of this backtest.`,
  };
}

/**
 * Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, López de Prado and Zhu, 2014/2017, section 2):
 * 1. split the T rows of the performance matrix into S contiguous groups of T/S rows;
 * 2. for each of the C(S, S/2) ways to choose S/2 groups as in-sample (the other S/2 out-of-sample),
 *    pick the trial with the best in-sample Sharpe (mean / sample standard deviation of its returns
 *    over those rows; the lowest column wins a tie);
 * 3. rank every trial by out-of-sample Sharpe (1 worst … N best, ties share the mid-rank); the chosen
 *    trial's relative rank is ω = rank/(N+1) and its logit λ = ln(ω/(1−ω));
 * 4. PBO = share of splits with λ <= 0: how often the backtest winner is at or below the median
 *    out-of-sample.
 * Per-period Sharpe units throughout (no annualisation). A constant series has Sharpe ±Infinity
 * (0 when all zero): it ranks above (below) every varying series, and constant series of the same
 * sign tie whatever their level. Cost is O(C(S, S/2) · S · N) after one pass over the matrix.
 * @param matrix T×N per-period returns; see {@link PerformanceMatrix} for the two layouts.
 * @param config `partitions` = S.
 * @throws ValidationError `partitions` when S is not an even integer in 2..20 or does not divide T
 *   into groups of at least 2 rows; `trials` when N < 2; `matrix[t][n]` when a
 *   value is not a finite number (named by time slice t and trial n in either layout); `matrix[t]` /
 *   `matrix.values` / `matrix.slices` / `matrix.trials` when the shape is inconsistent.
 */
export function probabilityOfBacktestOverfitting(matrix: PerformanceMatrix, config: CscvConfig): BacktestOverfitting {
  const view = viewMatrix(matrix);
  const { slices, trials } = view;
  const partitions = config.partitions;
  if (!Number.isInteger(partitions) || partitions < 2 || partitions % 2 !== 0 || partitions > MAX_CSCV_PARTITIONS) {
    throw new ValidationError('partitions', partitions, `must be an even integer from 2 to ${MAX_CSCV_PARTITIONS}`);
  }
  if (trials < 2) throw new ValidationError('trials', trials, 'at least 2 trials (matrix columns) are needed to rank configurations');
  if (slices % partitions !== 0 || slices / partitions < 2) {
    throw new ValidationError('partitions', partitions, `must split the ${slices} time slices into equal groups of at least 2 rows`);
  }
  const rowsPerGroup = slices / partitions;
  const groupMoments: Moments[][] = [];
  for (let group = 0; group < partitions; group++) {
    const perTrial: Moments[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const moments: Moments = { count: 0, mean: 0, squaredDeviations: 0 };
      for (let slice = group * rowsPerGroup; slice < (group + 1) * rowsPerGroup; slice++) {
        const value = view.at(slice, trial);
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new ValidationError(`matrix[${slice}][${trial}]`, value, `the return of trial ${trial} in time slice ${slice} must be a finite number`);
        }
        moments.count++;
        const delta = value - moments.mean;
        moments.mean += delta / moments.count;
        moments.squaredDeviations += delta * (value - moments.mean);
      }
      perTrial.push(moments);
    }
    groupMoments.push(perTrial);
  }

  const sharpesOver = (groups: readonly number[]): Float64Array => {
    const sharpes = new Float64Array(trials);
    for (let trial = 0; trial < trials; trial++) {
      const total: Moments = { ...groupMoments[groups[0]][trial] };
      for (let index = 1; index < groups.length; index++) mergeInto(total, groupMoments[groups[index]][trial]);
      sharpes[trial] = sharpeOf(total);
    }
    return sharpes;
  };

  const splits: CscvSplit[] = [];
  let overfitCount = 0;
  let lossCount = 0;
  for (const inSampleGroups of halves(partitions)) {
    const outOfSampleGroups = Array.from({ length: partitions }, (_, group) => group).filter((group) => !inSampleGroups.includes(group));
    const inSample = sharpesOver(inSampleGroups);
    const outOfSample = sharpesOver(outOfSampleGroups);
    let chosenTrial = 0;
    for (let trial = 1; trial < trials; trial++) if (inSample[trial] > inSample[chosenTrial]) chosenTrial = trial;
    const chosenOutOfSample = outOfSample[chosenTrial];
    let below = 0;
    let tied = 0;
    for (let trial = 0; trial < trials; trial++) {
      if (trial === chosenTrial) continue;
      if (outOfSample[trial] < chosenOutOfSample) below++;
      else if (outOfSample[trial] === chosenOutOfSample) tied++;
    }
    const rank = 1 + below + tied / 2;
    const relativeRank = rank / (trials + 1);
    const logit = Math.log(relativeRank / (1 - relativeRank));
    if (logit <= 0) overfitCount++;
    if (chosenOutOfSample < 0) lossCount++;
    splits.push({ inSampleGroups, chosenTrial, inSampleSharpe: inSample[chosenTrial], outOfSampleSharpe: chosenOutOfSample, relativeRank, logit });
  }
  const probability = overfitCount / splits.length;
  const probabilityOfLoss = lossCount / splits.length;
  const degradation = splits.map((split) => ({ inSampleSharpe: split.inSampleSharpe, outOfSampleSharpe: split.outOfSampleSharpe }));
  return {
    probability,
    combinationCount: splits.length,
    logits: splits.map((split) => split.logit),
    splits,
    degradation,
    degradationSlope: leastSquaresSlope(degradation),
    probabilityOfLoss,
    verdict: describeOverfitting(probability, probabilityOfLoss),
  };
}

/** How a deflated Sharpe ratio reads for a trader. */
export const DeflatedSharpeLevel = { Survives: 'survives', Doubtful: 'doubtful', LikelyLuck: 'likely-luck' } as const;
export type DeflatedSharpeLevel = (typeof DeflatedSharpeLevel)[keyof typeof DeflatedSharpeLevel];

/** Inputs of {@link deflatedSharpeRatio}; every Sharpe figure is per period (e.g. daily), not annualised. */
export interface DeflatedSharpeInput {
  /** SR, the selected (best) trial's observed per-period Sharpe ratio. */
  readonly sharpe: number;
  /** N, the number of independent trials tried before selecting it (integer >= 1). */
  readonly trials: number;
  /** V, the variance across trials of their per-period Sharpe ratios (>= 0). */
  readonly sharpeVariance: number;
  /** T, the number of return observations behind `sharpe` (integer >= 2). */
  readonly observations: number;
  /** γ3, skewness of the selected trial's returns; 0 for normal returns (the default). */
  readonly skewness?: number;
  /** γ4, kurtosis (not excess) of the selected trial's returns; 3 for normal returns (the default). Must be >= 1 + skewness². */
  readonly kurtosis?: number;
}

/** Result of {@link deflatedSharpeRatio}. */
export interface DeflatedSharpe {
  /** DSR: probability, in [0, 1], that the true Sharpe exceeds {@link DeflatedSharpe.expectedMaxSharpe}. */
  readonly probability: number;
  /** SR0, the per-period Sharpe the best of N skill-less trials is expected to show. */
  readonly expectedMaxSharpe: number;
  /** The standardised distance (SR − SR0)·√(T−1)/√(1 − γ3·SR + (γ4−1)/4·SR²); DSR = Φ(zScore). */
  readonly zScore: number;
  /** Plain-language reading. */
  readonly verdict: { readonly level: DeflatedSharpeLevel; readonly message: string };
}

/** Euler–Mascheroni constant γ. */
const EULER_MASCHERONI = 0.5772156649015329;

function requireFinite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(field, value, 'must be a finite number');
  return value;
}

/**
 * Expected maximum per-period Sharpe among N independent skill-less trials whose Sharpe ratios have
 * variance V (Bailey and López de Prado 2014, eq. 2, from the false strategy theorem):
 * SR0 = √V · ((1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ the Euler–Mascheroni constant. One trial
 * (N = 1) has nothing to select from: SR0 = 0.
 * @throws ValidationError `trials` when N is not an integer >= 1; `sharpeVariance` when V is negative or not finite.
 */
export function expectedMaximumSharpe(trials: number, sharpeVariance: number): number {
  if (!Number.isInteger(trials) || trials < 1) throw new ValidationError('trials', trials, 'must be an integer of at least 1');
  requireFinite('sharpeVariance', sharpeVariance);
  if (sharpeVariance < 0) throw new ValidationError('sharpeVariance', sharpeVariance, 'a variance cannot be negative');
  if (trials === 1) return 0;
  return (
    Math.sqrt(sharpeVariance) *
    ((1 - EULER_MASCHERONI) * inverseNormalCdf(1 - 1 / trials) + EULER_MASCHERONI * inverseNormalCdf(1 - 1 / (trials * Math.E)))
  );
}

function describeDeflatedSharpe(probability: number, trials: number): DeflatedSharpe['verdict'] {
  const percent = `${(probability * 100).toFixed(1)}%`;
  const luck = `${((1 - probability) * 100).toFixed(1)}%`;
  const tried = `${trials} ${trials === 1 ? 'trial' : 'trials'}`;
  if (probability >= 0.95) {
    return {
      level: DeflatedSharpeLevel.Survives,
      message: `The Sharpe survives the number of trials: after ${tried}, the chance it beats what luck alone would produce is ${percent}.`,
    };
  }
  if (probability >= 0.5) {
    return {
      level: DeflatedSharpeLevel.Doubtful,
      message: `Doubtful: after ${tried}, there is a ${luck} chance this Sharpe is no better than the best of ${tried} without skill. Gather more data or try fewer variants before trusting it.`,
    };
  }
  return {
    level: DeflatedSharpeLevel.LikelyLuck,
    message: `Likely luck: after ${tried}, there is a ${luck} chance this Sharpe is no better than the best of ${tried} without skill. Do not trade it on this evidence.`,
  };
}

/**
 * Deflated Sharpe ratio (Bailey and López de Prado 2014, eq. 2): the probabilistic Sharpe ratio of
 * the selected trial measured against SR0, the Sharpe the best of N skill-less trials would show
 * ({@link expectedMaximumSharpe}):
 * DSR = Φ( (SR − SR0)·√(T−1) / √(1 − γ3·SR + (γ4−1)/4·SR²) ).
 * All Sharpe figures are per period (daily returns → daily Sharpe); to use annualised figures, divide
 * the Sharpe by √(periods per year) and the variance by the periods per year. The paper's example
 * (annualised SR 2.5, V 0.5, 250 days a year, T 1250, N 100, γ3 −3, γ4 10) gives DSR ≈ 0.9004.
 * @throws ValidationError `sharpe`, `skewness` or `kurtosis` when not finite; `trials` when not an
 *   integer >= 1; `sharpeVariance` when negative; `observations` when not an integer >= 2;
 *   `kurtosis` when below 1 + skewness² (no distribution has that); `sharpe` when it makes the
 *   standard-error term zero.
 */
export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpe {
  const sharpe = requireFinite('sharpe', input.sharpe);
  const skewness = requireFinite('skewness', input.skewness ?? 0);
  const kurtosis = requireFinite('kurtosis', input.kurtosis ?? 3);
  const observations = input.observations;
  if (!Number.isInteger(observations) || observations < 2) throw new ValidationError('observations', observations, 'must be an integer of at least 2');
  if (kurtosis < 1 + skewness * skewness) {
    throw new ValidationError('kurtosis', kurtosis, `must be at least 1 + skewness² = ${1 + skewness * skewness}; pass kurtosis, not excess kurtosis`);
  }
  const expectedMaxSharpe = expectedMaximumSharpe(input.trials, input.sharpeVariance);
  const spread = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(spread > 0)) throw new ValidationError('sharpe', sharpe, 'with this skewness and kurtosis the Sharpe ratio has no defined standard error');
  const zScore = ((sharpe - expectedMaxSharpe) * Math.sqrt(observations - 1)) / Math.sqrt(spread);
  const probability = normalCdf(zScore);
  return { probability, expectedMaxSharpe, zScore, verdict: describeDeflatedSharpe(probability, input.trials) };
}
