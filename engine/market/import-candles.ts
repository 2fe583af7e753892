/**
 * Imports a candle CSV file into candle storage: parse and validate the whole file
 * first, so a bad file writes nothing, then insert every candle in one transaction.
 */
import type { CandleRepository } from '../ports/candles';
import type { MarketKey } from '../core/types';
import { parseCandleCsv, parseCandleCsvText } from './candle-csv';

/** What to import: a CSV file (optionally gzipped) for one candle stream. */
export interface ImportCandlesRequest {
  file: string;
  key: MarketKey;
}

export interface ImportCandlesDeps {
  candles: CandleRepository;
  /** Parse progress in bytes of the file on disk. */
  onProgress?(bytesRead: number, totalBytes: number): void;
}

/** Outcome: rows in the file, rows new to storage (re-imports insert 0), and gap warnings. */
export interface ImportCandlesResult {
  parsed: number;
  inserted: number;
  warnings: string[];
}

/**
 * Parses `request.file` against `request.key.timeframe`, then stores it under `request.key`.
 * Existing candles (same open time) are left unchanged, so importing twice is harmless.
 * @throws CandleFileError (from parseCandleCsv) on a malformed file; nothing is written.
 * @throws RepositoryError when storage fails; the transaction leaves storage unchanged.
 */
export async function importCandles(request: ImportCandlesRequest, deps: ImportCandlesDeps): Promise<ImportCandlesResult> {
  const { columns, warnings } = await parseCandleCsv(request.file, request.key.timeframe, {
    onProgress: deps.onProgress,
  });
  const { inserted } = await deps.candles.insertCandles(request.key, columns);
  return { parsed: columns.length, inserted, warnings };
}

/** Candle CSV text already in memory (an upload) for one candle stream. */
export interface ImportCandleTextRequest {
  csv: string;
  key: MarketKey;
  /** Stands for the file in messages and warnings (`body:12: …`). */
  name: string;
}

/**
 * Like {@link importCandles} for text in memory: validates the whole text first (nothing is written
 * when a row is bad), then stores every candle in one transaction; existing open times are kept.
 * @throws CandleFileError naming the line and field of the first bad row; nothing is written.
 * @throws RepositoryError when storage fails; the transaction leaves storage unchanged.
 */
export async function importCandleText(request: ImportCandleTextRequest, deps: Pick<ImportCandlesDeps, 'candles'>): Promise<ImportCandlesResult> {
  const { columns, warnings } = await parseCandleCsvText(request.csv, request.name, request.key.timeframe);
  const { inserted } = await deps.candles.insertCandles(request.key, columns);
  return { parsed: columns.length, inserted, warnings };
}
