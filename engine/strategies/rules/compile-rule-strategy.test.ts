import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors';
import { createFeatureExtractor, type FeatureExtractor } from '../../features/feature-extractor';
import { createAdapterOutput, type StrategyAdapter } from '../strategy-adapter';
import { compileRuleStrategy } from './compile-rule-strategy';
import { createAdapterFromDefinition } from '../strategy-catalog';
import type { RuleConditionInput, RuleStrategyInput } from './rule-schema';

/**
 * Fixture candles from closes: open = previous close (row 0: its own close), high = max(open, close) + 1,
 * low = min(open, close) - 1. So the true range is |close - previous close| + 2 (row 0: 2), and with
 * atrPeriod 1 the ATR equals that true range exactly.
 */
function frameFor(adapter: StrategyAdapter, closes: readonly number[]): FeatureExtractor {
  const fx = createFeatureExtractor(adapter.features, 4);
  closes.forEach((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    fx.push(i * 3_600_000, open, Math.max(open, close) + 1, Math.min(open, close) - 1, close, 1);
  });
  return fx;
}

const close = { price: 'close' } as const;
const value = (v: number) => ({ value: v });
const stop = { atrMultiple: 2, atrPeriod: 1 };

function adapterOf(rule: Omit<RuleStrategyInput, 'name' | 'stop'> & { stop?: RuleStrategyInput['stop'] }): StrategyAdapter {
  return createAdapterFromDefinition(compileRuleStrategy({ name: 'rule-test', stop, ...rule }, 1), undefined);
}

interface Row {
  side: number;
  exit: number;
  stopHint: number;
  strength: number;
}

function rows(adapter: StrategyAdapter, closes: readonly number[]): Row[] {
  const fx = frameFor(adapter, closes);
  const out = createAdapterOutput();
  const result: Row[] = [];
  for (let i = 0; i < fx.length; i++) {
    adapter.evaluate(fx, i, out);
    result.push({ side: out.side, exit: out.exit, stopHint: out.stopHint, strength: out.strength });
  }
  return result;
}

const sides = (adapter: StrategyAdapter, closes: readonly number[]) => rows(adapter, closes).map((r) => r.side);
const longWhen = (...all: RuleConditionInput[]) => adapterOf({ long: { all } });

describe('compileRuleStrategy: operators', () => {
  // closes 9, 11, 12, 9, 10, 11 against the constant 10:
  // crossesAbove at row 1 (9 <= 10, 11 > 10) and row 5 (10 <= 10, 11 > 10); crossesBelow at row 3 (12 >= 10, 9 < 10).
  const closes = [9, 11, 12, 9, 10, 11];

  it('goes long when close crosses above a value and short when it crosses below', () => {
    const adapter = adapterOf({
      long: { all: [{ left: close, op: 'crossesAbove', right: value(10) }] },
      short: { all: [{ left: close, op: 'crossesBelow', right: value(10) }] },
    });
    expect(adapter.warmup).toBe(1);
    const r = rows(adapter, closes);
    expect(r.map((x) => x.side)).toEqual([0, 1, 0, -1, 0, 1]);
    // ATR(1) = true range = |close - prev close| + 2: row 1: 4 -> stop 11 - 2*4 = 3; row 3: 5 -> 9 + 2*5 = 19; row 5: 3 -> 11 - 2*3 = 5.
    expect(r.map((x) => x.stopHint)).toEqual([NaN, 3, NaN, 19, NaN, 5]);
    expect(r.map((x) => x.strength)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('detects a fast SMA crossing a slow SMA', () => {
    // closes 10, 9, 8, 9, 11, 10, 8: SMA(2) = -, 9.5, 8.5, 8.5, 10, 10.5, 9; SMA(3) = -, -, 9, 8.667, 9.333, 10, 9.667.
    // SMA(2) - SMA(3): row 2 -0.5, row 3 -0.167, row 4 +0.667 (cross above), row 5 +0.5, row 6 -0.667 (cross below).
    const adapter = adapterOf({
      long: { all: [{ left: { indicator: 'sma', period: 2 }, op: 'crossesAbove', right: { indicator: 'sma', period: 3 } }] },
      short: { all: [{ left: { indicator: 'sma', period: 2 }, op: 'crossesBelow', right: { indicator: 'sma', period: 3 } }] },
    });
    // warm-up: SMA(3) is defined from row 2, a cross needs the row before: 3.
    expect(adapter.warmup).toBe(3);
    expect(adapter.features).toEqual({ sma: [2, 3], atr: [1] });
    expect(sides(adapter, [10, 9, 8, 9, 11, 10, 8])).toEqual([0, 0, 0, 0, 1, 0, -1]);
  });

  it('compares with gt, gte, lt and lte', () => {
    const c = [1, 2, 3];
    expect(sides(longWhen({ left: close, op: 'gt', right: value(2) }), c)).toEqual([0, 0, 1]);
    expect(sides(longWhen({ left: close, op: 'gte', right: value(2) }), c)).toEqual([0, 1, 1]);
    expect(sides(longWhen({ left: close, op: 'lt', right: value(2) }), c)).toEqual([1, 0, 0]);
    expect(sides(longWhen({ left: close, op: 'lte', right: value(2) }), c)).toEqual([1, 1, 0]);
    // A constant on the left works too: 2 < close only on row 2.
    expect(sides(longWhen({ left: value(2), op: 'lt', right: close }), c)).toEqual([0, 0, 1]);
  });

  it('detects rising and falling over one bar and over several bars', () => {
    const c = [5, 6, 7, 6, 6, 8];
    // one bar: 6>5, 7>6 rising; 6<7 falling; 6=6 neither; 8>6 rising.
    expect(sides(longWhen({ left: close, op: 'rising' }), c)).toEqual([0, 1, 1, 0, 0, 1]);
    expect(sides(longWhen({ left: close, op: 'falling' }), c)).toEqual([0, 0, 0, 1, 0, 0]);
    // two bars (warm-up 2): row 2 7>5, row 3 6>6 no, row 4 6>7 no, row 5 8>6.
    const twoBars = longWhen({ left: close, op: 'rising', bars: 2 });
    expect(twoBars.warmup).toBe(2);
    expect(sides(twoBars, c)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(sides(longWhen({ left: close, op: 'falling', bars: 2 }), c)).toEqual([0, 0, 0, 0, 1, 0]);
  });

  it('holds a condition for withinBars bars after it was true', () => {
    // close > 10 only on row 2; within 3 bars it holds on rows 2, 3, 4 (warm-up 3 - 1 = 2).
    const adapter = longWhen({ left: close, op: 'gt', right: value(10), withinBars: 3 });
    expect(adapter.warmup).toBe(2);
    expect(sides(adapter, [5, 5, 11, 5, 5, 5])).toEqual([0, 0, 1, 1, 1, 0]);
    // a cross within 2 bars: crossed above 10 on row 2 (5 -> 11), so rows 2 and 3; warm-up 1 + 1 = 2.
    expect(sides(longWhen({ left: close, op: 'crossesAbove', right: value(10), withinBars: 2 }), [5, 5, 11, 12, 13])).toEqual([0, 0, 1, 1, 0]);
  });

  it('combines conditions with all and any', () => {
    const c = [1, 3, 6, 4];
    const between = [
      { left: close, op: 'gt', right: value(2) },
      { left: close, op: 'lt', right: value(5) },
    ] as const satisfies RuleConditionInput[];
    // all: 2 < close < 5 on rows 1 and 3; any: every row is above 2 or below 5.
    expect(sides(adapterOf({ long: { all: [...between] } }), c)).toEqual([0, 1, 0, 1]);
    expect(sides(adapterOf({ long: { any: [...between] } }), c)).toEqual([1, 1, 1, 1]);
    // any of (close > 5, close < 2): rows 0 and 2.
    expect(sides(adapterOf({ short: { any: [{ left: close, op: 'gt', right: value(5) }, { left: close, op: 'lt', right: value(2) }] } }), c)).toEqual([-1, 0, -1, 0]);
  });

  it('says nothing when the long and the short rules both hold', () => {
    const adapter = adapterOf({ long: { all: [{ left: close, op: 'gt', right: value(2) }] }, short: { all: [{ left: close, op: 'gt', right: value(3) }] } });
    // row 0 (1): neither; row 1 (3): long only; row 2 (6): both -> flat; row 3 (2.5): long only.
    expect(sides(adapter, [1, 3, 6, 2.5])).toEqual([0, 1, 0, 1]);
  });

  it('writes the exit instruction from the exit rules', () => {
    const adapter = adapterOf({
      long: { all: [{ left: close, op: 'gt', right: value(100) }] },
      exitLong: { all: [{ left: close, op: 'lt', right: value(3) }] },
      exitShort: { any: [{ left: close, op: 'gt', right: value(10) }] },
    });
    // close 1, 5, 12, 2: exitLong on rows 0 and 3, exitShort on row 2; no entry.
    const r = rows(adapter, [1, 5, 12, 2]);
    expect(r.map((x) => x.exit)).toEqual([1, 0, -1, 1]);
    expect(r.map((x) => x.side)).toEqual([0, 0, 0, 0]);
  });

  it('puts a percent stop on the protective side of the close', () => {
    const adapter = adapterOf({ stop: { percent: 10 }, long: { all: [{ left: close, op: 'crossesAbove', right: value(10) }] }, short: { all: [{ left: close, op: 'crossesBelow', right: value(10) }] } });
    expect(adapter.features).toEqual({});
    const r = rows(adapter, [9, 11, 12, 9]);
    // long at 11: 11 * 0.9 = 9.9; short at 9: 9 * 1.1 = 9.9.
    expect(r[1].stopHint).toBeCloseTo(9.9, 12);
    expect(r[3].stopHint).toBeCloseTo(9.9, 12);
  });
});

describe('compileRuleStrategy: indicators, warm-up, exits', () => {
  it('derives the indicator columns and the warm-up from the operands and the stop', () => {
    const adapter = createAdapterFromDefinition(
      compileRuleStrategy(
        {
          name: 'rsi-donchian',
          long: { all: [{ left: { indicator: 'rsi', period: 14 }, op: 'crossesAbove', right: value(30) }] },
          short: { all: [{ left: close, op: 'lt', right: { indicator: 'donchianLower', period: 20 }, withinBars: 3 }] },
          exitLong: { all: [{ left: { indicator: 'ema', period: 50 }, op: 'falling', bars: 5 }] },
          stop: { atrMultiple: 3 },
          exits: { timeStop: { bars: 48 } },
        },
        7,
      ),
      undefined,
    );
    expect(adapter.features).toEqual({ rsi: [14], donchian: [20], ema: [50], atr: [14] });
    // RSI(14) from row 14 + 1 for the cross = 15; Donchian(20) from row 20 + 2 (within 3) = 22;
    // EMA(50) from row 49 + 5 bars = 54; ATR(14) from row 13. Max: 54.
    expect(adapter.warmup).toBe(54);
    expect(adapter.version).toBe('7');
    expect(adapter.exits).toEqual({ timeStop: { bars: 48 } });
  });

  it('refuses a period beyond the limit, naming the path and the value', () => {
    const rule = { name: 'too-long', long: { all: [{ left: { indicator: 'sma', period: 5000 }, op: 'gt', right: close }] }, stop: { percent: 2 } };
    expect(() => compileRuleStrategy(rule, 1)).toThrow(ValidationError);
    expect(() => compileRuleStrategy(rule, 1)).toThrow(expect.objectContaining({ field: 'long.all.0.left.period', value: 5000 }));
  });

  it('refuses an unknown indicator, naming the path and the value', () => {
    const rule = { name: 'macd-rule', short: { any: [{ left: close, op: 'gt', right: value(1) }, { left: { indicator: 'macd', period: 12 }, op: 'rising' }] }, stop: { percent: 2 } };
    expect(() => compileRuleStrategy(rule, 1)).toThrow(expect.objectContaining({ field: 'short.any.1.left.indicator', value: 'macd' }));
  });

  it('refuses a rule without an entry condition', () => {
    expect(() => compileRuleStrategy({ name: 'no-entry', exitLong: { all: [{ left: close, op: 'rising' }] }, stop: { percent: 2 } }, 1)).toThrow(
      expect.objectContaining({ field: 'long', value: undefined }),
    );
    expect(() => compileRuleStrategy({ name: 'empty-entry', long: { all: [] }, stop: { percent: 2 } }, 1)).toThrow(expect.objectContaining({ field: 'long.all', value: [] }));
  });

  it('refuses operands and operators that do not fit together', () => {
    const base = { name: 'bad-rule', stop: { percent: 2 } };
    expect(() => compileRuleStrategy({ ...base, long: { all: [{ left: close, op: 'gt' }] } }, 1)).toThrow(expect.objectContaining({ field: 'long.all.0.right' }));
    expect(() => compileRuleStrategy({ ...base, long: { all: [{ left: { indicator: 'ema' }, op: 'rising' }] } }, 1)).toThrow(expect.objectContaining({ field: 'long.all.0.left.period' }));
    expect(() => compileRuleStrategy({ ...base, long: { all: [{ left: close, op: 'rising' }] }, stop: { percent: 2, atrMultiple: 1 } }, 1)).toThrow(expect.objectContaining({ field: 'stop.atrMultiple' }));
  });
});
