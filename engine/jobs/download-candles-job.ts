/**
 * The `download-candles` job: the CLI's resumable candle download (engine/market `downloadCandles`,
 * which starts after the last stored candle and stores page by page) run as a ticket, with progress
 * as the share of the requested range covered. A venue that cannot be reached or does not list the
 * market fails the ticket at once with a readable reason; pages stored before a failure are whole
 * (one transaction each), and the next download resumes after them.
 */
import { marketSymbolSchema } from '../core/market-symbol';
import { timeInputMs } from '../core/time-input';
import { z } from 'zod';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type Timeframe } from '../core/types';
import { downloadCandles } from '../market/download-candles';
import { requireVenue, VENUE_IDS } from '../venues/registry';
import { JobCancelledError, JobInterruptedError, NonRetryableJobError, type JobContext } from './job-context';
import { defineJob, type JobServices } from './job-definition';

const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of a UTC date (`2024-01-01`) or ISO timestamp (no zone = UTC), read as every time input is (engine/core/time-input.ts); NaN when invalid. */
export function parseUtcDateMs(value: string): number {
  return DATE.test(value) ? timeInputMs(value) : NaN;
}

const dateSchema = z.string().refine((v) => Number.isFinite(parseUtcDateMs(v)), 'expected a UTC date like 2024-01-01 or 2024-01-01T12:00:00Z');

export const downloadCandlesParamsSchema = z
  .object({
    /** Venue id from the venue registry (`binance`, `binanceusdm`). */
    exchange: z.string().min(1),
    /** Market symbol as the venue lists it, e.g. `BTC/USDT`. */
    symbol: marketSymbolSchema,
    timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]),
    /** First open time wanted (UTC); the download starts after the last stored candle when that is later. */
    since: dateSchema,
    /** Exclusive end (UTC); default: when the job runs. */
    until: dateSchema.optional(),
  })
  .strict();
export type DownloadCandlesParams = z.infer<typeof downloadCandlesParamsSchema>;

/** What a download ticket stores. `lastOpenTimeMs` is null when nothing is stored for the market. */
export interface DownloadCandlesJobResult {
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
  fromMs: number;
  untilMs: number;
  pages: number;
  fetched: number;
  inserted: number;
  lastOpenTimeMs: number | null;
}

/** Known venue; `until` after `since` when given. @throws ValidationError naming the param. */
export function checkDownloadCandlesParams(params: DownloadCandlesParams): void {
  requireVenue(params.exchange, 'exchange');
  if (params.until !== undefined && parseUtcDateMs(params.until) <= parseUtcDateMs(params.since)) {
    throw new ValidationError('until', params.until, `expected a time after since (${params.since})`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * Downloads with the job's progress and cancellation: progress is written after every page (the
 * download waits for it, so a cancel stops it before the next request). Venue failures end the
 * ticket at once (the ccxt adapter already retried what was worth retrying) with the venue's reason.
 * @throws NonRetryableJobError for an unknown venue, an unreachable venue, an unlisted market or an empty range.
 */
export async function runDownloadCandlesJob(
  params: DownloadCandlesParams,
  ctx: JobContext,
  services: Pick<JobServices, 'marketData' | 'clock'>,
): Promise<DownloadCandlesJobResult> {
  const key = { exchange: params.exchange, symbol: params.symbol, timeframe: params.timeframe };
  const market = `${key.exchange} ${key.symbol} ${key.timeframe}`;
  const sinceMs = parseUtcDateMs(params.since);
  const untilMs = params.until === undefined ? services.clock.nowMs() : parseUtcDateMs(params.until);
  if (!(untilMs > sinceMs)) throw new NonRetryableJobError(`nothing to download for ${market}: since (${params.since}) is not before ${iso(untilMs)} UTC`);
  if (!VENUE_IDS.includes(key.exchange)) throw new NonRetryableJobError(`exchange "${key.exchange}" is not supported; expected ${VENUE_IDS.map((v) => `"${v}"`).join(' or ')}`);
  let source;
  try {
    source = services.marketData.openCandleSource(key.exchange);
  } catch (error) {
    throw new NonRetryableJobError(`cannot open ${key.exchange}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    await ctx.reportProgress(0, `connecting to ${key.exchange}`);
    const result = await downloadCandles(
      { key, sinceMs, untilMs },
      {
        source,
        candles: services.marketData.candles,
        clock: services.clock,
        rateLimitMs: source.rateLimitMs ?? 0,
        onProgress: async (doneMs, totalMs) => {
          if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new JobCancelledError(ctx.ticketId);
          if (totalMs > 0 && doneMs > 0) await ctx.reportProgress(doneMs / totalMs, `up to ${iso(sinceMs + doneMs)} UTC`);
        },
      },
    );
    return {
      ...key,
      fromMs: result.fromMs,
      untilMs,
      pages: result.pages,
      fetched: result.fetched,
      inserted: result.inserted,
      lastOpenTimeMs: Number.isFinite(result.lastOpenTimeMs) ? result.lastOpenTimeMs : null,
    };
  } catch (error) {
    if (error instanceof JobCancelledError || error instanceof JobInterruptedError) throw error;
    if (error instanceof ExchangeError) {
      const hint = error.failure === FailureClass.Retryable ? ': check the network, or upload a CSV file on the Markets page' : '';
      throw new NonRetryableJobError(`downloading ${market} failed: ${error.message}${hint}`, { cause: error });
    }
    if (error instanceof ValidationError) throw new NonRetryableJobError(`downloading ${market} failed: ${error.message}`, { cause: error });
    throw error;
  } finally {
    await source.close().catch(() => undefined);
  }
}

export const downloadCandlesJob = defineJob({
  kind: 'download-candles',
  webhookStartable: true,
  summary: "Downloads candles from a venue's public API into storage, resuming after the last stored candle.",
  paramsSchema: downloadCandlesParamsSchema,
  check: checkDownloadCandlesParams,
  example: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', since: '2024-01-01' },
  run: runDownloadCandlesJob,
});
