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

/**
 * Two markets for the account specs (replay sessions, force exit), so their trades stay out of the
 * journal the ETH/USDT specs count (not SOL/USDT, which must stay without candles for the drift spec's
 * no-candles session; both sort after BTC/USDT, the chart's default market): 6 000 five-minute candles from 2024-03-01T00:00Z whose close is
 * a 100-candle wave (±3 % around `base`, not market data), on which ma-crossover with its default
 * 20/50 periods crosses about twice per wave. Volume 1e6 per candle, so fills are never volume-capped.
 */
export const REPLAY_MARKETS = [
  { exchange: 'binance', symbol: 'DOT/USDT', timeframe: '5m', base: 100, phase: 0 },
  { exchange: 'binance', symbol: 'XRP/USDT', timeframe: '5m', base: 50, phase: 1.3 },
] as const;
export const REPLAY_FROM = '2024-03-02';
export const REPLAY_TIMEFRAME_MS = 300_000;
const REPLAY_COUNT = 6_000;
const REPLAY_START_MS = Date.UTC(2024, 2, 1);

/** Close of candle `i` of a replay market. */
export function replayClose(market: (typeof REPLAY_MARKETS)[number], i: number): number {
  return market.base * (1 + 0.03 * Math.sin((2 * Math.PI * i) / 100 + market.phase));
}

/** The close of the last candle of a replay market (the price a manual order is sized at before any session trades it). */
export const replayLastClose = (market: (typeof REPLAY_MARKETS)[number]) => replayClose(market, REPLAY_COUNT - 1);

/** Writes a replay market's file and returns its path. */
export function writeReplayCandles(market: (typeof REPLAY_MARKETS)[number]): string {
  const file = path.resolve(`test-results/${market.symbol.replace('/', '-').toLowerCase()}-5m-replay.csv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  let previous = replayClose(market, 0);
  for (let i = 0; i < REPLAY_COUNT; i++) {
    const close = replayClose(market, i);
    lines.push([REPLAY_START_MS + i * REPLAY_TIMEFRAME_MS, previous, Math.max(previous, close) * 1.001, Math.min(previous, close) * 0.999, close, 1_000_000].join(','));
    previous = close;
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
