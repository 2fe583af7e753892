import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { candleColumnsFromRows, type CandleColumns } from '../core/types';
import { COMMON_REASONS, setFlat, type StrategyAdapter } from '../strategies/strategy-adapter';
import { leakyNextClose, shortWarmupEma } from '../testing/check-examples';
import { createAdapterFromDefinition } from '../strategies/strategy-catalog';
import { defineStrategy, z } from '../strategies/strategy-api';
import { checkStrategy, convergenceWarmup } from './lookahead-check';

const T0 = Date.UTC(2024, 0, 1);
const H1 = 3_600_000;

/** Hourly candles from closes: open = close, high = close + 1, low = close - 1, volume 1. */
function candlesOf(closes: readonly number[]): CandleColumns {
  return candleColumnsFromRows(closes.map((close, i) => ({ openTimeMs: T0 + i * H1, open: close, high: close + 1, low: close - 1, close, volume: 1 })));
}

/** 100 for rows 0..jumpRow-1, 110 from jumpRow on. */
function stepCloses(count: number, jumpRow: number): number[] {
  return Array.from({ length: count }, (_, i) => (i < jumpRow ? 100 : 110));
}

describe('look-ahead check', () => {
  it('flags the leaky example at the candle before the jump, and only there', () => {
    // Closes 100 on rows 0..29 and 110 from row 30: with every candle in the frame, row 29 sees
    // close[30] = 110 > 100 and goes long; cut after row 29, close[30] is not there (reads 0) and it
    // stays flat. Every other row sees an equal next close (or none after the last row) in both frames.
    const report = checkStrategy(leakyNextClose, candlesOf(stepCloses(60, 30)));
    expect(report.passed).toBe(false);
    expect(report.lookAhead.rowsChecked).toBe(58); // rows 2..59
    expect(report.lookAhead.findingCount).toBe(1);
    expect(report.lookAhead.findings).toEqual([
      {
        row: 29,
        timeMs: T0 + 29 * H1, // 2024-01-02 05:00 UTC
        full: { side: 1, strength: 1, stopHint: 95, exit: 0, reason: 'leaky: next close is higher' },
        truncated: { side: 0, strength: 0, stopHint: null, exit: 0, reason: COMMON_REASONS.NoSignal },
      },
    ]);
    expect(report.recursion.findings).toEqual([]); // SMA(3) is not recursive
    expect(report.recursion.indicators).toEqual(['sma(3)']);
  });

  it('flags the leaky example at every rising candle of a staircase and caps the listed findings', () => {
    // Closes rise by 1 on every even row (100, 101, 101, 102, 102, ...): row i has a higher next close when i is even.
    const closes = Array.from({ length: 40 }, (_, i) => 100 + Math.ceil(i / 2));
    const report = checkStrategy(leakyNextClose, candlesOf(closes), { maxFindings: 3 });
    // Rows 2..38 even: 2, 4, ..., 38 = 19 rows (row 39 is the last: no next close in either frame).
    expect(report.lookAhead.findingCount).toBe(19);
    expect(report.lookAhead.findings.map((f) => f.timeMs)).toEqual([T0 + 2 * H1, T0 + 4 * H1, T0 + 6 * H1]);
  });

  it('passes a strategy that reads only rows up to its own', () => {
    const report = checkStrategy(shortWarmupEma, candlesOf(stepCloses(60, 30)), { recursionStarts: [40] });
    expect(report.lookAhead.findingCount).toBe(0);
    expect(report.lookAhead.findings).toEqual([]);
  });

  it('reports progress in candle rows over every pass', () => {
    const calls: [number, number][] = [];
    checkStrategy(leakyNextClose, candlesOf(stepCloses(60, 30)), { recursionStarts: [10, 40], onProgress: (done, total) => calls.push([done, total]) });
    // total = full pass 60 + truncated pass 60 + (60 - 10) + (60 - 40) = 190.
    expect(calls).toEqual([
      [60, 190],
      [120, 190],
      [170, 190],
      [190, 190],
    ]);
  });
});

describe('recursion check', () => {
  it('flags an EMA whose declared warm-up is too short, with its first differing candle', () => {
    // Closes 100 on rows 0..39, 110 from row 40; history shortened to start at row 40.
    // Full history: EMA = 100 up to row 39, then EMA[r] = 110 - 10 (1-k)^(r-39), k = 2/11.
    // Short history: seeded with close[40] = 110, so 110 from then on.
    // Compared from row 40 + startup 10 = 50: difference d(r) = 10 (9/11)^(r-39), relative to 110 - d.
    // Row 50: d = 10 (9/11)^11 = 1.0999..., relative 1.0999 / 108.90 = 0.0101 > 0.001.
    // Rows beyond 0.1 %: d / (110 - d) > 0.001 <=> d > 0.10989 <=> (9/11)^m > 0.010989 <=> m < 22.48, so m = r - 39 <= 22: rows 50..61 = 12.
    const report = checkStrategy(shortWarmupEma, candlesOf(stepCloses(80, 40)), { recursionStarts: [40] });
    expect(report.passed).toBe(false);
    expect(report.recursion.historyStartRows).toEqual([40]);
    expect(report.recursion.findings).toHaveLength(1);
    const finding = report.recursion.findings[0];
    const d50 = 10 * (9 / 11) ** 11;
    expect(finding).toMatchObject({
      indicator: 'ema(10)',
      kind: 'ema',
      period: 10,
      historyStartRow: 40,
      historyStartMs: T0 + 40 * H1,
      firstRow: 50,
      firstTimeMs: T0 + 50 * H1, // 2024-01-03 02:00 UTC
      maxDifferenceTimeMs: T0 + 50 * H1,
      differingRows: 12,
      comparedRows: 30, // rows 50..79
    });
    expect(finding.fullValue).toBeCloseTo(110 - d50, 10);
    expect(finding.shortValue).toBeCloseTo(110, 10);
    expect(finding.difference).toBeCloseTo(d50 / (110 - d50), 10);
    expect(finding.maxDifference).toBeCloseTo(d50 / (110 - d50), 10);
  });

  it('passes the same EMA once its startup history covers the seed (convergenceWarmup)', () => {
    // EMA(10): ceil(ln(1e-4) / ln(9/11)) = ceil(9.2103 / 0.20067) = ceil(45.90) = 46.
    const startupCandles = convergenceWarmup(shortWarmupEma.features);
    expect(startupCandles).toBe(46);
    // Recursion compares from row 40 + 46 = 86: d = 10 (9/11)^47 = 8.1e-4, relative 7.4e-6 < 0.001.
    const report = checkStrategy({ ...shortWarmupEma, startupCandles }, candlesOf(stepCloses(100, 40)), { recursionStarts: [40] });
    expect(report.recursion.findings).toEqual([]);
    expect(report.passed).toBe(true);
    // The warm-up (first signalling row) stays 10: look-ahead still compares rows 10..99.
    expect(report.warmup).toBe(10);
    expect(report.startupCandles).toBe(46);
    expect(report.lookAhead.rowsChecked).toBe(90);
  });

  it('passes the same rule written as a definition: the adapter declares the startup its EMA needs', () => {
    const definition = defineStrategy({
      name: 'close-above-ema10',
      version: '1.0.0',
      summary: 'Long while the close is above EMA(10).',
      params: z.object({}),
      indicators: () => ({ ema: [10] }),
      warmup: () => 10,
      evaluate: (f, i, out) => shortWarmupEma.evaluate(f, i, out),
    });
    const adapter = createAdapterFromDefinition(definition, {});
    // max(warm-up 10, convergenceWarmup({ ema: [10] }) = 46).
    expect(adapter.startupCandles).toBe(46);
    const report = checkStrategy(adapter, candlesOf(stepCloses(100, 40)), { recursionStarts: [40] });
    expect(report.passed).toBe(true);
    // A larger declared startup wins: 60 > 46; recursion then compares from 40 + 60 = 100 (no rows: 100 candles).
    const declared = createAdapterFromDefinition(defineStrategy({ ...definition, startupCandles: () => 60 }), {});
    expect(declared.startupCandles).toBe(60);
    // A smaller one does not lower it: 20 < 46.
    expect(createAdapterFromDefinition(defineStrategy({ ...definition, startupCandles: () => 20 }), {}).startupCandles).toBe(46);
  });

  it('flags a column that is still missing after the declared warm-up', () => {
    // SMA(20) has values from row 19 of its history; declared warm-up and startup 5. History from row 30 has
    // no SMA on rows 35..48, where the full history has one: first difference at row 35.
    const sma20: StrategyAdapter = { ...shortWarmupEma, name: 'sma-warmup-short', features: { sma: [20] }, warmup: 5, startupCandles: 5, evaluate: (_f, _i, out) => setFlat(out, COMMON_REASONS.NoSignal) };
    const report = checkStrategy(sma20, candlesOf(stepCloses(60, 30)), { recursionStarts: [30] });
    expect(report.recursion.findings).toEqual([
      expect.objectContaining({ indicator: 'sma(20)', firstRow: 35, firstTimeMs: T0 + 35 * H1, shortValue: null, difference: null, maxDifference: null, differingRows: 14 }),
    ]);
  });

  it('spreads the default history starts over the rows that leave room for the warm-up', () => {
    // 80 candles, startup 10: starts 1..69, 3 starts at floor(j * 70 / 4) = 17, 35, 52.
    const report = checkStrategy(shortWarmupEma, candlesOf(stepCloses(80, 40)));
    expect(report.recursion.historyStartRows).toEqual([17, 35, 52]);
  });

  it('derives warm-ups for each recursive family', () => {
    // Wilder alpha 1/14: ceil(ln(1e-4) / ln(13/14)) = ceil(9.2103 / 0.074108) = 125 steps.
    expect(convergenceWarmup({ atr: [14] })).toBe(13 + 125); // seeded at row 13
    expect(convergenceWarmup({ rsi: [14] })).toBe(14 + 125); // seeded at row 14
    expect(convergenceWarmup({ sma: [50], donchian: [20] })).toBe(49); // not recursive: their own warm-ups
    expect(convergenceWarmup({ stddev: [20] })).toBe(19); // a rolling window: values from row 19
    expect(() => convergenceWarmup({ ema: [10] }, 0)).toThrow(ValidationError);
  });
});

describe('check input', () => {
  it('rejects a range without a row after the warm-up, naming the field and value', () => {
    const error = (() => {
      try {
        checkStrategy(shortWarmupEma, candlesOf(stepCloses(11, 5)));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'candles', value: 11 });
  });

  it('turns a strategy that throws into a ValidationError naming the candle', () => {
    const throwing: StrategyAdapter = {
      ...shortWarmupEma,
      name: 'throws-late',
      evaluate(_f, i, out) {
        if (i === 12) throw new Error('boom');
        setFlat(out, COMMON_REASONS.NoSignal);
      },
    };
    expect(() => checkStrategy(throwing, candlesOf(stepCloses(40, 20)))).toThrow(
      expect.objectContaining({ field: 'strategy', value: 'throws-late', message: expect.stringContaining('evaluate threw at the candle of 2024-01-01T12:00:00.000Z (row 12, with the whole range): boom') }),
    );
  });

  it('rejects out-of-range options', () => {
    const candles = candlesOf(stepCloses(40, 20));
    expect(() => checkStrategy(shortWarmupEma, candles, { tolerance: 0 })).toThrow(expect.objectContaining({ field: 'tolerance', value: 0 }));
    // Starts 1..40 - 1 - startup 10 = 29.
    expect(() => checkStrategy(shortWarmupEma, candles, { recursionStarts: [5, 30] })).toThrow(expect.objectContaining({ field: 'recursionStarts[1]', value: 30 }));
    expect(() => checkStrategy(shortWarmupEma, candles, { maxFindings: 0.5 })).toThrow(expect.objectContaining({ field: 'maxFindings', value: 0.5 }));
  });
});
