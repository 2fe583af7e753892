/**
 * Moving-average crossover: the classic trend-following entry (popularised as the "golden cross"
 * / "death cross"; see Murphy, "Technical Analysis of the Financial Markets", 1999, ch. 9).
 */
import { ValidationError } from '../core/errors';
import { createAdapterFromDefinition } from './strategy-catalog';
import { CROSS_EPSILON, crossDirections, defineStrategy, z } from './strategy-api';
import { COMMON_REASONS, Direction, fillFlatColumns, type StrategyAdapter } from './strategy-adapter';
import { multipleParam, periodParam } from './strategy-params';

/** Settings of the MA crossover. Periods in candles. */
export interface MaCrossoverConfig {
  /** Fast SMA period; must be below `slowPeriod`. */
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  /** ATR period for stop distance and strength. */
  readonly atrPeriod: number;
  /** Stop distance in ATRs from the close. */
  readonly atrStopMultiple: number;
}

/** Defaults: SMA 20/50, ATR(14), stop 2 ATR. */
export const MA_CROSSOVER_DEFAULTS: MaCrossoverConfig = Object.freeze({
  fastPeriod: 20,
  slowPeriod: 50,
  atrPeriod: 14,
  atrStopMultiple: 2,
});

/** Constant reasons written by the MA crossover adapter. */
export const MA_CROSSOVER_REASONS = {
  CrossedAbove: 'ma-crossover: fast SMA crossed above slow SMA',
  CrossedBelow: 'ma-crossover: fast SMA crossed below slow SMA',
} as const;

/** What `crossDirections` writes at the rows where an average is NaN at the row or the row before, or at row 0. */
const WARM_UP_MARK = 2;

/**
 * The MA crossover strategy.
 *
 * What it tells a trader: the short-term average price has moved above (below) the longer-term
 * average, i.e. momentum has turned up (down) and a new trend may be starting.
 *
 * Rules at row i:
 * - long when SMA(fast) crosses above SMA(slow) at i, short when it crosses below, otherwise flat;
 *   a cross is `crossDirection` (engine/strategies/cross.ts): the averages equal within 1e-9 of
 *   their value count as equal (noise of their running sums is no cross) and equal rows are looked
 *   through, so a touch never fires and a cross through a tie fires once, on the first row beyond it.
 * - strength = 0.5 + 0.5 * min(1, |close - SMA(slow)| / ATR): how far price already stands beyond
 *   the slow average, in ATRs (a full ATR or more gives 1).
 * - stopHint = close -/+ atrStopMultiple * ATR (NaN if ATR is 0).
 * - warmup = max(slowPeriod, atrPeriod - 1).
 *
 * Params: periods integers in 1..10000, fastPeriod < slowPeriod, atrStopMultiple a finite number > 0.
 */
export const maCrossover = defineStrategy({
  name: 'ma-crossover',
  version: '1.0.0',
  summary: 'Long when the fast SMA crosses above the slow SMA, short on the cross below (fastPeriod must be below slowPeriod); ATR stop.',
  params: z.strictObject({
    fastPeriod: periodParam(MA_CROSSOVER_DEFAULTS.fastPeriod),
    slowPeriod: periodParam(MA_CROSSOVER_DEFAULTS.slowPeriod),
    atrPeriod: periodParam(MA_CROSSOVER_DEFAULTS.atrPeriod),
    atrStopMultiple: multipleParam(MA_CROSSOVER_DEFAULTS.atrStopMultiple),
  }),
  check(p) {
    if (p.fastPeriod >= p.slowPeriod) {
      throw new ValidationError('fastPeriod', p.fastPeriod, `fastPeriod (${p.fastPeriod}) must be below slowPeriod (${p.slowPeriod})`);
    }
  },
  indicators: (p) => ({ sma: [p.fastPeriod, p.slowPeriod], atr: [p.atrPeriod] }),
  warmup: (p) => Math.max(p.slowPeriod, p.atrPeriod - 1),
  // Column form: the crosses of the whole range first, into the side column (one look-back at `from`, then
  // the side carried row to row), every other column filled flat; then one pass that clears the warm-up rows
  // and grades the rows that crossed. Columns are looked up once per range, and a flat row costs no store.
  evaluateColumns(f, from, to, columns, p) {
    const fast = f.sma[p.fastPeriod];
    const slow = f.sma[p.slowPeriod];
    const atrs = f.atr[p.atrPeriod];
    const closes = f.close;
    const multiple = p.atrStopMultiple;
    const side = columns.side;
    const strength = columns.strength;
    const stopHint = columns.stopHint;
    const reason = columns.reason;
    fillFlatColumns(columns, to - from, COMMON_REASONS.NoSignal);
    // Rows where either average is NaN at the row or the row before (and row 0) come back marked 2: the warm-up.
    crossDirections(fast, slow, from, to, side, CROSS_EPSILON, WARM_UP_MARK);
    for (let i = from; i < to; i++) {
      const s = i - from;
      const cross = side[s];
      const atr = atrs[i];
      if (cross === WARM_UP_MARK || atr !== atr) {
        side[s] = Direction.Flat;
        reason[s] = COMMON_REASONS.WarmUp;
        continue;
      }
      if (cross === 0) continue;
      reason[s] = cross === 1 ? MA_CROSSOVER_REASONS.CrossedAbove : MA_CROSSOVER_REASONS.CrossedBelow;
      const close = closes[i];
      const average = slow[i];
      const distance = close > average ? close - average : average - close;
      const x = atr > 0 ? distance / atr : 0;
      strength[s] = 0.5 + 0.5 * (x < 1 ? x : 1);
      if (atr > 0) stopHint[s] = close - cross * multiple * atr;
    }
  },
});

/**
 * Creates the MA crossover adapter from untrusted params (missing fields take the defaults).
 * @throws ValidationError on `params.<field>` when a period is not an integer in 1..10000,
 *   fastPeriod >= slowPeriod, or atrStopMultiple is not a finite number > 0.
 */
export function createMaCrossover(config: Partial<MaCrossoverConfig> = {}): StrategyAdapter<MaCrossoverConfig> {
  return createAdapterFromDefinition(maCrossover, config) as StrategyAdapter<MaCrossoverConfig>;
}
