/**
 * Line (b2) of `npm run bench`: the pipeline's signal stages without the trading loop (see {@link signalStages}).
 */
import type { ResolvedBacktest } from '@/engine/backtest/run-backtest';
import type { CandleColumns } from '@/engine/core/types';
import { createSignalFusion, createFusedColumns } from '@/engine/decision/signal-fusion';
import { createFeatureExtractor } from '@/engine/features/feature-extractor';
import { featureConfigFor, normalizeFeatureConfig } from '@/engine/features/feature-config';
import { BACKTEST_FEATURE_ROWS, DEFAULT_BACKTEST_CHUNK_SIZE, RISK_ATR_PERIOD, loopLookbackRows } from '@/engine/loop/trading-loop';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { createAdapterColumns, createAdapterOutput, evaluateAdapterColumns } from '@/engine/strategies/strategy-adapter';

/**
 * Line (b2): the pipeline's signal stages alone, as the loop runs them on a backtest (chunks of
 * DEFAULT_BACKTEST_CHUNK_SIZE candles: features pushed column-wise, each adapter's column form, fusion), with no
 * trading loop, venue, risk or metrics. What (b) would reach if every per-candle step after the signals were free.
 */
export function signalStages(spec: ResolvedBacktest, c: CandleColumns): () => number {
  const catalog = createBuiltInCatalog();
  const adapters = spec.strategies.map((name) => catalog.create(name, spec.params?.[name]));
  const warmup = adapters.reduce((m, a) => Math.max(m, a.warmup), RISK_ATR_PERIOD);
  const featureConfig = featureConfigFor([...adapters, { features: { atr: [RISK_ATR_PERIOD] } }]);
  const names = adapters.map((a) => a.name);
  const fusion = createSignalFusion(spec.fusion);
  const slots = Math.min(DEFAULT_BACKTEST_CHUNK_SIZE, c.length);
  // Bounded feature columns, as the loop keeps them in a backtest (BACKTEST_FEATURE_ROWS, its lookback behind the newest row).
  const lookback = loopLookbackRows(adapters, normalizeFeatureConfig(featureConfig), false, 0);
  const capacity = Math.max(16, Math.min(c.length, Math.max(BACKTEST_FEATURE_ROWS, lookback + slots)));
  const columns = adapters.map(() => createAdapterColumns(slots));
  const scratch = adapters.map(() => createAdapterOutput());
  const fused = createFusedColumns(slots);
  return () => {
    const features = createFeatureExtractor(featureConfig, capacity);
    for (let row = 0; row < c.length; row += slots) {
      const end = Math.min(row + slots, c.length);
      if (features.length + (end - row) > features.capacity && features.length > lookback) features.discardBefore(features.length - lookback);
      const next = features.length;
      features.pushRange(c, row, end);
      const from = next + features.rowBase > warmup ? next : warmup - features.rowBase;
      const to = features.length;
      if (from >= to) continue;
      for (let k = 0; k < adapters.length; k++) evaluateAdapterColumns(adapters[k], features, from, to, columns[k], scratch[k]);
      fusion.fuseColumns(columns, names, to - from, fused);
    }
    return features.rowBase + features.length;
  };
}
