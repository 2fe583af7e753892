/**
 * The built-ins' one implementation is their column form (`evaluateColumns`). These tests hold it to the
 * per-row rules they replaced (engine/testing/row-wise-strategies.ts, the old `evaluate`s kept verbatim):
 * the same side, strength, stop hint, exit and reason, bit for bit, at every row, whatever the chunk
 * boundaries (a chunk of 1 is the live loop, 7 puts boundaries everywhere, 4,096 is the backtest default),
 * and through the per-row `evaluate` the catalog derives from the column form. On hand-built series first
 * (ties and touches of the MA cross with the values worked out by hand), then on every candle file of
 * ../shared/data with the default params and with short periods that make ties, flat ATRs and frequent
 * signals common.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Timeframe } from '../core/types';
import { featureConfigFor } from '../features/feature-config';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import type { FeatureFrame } from '../features/feature-frame';
import { parseCandleCsv } from '../market/candle-csv';
import { sampleAllocatedBytes } from '../testing/allocation-sampler';
import { ROW_WISE_BUILT_INS } from '../testing/row-wise-strategies';
import { BUILT_IN_STRATEGIES } from './built-in-strategies';
import { MA_CROSSOVER_REASONS } from './ma-crossover';
import { COMMON_REASONS, createAdapterColumns, createAdapterOutput, evaluateAdapterColumns, type StrategyAdapter } from './strategy-adapter';
import { createAdapterFromDefinition } from './strategy-catalog';

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const CHUNK_SIZES = [1, 7, 4_096];

/**
 * Params per built-in: the defaults, then short periods (SMA(1) against SMA(2) ties on every repeated close; ATR(1) is 0 on
 * a flat candle; periods of 1 and 2 put valid values on the first rows, where the column forms treat rows apart).
 */
const PARAMS: Record<string, Record<string, unknown>[]> = {
  'ma-crossover': [{}, { fastPeriod: 1, slowPeriod: 2, atrPeriod: 1, atrStopMultiple: 1.5 }, { fastPeriod: 9, slowPeriod: 21, atrPeriod: 7, atrStopMultiple: 3 }],
  'rsi-mean-reversion': [{}, { period: 2, oversold: 10, overbought: 90, atrPeriod: 1, atrStopMultiple: 0.5 }, { period: 1, atrPeriod: 2 }],
  'ema-trend': [{}, { period: 3, atrPeriod: 1, atrStopMultiple: 1 }, { period: 2, atrPeriod: 2, atrStopMultiple: 0.75 }],
  'donchian-breakout': [{}, { period: 3, atrPeriod: 1 }, { period: 1, atrPeriod: 5 }],
};

interface Pair {
  label: string;
  columnForm: StrategyAdapter;
  rowWise: StrategyAdapter;
}

function pairs(): Pair[] {
  return BUILT_IN_STRATEGIES.flatMap((definition) =>
    PARAMS[definition.name].map((params) => ({
      label: `${definition.name} ${JSON.stringify(params)}`,
      columnForm: createAdapterFromDefinition(definition, params),
      rowWise: createAdapterFromDefinition(ROW_WISE_BUILT_INS[definition.name], params),
    })),
  );
}

/** One row's output as a comparable tuple. */
type Row = [side: number, strength: number, stopHint: number, exit: number, reason: string];

/** What the old per-row rule says at every row. */
function referenceRows(adapter: StrategyAdapter, f: FeatureFrame): Row[] {
  const out = createAdapterOutput();
  const rows: Row[] = [];
  for (let i = 0; i < f.length; i++) {
    adapter.evaluate(f, i, out);
    rows.push([out.side, out.strength, out.stopHint, out.exit, out.reason]);
  }
  return rows;
}

/** Bitwise equality of two rows (Object.is: NaN equals NaN, 0 and -0 differ). */
function sameRow(a: Row, b: Row): boolean {
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}

/**
 * The first row where the column form, run in chunks of `chunkSize` from row 0, differs from `reference`
 * (undefined when none). Columns are reused chunk after chunk, as the trading loop does, and pre-filled
 * with garbage so a slot the column form forgets to write shows up.
 */
function firstColumnMismatch(adapter: StrategyAdapter, f: FeatureFrame, chunkSize: number, reference: readonly Row[]): string | undefined {
  const columns = createAdapterColumns(chunkSize);
  const scratch = createAdapterOutput();
  for (let from = 0; from < f.length; from += chunkSize) {
    const to = Math.min(f.length, from + chunkSize);
    columns.side.fill(7);
    columns.strength.fill(-3);
    columns.stopHint.fill(-3);
    columns.exit.fill(7);
    columns.reason.fill('stale');
    evaluateAdapterColumns(adapter, f, from, to, columns, scratch);
    for (let i = from; i < to; i++) {
      const s = i - from;
      const row: Row = [columns.side[s], columns.strength[s], columns.stopHint[s], columns.exit[s], columns.reason[s]];
      if (!sameRow(row, reference[i])) return `row ${i} (chunk ${chunkSize}): ${JSON.stringify(row)}, per-row rule ${JSON.stringify(reference[i])}`;
    }
  }
  return undefined;
}

/** The first row where the catalog's per-row `evaluate` (derived from the column form) differs from `reference`. */
function firstRowMismatch(adapter: StrategyAdapter, f: FeatureFrame, reference: readonly Row[]): string | undefined {
  const out = createAdapterOutput();
  for (let i = 0; i < f.length; i++) {
    adapter.evaluate(f, i, out);
    const row: Row = [out.side, out.strength, out.stopHint, out.exit, out.reason];
    if (!sameRow(row, reference[i])) return `row ${i} (per-row evaluate): ${JSON.stringify(row)}, per-row rule ${JSON.stringify(reference[i])}`;
  }
  return undefined;
}

/** Checks every pair on one frame; returns how many rows fired per pair (so a caller can see signals were compared). */
function expectAlike(all: readonly Pair[], f: FeatureFrame, chunkSizes: readonly number[]): Record<string, number> {
  const fired: Record<string, number> = {};
  for (const { label, columnForm, rowWise } of all) {
    expect(typeof columnForm.evaluateColumns, label).toBe('function');
    const reference = referenceRows(rowWise, f);
    fired[label] = reference.filter((r) => r[0] !== 0).length;
    for (const chunkSize of chunkSizes) expect(firstColumnMismatch(columnForm, f, chunkSize, reference), label).toBeUndefined();
    expect(firstRowMismatch(columnForm, f, reference), label).toBeUndefined();
  }
  return fired;
}

/** Candles from closes: open = previous close, high/low one above/below the body, so ATR(1) = |close − previous close| + 2. */
function frameOf(adapters: readonly StrategyAdapter[], closes: readonly number[]): FeatureExtractor {
  const fx = createFeatureExtractor(featureConfigFor(adapters), 4);
  closes.forEach((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    fx.push(i * 3_600_000, open, Math.max(open, close) + 1, Math.min(open, close) - 1, close, 1);
  });
  return fx;
}

describe('built-in column forms on hand-built series', () => {
  // SMA(1) is the close and SMA(2) the mean of the last two closes, so they are equal exactly on a repeated close.
  const closes = [10, 10, 10, 12, 12, 12, 11, 11, 13, 13, 14];
  const maParams = { fastPeriod: 1, slowPeriod: 2, atrPeriod: 1 };

  it('fires the MA cross through ties once and never on a touch, with every chunk size', () => {
    const adapter = createAdapterFromDefinition(BUILT_IN_STRATEGIES[0], maParams);
    const fx = frameOf([adapter], closes);
    // fast − slow: NaN, 0, 0, +1, 0, 0, −0.5, 0, +1, 0, +0.5.
    // Row 3: above after ties back to the warm-up (equal as long as both existed): long; |12 − 11| / ATR 4 -> 0.625; stop 12 − 2 × 4.
    // Row 6: below, looking back through the ties of rows 4-5 to row 3 (above): short; 0.5 / ATR 3 -> 0.5 + 0.5/6; stop 11 + 2 × 3.
    // Row 8: above, through the tie of row 7 to row 6 (below): long; 1 / ATR 4 -> 0.625; stop 13 − 2 × 4.
    // Row 10: above, through the tie of row 9 to row 8 (above): a touch, nothing.
    const expected = new Map([
      [3, [1, 0.625, 4, MA_CROSSOVER_REASONS.CrossedAbove]],
      [6, [-1, 0.5 + 0.5 * (0.5 / 3), 17, MA_CROSSOVER_REASONS.CrossedBelow]],
      [8, [1, 0.625, 5, MA_CROSSOVER_REASONS.CrossedAbove]],
    ]);
    for (let chunkSize = 1; chunkSize <= closes.length; chunkSize++) {
      const columns = createAdapterColumns(chunkSize);
      for (let from = 0; from < fx.length; from += chunkSize) {
        const to = Math.min(fx.length, from + chunkSize);
        evaluateAdapterColumns(adapter, fx, from, to, columns, createAdapterOutput());
        for (let i = from; i < to; i++) {
          const s = i - from;
          const got = [columns.side[s], columns.strength[s], columns.stopHint[s], columns.reason[s]];
          const reason = i < 2 ? COMMON_REASONS.WarmUp : COMMON_REASONS.NoSignal;
          expect(got, `row ${i}, chunk ${chunkSize}`).toEqual(expected.get(i) ?? [0, 0, NaN, reason]);
          expect(columns.exit[s]).toBe(0);
        }
      }
    }
  });

  it('gives every built-in exactly the per-row rule on a series with flat stretches, ties and reversals, whatever the chunk boundaries', () => {
    const wave = [
      ...closes,
      ...Array.from({ length: 60 }, (_, k) => 100 + Math.round(10 * Math.sin(k / 3))),
      ...Array.from({ length: 20 }, () => 100),
      ...Array.from({ length: 40 }, (_, k) => 100 + (k % 5) - 2 * (k % 3)),
    ];
    const all = pairs();
    const fx = frameOf(
      all.map((p) => p.columnForm),
      wave,
    );
    const fired = expectAlike(all, fx, [1, 2, 3, 5, 7, 13, 4_096]);
    for (const [label, count] of Object.entries(fired)) {
      // The short-period variants fire on this series (the defaults need more rows than it has for some).
      if (!label.endsWith(' {}') && !label.startsWith('ma-crossover {"fastPeriod":9')) expect(count, label).toBeGreaterThan(0);
    }
  });
});

describe('built-in column forms, allocation', () => {
  it('allocate nothing, over ranges or through the derived per-row evaluate, once compiled', async () => {
    const all = pairs().map((p) => p.columnForm);
    const closes = Array.from({ length: 4_000 }, (_, k) => 100 + Math.round(10 * Math.sin(k / 7)) + (k % 3));
    const fx = frameOf(all, closes);
    const columns = createAdapterColumns(512);
    const scratch = createAdapterOutput();
    const out = createAdapterOutput();
    const runAll = () => {
      let fired = 0;
      for (const adapter of all) {
        for (let from = 0; from < fx.length; from += 512) {
          evaluateAdapterColumns(adapter, fx, from, Math.min(fx.length, from + 512), columns, scratch);
          fired += columns.side[0] !== 0 ? 1 : 0;
        }
        for (let i = 0; i < fx.length; i++) {
          adapter.evaluate(fx, i, out);
          if (out.side !== 0) fired++;
        }
      }
      return fired;
    };
    // Warm runs until every rule and wrapper is optimised (interpreted code boxes its float results).
    const warm = runAll();
    for (let k = 0; k < 20; k++) runAll();
    let measured = -1;
    const rule = new Set(['evaluateColumns', 'evaluateColumnsBound', 'evaluateOneRow', 'crossDirections']);
    const bytes = await sampleAllocatedBytes(
      () => {
        measured = runAll();
      },
      { countFrame: (frame) => rule.has(frame.functionName) },
    );
    expect(measured).toBe(warm);
    expect(measured).toBeGreaterThan(0);
    expect(bytes).toBe(0);
  });
});

/** exchange_BASE-QUOTE[-PERP]_timeframe.csv, as the files in ../shared/data are named. */
function timeframeOf(name: string): Timeframe {
  const [, timeframe] = /^[a-z]+_.+_(\w+)\.csv$/.exec(name) ?? [];
  if (!timeframe) throw new Error(`unexpected candle file name ${name}`);
  return timeframe as Timeframe;
}

const files = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.endsWith('.csv')).sort() : [];

describe('built-in column forms on real candles', () => {
  if (files.length === 0) {
    it('are not compared without the shared data folder', () => {
      console.log(`shared data not found at ${dataDir}: built-in column forms versus per-row rules not compared (set AETHELRED_SHARED_DATA)`);
      expect(files).toHaveLength(0);
    });
    return;
  }

  it.each(files)('give exactly the per-row rules on %s, in chunks of 1, 7 and 4,096 and row by row', async (name) => {
    const { columns } = await parseCandleCsv(path.join(dataDir, name), timeframeOf(name));
    const all = pairs();
    const fx = createFeatureExtractor(featureConfigFor(all.map((p) => p.columnForm)), columns.length);
    fx.pushColumns(columns);
    const fired = expectAlike(all, fx, CHUNK_SIZES);
    const total = Object.values(fired).reduce((a, b) => a + b, 0);
    // Every file gives signals to compare (the shortest files, a few dozen rows, still fire with the short periods).
    expect(total).toBeGreaterThan(0);
    console.log(`${name}: ${fx.length} rows, ${total} fired rows alike over ${all.length} strategy/params pairs`);
  });
});
