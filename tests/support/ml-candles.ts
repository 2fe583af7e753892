/**
 * Candle series for the ML tests: a seeded synthetic random walk (reproducible, any length) and
 * the real shared data set when present.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CandleColumns } from '../../engine/core/types';
import { createMulberry32 } from '../../engine/ml/prng';

/**
 * A geometric random walk of `n` hourly-aligned candles from `startMs` with alternating drift
 * regimes (so trend and range labels both occur). Deterministic for a seed.
 */
export function syntheticCandles(n: number, seed = 7, startMs = 1_704_067_200_000, intervalMs = 3_600_000): CandleColumns {
  const prng = createMulberry32(seed);
  const gauss = () => {
    const u = Math.max(1e-12, prng.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng.next());
  };
  const c = {
    length: n,
    openTimeMs: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  let price = 100;
  for (let i = 0; i < n; i++) {
    const drift = Math.floor(i / 120) % 3 === 0 ? 0.002 : Math.floor(i / 120) % 3 === 1 ? -0.002 : 0;
    const open = price;
    const close = open * Math.exp(drift + 0.01 * gauss());
    c.openTimeMs[i] = startMs + i * intervalMs;
    c.open[i] = open;
    c.close[i] = close;
    c.high[i] = Math.max(open, close) * (1 + 0.004 * prng.next());
    c.low[i] = Math.min(open, close) * (1 - 0.004 * prng.next());
    c.volume[i] = 10 + 5 * prng.next();
    price = close;
  }
  return c;
}

/** The shared real-data directory (env AETHELRED_SHARED_DATA overrides /work/shared/data), or null when absent. */
export function sharedDataDir(): string | null {
  const dir = process.env.AETHELRED_SHARED_DATA ?? '/work/shared/data';
  return existsSync(dir) ? dir : null;
}

/** Path of a file in the shared data directory, or null when the directory or file is absent. */
export function sharedDataFile(name: string): string | null {
  const dir = sharedDataDir();
  if (!dir) return null;
  const file = path.join(dir, name);
  return existsSync(file) ? file : null;
}
