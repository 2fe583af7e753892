/**
 * The `models` option of a run from a form (backtest and session forms): a checkbox per model kind
 * (`models.regime`, `models.volatility`, `models.stopDistance`) and its parameters, named by their path in
 * the request (`models.regime.riskMultiplier.range`, `models.volatility.targetVolatility`, …) so the
 * engine's field errors land next to their inputs. Blank parameters take the engine's defaults.
 */
import type { ModelRecord } from '@/engine/ports/models';
import { fmtPct, formatNumber } from '../format';

/** The version deployed per kind of the loop's models (null: none deployed). */
export interface DeployedLoopModels {
  regime: number | null;
  volatility: number | null;
  stopDistance: number | null;
}

/** The deployed version of each loop model kind among `records` (the Models page's list). */
export function deployedLoopModelsOf(records: readonly Pick<ModelRecord, 'kind' | 'version' | 'active'>[]): DeployedLoopModels {
  const active = (kind: string) => records.find((r) => r.kind === kind && r.active)?.version ?? null;
  return { regime: active('regime'), volatility: active('volatility'), stopDistance: active('stop-distance') };
}

/** Every parameter input of a kind: request path below `models.<kind>`, label, placeholder (the engine's default). */
export const MODEL_PARAM_FIELDS = {
  regime: [
    { path: 'riskMultiplier.trendUp', label: 'Risk × in trend-up', placeholder: '1' },
    { path: 'riskMultiplier.trendDown', label: 'Risk × in trend-down', placeholder: '1' },
    { path: 'riskMultiplier.range', label: 'Risk × in range', placeholder: '0.5' },
  ],
  volatility: [
    { path: 'targetVolatility', label: 'Target volatility per candle', placeholder: 'e.g. 0.01' },
    { path: 'minScale', label: 'Min size ×', placeholder: '0.25' },
    { path: 'maxScale', label: 'Max size ×', placeholder: '1' },
  ],
  stopDistance: [
    { path: 'multiple', label: 'Stop × predicted distance', placeholder: '1' },
    { path: 'minAtr', label: 'Min stop (ATR)', placeholder: '0.5' },
  ],
} as const;

export type LoopModelKey = keyof typeof MODEL_PARAM_FIELDS;
export const LOOP_MODEL_KEYS: readonly LoopModelKey[] = ['regime', 'volatility', 'stopDistance'];

/** A number input's value: blank = not set, a number, or the text as typed (the engine names it "expected a number"). */
function numberOrText(value: unknown): number | string | undefined {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/**
 * The `models` request of a form: each checked kind with the parameters filled in (nested by path), or
 * undefined when no kind is checked. `get(name)` reads a form value (FormData.get or a posted object).
 */
export function modelsOfForm(get: (name: string) => unknown): Record<string, Record<string, unknown>> | undefined {
  const models: Record<string, Record<string, unknown>> = {};
  for (const key of LOOP_MODEL_KEYS) {
    const checked = get(`models.${key}`);
    if (checked !== 'on' && checked !== true && checked !== 'true') continue;
    const option: Record<string, unknown> = {};
    for (const field of MODEL_PARAM_FIELDS[key]) {
      const value = numberOrText(get(`models.${key}.${field.path}`));
      if (value === undefined) continue;
      const [head, tail] = field.path.split('.');
      if (tail === undefined) option[head] = value;
      else ((option[head] ??= {}) as Record<string, unknown>)[tail] = value;
    }
    models[key] = option;
  }
  return Object.keys(models).length > 0 ? models : undefined;
}

/**
 * What a run's stored `models` config says, one line per model it used (kind, version, parameters), for a
 * trader: `regime@v3: risk × 1 in trend-up, × 1 in trend-down, × 0.5 in range`. Empty when none was on
 * (or the run predates the option).
 */
export function describeRunModels(models: unknown): string[] {
  if (models === null || typeof models !== 'object') return [];
  const m = models as Record<string, Record<string, unknown> | null | undefined>;
  const version = (o: Record<string, unknown>) => (typeof o.version === 'number' ? `v${o.version}` : String(o.version ?? '?'));
  const n = (v: unknown) => formatNumber(v, 6);
  const lines: string[] = [];
  if (m.regime) {
    const r = (m.regime.riskMultiplier ?? {}) as Record<string, unknown>;
    lines.push(`regime@${version(m.regime)}: risk × ${n(r.trendUp)} in trend-up, × ${n(r.trendDown)} in trend-down, × ${n(r.range)} in range`);
  }
  if (m.volatility) {
    const v = m.volatility;
    const target = typeof v.targetVolatility === 'number' ? fmtPct(v.targetVolatility * 100, 3) : '—';
    lines.push(`volatility@${version(v)}: size × target ${target} per candle ÷ predicted, within ${n(v.minScale)}–${n(v.maxScale)}`);
  }
  if (m.stopDistance) {
    const s = m.stopDistance;
    lines.push(`stop-distance@${version(s)}: stop at ${n(s.multiple)} × the predicted distance, at least ${n(s.minAtr)} ATR`);
  }
  return lines;
}

/** The models a run used, short (`regime@v3 + stop-distance@v1`), or `off`: the compare table's row. */
export function runModelsLabel(models: unknown): string {
  if (models === null || typeof models !== 'object') return 'off';
  const m = models as Record<string, { version?: unknown } | null | undefined>;
  const used = [
    ['regime', m.regime],
    ['volatility', m.volatility],
    ['stop-distance', m.stopDistance],
  ].filter((entry): entry is [string, { version?: unknown }] => Boolean(entry[1]));
  if (used.length === 0) return 'off';
  return used.map(([kind, o]) => `${kind}@${typeof o.version === 'number' ? `v${o.version}` : String(o.version ?? '?')}`).join(' + ');
}
