import { describe, expect, it } from 'vitest';
import { createInMemoryCandleRepository, toColumns } from '../testing/in-memory-repositories';
import { loadChartIndicators } from './chart-indicators';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { setFlat } from '../strategies/strategy-adapter';
import { defineStrategy, z } from '../strategies/strategy-api';
import { sourceHashOf } from '../strategies/strategy-catalog';

const BUILT_INS = createBuiltInCatalog();

const TF = 60_000;
const KEY = { exchange: 'x', symbol: 'A/B', timeframe: '1m' } as const;
/** Row i: close i + 1, high i + 2, low i (a hand-checkable ramp, not market data). */
async function ramp(count: number) {
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(KEY, toColumns(Array.from({ length: count }, (_, i) => ({ openTimeMs: i * TF, open: i + 1, high: i + 2, low: i, close: i + 1, volume: 1 }))));
  return candles;
}

describe('chart indicators', () => {
  it("draws the Donchian channel of the previous `period` candles with the strategy's resolved period", async () => {
    const out = await loadChartIndicators(await ramp(100), { key: KEY, fromMs: 50 * TF, toMs: 53 * TF, strategies: [{ name: 'donchian-breakout', params: { period: 10 } }] }, BUILT_INS);
    expect(out.lines.map((l) => l.name)).toEqual(['Donchian upper(10)', 'Donchian lower(10)']);
    // Row 50: rows 40..49 have highs 42..51 and lows 40..49.
    expect(out.lines[0].points).toEqual([
      [50 * TF, 51],
      [51 * TF, 52],
      [52 * TF, 53],
    ]);
    expect(out.lines[1].points[0]).toEqual([50 * TF, 40]);
  });

  it('fills defaults (EMA(50) for ema-trend) and skips a window wider than the raw-candle budget', async () => {
    const candles = await ramp(10);
    const narrow = await loadChartIndicators(candles, { key: KEY, fromMs: 0, toMs: 10 * TF, strategies: [{ name: 'ema-trend' }] }, BUILT_INS);
    expect(narrow.lines.map((l) => [l.name, l.points.length])).toEqual([['EMA(50)', 0]]);
    const wide = await loadChartIndicators(candles, { key: KEY, fromMs: 0, toMs: 1_000_000 * TF, strategies: [{ name: 'ema-trend' }] }, BUILT_INS);
    expect(wide).toEqual({ lines: [], levels: [], skipped: 'window-too-wide' });
  });

  it('draws the SMA and RSI columns a file strategy declares, with its resolved period', async () => {
    const catalog = createBuiltInCatalog();
    const definition = defineStrategy({
      name: 'sma-rsi',
      version: '1',
      summary: '',
      params: z.object({ period: z.number().int().default(3) }),
      indicators: (p) => ({ sma: [p.period], rsi: [14], atr: [5] }),
      warmup: () => 14,
      evaluate: (_f, _i, out) => setFlat(out, 'never'),
    });
    catalog.replaceSource('file', [{ name: 'sma-rsi', source: 'file', version: '1', sourceHash: sourceHashOf('x'), summary: '', path: '/s/sma-rsi.ts', definition }]);
    const out = await loadChartIndicators(await ramp(40), { key: KEY, fromMs: 30 * TF, toMs: 32 * TF, strategies: [{ name: 'sma-rsi', params: { period: 4 } }] }, catalog);
    expect(out.lines.map((l) => [l.name, l.pane])).toEqual([
      ['SMA(4)', 'price'],
      ['RSI(14)', 'oscillator'],
    ]);
    // SMA(4) at row 30 = mean of the closes of rows 27..30 (close = row + 1) = (28+29+30+31)/4 = 29.5; row 31: 30.5. The ramp only rises: RSI 100.
    expect(out.lines[0].points).toEqual([
      [30 * TF, 29.5],
      [31 * TF, 30.5],
    ]);
    expect(out.lines[1].points).toEqual([
      [30 * TF, 100],
      [31 * TF, 100],
    ]);
    expect(out.levels).toEqual([]);
  });

  it('throws a ValidationError naming a bad parameter', async () => {
    await expect(loadChartIndicators(await ramp(5), { key: KEY, fromMs: 0, toMs: 5 * TF, strategies: [{ name: 'ma-crossover', params: { fastPeriod: 50, slowPeriod: 20 } }] }, BUILT_INS)).rejects.toThrow(/fastPeriod/);
  });
});
