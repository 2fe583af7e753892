/**
 * Rule strategy storage port (the `strategy_rules` table): every saved version of every rule
 * strategy; the latest version of a name is the active one.
 */

/** One stored version of a rule strategy. */
export interface StrategyRuleRecord {
  name: string;
  /** 1 for the first save, +1 on every update. */
  version: number;
  /** The rule as saved (valid against the rule schema at save time). */
  definition: Record<string, unknown>;
  /** Who saved it (e-mail or `cli`); null when unknown. */
  createdBy: string | null;
  createdAtMs: number;
}

/** Rule strategy versions. */
export interface StrategyRuleRepository {
  /** The latest version of every name, by name. */
  latest(): Promise<StrategyRuleRecord[]>;
  /** Every version of one name, oldest first (empty for an unknown name). */
  versions(name: string): Promise<StrategyRuleRecord[]>;
  /**
   * Stores one version. Returns false, storing nothing, when that name already has that version
   * (two saves raced, or a create of a name that exists).
   */
  insert(record: StrategyRuleRecord): Promise<boolean>;
}
