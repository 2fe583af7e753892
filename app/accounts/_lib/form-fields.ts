/**
 * Form posts as the account book expects them: dotted names (`settings.leverage`) become nested
 * objects, listed number fields become numbers, and empty fields are left out (so defaults apply).
 * A field that is not a number stays a string, so the schema names it.
 */
export function nestFormFields(raw: unknown, numberFields: readonly string[]): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === '' || value === undefined) continue;
    const converted = numberFields.includes(key) && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    const path = key.split('.');
    let target = out;
    for (const segment of path.slice(0, -1)) {
      const next = target[segment];
      target = (target[segment] = next && typeof next === 'object' ? next : {}) as Record<string, unknown>;
    }
    target[path[path.length - 1]] = converted;
  }
  return out;
}

/**
 * The account edit form's risk limits on top of {@link nestFormFields}: the form shows every limit, so one left blank
 * is not "keep the current value" (a risk save keeps the limits it does not name): an `optional` limit (VaR / ES) left
 * blank turns the limit off (null), a required one left blank stays blank, and the engine names it.
 */
export function withBlankRiskLimits(raw: unknown, nested: unknown, fields: readonly { key: string; optional?: boolean }[]): unknown {
  if (!raw || typeof raw !== 'object' || !nested || typeof nested !== 'object') return nested;
  const form = raw as Record<string, unknown>;
  const out = nested as Record<string, unknown>;
  for (const field of fields) {
    const value = form[`risk.${field.key}`];
    if (typeof value !== 'string' || value.trim() !== '') continue;
    const risk = (out.risk && typeof out.risk === 'object' ? out.risk : (out.risk = {})) as Record<string, unknown>;
    risk[field.key] = field.optional ? null : '';
  }
  return out;
}
