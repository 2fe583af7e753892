/**
 * Indicator lines for the chart: the columns the selected strategies read (SMA for ma-crossover,
 * EMA for ema-trend, the Donchian channel for donchian-breakout, RSI for rsi-mean-reversion; for a
 * file or rule strategy, the SMA, EMA, Donchian and RSI columns it declares),
 * computed by the engine's own feature extractor with each strategy's resolved parameters, so the
 * chart shows exactly what the strategy saw.
 */
import { ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type MarketKey, type Timeframe } from '../core/types';
import type { CandleRepository } from '../ports/candles';
import { createFeatureExtractor } from '../features/feature-extractor';
import type { FeatureConfig } from '../features/feature-config';
import { StrategySource, type StrategyCatalog } from '../strategies/strategy-catalog';
import { MAX_WINDOW_POINTS } from '../market/downsample-candles';

/** Where a line is drawn: over the candles or in the oscillator pane (0..100). */
export const IndicatorPane = { Price: 'price', Oscillator: 'oscillator' } as const;
export type IndicatorPane = (typeof IndicatorPane)[keyof typeof IndicatorPane];

/** One indicator line: `points` are `[openTimeMs, value]` of the window's candles past the warm-up. */
export interface IndicatorLine {
  /** e.g. `SMA(20)`, `Donchian upper(20)`, `RSI(14)`. */
  name: string;
  strategy: string;
  pane: IndicatorPane;
  points: [number, number][];
}

/** Indicator lines of a window; `skipped` is set (and `lines` empty) when the window would need more than `MAX_WINDOW_POINTS` raw candles. */
export interface ChartIndicators {
  lines: IndicatorLine[];
  /** Horizontal levels of the oscillator pane (e.g. RSI 30/70), by strategy. */
  levels: { strategy: string; name: string; value: number }[];
  skipped: 'window-too-wide' | null;
}

/** A strategy as a run or session selected it: its name and its parameters (defaults fill the rest). */
export interface ChartStrategy {
  name: string;
  params?: unknown;
}

/**
 * Indicator lines of the strategies in `[fromMs, toMs)` of `key`'s raw candles. Candles before
 * `fromMs` are read for the warm-up, so the first visible value equals the one the strategy saw.
 * @throws ValidationError for an unknown timeframe, a bad range, an unknown strategy or bad parameters.
 */
export async function loadChartIndicators(
  candleStore: CandleRepository,
  { key, fromMs, toMs, strategies }: { key: MarketKey; fromMs: number; toMs: number; strategies: readonly ChartStrategy[] },
  catalog: StrategyCatalog,
): Promise<ChartIndicators> {
  const timeframeMs = TIMEFRAME_MS[key.timeframe as Timeframe];
  if (timeframeMs === undefined) throw new ValidationError('timeframe', key.timeframe, 'unknown timeframe');
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) throw new ValidationError('toMs', toMs, `expected a finite time after fromMs ${fromMs}`);
  const lines: IndicatorLine[] = [];
  const levels: ChartIndicators['levels'] = [];
  const wanted: { name: string; strategy: string; pane: IndicatorPane; column: (f: ReturnType<typeof createFeatureExtractor>) => Float64Array }[] = [];
  const features: { sma: number[]; ema: number[]; rsi: number[]; donchian: number[] } = { sma: [], ema: [], rsi: [], donchian: [] };
  let warmup = 0;
  for (const s of strategies) {
    const adapter = catalog.create(s.name, s.params);
    const c = adapter.config as Record<string, number>;
    warmup = Math.max(warmup, adapter.warmup);
    if (catalog.get(s.name)?.source !== StrategySource.BuiltIn) {
      // Any other strategy: every line-like column it reads (ATR is not drawn).
      for (const period of adapter.features.sma ?? []) {
        features.sma.push(period);
        wanted.push({ name: `SMA(${period})`, strategy: s.name, pane: 'price', column: (f) => f.sma[period] });
      }
      for (const period of adapter.features.ema ?? []) {
        features.ema.push(period);
        wanted.push({ name: `EMA(${period})`, strategy: s.name, pane: 'price', column: (f) => f.ema[period] });
      }
      for (const period of adapter.features.donchian ?? []) {
        features.donchian.push(period);
        wanted.push({ name: `Donchian upper(${period})`, strategy: s.name, pane: 'price', column: (f) => f.donchianUpper[period] });
        wanted.push({ name: `Donchian lower(${period})`, strategy: s.name, pane: 'price', column: (f) => f.donchianLower[period] });
      }
      for (const period of adapter.features.rsi ?? []) {
        features.rsi.push(period);
        wanted.push({ name: `RSI(${period})`, strategy: s.name, pane: 'oscillator', column: (f) => f.rsi[period] });
      }
      continue;
    }
    switch (adapter.name) {
      case 'ma-crossover':
        features.sma.push(c.fastPeriod, c.slowPeriod);
        wanted.push({ name: `SMA(${c.fastPeriod})`, strategy: s.name, pane: 'price', column: (f) => f.sma[c.fastPeriod] });
        wanted.push({ name: `SMA(${c.slowPeriod})`, strategy: s.name, pane: 'price', column: (f) => f.sma[c.slowPeriod] });
        break;
      case 'ema-trend':
        features.ema.push(c.period);
        wanted.push({ name: `EMA(${c.period})`, strategy: s.name, pane: 'price', column: (f) => f.ema[c.period] });
        break;
      case 'donchian-breakout':
        features.donchian.push(c.period);
        wanted.push({ name: `Donchian upper(${c.period})`, strategy: s.name, pane: 'price', column: (f) => f.donchianUpper[c.period] });
        wanted.push({ name: `Donchian lower(${c.period})`, strategy: s.name, pane: 'price', column: (f) => f.donchianLower[c.period] });
        break;
      case 'rsi-mean-reversion':
        features.rsi.push(c.period);
        wanted.push({ name: `RSI(${c.period})`, strategy: s.name, pane: 'oscillator', column: (f) => f.rsi[c.period] });
        levels.push({ strategy: s.name, name: 'oversold', value: c.oversold }, { strategy: s.name, name: 'overbought', value: c.overbought });
        break;
    }
  }
  if (wanted.length === 0) return { lines, levels, skipped: null };
  if ((toMs - fromMs) / timeframeMs > MAX_WINDOW_POINTS) return { lines, levels, skipped: 'window-too-wide' };
  // EMA and RSI are recursive: read a few times their period before the window so they have settled as in a run.
  const settleBars = Math.max(warmup, ...features.ema.map((p) => 4 * p), ...features.rsi.map((p) => 4 * p)) + 1;
  const candles = await candleStore.loadCandles(key, fromMs - settleBars * timeframeMs, toMs);
  const config: FeatureConfig = { sma: features.sma, ema: features.ema, rsi: features.rsi, donchian: features.donchian };
  const frame = createFeatureExtractor(config, Math.max(1, candles.length));
  frame.pushColumns(candles);
  for (const w of wanted) {
    const column = w.column(frame);
    const points: [number, number][] = [];
    for (let i = 0; i < frame.length; i++) {
      const t = frame.openTimeMs[i];
      if (t >= fromMs && Number.isFinite(column[i])) points.push([t, column[i]]);
    }
    if (!lines.some((l) => l.name === w.name)) lines.push({ name: w.name, strategy: w.strategy, pane: w.pane, points });
  }
  return { lines, levels, skipped: null };
}
