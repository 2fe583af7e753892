/**
 * Training datasets for the four model kinds, built from candles (and, for the intent veto,
 * optionally from the decision journal), with no look-ahead:
 *
 * - A row's decision time t is the close time of its candle i (`openTimeMs[i] + timeframe`). Its
 *   features come from {@link writeMarketFeatures} / {@link writeIntentFeatures} over a streaming
 *   feature extractor, so they read candles 0..i only (close time <= t).
 * - Its label reads only candles i+1..i+H (H = `horizon`), all opening at or after t. `labelEndMs`
 *   records the close time of the last candle (or the trade exit) the label used, so time splits
 *   can purge training rows whose label reaches into the validation window.
 *
 * Labels:
 * - intent veto (binary, 1 = "this entry loses"): an entry at close[i] with a stop `stopAtr` ATR(14)
 *   away and a target `targetAtr` ATR(14) away; walking candles i+1..i+H, the stop is checked
 *   before the target within a candle (the pessimistic order), else the position is marked at
 *   close[i+H]. The return, less `roundTripCostBps`, below 0 is a loss. From the journal, an entry's
 *   matching closed trade decides instead when there is one: net PnL (realised - fees - funding) < 0.
 * - regime (3 classes, {@link RegimeClass}): forward log return r = ln(close[i+H] / close[i]) against
 *   forward volatility s (below) scaled to the horizon: trend-up when r > k s sqrt(H), trend-down
 *   when r < -k s sqrt(H), range otherwise (k = `regimeThreshold`, default 0.5; for a driftless
 *   random walk r / (s sqrt H) is roughly standard normal, so about 31 % / 31 % / 38 %).
 * - volatility: realised forward volatility, the population standard deviation of the H log returns
 *   ln(close[j] / close[j-1]), j = i+1..i+H (per candle, not annualised).
 * - stop distance: maximum adverse excursion over i+1..i+H in ATR(14)s at t: for a long
 *   (close[i] - min low) / ATR, for a short (max high - close[i]) / ATR, floored at 0.
 */
import { ValidationError } from '../core/errors';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import { TIMEFRAME_MS, type CandleColumns, type Timeframe } from '../core/types';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import {
  INTENT_FEATURE_NAMES,
  MARKET_FEATURE_NAMES,
  ML_FEATURE_CONFIG,
  ML_FEATURE_WARMUP,
  writeIntentFeatures,
  writeMarketFeatures,
} from './market-features';

/** Regime classes, as the softmax output index. */
export const RegimeClass = { TrendUp: 0, TrendDown: 1, Range: 2 } as const;
export type RegimeClass = (typeof RegimeClass)[keyof typeof RegimeClass];
/** Regime class names by index. */
export const REGIME_CLASS_NAMES = ['trend-up', 'trend-down', 'range'] as const;

/**
 * Rows sorted by decision time. `x` is float32 (exactly what the live loop feeds the model),
 * row-major `rows x featureNames.length`. Invariants: `timeMs` non-decreasing, `labelEndMs[r] > timeMs[r]`.
 */
export interface Dataset {
  readonly featureNames: readonly string[];
  readonly rows: number;
  readonly x: Float32Array;
  readonly y: Float64Array;
  /** Decision time per row: close time of the last candle the features read, epoch ms. */
  readonly timeMs: Float64Array;
  /** Close time of the last candle (or the trade exit) the label read, epoch ms. */
  readonly labelEndMs: Float64Array;
}

/** Shared dataset settings. */
export interface DatasetOptions {
  timeframe: Timeframe;
  /** Label horizon H in candles, integer 2..1000. */
  horizon: number;
}

/** Intent-veto label settings. */
export interface IntentLabelOptions {
  /** Stop distance in ATR(14)s (> 0); default 2, the risk engine's default `atrStopMultiple`. */
  stopAtr?: number;
  /** Target distance in ATR(14)s (> 0); default 3. */
  targetAtr?: number;
  /** Round-trip cost deducted from the return, basis points (>= 0); default 24 = 2 x (10 taker + 1 half-spread + 1 slippage), the paper venue's defaults. */
  roundTripCostBps?: number;
  /** Entry sides to generate per candle: +1 long, -1 short; default both. */
  sides?: readonly (1 | -1)[];
}

export const DEFAULT_INTENT_LABELS: Required<IntentLabelOptions> = { stopAtr: 2, targetAtr: 3, roundTripCostBps: 24, sides: [1, -1] };

/** Default regime threshold k (see the module comment). */
export const DEFAULT_REGIME_THRESHOLD = 0.5;

const ATR_PERIOD = 14;

function checkOptions(options: DatasetOptions): number {
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, options.timeframe)) {
    throw new ValidationError('timeframe', options.timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
  }
  if (!Number.isInteger(options.horizon) || options.horizon < 2 || options.horizon > 1000) {
    throw new ValidationError('horizon', options.horizon, 'must be an integer number of candles in 2..1000');
  }
  return TIMEFRAME_MS[options.timeframe];
}

/** A feature extractor fed with every candle: row i of it reads candles 0..i only. */
export function extractMlFeatures(candles: CandleColumns): FeatureExtractor {
  const extractor = createFeatureExtractor(ML_FEATURE_CONFIG, Math.max(16, candles.length));
  extractor.pushColumns(candles);
  return extractor;
}

/** Grows row by row, then trims. */
class DatasetBuilder {
  private x: Float32Array;
  private y: Float64Array;
  private time: Float64Array;
  private labelEnd: Float64Array;
  rows = 0;
  constructor(
    readonly featureNames: readonly string[],
    capacity: number,
  ) {
    const c = Math.max(1, capacity);
    this.x = new Float32Array(c * featureNames.length);
    this.y = new Float64Array(c);
    this.time = new Float64Array(c);
    this.labelEnd = new Float64Array(c);
  }
  /** Appends a row; `write` fills the features at the given offset. */
  add(write: (out: Float32Array, offset: number) => void, y: number, timeMs: number, labelEndMs: number): void {
    if (this.rows === this.y.length) this.grow();
    write(this.x, this.rows * this.featureNames.length);
    this.y[this.rows] = y;
    this.time[this.rows] = timeMs;
    this.labelEnd[this.rows] = labelEndMs;
    this.rows++;
  }
  private grow(): void {
    const c = this.y.length * 2;
    const g = <T extends Float32Array | Float64Array>(a: T, size: number): T => {
      const next = new (a.constructor as new (n: number) => T)(size);
      next.set(a);
      return next;
    };
    this.x = g(this.x, c * this.featureNames.length);
    this.y = g(this.y, c);
    this.time = g(this.time, c);
    this.labelEnd = g(this.labelEnd, c);
  }
  build(): Dataset {
    const f = this.featureNames.length;
    return {
      featureNames: this.featureNames,
      rows: this.rows,
      x: this.x.slice(0, this.rows * f),
      y: this.y.slice(0, this.rows),
      timeMs: this.time.slice(0, this.rows),
      labelEndMs: this.labelEnd.slice(0, this.rows),
    };
  }
}

/**
 * Return (fraction, after costs) of an entry of `side` at close[i] held over candles i+1..i+horizon
 * with a stop `stopAtr` and a target `targetAtr` ATRs away (see the module comment). Reads no candle before i+1
 * except close[i] (the entry price). NaN when fewer than `horizon` candles follow or ATR is not positive.
 */
export function intentReturn(candles: CandleColumns, i: number, side: 1 | -1, horizon: number, atr: number, labels: IntentLabelOptions = {}): number {
  const o = { ...DEFAULT_INTENT_LABELS, ...labels };
  if (i + horizon >= candles.length || !(atr > 0)) return NaN;
  const entry = candles.close[i];
  const stop = entry - side * o.stopAtr * atr;
  const target = entry + side * o.targetAtr * atr;
  let exit = candles.close[i + horizon];
  for (let j = i + 1; j <= i + horizon; j++) {
    const adverse = side > 0 ? candles.low[j] <= stop : candles.high[j] >= stop;
    if (adverse) {
      exit = stop;
      break;
    }
    const favourable = side > 0 ? candles.high[j] >= target : candles.low[j] <= target;
    if (favourable) {
      exit = target;
      break;
    }
  }
  return (side * (exit - entry)) / entry - o.roundTripCostBps / 10_000;
}

/** Population standard deviation of ln(close[j] / close[j-1]) for j = i+1..i+horizon. */
export function forwardVolatility(candles: CandleColumns, i: number, horizon: number): number {
  let sum = 0;
  let sumSq = 0;
  for (let j = i + 1; j <= i + horizon; j++) {
    const r = Math.log(candles.close[j] / candles.close[j - 1]);
    sum += r;
    sumSq += r * r;
  }
  const mean = sum / horizon;
  return Math.sqrt(Math.max(0, sumSq / horizon - mean * mean));
}

/** Regime class of row i (see the module comment). */
export function regimeLabel(candles: CandleColumns, i: number, horizon: number, threshold = DEFAULT_REGIME_THRESHOLD): RegimeClass {
  const r = Math.log(candles.close[i + horizon] / candles.close[i]);
  const band = threshold * forwardVolatility(candles, i, horizon) * Math.sqrt(horizon);
  if (r > band && band > 0) return RegimeClass.TrendUp;
  if (r < -band && band > 0) return RegimeClass.TrendDown;
  return RegimeClass.Range;
}

/** Maximum adverse excursion of an entry of `side` at close[i] over i+1..i+horizon, in ATRs, >= 0. */
export function maxAdverseExcursionAtr(candles: CandleColumns, i: number, side: 1 | -1, horizon: number, atr: number): number {
  const entry = candles.close[i];
  let worst = 0;
  for (let j = i + 1; j <= i + horizon; j++) {
    const excursion = side > 0 ? entry - candles.low[j] : candles.high[j] - entry;
    if (excursion > worst) worst = excursion;
  }
  return worst / atr;
}

/** Iterates rows i with complete features and a full label window: ML_FEATURE_WARMUP <= i < n - horizon, ATR > 0. */
function* labelledRows(frame: FeatureExtractor, horizon: number): Generator<number> {
  const atr = frame.atr[ATR_PERIOD];
  for (let i = ML_FEATURE_WARMUP; i + horizon < frame.length; i++) if (atr[i] > 0) yield i;
}

/**
 * Intent-veto dataset from candles alone: one row per candle and side in `labels.sides`, labelled
 * 1 when the entry loses (see the module comment).
 * @throws ValidationError for a bad timeframe, horizon or label option.
 */
export function buildIntentDataset(candles: CandleColumns, options: DatasetOptions, labels: IntentLabelOptions = {}): Dataset {
  const tf = checkOptions(options);
  const o = resolveIntentLabels(labels);
  const frame = extractMlFeatures(candles);
  const b = new DatasetBuilder(INTENT_FEATURE_NAMES, candles.length * o.sides.length);
  const atr = frame.atr[ATR_PERIOD];
  for (const i of labelledRows(frame, options.horizon)) {
    const t = candles.openTimeMs[i] + tf;
    const end = candles.openTimeMs[i + options.horizon] + tf;
    for (const side of o.sides) {
      const ret = intentReturn(candles, i, side, options.horizon, atr[i], o);
      b.add((out, off) => writeIntentFeatures(frame, i, side, out, off), ret < 0 ? 1 : 0, t, end);
    }
  }
  return b.build();
}

function resolveIntentLabels(labels: IntentLabelOptions): Required<IntentLabelOptions> {
  const o = { ...DEFAULT_INTENT_LABELS, ...labels };
  if (!(o.stopAtr > 0 && Number.isFinite(o.stopAtr))) throw new ValidationError('stopAtr', o.stopAtr, 'must be a finite number > 0');
  if (!(o.targetAtr > 0 && Number.isFinite(o.targetAtr))) throw new ValidationError('targetAtr', o.targetAtr, 'must be a finite number > 0');
  if (!(o.roundTripCostBps >= 0 && Number.isFinite(o.roundTripCostBps))) throw new ValidationError('roundTripCostBps', o.roundTripCostBps, 'must be a finite number >= 0');
  if (o.sides.length === 0 || o.sides.some((s) => s !== 1 && s !== -1)) throw new ValidationError('sides', o.sides, 'must be a non-empty list of 1 (long) and -1 (short)');
  return o;
}

/**
 * Whether a journal decision is an entry the loop executed: outcome `executed`, a long or short
 * side, and a protective stop order recorded with it (the loop journals `stopOrderId` with every
 * entry and never with an exit).
 */
export function isExecutedEntry(d: DecisionRecord): boolean {
  return d.outcome === 'executed' && (d.side === 'long' || d.side === 'short') && Object.prototype.hasOwnProperty.call(d.inputs, 'stopOrderId');
}

/** Counts of what happened to the journal's entries while building a dataset. */
export interface JournalDatasetReport {
  entries: number;
  /** Rows labelled by their closed trade. */
  fromTrades: number;
  /** Rows labelled by the candle path (no matching closed trade). */
  fromCandles: number;
  /** Entries dropped: no candle closes at their decision time, too early for the features, or too late for a label. */
  skipped: number;
}

/**
 * Intent-veto dataset from the entries the loop executed (see {@link isExecutedEntry}). Features
 * are those of the candle closing at the decision time; the label is the matching closed trade's
 * net PnL < 0 (same symbol, side and run, entered within one candle of the decision), else the
 * candle-path label of {@link buildIntentDataset}.
 * @throws ValidationError for a bad timeframe, horizon or label option.
 */
export function buildIntentDatasetFromJournal(
  candles: CandleColumns,
  decisions: readonly DecisionRecord[],
  trades: readonly TradeRecord[],
  options: DatasetOptions,
  labels: IntentLabelOptions = {},
): { dataset: Dataset; report: JournalDatasetReport } {
  const tf = checkOptions(options);
  const o = resolveIntentLabels(labels);
  const frame = extractMlFeatures(candles);
  const atr = frame.atr[ATR_PERIOD];
  const entries = decisions.filter(isExecutedEntry).sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : 1));
  const b = new DatasetBuilder(INTENT_FEATURE_NAMES, entries.length);
  const report: JournalDatasetReport = { entries: entries.length, fromTrades: 0, fromCandles: 0, skipped: 0 };
  const used = new Set<string>();
  for (const d of entries) {
    const i = findRow(candles.openTimeMs, d.timeMs - tf);
    if (i < ML_FEATURE_WARMUP || !(atr[i] > 0)) {
      report.skipped++;
      continue;
    }
    const side: 1 | -1 = d.side === 'long' ? 1 : -1;
    const trade = trades.find(
      (t) => !used.has(t.id) && t.symbol === d.symbol && t.side === d.side && t.runId === d.runId && t.entryTimeMs >= d.timeMs && t.entryTimeMs < d.timeMs + tf,
    );
    if (trade && trade.exitTimeMs > d.timeMs) {
      used.add(trade.id);
      report.fromTrades++;
      b.add((out, off) => writeIntentFeatures(frame, i, side, out, off), trade.realizedPnl - trade.fees - trade.funding < 0 ? 1 : 0, d.timeMs, trade.exitTimeMs);
      continue;
    }
    const ret = intentReturn(candles, i, side, options.horizon, atr[i], o);
    if (Number.isNaN(ret)) {
      report.skipped++;
      continue;
    }
    report.fromCandles++;
    b.add((out, off) => writeIntentFeatures(frame, i, side, out, off), ret < 0 ? 1 : 0, d.timeMs, candles.openTimeMs[i + options.horizon] + tf);
  }
  return { dataset: b.build(), report };
}

/** Index of `openTimeMs === value` by binary search, or -1. */
function findRow(openTimeMs: Float64Array, value: number): number {
  let lo = 0;
  let hi = openTimeMs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = openTimeMs[mid];
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Regime dataset: market features, label a {@link RegimeClass}.
 * @param threshold k of the module comment (> 0).
 * @throws ValidationError for a bad timeframe, horizon or threshold.
 */
export function buildRegimeDataset(candles: CandleColumns, options: DatasetOptions, threshold = DEFAULT_REGIME_THRESHOLD): Dataset {
  const tf = checkOptions(options);
  if (!(threshold > 0 && Number.isFinite(threshold))) throw new ValidationError('threshold', threshold, 'must be a finite number > 0');
  const frame = extractMlFeatures(candles);
  const b = new DatasetBuilder(MARKET_FEATURE_NAMES, candles.length);
  for (const i of labelledRows(frame, options.horizon)) {
    b.add((out, off) => writeMarketFeatures(frame, i, out, off), regimeLabel(candles, i, options.horizon, threshold), candles.openTimeMs[i] + tf, candles.openTimeMs[i + options.horizon] + tf);
  }
  return b.build();
}

/**
 * Volatility dataset: market features, label the realised forward volatility (per candle).
 * @throws ValidationError for a bad timeframe or horizon.
 */
export function buildVolatilityDataset(candles: CandleColumns, options: DatasetOptions): Dataset {
  const tf = checkOptions(options);
  const frame = extractMlFeatures(candles);
  const b = new DatasetBuilder(MARKET_FEATURE_NAMES, candles.length);
  for (const i of labelledRows(frame, options.horizon)) {
    b.add((out, off) => writeMarketFeatures(frame, i, out, off), forwardVolatility(candles, i, options.horizon), candles.openTimeMs[i] + tf, candles.openTimeMs[i + options.horizon] + tf);
  }
  return b.build();
}

/**
 * Stop-distance dataset: intent features per candle and side, label the maximum adverse excursion in ATRs.
 * @throws ValidationError for a bad timeframe, horizon or side list.
 */
export function buildStopDistanceDataset(candles: CandleColumns, options: DatasetOptions, sides: readonly (1 | -1)[] = [1, -1]): Dataset {
  const tf = checkOptions(options);
  resolveIntentLabels({ sides });
  const frame = extractMlFeatures(candles);
  const atr = frame.atr[ATR_PERIOD];
  const b = new DatasetBuilder(INTENT_FEATURE_NAMES, candles.length * sides.length);
  for (const i of labelledRows(frame, options.horizon)) {
    for (const side of sides) {
      b.add(
        (out, off) => writeIntentFeatures(frame, i, side, out, off),
        maxAdverseExcursionAtr(candles, i, side, options.horizon, atr[i]),
        candles.openTimeMs[i] + tf,
        candles.openTimeMs[i + options.horizon] + tf,
      );
    }
  }
  return b.build();
}

/** The rows `indices` of `dataset` (in the given order). */
export function subsetDataset(dataset: Dataset, indices: Int32Array): Dataset {
  const f = dataset.featureNames.length;
  const x = new Float32Array(indices.length * f);
  indices.forEach((r, k) => x.set(dataset.x.subarray(r * f, r * f + f), k * f));
  return {
    featureNames: dataset.featureNames,
    rows: indices.length,
    x,
    y: Float64Array.from(indices, (r) => dataset.y[r]),
    timeMs: Float64Array.from(indices, (r) => dataset.timeMs[r]),
    labelEndMs: Float64Array.from(indices, (r) => dataset.labelEndMs[r]),
  };
}

/**
 * A train/validation split by time. Training rows all have `labelEndMs <= validationFromMs`:
 * nothing the model trained on (features or labels) happened after the validation window opened.
 */
export interface TimeSplit {
  train: Int32Array;
  validation: Int32Array;
  /** First training decision time, epoch ms. */
  trainFromMs: number;
  /** Latest time any training row read (its label end), epoch ms; <= validationFromMs. */
  trainToMs: number;
  /** First validation decision time, epoch ms. */
  validationFromMs: number;
  /** Last validation decision time, epoch ms. */
  validationToMs: number;
}

/** First index >= `index` whose time differs from the previous row's (rows sharing a decision time stay together). */
function boundaryAt(timeMs: Float64Array, index: number): number {
  let k = Math.max(1, index);
  while (k < timeMs.length && timeMs[k] === timeMs[k - 1]) k++;
  return k;
}

function splitAt(dataset: Dataset, start: number, end: number): TimeSplit {
  const validationFromMs = dataset.timeMs[start];
  const train: number[] = [];
  let trainToMs = -Infinity;
  for (let r = 0; r < start; r++) {
    if (dataset.labelEndMs[r] <= validationFromMs) {
      train.push(r);
      if (dataset.labelEndMs[r] > trainToMs) trainToMs = dataset.labelEndMs[r];
    }
  }
  if (train.length === 0) {
    throw new ValidationError('rows', dataset.rows, `no training row ends before the validation window opening at ${new Date(validationFromMs).toISOString()}; use more data or a shorter horizon`);
  }
  return {
    train: Int32Array.from(train),
    validation: Int32Array.from({ length: end - start }, (_, k) => start + k),
    trainFromMs: dataset.timeMs[train[0]],
    trainToMs,
    validationFromMs,
    validationToMs: dataset.timeMs[end - 1],
  };
}

/**
 * One split by time: the last `validationFraction` of rows validate, earlier rows whose labels end
 * by the validation start train (purged of overlap).
 * @throws ValidationError when the fraction is not in (0, 1) or either side would be empty.
 */
export function splitByTime(dataset: Dataset, validationFraction: number): TimeSplit {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new ValidationError('validationFraction', validationFraction, 'must be in (0, 1)');
  const start = boundaryAt(dataset.timeMs, Math.floor(dataset.rows * (1 - validationFraction)));
  if (start >= dataset.rows) throw new ValidationError('rows', dataset.rows, 'too few rows for a validation window');
  return splitAt(dataset, start, dataset.rows);
}

/** Minimum rows per walk-forward block. */
export const MIN_ROWS_PER_FOLD = 20;

/**
 * Walk-forward validation: rows cut into `folds + 1` consecutive blocks by time; fold j (1..folds)
 * validates on block j and trains on earlier rows whose labels end by the block's first decision
 * time. Each fold trains on the past only.
 * @throws ValidationError when `folds` is not an integer in 1..50 or a block would hold fewer than {@link MIN_ROWS_PER_FOLD} rows.
 */
export function walkForwardSplits(dataset: Dataset, folds: number): TimeSplit[] {
  if (!Number.isInteger(folds) || folds < 1 || folds > 50) throw new ValidationError('folds', folds, 'must be an integer in 1..50');
  const blocks = folds + 1;
  if (dataset.rows < blocks * MIN_ROWS_PER_FOLD) {
    throw new ValidationError('rows', dataset.rows, `${folds} walk-forward folds need at least ${blocks * MIN_ROWS_PER_FOLD} labelled rows; load a longer range or use fewer folds`);
  }
  const edges = [0];
  for (let j = 1; j < blocks; j++) edges.push(boundaryAt(dataset.timeMs, Math.floor((dataset.rows * j) / blocks)));
  edges.push(dataset.rows);
  const splits: TimeSplit[] = [];
  for (let j = 1; j < blocks; j++) {
    if (edges[j + 1] <= edges[j]) throw new ValidationError('rows', dataset.rows, `walk-forward block ${j} is empty`);
    splits.push(splitAt(dataset, edges[j], edges[j + 1]));
  }
  return splits;
}
