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
