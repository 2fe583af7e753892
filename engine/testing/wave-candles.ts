/**
 * Synthetic test candles: a sine wave (made-up values, not market data) whose fast/slow moving
 * averages cross every ~20 candles, so strategies trade often; as rows or as import CSV.
 */
import type { Candle, CandleColumns, MarketKey } from '../core/types';
import type { CandleRepository } from '../ports/candles';

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

/**
 * The wave of {@link waveCandles} as a read-only candle store of `count` candles that holds none: each
 * `loadCandles` window is computed on demand (candle i of the market is the same whatever window asks for
 * it), so benchmarks and tests can stream hundreds of millions of candles in bounded memory.
 */
export function createWaveCandleSource(key: MarketKey, options: WaveOptions): Pick<CandleRepository, 'loadCandles' | 'summarize'> {
  const { count, phase = 0, base = 100, amplitude = 0.03, startMs = Date.UTC(2024, 0, 1), timeframeMs = 300_000 } = options;
  const sameKey = (k: MarketKey) => k.exchange === key.exchange && k.symbol === key.symbol && k.timeframe === key.timeframe;
  return {
    async loadCandles(k, fromMs, toMs) {
      const first = sameKey(k) ? Math.max(0, Math.ceil((fromMs - startMs) / timeframeMs)) : 0;
      const end = sameKey(k) ? Math.min(count, Math.ceil((toMs - startMs) / timeframeMs)) : 0;
      const length = Math.max(0, end - first);
      const columns = { length, openTimeMs: new Float64Array(length), open: new Float64Array(length), high: new Float64Array(length), low: new Float64Array(length), close: new Float64Array(length), volume: new Float64Array(length) };
      for (let r = 0; r < length; r++) {
        const i = first + r;
        const close = base * (1 + amplitude * Math.sin(i / 6 + phase));
        columns.openTimeMs[r] = startMs + i * timeframeMs;
        columns.open[r] = close;
        columns.high[r] = close * 1.002;
        columns.low[r] = close * 0.998;
        columns.close[r] = close;
        columns.volume[r] = 1_000_000;
      }
      return columns;
    },
    async summarize() {
      return count === 0 ? [] : [{ ...key, count, firstOpenTimeMs: startMs, lastOpenTimeMs: startMs + (count - 1) * timeframeMs }];
    },
  };
}

/**
 * A backtest request over all of `columns` on the test venue's WAVE/USDT 5m with the four built-in strategies and
 * chunks of 1,000 candles (the loop tests' run), `overrides` on top.
 */
export function waveBacktestRequest(columns: CandleColumns, overrides: Record<string, unknown> = {}) {
  return {
    exchange: 'test',
    symbol: 'WAVE/USDT',
    timeframe: '5m' as const,
    from: columns.openTimeMs[0],
    to: columns.openTimeMs[columns.length - 1] + 1,
    strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'],
    chunkSize: 1_000,
    ...overrides,
  };
}
