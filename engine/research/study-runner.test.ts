import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import type { StudyTrialRecord } from '../ports/studies';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { deflatedSharpeRatio, probabilityOfBacktestOverfitting } from './overfitting';
import { halvingRungs, overfittingOf, resolveStudyRequest, searchEvaluations, studyTrialTotal, studyWindows, trialKey } from './study-runner';
import { dailyReturnsOf, lowerBound, scoreOf } from './study-trial';

const DAY = 86_400_000;

const trial = (index: number, dailyReturns: number[], score: number | null = index): StudyTrialRecord => ({
  studyId: 's',
  key: trialKey('full', null, null, index),
  index,
  params: { p: index },
  window: null,
  sample: 'full',
  rung: null,
  fromMs: 0,
  toMs: dailyReturns.length * DAY,
  metrics: { netProfit: 0, sharpe: null, sortino: null, calmar: null, profitFactor: null, maxDrawdownPct: 0, trades: 1, winRate: null },
  score,
  dailyReturns,
  equity: null,
});

describe('study runner helpers', () => {
  it('keys trials by sample, window, rung and candidate', () => {
    expect(trialKey('full', null, null, 7)).toBe('full:-:-:7');
    expect(trialKey('in', 2, 1, 0)).toBe('in:2:1:0');
  });

  it('counts halving rungs and evaluations: 9 candidates -> 9 + 3 + 1, 100 -> 100 + 33 + 11 + 3 (4 rungs at most)', () => {
    expect([1, 2, 3, 8, 9, 26, 27, 100, 1000].map(halvingRungs)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 4]);
    expect(searchEvaluations('halving', 9)).toBe(13);
    expect(searchEvaluations('halving', 100)).toBe(147);
    expect(searchEvaluations('grid', 100)).toBe(100);
  });

  it('ranks +Infinity as the largest stored number and refuses -Infinity and NaN', () => {
    expect([scoreOf(1.5), scoreOf(Infinity), scoreOf(-Infinity), scoreOf(NaN)]).toEqual([1.5, Number.MAX_VALUE, null, null]);
  });

  it('reads daily returns from the last point of each UTC day', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const equity = [
      { timeMs: t0, equity: 100 },
      { timeMs: t0 + 12 * 3_600_000, equity: 110 },
      { timeMs: t0 + DAY, equity: 99 },
      { timeMs: t0 + DAY + 1, equity: 121 },
      { timeMs: t0 + 3 * DAY, equity: 121 },
    ];
    // Day 1 ends at 110 (from 100), day 2 at 121 (from 110), day 4 at 121 (day 3 has no point).
    expect(dailyReturnsOf(equity, 100)).toEqual([110 / 100 - 1, 121 / 110 - 1, 0]);
  });

  it('finds the first open time at or after a time', () => {
    const times = Float64Array.from([10, 20, 30]);
    expect([5, 10, 11, 30, 31].map((t) => lowerBound(times, 3, t))).toEqual([0, 0, 1, 2, 3]);
  });
});

describe('overfitting guards of a study', () => {
  it('computes PBO on the latest days that fill 10 groups, and the deflated Sharpe of the best trial from the pool', () => {
    // 4 trials over 23 days: 10 partitions use the latest 20 days.
    const series = [0, 1, 2, 3].map((n) => Array.from({ length: 23 }, (_, t) => Math.sin(t * (n + 1) * 0.7) * 0.01 + n * 0.001));
    const pool = series.map((returns, n) => trial(n, returns));
    const view = overfittingOf(pool, pool[3]);
    const matrix = Array.from({ length: 20 }, (_, t) => series.map((s) => s[t + 3]));
    const expected = probabilityOfBacktestOverfitting(matrix, { partitions: 10 });
    expect(view.pbo).toEqual({
      value: expected.probability,
      partitions: 10,
      combinations: 252,
      probabilityOfLoss: expected.probabilityOfLoss,
      level: expected.verdict.level,
      verdict: expected.verdict.message,
    });
    // Per-day Sharpe of each trial: mean / sample standard deviation.
    const sharpe = (r: number[]) => {
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      return mean / Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    };
    const sharpes = series.map(sharpe);
    const meanSharpe = sharpes.reduce((a, b) => a + b, 0) / 4;
    const variance = sharpes.reduce((a, b) => a + (b - meanSharpe) ** 2, 0) / 3;
    const best = series[3];
    const m = best.reduce((a, b) => a + b, 0) / best.length;
    const moment = (k: number) => best.reduce((a, b) => a + (b - m) ** k, 0) / best.length;
    const dsr = deflatedSharpeRatio({ sharpe: sharpes[3], trials: 4, sharpeVariance: variance, observations: 23, skewness: moment(3) / moment(2) ** 1.5, kurtosis: moment(4) / moment(2) ** 2 });
    expect(view.deflatedSharpe).toEqual({ probability: dsr.probability, expectedMaxSharpe: dsr.expectedMaxSharpe, sharpe: sharpes[3], trials: 4, level: dsr.verdict.level, verdict: dsr.verdict.message });
    expect(view.pboUnavailable).toBeNull();
  });

  it('says why a guard is unavailable: one trial, too few days, no scoring trial', () => {
    expect(overfittingOf([trial(0, [0.01, -0.01, 0.02, 0])], null)).toEqual({
      pbo: null,
      pboUnavailable: 'needs at least 2 trials',
      deflatedSharpe: null,
      deflatedSharpeUnavailable: 'no trial scored',
    });
    expect(overfittingOf([trial(0, [0.01, 0.02]), trial(1, [0.02, 0.01])], null).pboUnavailable).toBe('needs at least 4 days of returns; the trials span 2');
  });
});

describe('study walk-forward windows', () => {
  it('never overlap in and out of sample, and out-of-sample windows never overlap one another (property)', { timeout: 60_000 }, async () => {
    const catalog = createBuiltInCatalog();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          mode: fc.constantFrom('rolling' as const, 'anchored' as const),
          inSampleDays: fc.integer({ min: 15, max: 60 }),
          outOfSampleDays: fc.integer({ min: 1, max: 30 }),
          extraStepDays: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
          extraRangeDays: fc.integer({ min: 0, max: 300 }),
        }),
        async ({ mode, inSampleDays, outOfSampleDays, extraStepDays, extraRangeDays }) => {
          const rangeDays = inSampleDays + outOfSampleDays + extraRangeDays;
          const from = Date.UTC(2024, 0, 1);
          const resolved = await resolveStudyRequest(
            {
              exchange: 'x',
              symbol: 'BTC/USDT',
              timeframe: '1h',
              from,
              to: from + rangeDays * DAY,
              strategy: 'ma-crossover',
              space: { fastPeriod: { values: [5, 10] }, slowPeriod: 30, atrPeriod: 14, atrStopMultiple: 2 },
              walkForward: { mode, inSampleDays, outOfSampleDays, ...(extraStepDays === undefined ? {} : { stepDays: outOfSampleDays + extraStepDays }) },
            },
            { catalog },
          );
          const windows = studyWindows(resolved);
          expect(windows.length).toBeGreaterThan(0);
          expect(studyTrialTotal(resolved, windows.length)).toBe(2 + windows.length * 3);
          windows.forEach((w, k) => {
            expect(w.inSample.toMs).toBeLessThanOrEqual(w.outOfSample.fromMs);
            expect(w.inSample.fromMs).toBeGreaterThanOrEqual(from);
            expect(w.outOfSample.toMs).toBeLessThanOrEqual(from + rangeDays * DAY);
            if (k > 0) expect(windows[k - 1].outOfSample.toMs).toBeLessThanOrEqual(w.outOfSample.fromMs);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the market symbol of a study request', () => {
  const request = { exchange: 'x', timeframe: '1h', from: '2024-01-01', to: '2024-03-01', strategy: 'ma-crossover', space: { fastPeriod: { values: [5, 10] }, slowPeriod: 30, atrPeriod: 14, atrStopMultiple: 2 } };
  const catalog = createBuiltInCatalog();

  it('refuses a symbol outside the one rule (upper-case BASE/QUOTE), naming the field and the value; takes BTC/USDT', async () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      const error = await resolveStudyRequest({ ...request, symbol: bad }, { catalog }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'symbol', value: bad, message: `field "symbol" was "${bad}": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)` });
    }
    expect((await resolveStudyRequest({ ...request, symbol: 'BTC/USDT' }, { catalog })).symbol).toBe('BTC/USDT');
  });
});
