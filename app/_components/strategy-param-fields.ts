/**
 * Form fields of a strategy's parameters, read from its params JSON Schema (GET /api/v1/strategies,
 * `engine.describeStrategies()`), so built-in, file and rule strategies all get inputs.
 */

/** One parameter input. `kind` picks the control; `defaultValue` is the schema's default. */
export interface ParamField {
  name: string;
  kind: 'number' | 'integer' | 'boolean' | 'enum' | 'text';
  defaultValue: unknown;
  options?: string[];
  min?: number;
  max?: number;
  description?: string;
}

/** The strategy as the forms list it. */
export interface StrategyListing {
  name: string;
  source: string;
  version: string;
  summary: string;
  fields: ParamField[];
  loadError?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The fields of an object JSON Schema's properties, in property order (unknown shapes become text inputs). */
export function paramFieldsOf(paramsSchema: Record<string, unknown>): ParamField[] {
  const properties = isRecord(paramsSchema.properties) ? paramsSchema.properties : {};
  return Object.entries(properties).map(([name, raw]) => {
    const p = isRecord(raw) ? raw : {};
    const base = {
      name,
      defaultValue: p.default,
      ...(typeof p.description === 'string' ? { description: p.description } : {}),
    };
    if (Array.isArray(p.enum)) return { ...base, kind: 'enum', options: p.enum.map(String) };
    if (p.type === 'integer' || p.type === 'number') {
      const min = typeof p.minimum === 'number' ? p.minimum : typeof p.exclusiveMinimum === 'number' ? p.exclusiveMinimum : undefined;
      const max = typeof p.maximum === 'number' ? p.maximum : typeof p.exclusiveMaximum === 'number' ? p.exclusiveMaximum : undefined;
      return { ...base, kind: p.type, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
    }
    if (p.type === 'boolean') return { ...base, kind: 'boolean' };
    return { ...base, kind: 'text' };
  });
}

/** A form's text for a field as the value the engine expects: numbers for numeric fields (text when not a number, so the engine names it), booleans for "true"/"false". */
export function paramValueOf(field: ParamField, text: string): unknown {
  if (field.kind === 'number' || field.kind === 'integer') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (field.kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/** The listing of one description (engine `describeStrategies()` item). */
export function strategyListingOf(d: { name: string; source: string; version: string; summary: string; paramsSchema: Record<string, unknown>; loadError?: string }): StrategyListing {
  return { name: d.name, source: d.source, version: d.version, summary: d.summary, fields: paramFieldsOf(d.paramsSchema), ...(d.loadError ? { loadError: d.loadError } : {}) };
}
