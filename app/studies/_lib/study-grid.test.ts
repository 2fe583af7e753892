import { describe, expect, it } from 'vitest';
import { axisValues, describeParams, heatmapAxes, heatmapOf, scaleColor, scaleTextColor, scalePosition, sortTrials, variedParams, type TrialPoint } from './study-grid';

/** A 2 × 2 grid of (fast, slow) with a third parameter varying inside each cell. */
const TRIALS: TrialPoint[] = [
  { index: 0, params: { fast: 10, slow: 40, atr: 14 }, objective: 0.5 },
  { index: 1, params: { fast: 10, slow: 40, atr: 20 }, objective: 1.25 },
  { index: 2, params: { fast: 5, slow: 40, atr: 14 }, objective: -0.75 },
  { index: 3, params: { fast: 5, slow: 60, atr: 14 }, objective: null },
  { index: 4, params: { fast: 10, slow: 60, atr: 14 }, objective: 2 },
  { index: 5, params: { fast: 10, slow: 60, atr: 20 }, objective: null },
];

describe('study grid helpers', () => {
  it('lists the distinct values of a parameter in ascending order', () => {
    expect(axisValues(TRIALS, 'fast')).toEqual([5, 10]);
    expect(axisValues([{ index: 0, params: { on: true }, objective: 1 }, { index: 1, params: { on: false }, objective: 1 }], 'on')).toEqual([false, true]);
  });

  it('lists only the parameters that took two or more values', () => {
    const trials: TrialPoint[] = [
      { index: 0, params: { fast: 5, slow: 40, mode: 'x' }, objective: 1 },
      { index: 1, params: { fast: 10, slow: 40, mode: 'x' }, objective: 1 },
    ];
    expect(variedParams(trials)).toEqual(['fast']);
    expect(variedParams(TRIALS)).toEqual(['fast', 'slow', 'atr']);
  });

  it('puts the best objective of each pair in its cell, skipping unscored trials', () => {
    const map = heatmapOf(TRIALS, 'fast', 'slow');
    expect(map.columns).toEqual([5, 10]);
    expect(map.rows).toEqual([40, 60]);
    // slow 40: fast 5 -> only -0.75; fast 10 -> max(0.5, 1.25) = 1.25.
    // slow 60: fast 5 -> only an unscored trial -> null; fast 10 -> max(2, unscored) = 2.
    expect(map.cells).toEqual([
      [-0.75, 1.25],
      [null, 2],
    ]);
    expect(map.counts).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(map.min).toBe(-0.75);
    expect(map.max).toBe(2);
  });

  it('reports no range when no trial scored', () => {
    const map = heatmapOf([{ index: 0, params: { a: 1, b: 2 }, objective: null }], 'a', 'b');
    expect(map.cells).toEqual([[null]]);
    expect(map.min).toBeNull();
    expect(map.max).toBeNull();
  });

  it('places a value on the scale between the lowest and highest cell', () => {
    expect(scalePosition(-0.75, -0.75, 2)).toBe(0);
    expect(scalePosition(2, -0.75, 2)).toBe(1);
    // (0.625 - -0.75) / 2.75 = 0.5
    expect(scalePosition(0.625, -0.75, 2)).toBe(0.5);
    expect(scalePosition(3, 3, 3)).toBe(0.5);
  });

  it('colours the worst cell red, the middle yellow and the best green', () => {
    expect(scaleColor(0)).toBe('rgb(215, 48, 39)');
    expect(scaleColor(0.5)).toBe('rgb(254, 224, 139)');
    expect(scaleColor(1)).toBe('rgb(26, 152, 80)');
    // A quarter: halfway from red to yellow: (215+254)/2 = 234.5 -> 235, (48+224)/2 = 136, (39+139)/2 = 89.
    expect(scaleColor(0.25)).toBe('rgb(235, 136, 89)');
  });

  it('writes black on light cells and white on the dark red end', () => {
    // Red rgb(215, 48, 39): luminance 0.2126·0.6795 + 0.7152·0.0296 + 0.0722·0.0203 = 0.1671;
    // against black 0.2171 / 0.05 = 4.34, against white 1.05 / 0.2171 = 4.84 -> white.
    expect(scaleTextColor(0)).toBe('#fff');
    // Yellow rgb(254, 224, 139): luminance about 0.76 -> black (16.2 against 1.3).
    expect(scaleTextColor(0.5)).toBe('#000');
    // Green rgb(26, 152, 80): luminance 0.2126·0.0103 + 0.7152·0.3139 + 0.0722·0.0802 = 0.2326 -> black 5.65 against white 3.72.
    expect(scaleTextColor(1)).toBe('#000');
  });

  it('sorts trials by objective with unscored trials last in both directions', () => {
    expect(sortTrials(TRIALS, 'objective', 'desc').map((t) => t.index)).toEqual([4, 1, 0, 2, 3, 5]);
    expect(sortTrials(TRIALS, 'objective', 'asc').map((t) => t.index)).toEqual([2, 0, 1, 4, 3, 5]);
  });

  it('sorts trials by a metric, ties by trial index', () => {
    const trials = [
      { index: 0, objective: 1, metrics: { trades: 7 } },
      { index: 1, objective: 1, metrics: { trades: 3 } },
      { index: 2, objective: 1, metrics: { trades: 7 } },
      { index: 3, objective: 1, metrics: { trades: null } },
    ];
    expect(sortTrials(trials, 'trades', 'desc').map((t) => t.index)).toEqual([0, 2, 1, 3]);
    expect(sortTrials(trials, 'trades', 'asc').map((t) => t.index)).toEqual([1, 0, 2, 3]);
  });

  it('describes a trial’s params in one line', () => {
    expect(describeParams({ fastPeriod: 10, slowPeriod: 40, on: true })).toBe('fastPeriod 10, slowPeriod 40, on true');
  });
});

describe('heatmapAxes', () => {
  it('takes the first two varied parameters until the trader chooses, and follows the trials of a running study', () => {
    const none = { x: null, y: null };
    // A running study's first trials varied one parameter; once all are in, both axes are there.
    expect(heatmapAxes(['fast'], none)).toEqual({ x: 'fast', y: 'fast' });
    expect(heatmapAxes(['fast', 'slow', 'atr'], none)).toEqual({ x: 'fast', y: 'slow' });
    // The trader's choices hold while they are varied and distinct.
    expect(heatmapAxes(['fast', 'slow', 'atr'], { x: 'atr', y: null })).toEqual({ x: 'atr', y: 'fast' });
    expect(heatmapAxes(['fast', 'slow', 'atr'], { x: 'slow', y: 'atr' })).toEqual({ x: 'slow', y: 'atr' });
    expect(heatmapAxes(['fast', 'slow', 'atr'], { x: null, y: 'fast' })).toEqual({ x: 'slow', y: 'fast' });
    // A choice no longer varied, or equal to the other axis, falls back.
    expect(heatmapAxes(['fast', 'slow'], { x: 'atr', y: 'slow' })).toEqual({ x: 'fast', y: 'slow' });
    expect(heatmapAxes(['fast', 'slow'], { x: 'slow', y: 'slow' })).toEqual({ x: 'slow', y: 'fast' });
    expect(heatmapAxes([], none)).toEqual({ x: '', y: '' });
  });
});
