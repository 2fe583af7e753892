/**
 * Test helpers for strategy definitions (strategy files): feed hand-made candles to a feature
 * extractor built from the definition's indicators and evaluate every row, as the trading loop does.
 */
import { expect } from 'vitest';
import { createFeatureExtractor, type FeatureExtractor } from '@/engine/features/feature-extractor';
import { normalizeFeatureConfig } from '@/engine/features/feature-config';
import { createAdapterOutput } from '@/engine/strategies/strategy-adapter';
import type { RowStrategyDefinition, StrategyDefinition } from '@/engine/strategies/strategy-api';

export interface TestCandle {
  openTimeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** One hour, the default spacing of hand-made candles. */
export const HOUR_MS = 3_600_000;

/**
 * Candles from closes (the convention of engine/strategies/strategies.test.ts): open = previous close
 * (row 0: its own close), high = max(open, close) + 1, low = min(open, close) - 1, one every `stepMs`
 * from `startMs`. The true range is therefore |close − previous close| + 2 (row 0: 2); with ATR(1) the
 * ATR equals that true range.
 */
export function candlesFromCloses(closes: readonly number[], stepMs = HOUR_MS, startMs = 0): TestCandle[] {
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    return { openTimeMs: startMs + i * stepMs, open, high: Math.max(open, close) + 1, low: Math.min(open, close) - 1, close };
  });
}

/** A feature frame with the definition's indicators (for the parsed params) over the candles. */
export function frameFor(definition: StrategyDefinition, params: Record<string, unknown>, candles: readonly TestCandle[]): FeatureExtractor {
  const fx = createFeatureExtractor(normalizeFeatureConfig(definition.indicators(params)), 4);
  for (const c of candles) fx.push(c.openTimeMs, c.open, c.high, c.low, c.close, 1);
  return fx;
}

/** What `evaluate` wrote for one row. */
export interface RowOutput {
  i: number;
  side: number;
  strength: number;
  stopHint: number;
  reason: string;
  exit: number;
}

/** Parses `input` with the definition's schema, evaluates every row with its per-row `evaluate` (strategy files give that form) and returns every row's output. */
export function evaluateRows(definition: RowStrategyDefinition, input: Record<string, unknown>, candles: readonly TestCandle[]): RowOutput[] {
  const params = definition.params.parse(input) as Record<string, unknown>;
  const fx = frameFor(definition, params, candles);
  const out = createAdapterOutput();
  const rows: RowOutput[] = [];
  for (let i = 0; i < fx.length; i++) {
    definition.evaluate(fx, i, out, params);
    rows.push({ i, side: out.side, strength: out.strength, stopHint: out.stopHint, reason: out.reason, exit: out.exit });
  }
  return rows;
}

/** The rows that fired an entry signal. */
export function fired(rows: readonly RowOutput[]): RowOutput[] {
  return rows.filter((r) => r.side !== 0);
}

/**
 * No look-ahead: evaluating the newest row of a frame that holds only candles 0..n-1 gives, for every n,
 * what evaluating row n-1 of the whole series gives.
 */
export function expectNoLookAhead(definition: RowStrategyDefinition, input: Record<string, unknown>, candles: readonly TestCandle[]): void {
  const whole = evaluateRows(definition, input, candles);
  for (let n = 1; n <= candles.length; n++) {
    const prefix = evaluateRows(definition, input, candles.slice(0, n));
    expect(prefix[n - 1], `row ${n - 1} evaluated with candles 0..${n - 1} only`).toEqual(whole[n - 1]);
  }
}
