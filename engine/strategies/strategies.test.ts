import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { featureConfigFor } from '../features/feature-config';
import { createFeatureExtractor, type FeatureExtractor } from '../features/feature-extractor';
import { createDonchianBreakout } from './donchian-breakout';
import { createEmaTrend } from './ema-trend';
import { createMaCrossover } from './ma-crossover';
import { createBuiltInCatalog } from './built-in-strategies';
import { createRsiMeanReversion } from './rsi-mean-reversion';
import { COMMON_REASONS, createAdapterOutput, type StrategyAdapter } from './strategy-adapter';

/**
 * Fixture candles from closes: open = previous close (row 0: its own close), high = max(open, close) + 1,
 * low = min(open, close) - 1. So the true range is |close - previous close| + 2 (row 0: 2), and with
 * atrPeriod 1 the ATR equals that true range exactly.
 */
function frameFor(adapter: StrategyAdapter, closes: readonly number[]): FeatureExtractor {
  const fx = createFeatureExtractor(featureConfigFor([adapter]), 4);
  closes.forEach((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    fx.push(i * 3_600_000, open, Math.max(open, close) + 1, Math.min(open, close) - 1, close, 1);
  });
  return fx;
}

interface Fired {
  i: number;
  side: number;
  strength: number;
  stopHint: number;
  reason: string;
}

/** Evaluates every row and lists the rows that fired; checks flat rows are fully flat. */
function firedRows(adapter: StrategyAdapter, fx: FeatureExtractor): Fired[] {
  const out = createAdapterOutput();
  const fired: Fired[] = [];
  for (let i = 0; i < fx.length; i++) {
    adapter.evaluate(fx, i, out);
    if (out.side === 0) {
      expect(out.strength).toBe(0);
      expect(out.stopHint).toBeNaN();
      expect(i < adapter.warmup ? [COMMON_REASONS.WarmUp, COMMON_REASONS.NoSignal] : [COMMON_REASONS.NoSignal]).toContain(
        out.reason,
      );
    } else {
      expect(i).toBeGreaterThanOrEqual(adapter.warmup);
      fired.push({ i, side: out.side, strength: out.strength, stopHint: out.stopHint, reason: out.reason });
    }
  }
  return fired;
}

function expectFired(actual: Fired[], expected: Fired[]): void {
  expect(actual.map(({ i, side, stopHint, reason }) => ({ i, side, stopHint, reason }))).toEqual(
    expected.map(({ i, side, stopHint, reason }) => ({ i, side, stopHint, reason })),
  );
  actual.forEach((f, k) => expect(f.strength).toBeCloseTo(expected[k].strength, 12));
}

/** Streaming evaluation (push, then evaluate the newest row) gives the same outputs as after the whole series. */
function expectNoLookAhead(adapter: StrategyAdapter, closes: readonly number[]): void {
  const all = firedRows(adapter, frameFor(adapter, closes));
  const streamed: Fired[] = [];
  const out = createAdapterOutput();
  for (let n = 1; n <= closes.length; n++) {
    const fx = frameFor(adapter, closes.slice(0, n));
    adapter.evaluate(fx, n - 1, out);
    if (out.side !== 0) streamed.push({ i: n - 1, side: out.side, strength: out.strength, stopHint: out.stopHint, reason: out.reason });
  }
  expect(streamed).toEqual(all);
}

describe('createMaCrossover', () => {
  const adapter = createMaCrossover({ fastPeriod: 2, slowPeriod: 3, atrPeriod: 1, atrStopMultiple: 2 });
  const closes = [10, 9, 8, 9, 11, 10, 8];

  it('goes long when the fast SMA crosses above the slow SMA and short when it crosses below', () => {
    // SMA2:        -, 9.5, 8.5,   8.5,    10,   10.5,   9
    // SMA3:        -, -,   9,     26/3,   28/3, 10,     29/3
    // fast - slow: -, -,  -0.5,  -1/6,    2/3,  0.5,   -2/3  -> up-cross at 4, down-cross at 6
    // row 4: ATR = |11-9|+2 = 4; strength = 0.5 + 0.5*(|11 - 28/3| / 4) = 0.5 + 0.5*(5/12) = 17/24; stop = 11 - 2*4 = 3
    // row 6: ATR = |8-10|+2 = 4; strength = 0.5 + 0.5*(|8 - 29/3| / 4) = 17/24; stop = 8 + 2*4 = 16
    expect(adapter.warmup).toBe(3);
    expectFired(firedRows(adapter, frameFor(adapter, closes)), [
      { i: 4, side: 1, strength: 17 / 24, stopHint: 3, reason: 'ma-crossover: fast SMA crossed above slow SMA' },
      { i: 6, side: -1, strength: 17 / 24, stopHint: 16, reason: 'ma-crossover: fast SMA crossed below slow SMA' },
    ]);
  });

  it('gives the same signals when candles arrive one at a time', () => {
    expectNoLookAhead(adapter, closes);
  });

  it('is frozen with a frozen config and declares the columns it reads', () => {
    expect(Object.isFrozen(adapter)).toBe(true);
    expect(Object.isFrozen(adapter.config)).toBe(true);
    expect(adapter.features).toEqual({ sma: [2, 3], atr: [1] });
    expect(createMaCrossover().config).toEqual({ fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 });
  });

  it('rejects a fast period above the slow period quoting both values', () => {
    expect(() => createMaCrossover({ fastPeriod: 50, slowPeriod: 20 })).toThrow(
      'field "params.fastPeriod" was 50: fastPeriod (50) must be below slowPeriod (20)',
    );
  });

  it('rejects a non-integer period', () => {
    expect(() => createMaCrossover({ fastPeriod: 2.5 })).toThrow('field "params.fastPeriod" was 2.5: ma-crossover parameter fastPeriod: must be an integer in 1..10000');
  });

  it('rejects a zero ATR stop multiple', () => {
    expect(() => createMaCrossover({ atrStopMultiple: 0 })).toThrow('field "params.atrStopMultiple" was 0: ma-crossover parameter atrStopMultiple: must be a finite number > 0');
  });
});

describe('createRsiMeanReversion', () => {
  const adapter = createRsiMeanReversion({ period: 2, oversold: 20, overbought: 80, atrPeriod: 1, atrStopMultiple: 2 });
  const closes = [10, 9, 8, 9, 10, 11, 10];

  it('goes long when RSI leaves oversold and short when it leaves overbought', () => {
    // changes: -1, -1, +1, +1, +1, -1 (rows 1..6); Wilder RSI(2):
    // row 2: avgGain 0, avgLoss 1 -> RSI 0
    // row 3: avgGain 0.5, avgLoss 0.5 -> RSI 50      (0 <= 20 < 50: long)
    // row 4: avgGain 0.75, avgLoss 0.25 -> RSI 75
    // row 5: avgGain 0.875, avgLoss 0.125 -> RSI 87.5
    // row 6: avgGain 0.4375, avgLoss 0.5625 -> RSI 100 - 100/(1 + 7/9) = 43.75   (87.5 >= 80 > 43.75: short)
    // row 3: strength 0.5 + 0.5*(50/60) = 11/12; ATR |9-8|+2 = 3; stop 9 - 2*3 = 3
    // row 6: strength 0.5 + 0.5*(43.75/60) = 83/96; ATR |10-11|+2 = 3; stop 10 + 2*3 = 16
    expect(adapter.warmup).toBe(3);
    expectFired(firedRows(adapter, frameFor(adapter, closes)), [
      { i: 3, side: 1, strength: 11 / 12, stopHint: 3, reason: 'rsi-mean-reversion: RSI crossed up through oversold' },
      { i: 6, side: -1, strength: 83 / 96, stopHint: 16, reason: 'rsi-mean-reversion: RSI crossed down through overbought' },
    ]);
  });

  it('gives the same signals when candles arrive one at a time', () => {
    expectNoLookAhead(adapter, closes);
  });

  it('rejects oversold at or above overbought quoting both values', () => {
    expect(() => createRsiMeanReversion({ oversold: 70, overbought: 30 })).toThrow(
      'field "params.oversold" was 70: oversold (70) must be below overbought (30)',
    );
  });

  it('rejects an overbought level of 100', () => {
    expect(() => createRsiMeanReversion({ overbought: 100 })).toThrow('field "params.overbought" was 100: rsi-mean-reversion parameter overbought: must be above 0 and below 100');
  });

  it('rejects an oversold level of 0', () => {
    expect(() => createRsiMeanReversion({ oversold: 0 })).toThrow(ValidationError);
  });
});

describe('createEmaTrend', () => {
  const adapter = createEmaTrend({ period: 3, atrPeriod: 1, atrStopMultiple: 2 });
  const closes = [10, 10, 10, 10, 12, 13, 11, 8, 7];

  it('signals only when the trend state changes to up or down', () => {
    // EMA(3), k = 0.5: 10, 10, 10, 10, 11, 12, 11.5, 9.75, 8.375 (reported from row 2)
    // state: row 3: close 10 = EMA -> 0; row 4: 12 > 11 > 10 -> +1 (change: long);
    //        row 5: 13 > 12 > 11 -> +1 (same); row 6: 11 < 11.5 < 12 -> -1 (change: short); rows 7, 8: -1 (same)
    // row 4: ATR |12-10|+2 = 4; strength 0.5 + 0.5*(|12-11|/4) = 0.625; stop 12 - 2*4 = 4
    // row 6: ATR |11-13|+2 = 4; strength 0.5 + 0.5*(|11-11.5|/4) = 0.5625; stop 11 + 2*4 = 19
    expect(adapter.warmup).toBe(4);
    expectFired(firedRows(adapter, frameFor(adapter, closes)), [
      { i: 4, side: 1, strength: 0.625, stopHint: 4, reason: 'ema-trend: close above a rising EMA' },
      { i: 6, side: -1, strength: 0.5625, stopHint: 19, reason: 'ema-trend: close below a falling EMA' },
    ]);
  });

  it('gives the same signals when candles arrive one at a time', () => {
    expectNoLookAhead(adapter, closes);
  });

  it('rejects a period of 0', () => {
    expect(() => createEmaTrend({ period: 0 })).toThrow('field "params.period" was 0: ema-trend parameter period: must be an integer in 1..10000');
  });
});

describe('createDonchianBreakout', () => {
  const adapter = createDonchianBreakout({ period: 3, atrPeriod: 1 });
  const closes = [10, 11, 12, 11, 14, 12, 9, 8];

  it('goes long on a close above the previous channel high and short below the previous low', () => {
    // highs: 11, 12, 13, 13, 15, 15, 13, 10; lows: 9, 9, 10, 10, 10, 11, 8, 7
    // row 3: upper max(11,12,13) = 13, lower 9; close 11 -> none
    // row 4: upper max(12,13,13) = 13, lower 9; close 14 > 13 -> long; ATR |14-11|+2 = 5;
    //        strength 0.5 + 0.5*((14-13)/5) = 0.6; stop = lower = 9
    // row 5: upper 15, lower 10; close 12 -> none
    // row 6: upper max(13,15,15) = 15, lower min(10,10,11) = 10; close 9 < 10 -> short; ATR |9-12|+2 = 5;
    //        strength 0.5 + 0.5*((10-9)/5) = 0.6; stop = upper = 15
    // row 7: upper 15, lower min(10,11,8) = 8; close 8 is not below 8 -> none
    expect(adapter.warmup).toBe(3);
    expectFired(firedRows(adapter, frameFor(adapter, closes)), [
      { i: 4, side: 1, strength: 0.6, stopHint: 9, reason: 'donchian-breakout: close above the previous channel high' },
      { i: 6, side: -1, strength: 0.6, stopHint: 15, reason: 'donchian-breakout: close below the previous channel low' },
    ]);
  });

  it('gives the same signals when candles arrive one at a time', () => {
    expectNoLookAhead(adapter, closes);
  });
});

describe('built-in strategies in the catalog', () => {
  const catalog = createBuiltInCatalog();
  const STRATEGY_NAMES = catalog.names();

  it('lists the four strategies', () => {
    expect(STRATEGY_NAMES).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout']);
  });

  it('creates every strategy with its defaults when params are undefined', () => {
    for (const name of STRATEGY_NAMES) {
      const adapter = catalog.create(name, undefined);
      expect(adapter.name).toBe(name);
      expect(adapter.version).toBe('1.0.0');
      expect(adapter.config).toEqual(catalog.defaults(name));
    }
  });

  it('fills missing params from the defaults', () => {
    expect(catalog.create('ma-crossover', { fastPeriod: 10 }).config).toEqual({
      fastPeriod: 10,
      slowPeriod: 50,
      atrPeriod: 14,
      atrStopMultiple: 2,
    });
  });

  it('builds one adapter per frozen params object, and a new one for params that can change', () => {
    const frozen = Object.freeze({ fastPeriod: 10 });
    const adapter = catalog.create('ma-crossover', frozen);
    expect(catalog.create('ma-crossover', frozen)).toBe(adapter);
    expect(createBuiltInCatalog().create('ma-crossover', frozen)).toBe(adapter);
    const empty = Object.freeze({});
    expect(catalog.create('ema-trend', empty).name).toBe('ema-trend');
    expect(catalog.create('ma-crossover', empty).name).toBe('ma-crossover');
    const open = { fastPeriod: 10 };
    expect(catalog.create('ma-crossover', open)).not.toBe(catalog.create('ma-crossover', open));
    expect(catalog.create('ma-crossover', open).config).toEqual(adapter.config);
  });

  it('rejects bad frozen params every time', () => {
    const bad = Object.freeze({ fastPeriod: -1 });
    for (let i = 0; i < 2; i++) expect(() => catalog.create('ma-crossover', bad)).toThrow(ValidationError);
  });

  it('rejects an unknown strategy naming the known ones', () => {
    expect(() => catalog.create('foo', {})).toThrow(
      'field "strategy" was "foo": strategy "foo" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout',
    );
    expect(() => catalog.defaults('foo')).toThrow(ValidationError);
  });

  it('rejects a param of the wrong type naming the field', () => {
    const error = (() => {
      try {
        catalog.create('ema-trend', { period: '20' });
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.field).toBe('params.period');
    expect(error?.value).toBe('20');
    expect(error?.message).toBe('field "params.period" was "20": ema-trend parameter period: expected a number');
  });

  it('rejects an unknown param naming it', () => {
    expect(() => catalog.create('donchian-breakout', { period: 20, exitPeriod: 10 })).toThrow(
      'field "params.exitPeriod" was 10: donchian-breakout parameter exitPeriod: unknown field',
    );
  });

  it('rejects params that break a cross-field invariant', () => {
    expect(() => catalog.create('ma-crossover', { fastPeriod: 50, slowPeriod: 20 })).toThrow(
      'field "params.fastPeriod" was 50: fastPeriod (50) must be below slowPeriod (20)',
    );
  });

  it('rejects params that are not an object', () => {
    expect(() => catalog.create('ema-trend', 5)).toThrow(/field "params" was 5/);
  });
});

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const btcFile = path.join(dataDir, 'binance_BTC-USDT_1h.csv');

describe('default adapters on real BTC/USDT 1h candles', () => {
  if (!fs.existsSync(btcFile)) {
    it('needs nothing when the shared data is absent', () => {
      console.log(`shared data not found at ${btcFile}: real-data suite not run`);
    });
    return;
  }

  const rowsOf = fs
    .readFileSync(btcFile, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const catalog = createBuiltInCatalog();
  const adapters = catalog.names().map((name) => catalog.create(name, undefined));

  it('fire only after warm-up, with strength in 0.5..1 and stops on the protective side of the close', () => {
    const fx = createFeatureExtractor(featureConfigFor(adapters), 256);
    const outs = adapters.map(() => createAdapterOutput());
    const streamed: string[] = [];
    let fired = 0;
    for (const [t, o, h, l, c, v] of rowsOf) {
      fx.push(t, o, h, l, c, v);
      const i = fx.length - 1;
      adapters.forEach((adapter, k) => {
        const out = outs[k];
        adapter.evaluate(fx, i, out);
        streamed.push(`${out.side}|${out.strength}|${out.stopHint}|${out.reason}`);
        if (out.side === 0) return;
        fired++;
        expect(i).toBeGreaterThanOrEqual(adapter.warmup);
        expect(out.strength).toBeGreaterThanOrEqual(0.5);
        expect(out.strength).toBeLessThanOrEqual(1);
        if (out.side === 1) expect(out.stopHint).toBeLessThan(c);
        else expect(out.stopHint).toBeGreaterThan(c);
      });
    }
    expect(fired).toBeGreaterThan(100);
    // Re-evaluating every row on the finished frame gives the same outputs: no adapter reads ahead.
    const after: string[] = [];
    for (let i = 0; i < fx.length; i++) {
      adapters.forEach((adapter, k) => {
        const out = outs[k];
        adapter.evaluate(fx, i, out);
        after.push(`${out.side}|${out.strength}|${out.stopHint}|${out.reason}`);
      });
    }
    expect(after).toEqual(streamed);
  });
});
