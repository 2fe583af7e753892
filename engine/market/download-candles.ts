/**
 * Downloads candles from a venue into candle storage, page by page, resuming where the stored
 * stream ends: the first page starts at max(sinceMs, last stored open time + one timeframe).
 * Only closed candles are stored: venues return the candle still forming, and a stored candle is
 * never rewritten, so it would keep its partial prices for good; the next download picks it up.
 */
import type { CandleRepository } from '../ports/candles';
import type { CandleSource } from '../ports/candle-source';
import type { Clock } from '../core/clock';
import { TIMEFRAME_MS, candleColumnsFromRows, type Candle, type MarketKey } from '../core/types';
import { ValidationError } from '../core/errors';

/** Candles per request (Binance's klines maximum for spot). */
export const DOWNLOAD_PAGE_LIMIT = 1000;

/** What to download: one stream, open times in [sinceMs, untilMs). */
export interface DownloadCandlesRequest {
  key: MarketKey;
  /** First open time wanted, epoch ms. */
  sinceMs: number;
  /** Exclusive end, epoch ms (normally "now"). */
  untilMs: number;
}

export type { CandleSource };

export interface DownloadCandlesDeps {
  source: CandleSource;
  candles: CandleRepository;
  /** Now: a candle whose close (open time + one timeframe) is after it is still forming and is not stored. */
  clock: Clock;
  /**
   * Progress in ms of the requested range covered: `doneMs` of `totalMs`. Called after every page;
   * a returned promise is awaited, and a rejection (e.g. a cancelled job) stops the download there.
   */
  onProgress?(doneMs: number, totalMs: number): void | Promise<void>;
  /** Waits between pages; default a timer. */
  sleep?(ms: number): Promise<void>;
  /** Pause between pages (the venue's rate limit), ms >= 0; default 0. */
  rateLimitMs?: number;
}

/** Outcome. `fromMs` is where this call started (after resuming); `lastOpenTimeMs` is NaN when nothing is stored. */
export interface DownloadCandlesResult {
  fromMs: number;
  pages: number;
  fetched: number;
  inserted: number;
  lastOpenTimeMs: number;
}

function validCandle(c: Candle): boolean {
  return (
    [c.openTimeMs, c.open, c.high, c.low, c.close, c.volume].every(Number.isFinite) &&
    c.low > 0 &&
    c.low <= Math.min(c.open, c.close) &&
    c.high >= Math.max(c.open, c.close) &&
    c.volume >= 0
  );
}

/**
 * Pages through `source.fetchOhlcv` (limit `DOWNLOAD_PAGE_LIMIT`) from max(sinceMs, last stored + 1 timeframe),
 * writing each page through `candles.insertCandles` (one transaction per page, so an interruption keeps every
 * finished page and the next call resumes after it). Waits `rateLimitMs` between pages. Stops at `untilMs`,
 * or when a page brings no closed candle newer than the last one. Candles still forming at `clock.nowMs()`
 * (open time + one timeframe after it) are dropped, never stored.
 * @throws ValidationError for a bad request (field named) or a candle that is not a valid OHLCV row.
 * @throws whatever the source throws (e.g. ExchangeError), after the pages before it were stored.
 */
export async function downloadCandles(request: DownloadCandlesRequest, deps: DownloadCandlesDeps): Promise<DownloadCandlesResult> {
  const { key, sinceMs, untilMs } = request;
  if (!key || typeof key.exchange !== 'string' || key.exchange === '') throw new ValidationError('key.exchange', key?.exchange, 'expected a non-empty string');
  if (typeof key.symbol !== 'string' || key.symbol === '') throw new ValidationError('key.symbol', key.symbol, 'expected a non-empty string');
  if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, key.timeframe)) {
    throw new ValidationError('key.timeframe', key.timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
  }
  if (!Number.isFinite(sinceMs) || sinceMs < 0) throw new ValidationError('sinceMs', sinceMs, 'expected epoch milliseconds >= 0');
  if (!Number.isFinite(untilMs) || untilMs <= sinceMs) throw new ValidationError('untilMs', untilMs, `expected epoch milliseconds after sinceMs (${sinceMs})`);
  const rateLimitMs = deps.rateLimitMs ?? 0;
  if (!Number.isFinite(rateLimitMs) || rateLimitMs < 0) throw new ValidationError('rateLimitMs', rateLimitMs, 'expected a number >= 0');
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stepMs = TIMEFRAME_MS[key.timeframe];
  const totalMs = untilMs - sinceMs;
  /** Open times from here on are of candles still forming. */
  const formingFromMs = deps.clock.nowMs() - stepMs;

  const stored = (await deps.candles.summarize()).find(
    (s) => s.exchange === key.exchange && s.symbol === key.symbol && s.timeframe === key.timeframe,
  );
  let lastOpenTimeMs = stored ? stored.lastOpenTimeMs : NaN;
  const fromMs = stored && stored.lastOpenTimeMs + stepMs > sinceMs ? stored.lastOpenTimeMs + stepMs : sinceMs;
  let cursor = fromMs;
  let pages = 0;
  let fetched = 0;
  let inserted = 0;
  const progress = async () => {
    await deps.onProgress?.(Math.min(totalMs, Math.max(0, cursor - sinceMs)), totalMs);
  };
  await progress();

  while (cursor < untilMs && cursor <= formingFromMs) {
    if (pages > 0 && rateLimitMs > 0) await sleep(rateLimitMs);
    const page = await deps.source.fetchOhlcv(key.symbol, key.timeframe, cursor, DOWNLOAD_PAGE_LIMIT);
    pages++;
    const rows = page.filter((c) => c.openTimeMs >= cursor && c.openTimeMs < untilMs && c.openTimeMs <= formingFromMs).sort((a, b) => a.openTimeMs - b.openTimeMs);
    const unique: Candle[] = [];
    for (const c of rows) {
      if (!validCandle(c)) throw new ValidationError(`candle ${key.symbol}@${c.openTimeMs}`, c, 'expected finite prices with 0 < low <= open, close <= high and volume >= 0');
      if (unique.length === 0 || c.openTimeMs > unique[unique.length - 1].openTimeMs) unique.push(c);
    }
    if (unique.length === 0) break;
    const result = await deps.candles.insertCandles(key, candleColumnsFromRows(unique));
    fetched += unique.length;
    inserted += result.inserted;
    lastOpenTimeMs = unique[unique.length - 1].openTimeMs;
    cursor = lastOpenTimeMs + stepMs;
    await progress();
  }
  cursor = untilMs;
  await progress();
  return { fromMs, pages, fetched, inserted, lastOpenTimeMs };
}
