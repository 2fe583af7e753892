/**
 * Candle import end to end: CSV file -> engine importCandles / CLI command -> PGlite.
 * The real-data part reads /work/shared/data (override with AETHELRED_SHARED_DATA).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import type { CandleRepository } from '../../engine/ports/candles';
import type { MarketKey } from '../../engine/core/types';
import { CandleFileError } from '../../engine/market/candle-csv';
import { importCandles, type ImportCandlesRequest } from '../../engine/market/import-candles';
import { runImportCandlesCommand } from '../../scripts/commands/import-candles';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const sharedData = process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const btc5m = path.join(sharedData, 'binance_BTC-USDT_5m.csv');
const hasData = existsSync(btc5m);

const HEADER = 'timestamp_ms,open,high,low,close,volume';
const T0 = 1704067200000; // 2024-01-01T00:00:00.000Z

let dir: string;
let database: Database;
let candles: CandleRepository;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'aethelred-import-'));
  database = await createDatabase({ dataDir: dir });
  await migrateDatabase(database);
  candles = createCandleRepository(database.db);
});

afterAll(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

function fixture(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function captureOutput() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    services: {
      importCandles: (request: ImportCandlesRequest, onProgress?: (read: number, total: number) => void) =>
        importCandles(request, { candles, onProgress }),
      stdout: (s: string) => void (out.stdout += s),
      stderr: (s: string) => void (out.stderr += s),
    },
  };
}

if (hasData) {
  describe('importing the shared BTC/USDT 5m file', () => {
    const key: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' };

    it('stores 71769 candles and a second import adds none', async () => {
      const first = await importCandles({ file: btc5m, key }, { candles });
      expect(first).toEqual({ parsed: 71769, inserted: 71769, warnings: [] });
      expect(await candles.countCandles(key)).toBe(71769);
      const second = await importCandles({ file: btc5m, key }, { candles });
      expect(second).toEqual({ parsed: 71769, inserted: 0, warnings: [] });
      expect(await candles.countCandles(key)).toBe(71769);
    });

    it('stores candles whose first day aggregates to the README 1d spot check', async () => {
      // README: BTC/USDT 1d for 2024-01-01 is O 42283.58 H 44184.1 L 42180.77 C 44179.55 V 27174.29903.
      const day = await candles.loadCandles(key, T0, T0 + 86_400_000);
      expect(day.length).toBe(288);
      expect(day.open[0]).toBe(42283.58);
      expect(Math.max(...day.high)).toBe(44184.1);
      expect(Math.min(...day.low)).toBe(42180.77);
      expect(day.close[287]).toBe(44179.55);
      expect(day.volume.reduce((a, b) => a + b, 0)).toBeCloseTo(27174.29903, 5);
    });

    it('reports the stream in the summary with its first and last open time', async () => {
      const summary = await candles.summarize();
      expect(summary).toContainEqual({ ...key, count: 71769, firstOpenTimeMs: 1704067200000, lastOpenTimeMs: 1725597600000 });
    });
  });
} else {
  describe('importing the shared BTC/USDT 5m file', () => {
    it('needs the shared data directory', () => {
      console.log(`shared data not found at ${sharedData}: real-data suite not run`);
    });
  });
}

describe('importing a malformed file', () => {
  const key: MarketKey = { exchange: 'fixture', symbol: 'BAD/USDT', timeframe: '5m' };

  it('throws the line of the first bad row and writes nothing, not even the valid rows before it', async () => {
    const file = fixture('bad.csv', [
      HEADER,
      `${T0},100,110,90,105,1`,
      `${T0 + 300_000},100,110,90,105,1`,
      `${T0 + 600_000},100,abc,90,105,1`,
    ]);
    const err = await importCandles({ file, key }, { candles }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CandleFileError);
    expect((err as Error).message).toBe(`${file}:4: field "high" was "abc": not a number`);
    expect(await candles.countCandles(key)).toBe(0);
  });
});

describe('import-candles command', () => {
  const good = () =>
    fixture('good.csv', [HEADER, `${T0},1,2,0.5,1.5,10`, `${T0 + 300_000},1.5,2,1,1.8,3`, `${T0 + 1_200_000},1.8,1.9,1.7,1.75,4`]);

  it('imports a file and prints new and parsed counts with gap warnings', async () => {
    const { out, services } = captureOutput();
    const file = good();
    const args = ['--file', file, '--exchange', 'cli', '--symbol', 'ABC/USDT', '--timeframe', '5m'];
    expect(await runImportCandlesCommand(args, services)).toBe(0);
    expect(out.stdout).toBe('imported 3 new candles (3 parsed) into cli ABC/USDT 5m\n');
    expect(out.stderr).toBe(`warning: ${file}:4: gap of 2 candles before 2024-01-01T00:20:00.000Z\n`);
    expect(await runImportCandlesCommand(args, services)).toBe(0);
    expect(out.stdout).toBe(
      'imported 3 new candles (3 parsed) into cli ABC/USDT 5m\nimported 0 new candles (3 parsed) into cli ABC/USDT 5m\n',
    );
  });

  it('exits 2 naming an unknown timeframe', async () => {
    const { out, services } = captureOutput();
    const code = await runImportCandlesCommand(['--file', good(), '--exchange', 'cli', '--symbol', 'ABC/USDT', '--timeframe', '7m'], services);
    expect(code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(
      'import-candles: --timeframe "7m" is not supported; expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 1w',
    );
  });

  it('exits 2 naming a symbol nothing would trade (lower case, a settle suffix) and stores nothing', async () => {
    for (const symbol of ['abc/usdt', 'ABCUSDT', 'ABC/USDT:USDT']) {
      const { out, services } = captureOutput();
      const code = await runImportCandlesCommand(['--file', good(), '--exchange', 'cli', '--symbol', symbol, '--timeframe', '5m'], services);
      expect(code, symbol).toBe(2);
      expect(out.stderr.split('\n')[0]).toBe(`import-candles: --symbol "${symbol}" is not a market symbol like BTC/USDT (upper-case BASE/QUOTE, no settle suffix)`);
    }
  });

  it('exits 2 naming a missing file', async () => {
    const { out, services } = captureOutput();
    const missing = path.join(dir, 'nope.csv');
    const code = await runImportCandlesCommand(['--file', missing, '--exchange', 'cli', '--symbol', 'ABC/USDT', '--timeframe', '5m'], services);
    expect(code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(`import-candles: --file "${missing}" does not exist or cannot be read`);
  });

  it('exits 2 naming a missing flag or an unknown one', async () => {
    const missingFlag = captureOutput();
    expect(await runImportCandlesCommand(['--file', good(), '--exchange', 'cli', '--timeframe', '5m'], missingFlag.services)).toBe(2);
    expect(missingFlag.out.stderr.split('\n')[0]).toBe('import-candles: missing --symbol');
    const unknownFlag = captureOutput();
    expect(await runImportCandlesCommand(['--fiel', 'x'], unknownFlag.services)).toBe(2);
    expect(unknownFlag.out.stderr).toContain("'--fiel'");
  });

  it('exits 2 with the file error and stores nothing for a malformed file', async () => {
    const { out, services } = captureOutput();
    const file = fixture('unsorted.csv', [HEADER, `${T0 + 300_000},1,2,0.5,1.5,10`, `${T0},1,2,0.5,1.5,10`]);
    const code = await runImportCandlesCommand(['--file', file, '--exchange', 'cli-bad', '--symbol', 'ABC/USDT', '--timeframe', '5m'], services);
    expect(code).toBe(2);
    expect(out.stderr).toBe(`import-candles: ${file}:3: field "timestamp_ms" was "${T0}": not after line 2 (2024-01-01T00:05:00.000Z)\n`);
    expect(await candles.countCandles({ exchange: 'cli-bad', symbol: 'ABC/USDT', timeframe: '5m' })).toBe(0);
  });
});
