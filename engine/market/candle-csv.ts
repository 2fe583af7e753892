/**
 * Streaming parser for candle CSV files (`timestamp_ms,open,high,low,close,volume`),
 * plain or gzip-compressed. It validates every row and fails fast on corrupt data, so
 * a bad file never reaches storage; gaps are legal (exchanges skip quiet minutes) and
 * come back as warnings.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import { EngineError } from '../core/errors';
import { TIMEFRAME_MS, type CandleColumns, type Timeframe } from '../core/types';

/** The columns a candle CSV must have, in any order. */
export const CANDLE_CSV_COLUMNS = ['timestamp_ms', 'open', 'high', 'low', 'close', 'volume'] as const;
type CandleCsvColumn = (typeof CANDLE_CSV_COLUMNS)[number];

/**
 * A candle file is malformed. The message is `FILE:LINE: detail` with the file name as
 * given and a 1-based line number counting the header as line 1, e.g.
 * `F.csv:12: field "high" was "abc": not a number`.
 */
export class CandleFileError extends EngineError {
  readonly file: string;
  /** 1-based line number; the header is line 1. */
  readonly line: number;
  /** What is wrong on that line, e.g. `field "high" was "abc": not a number`. */
  readonly detail: string;
  constructor(file: string, line: number, detail: string, cause?: unknown) {
    super('candle_file', `${file}:${line}: ${detail}`, { cause });
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** Options for {@link parseCandleCsv}. */
export interface ParseCandleCsvOptions {
  /** Called as the file is read; bytes are counted on disk (compressed bytes for gzip files). */
  onProgress?(bytesRead: number, totalBytes: number): void;
}

/** Parsed candles plus non-fatal findings (gaps), each `FILE:LINE: text`. */
export interface ParsedCandleCsv {
  columns: CandleColumns;
  warnings: string[];
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

async function isGzip(filePath: string): Promise<boolean> {
  if (filePath.toLowerCase().endsWith('.gz')) return true;
  const handle = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
  } finally {
    await handle.close();
  }
}

/** Growable column storage; trimmed to exact length at the end. */
function createColumnBuilder(initialCapacity: number) {
  let capacity = Math.max(16, initialCapacity);
  let length = 0;
  let cols = CANDLE_CSV_COLUMNS.map(() => new Float64Array(capacity));
  return {
    push(values: readonly number[]): void {
      if (length === capacity) {
        capacity *= 2;
        cols = cols.map((c) => {
          const next = new Float64Array(capacity);
          next.set(c);
          return next;
        });
      }
      for (let i = 0; i < values.length; i++) cols[i][length] = values[i];
      length++;
    },
    build(): CandleColumns {
      const [openTimeMs, open, high, low, close, volume] = cols.map((c) => c.slice(0, length));
      return { length, openTimeMs, open, high, low, close, volume };
    },
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Reads a candle CSV file and validates it against `timeframe`.
 *
 * Header: exactly the columns `timestamp_ms,open,high,low,close,volume`, in any order.
 * Rows: `timestamp_ms` is the candle open time in Unix epoch milliseconds, an integer
 * aligned to the timeframe and strictly ascending; prices are positive numbers with
 * `low <= min(open, close) <= max(open, close) <= high`; `volume >= 0`.
 * A jump of more than one timeframe is a gap and yields a warning
 * (`F.csv:12: gap of 3 candles before 2024-01-01T00:15:00.000Z`), not an error.
 *
 * Files ending in `.gz` or starting with the gzip magic bytes are decompressed on the fly.
 * Memory: one Float64Array per column (48 bytes per candle), never an object per row.
 *
 * @param filePath path as given; it is quoted verbatim in messages.
 * @throws CandleFileError on the first malformed header or row (non-number, negative
 *   volume, high below low, high/low not enclosing open and close, duplicate, unsorted
 *   or misaligned timestamp, wrong field count).
 * @throws the file system error when the file cannot be read.
 */
export async function parseCandleCsv(
  filePath: string,
  timeframe: Timeframe,
  opts: ParseCandleCsvOptions = {},
): Promise<ParsedCandleCsv> {
  const totalBytes = (await stat(filePath)).size;
  const gzip = await isGzip(filePath);
  const source = createReadStream(filePath);
  let bytesRead = 0;
  if (opts.onProgress) {
    const onProgress = opts.onProgress;
    source.on('data', (chunk) => {
      bytesRead += chunk.length;
      onProgress(bytesRead, totalBytes);
    });
  }
  const parser = parse({ info: true, skip_empty_lines: true, trim: true, bom: true });
  if (gzip) {
    const gunzip = createGunzip();
    gunzip.on('error', (err) => parser.destroy(new CandleFileError(filePath, 1, `not a valid gzip file: ${err.message}`, err)));
    source.on('error', (err) => parser.destroy(err));
    source.pipe(gunzip).pipe(parser);
  } else {
    source.on('error', (err) => parser.destroy(err));
    source.pipe(parser);
  }

  // Rough row-size guess so the columns rarely need to grow (≈55 bytes per CSV row, ×3 for gzip).
  return readCandleRows(filePath, timeframe, parser, Math.ceil((totalBytes * (gzip ? 3 : 1)) / 55), () => source.destroy());
}

/** Characters handed to the CSV parser at a time when parsing text in memory, so rows stream with backpressure. */
const TEXT_CHUNK_CHARS = 1 << 16;

/**
 * Parses candle CSV text already in memory (an upload) with the same rules, warnings and errors as
 * {@link parseCandleCsv}; `name` stands for the file in messages (`body:12: field "high" …`).
 * @throws CandleFileError on the first malformed header or row.
 */
export async function parseCandleCsvText(text: string, name: string, timeframe: Timeframe): Promise<ParsedCandleCsv> {
  const source = Readable.from(
    (function* chunks() {
      for (let i = 0; i < text.length; i += TEXT_CHUNK_CHARS) yield text.slice(i, i + TEXT_CHUNK_CHARS);
    })(),
  );
  const parser = parse({ info: true, skip_empty_lines: true, trim: true, bom: true });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  return readCandleRows(name, timeframe, parser, Math.ceil(text.length / 55), () => source.destroy());
}

/** Validates the rows coming out of `parser` (see {@link parseCandleCsv}); `abort` stops the source on the first error. */
async function readCandleRows(filePath: string, timeframe: Timeframe, parser: ReturnType<typeof parse>, expectedRows: number, abort: () => void): Promise<ParsedCandleCsv> {
  const intervalMs = TIMEFRAME_MS[timeframe];
  const builder = createColumnBuilder(expectedRows);
  const warnings: string[] = [];
  // Position in the row of each column, from the header.
  let order: number[] | null = null;
  let prevTime = Number.NaN;
  let prevLine = 0;
  const values = new Array<number>(CANDLE_CSV_COLUMNS.length);

  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      const line = info.lines;
      if (order === null) {
        order = readHeader(filePath, line, record);
        continue;
      }
      const fail = (column: CandleCsvColumn, raw: string, reason: string): never => {
        throw new CandleFileError(filePath, line, `field "${column}" was ${JSON.stringify(raw)}: ${reason}`);
      };
      for (let c = 0; c < CANDLE_CSV_COLUMNS.length; c++) {
        const raw = record[order[c]];
        const n = raw === '' ? Number.NaN : Number(raw);
        if (!Number.isFinite(n)) fail(CANDLE_CSV_COLUMNS[c], raw, 'not a number');
        values[c] = n;
      }
      const [time, o, h, l, cl, v] = values;
      const rawOf = (column: CandleCsvColumn) => record[order![CANDLE_CSV_COLUMNS.indexOf(column)]];
      if (!Number.isSafeInteger(time) || time < 0) fail('timestamp_ms', rawOf('timestamp_ms'), 'not a non-negative integer of milliseconds');
      if (time % intervalMs !== 0) fail('timestamp_ms', rawOf('timestamp_ms'), `not aligned to the ${timeframe} timeframe (${intervalMs} ms)`);
      for (const column of ['open', 'high', 'low', 'close'] as const) {
        const raw = rawOf(column);
        if (Number(raw) <= 0) fail(column, raw, 'not a positive price');
      }
      if (v < 0) fail('volume', rawOf('volume'), 'negative volume');
      if (h < l) fail('high', rawOf('high'), `below low ${rawOf('low')}`);
      if (h < Math.max(o, cl)) fail('high', rawOf('high'), `below max(open, close) ${Math.max(o, cl)}`);
      if (l > Math.min(o, cl)) fail('low', rawOf('low'), `above min(open, close) ${Math.min(o, cl)}`);
      if (prevLine > 0) {
        if (time === prevTime) fail('timestamp_ms', rawOf('timestamp_ms'), `duplicate of line ${prevLine}`);
        if (time < prevTime) fail('timestamp_ms', rawOf('timestamp_ms'), `not after line ${prevLine} (${new Date(prevTime).toISOString()})`);
        const missing = (time - prevTime) / intervalMs - 1;
        if (missing > 0) warnings.push(`${filePath}:${line}: gap of ${plural(missing, 'candle')} before ${new Date(time).toISOString()}`);
      }
      builder.push(values);
      prevTime = time;
      prevLine = line;
    }
  } catch (err) {
    abort();
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines ?? 0;
      throw new CandleFileError(filePath, line, err.message, err);
    }
    throw err;
  }
  if (order === null) throw new CandleFileError(filePath, 1, `missing header; expected ${CANDLE_CSV_COLUMNS.join(',')}`);
  return { columns: builder.build(), warnings };
}

/** Maps header names to positions; throws on a missing, duplicate or unexpected column. */
function readHeader(filePath: string, line: number, header: readonly string[]): number[] {
  const position = new Map<string, number>();
  header.forEach((name, i) => {
    const column = name;
    if (!(CANDLE_CSV_COLUMNS as readonly string[]).includes(column)) {
      throw new CandleFileError(filePath, line, `unexpected column ${JSON.stringify(name)}; expected ${CANDLE_CSV_COLUMNS.join(',')}`);
    }
    if (position.has(column)) throw new CandleFileError(filePath, line, `duplicate column ${JSON.stringify(name)}`);
    position.set(column, i);
  });
  return CANDLE_CSV_COLUMNS.map((column) => {
    const i = position.get(column);
    if (i === undefined) throw new CandleFileError(filePath, line, `missing column "${column}"; expected ${CANDLE_CSV_COLUMNS.join(',')}`);
    return i;
  });
}
