/**
 * Synthetic test candles: a sine wave (made-up values, not market data) whose fast/slow moving
 * averages cross every ~20 candles, so strategies trade often; as rows or as import CSV.
 */
import type { Candle } from '../core/types';

export interface WaveOptions {
  /** Candles. */
  count: number;
  /** Phase of the wave, radians (two markets with different phases trade at different times). */
  phase?: number;
  /** Centre price. */
  base?: number;
  /** Relative amplitude (0.03 = ±3 %). */
  amplitude?: number;
  startMs?: number;
  timeframeMs?: number;
}

/** close_i = base × (1 + amplitude × sin(i/6 + phase)); high/low ±0.2 %; open = close; volume 1e6. */
export function waveCandles(options: WaveOptions): Candle[] {
  const { count, phase = 0, base = 100, amplitude = 0.03, startMs = Date.UTC(2024, 0, 1), timeframeMs = 300_000 } = options;
  return Array.from({ length: count }, (_, i) => {
    const close = base * (1 + amplitude * Math.sin(i / 6 + phase));
    return { openTimeMs: startMs + i * timeframeMs, open: close, high: close * 1.002, low: close * 0.998, close, volume: 1_000_000 };
  });
}

/** The same candles as an import CSV (`timestamp_ms,open,high,low,close,volume`). */
export function waveCsv(options: WaveOptions): string {
  return ['timestamp_ms,open,high,low,close,volume', ...waveCandles(options).map((c) => `${c.openTimeMs},${c.open},${c.high},${c.low},${c.close},${c.volume}`)].join('\n');
}
