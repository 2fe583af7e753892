/**
 * Line (b2) of `npm run bench`: the pipeline's signal stages without the trading loop (see {@link signalStages}).
 */
import type { ResolvedBacktest } from '@/engine/backtest/run-backtest';
import type { CandleColumns } from '@/engine/core/types';
import { BACKTEST_FEATURE_ROWS, DEFAULT_BACKTEST_CHUNK_SIZE } from '@/engine/loop/trading-loop';
import { createSignalPhase, trailingStopAtrPeriod } from '@/engine/loop/signal-phase';
import { riskConfigSchema } from '@/engine/risk/risk-engine';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';

/**
 * Line (b2): the pipeline's signal stages alone, exactly as a backtest's loop runs them: its signal phase
 * (`engine/loop/signal-phase.ts`), built as the loop builds it for `spec` (chunks of DEFAULT_BACKTEST_CHUNK_SIZE
 * candles, feature columns bounded to BACKTEST_FEATURE_ROWS: features pushed column-wise, each adapter's column form,
 * fusion), with no trading loop, venue, risk or metrics. What (b) would reach if every per-candle step after the
 * signals were free. Each run builds its phase, as each backtest's loop does.
 */
export function signalStages(spec: ResolvedBacktest, c: CandleColumns): () => number {
  const catalog = createBuiltInCatalog();
  const strategies = spec.strategies.map((name) => catalog.create(name, spec.params?.[name]));
  const varLookbackCandles = riskConfigSchema.parse(spec.risk).varLookbackCandles;
  return () => {
    const phase = createSignalPhase({
      strategies,
      fusion: spec.fusion,
      trailAtrPeriod: trailingStopAtrPeriod(spec.exits),
      withModels: false,
      chunkSize: spec.chunkSize ?? DEFAULT_BACKTEST_CHUNK_SIZE,
      capacityHint: c.length,
      maxFeatureRows: BACKTEST_FEATURE_ROWS,
      varLookbackCandles,
    });
    const features = phase.features;
    for (let row = 0; row < c.length; row += phase.chunkSlots) {
      const end = Math.min(row + phase.chunkSlots, c.length);
      const discard = phase.rowsToDiscard(end - row);
      if (discard > 0) features.discardBefore(discard);
      phase.computeChunk(c, row, end);
    }
    return features.rowBase + features.length;
  };
}
