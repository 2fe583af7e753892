import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candleColumnsFromRows, type MarketKey } from '../../engine/core/types';
import { runStrategyCheck } from '../../engine/insight/strategy-check';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import { CHECK_EXAMPLES } from '../../engine/testing/check-examples';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { CHECK_FAILED_EXIT_CODE, runStrategiesCommand, type StrategiesCommandServices } from './strategies';

const T0 = Date.UTC(2024, 0, 1);
const H1 = 3_600_000;
const market: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const flags = ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h'];

let dir: string;
const candles = createInMemoryCandleRepository();
const catalog = createBuiltInCatalog();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aethelred-check-'));
  // Closes 100 on rows 0..29 and 110 from row 30 (60 hourly candles from 2024-01-01 00:00 UTC).
  await candles.insertCandles(
    market,
    candleColumnsFromRows(
      Array.from({ length: 60 }, (_, i) => {
        const close = i < 30 ? 100 : 110;
        return { openTimeMs: T0 + i * H1, open: close, high: close + 1, low: close - 1, close, volume: 1 };
      }),
    ),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { out: string[]; err: string[]; services: StrategiesCommandServices } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    services: {
      checkStrategy: (request, onProgress) => runStrategyCheck(request, { candles, createStrategy: (name, params) => CHECK_EXAMPLES[name] ?? catalog.create(name, params) }, onProgress),
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
    },
  };
}

describe('strategies check', () => {
  it('exits 3 and prints the leaky candle time when the check finds look-ahead', async () => {
    const { out, err, services } = capture();
    const code = await runStrategiesCommand(['check', '--strategy', 'leaky-next-close', ...flags], services);
    expect(code).toBe(CHECK_FAILED_EXIT_CODE); // 3

    expect(err).toEqual([]);
    const text = out.join('');
    // Prices without a venue tick size show six significant digits (app/_components/format.ts): 95.0000.
    expect(text.split('\n')).toEqual([
      'strategy check: leaky-next-close on binance BTC/USDT 1h, 60 candles 2024-01-01 00:00 UTC .. 2024-01-03 11:00 UTC, warm-up 2, startup history 2',
      'look-ahead: FAILED at 1 of 58 candles: the signal changes when later candles are removed',
      '  2024-01-02 05:00 UTC  whole range: long 1.00, stop 95.0000, exit none  |  cut after it: flat 0.00, stop —, exit none',
      // Three history starts at floor(j * 58 / 4) = 14, 29, 43 (rows 1..57 leave room for the warm-up of 2).
      'recursion: passed (sma(3); histories from rows 14, 29, 43; tolerance 0.10%)',
      'result: FAILED (1 look-ahead, 0 recursion findings)',
      '',
    ]);
  });

  it('prints each recursion finding with its history start, first differing candle and size', async () => {
    const { out, services } = capture();
    expect(await runStrategiesCommand(['check', '--strategy', 'short-warmup-ema', ...flags], services)).toBe(3);
    // History starts 12, 25, 37 (floor(j * 50 / 4)); only the one at row 37 (2024-01-02 13:00) differs:
    // its EMA(10) is seeded at 110 while the full one is 110 - 10 (9/11)^8. From row 47 (2024-01-02 23:00) on:
    // full 110 - 10 (9/11)^18 = 110 - 0.27015 = 109.730, difference 0.27015 / 109.730 = 0.246 %; rows 47..51 of 47..59.
    expect(out.join('').split('\n')[3]).toBe(
      '  ema(10) with history from 2024-01-02 13:00 UTC: first differs at 2024-01-02 23:00 UTC: 109.730 (full history) vs 110.000 (0.246%); largest 0.246% at 2024-01-02 23:00 UTC; 5 of 13 candles',
    );
  });

  it('checks with the startup history --startup-candles gives instead of the strategy\'s own', async () => {
    const { out, services } = capture();
    // short-warmup-ema declares 10; with 46 (what EMA(10) needs) the starts are floor(j * 14 / 4) = 3, 7, 10
    // (rows 1..60 - 1 - 46 = 13), all on the flat 100 before the jump at row 30: their EMA(10) equals the full one.
    expect(await runStrategiesCommand(['check', '--strategy', 'short-warmup-ema', ...flags, '--startup-candles', '46'], services)).toBe(0);
    const lines = out.join('').split('\n');
    expect(lines[0]).toMatch(/, warm-up 10, startup history 46$/);
    expect(lines[2]).toBe('recursion: passed (ema(10); histories from rows 3, 7, 10; tolerance 0.10%)');
    const bad = capture();
    expect(await runStrategiesCommand(['check', '--strategy', 'short-warmup-ema', ...flags, '--startup-candles', '1.5'], bad.services)).toBe(2);
    expect(bad.err.join('')).toMatch(/^strategies: --startup-candles "1.5" must be a whole number of candles >= 0/);
  });

  it('exits 0 for a strategy that passes, and prints JSON with --json', async () => {
    const { out, services } = capture();
    const code = await runStrategiesCommand(['check', '--strategy', 'close-above-sma', ...flags, '--from', '2024-01-01', '--to', '2024-01-03', '--json'], services);
    expect(code).toBe(0);
    const report = JSON.parse(out.join(''));
    // 2024-01-01 00:00 .. 2024-01-02 23:00: 48 candles.
    expect(report).toMatchObject({ strategy: 'close-above-sma', market, candles: 48, passed: true, lookAhead: { findingCount: 0, findings: [] }, recursion: { findings: [] } });
  });

  it('reads params from a JSON file and exits 2 naming the bad param', async () => {
    const file = path.join(dir, 'params.json');
    await writeFile(file, JSON.stringify({ period: 0 }), 'utf8');
    const { out, err, services } = capture();
    const code = await runStrategiesCommand(['check', '--strategy', 'ema-trend', '--params', file, ...flags], services);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('')).toMatch(/^strategies check: field "params\.period" was 0: /);
  });

  it('exits 2 for an unknown strategy, a missing flag or a bad tolerance', async () => {
    const unknown = capture();
    expect(await runStrategiesCommand(['check', '--strategy', 'nope', ...flags], unknown.services)).toBe(2);
    expect(unknown.err.join('')).toMatch(/^strategies check: field "strategy" was "nope": strategy "nope" is not known/);
    const missing = capture();
    expect(await runStrategiesCommand(['check', '--strategy', 'ema-trend'], missing.services)).toBe(2);
    expect(missing.err.join('')).toMatch(/^strategies: missing --exchange/);
    const tolerance = capture();
    expect(await runStrategiesCommand(['check', '--strategy', 'ema-trend', ...flags, '--tolerance', '2'], tolerance.services)).toBe(2);
    expect(tolerance.err.join('')).toMatch(/^strategies: --tolerance "2" must be a number above 0 and below 1/);
    const sub = capture();
    expect(await runStrategiesCommand(['list'], sub.services)).toBe(2);
    expect(sub.err.join('')).toMatch(/^strategies: unknown subcommand "list"; expected "check"/);
  });
});
