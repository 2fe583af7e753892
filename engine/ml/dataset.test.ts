import { describe, expect, it } from 'vitest';
import { syntheticCandles } from '../../tests/support/ml-candles';
import type { CandleColumns } from '../core/types';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import {
  buildIntentDataset,
  buildIntentDatasetFromJournal,
  buildRegimeDataset,
  buildVolatilityDataset,
  forwardVolatility,
  intentReturn,
  maxAdverseExcursionAtr,
  RegimeClass,
  regimeLabel,
  splitByTime,
  walkForwardSplits,
} from './dataset';
import { INTENT_FEATURE_NAMES, intentFeatures, ML_FEATURE_WARMUP } from './market-features';
import { extractMlFeatures } from './dataset';

const HOUR = 3_600_000;

function columns(rows: [number, number, number, number][]): CandleColumns {
  // [open, high, low, close], hourly from t = 0
  const n = rows.length;
  return {
    length: n,
    openTimeMs: Float64Array.from(rows, (_, i) => i * HOUR),
    open: Float64Array.from(rows, (r) => r[0]),
    high: Float64Array.from(rows, (r) => r[1]),
    low: Float64Array.from(rows, (r) => r[2]),
    close: Float64Array.from(rows, (r) => r[3]),
    volume: new Float64Array(n).fill(1),
  };
}

function truncated(c: CandleColumns, n: number): CandleColumns {
  return {
    length: n,
    openTimeMs: c.openTimeMs.slice(0, n),
    open: c.open.slice(0, n),
    high: c.high.slice(0, n),
    low: c.low.slice(0, n),
    close: c.close.slice(0, n),
    volume: c.volume.slice(0, n),
  };
}

describe('labels', () => {
  // Entry at close 100 with ATR 1: long stop 98, target 103; short stop 102, target 97.
  const path = columns([
    [100, 100, 100, 100],
    [100, 101, 99, 100.5],
    [100.5, 103.5, 100, 103],
    [103, 104, 102, 103.5],
  ]);

  it('a long hits its target first: +3 % less costs', () => {
    expect(intentReturn(path, 0, 1, 3, 1, { roundTripCostBps: 0 })).toBeCloseTo(0.03, 15);
    expect(intentReturn(path, 0, 1, 3, 1, { roundTripCostBps: 24 })).toBeCloseTo(0.03 - 0.0024, 15);
  });

  it('a short hits its stop on the candle that reaches 103.5: -2 %', () => {
    expect(intentReturn(path, 0, -1, 3, 1, { roundTripCostBps: 0 })).toBeCloseTo(-0.02, 15);
  });

  it('checks the stop before the target when one candle spans both', () => {
    const both = columns([
      [100, 100, 100, 100],
      [100, 104, 97, 100],
      [100, 100, 100, 100],
    ]);
    expect(intentReturn(both, 0, 1, 2, 1, { roundTripCostBps: 0 })).toBeCloseTo(-0.02, 15);
  });

  it('marks to the horizon close when neither level is reached', () => {
    expect(intentReturn(path, 0, 1, 1, 1, { roundTripCostBps: 0 })).toBeCloseTo(0.005, 15);
  });

  it('is NaN without a full horizon after the entry', () => {
    expect(intentReturn(path, 2, 1, 2, 1)).toBeNaN();
  });

  it('forward volatility is the population std of the forward log returns: ln(1.1 / 0.9) / 2', () => {
    const c = columns([
      [100, 100, 100, 100],
      [100, 110, 100, 110],
      [110, 110, 99, 99],
    ]);
    // Returns ln 1.1 and ln 0.9: their population std is half their difference.
    expect(forwardVolatility(c, 0, 2)).toBeCloseTo(Math.log(1.1 / 0.9) / 2, 15);
  });

  it('regime: a move beyond k sigma sqrt(H) is a trend, inside it a range', () => {
    const up = columns([
      [100, 100, 100, 100],
      [100, 101, 100, 101],
      [101, 103, 101, 103],
    ]);
    // r = ln 1.03 = 0.02956; s = |ln(1.01) - ln(103/101)| / 2 = 0.00483; band = 0.5 s sqrt 2 = 0.00342.
    expect(regimeLabel(up, 0, 2)).toBe(RegimeClass.TrendUp);
    const down = columns([
      [100, 100, 100, 100],
      [100, 100, 99, 99],
      [99, 99, 97, 97],
    ]);
    expect(regimeLabel(down, 0, 2)).toBe(RegimeClass.TrendDown);
    const range = columns([
      [100, 100, 100, 100],
      [100, 105, 100, 105],
      [105, 105, 100, 100.5],
    ]);
    // r = ln 1.005 = 0.00499; s = (ln 1.05 - ln(100.5/105)) / 2 = 0.0463; band = 0.0327 > r.
    expect(regimeLabel(range, 0, 2)).toBe(RegimeClass.Range);
  });

  it('stop distance is the maximum adverse excursion in ATRs (long 1.0 and short 4.0 at ATR 1)', () => {
    expect(maxAdverseExcursionAtr(path, 0, 1, 3, 1)).toBe(1);
    expect(maxAdverseExcursionAtr(path, 0, -1, 3, 1)).toBe(4);
  });
});

describe('no look-ahead', () => {
  const candles = syntheticCandles(400, 3);

  it('features at a row equal those computed from candles up to that row only', () => {
    const full = extractMlFeatures(candles);
    for (const i of [ML_FEATURE_WARMUP, 120, 250, 399]) {
      const past = extractMlFeatures(truncated(candles, i + 1));
      expect(Array.from(intentFeatures(full, i, 1))).toEqual(Array.from(intentFeatures(past, i, 1)));
      expect(Array.from(intentFeatures(full, i, -1))).toEqual(Array.from(intentFeatures(past, i, -1)));
    }
  });

  it('every row is decided at its candle close and labelled only from the next H candles', () => {
    const horizon = 10;
    const dataset = buildVolatilityDataset(candles, { timeframe: '1h', horizon });
    expect(dataset.rows).toBe(400 - horizon - ML_FEATURE_WARMUP);
    for (let r = 0; r < dataset.rows; r++) {
      const i = r + ML_FEATURE_WARMUP;
      expect(dataset.timeMs[r]).toBe(candles.openTimeMs[i] + HOUR);
      expect(dataset.labelEndMs[r]).toBe(candles.openTimeMs[i + horizon] + HOUR);
    }
    // Changing the candles after a row's horizon leaves that row's features and label unchanged.
    const changed = truncated(candles, 400);
    const i = 200;
    for (let j = i + horizon + 1; j < 400; j++) {
      changed.close[j] *= 1.5;
      changed.high[j] *= 1.5;
      changed.open[j] *= 1.5;
      changed.low[j] *= 1.5;
    }
    const again = buildVolatilityDataset(changed, { timeframe: '1h', horizon });
    const r = i - ML_FEATURE_WARMUP;
    expect(again.y[r]).toBe(dataset.y[r]);
    expect(Array.from(again.x.subarray(r * 9, r * 9 + 9))).toEqual(Array.from(dataset.x.subarray(r * 9, r * 9 + 9)));
  });

  it('the intent dataset has one row per candle and side, features first signed by side', () => {
    const dataset = buildIntentDataset(candles, { timeframe: '1h', horizon: 10 });
    expect(dataset.featureNames).toEqual(INTENT_FEATURE_NAMES);
    expect(dataset.rows).toBe(2 * (400 - 10 - ML_FEATURE_WARMUP));
    const f = INTENT_FEATURE_NAMES.length;
    expect(dataset.x[0]).toBe(1);
    expect(dataset.x[f]).toBe(-1);
    // logReturn1 flips sign with the side; atrOverClose does not.
    expect(dataset.x[f + 1]).toBe(-dataset.x[1]);
    expect(dataset.x[f + 4]).toBe(dataset.x[4]);
  });
});

describe('journal dataset', () => {
  const candles = syntheticCandles(300, 5);
  const decision = (id: string, row: number, side: 'long' | 'short', extra: Partial<DecisionRecord> = {}): DecisionRecord => ({
    id,
    runId: 'run-1',
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    strategy: 'ema-trend',
    timeMs: candles.openTimeMs[row] + HOUR,
    outcome: 'executed',
    side,
    strength: 0.8,
    reason: 'entered',
    inputs: { stopOrderId: 's1', orderId: 'o1' },
    ...extra,
  });
  const trade = (row: number, pnl: number): TradeRecord => ({
    id: `t${row}`,
    runId: 'run-1',
    exchange: 'binance',
    symbol: 'BTC/USDT',
    strategy: 'ema-trend',
    side: 'long',
    amount: 1,
    entryPrice: 100,
    exitPrice: 101,
    entryTimeMs: candles.openTimeMs[row] + HOUR,
    exitTimeMs: candles.openTimeMs[row + 5] + HOUR,
    realizedPnl: pnl,
    fees: 0.5,
    funding: 0,
    exitReason: 'signal',
  });

  it('labels executed entries by their closed trade net of fees, else by the candle path, and skips exits and early entries', () => {
    const decisions = [
      decision('a', 100, 'long'),
      decision('b', 150, 'long'),
      decision('c', 200, 'short'),
      decision('exit', 210, 'long', { inputs: { orderId: 'o9' } }),
      decision('early', 10, 'long'),
      decision('denied', 220, 'long', { outcome: 'denied' }),
    ];
    const { dataset, report } = buildIntentDatasetFromJournal(candles, decisions, [trade(100, 0.4), trade(150, 0.6)], { timeframe: '1h', horizon: 10 });
    expect(report).toEqual({ entries: 4, fromTrades: 2, fromCandles: 1, skipped: 1 });
    expect(Array.from(dataset.y.subarray(0, 2))).toEqual([1, 0]); // 0.4 - 0.5 fees < 0 loses; 0.6 - 0.5 wins
    expect(dataset.labelEndMs[0]).toBe(candles.openTimeMs[105] + HOUR);
    const path = intentReturn(candles, 200, -1, 10, extractMlFeatures(candles).atr[14][200]);
    expect(dataset.y[2]).toBe(path < 0 ? 1 : 0);
    expect(Array.from(dataset.x.subarray(20, 30))).toEqual(Array.from(intentFeatures(extractMlFeatures(candles), 200, -1)));
  });
});

describe('time splits', () => {
  const dataset = buildRegimeDataset(syntheticCandles(700, 8), { timeframe: '1h', horizon: 12 });

  it('walk-forward folds validate on consecutive blocks and train only on rows whose labels end before each block', () => {
    const splits = walkForwardSplits(dataset, 4);
    expect(splits).toHaveLength(4);
    for (const [j, s] of splits.entries()) {
      expect(s.trainToMs).toBeLessThanOrEqual(s.validationFromMs);
      for (const r of s.train) expect(dataset.labelEndMs[r]).toBeLessThanOrEqual(s.validationFromMs);
      if (j > 0) expect(s.validation[0]).toBe(splits[j - 1].validation[splits[j - 1].validation.length - 1] + 1);
      // Purging drops the last H - 1 rows before the block: their labels end after the block's first
      // decision time. Row start - H still qualifies (its label ends exactly at that close).
      expect(s.train.length).toBe(s.validation[0] - 12 + 1);
    }
    expect(splits[3].validation[splits[3].validation.length - 1]).toBe(dataset.rows - 1);
  });

  it('a single split by time validates on the last rows and purges the overlap', () => {
    const s = splitByTime(dataset, 0.25);
    expect(s.validation.length).toBe(dataset.rows - Math.floor(dataset.rows * 0.75));
    expect(s.trainToMs).toBeLessThanOrEqual(s.validationFromMs);
  });

  it('refuses folds it cannot fill, naming the field', () => {
    expect(() => walkForwardSplits(dataset, 0)).toThrow('field "folds" was 0: must be an integer in 1..50');
    expect(() => walkForwardSplits(dataset, 40)).toThrow('40 walk-forward folds need at least 820 labelled rows');
  });
});
