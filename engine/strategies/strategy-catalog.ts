/**
 * The strategy catalog contract: every strategy a run can use — built-in, loaded from a strategy
 * file, or compiled from a rule strategy stored in the database — under one name space. The engine
 * holds one catalog (built in the composition root); runs, sessions, settings, forms, the CLI and
 * the API read names, params schemas and versions from it. (Implementation: `createStrategyCatalog`.)
 */
import type { StrategyAdapter } from './strategy-adapter';
import type { StrategyDefinition } from './strategy-api';

/** Where a strategy comes from. */
export const StrategySource = { BuiltIn: 'built-in', File: 'file', Rule: 'rule' } as const;
export type StrategySource = (typeof StrategySource)[keyof typeof StrategySource];

/**
 * One catalog entry. A file that failed to load is an entry with `loadError` and no `definition`
 * (listed so the strategies page can show it; it cannot be run).
 */
export interface CatalogEntry {
  name: string;
  source: StrategySource;
  version: string;
  /** sha256 (hex) of the strategy's source text (file contents, rule JSON, or the built-in's module id + version). */
  sourceHash: string;
  summary: string;
  /** Absolute path of a strategy file. */
  path?: string;
  definition?: StrategyDefinition;
  /** Why the entry cannot run (compile error, throw at load, bad export, duplicate name), naming the path for files. */
  loadError?: string;
}

/** What a run records about each strategy it used. */
export interface StrategyProvenance {
  name: string;
  source: StrategySource;
  version: string;
  sourceHash: string;
}

export interface StrategyCatalog {
  /** Every entry, built-ins first, then files, then rules (by name within a source). */
  list(): CatalogEntry[];
  /** The runnable entry of a name (undefined when unknown or failed to load). */
  get(name: string): CatalogEntry | undefined;
  /** Names of runnable strategies. */
  names(): string[];
  /**
   * Creates an adapter from untrusted params (`undefined` = defaults).
   * @throws ValidationError on field `strategy` for an unknown or broken name, `params.<field>` for bad params.
   */
  create(name: string, params: unknown): StrategyAdapter;
  /** The parsed default params of a strategy. @throws ValidationError for an unknown name. */
  defaults(name: string): Record<string, unknown>;
  provenance(name: string): StrategyProvenance;
  /** Replaces every entry of `source` (file reload, rule save); a name taken by another source becomes a load error. */
  replaceSource(source: Exclude<StrategySource, 'built-in'>, entries: CatalogEntry[]): void;
  /** Called after every change (reload, rule save). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
