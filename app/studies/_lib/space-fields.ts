/**
 * The "New study" form's per-parameter inputs: each parameter of the chosen strategy is searched over
 * a range (min, max, step), a list of values, or held at one value. The page prefills them from the
 * engine's own derived search space (`searchSpaceFromCatalog`: the schema's bounds and default steps),
 * a numeric range narrowed to five values around the saved setting (see {@link rangeAround}), and the
 * form turns them back into the request's `space` narrowing. Field names follow the engine's
 * error fields (`space.fastPeriod.min`), so a refused bound shows next to its input.
 */

/** How one parameter is searched. */
export type SpaceMode = 'range' | 'values' | 'fixed';

/** One parameter's inputs as the form shows them (all text, as typed). */
export interface SpaceField {
  name: string;
  /** `integer`/`number` allow a range; others only values or a fixed value. */
  kind: 'number' | 'integer' | 'boolean' | 'enum' | 'text';
  mode: SpaceMode;
  min: string;
  max: string;
  step: string;
  /** Comma-separated values. */
  values: string;
  /** The fixed value (the saved setting, else the default). */
  fixed: string;
  description?: string;
}

/** A dimension of the engine's derived space (the subset of `SearchDimension` the form reads). */
export type DerivedDimension =
  | { name: string; kind: 'range'; min: number; max: number; step: number; integer: boolean }
  | { name: string; kind: 'values'; values: readonly unknown[] }
  | { name: string; kind: 'fixed'; value: unknown };

const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Five values centred on `saved` within the derived range: `saved` ± 1 and 2 steps of a quarter of it (rounded to a
 * whole multiple of the derived step, at least one), clipped to the range. A schema's whole range (a period of
 * 1–10,000) is a grid of 10^4 per parameter and 10^16 over four, which no study can run; a trader tunes around the
 * setting they trade. Null when `saved` is not a number inside the range and above 0 (the derived range is kept).
 */
export function rangeAround(dimension: Extract<DerivedDimension, { kind: 'range' }>, saved: unknown): { min: number; max: number; step: number } | null {
  if (typeof saved !== 'number' || !(saved > 0) || saved < dimension.min || saved > dimension.max) return null;
  const unit = dimension.step > 0 ? dimension.step : dimension.integer ? 1 : 0;
  // A quarter of the setting, as a whole number of the derived steps (a float range with no step takes the quarter as is).
  const step = unit > 0 ? Math.max(1, Math.round(saved / 4 / unit)) * unit : saved / 4;
  const min = Math.max(dimension.min, saved - 2 * step);
  const max = Math.min(dimension.max, saved + 2 * step);
  return { min: roundTo(min), max: roundTo(max), step: roundTo(step) };
}

/** Drops binary noise from a bound computed in steps (2 - 2 x 0.5 is exact, 0.3 - 2 x 0.1 is not). */
function roundTo(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * The form's inputs of one parameter: searched over five values around `saved` (the stored setting, else the
 * default; see {@link rangeAround}) or, without one, the engine's derived range or values; else held at `saved`
 * or the derived fixed value.
 */
export function spaceFieldOf(dimension: DerivedDimension, field: { kind: SpaceField['kind']; description?: string }, saved: unknown): SpaceField {
  const base = { name: dimension.name, kind: field.kind, min: '', max: '', step: '', values: '', fixed: text(saved ?? (dimension.kind === 'fixed' ? dimension.value : undefined)), ...(field.description ? { description: field.description } : {}) };
  if (dimension.kind === 'range') {
    const around = rangeAround(dimension, saved) ?? dimension;
    return { ...base, mode: 'range', min: String(around.min), max: String(around.max), step: String(around.step) };
  }
  if (dimension.kind === 'values') return { ...base, mode: 'values', values: dimension.values.map(text).join(', ') };
  return { ...base, mode: 'fixed' };
}

/** A typed value as the engine expects it: a number for numeric fields (the text when not a number, so the engine names it), true/false for booleans. */
function valueOf(kind: SpaceField['kind'], raw: string): unknown {
  const t = raw.trim();
  if (kind === 'number' || kind === 'integer') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : t;
  }
  if (kind === 'boolean') return t === 'true' ? true : t === 'false' ? false : t;
  return t;
}

/**
 * The request's narrowing of one parameter from its inputs: `{ min, max, step? }` (blank step: the
 * engine's default), `{ values: [...] }`, or the fixed value; undefined for a blank fixed value (the
 * engine's derived space then applies).
 */
export function narrowingOf(field: SpaceField): unknown {
  if (field.mode === 'range') {
    const step = field.step.trim();
    return { min: valueOf(field.kind, field.min), max: valueOf(field.kind, field.max), ...(step === '' ? {} : { step: valueOf(field.kind, step) }) };
  }
  if (field.mode === 'values') {
    return {
      values: field.values
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((v) => valueOf(field.kind, v)),
    };
  }
  return field.fixed.trim() === '' ? undefined : valueOf(field.kind, field.fixed);
}

/** The request's `space`: every parameter's narrowing (blank fixed values left out). */
export function spaceOf(fields: readonly SpaceField[]): Record<string, unknown> {
  const space: Record<string, unknown> = {};
  for (const f of fields) {
    const n = narrowingOf(f);
    if (n !== undefined) space[f.name] = n;
  }
  return space;
}

/**
 * How many values a parameter's inputs span, as the engine counts them (`min + k·step` while <= max;
 * a blank step is 1 for integers and (max − min) / 10 for floats); null when the inputs are not yet a
 * valid range (the engine will name the field).
 */
export function valueCount(field: SpaceField): number | null {
  if (field.mode === 'fixed') return 1;
  if (field.mode === 'values') return field.values.split(',').filter((v) => v.trim() !== '').length || null;
  const min = Number(field.min);
  const max = Number(field.max);
  if (field.min.trim() === '' || field.max.trim() === '' || !Number.isFinite(min) || !Number.isFinite(max) || min > max) return null;
  const step = field.step.trim() === '' ? (field.kind === 'integer' || min === max ? 1 : (max - min) / 10) : Number(field.step);
  if (!Number.isFinite(step) || step <= 0) return null;
  return Math.floor((max - min) / step + 1e-9) + 1;
}

/** The grid's size: the product of every parameter's value count (before the strategy's own cross-field check); null while an input is not valid. */
export function gridSize(fields: readonly SpaceField[]): number | null {
  let size = 1;
  for (const f of fields) {
    const count = valueCount(f);
    if (count === null) return null;
    size *= count;
  }
  return size;
}
