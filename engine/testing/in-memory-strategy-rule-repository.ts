/** In-memory StrategyRuleRepository; definitions are deep-copied in and out like a JSON column. */
import type { StrategyRuleRecord, StrategyRuleRepository } from '../ports/strategy-rules';

/** Builds an empty in-memory rule strategy store; `rows` exposes every stored version. */
export function createInMemoryStrategyRuleRepository(): StrategyRuleRepository & { readonly rows: StrategyRuleRecord[] } {
  const rows: StrategyRuleRecord[] = [];
  return {
    rows,
    async latest() {
      const byName = new Map<string, StrategyRuleRecord>();
      for (const row of rows) if ((byName.get(row.name)?.version ?? 0) < row.version) byName.set(row.name, row);
      return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((r) => structuredClone(r));
    },
    async versions(name) {
      return rows.filter((r) => r.name === name).sort((a, b) => a.version - b.version).map((r) => structuredClone(r));
    },
    async insert(record) {
      if (rows.some((r) => r.name === record.name && r.version === record.version)) return false;
      rows.push(structuredClone(record));
      return true;
    },
  };
}
