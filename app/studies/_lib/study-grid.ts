/**
 * Pure helpers of the studies page: which parameters a study varied, the heatmap over two of them
 * (best objective per pair of values), its colour scale, and the results table's ordering. No React,
 * so they are unit-tested directly.
 */

/** The part of a trial these helpers read (a `StudyView` trial). */
export interface TrialPoint {
  index: number;
  params: Record<string, unknown>;
  /** Null when the trial scored nothing (below the minimum trade count, or an undefined metric). */
  objective: number | null;
}

/** A parameter value as a heatmap axis shows it. */
export type AxisValue = number | boolean | string;

const isAxisValue = (v: unknown): v is AxisValue => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';

/** Numbers ascending, then booleans (false first), then strings alphabetically. */
function compareAxisValues(a: AxisValue, b: AxisValue): number {
  const rank = (v: AxisValue) => (typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The distinct values a parameter took over the trials, sorted (numbers ascending). */
export function axisValues(trials: readonly TrialPoint[], param: string): AxisValue[] {
  const seen = new Map<string, AxisValue>();
  for (const t of trials) {
    const v = t.params[param];
    if (isAxisValue(v)) seen.set(`${typeof v}:${String(v)}`, v);
  }
  return [...seen.values()].sort(compareAxisValues);
}

/** Parameters that took at least two values over the trials (the ones a heatmap can spread out), in first-seen order. */
export function variedParams(trials: readonly TrialPoint[]): string[] {
  const names: string[] = [];
  for (const t of trials) for (const name of Object.keys(t.params)) if (!names.includes(name)) names.push(name);
  return names.filter((name) => axisValues(trials, name).length >= 2);
}

/**
 * The heatmap's axes: the trader's choices where they are still among the varied parameters and distinct, else the
 * first varied parameter for x and the first other one for y. Derived on every render, not kept: a running study's page
 * first shows a few trials (one parameter varied so far) and then all of them, and axes fixed at the first render
 * would stay on that one parameter.
 */
export function heatmapAxes(params: readonly string[], chosen: { x: string | null; y: string | null }): { x: string; y: string } {
  const x = chosen.x !== null && params.includes(chosen.x) ? chosen.x : (params.find((p) => p !== chosen.y) ?? params[0] ?? '');
  const y = chosen.y !== null && chosen.y !== x && params.includes(chosen.y) ? chosen.y : (params.find((p) => p !== x) ?? x);
  return { x, y };
}

/** One heatmap: `cells[row][column]` is the best objective of the trials with `y = rows[row]` and `x = columns[column]` (null: none scored, or no such trial). */
export interface Heatmap {
  x: string;
  y: string;
  columns: AxisValue[];
  rows: AxisValue[];
  cells: (number | null)[][];
  /** How many trials each cell covers (other parameters vary within a cell). */
  counts: number[][];
  /** Lowest and highest cell value (null when no cell has one). */
  min: number | null;
  max: number | null;
}

const keyOf = (v: unknown) => `${typeof v}:${String(v)}`;

/**
 * The best (highest) objective for every pair of values of parameters `x` and `y` over the trials;
 * trials without a score count in `counts` but not in `cells`.
 */
export function heatmapOf(trials: readonly TrialPoint[], x: string, y: string): Heatmap {
  const columns = axisValues(trials, x);
  const rows = axisValues(trials, y);
  const columnOf = new Map(columns.map((v, i) => [keyOf(v), i]));
  const rowOf = new Map(rows.map((v, i) => [keyOf(v), i]));
  const cells: (number | null)[][] = rows.map(() => columns.map(() => null));
  const counts: number[][] = rows.map(() => columns.map(() => 0));
  let min: number | null = null;
  let max: number | null = null;
  for (const t of trials) {
    const c = columnOf.get(keyOf(t.params[x]));
    const r = rowOf.get(keyOf(t.params[y]));
    if (c === undefined || r === undefined) continue;
    counts[r][c] += 1;
    const value = t.objective;
    if (value === null || !Number.isFinite(value)) continue;
    const current = cells[r][c];
    if (current === null || value > current) cells[r][c] = value;
  }
  for (const row of cells) {
    for (const v of row) {
      if (v === null) continue;
      min = min === null ? v : Math.min(min, v);
      max = max === null ? v : Math.max(max, v);
    }
  }
  return { x, y, columns, rows, cells, counts, min, max };
}

/** Low (worst) and high (best) ends of the colour scale, as RGB. */
const LOW: readonly [number, number, number] = [215, 48, 39];
const MID: readonly [number, number, number] = [254, 224, 139];
const HIGH: readonly [number, number, number] = [26, 152, 80];

/** Where a value lies between min and max, 0..1 (0.5 when the range is a single value). */
export function scalePosition(value: number, min: number, max: number): number {
  if (max <= min) return 0.5;
  return Math.min(1, Math.max(0, (value - min) / (max - min)));
}

/** The cell colour of a scale position 0..1: red (worst) through yellow to green (best), as `rgb(r, g, b)`. */
export function scaleColor(position: number): string {
  const p = Math.min(1, Math.max(0, position));
  const [from, to, t] = p < 0.5 ? [LOW, MID, p / 0.5] : [MID, HIGH, (p - 0.5) / 0.5];
  const channel = (i: number) => Math.round(from[i] + (to[i] - from[i]) * t);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}

/** WCAG relative luminance of an sRGB colour (0 black .. 1 white). */
function luminance(rgb: readonly number[]): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The text colour (black or white) with the higher contrast on the cell colour of a scale position. */
export function scaleTextColor(position: number): '#000' | '#fff' {
  const rgb = /rgb\((\d+), (\d+), (\d+)\)/.exec(scaleColor(position))!.slice(1).map(Number);
  const l = luminance(rgb);
  // Contrast ratios (L1 + 0.05) / (L2 + 0.05) against black (L 0) and white (L 1).
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff';
}

/** A results-table column the user can sort by. */
export type TrialSortKey = 'objective' | 'netProfit' | 'sharpe' | 'maxDrawdownPct' | 'trades' | 'index';

/**
 * The trials ordered by `key` (`desc`: highest first), missing values (null, NaN) last either way, ties
 * by trial index; a new array.
 */
export function sortTrials<T extends { index: number; objective: number | null; metrics?: object | null }>(trials: readonly T[], key: TrialSortKey, direction: 'asc' | 'desc'): T[] {
  const valueOf = (t: T): number | null => {
    const raw = key === 'objective' ? t.objective : key === 'index' ? t.index : (t.metrics as Record<string, unknown> | null | undefined)?.[key];
    return typeof raw === 'number' && !Number.isNaN(raw) ? raw : null;
  };
  const sign = direction === 'asc' ? 1 : -1;
  return [...trials].sort((a, b) => {
    const va = valueOf(a);
    const vb = valueOf(b);
    if (va === null || vb === null) return va === vb ? a.index - b.index : va === null ? 1 : -1;
    return va === vb ? a.index - b.index : sign * (va - vb);
  });
}

/** `fastPeriod 10, slowPeriod 40` (the params of a trial in one line, in their own order). */
export function describeParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
