/**
 * The "New study" form's per-parameter inputs: each parameter of the chosen strategy is searched over
 * a range (min, max, step), a list of values, or held at one value. The page prefills them from the
 * engine's own derived search space (`searchSpaceFromCatalog`: the schema's bounds and default steps),
 * and the form turns them back into the request's `space` narrowing. Field names follow the engine's
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
 * The form's inputs of one parameter: searched over the engine's derived range or values when it has
 * one, else held at `saved` (the stored setting) or the derived fixed value.
 */
export function spaceFieldOf(dimension: DerivedDimension, field: { kind: SpaceField['kind']; description?: string }, saved: unknown): SpaceField {
  const base = { name: dimension.name, kind: field.kind, min: '', max: '', step: '', values: '', fixed: text(saved ?? (dimension.kind === 'fixed' ? dimension.value : undefined)), ...(field.description ? { description: field.description } : {}) };
  if (dimension.kind === 'range') return { ...base, mode: 'range', min: String(dimension.min), max: String(dimension.max), step: String(dimension.step) };
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
