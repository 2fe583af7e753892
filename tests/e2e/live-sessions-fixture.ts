/**
 * Live sessions global setup stores (stopped, paper) for the drift view specs; no trades are
 * journaled for them, so other specs' journal counts are untouched.
 * - DRIFT: ETH/USDT 5m over the synthetic candles; live made no trades, the replay made some.
 * - NO_CANDLES: SOL/USDT 5m, a market with no stored candles, so no replay can run.
 */
import { SYNTHETIC_MARKET } from './synthetic-candles';

const FIVE_MINUTES_MS = 300_000;

export const E2E_DRIFT_SESSION = {
  id: `live:${SYNTHETIC_MARKET.exchange}:${SYNTHETIC_MARKET.symbol}:${SYNTHETIC_MARKET.timeframe}`,
  ...SYNTHETIC_MARKET,
  config: { strategies: ['ma-crossover'] },
  status: 'stopped',
  /** 2024-02-05T00:00Z, four days into the synthetic candles (enough before it to warm up). */
  startedAtMs: Date.UTC(2024, 1, 5),
  /** The last synthetic candle, 2024-02-11T09:55Z. */
  lastCandleMs: Date.UTC(2024, 1, 1) + 2_999 * FIVE_MINUTES_MS,
  liveTrading: false,
  lastError: null,
  updatedAtMs: Date.UTC(2024, 1, 11, 10),
} as const;

export const E2E_NO_CANDLES_SESSION = {
  ...E2E_DRIFT_SESSION,
  id: 'live:binance:SOL/USDT:5m',
  symbol: 'SOL/USDT',
  startedAtMs: Date.UTC(2024, 2, 1),
  lastCandleMs: Date.UTC(2024, 2, 1, 1),
  updatedAtMs: Date.UTC(2024, 2, 1, 1, 5),
} as const;

/** The drift page of a session, as the /live page links to it. */
export const driftPagePath = (id: string) => `/live/${encodeURIComponent(id)}`;
