/**
 * Candle download end to end: ccxt (unmodified) on the Binance replay server's klines -> downloadCandles
 * -> an in-memory CandleRepository, and the `download-candles` CLI command, including the offline case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../engine/core/clock';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { downloadCandles, type CandleSource, type DownloadCandlesRequest } from '../../engine/market/download-candles';
import { createPublicCandleSource, runDownloadCandlesCommand } from '../../scripts/commands/download-candles';
import { startBinanceReplayServer, type BinanceReplayServer } from '../support/binance-replay-server';

const NOW = Date.UTC(2024, 0, 2);
const DAY_START = Date.UTC(2024, 0, 1);
const clock = createManualClock(NOW);
let server: BinanceReplayServer;

beforeAll(async () => {
  server = await startBinanceReplayServer({ nowMs: NOW });
});
afterAll(async () => {
  await server.close();
});

function cli(candles = createInMemoryCandleRepository(), urls: Record<string, string> = server.urls) {
  const out = { stdout: '', stderr: '' };
  const services = {
    downloadCandles: (request: DownloadCandlesRequest, source: CandleSource & { rateLimitMs?: number }, onProgress?: (d: number, t: number) => void) =>
      downloadCandles(request, { source, candles, clock, onProgress, rateLimitMs: 0 }),
    createSource: (exchangeId: 'binance' | 'binanceusdm') => createPublicCandleSource(exchangeId, { urls }),
    nowMs: () => NOW,
    stdout: (s: string) => void (out.stdout += s),
    stderr: (s: string) => void (out.stderr += s),
  };
  return { out, services, candles };
}

describe('downloadCandles through ccxt on the replay server', () => {
  it('downloads a day of 1m klines in two pages and resumes with nothing left to fetch', async () => {
    const candles = createInMemoryCandleRepository();
    const source = createPublicCandleSource('binance', { urls: server.urls });
    const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' as const };
    const before = server.hits('/api/v3/klines');
    const first = await downloadCandles({ key, sinceMs: DAY_START, untilMs: NOW }, { source, candles, clock });
    expect(first).toEqual({ fromMs: DAY_START, pages: 2, fetched: 1_440, inserted: 1_440, lastOpenTimeMs: NOW - 60_000 });
    const starts = server.requests.filter((r) => r.path === '/api/v3/klines').slice(before).map((r) => [r.params.startTime, r.params.limit]);
    expect(starts).toEqual([[String(DAY_START), '1000'], [String(DAY_START + 1_000 * 60_000), '1000']]);
    const again = await downloadCandles({ key, sinceMs: DAY_START, untilMs: NOW }, { source, candles, clock });
    expect(again).toEqual({ fromMs: NOW, pages: 0, fetched: 0, inserted: 0, lastOpenTimeMs: NOW - 60_000 });
    await source.close();
  });
});

describe('download-candles command', () => {
  it('downloads into storage and reports what it stored', async () => {
    const { out, services, candles } = cli();
    const code = await runDownloadCandlesCommand(['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', '2024-01-01'], services);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    // 2024-01-01 00:00 .. 23:55 UTC: 288 closed 5m candles
    expect(out.stdout).toBe('downloaded 288 candles (288 new) in 1 page into binance BTC/USDT 5m; started at 2024-01-01T00:00:00.000Z, last candle 2024-01-01T23:55:00.000Z\n');
    expect(await candles.countCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' })).toBe(288);
  });

  it('fails at once with a clear message and exit code 1 when the venue cannot be reached', async () => {
    const dead = Object.fromEntries(Object.keys(server.urls).map((k) => [k, 'http://127.0.0.1:1/api/v3']));
    const { out, services } = cli(createInMemoryCandleRepository(), dead);
    const started = performance.now();
    const code = await runDownloadCandlesCommand(['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', '2024-01-01'], services);
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/^download-candles: cannot reach binance \(.*ECONNREFUSED.*\): check the network or use import-candles with a CSV file\n$/);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses bad flags with exit code 2 naming the flag and value', async () => {
    const { out, services } = cli();
    expect(await runDownloadCandlesCommand(['--exchange', 'kraken', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', '2024-01-01'], services)).toBe(2);
    expect(out.stderr).toContain('--exchange "kraken" is not supported');
    expect(await runDownloadCandlesCommand(['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', '01/01/2024'], services)).toBe(2);
    expect(out.stderr).toContain('--since "01/01/2024" is not a date');
    expect(await runDownloadCandlesCommand(['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', '2024-01-02', '--until', '2024-01-01'], services)).toBe(2);
    expect(out.stderr).toContain('--until (2024-01-01T00:00:00.000Z) must be after --since (2024-01-02T00:00:00.000Z)');
  });
});
