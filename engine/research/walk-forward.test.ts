import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { degradation, MAX_WALK_FORWARD_WINDOWS, stitchOutOfSample, walkForwardWindows, type WalkForwardConfig, type WalkForwardWindow } from './walk-forward';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function caught(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const base: WalkForwardConfig = { fromMs: 0, toMs: 100, inSampleMs: 30, outOfSampleMs: 10, mode: 'rolling', timeframeMs: 1, warmupCandles: 5 };
const spans = (windows: WalkForwardWindow[]) => windows.map((w) => [w.inSample.fromMs, w.inSample.toMs, w.outOfSample.fromMs, w.outOfSample.toMs]);

describe('walkForwardWindows', () => {
  it('rolls a fixed in-sample window forward by the out-of-sample length', () => {
    // IS ends at 30 + 10k, OOS ends at 40 + 10k <= 100 -> k = 0..6: 7 windows.
    expect(spans(walkForwardWindows(base))).toEqual([
      [0, 30, 30, 40],
      [10, 40, 40, 50],
      [20, 50, 50, 60],
      [30, 60, 60, 70],
      [40, 70, 70, 80],
      [50, 80, 80, 90],
      [60, 90, 90, 100],
    ]);
  });

  it('anchors every in-sample window at the start of the range', () => {
    const windows = walkForwardWindows({ ...base, mode: 'anchored' });
    expect(spans(windows).slice(0, 2)).toEqual([
      [0, 30, 30, 40],
      [0, 40, 40, 50],
    ]);
    expect(spans(windows)[6]).toEqual([0, 90, 90, 100]);
    expect(windows.map((w) => w.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('moves by a longer step leaving gaps, and drops a remainder shorter than a window', () => {
    // OOS ends at 40 + 20k <= 100 -> k = 0..3
    expect(spans(walkForwardWindows({ ...base, stepMs: 20 }))).toEqual([
      [0, 30, 30, 40],
      [20, 50, 50, 60],
      [40, 70, 70, 80],
      [60, 90, 90, 100],
    ]);
    // 105: the last 5 ms cannot hold another 10 ms OOS window.
    expect(walkForwardWindows({ ...base, toMs: 105 })).toHaveLength(7);
  });

  it('lays out a realistic daily walk-forward: 90 days in sample, 30 out, over a year', () => {
    const windows = walkForwardWindows({ fromMs: 0, toMs: 365 * DAY, inSampleMs: 90 * DAY, outOfSampleMs: 30 * DAY, mode: 'rolling', timeframeMs: HOUR, warmupCandles: 200 });
    // 90 + 30(k + 1) <= 365 -> k <= 8.16: 9 windows; OOS covers days 90..360.
    expect(windows).toHaveLength(9);
    expect(windows[8].outOfSample).toEqual({ fromMs: 330 * DAY, toMs: 360 * DAY });
  });

  it('refuses an in-sample window not longer than the warm-up, naming its length and the warm-up in candles', () => {
    // 2 days of 1h candles = 48 candles <= a warm-up of 50
    const error = caught(() => walkForwardWindows({ fromMs: 0, toMs: 30 * DAY, inSampleMs: 2 * DAY, outOfSampleMs: DAY, mode: 'rolling', timeframeMs: HOUR, warmupCandles: 50 }));
    expect(error.field).toBe('inSampleMs');
    expect(error.value).toBe(2 * DAY);
    expect(error.message).toBe(`field "inSampleMs" was ${2 * DAY}: the in-sample window holds 48 candles of 3600000 ms, not more than the strategy's warm-up of 50 candles (180000000 ms)`);
    expect(caught(() => walkForwardWindows({ ...base, warmupCandles: 30 })).field).toBe('inSampleMs');
    expect(walkForwardWindows({ ...base, warmupCandles: 29 })).toHaveLength(7);
  });

  it('refuses a bad range, mode, step or window, naming the field and the value', () => {
    const refused = (patch: Partial<WalkForwardConfig>) => {
      const error = caught(() => walkForwardWindows({ ...base, ...patch }));
      return [error.field, error.value];
    };
    expect(refused({ toMs: 0 })).toEqual(['toMs', 0]);
    // 30 + 10 > 39: no full window
    expect(refused({ toMs: 39 })).toEqual(['toMs', 39]);
    expect(refused({ stepMs: 5 })).toEqual(['stepMs', 5]);
    expect(refused({ mode: 'sliding' as never })).toEqual(['mode', 'sliding']);
    expect(refused({ outOfSampleMs: 0 })).toEqual(['outOfSampleMs', 0]);
    expect(refused({ outOfSampleMs: 10, timeframeMs: 11, warmupCandles: 0, inSampleMs: 33 })).toEqual(['outOfSampleMs', 10]);
    expect(refused({ inSampleMs: 1.5 })).toEqual(['inSampleMs', 1.5]);
    expect(refused({ warmupCandles: -1 })).toEqual(['warmupCandles', -1]);
    expect(refused({ fromMs: NaN })).toEqual(['fromMs', NaN]);
    // (10^6 - 30 - 10) / 10 + 1 = 99997 windows
    expect(refused({ toMs: 1_000_000 })).toEqual(['outOfSampleMs', 10]);
    expect(MAX_WALK_FORWARD_WINDOWS).toBe(1000);
  });

  it('never overlaps in-sample and out-of-sample windows (property)', { timeout: 30_000 }, () => {
    const configArb = fc
      .record({
        fromMs: fc.integer({ min: -1e12, max: 1e12 }),
        timeframeMs: fc.integer({ min: 1, max: 1000 }),
        warmupCandles: fc.integer({ min: 0, max: 50 }),
        extraInSampleCandles: fc.integer({ min: 1, max: 100 }),
        inSampleRemainderMs: fc.integer({ min: 0, max: 999 }),
        outOfSampleCandles: fc.integer({ min: 1, max: 50 }),
        gapMs: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
        windows: fc.integer({ min: 1, max: 40 }),
        tailMs: fc.integer({ min: 0, max: 5000 }),
        mode: fc.constantFrom('rolling' as const, 'anchored' as const),
      })
      .map((r) => {
        const inSampleMs = (r.warmupCandles + r.extraInSampleCandles) * r.timeframeMs + (r.inSampleRemainderMs % r.timeframeMs);
        const outOfSampleMs = r.outOfSampleCandles * r.timeframeMs;
        const stepMs = r.gapMs === undefined ? undefined : outOfSampleMs + r.gapMs;
        // The tail stays shorter than one step, so the range holds exactly `windows` windows (a longer tail on
        // 1 ms candles could add over a thousand and hit MAX_WALK_FORWARD_WINDOWS).
        const toMs = r.fromMs + inSampleMs + outOfSampleMs + (r.windows - 1) * (stepMs ?? outOfSampleMs) + (r.tailMs % (stepMs ?? outOfSampleMs));
        return { fromMs: r.fromMs, toMs, inSampleMs, outOfSampleMs, stepMs, mode: r.mode, timeframeMs: r.timeframeMs, warmupCandles: r.warmupCandles } satisfies WalkForwardConfig;
      });
    fc.assert(
      fc.property(configArb, (config) => {
        const windows = walkForwardWindows(config);
        expect(windows.length).toBeGreaterThanOrEqual(1);
        windows.forEach((w, k) => {
          const { inSample: is, outOfSample: oos } = w;
          // Non-empty half-open intervals, OOS right after IS (so they never overlap).
          expect(is.fromMs).toBeLessThan(is.toMs);
          expect(oos.fromMs).toBeLessThan(oos.toMs);
          expect(oos.fromMs).toBe(is.toMs);
          expect(is.toMs <= oos.fromMs || oos.toMs <= is.fromMs).toBe(true);
          // Within [fromMs, toMs).
          expect(is.fromMs).toBeGreaterThanOrEqual(config.fromMs);
          expect(oos.toMs).toBeLessThanOrEqual(config.toMs);
          expect(oos.toMs - oos.fromMs).toBe(config.outOfSampleMs);
          if (config.mode === 'anchored') expect(is.fromMs).toBe(config.fromMs);
          else expect(is.toMs - is.fromMs).toBe(config.inSampleMs);
          if (k > 0) {
            const previous = windows[k - 1].outOfSample;
            // OOS windows never overlap; back to back with the default step.
            expect(previous.toMs).toBeLessThanOrEqual(oos.fromMs);
            if (config.stepMs === undefined) expect(oos.fromMs).toBe(previous.toMs);
          }
        });
        // No further full window fits.
        const last = windows[windows.length - 1].outOfSample;
        expect(last.toMs + (config.stepMs ?? config.outOfSampleMs)).toBeGreaterThan(config.toMs);
        // No in-sample window reaches into its own or any later out-of-sample window (no look-ahead).
        windows.forEach((w, k) => {
          for (let j = k; j < windows.length; j++) expect(w.inSample.toMs).toBeLessThanOrEqual(windows[j].outOfSample.fromMs);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('stitchOutOfSample', () => {
  const a = [
    { timeMs: 0, equity: 100 },
    { timeMs: 1, equity: 110 },
    { timeMs: 2, equity: 99 },
  ];
  const b = [
    { timeMs: 3, equity: 200 },
    { timeMs: 4, equity: 220 },
    { timeMs: 5, equity: 180 },
  ];

  it('rescales each window to start where the previous ended, compounding their returns', () => {
    const stitched = stitchOutOfSample([a, b, [{ timeMs: 5, equity: 50 }, { timeMs: 6, equity: 55 }]]);
    // b scaled by 99 / 200 = 0.495: 99, 108.9, 89.1; the third window starts at 5 like b's end (dropped),
    // scaled by 89.1 / 50 = 1.782: 55 * 1.782 = 98.01.
    expect(stitched.map((p) => p.timeMs)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const expected = [100, 110, 99, 99, 108.9, 89.1, 98.01];
    stitched.forEach((p, i) => expect(p.equity).toBeCloseTo(expected[i], 10));
    // Total return = product of window returns: 0.99 * 0.9 * 1.1 - 1 = -0.0199
    expect(stitched[6].equity / stitched[0].equity - 1).toBeCloseTo(-0.0199, 12);
  });

  it('starts at a given equity', () => {
    const stitched = stitchOutOfSample([a, b], 1000);
    // a scaled by 10: 1000, 1100, 990; b by 990 / 200 = 4.95: 990, 1089, 891
    const expected = [1000, 1100, 990, 990, 1089, 891];
    stitched.forEach((p, i) => expect(p.equity).toBeCloseTo(expected[i], 9));
    expect(stitchOutOfSample([])).toEqual([]);
  });

  it('refuses an empty curve, a zero start, a bad equity and times that go back', () => {
    const refused = (curves: Parameters<typeof stitchOutOfSample>[0], start?: number) => {
      const error = caught(() => stitchOutOfSample(curves, start));
      return [error.field, error.value];
    };
    expect(refused([a, []])).toEqual(['equityCurves.1', 0]);
    expect(refused([a, [{ timeMs: 3, equity: 0 }]])).toEqual(['equityCurves.1.0.equity', 0]);
    expect(refused([a, [{ timeMs: 3, equity: 5 }, { timeMs: 4, equity: NaN }]])).toEqual(['equityCurves.1.1.equity', NaN]);
    expect(refused([a, [{ timeMs: 1, equity: 5 }]])).toEqual(['equityCurves.1.0.timeMs', 1]);
    expect(refused([[{ timeMs: 1, equity: 5 }, { timeMs: 1, equity: 6 }]])).toEqual(['equityCurves.0.1.timeMs', 1]);
    expect(refused([a], 0)).toEqual(['startEquity', 0]);
  });
});

describe('degradation', () => {
  it('compares each window out of sample with in sample, ignoring windows with a non-positive in-sample score', () => {
    const result = degradation([2, 1, 0, 1.5], [1, 1.5, 0.3, -0.3]);
    // 1/2 = 0.5, 1.5/1 = 1.5, IS 0 -> NaN, -0.3/1.5 = -0.2
    expect(result.ratios[0]).toBe(0.5);
    expect(result.ratios[1]).toBe(1.5);
    expect(result.ratios[2]).toBeNaN();
    expect(result.ratios[3]).toBeCloseTo(-0.2, 12);
    // (0.5 + 1.5 - 0.2) / 3 = 0.6
    expect(result.meanRatio).toBeCloseTo(0.6, 12);
    // (2 + 1 + 0 + 1.5) / 4 = 1.125; (1 + 1.5 + 0.3 - 0.3) / 4 = 0.625
    expect(result.meanInSample).toBe(1.125);
    expect(result.meanOutOfSample).toBe(0.625);
  });

  it('gives NaN without a usable window and refuses lists of different lengths', () => {
    expect(degradation([-1], [1]).meanRatio).toBeNaN();
    expect(degradation([], []).meanInSample).toBeNaN();
    expect(caught(() => degradation([1, 2], [1])).message).toBe('field "outOfSample" was 1: expected one out-of-sample score per in-sample score (2)');
  });
});
