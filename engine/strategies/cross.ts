/**
 * The one cross rule of the engine: what "a crosses above b" means for the built-in MA crossover,
 * the rule strategies' `crossesAbove` / `crossesBelow` (generated code and interpreter) and strategy
 * files (`crossDirection` from `aethelred/strategy`).
 *
 * Two values are equal when |a − b| <= CROSS_EPSILON × max(|a|, |b|): a moving average kept as a
 * running sum carries floating-point noise of about 1e-12 of its value, so two averages that are
 * equal in real arithmetic may differ in their last bits; 1e-9 absorbs that noise and is far below
 * any price move a trader would call a cross (1e-9 of 60 000 is 0.00006).
 *
 * A cross above fires at row i when a[i] is strictly above b[i] (not equal) and the last row before i
 * where they were not equal had a strictly below b. Equal rows are looked through, back to the first
 * row of the series. When the look-back reaches the first row, or a row where either value is NaN
 * (warm-up), after at least one equal row, the two were equal for as long as both existed: a parting
 * from that state counts as a cross (flat prices that start to move); with no equal row in between
 * (the row right after the warm-up) nothing fires. So:
 * - below, equal, below (a touch) never fires;
 * - below, equal, equal, above fires once, at the first row strictly above;
 * - two series that stay equal but for noise never fire.
 * A cross below is the mirror image. Crosses alternate (above, below, above, …) on a series without
 * NaN, and a row where the values are equal never fires, so a touch no longer gives a signal and the
 * opposite one on the next row; a genuine one-row excursion (below, above, below) still crosses twice.
 */

/** A cross: 1 above, -1 below, 0 none (the values of `Direction`, so it can be used as a side). */
export type CrossSide = 1 | -1 | 0;

/** Relative tolerance of {@link crossDirection}: |a − b| <= CROSS_EPSILON × max(|a|, |b|) counts as equal. */
export const CROSS_EPSILON = 1e-9;

/** Where a stands against b: 1 above, -1 below, 0 equal within `epsilon` (relative), 2 when either is NaN. */
function sideOf(a: number, b: number, epsilon: number): number {
  const d = a - b;
  if (d !== d) return 2;
  const absA = a < 0 ? -a : a;
  const absB = b < 0 ? -b : b;
  const scale = absA > absB ? absA : absB;
  const absD = d < 0 ? -d : d;
  if (absD <= epsilon * scale && absD !== Infinity) return 0;
  return d > 0 ? 1 : -1;
}

/** The side of the last row before `i` where `a` and `b` differ, looked back through equal rows (0: equal back to the first row or to a NaN row; 2: row i-1 is NaN or i is 0). */
function sideBefore(a: ArrayLike<number>, b: ArrayLike<number>, i: number, epsilon: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const s = sideOf(a[j], b[j], epsilon);
    if (s === 2) return j === i - 1 ? 2 : 0;
    if (s !== 0) return s;
  }
  return i > 0 ? 0 : 2;
}

/** As {@link sideBefore} against a constant level. */
function sideBeforeLevel(a: ArrayLike<number>, level: number, i: number, epsilon: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const s = sideOf(a[j], level, epsilon);
    if (s === 2) return j === i - 1 ? 2 : 0;
    if (s !== 0) return s;
  }
  return i > 0 ? 0 : 2;
}

/**
 * Whether series `a` crossed series `b` at row `i` (see the module comment for the rule).
 * Reads rows `0..i` only, allocates nothing.
 * @param epsilon relative tolerance of equality, {@link CROSS_EPSILON} by default (0: exact equality).
 * @returns 1 when a crossed above b at row i, -1 when it crossed below, 0 otherwise (also when a value is NaN or i < 1).
 */
export function crossDirection(a: ArrayLike<number>, b: ArrayLike<number>, i: number, epsilon: number = CROSS_EPSILON): CrossSide {
  const now = sideOf(a[i], b[i], epsilon);
  if (now !== 1 && now !== -1) return 0;
  const before = sideBefore(a, b, i, epsilon);
  return before === -now || before === 0 ? (now as CrossSide) : 0;
}

/**
 * {@link crossDirection} at every row of `from..to-1`, written to `out[i - from]`: the column form the
 * built-in MA crossover uses. One look-back through equal rows seeds the side before `from` (so equal rows
 * before the range are looked through exactly as `crossDirection` does); from there the side of the last
 * row that was not equal is carried row to row instead of being searched for again at every row, which
 * makes the range linear in its length however long the ties last. Gives exactly `crossDirection(a, b, i,
 * epsilon)` at each row: the carried side follows `sideBefore`'s three outcomes (a differing row gives its
 * side, a NaN row gives "NaN just before", an equal row keeps the side before it, turning "NaN just before"
 * or "no row before" into "equal since the series or the warm-up began").
 * Reads rows `0..to-1` only, allocates nothing.
 * @param out receives 1, -1 or 0 per row; at least `to - from` long.
 * @param epsilon relative tolerance of equality, {@link CROSS_EPSILON} by default (0: exact equality).
 * @param nanMark written instead of 0 at the rows where no cross can be told: row i or row i-1 is NaN (in `a - b`), or
 *   i is 0 (0 by default). The built-in MA crossover passes 2 to learn its warm-up rows from this pass rather than
 *   reading both series at two rows again (its column form: 12.0 -> 9.8 ns a row on BTC/USDT 5m).
 */
export function crossDirections(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number, out: Int8Array, epsilon: number = CROSS_EPSILON, nanMark: number = 0): void {
  // `before` is what sideBefore(a, b, i, epsilon) returns at the row i being written. Its first value is
  // sideBefore at `from`, written out here rather than called: the call, once per range, was left out of the
  // compiled code and boxed the values it passed on (a few numbers per range).
  let before = from > 0 ? 0 : 2;
  for (let j = from - 1; j >= 0; j--) {
    const s = sideOf(a[j], b[j], epsilon);
    if (s === 0) continue;
    before = s === 2 ? (j === from - 1 ? 2 : 0) : s;
    break;
  }
  // `before` is 2 exactly when row i-1 is NaN or i is 0 (it becomes 2 on a NaN row and leaves 2 on the next row).
  for (let i = from; i < to; i++) {
    const now = sideOf(a[i], b[i], epsilon);
    if (now === 1 || now === -1) {
      out[i - from] = before === 2 ? nanMark : before === -now || before === 0 ? now : 0;
      before = now;
    } else {
      out[i - from] = now === 2 || before === 2 ? nanMark : 0;
      // An equal row is looked through: the side before it stays, except that "row i-1 is NaN" or "no
      // row before" become "equal back to the NaN row or the first row" one row later. A NaN row is
      // "NaN just before" for the next row.
      if (now === 2) before = 2;
      else if (before === 2) before = 0;
    }
  }
}

/**
 * Whether series `a` crossed the constant `level` at row `i`: {@link crossDirection} against a flat line.
 * @returns 1 when a crossed above `level` at row i, -1 when it crossed below, 0 otherwise.
 */
export function crossDirectionLevel(a: ArrayLike<number>, level: number, i: number, epsilon: number = CROSS_EPSILON): CrossSide {
  const now = sideOf(a[i], level, epsilon);
  if (now !== 1 && now !== -1) return 0;
  const before = sideBeforeLevel(a, level, i, epsilon);
  return before === -now || before === 0 ? (now as CrossSide) : 0;
}

/** True when `a` crossed above `b` at row `i` ({@link crossDirection} is 1). */
export function crossedAbove(a: ArrayLike<number>, b: ArrayLike<number>, i: number, epsilon: number = CROSS_EPSILON): boolean {
  return crossDirection(a, b, i, epsilon) === 1;
}

/** True when `a` crossed below `b` at row `i` ({@link crossDirection} is -1). */
export function crossedBelow(a: ArrayLike<number>, b: ArrayLike<number>, i: number, epsilon: number = CROSS_EPSILON): boolean {
  return crossDirection(a, b, i, epsilon) === -1;
}
