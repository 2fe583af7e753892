/**
 * The trading loop's column-wise signal phase, the one owner of how a run's signals are computed: which features a
 * loop computes, how many rows it keeps, how far ahead it computes, and the order of the stages. For the next chunk of
 * candles at once: features in one pass per indicator, then each adapter's outputs into its signal columns, then
 * fusion into the fused columns, which the loop's per-candle step reads. `npm run bench` times the same object alone
 * (line (b2)), so what it measures is what a backtest runs.
 */
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';
import { convergenceWarmup } from '../features/convergence-warmup';
import { featureConfigFor, normalizeFeatureConfig } from '../features/feature-config';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import type { FeatureFrame } from '../features/feature-frame';
import { ML_FEATURE_CONFIG } from '../ml/market-features';
import { createSignalFusion, createFusedColumns, type FusedColumns, type FusionConfig, type SignalFusion } from '../decision/signal-fusion';
import { createAdapterColumns, createAdapterOutput, evaluateAdapterColumns, runStartupCandles, type AdapterColumns, type StrategyAdapter } from '../strategies/strategy-adapter';
import type { ExitPolicy } from '../strategies/exit-policy';

/** ATR period the risk gate sizes with when a signal carries no stop hint. */
export const RISK_ATR_PERIOD = 14;

/** The ATR period a trailing stop sized in ATRs reads (a feature the loop must compute), 0 when `exits` has no such stop. */
export function trailingStopAtrPeriod(exits: ExitPolicy | null | undefined): number {
  const trailing = exits?.trailingStop ?? null;
  return trailing && trailing.atrMultiple !== undefined ? trailing.atrPeriod : 0;
}

/** Most rows one column-wise phase computes at once (bounds the signal columns' memory whatever the chunk size). */
export const MAX_CHUNK_SLOTS = 65_536;

/** Rows the loop always keeps behind the newest when it bounds its feature columns, whatever its lookback (see {@link loopLookbackRows}). */
export const MIN_LOOKBACK_ROWS = 1_024;

/**
 * The history a loop over `strategies` needs before its first traded candle so that no value it
 * decides or sizes with still depends on where that history began: the strategies' startup candles,
 * the risk sizing's ATR({@link RISK_ATR_PERIOD}) and, with `withModels` (a veto, regime, volatility or
 * stop-distance model in the loop), the models' features (each
 * converged as `convergenceWarmup` says), and at least the loop's own first decision row.
 */
export function loopStartupCandles(strategies: readonly Pick<StrategyAdapter, 'warmup' | 'startupCandles'>[], withModels: boolean): number {
  const own = convergenceWarmup({ atr: [RISK_ATR_PERIOD] });
  const veto = withModels ? convergenceWarmup(ML_FEATURE_CONFIG) : 0;
  return Math.max(runStartupCandles(strategies), RISK_ATR_PERIOD, own, veto);
}

/**
 * Feature rows a loop keeps behind the candle it decides on when its columns are bounded
 * (`maxFeatureRows`): the most any consumer reads back. That is the strategies' startup candles
 * (an adapter reads no further back than its history needs), the indicators' longest period + 1,
 * the models' features (`withModels`: veto, regime, volatility, stop distance), the VaR/ES lookback +
 * 1 closes, and at least {@link MIN_LOOKBACK_ROWS} (a cross looks back through rows where its two
 * lines are equal: that far at least).
 */
export function loopLookbackRows(
  strategies: readonly Pick<StrategyAdapter, 'warmup' | 'startupCandles'>[],
  features: FeatureFrame['config'],
  withModels: boolean,
  varLookbackCandles: number,
): number {
  let longest = 0;
  for (const periods of [features.sma, features.ema, features.rsi, features.atr, features.donchian, features.stddev]) for (const n of periods) longest = Math.max(longest, n);
  return Math.max(MIN_LOOKBACK_ROWS, loopStartupCandles(strategies, withModels) + 1, longest + 1, varLookbackCandles + 1);
}

/** What a loop's signal phase is built from (see {@link createSignalPhase}). */
export interface SignalPhaseConfig {
  readonly strategies: readonly StrategyAdapter[];
  readonly fusion: FusionConfig;
  /** ATR period of a trailing stop sized in ATRs ({@link trailingStopAtrPeriod}), computed beside the risk sizing's ATR; 0: none. */
  readonly trailAtrPeriod: number;
  /** Whether the models' features are computed too (a veto, regime, volatility or stop-distance model in the loop). */
  readonly withModels: boolean;
  /** Candles per phase (integer >= 1), at most `capacityHint` and {@link MAX_CHUNK_SLOTS}. */
  readonly chunkSize: number;
  /** Expected number of candles (sizes the feature columns). */
  readonly capacityHint: number;
  /** Bounds the feature columns (see `TradingLoopConfig.maxFeatureRows`); absent: every row is kept. */
  readonly maxFeatureRows?: number;
  /** The risk engine's VaR/ES lookback in candles: that many closes are kept too when the columns are bounded. */
  readonly varLookbackCandles: number;
}

/** A loop's signal phase: its columns and the one way they are computed, a chunk at a time. */
export interface SignalPhase {
  readonly features: FeatureExtractor;
  readonly fusion: SignalFusion;
  /** The strategies' names, in the order of `adapterColumns` (fusion weighs them by name). */
  readonly names: readonly string[];
  /** Signal columns per strategy: slot `s` holds feature row `evaluatedFrom + s` of the last chunk. */
  readonly adapterColumns: readonly AdapterColumns[];
  /** Fused signal of the same slots. */
  readonly fusedColumns: FusedColumns;
  /** First absolute row any strategy decides on: the largest strategy warm-up, at least {@link RISK_ATR_PERIOD}. */
  readonly warmup: number;
  /** Rows one phase computes at most. */
  readonly chunkSlots: number;
  /** Rows kept behind the next candle when the columns are bounded; 0: unbounded, nothing is ever discarded. */
  readonly lookbackRows: number;
  /**
   * How many of the oldest feature rows to discard before a chunk of `rows` candles is pushed: 0 when it fits (or the
   * columns are unbounded), else every row older than the lookback. The caller discards them (it moves its own row
   * indices with them).
   */
  rowsToDiscard(rows: number): number;
  /**
   * Pushes rows `row..end-1` of `candles` (the candles after the last pushed) into the features, then computes every
   * adapter's signal columns and the fused columns for those of them past the warm-up; returns the feature row of slot
   * 0 (`evaluatedFrom`; nothing was evaluated when it is not below `features.length`). Allocation-free.
   * @throws ValidationError as `FeatureExtractor.pushRange` for a bad or out-of-order candle.
   */
  computeChunk(candles: CandleColumns, row: number, end: number): number;
}

/**
 * Builds the signal phase of a loop over `config.strategies`.
 * @throws ValidationError naming `maxFeatureRows` or `chunkSize` (integers >= 1), or the fusion config's field.
 */
export function createSignalPhase(config: SignalPhaseConfig): SignalPhase {
  const { strategies, trailAtrPeriod, withModels, maxFeatureRows, capacityHint } = config;
  const featureConfig = featureConfigFor([
    ...strategies,
    { features: { atr: trailAtrPeriod > 0 ? [RISK_ATR_PERIOD, trailAtrPeriod] : [RISK_ATR_PERIOD] } },
    ...(withModels ? [{ features: ML_FEATURE_CONFIG }] : []),
  ]);
  if (maxFeatureRows !== undefined && !(Number.isInteger(maxFeatureRows) && maxFeatureRows >= 1)) {
    throw new ValidationError('maxFeatureRows', maxFeatureRows, `maxFeatureRows (${String(maxFeatureRows)}) must be an integer >= 1`);
  }
  const lookbackRows = maxFeatureRows === undefined ? 0 : loopLookbackRows(strategies, normalizeFeatureConfig(featureConfig), withModels, config.varLookbackCandles);
  const fusion = createSignalFusion(config.fusion);
  const chunkSize = config.chunkSize;
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new ValidationError('chunkSize', chunkSize, `chunkSize (${String(chunkSize)}) must be an integer >= 1`);
  const chunkSlots = Math.min(chunkSize, Math.max(1, capacityHint), MAX_CHUNK_SLOTS);
  const features = createFeatureExtractor(
    featureConfig,
    Math.max(16, maxFeatureRows === undefined ? capacityHint : Math.min(capacityHint, Math.max(maxFeatureRows, lookbackRows + chunkSlots))),
  );
  const names = strategies.map((s) => s.name);
  const adapterColumns = strategies.map(() => createAdapterColumns(chunkSlots));
  const fusedColumns = createFusedColumns(chunkSlots);
  /** One scratch output per adapter (each adapter writes its own object, as in the per-row path). */
  const scratchOutputs = strategies.map(() => createAdapterOutput());
  const warmup = strategies.reduce((m, s) => Math.max(m, s.warmup), RISK_ATR_PERIOD);
  return {
    features,
    fusion,
    names,
    adapterColumns,
    fusedColumns,
    warmup,
    chunkSlots,
    lookbackRows,
    rowsToDiscard(rows) {
      const next = features.length;
      return lookbackRows > 0 && next + rows > features.capacity && next > lookbackRows ? next - lookbackRows : 0;
    },
    computeChunk(candles, row, end) {
      const next = features.length;
      features.pushRange(candles, row, end);
      const base = features.rowBase;
      const from = next + base > warmup ? next : warmup - base;
      const to = features.length;
      if (from < to) {
        for (let k = 0; k < strategies.length; k++) evaluateAdapterColumns(strategies[k], features, from, to, adapterColumns[k], scratchOutputs[k]);
        fusion.fuseColumns(adapterColumns, names, to - from, fusedColumns);
      }
      return from;
    },
  };
}
