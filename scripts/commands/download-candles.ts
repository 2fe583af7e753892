/**
 * `download-candles` CLI command: downloads candles from a venue's public API (ccxt, no keys) into
 * candle storage through the engine's downloadCandles, resuming after the last stored candle.
 * Exit codes: 0 ok, 2 bad input (flags), 1 anything else (venue unreachable, storage failure).
 */
import { marketFlagError, parseStringFlags } from './market-flags';
import { VENUE_IDS, venueOf } from '../../engine/venues/registry';
import cliProgress from 'cli-progress';
import { TIMEFRAME_MS, type Timeframe } from '../../engine/core/types';
import { ExchangeError, ValidationError } from '../../engine/core/errors';
import { parseUtcDateMs } from '../../engine/jobs/download-candles-job';
import type { Logger } from '../../engine/core/logger';
import { createPublicCcxtExchange, isVenueUnreachable, type CcxtExchangeId } from '../../engine/execution/ccxt-exchange';
import type { CandleSource, DownloadCandlesRequest, DownloadCandlesResult } from '../../engine/market/download-candles';

export const DOWNLOAD_CANDLES_USAGE =
  `usage: download-candles --exchange ${VENUE_IDS.join('|')} --symbol BASE/QUOTE --timeframe TF --since YYYY-MM-DD [--until YYYY-MM-DD]\n` +
  `  TF: one of ${Object.keys(TIMEFRAME_MS).join(', ')}\n` +
  '  dates are UTC (YYYY-MM-DD or an ISO timestamp); --until defaults to now\n';

/** A candle source the command can close when done. */
export type ClosableCandleSource = CandleSource & { readonly rateLimitMs?: number; close(): Promise<void> };

export interface DownloadCandlesCommandServices {
  /** The engine's download (resumes after the last stored candle). */
  downloadCandles(
    request: DownloadCandlesRequest,
    source: CandleSource & { readonly rateLimitMs?: number },
    onProgress?: (doneMs: number, totalMs: number) => void,
  ): Promise<DownloadCandlesResult>;
  /** Builds the venue client; default `createPublicCandleSource`. */
  createSource?(exchangeId: CcxtExchangeId): ClosableCandleSource;
  /** Current time, epoch ms (default end of the range); default Date.now. */
  nowMs?(): number;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Terminal stream for the progress bar (normally process.stderr); no bar when absent or not a TTY. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** A ccxt venue with public endpoints only; fails fast (5 s, no retries) when it cannot be reached at all. */
export function createPublicCandleSource(exchangeId: CcxtExchangeId, options: { urls?: Record<string, string>; logger?: Logger } = {}): ClosableCandleSource {
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  return createPublicCcxtExchange(exchangeId, { clock: { nowMs: () => Date.now() }, logger: options.logger ?? quiet }, { urls: options.urls });
}

/** Epoch ms of a `--since` / `--until` date (read as the download job reads it), or the message saying what is wrong. */
function parseDate(flag: string, value: string): number | string {
  const ms = parseUtcDateMs(value);
  return Number.isFinite(ms) ? ms : `--${flag} "${value}" is not a date like 2024-01-01 or 2024-01-01T12:00:00Z`;
}

/** Runs the command; resolves to the process exit code. Never throws for bad input. */
export async function runDownloadCandlesCommand(args: string[], services: DownloadCandlesCommandServices): Promise<number> {
  const usageError = (message: string): number => {
    services.stderr(`download-candles: ${message}\n${DOWNLOAD_CANDLES_USAGE}`);
    return EXIT_USAGE;
  };
  const parsed = parseStringFlags(args, ['exchange', 'symbol', 'timeframe', 'since', 'until'], ['exchange', 'symbol', 'timeframe', 'since']);
  if ('error' in parsed) return usageError(parsed.error);
  const { values } = parsed;
  const { exchange, symbol, timeframe, since } = values;
  if (!venueOf(exchange)) return usageError(`--exchange "${exchange}" is not supported; expected ${VENUE_IDS.join(' or ')}`);
  const marketError = marketFlagError(symbol, timeframe);
  if (marketError) return usageError(marketError);
  const sinceMs = parseDate('since', since);
  if (typeof sinceMs === 'string') return usageError(sinceMs);
  const now = (services.nowMs ?? Date.now)();
  const untilMs = values.until === undefined ? now : parseDate('until', values.until);
  if (typeof untilMs === 'string') return usageError(untilMs);
  if (untilMs <= sinceMs) return usageError(`--until (${new Date(untilMs).toISOString()}) must be after --since (${new Date(sinceMs).toISOString()})`);

  const key = { exchange, symbol, timeframe: timeframe as Timeframe };
  const source = (services.createSource ?? createPublicCandleSource)(exchange as CcxtExchangeId);
  const stream = services.progressStream;
  const bar = stream?.isTTY
    ? new cliProgress.SingleBar({ stream, format: 'downloading {bar} {percentage}% | eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  let barStarted = false;
  try {
    const result = await services.downloadCandles({ key, sinceMs, untilMs }, source, (doneMs, totalMs) => {
      if (!bar) return;
      if (!barStarted) {
        bar.start(totalMs, doneMs);
        barStarted = true;
      } else bar.update(doneMs);
    });
    bar?.stop();
    const last = Number.isFinite(result.lastOpenTimeMs) ? new Date(result.lastOpenTimeMs).toISOString() : 'none';
    services.stdout(
      `downloaded ${result.fetched} candles (${result.inserted} new) in ${result.pages} page${result.pages === 1 ? '' : 's'} into ${exchange} ${symbol} ${timeframe}; ` +
        `started at ${new Date(result.fromMs).toISOString()}, last candle ${last}\n`,
    );
    return EXIT_OK;
  } catch (err) {
    bar?.stop();
    if (isVenueUnreachable(err)) {
      services.stderr(`download-candles: ${(err as Error).message}: check the network or use import-candles with a CSV file\n`);
      return EXIT_FAILURE;
    }
    if (err instanceof ValidationError) {
      services.stderr(`download-candles: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof ExchangeError || err instanceof Error ? err.message : String(err);
    services.stderr(`download-candles: failed: ${message}\n`);
    return EXIT_FAILURE;
  } finally {
    await source.close().catch(() => undefined);
  }
}
