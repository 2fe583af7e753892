/**
 * What line (b) of `npm run bench` runs, shared by `scripts/bench.ts` and `scripts/bench-compare.ts` so both
 * measure the same thing: the candle files (BTC/USDT 5m and every 1m file of the data folder) and the backtest
 * request of each (four built-in strategies, fusion threshold 0.25). Plain data only: bench-compare hands the
 * request to the engine of another commit.
 */
import { readdirSync } from 'node:fs';

export const PIPELINE_STRATEGIES = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'];

/** A pipeline file: its name in the data folder, its pair as a symbol (`BTC/USDT`) and its timeframe (`5m`). */
export interface PipelineFile {
  name: string;
  symbol: string;
  timeframe: string;
}

/** The data folder's pipeline files, by name. */
export function pipelineFiles(dataDir: string): PipelineFile[] {
  return readdirSync(dataDir)
    .filter((f) => /^binance_BTC-USDT_5m\.csv$|_1m\.csv$/.test(f))
    .sort()
    .map((name) => {
      const [, pair, timeframe] = /^[a-z]+_(.+)_(\w+)\.csv$/.exec(name)!;
      return { name, symbol: pair.replace('-', '/'), timeframe };
    });
}

/** The backtest request over all of `candles` (open times in `openTimeMs`) of `file`. */
export function pipelineRequest(file: { symbol: string; timeframe: string }, openTimeMs: ArrayLike<number>, decisionDetail: 'off' | 'signals' | 'all') {
  return {
    exchange: 'bench',
    symbol: file.symbol,
    timeframe: file.timeframe,
    from: openTimeMs[0],
    to: openTimeMs[openTimeMs.length - 1] + 1,
    strategies: PIPELINE_STRATEGIES,
    fusion: { entryThreshold: 0.25 },
    decisionDetail,
  };
}
