/**
 * The audit entry of a study's "apply": the studied strategy's enabled flag and params before and after,
 * plus every other setting of the strategy group the apply changed (its weight, another adapter, the entry
 * threshold, the signal TTL, the cooldown, the veto threshold), each under its path, so the entry records
 * all that was written. Apply writes only the studied adapter, so `others` is normally absent.
 */
import type { StrategySettings } from '@/engine/settings/trading-settings';

type Side = { enabled: boolean; params: Record<string, unknown> | null; others?: Record<string, unknown> };

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Before/after of `strategy`'s adapter, with `others` (path -> value) on both sides when other settings of the group changed. */
export function applyAuditOf(strategy: string, before: StrategySettings, after: StrategySettings): { before: Side; after: Side } {
  const was = before.adapters[strategy];
  const now = after.adapters[strategy];
  const othersBefore: Record<string, unknown> = {};
  const othersAfter: Record<string, unknown> = {};
  const note = (path: string, a: unknown, b: unknown) => {
    if (same(a, b)) return;
    othersBefore[path] = a ?? null;
    othersAfter[path] = b ?? null;
  };
  note(`adapters.${strategy}.weight`, was?.weight, now?.weight);
  for (const name of new Set([...Object.keys(before.adapters), ...Object.keys(after.adapters)])) {
    if (name !== strategy) note(`adapters.${name}`, before.adapters[name], after.adapters[name]);
  }
  for (const field of ['entryThreshold', 'ttlMs', 'cooldownMs', 'vetoThreshold'] as const) note(field, before[field], after[field]);
  const changed = Object.keys(othersBefore).length > 0;
  return {
    before: { enabled: was?.enabled ?? false, params: was?.params ?? null, ...(changed ? { others: othersBefore } : {}) },
    after: { enabled: now?.enabled ?? false, params: now?.params ?? null, ...(changed ? { others: othersAfter } : {}) },
  };
}
