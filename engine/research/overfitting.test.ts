import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { createMulberry32 } from '../ml/prng';
import { inverseNormalCdf, normalCdf } from './normal-distribution';
import { deflatedSharpeRatio, expectedMaximumSharpe, probabilityOfBacktestOverfitting, type PerformanceMatrix } from './overfitting';

/** Standard normal draws from a seeded mulberry32 by Box–Muller. */
function normalDraws(seed: number): () => number {
  const prng = createMulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next());
}

function captureValidation(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('normal distribution', () => {
  it('inverts the CDF at reference quantiles (Wichura AS 241)', () => {
    // Reference values: R qnorm / Python statistics.NormalDist().inv_cdf.
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(inverseNormalCdf(0.99)).toBeCloseTo(2.3263478740408408, 14);
    expect(inverseNormalCdf(0.3)).toBeCloseTo(-0.5244005127080407, 14);
    expect(inverseNormalCdf(0.5)).toBe(0);
    expect(inverseNormalCdf(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(inverseNormalCdf(0)).toBe(-Infinity);
    expect(inverseNormalCdf(1)).toBe(Infinity);
    expect(() => inverseNormalCdf(1.5)).toThrow(RangeError);
  });

  it('evaluates the CDF at reference points, keeping precision in the far tail', () => {
    // Reference values: R pnorm.
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(normalCdf(0.5)).toBeCloseTo(0.6914624612740131, 15);
    expect(normalCdf(2.5)).toBeCloseTo(0.9937903346742238, 15);
    expect(normalCdf(-3) / 1.3498980316300946e-3).toBeCloseTo(1, 12);
    expect(normalCdf(-8) / 6.220960574271785e-16).toBeCloseTo(1, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 15);
    for (const p of [0.001, 0.02, 0.3, 0.6, 0.9, 0.999]) expect(normalCdf(inverseNormalCdf(p))).toBeCloseTo(p, 14);
  });
});

describe('deflated Sharpe ratio', () => {
  it("reproduces Bailey and López de Prado's numerical example (DSR ≈ 0.9004)", () => {
    // Paper, section "A numerical example": annualised SR 2.5 over 5 years of daily returns (T = 1250,
    // 250 days a year), N = 100 trials with annualised Sharpe variance 0.5, skewness −3, kurtosis 10.
    // Per period: SR = 2.5/√250 = 0.158113883; V = 0.5/250 = 0.002.
    // Φ⁻¹(1 − 1/100) = Φ⁻¹(0.99) = 2.326347874; Φ⁻¹(1 − 1/(100e)) = Φ⁻¹(0.996321206) = 2.680210445.
    // SR0 = √0.002 · (0.422784335 · 2.326347874 + 0.577215665 · 2.680210445)
    //     = 0.044721360 · (0.983543 + 1.547059) = 0.044721360 · 2.530602 = 0.113172002 (paper: 0.1132).
    // Denominator: 1 + 3·0.158114 + 9/4·0.025 = 1 + 0.474342 + 0.05625 = 1.530592 → √ = 1.237171.
    // z = (0.158114 − 0.113172) · √1249 / 1.237171 = 0.044942 · 35.341194 / 1.237171 = 1.283816.
    // DSR = Φ(1.283816) = 0.900397 (paper: 0.9004).
    const result = deflatedSharpeRatio({ sharpe: 2.5 / Math.sqrt(250), trials: 100, sharpeVariance: 0.5 / 250, observations: 1250, skewness: -3, kurtosis: 10 });
    expect(result.expectedMaxSharpe).toBeCloseTo(0.11317200186513214, 12);
    expect(result.zScore).toBeCloseTo(1.2838160365336546, 10);
    expect(result.probability).toBeCloseTo(0.9003968344493904, 10);
    expect(result.verdict.level).toBe('doubtful');
    expect(result.verdict.message).toContain('there is a 10.0% chance'); // 1 − 0.9004 = 9.96% → 10.0%
    expect(result.verdict.message).toContain('100 trials');
  });

  it('computes SR0 from the false-strategy formula, independently of the DSR', () => {
    // N = 10, V = 0.04: Φ⁻¹(0.9) = 1.2815515655446004, Φ⁻¹(1 − 1/(10e)) = Φ⁻¹(0.963212055882856) = 1.789262...
    const gamma = 0.5772156649015329;
    const expected = 0.2 * ((1 - gamma) * inverseNormalCdf(0.9) + gamma * inverseNormalCdf(1 - 1 / (10 * Math.E)));
    expect(inverseNormalCdf(0.9)).toBeCloseTo(1.2815515655446004, 14);
    expect(expectedMaximumSharpe(10, 0.04)).toBeCloseTo(expected, 15);
    // 0.2 · (0.422784335 · 1.281551566 + 0.577215665 · 1.789262) ≈ 0.2 · (0.541819 + 1.032788) = 0.314921
    expect(expectedMaximumSharpe(10, 0.04)).toBeCloseTo(0.314921, 5);
    // One trial: nothing was selected, the benchmark is zero; zero variance: every trial equal, zero too.
    expect(expectedMaximumSharpe(1, 0.04)).toBe(0);
    expect(expectedMaximumSharpe(50, 0)).toBe(0);
  });

  it('with one trial and normal returns reduces to the probabilistic Sharpe ratio against zero', () => {
    // SR 0.1 per day, T = 401, skew 0, kurt 3: z = 0.1·√400/√(1 + 0.5·0.01) = 2/√1.005 = 1.995022
    // Φ(1.995022) = 0.976979 → the Sharpe survives.
    const result = deflatedSharpeRatio({ sharpe: 0.1, trials: 1, sharpeVariance: 0, observations: 401 });
    expect(result.zScore).toBeCloseTo(2 / Math.sqrt(1.005), 14);
    expect(result.probability).toBeCloseTo(normalCdf(2 / Math.sqrt(1.005)), 15);
    expect(result.probability).toBeCloseTo(0.976979, 5);
    expect(result.verdict.level).toBe('survives');
    expect(result.verdict.message).toBe('The Sharpe survives the number of trials: after 1 trial, the chance it beats what luck alone would produce is 97.7%.');
  });

  it('calls a Sharpe below the expected best-of-N luck', () => {
    // Same SR as the paper but 1000 trials with annualised variance 2 (0.008 per day): SR0 > SR.
    const result = deflatedSharpeRatio({ sharpe: 2.5 / Math.sqrt(250), trials: 1000, sharpeVariance: 2 / 250, observations: 1250 });
    expect(result.expectedMaxSharpe).toBeGreaterThan(2.5 / Math.sqrt(250));
    expect(result.probability).toBeLessThan(0.5);
    expect(result.verdict.level).toBe('likely-luck');
  });

  it('rejects bad input naming the field and the value', () => {
    const base = { sharpe: 0.1, trials: 10, sharpeVariance: 0.01, observations: 100 };
    const cases: [Partial<typeof base> & { skewness?: number; kurtosis?: number }, string, unknown][] = [
      [{ observations: 1 }, 'observations', 1],
      [{ observations: 10.5 }, 'observations', 10.5],
      [{ sharpeVariance: -0.01 }, 'sharpeVariance', -0.01],
      [{ sharpeVariance: Number.NaN }, 'sharpeVariance', Number.NaN],
      [{ trials: 0 }, 'trials', 0],
      [{ trials: 2.5 }, 'trials', 2.5],
      [{ sharpe: Infinity }, 'sharpe', Infinity],
      [{ kurtosis: 0.5 }, 'kurtosis', 0.5],
      [{ skewness: -3, kurtosis: 5 }, 'kurtosis', 5],
    ];
    for (const [patch, field, value] of cases) {
      const error = captureValidation(() => deflatedSharpeRatio({ ...base, ...patch }));
      expect(error.field).toBe(field);
      expect(error.value).toEqual(value);
    }
    expect(captureValidation(() => deflatedSharpeRatio({ ...base, observations: 1 })).message).toBe('field "observations" was 1: must be an integer of at least 2');
  });
});

describe('probability of backtest overfitting (CSCV)', () => {
  it('works a small case by hand: S = 4 groups of 2 rows, N = 3 trials', () => {
    // Each group g holds, for trial n, the two rows μ+1 and μ−1 around a group mean μ(g, n):
    //            trial 0  trial 1  trial 2
    //   group 0     3        1        0
    //   group 1     3        1        0
    //   group 2    −1        1        0
    //   group 3    −1        1        2
    // Over two groups with means a and b the four values are a±1, b±1: mean m = (a+b)/2, and with
    // d = (a−b)/2 the squared deviations sum to 2(d+1)² + 2(d−1)² = 4d² + 4, so the sample standard
    // deviation is √((4d²+4)/3) and Sharpe = m·√3 / (2·√(d²+1)). Writing k = √3/2 = 0.866025:
    //   groups {0,1}: trial 0 3k = 2.598, trial 1 k, trial 2 0
    //   groups {2,3}: trial 0 −k,         trial 1 k, trial 2 k/√2 = 0.612
    //   groups {0,2},{0,3},{1,2},{1,3}: trial 0 k/√5 = 0.387, trial 1 k,
    //            trial 2 0 for {0,2},{1,2} and k/√2 for {0,3},{1,3}
    // Splits (in-sample → out-of-sample), the in-sample winner, its out-of-sample rank among 3:
    //   {0,1} → {2,3}: trial 0 (3k); out-of-sample −k is worst, rank 1: ω = 1/4, λ = ln(1/3) = −1.0986
    //   {0,2} → {1,3}: trial 1 (k beats k/√5 and 0); out-of-sample k is best, rank 3: ω = 3/4, λ = ln 3
    //   {0,3} → {1,2}: trial 1 (k > k/√2 > k/√5); out-of-sample k best (vs k/√5, 0): λ = ln 3
    //   {1,2} → {0,3}: trial 1; out-of-sample k best (vs k/√5, k/√2): λ = ln 3
    //   {1,3} → {0,2}: trial 1; out-of-sample k best (vs k/√5, 0): λ = ln 3
    //   {2,3} → {0,1}: trial 1 (k > k/√2 > −k); out-of-sample k is second of (3k, k, 0): rank 2,
    //            ω = 2/4, λ = 0, which counts as overfit (at the median)
    // PBO = 2/6 = 1/3; out-of-sample losses: only the first split (−k) → 1/6.
    const means = [
      [3, 1, 0],
      [3, 1, 0],
      [-1, 1, 0],
      [-1, 1, 2],
    ];
    const rows = means.flatMap((group) => [group.map((mean) => mean + 1), group.map((mean) => mean - 1)]);
    const result = probabilityOfBacktestOverfitting(rows, { partitions: 4 });
    const k = Math.sqrt(3) / 2;
    expect(result.combinationCount).toBe(6);
    expect(result.splits.map((split) => split.inSampleGroups)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect(result.splits.map((split) => split.chosenTrial)).toEqual([0, 1, 1, 1, 1, 1]);
    expect(result.splits.map((split) => split.relativeRank)).toEqual([1 / 4, 3 / 4, 3 / 4, 3 / 4, 3 / 4, 2 / 4]);
    const expectedLogits = [Math.log(1 / 3), Math.log(3), Math.log(3), Math.log(3), Math.log(3), 0];
    result.logits.forEach((logit, index) => expect(logit).toBeCloseTo(expectedLogits[index], 14));
    expect(result.splits[0].inSampleSharpe).toBeCloseTo(3 * k, 14);
    expect(result.splits[0].outOfSampleSharpe).toBeCloseTo(-k, 14);
    expect(result.splits[5].inSampleSharpe).toBeCloseTo(k, 14);
    expect(result.splits[5].outOfSampleSharpe).toBeCloseTo(k, 14);
    expect(result.probability).toBeCloseTo(1 / 3, 15);
    expect(result.probabilityOfLoss).toBeCloseTo(1 / 6, 15);
    // Degradation pairs in units of k: (3, −1) then five times (1, 1). Means x̄ = 8/6 = 4/3, ȳ = 4/6 = 2/3;
    // Σ(x−x̄)(y−ȳ) = (5/3)(−5/3) + 5·(−1/3)(1/3) = −30/9; Σ(x−x̄)² = 25/9 + 5/9 = 30/9 → slope −1.
    expect(result.degradation).toEqual(result.splits.map((split) => ({ inSampleSharpe: split.inSampleSharpe, outOfSampleSharpe: split.outOfSampleSharpe })));
    expect(result.degradation[0].outOfSampleSharpe / result.degradation[0].inSampleSharpe).toBeCloseTo(-1 / 3, 14);
    expect(result.degradationSlope).toBeCloseTo(-1, 12);
    expect(result.verdict.level).toBe('elevated');
    expect(result.verdict.message).toContain('33.3% of the splits (it lost money in 16.7%)');
  });

  it('reads the same matrix from a column-major Float64Array', () => {
    const means = [
      [3, 1, 0],
      [3, 1, 0],
      [-1, 1, 0],
      [-1, 1, 2],
    ];
    const rows = means.flatMap((group) => [group.map((mean) => mean + 1), group.map((mean) => mean - 1)]);
    const values = new Float64Array(8 * 3);
    rows.forEach((row, slice) => row.forEach((value, trial) => (values[trial * 8 + slice] = value)));
    const columnMajor = probabilityOfBacktestOverfitting({ values, slices: 8, trials: 3 }, { partitions: 4 });
    expect(columnMajor).toEqual(probabilityOfBacktestOverfitting(rows, { partitions: 4 }));
  });

  it('finds no overfitting when one trial dominates every slice', () => {
    // Trial n returns noise_t + n/1000: every trial has the same standard deviation on any rows and
    // trial 9 the highest mean, so it wins in-sample and ranks 10 of 10 out-of-sample in every split:
    // ω = 10/11, λ = ln 10 > 0 → PBO = 0.
    const draw = normalDraws(7);
    const rows = Array.from({ length: 120 }, () => {
      const noise = draw() * 0.01;
      return Array.from({ length: 10 }, (_, trial) => noise + trial / 1000);
    });
    const result = probabilityOfBacktestOverfitting(rows, { partitions: 8 });
    expect(result.combinationCount).toBe(70); // C(8, 4)
    expect(result.probability).toBe(0);
    expect(new Set(result.splits.map((split) => split.chosenTrial))).toEqual(new Set([9]));
    result.logits.forEach((logit) => expect(logit).toBeCloseTo(Math.log(10), 12));
    expect(result.verdict.level).toBe('low');
  });

  it('ranks a constant positive series (infinite Sharpe) first and leaves the degradation slope undefined', () => {
    // Trial 0 earns 0.001 every period (standard deviation 0, Sharpe +∞), trial 1 is noise: trial 0 wins
    // every split and ranks 2 of 2 out-of-sample: ω = 2/3, λ = ln 2; the slope over infinite points is null.
    const draw = normalDraws(3);
    const rows = Array.from({ length: 12 }, () => [0.001, draw() * 0.01]);
    const result = probabilityOfBacktestOverfitting(rows, { partitions: 6 });
    expect(result.combinationCount).toBe(20); // C(6, 3)
    expect(result.splits.every((split) => split.chosenTrial === 0 && split.inSampleSharpe === Infinity)).toBe(true);
    result.logits.forEach((logit) => expect(logit).toBeCloseTo(Math.log(2), 14));
    expect(result.probability).toBe(0);
    expect(result.degradationSlope).toBeNull();
  });

  it('gives PBO near one half for pure-noise trials', () => {
    // Skill-less trials are exchangeable and in-sample and out-of-sample rows are independent, so the
    // in-sample winner's out-of-sample rank is uniform on 1..N; with N = 10 (even) λ <= 0 exactly when
    // the rank is 1..5: expected PBO 1/2. One matrix's 70 splits are strongly correlated (its PBO has a
    // standard deviation of about 0.23 across seeds), so average 200 independent matrices
    // (seeds 1..200): standard error 0.23/√200 ≈ 0.016. This seeded sample gives 0.521; the tolerance
    // of ±0.05 is about 3 standard errors.
    let total = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const draw = normalDraws(seed);
      const rows = Array.from({ length: 80 }, () => Array.from({ length: 10 }, () => draw() * 0.01));
      total += probabilityOfBacktestOverfitting(rows, { partitions: 8 }).probability;
    }
    const mean = total / 200;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it('rejects bad input naming the field and the value', () => {
    const rows = Array.from({ length: 8 }, (_, slice) => [slice, -slice, slice % 3]);
    const cases: [PerformanceMatrix, number, string, unknown][] = [
      [rows, 3, 'partitions', 3],
      [rows, 0, 'partitions', 0],
      [rows, 2.5, 'partitions', 2.5],
      [rows, 22, 'partitions', 22],
      [rows.slice(0, 7), 2, 'partitions', 2], // 7 rows do not split into 2 equal groups
      [rows, 8, 'partitions', 8], // 8 groups of 1 row: a Sharpe needs at least 2
      [rows.map((row) => row.slice(0, 1)), 2, 'trials', 1],
      [rows.map((row, slice) => (slice === 5 ? [row[0], Number.NaN, row[2]] : row)), 2, 'matrix[5][1]', Number.NaN],
      [rows.map((row, slice) => (slice === 2 ? [row[0], row[1], Infinity] : row)), 2, 'matrix[2][2]', Infinity],
      [{ values: new Float64Array([1, 2, 3, Number.NaN, 5, 6, 7, 8]), slices: 4, trials: 2 }, 2, 'matrix[3][0]', Number.NaN],
      [{ values: new Float64Array(7), slices: 4, trials: 2 }, 2, 'matrix.values', 'length 7'],
      [[[1, 2], [3]], 2, 'matrix[1]', '1 columns'],
    ];
    for (const [matrix, partitions, field, value] of cases) {
      const error = captureValidation(() => probabilityOfBacktestOverfitting(matrix, { partitions }));
      expect(error.field).toBe(field);
      expect(error.value).toEqual(value);
    }
    expect(captureValidation(() => probabilityOfBacktestOverfitting(rows, { partitions: 3 })).message).toBe(
      'field "partitions" was 3: must be an even integer from 2 to 20',
    );
  });
});
