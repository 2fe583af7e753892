/**
 * The look-ahead and recursion check of a strategy (after freqtrade's `lookahead-analysis` and
 * `recursive-analysis`): does a strategy's signal at a candle change when the candles after it are
 * removed, and do the indicators it reads still depend on how much history preceded them once its
 * declared warm-up has passed?
 *
 * Look-ahead. The trading loop feeds the frame one closed candle at a time, so a strategy that reads
 * `f.close[i + 1]` sees nothing there in a backtest or a live session, and its backtest flatters it
 * only through that accident (or, written against a frame holding the whole range, it trades on the
 * future). The check evaluates every row `i >= warmup` twice:
 * - on the full frame (every candle of the range pushed first), and
 * - on the truncated frame of rows `0..i` only. The extractor is streaming, so the frame after
 *   pushing rows `0..k` IS the frame of rows `0..k` (indicator values at rows <= k are bit-identical
 *   to the full frame's): one incremental pass truncates at every row, no sample is needed.
 * Every row whose output (side, strength, stop hint, exit, reason) differs is a finding.
 *
 * Recursion. EMA, RSI and ATR are recursive: seeded from the first candles of the history and then
 * smoothed, so their value at a candle depends on where the history started, with a weight that
 * decays like `(1 - alpha)^m` after `m` candles (EMA alpha = 2/(n+1), Wilder RSI/ATR alpha = 1/n).
 * For each indicator column the strategy declares (`adapter.features`), the check computes the
 * column again with history starting at row `s` (for a few starts `s`) and compares it with the
 * full-history column at every row `r >= s + startupCandles`, the rows on which the strategy trades
 * when its history starts at `s` (`adapter.startupCandles`: the history a backtest loads before its
 * `from` and a live session warms with; the adapter's warm-up when it declares none). A column whose values differ beyond the tolerance there depends
 * on history before its declared startup: the startup history is too short for it.
 *
 * Tolerance ({@link DEFAULT_RECURSION_TOLERANCE}, 0.1 %): differences are relative to the
 * full-history value (price-scaled columns: SMA, EMA, ATR, Donchian) or to RSI's 0..100 scale
 * (0.1 % = 0.1 RSI point). At 0.1 % a signal can flip only when the close sits within 0.1 % of the
 * indicator's level, where the decision was a coin toss anyway; a larger difference can move an
 * RSI threshold cross or a close-above-EMA test on ordinary candles. Non-recursive columns (SMA's
 * running sum, Donchian's extremes) differ by rounding only (~1e-15), far below it. A value present
 * on one side and missing (NaN) on the other always counts. A price-scaled difference below a
 * billionth of the candle's close is rounding and never counts (a flat window's deviation may come
 * out 0 on one side and 1e-14 on the other: relative to a value near 0 that is no signal).
 *
 * {@link convergenceWarmup} (engine/features) gives the startup history a strategy needs for its
 * recursive columns to pass; adapters built from a definition declare at least that much.
 */
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';
import { createFeatureExtractor } from '../features/feature-extractor';
import { DEFAULT_RECURSION_TOLERANCE } from '../features/convergence-warmup';
import { FEATURE_KINDS, normalizeFeatureConfig, type FeatureKind } from '../features/feature-config';
import type { FeatureFrame } from '../features/feature-frame';
import { createAdapterOutput, startupCandlesOf, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';

/** The warm-up proposal lives with the indicators (engine/features); re-exported for existing importers. */
export { convergenceWarmup, DEFAULT_RECURSION_TOLERANCE } from '../features/convergence-warmup';
/** Price-scaled differences below this share of the row's close are rounding, never findings. */
const ROUNDING_FLOOR = 1e-9;
/** Default number of later history starts compared with the full history. */
export const DEFAULT_RECURSION_STARTS = 3;
/** Default cap on the look-ahead findings kept in a report (all are counted). */
export const DEFAULT_MAX_FINDINGS = 200;

/** Options of {@link checkStrategy}. */
export interface StrategyCheckOptions {
  /** Relative tolerance of the recursion check, > 0 and < 1 (default {@link DEFAULT_RECURSION_TOLERANCE}). */
  tolerance?: number;
  /**
   * Rows at which the shortened histories start (integers >= 1 with `start + startupCandles` inside the range).
   * Default: {@link DEFAULT_RECURSION_STARTS} starts evenly spaced over the rows that leave room for the warm-up.
   */
  recursionStarts?: readonly number[];
  /** Look-ahead findings kept in the report (integer >= 1, default {@link DEFAULT_MAX_FINDINGS}); `lookAhead.findingCount` counts all. */
  maxFindings?: number;
  /** Called after each pass with candle rows processed so far and in total (passes: full, truncated, one per start). */
  onProgress?: (done: number, total: number) => void;
}

/** A strategy's output at one candle, JSON-safe (`stopHint` null when the strategy gave none). */
export interface SignalSnapshot {
  /** 1 long, -1 short, 0 none. */
  side: number;
  /** 0..1. */
  strength: number;
  /** Protective stop price in quote currency, null when none. */
  stopHint: number | null;
  /** 1 closes a long, -1 closes a short, 0 nothing. */
  exit: number;
  reason: string;
}

/** A candle whose signal on the full range differs from the signal on the range cut after it. */
export interface LookAheadFinding {
  /** Row in the checked range (0 = first candle). */
  row: number;
  /** Open time of the candle, epoch ms. */
  timeMs: number;
  /** Output with every candle of the range in the frame. */
  full: SignalSnapshot;
  /** Output with only the candles up to this one in the frame (what a live session sees). */
  truncated: SignalSnapshot;
}

/** An indicator column whose value still depends on the start of history after the declared warm-up. */
export interface RecursionFinding {
  /** Column name as the frame indexes it, e.g. `ema(50)`, `donchianUpper(20)`. */
  indicator: string;
  kind: FeatureKind;
  period: number;
  /** Row and open time of the first candle of the shortened history. */
  historyStartRow: number;
  historyStartMs: number;
  /** First compared candle whose values differ beyond the tolerance. */
  firstRow: number;
  firstTimeMs: number;
  /** Values at that candle: full history and shortened history (null when missing). */
  fullValue: number | null;
  shortValue: number | null;
  /** Relative difference at that candle (null when one value is missing). */
  difference: number | null;
  /** Largest relative difference over the compared rows (null when a value was missing) and its candle time. */
  maxDifference: number | null;
  maxDifferenceTimeMs: number;
  /** Compared rows beyond the tolerance. */
  differingRows: number;
  /** Compared rows (from `historyStartRow + startupCandles` to the end of the range). */
  comparedRows: number;
}

/** What {@link checkStrategy} found; `passed` when neither part found anything. JSON-safe. */
export interface StrategyCheckReport {
  strategy: string;
  version: string | null;
  /** First row on which the strategy may signal (look-ahead compares rows from here). */
  warmup: number;
  /** History the strategy declares before its first traded candle (`StrategyAdapter.startupCandles`); recursion compares rows from `start + startupCandles`. */
  startupCandles: number;
  candles: number;
  firstTimeMs: number;
  lastTimeMs: number;
  passed: boolean;
  lookAhead: {
    /** Rows compared (warm-up rows excluded). */
    rowsChecked: number;
    /** Differing rows in total. */
    findingCount: number;
    /** The first `maxFindings` differing rows, oldest first. */
    findings: LookAheadFinding[];
  };
  recursion: {
    tolerance: number;
    /** Indicator columns compared, e.g. `['ema(50)', 'atr(14)']`. */
    indicators: string[];
    historyStartRows: number[];
    findings: RecursionFinding[];
  };
}

/** Columns of one feature kind (Donchian has two). */
function columnsOf(kind: FeatureKind, period: number, f: FeatureFrame): { name: string; values: Float64Array }[] {
  switch (kind) {
    case 'donchian':
      return [
        { name: `donchianUpper(${period})`, values: f.donchianUpper[period] },
        { name: `donchianLower(${period})`, values: f.donchianLower[period] },
      ];
    default:
      return [{ name: `${kind}(${period})`, values: f[kind][period] }];
  }
}

function snapshotOf(out: AdapterOutput): SignalSnapshot {
  return { side: out.side, strength: out.strength, stopHint: Number.isNaN(out.stopHint) ? null : out.stopHint, exit: out.exit, reason: out.reason };
}

/** Same number, NaN equal to NaN (+0 equal to -0). */
const same = (a: number, b: number) => a === b || (a !== a && b !== b);

function checkOptions(rows: number, startup: number, options: StrategyCheckOptions): { tolerance: number; starts: number[]; maxFindings: number } {
  const tolerance = options.tolerance ?? DEFAULT_RECURSION_TOLERANCE;
  if (!(Number.isFinite(tolerance) && tolerance > 0 && tolerance < 1)) {
    throw new ValidationError('tolerance', tolerance, `tolerance (${String(tolerance)}) must be a number above 0 and below 1`);
  }
  const maxFindings = options.maxFindings ?? DEFAULT_MAX_FINDINGS;
  if (!(Number.isInteger(maxFindings) && maxFindings >= 1)) {
    throw new ValidationError('maxFindings', maxFindings, `maxFindings (${String(maxFindings)}) must be an integer >= 1`);
  }
  // A start s is usable when row s + startup exists: rows 1..rows - 1 - startup.
  const lastStart = rows - 1 - startup;
  let starts: number[];
  if (options.recursionStarts) {
    options.recursionStarts.forEach((s, index) => {
      if (!(Number.isInteger(s) && s >= 1 && s <= lastStart)) {
        throw new ValidationError(
          `recursionStarts[${index}]`,
          s,
          lastStart >= 1
            ? `a history start must be an integer row in 1..${lastStart} (${rows} candles, ${startup} startup candles)`
            : `no history start leaves room for the ${startup} startup candles in ${rows} candles`,
        );
      }
    });
    starts = [...new Set(options.recursionStarts)].sort((a, b) => a - b);
  } else {
    starts = [];
    for (let j = 1; j <= DEFAULT_RECURSION_STARTS; j++) {
      const s = Math.floor((j * (lastStart + 1)) / (DEFAULT_RECURSION_STARTS + 1));
      if (s >= 1 && !starts.includes(s)) starts.push(s);
    }
  }
  return { tolerance, starts, maxFindings };
}

/**
 * Runs the look-ahead and recursion checks of one strategy over candles (see the module comment).
 * Pure: reads `candles`, allocates its own frames. Cost: 2 + (number of history starts) streaming
 * passes over the range, O(rows) each (about 0.2 s for 70 000 candles).
 * @param candles the range, oldest first (the extractor's candle rules apply).
 * @throws ValidationError naming `candles` when the range has no row after the warm-up
 *   (`startupCandles + 2` candles at least), `strategy` when its `evaluate` throws (with the candle), or the option (`tolerance`, `recursionStarts[i]`, `maxFindings`)
 *   that is out of range; the extractor's ValidationError for a malformed candle.
 */
export function checkStrategy(adapter: StrategyAdapter, candles: CandleColumns, options: StrategyCheckOptions = {}): StrategyCheckReport {
  const passes = checkPasses(adapter, candles, options);
  for (;;) {
    const step = passes.next();
    if (step.done) return step.value;
    options.onProgress?.(step.value[0], step.value[1]);
  }
}

/**
 * {@link checkStrategy} that waits for `onProgress` after each pass (a job writes its progress
 * there, and a cancelled job's progress write throws, which stops the check). Same throws.
 */
export async function checkStrategyAsync(
  adapter: StrategyAdapter,
  candles: CandleColumns,
  options: Omit<StrategyCheckOptions, 'onProgress'> & { onProgress?: (done: number, total: number) => void | Promise<void> } = {},
): Promise<StrategyCheckReport> {
  const passes = checkPasses(adapter, candles, { ...options, onProgress: undefined });
  for (;;) {
    const step = passes.next();
    if (step.done) return step.value;
    await options.onProgress?.(step.value[0], step.value[1]);
  }
}

/** Evaluates one row; a throwing strategy becomes a ValidationError on `strategy` naming the candle (the check cannot go on). */
function evaluateOrThrow(adapter: StrategyAdapter, f: FeatureFrame, i: number, out: AdapterOutput, frame: string): void {
  try {
    adapter.evaluate(f, i, out);
  } catch (error) {
    const at = new Date(f.openTimeMs[i]).toISOString();
    throw new ValidationError('strategy', adapter.name, `evaluate threw at the candle of ${at} (row ${i}, with ${frame}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The check as passes: yields [rows done, rows in total] after each pass, returns the report. */
function* checkPasses(adapter: StrategyAdapter, candles: CandleColumns, options: StrategyCheckOptions): Generator<[number, number], StrategyCheckReport> {
  const n = candles.length;
  const warmup = adapter.warmup;
  // The recursion part compares the rows a run trades once its declared history has passed: the startup candles.
  const startup = startupCandlesOf(adapter);
  if (n < startup + 2) {
    throw new ValidationError(
      'candles',
      n,
      `the check needs at least ${startup + 2} candles for ${adapter.name} (${startup} startup candles plus two rows to compare); the range has ${n}`,
    );
  }
  const { tolerance, starts, maxFindings } = checkOptions(n, startup, options);
  const config = normalizeFeatureConfig(adapter.features);
  const total = 2 * n + starts.reduce((sum, s) => sum + (n - s), 0);
  let done = 0;

  // Full frame: every candle first, then every row evaluated.
  const full = createFeatureExtractor(config, n);
  full.pushColumns(candles);
  const out = createAdapterOutput();
  const fullOutputs: SignalSnapshot[] = new Array(n);
  for (let i = warmup; i < n; i++) {
    evaluateOrThrow(adapter, full, i, out, 'the whole range');
    fullOutputs[i] = snapshotOf(out);
  }
  done += n;
  yield [done, total];

  // Truncated frames: the frame after pushing rows 0..i is the frame of rows 0..i.
  const truncated = createFeatureExtractor(config, n);
  const findings: LookAheadFinding[] = [];
  let findingCount = 0;
  for (let i = 0; i < n; i++) {
    truncated.pushFrom(candles, i);
    if (i < warmup) continue;
    evaluateOrThrow(adapter, truncated, i, out, 'the range cut after it');
    const a = fullOutputs[i];
    const differs =
      a.side !== out.side || a.exit !== out.exit || !same(a.strength, out.strength) || !same(a.stopHint ?? NaN, out.stopHint) || a.reason !== out.reason;
    if (differs) {
      findingCount++;
      if (findings.length < maxFindings) findings.push({ row: i, timeMs: candles.openTimeMs[i], full: a, truncated: snapshotOf(out) });
    }
  }
  done += n;
  yield [done, total];

  // Recursion: every declared column, full history versus history starting at s.
  const indicators: string[] = [];
  for (const kind of FEATURE_KINDS) for (const period of config[kind]) for (const column of columnsOf(kind, period, full)) indicators.push(column.name);
  const recursionFindings: RecursionFinding[] = [];
  for (const s of starts) {
    const short = createFeatureExtractor(config, n - s);
    for (let r = s; r < n; r++) short.pushFrom(candles, r);
    for (const kind of FEATURE_KINDS) {
      for (const period of config[kind]) {
        const fullColumns = columnsOf(kind, period, full);
        const shortColumns = columnsOf(kind, period, short);
        for (let c = 0; c < fullColumns.length; c++) {
          const finding = compareColumn(fullColumns[c].values, shortColumns[c].values, candles.close, s, s + startup, n, kind === 'rsi' ? 100 : 0, tolerance);
          if (finding) {
            recursionFindings.push({
              indicator: fullColumns[c].name,
              kind,
              period,
              historyStartRow: s,
              historyStartMs: candles.openTimeMs[s],
              firstRow: finding.firstRow,
              firstTimeMs: candles.openTimeMs[finding.firstRow],
              fullValue: finding.fullValue,
              shortValue: finding.shortValue,
              difference: finding.difference,
              maxDifference: finding.maxDifference,
              maxDifferenceTimeMs: candles.openTimeMs[finding.maxDifferenceRow],
              differingRows: finding.differingRows,
              comparedRows: finding.comparedRows,
            });
          }
        }
      }
    }
    done += n - s;
    yield [done, total];
  }

  return {
    strategy: adapter.name,
    version: adapter.version ?? null,
    warmup,
    startupCandles: startup,
    candles: n,
    firstTimeMs: candles.openTimeMs[0],
    lastTimeMs: candles.openTimeMs[n - 1],
    passed: findingCount === 0 && recursionFindings.length === 0,
    lookAhead: { rowsChecked: n - warmup, findingCount, findings },
    recursion: { tolerance, indicators, historyStartRows: starts, findings: recursionFindings },
  };
}

interface ColumnDifference {
  firstRow: number;
  fullValue: number | null;
  shortValue: number | null;
  difference: number | null;
  maxDifference: number | null;
  maxDifferenceRow: number;
  differingRows: number;
  comparedRows: number;
}

/**
 * Compares a full-history column with one whose history starts at row `start` (its row r - start is
 * row r of the range) on rows `from..n-1`. `scale` > 0 divides differences (RSI: 100); 0 means
 * relative to the full-history value. Returns the first and largest difference beyond `tolerance`.
 */
function compareColumn(
  fullValues: Float64Array,
  shortValues: Float64Array,
  closes: Float64Array,
  start: number,
  from: number,
  n: number,
  scale: number,
  tolerance: number,
): ColumnDifference | null {
  let first = -1;
  let differing = 0;
  let maxDifference: number | null = 0;
  let maxRow = -1;
  let firstDifference: number | null = null;
  for (let r = from; r < n; r++) {
    const a = fullValues[r];
    const b = shortValues[r - start];
    if (a !== a && b !== b) continue;
    let difference: number | null;
    if (a !== a || b !== b) difference = null;
    else {
      const gap = Math.abs(a - b);
      // Below a billionth of the price a difference is rounding (a flat window's deviation is 0 or 1e-14).
      if (scale === 0 && !(gap > ROUNDING_FLOOR * Math.abs(closes[r]))) continue;
      const base = scale > 0 ? scale : Math.abs(a);
      difference = base > 0 ? gap / base : Infinity;
      if (!(difference > tolerance)) continue;
    }
    differing++;
    if (first < 0) {
      first = r;
      firstDifference = difference;
    }
    if (difference === null) {
      if (maxDifference !== null) maxRow = r;
      maxDifference = null;
    } else if (maxDifference !== null && difference > maxDifference) {
      maxDifference = difference;
      maxRow = r;
    }
  }
  if (first < 0) return null;
  const value = (v: number) => (Number.isNaN(v) ? null : v);
  return {
    firstRow: first,
    fullValue: value(fullValues[first]),
    shortValue: value(shortValues[first - start]),
    difference: firstDifference,
    maxDifference,
    maxDifferenceRow: maxRow,
    differingRows: differing,
    comparedRows: n - from,
  };
}
