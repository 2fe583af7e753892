/**
 * A small study shared by the study tests: 60 days of hourly wave candles (made-up values; the
 * averages cross every few days, so ma-crossover trades) and a grid request over them with
 * 6 candidates (fastPeriod 4, 7, 10 × slowPeriod 20, 30).
 */
import type { MarketKey } from '../core/types';
import type { StudyRequest } from '../research/study';
import { waveCandles } from './wave-candles';

/** The first candle's open time: 2024-01-01T00:00Z. */
export const STUDY_FIXTURE_START_MS = Date.UTC(2024, 0, 1);

/** The market the fixture's candles are stored under. */
export const STUDY_FIXTURE_MARKET: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

/** 60 days of hourly wave candles from {@link STUDY_FIXTURE_START_MS}, ±5 %. */
export const STUDY_FIXTURE_CANDLES = waveCandles({ count: 60 * 24, startMs: STUDY_FIXTURE_START_MS, timeframeMs: 3_600_000, amplitude: 0.05 });

/** A grid study of ma-crossover over 2024-01-05..2024-02-25 by net profit, at least 1 trade: 6 candidates. */
export const STUDY_FIXTURE_REQUEST = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  from: '2024-01-05',
  to: '2024-02-25',
  strategy: 'ma-crossover',
  space: { fastPeriod: { min: 4, max: 10, step: 3 }, slowPeriod: { values: [20, 30] }, atrPeriod: 14, atrStopMultiple: 2 },
  method: 'grid',
  objective: 'netProfit',
  minTrades: 1,
} satisfies StudyRequest;
