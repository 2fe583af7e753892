/**
 * A synthetic candle file for the journal and backtest e2e tests: 3 000 five-minute ETH/USDT
 * candles from 2024-02-01T00:00Z whose close follows a 200-candle sine wave around 100 (not market
 * data), so a moving-average crossover trades a few dozen times. Deterministic.
 */
import fs from 'node:fs';
import path from 'node:path';

export const SYNTHETIC_CANDLES = path.resolve('test-results/eth-usdt-5m-synthetic.csv');
export const SYNTHETIC_MARKET = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '5m' } as const;
export const SYNTHETIC_FROM = '2024-02-01';
/** The day after the last candle (2024-02-11T09:55Z), an exclusive bound. */
export const SYNTHETIC_TO = '2024-02-12';
const COUNT = 3_000;
const START_MS = Date.UTC(2024, 1, 1);

/** Writes the file (header `timestamp_ms,open,high,low,close,volume`) and returns its path. */
export function writeSyntheticCandles(file = SYNTHETIC_CANDLES): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  let previous = 100;
  for (let i = 0; i < COUNT; i++) {
    const close = 100 + 10 * Math.sin((2 * Math.PI * i) / 200) + 0.3 * Math.sin(i * 1.7);
    const open = previous;
    const high = Math.max(open, close) + 0.2;
    const low = Math.min(open, close) - 0.2;
    lines.push([START_MS + i * 300_000, open.toFixed(4), high.toFixed(4), low.toFixed(4), close.toFixed(4), '1000'].join(','));
    previous = close;
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
