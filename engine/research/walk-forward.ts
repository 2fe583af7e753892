/**
 * Walk-forward analysis (Pardo, "The Evaluation and Optimization of Trading Strategies", 2nd ed. 2008,
 * ch. 11): optimise on an in-sample (IS) window, test the winner on the out-of-sample (OOS) window that
 * immediately follows, move on, then judge the strategy by the stitched OOS equity and by how much of its
 * in-sample performance survives out of sample.
 *
 * Windows are half-open time intervals `[fromMs, toMs)` over candle open times.
 * - rolling: window k has IS = [fromMs + k·step, fromMs + k·step + inSampleMs), a fixed length;
 * - anchored: window k has IS = [fromMs, fromMs + inSampleMs + k·step), growing from the range start;
 * - in both, OOS = [IS.toMs, IS.toMs + outOfSampleMs), and windows are made while OOS.toMs <= toMs (a
 *   remainder shorter than a full window at the end of the range is not used).
 * `step` defaults to `outOfSampleMs`, so the OOS windows tile [fromMs + inSampleMs, …) back to back; a
 * longer step leaves gaps between them; a shorter one would make them overlap and is refused.
 *
 * The IS window must hold more candles than the strategy's warm-up, or the optimiser would score runs
 * that never traded. An OOS window needs no such length: its backtest reads its warm-up history from the
 * candles just before it, which the IS window already covers.
 */
import { ValidationError } from '../core/errors';
import type { EquityPoint } from '../ports/backtest-runs';

/** How the in-sample window moves. */
export const WalkForwardMode = { Rolling: 'rolling', Anchored: 'anchored' } as const;
export type WalkForwardMode = (typeof WalkForwardMode)[keyof typeof WalkForwardMode];

/** A half-open time interval `fromMs <= t < toMs`, epoch milliseconds. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** One walk-forward window: optimise on `inSample`, test on `outOfSample` (which starts where `inSample` ends). */
export interface WalkForwardWindow {
  readonly index: number;
  readonly inSample: TimeRange;
  readonly outOfSample: TimeRange;
}

/** Inputs of {@link walkForwardWindows}. Durations in milliseconds. */
export interface WalkForwardConfig {
  /** Start of the whole range (inclusive). */
  readonly fromMs: number;
  /** End of the whole range (exclusive). */
  readonly toMs: number;
  /** Length of the in-sample window (the first one, for anchored mode). */
  readonly inSampleMs: number;
  /** Length of each out-of-sample window. */
  readonly outOfSampleMs: number;
  /** How far each window moves; >= outOfSampleMs. Default `outOfSampleMs`. */
  readonly stepMs?: number;
  readonly mode: WalkForwardMode;
  /** Candle length of the runs (e.g. 3_600_000 for 1h). */
  readonly timeframeMs: number;
  /** The strategy's warm-up in candles (`StrategyAdapter.warmup`). */
  readonly warmupCandles: number;
}

/** At most this many windows per walk-forward (each window is a whole optimisation). */
export const MAX_WALK_FORWARD_WINDOWS = 1000;

function requireInteger(field: string, value: unknown, min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ValidationError(field, value, `expected ${what}`);
  return value;
}

/**
 * The walk-forward windows over a range (see the module comment for the layout). Invariants, for every
 * window: IS and OOS do not overlap and OOS starts where IS ends; both lie within [fromMs, toMs); the
 * OOS windows never overlap one another (and are contiguous with the default step); anchored IS windows
 * start at fromMs.
 * @throws ValidationError on `fromMs`, `toMs`, `inSampleMs`, `outOfSampleMs`, `stepMs`, `timeframeMs`,
 *   `warmupCandles` when not a whole number of milliseconds (candles) in range, `mode` when unknown,
 *   `toMs` when not after fromMs, `outOfSampleMs` when shorter than one candle, `stepMs` when shorter
 *   than outOfSampleMs, `inSampleMs` when it holds no more candles than the warm-up (naming the warm-up),
 *   `toMs` when the range holds no full IS + OOS window, `stepMs` (or `outOfSampleMs` without a step)
 *   when the range would hold more than {@link MAX_WALK_FORWARD_WINDOWS} windows.
 */
export function walkForwardWindows(config: WalkForwardConfig): WalkForwardWindow[] {
  const fromMs = requireInteger('fromMs', config.fromMs, Number.MIN_SAFE_INTEGER, 'an integer time in epoch milliseconds');
  const toMs = requireInteger('toMs', config.toMs, Number.MIN_SAFE_INTEGER, 'an integer time in epoch milliseconds');
  if (toMs <= fromMs) throw new ValidationError('toMs', toMs, `the range must end after it starts (fromMs ${fromMs})`);
  const timeframeMs = requireInteger('timeframeMs', config.timeframeMs, 1, 'a whole number of milliseconds >= 1');
  const warmupCandles = requireInteger('warmupCandles', config.warmupCandles, 0, 'a whole number of candles >= 0');
  const inSampleMs = requireInteger('inSampleMs', config.inSampleMs, 1, 'a whole number of milliseconds >= 1');
  const outOfSampleMs = requireInteger('outOfSampleMs', config.outOfSampleMs, 1, 'a whole number of milliseconds >= 1');
  const stepMs = config.stepMs === undefined ? outOfSampleMs : requireInteger('stepMs', config.stepMs, 1, 'a whole number of milliseconds >= 1');
  const mode = config.mode;
  if (mode !== WalkForwardMode.Rolling && mode !== WalkForwardMode.Anchored) throw new ValidationError('mode', mode, 'expected "rolling" or "anchored"');
  if (outOfSampleMs < timeframeMs) throw new ValidationError('outOfSampleMs', outOfSampleMs, `shorter than one candle (${timeframeMs} ms)`);
  if (stepMs < outOfSampleMs) throw new ValidationError('stepMs', stepMs, `shorter than the out-of-sample window (${outOfSampleMs} ms): out-of-sample windows would overlap`);
  const inSampleCandles = Math.floor(inSampleMs / timeframeMs);
  if (inSampleCandles <= warmupCandles) {
    throw new ValidationError(
      'inSampleMs',
      inSampleMs,
      `the in-sample window holds ${inSampleCandles} candles of ${timeframeMs} ms, not more than the strategy's warm-up of ${warmupCandles} candles (${warmupCandles * timeframeMs} ms)`,
    );
  }
  if (fromMs + inSampleMs + outOfSampleMs > toMs) {
    throw new ValidationError('toMs', toMs, `the range of ${toMs - fromMs} ms holds no full window of ${inSampleMs} ms in sample + ${outOfSampleMs} ms out of sample`);
  }
  const count = Math.floor((toMs - fromMs - inSampleMs - outOfSampleMs) / stepMs) + 1;
  if (count > MAX_WALK_FORWARD_WINDOWS) {
    const field = config.stepMs === undefined ? 'outOfSampleMs' : 'stepMs';
    throw new ValidationError(field, field === 'stepMs' ? stepMs : outOfSampleMs, `the range would hold ${count} windows, above the maximum of ${MAX_WALK_FORWARD_WINDOWS}; use longer windows or a shorter range`);
  }
  const windows: WalkForwardWindow[] = [];
  for (let k = 0; ; k++) {
    const isFrom = mode === WalkForwardMode.Rolling ? fromMs + k * stepMs : fromMs;
    const isTo = fromMs + k * stepMs + inSampleMs;
    const oosTo = isTo + outOfSampleMs;
    if (oosTo > toMs) break;
    windows.push(Object.freeze({ index: k, inSample: Object.freeze({ fromMs: isFrom, toMs: isTo }), outOfSample: Object.freeze({ fromMs: isTo, toMs: oosTo }) }));
  }
  return windows;
}

/**
 * Joins the out-of-sample equity curves of consecutive windows into one curve, multiplicatively: each
 * window's curve is rescaled to start where the stitched curve ended, so the result compounds the
 * windows' returns as if one account had traded them in turn. With S the stitched curve so far and c the
 * next window's curve: S gains c[j].equity × S.last / c[0].equity for every point j (c[0] itself is
 * dropped when it has the same time as S.last, since it rescales to the same value). The first curve is
 * rescaled to start at `startEquity` (default: kept as it is).
 * @throws ValidationError on `equityCurves.<k>` for an empty curve, `equityCurves.<k>.<j>.equity` for an
 *   equity that is not finite, negative, or 0 at a curve's start, `equityCurves.<k>.<j>.timeMs` when times
 *   do not increase (within a curve and from one curve to the next), `startEquity` when not finite > 0.
 */
export function stitchOutOfSample(equityCurves: readonly (readonly EquityPoint[])[], startEquity?: number): EquityPoint[] {
  if (startEquity !== undefined && !(Number.isFinite(startEquity) && startEquity > 0)) throw new ValidationError('startEquity', startEquity, 'expected a finite number > 0');
  const out: EquityPoint[] = [];
  equityCurves.forEach((curve, k) => {
    if (!Array.isArray(curve) || curve.length === 0) throw new ValidationError(`equityCurves.${k}`, Array.isArray(curve) ? curve.length : curve, 'expected a non-empty equity curve');
    const first = curve[0].equity;
    if (!Number.isFinite(first) || first <= 0) throw new ValidationError(`equityCurves.${k}.0.equity`, first, 'a window must start with a finite equity > 0');
    const previous = out.length > 0 ? out[out.length - 1] : undefined;
    const base = previous ? previous.equity : (startEquity ?? first);
    const scale = base / first;
    let lastTime = previous ? previous.timeMs : -Infinity;
    curve.forEach((point, j) => {
      if (!Number.isFinite(point.equity) || point.equity < 0) throw new ValidationError(`equityCurves.${k}.${j}.equity`, point.equity, 'expected a finite equity >= 0');
      if (j === 0 && previous && point.timeMs === previous.timeMs) return;
      if (!Number.isFinite(point.timeMs) || point.timeMs <= lastTime) throw new ValidationError(`equityCurves.${k}.${j}.timeMs`, point.timeMs, `times must increase (previous point at ${lastTime})`);
      lastTime = point.timeMs;
      out.push({ timeMs: point.timeMs, equity: j === 0 ? base : point.equity * scale });
    });
  });
  return out;
}

/** In-sample against out-of-sample performance of a walk-forward. */
export interface Degradation {
  /** Per window: OOS / IS when the IS score is finite and > 0, else NaN. */
  readonly ratios: readonly number[];
  /** Mean of the finite per-window ratios (NaN when none): 1 = no degradation, 0.5 = half survived, < 0 = lost money OOS. */
  readonly meanRatio: number;
  /** Mean IS and OOS scores over the windows whose both scores are finite (NaN when none). */
  readonly meanInSample: number;
  readonly meanOutOfSample: number;
}

/**
 * How much in-sample performance survives out of sample (Pardo's walk-forward efficiency, per window
 * and on average): ratio_k = oos_k / is_k for windows with a finite IS score > 0 (a ratio against a
 * zero or negative IS score says nothing and is NaN); meanRatio = the mean of the finite ratios.
 * Scores are one metric per window on the same scale (e.g. annualised Sharpe on both sides).
 * @throws ValidationError on `outOfSample` when the two lists differ in length.
 */
export function degradation(inSample: readonly number[], outOfSample: readonly number[]): Degradation {
  if (inSample.length !== outOfSample.length) {
    throw new ValidationError('outOfSample', outOfSample.length, `expected one out-of-sample score per in-sample score (${inSample.length})`);
  }
  const ratios: number[] = [];
  let ratioSum = 0;
  let ratioCount = 0;
  let isSum = 0;
  let oosSum = 0;
  let bothCount = 0;
  for (let k = 0; k < inSample.length; k++) {
    const is = inSample[k];
    const oos = outOfSample[k];
    const ratio = Number.isFinite(is) && is > 0 && Number.isFinite(oos) ? oos / is : NaN;
    ratios.push(ratio);
    if (!Number.isNaN(ratio)) {
      ratioSum += ratio;
      ratioCount++;
    }
    if (Number.isFinite(is) && Number.isFinite(oos)) {
      isSum += is;
      oosSum += oos;
      bothCount++;
    }
  }
  return {
    ratios,
    meanRatio: ratioCount > 0 ? ratioSum / ratioCount : NaN,
    meanInSample: bothCount > 0 ? isSum / bothCount : NaN,
    meanOutOfSample: bothCount > 0 ? oosSum / bothCount : NaN,
  };
}
