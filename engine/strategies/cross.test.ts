import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import { normalizeFeatureConfig, type FeatureConfig } from '../features/feature-config';
import { handWrittenSmaCross, smaCrossRule } from '../testing/sma-cross-pair';
import { CROSS_EPSILON, crossDirection, crossDirectionLevel, crossDirections, crossedAbove, crossedBelow } from './cross';
import { createMaCrossover, MA_CROSSOVER_REASONS } from './ma-crossover';
import { compileRuleStrategy, planRuleStrategy } from './rules/compile-rule-strategy';
import { generateRuleEvaluate } from './rules/rule-codegen';
import { interpretRuleStrategy } from './rules/rule-interpreter';
import { parseRuleStrategy } from './rules/rule-schema';
import { createAdapterOutput, type AdapterOutput } from './strategy-adapter';
import { createAdapterFromDefinition } from './strategy-catalog';

const f64 = (values: readonly number[]) => Float64Array.from(values);

/** crossDirection at every row. */
function crossesOf(a: readonly number[], b: readonly number[], epsilon?: number): number[] {
  const fa = f64(a);
  const fb = f64(b);
  return a.map((_, i) => crossDirection(fa, fb, i, epsilon));
}

/** The rule before issue 17 (and the one `epsilon = 0` without the look-back would give): previous row <=, this row >. */
function oldRule(a: Float64Array, b: Float64Array, i: number): number {
  if (a[i - 1] <= b[i - 1] && a[i] > b[i]) return 1;
  if (a[i - 1] >= b[i - 1] && a[i] < b[i]) return -1;
  return 0;
}

describe('crossDirection', () => {
  it('fires nothing on a touch: below, tie, below (and above, tie, above)', () => {
    // a − b: −1, −1, 0, −1 then +1, +1, 0, +1. No row is above after a below (or the reverse).
    expect(crossesOf([1, 1, 2, 1], [2, 2, 2, 2])).toEqual([0, 0, 0, 0]);
    expect(crossesOf([3, 3, 2, 3], [2, 2, 2, 2])).toEqual([0, 0, 0, 0]);
    // The old rule took the way back from the tie for a cross: row 3 has a[2] >= b[2] (2 >= 2) and a[3] < b[3] (1 < 2).
    expect([1, 2, 3].map((i) => oldRule(f64([1, 1, 2, 1]), f64([2, 2, 2, 2]), i))).toEqual([0, 0, -1]);
    expect([1, 2, 3].map((i) => oldRule(f64([3, 3, 2, 3]), f64([2, 2, 2, 2]), i))).toEqual([0, 0, 1]);
  });

  it('fires once through exact ties: below, tie, tie, above fires at the first row strictly above (same for short)', () => {
    // Row 3: a = 3 > 2; the rows before that are not equal: row 0 (1 < 2) -> crossed above at 3 only.
    expect(crossesOf([1, 2, 2, 3, 3], [2, 2, 2, 2, 2])).toEqual([0, 0, 0, 1, 0]);
    expect(crossesOf([3, 2, 2, 1, 1], [2, 2, 2, 2, 2])).toEqual([0, 0, 0, -1, 0]);
  });

  it('fires on a plain cross and on parting from equality since the start, never on row 0 or right after a NaN', () => {
    expect(crossesOf([1, 3, 1], [2, 2, 2])).toEqual([0, 1, -1]);
    // Row 2 is above, row 1 equal, row 0 NaN: equal for as long as both existed, then apart: a cross.
    expect(crossesOf([NaN, 2, 3], [2, 2, 2])).toEqual([0, 0, 1]);
    // Equal from the first row, then above (flat prices that start to move): a cross, once.
    expect(crossesOf([2, 2, 3, 3], [2, 2, 2, 2])).toEqual([0, 0, 1, 0]);
    // The first row after the warm-up (NaN right before) cannot tell where it came from: nothing.
    expect(crossesOf([NaN, 3, 1], [2, 2, 2])).toEqual([0, 0, -1]);
    // NaN on the row itself, and a row past the end (undefined), say nothing.
    expect(crossDirection(f64([1, NaN]), f64([2, 2]), 1)).toBe(0);
    expect(crossDirection(f64([1, 3]), f64([2, 2]), 2)).toBe(0);
  });

  it('counts values within CROSS_EPSILON of each other, relative to the larger, as equal', () => {
    expect(CROSS_EPSILON).toBe(1e-9);
    // At 60 000 the tolerance is 60 000 × 1e-9 = 6e-5: 60 000.00005 (5e-5 above) is equal, so no cross.
    expect(crossesOf([59_999, 60_000.00005], [60_000, 60_000])).toEqual([0, 0]);
    // 60 000.0001 is 1e-4 above, beyond 6e-5: a cross.
    expect(crossesOf([59_999, 60_000.0001], [60_000, 60_000])).toEqual([0, 1]);
    // epsilon 0: exact equality; the 5e-5 step is then a cross.
    expect(crossesOf([59_999, 60_000.00005], [60_000, 60_000], 0)).toEqual([0, 1]);
    // Near zero the tolerance shrinks with the values: 1e-12 against 0 is above (|d| = 1e-12 > 1e-9 × 1e-12).
    expect(crossesOf([-1, 1e-12], [0, 0])).toEqual([0, 1]);
  });

  it('gives booleans with crossedAbove / crossedBelow and crosses a constant level with crossDirectionLevel', () => {
    const a = f64([1, 2, 3, 2, 1]);
    const level = [0, 1, 2, 3, 4].map((i) => crossDirectionLevel(a, 2, i));
    // a − 2: −1, 0, +1, 0, −1 -> above at row 2 (looking back through the tie at row 1), below at row 4.
    expect(level).toEqual([0, 0, 1, 0, -1]);
    const two = f64([2, 2, 2, 2, 2]);
    expect([0, 1, 2, 3, 4].map((i) => crossedAbove(a, two, i))).toEqual([false, false, true, false, false]);
    expect([0, 1, 2, 3, 4].map((i) => crossedBelow(a, two, i))).toEqual([false, false, false, false, true]);
  });

  // Values from a few levels (many exact ties) and some NaN.
  const level = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }).map((v) => 100 + v), weight: 9 }, { arbitrary: fc.constant(NaN), weight: 1 });
  const pairOfSeries = fc.integer({ min: 2, max: 60 }).chain((n) => fc.tuple(fc.array(level, { minLength: n, maxLength: n }), fc.array(level, { minLength: n, maxLength: n })));

  it('never fires on consecutive rows in opposite directions unless the first row stands beyond the tolerance; crosses alternate', () => {
    // A genuine one-row excursion (below, above, below: [1, 3, 1] against 2) is two crosses, [0, 1, -1] above;
    // what can never happen is the first of the two on a row where the values are equal within the tolerance.
    let fired = 0;
    fc.assert(
      fc.property(pairOfSeries, ([a, b]) => {
        const d = crossesOf(a, b);
        for (let i = 1; i < d.length; i++) {
          if (d[i - 1] * d[i] === -1) expect(Math.abs(a[i - 1] - b[i - 1])).toBeGreaterThan(CROSS_EPSILON * Math.max(Math.abs(a[i - 1]), Math.abs(b[i - 1])));
        }
        const nonZero = d.filter((x) => x !== 0);
        fired += nonZero.length;
        if (!a.some(Number.isNaN) && !b.some(Number.isNaN)) {
          for (let k = 1; k < nonZero.length; k++) expect(nonZero[k]).toBe(-nonZero[k - 1]);
        }
      }),
      { numRuns: 500, seed: 17 },
    );
    expect(fired).toBeGreaterThan(100);
  });

  it('gives the same crosses when every value carries running-sum noise (up to 1e-12 relative): ties stay ties', () => {
    // Noise of a running sum is about 1e-12 of the value; an exact tie nudged by it never fires, so no
    // signal-and-opposite pair comes from a touch.
    const noise = fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 60, maxLength: 60 });
    fc.assert(
      fc.property(pairOfSeries, noise, ([a, b], k) => {
        const noisy = a.map((v, i) => v * (1 + k[i] * 1e-13));
        expect(crossesOf(noisy, b)).toEqual(crossesOf(a, b));
      }),
      { numRuns: 500, seed: 17 },
    );
  });
});

/** crossDirections over rows from..to-1 (one range), as plain numbers. */
function rangeOf(a: readonly number[], b: readonly number[], from: number, to: number, epsilon?: number): number[] {
  const out = new Int8Array(to - from).fill(9);
  crossDirections(f64(a), f64(b), from, to, out, epsilon);
  return Array.from(out);
}

/** Every range [from, to) of the series must give crossDirection's value at each of its rows. */
function expectEveryRangeAlike(a: readonly number[], b: readonly number[], epsilon?: number): void {
  const whole = crossesOf(a, b, epsilon);
  for (let from = 0; from <= a.length; from++) {
    for (let to = from; to <= a.length; to++) expect(rangeOf(a, b, from, to, epsilon), `rows ${from}..${to - 1}`).toEqual(whole.slice(from, to));
  }
}

describe('crossDirections', () => {
  it('gives the touch and tie cases of crossDirection over the whole series', () => {
    expect(rangeOf([1, 1, 2, 1], [2, 2, 2, 2], 0, 4)).toEqual([0, 0, 0, 0]);
    expect(rangeOf([3, 3, 2, 3], [2, 2, 2, 2], 0, 4)).toEqual([0, 0, 0, 0]);
    expect(rangeOf([1, 2, 2, 3, 3], [2, 2, 2, 2, 2], 0, 5)).toEqual([0, 0, 0, 1, 0]);
    expect(rangeOf([3, 2, 2, 1, 1], [2, 2, 2, 2, 2], 0, 5)).toEqual([0, 0, 0, -1, 0]);
    expect(rangeOf([NaN, 2, 3], [2, 2, 2], 0, 3)).toEqual([0, 0, 1]);
    expect(rangeOf([2, 2, 3, 3], [2, 2, 2, 2], 0, 4)).toEqual([0, 0, 1, 0]);
    expect(rangeOf([NaN, 3, 1], [2, 2, 2], 0, 3)).toEqual([0, 0, -1]);
  });

  it('looks back through equal rows before the range: a range starting inside a tie still sees the side before it', () => {
    // below, tie, tie, above: the range [3, 4) starts after both ties and must find row 0 (below) behind them.
    expect(rangeOf([1, 2, 2, 3], [2, 2, 2, 2], 3, 4)).toEqual([1]);
    // below, tie, tie, below (a touch): nothing, whether the range starts before, inside or after the tie.
    expect(rangeOf([1, 2, 2, 1], [2, 2, 2, 2], 1, 4)).toEqual([0, 0, 0]);
    expect(rangeOf([1, 2, 2, 1], [2, 2, 2, 2], 2, 4)).toEqual([0, 0]);
    expect(rangeOf([1, 2, 2, 1], [2, 2, 2, 2], 3, 4)).toEqual([0]);
    // NaN, tie, tie, above: equal since the warm-up, then apart: a cross, also for a range starting at the last tie.
    expect(rangeOf([NaN, 2, 2, 3], [2, 2, 2, 2], 2, 4)).toEqual([0, 1]);
    // NaN right before the range's first row: nothing at that row, as crossDirection says.
    expect(rangeOf([1, NaN, 3, 1], [2, 2, 2, 2], 2, 4)).toEqual([0, -1]);
    // Within the tolerance counts as a tie across the boundary too (60 000.00005 vs 60 000 is equal).
    expect(rangeOf([59_999, 60_000.00005, 60_001], [60_000, 60_000, 60_000], 2, 3)).toEqual([1]);
    expect(rangeOf([59_999, 60_000.00005, 60_001], [60_000, 60_000, 60_000], 2, 3, 0)).toEqual([0]);
  });

  it('gives crossDirection at every row of every range of hand-built series with ties, touches and NaN', () => {
    expectEveryRangeAlike([1, 2, 2, 3, 3, 2, 2, 2, 1, 2, 1], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expectEveryRangeAlike([NaN, NaN, 2, 2, 2, 3, NaN, 2, 1, 1, 2, 3], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expectEveryRangeAlike([2, 2, 2, 2], [2, 2, 2, 2]);
    expectEveryRangeAlike([1, 3, 1, 3, 1], [2, 2, 2, 2, 2], 0);
  });

  it('marks with nanMark the rows where no cross can be told (row 0, a NaN at the row or the row before) and nothing else', () => {
    const mark = (a: readonly number[], b: readonly number[], from: number, to: number) => {
      const out = new Int8Array(to - from).fill(9);
      crossDirections(f64(a), f64(b), from, to, out, CROSS_EPSILON, 2);
      return Array.from(out);
    };
    // Row 0; NaN at 1; row 2 after the NaN; row 3 a tie after it (no mark: a value row before); row 4 the cross out of the tie.
    expect(mark([1, NaN, 3, 2, 1], [2, 2, 2, 2, 2], 0, 5)).toEqual([2, 2, 2, 0, -1]);
    // A range starting right after a NaN row marks its first row; one starting later looks back as usual.
    expect(mark([1, NaN, 3, 2, 1], [2, 2, 2, 2, 2], 2, 5)).toEqual([2, 0, -1]);
    expect(mark([1, NaN, 3, 2, 1], [2, 2, 2, 2, 2], 3, 5)).toEqual([0, -1]);
    // Elsewhere exactly the default output, on random series with NaN: the marked rows are those where a[i] - b[i] or
    // a[i-1] - b[i-1] is NaN, or i = 0.
    const level = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }).map((v) => 100 + v), weight: 9 }, { arbitrary: fc.constant(NaN), weight: 1 });
    const pairOfSeries = fc.integer({ min: 1, max: 24 }).chain((n) => fc.tuple(fc.array(level, { minLength: n, maxLength: n }), fc.array(level, { minLength: n, maxLength: n })));
    fc.assert(
      fc.property(pairOfSeries, fc.nat(), ([a, b], start) => {
        const from = start % a.length;
        const plain = rangeOf(a, b, from, a.length);
        const marked = mark(a, b, from, a.length);
        marked.forEach((value, k) => {
          const i = from + k;
          const untold = i === 0 || Number.isNaN(a[i] - b[i]) || Number.isNaN(a[i - 1] - b[i - 1]);
          expect(value, `row ${i}`).toBe(untold ? 2 : plain[k]);
          if (untold) expect(plain[k]).toBe(0);
        });
      }),
      { numRuns: 300, seed: 23 },
    );
  });

  it('gives crossDirection at every row of every range on random series of a few levels with NaN', () => {
    const level = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }).map((v) => 100 + v), weight: 9 }, { arbitrary: fc.constant(NaN), weight: 1 });
    const pairOfSeries = fc.integer({ min: 1, max: 24 }).chain((n) => fc.tuple(fc.array(level, { minLength: n, maxLength: n }), fc.array(level, { minLength: n, maxLength: n })));
    fc.assert(
      fc.property(pairOfSeries, ([a, b]) => expectEveryRangeAlike(a, b)),
      { numRuns: 300, seed: 17 },
    );
  });
});

/**
 * Hand-made candles (open = previous close, high/low = ±1 around open and close) and SMA(2)/SMA(3).
 *
 * NOISE: closes 100, 99.9, …, 99.2 (rows 0..8), then 99.4, 98.3, 97.8.
 * - row 8: SMA(2) = (99.3 + 99.2) / 2 = 99.25 < SMA(3) = (99.4 + 99.3 + 99.2) / 3 = 99.3 (below);
 * - row 9: SMA(2) = (99.2 + 99.4) / 2 = 99.3 = SMA(3) = (99.3 + 99.2 + 99.4) / 3 = 297.9 / 3 = 99.3,
 *   an exact tie in real arithmetic; the running sums give 99.30000000000001 against 99.3;
 * - row 10: SMA(2) = (99.4 + 98.3) / 2 = 98.85 < SMA(3) = (99.2 + 99.4 + 98.3) / 3 = 98.9667 (below).
 * Below, tie, below: no cross. The old rule fired long at row 9 and short at row 10.
 *
 * THROUGH: closes 100 … 99.2 (rows 0..8), then 99.4, 99.0, 100.0, 100.5.
 * - rows 9 and 10 are exact ties: 99.4 + 99.2 = 2 × 99.3 and 99.0 + 99.4 = 2 × 99.2 (SMA(2) = SMA(3)
 *   ⇔ c[i] + c[i−1] = 2 c[i−2]);
 * - row 11: SMA(2) = (99.0 + 100.0) / 2 = 99.5 > SMA(3) = (99.4 + 99.0 + 100.0) / 3 = 99.4667 (above);
 * - row 12: SMA(2) = 100.25 > SMA(3) = (99 + 100 + 100.5) / 3 = 99.8333 (still above).
 * Below, tie, tie, above: one long cross, at row 11.
 * The short cases are the mirror images 200 − close (every SMA mirrors, ties stay ties).
 */
const FALLING = [100, 99.9, 99.8, 99.7, 99.6, 99.5, 99.4, 99.3, 99.2];
const NOISE = [...FALLING, 99.4, 98.3, 97.8];
const THROUGH = [...FALLING, 99.4, 99.0, 100.0, 100.5];
const mirror = (closes: readonly number[]) => closes.map((c) => Math.round((200 - c) * 10) / 10);

function frameOf(features: FeatureConfig, closes: readonly number[]): FeatureExtractor {
  const fx = createFeatureExtractor(normalizeFeatureConfig(features), closes.length);
  closes.forEach((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    fx.push(i * 3_600_000, open, Math.max(open, close) + 1, Math.min(open, close) - 1, close, 1);
  });
  return fx;
}

/** The rows where `evaluate` fired, with the side. */
function firedSides(evaluate: (f: FeatureExtractor, i: number, out: AdapterOutput) => void, fx: FeatureExtractor): [number, number][] {
  const out = createAdapterOutput();
  const fired: [number, number][] = [];
  for (let i = 0; i < fx.length; i++) {
    evaluate(fx, i, out);
    if (out.side !== 0) fired.push([i, out.side]);
  }
  return fired;
}

describe('the cross rule in every strategy that decides a cross', () => {
  it('the NOISE series is a tie in real arithmetic that the running sums put above, which the old rule took for two crosses', () => {
    const fx = frameOf({ sma: [2, 3] }, NOISE);
    const [a, b] = [fx.sma[2], fx.sma[3]];
    expect(a[9]).toBe(99.30000000000001);
    expect(b[9]).toBe(99.3);
    expect(Math.abs(a[9] - b[9]) / b[9]).toBeLessThan(CROSS_EPSILON);
    expect([8, 9, 10, 11].map((i) => oldRule(a, b, i))).toEqual([0, 1, -1, 0]);
    expect([8, 9, 10, 11].map((i) => crossDirection(a, b, i))).toEqual([0, 0, 0, 0]);
    const m = frameOf({ sma: [2, 3] }, mirror(NOISE));
    expect([8, 9, 10, 11].map((i) => crossDirection(m.sma[2], m.sma[3], i))).toEqual([0, 0, 0, 0]);
  });

  const ma = createMaCrossover({ fastPeriod: 2, slowPeriod: 3, atrPeriod: 1, atrStopMultiple: 2 });
  const maEvaluate = (f: FeatureExtractor, i: number, out: AdapterOutput) => (i < ma.warmup ? undefined : ma.evaluate(f, i, out));

  it('ma-crossover fires nothing on the NOISE series or its mirror', () => {
    expect(firedSides(maEvaluate, frameOf(ma.features, NOISE))).toEqual([]);
    expect(firedSides(maEvaluate, frameOf(ma.features, mirror(NOISE)))).toEqual([]);
  });

  it('ma-crossover fires once through the ties, at row 11, long on THROUGH and short on its mirror', () => {
    const out = createAdapterOutput();
    const fx = frameOf(ma.features, THROUGH);
    expect(firedSides(maEvaluate, fx)).toEqual([[11, 1]]);
    ma.evaluate(fx, 11, out);
    // ATR(1) = true range = |100 − 99| + 2 = 3; stop = 100 − 2 × 3 = 94.
    // strength = 0.5 + 0.5 × |100 − 99.4667| / 3 = 0.5 + 0.5 × 0.17778 = 0.58889.
    expect(out.reason).toBe(MA_CROSSOVER_REASONS.CrossedAbove);
    expect(out.stopHint).toBe(94);
    expect(out.strength).toBeCloseTo(0.5 + 0.5 * (1.6 / 3 / 3), 12);
    const mx = frameOf(ma.features, mirror(THROUGH));
    expect(firedSides(maEvaluate, mx)).toEqual([[11, -1]]);
    ma.evaluate(mx, 11, out);
    // Mirror: close 100.0 after 101.0, ATR 3, stop 100 + 6 = 106.
    expect(out.reason).toBe(MA_CROSSOVER_REASONS.CrossedBelow);
    expect(out.stopHint).toBe(106);
  });

  it('rule strategies (generated code and interpreter) and the hand-written twin agree with ma-crossover on both series', () => {
    // A percent stop: the series are shorter than the ATR(14) warm-up of smaCrossRule's stop.
    const input = { ...smaCrossRule('tie-cross', 2, 3), stop: { percent: 1 } };
    const rule = parseRuleStrategy(input);
    const { features, setup } = planRuleStrategy(rule);
    const interpreted = interpretRuleStrategy(rule, setup);
    const generated = generateRuleEvaluate(rule, setup);
    const compiled = createAdapterFromDefinition(compileRuleStrategy(input, 1), undefined);
    const twin = handWrittenSmaCross('tie-cross-code', 2, 3);
    const twinEvaluate = (f: FeatureExtractor, i: number, out: AdapterOutput) => twin.evaluate(f, i, out, {});
    const compiledEvaluate = (f: FeatureExtractor, i: number, out: AdapterOutput) => (i < compiled.warmup ? undefined : compiled.evaluate(f, i, out));
    const cases: [readonly number[], [number, number][]][] = [
      [NOISE, []],
      [mirror(NOISE), []],
      [THROUGH, [[11, 1]]],
      [mirror(THROUGH), [[11, -1]]],
    ];
    for (const [closes, expected] of cases) {
      const fx = frameOf({ ...features, sma: [2, 3], atr: [14] }, closes);
      expect(firedSides(interpreted, fx)).toEqual(expected);
      expect(firedSides(generated, fx)).toEqual(expected);
      expect(firedSides(twinEvaluate, fx)).toEqual(expected);
      expect(firedSides(compiledEvaluate, fx)).toEqual(expected);
    }
  });

  it('a rule crossing a constant looks through exact ties of the level too', () => {
    const rule = parseRuleStrategy({
      name: 'close-cross-level',
      long: { all: [{ left: { price: 'close' }, op: 'crossesAbove', right: { value: 100 } }] },
      short: { all: [{ left: { value: 100 }, op: 'crossesAbove', right: { price: 'close' } }] },
      stop: { percent: 1 },
    });
    const { features, setup } = planRuleStrategy(rule);
    // close − 100: −1, 0, +1 (long at 2), +1, 0, −1 (short at 5: the constant crossing above the close), 0, −1 (touch).
    const fx = frameOf(features, [99, 100, 101, 101, 100, 99, 100, 99]);
    const expected = [[2, 1], [5, -1]];
    expect(firedSides(interpretRuleStrategy(rule, setup), fx)).toEqual(expected);
    expect(firedSides(generateRuleEvaluate(rule, setup), fx)).toEqual(expected);
  });
});
