/**
 * `import-candles` CLI command: validates flags, imports a candle CSV through the
 * engine's importCandles, and reports the result. Exit codes: 0 ok, 2 bad input
 * (flags or file contents), 1 anything else (e.g. storage failure).
 */
import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { TIMEFRAME_MS, type Timeframe } from '../../engine/core/types';
import { CandleFileError } from '../../engine/market/candle-csv';
import type { ImportCandlesRequest, ImportCandlesResult } from '../../engine/market/import-candles';
import { marketFlagError, parseStringFlags } from './market-flags';

export const IMPORT_CANDLES_USAGE =
  'usage: import-candles --file FILE --exchange EXCHANGE --symbol BASE/QUOTE --timeframe TF\n' +
  `  FILE: CSV (or .gz) with header timestamp_ms,open,high,low,close,volume\n` +
  `  TF: one of ${Object.keys(TIMEFRAME_MS).join(', ')}\n`;

/** Files above this size get a progress bar (when stderr is a terminal). */
const PROGRESS_BAR_MIN_BYTES = 2 * 1024 * 1024;
/** Gap warnings printed in full; the rest are counted. */
const MAX_PRINTED_WARNINGS = 20;

export interface ImportCandlesCommandServices {
  /** The engine's import (all-or-nothing). */
  importCandles(request: ImportCandlesRequest, onProgress?: (bytesRead: number, totalBytes: number) => void): Promise<ImportCandlesResult>;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Terminal stream for the progress bar (normally process.stderr); no bar when absent or not a TTY. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Runs the command; resolves to the process exit code. Never throws for bad input. */
export async function runImportCandlesCommand(args: string[], services: ImportCandlesCommandServices): Promise<number> {
  const usageError = (message: string): number => {
    services.stderr(`import-candles: ${message}\n${IMPORT_CANDLES_USAGE}`);
    return EXIT_USAGE;
  };

  const parsed = parseStringFlags(args, ['file', 'exchange', 'symbol', 'timeframe'], ['file', 'exchange', 'symbol', 'timeframe']);
  if ('error' in parsed) return usageError(parsed.error);
  const { file, exchange, symbol, timeframe } = parsed.values;
  const marketError = marketFlagError(symbol, timeframe);
  if (marketError) return usageError(marketError);
  let sizeBytes: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return usageError(`--file "${file}" is not a file`);
    sizeBytes = info.size;
  } catch {
    return usageError(`--file "${file}" does not exist or cannot be read`);
  }

  const key = { exchange, symbol, timeframe: timeframe as Timeframe };
  const stream = services.progressStream;
  const bar =
    stream?.isTTY && sizeBytes > PROGRESS_BAR_MIN_BYTES
      ? new cliProgress.SingleBar(
          { stream, format: 'parsing {bar} {percentage}% | {value}/{total} bytes', hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(sizeBytes, 0);
  try {
    const result = await services.importCandles({ file, key }, bar ? (read) => bar.update(read) : undefined);
    bar?.stop();
    services.stdout(`imported ${result.inserted} new candles (${result.parsed} parsed) into ${exchange} ${symbol} ${timeframe}\n`);
    for (const warning of result.warnings.slice(0, MAX_PRINTED_WARNINGS)) services.stderr(`warning: ${warning}\n`);
    if (result.warnings.length > MAX_PRINTED_WARNINGS) {
      services.stderr(`warning: ... and ${result.warnings.length - MAX_PRINTED_WARNINGS} more gaps\n`);
    }
    return EXIT_OK;
  } catch (err) {
    bar?.stop();
    if (err instanceof CandleFileError) {
      services.stderr(`import-candles: ${err.message}\n`);
      return EXIT_USAGE;
    }
    services.stderr(`import-candles: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
