import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CandleFileError, parseCandleCsv, parseCandleCsvText } from './candle-csv';

const dir = mkdtempSync(path.join(tmpdir(), 'candle-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'timestamp_ms,open,high,low,close,volume';
// 2024-01-01T00:00:00.000Z; 5m = 300000 ms.
const T0 = 1704067200000;
const FIVE_MIN = 300_000;
const row = (i: number, ohlcv = '100,110,90,105,2.5') => `${T0 + i * FIVE_MIN},${ohlcv}`;

let fileCounter = 0;
function fixture(lines: string[], name = `f${++fileCounter}.csv`): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function errorOf(file: string): Promise<CandleFileError> {
  const err = await parseCandleCsv(file, '5m').then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CandleFileError);
  return err as CandleFileError;
}

describe('parseCandleCsv', () => {
  it('reads every row into typed columns with the exact values written', async () => {
    const file = fixture([HEADER, row(0, '42283.58,42320,42262.5,42305.99,155.25731'), row(1, '0.00162,0.00163,0.0016,0.00161,0')]);
    const { columns, warnings } = await parseCandleCsv(file, '5m');
    expect(warnings).toEqual([]);
    expect(columns.length).toBe(2);
    expect(Array.from(columns.openTimeMs)).toEqual([T0, T0 + FIVE_MIN]);
    expect(Array.from(columns.open)).toEqual([42283.58, 0.00162]);
    expect(Array.from(columns.high)).toEqual([42320, 0.00163]);
    expect(Array.from(columns.low)).toEqual([42262.5, 0.0016]);
    expect(Array.from(columns.close)).toEqual([42305.99, 0.00161]);
    expect(Array.from(columns.volume)).toEqual([155.25731, 0]);
  });

  it('accepts the columns in any order', async () => {
    const file = fixture(['volume,close,low,high,open,timestamp_ms', `7,105,90,110,100,${T0}`]);
    const { columns } = await parseCandleCsv(file, '5m');
    expect([columns.openTimeMs[0], columns.open[0], columns.high[0], columns.low[0], columns.close[0], columns.volume[0]]).toEqual([
      T0, 100, 110, 90, 105, 7,
    ]);
  });

  it('reads a gzip file named .gz and a gzip file detected by its magic bytes', async () => {
    const text = [HEADER, row(0), row(1), row(2)].join('\n') + '\n';
    const named = path.join(dir, 'named.csv.gz');
    const sniffed = path.join(dir, 'sniffed.csv');
    writeFileSync(named, gzipSync(text));
    writeFileSync(sniffed, gzipSync(text));
    for (const file of [named, sniffed]) {
      const { columns } = await parseCandleCsv(file, '5m');
      expect(Array.from(columns.openTimeMs)).toEqual([T0, T0 + FIVE_MIN, T0 + 2 * FIVE_MIN]);
    }
  });

  it('warns about a gap with the number of missing candles and the time after it', async () => {
    // Lines: 1 header, 2 = 00:00, 3 = 00:05, 4 = 00:25 (00:10, 00:15, 00:20 missing), 5 = 00:35 (00:30 missing).
    const file = fixture([HEADER, row(0), row(1), row(5), row(7)], 'G.csv');
    const { columns, warnings } = await parseCandleCsv(file, '5m');
    expect(columns.length).toBe(4);
    expect(warnings).toEqual([
      `${file}:4: gap of 3 candles before 2024-01-01T00:25:00.000Z`,
      `${file}:5: gap of 1 candle before 2024-01-01T00:35:00.000Z`,
    ]);
  });

  it('reports progress up to the file size', async () => {
    const file = fixture([HEADER, row(0), row(1)]);
    const seen: [number, number][] = [];
    await parseCandleCsv(file, '5m', { onProgress: (read, total) => seen.push([read, total]) });
    const size = (HEADER + '\n' + row(0) + '\n' + row(1) + '\n').length;
    expect(seen.at(-1)).toEqual([size, size]);
  });

  it('returns empty columns for a header-only file', async () => {
    const { columns } = await parseCandleCsv(fixture([HEADER]), '5m');
    expect(columns.length).toBe(0);
  });

  describe('rejects', () => {
    const cases: [string, string[], string][] = [
      ['a non-number', [HEADER, row(0), row(1, '100,abc,90,105,1')], ':3: field "high" was "abc": not a number'],
      ['an empty field', [HEADER, row(0, '100,110,,105,1')], ':2: field "low" was "": not a number'],
      ['a negative volume', [HEADER, row(0, '100,110,90,105,-0.5')], ':2: field "volume" was "-0.5": negative volume'],
      ['a non-positive price', [HEADER, row(0, '0,110,0,105,1')], ':2: field "open" was "0": not a positive price'],
      ['high below low', [HEADER, row(0, '100,80,90,85,1')], ':2: field "high" was "80": below low 90'],
      ['high below max(open, close)', [HEADER, row(0, '100,104,90,105,1')], ':2: field "high" was "104": below max(open, close) 105'],
      ['low above min(open, close)', [HEADER, row(0, '100,110,101,105,1')], ':2: field "low" was "101": above min(open, close) 100'],
      [
        'a duplicate timestamp',
        [HEADER, row(0), row(1), row(1)],
        `:4: field "timestamp_ms" was "${T0 + FIVE_MIN}": duplicate of line 3`,
      ],
      [
        'an unsorted timestamp',
        [HEADER, row(0), row(2), row(1)],
        `:4: field "timestamp_ms" was "${T0 + FIVE_MIN}": not after line 3 (2024-01-01T00:10:00.000Z)`,
      ],
      [
        'a timestamp not aligned to the timeframe',
        [HEADER, row(0), `${T0 + 60_000},100,110,90,105,1`],
        `:3: field "timestamp_ms" was "${T0 + 60_000}": not aligned to the 5m timeframe (300000 ms)`,
      ],
      [
        'a fractional timestamp',
        [HEADER, `${T0}.5,100,110,90,105,1`],
        `:2: field "timestamp_ms" was "${T0}.5": not a non-negative integer of milliseconds`,
      ],
      ['a missing column', ['timestamp_ms,open,high,low,close', `${T0},100,110,90,105`], ':1: missing column "volume"; expected timestamp_ms,open,high,low,close,volume'],
      ['an unexpected column', [HEADER + ',trades', row(0) + ',3'], ':1: unexpected column "trades"; expected timestamp_ms,open,high,low,close,volume'],
      ['a duplicate column', ['timestamp_ms,open,high,low,close,open', `${T0},100,110,90,105,100`], ':1: duplicate column "open"'],
    ];
    it.each(cases)('%s with the file, line and value in the message', async (_name, lines, suffix) => {
      const file = fixture(lines, `F${++fileCounter}.csv`);
      const err = await errorOf(file);
      expect(err.message).toBe(file + suffix);
      expect(err.code).toBe('candle_file');
      expect(err.line).toBe(Number(suffix.split(':')[1]));
    });

    it('a row with too few fields, naming its line', async () => {
      const file = fixture([HEADER, row(0), `${T0 + FIVE_MIN},100,110,90`]);
      const err = await errorOf(file);
      expect(err.line).toBe(3);
      expect(err.message.startsWith(`${file}:3: `)).toBe(true);
    });

    it('an empty file as a missing header', async () => {
      const file = fixture([]);
      const err = await errorOf(file);
      expect(err.message).toBe(`${file}:1: missing header; expected timestamp_ms,open,high,low,close,volume`);
    });

    it('a corrupt gzip file', async () => {
      const file = path.join(dir, 'broken.csv.gz');
      writeFileSync(file, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]));
      const err = await errorOf(file);
      expect(err.message.startsWith(`${file}:1: not a valid gzip file: `)).toBe(true);
    });
  });

  it('quotes the file name exactly as given, relative paths included', async () => {
    fixture([HEADER, row(0, '100,abc,90,105,1')], 'rel.csv');
    const relative = path.relative(process.cwd(), path.join(dir, 'rel.csv'));
    const err = await errorOf(relative);
    expect(err.message).toBe(`${relative}:2: field "high" was "abc": not a number`);
  });
});

describe('parseCandleCsvText', () => {
  it('parses text in memory exactly as the same file, across chunk boundaries', async () => {
    // ~2 000 rows ≈ 70 KB, more than one 64 KiB chunk, with a gap after row 1500.
    const lines = [HEADER, ...Array.from({ length: 2_000 }, (_, i) => row(i < 1_500 ? i : i + 2, `${100 + i},${111 + i},${90 + i},${105 + i},${i / 4}`))];
    const file = fixture(lines, 'same.csv');
    const fromFile = await parseCandleCsv(file, '5m');
    const fromText = await parseCandleCsvText(lines.join('\n'), file, '5m');
    expect(fromText.columns.length).toBe(2_000);
    expect(fromText.warnings).toEqual([`${file}:1502: gap of 2 candles before ${new Date(T0 + 1_502 * FIVE_MIN).toISOString()}`]);
    expect(fromText).toEqual(fromFile);
  });

  it('names the line and field of the first bad row after the name given', async () => {
    const err = await parseCandleCsvText([HEADER, row(0), row(1, '100,abc,90,105,1')].join('\n'), 'body', '5m').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CandleFileError);
    expect(err).toMatchObject({ message: 'body:3: field "high" was "abc": not a number', line: 3, detail: 'field "high" was "abc": not a number' });
  });
});
