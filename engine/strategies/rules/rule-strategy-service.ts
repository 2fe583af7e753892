/**
 * Rule strategies as stored, versioned data: create, update (a new version), list, read, and the
 * catalog's `rule` source kept in step with the store: on start, after every save here, and in every
 * other process on the same database when the save's `strategies-changed` control message arrives (or,
 * when it was lost, at the listener's reconnect), and before each run is built (see `refresh`).
 */
import type { Clock } from '../../core/clock';
import { NotFoundError, ValidationError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { ControlKind, type ControlPublisher } from '../../ports/control-bus';
import type { StrategyRuleRecord, StrategyRuleRepository } from '../../ports/strategy-rules';
import { StrategySource, sourceHashOf, type CatalogEntry, type StrategyCatalog } from '../strategy-catalog';
import { compileRuleStrategy } from './compile-rule-strategy';
import { nameTakenError, parseRuleStrategy, ruleStrategyErrors, type RuleStrategy } from './rule-schema';

/** The catalog operations the rule store needs. */
export type RuleCatalogView = Pick<StrategyCatalog, 'list' | 'replaceSource'>;

export interface RuleStrategyServiceDeps {
  repository: StrategyRuleRepository;
  clock: Clock;
  logger: Logger;
  /** The engine's strategy catalog: names taken by built-in and file strategies, and where saved rules are published. */
  catalog: () => RuleCatalogView;
  /** Where a save is announced to the other processes (`strategies-changed`); none in a single-process engine. */
  control?: ControlPublisher;
}

/** One rule strategy with every stored version, oldest first. */
export interface RuleStrategyHistory {
  name: string;
  latest: StrategyRuleRecord;
  versions: StrategyRuleRecord[];
}

/** The rule strategy store of the engine. */
export interface RuleStrategyService {
  /** The active (latest) version of every rule strategy, by name. */
  list(): Promise<StrategyRuleRecord[]>;
  /** A rule strategy with its versions. @throws NotFoundError naming the name. */
  get(name: string): Promise<RuleStrategyHistory>;
  /**
   * Saves a new rule strategy as version 1 and publishes it to the catalog.
   * @throws ValidationError naming the invalid field and value (`long.all.0.left.period`), or `name`
   *   when the name is used by a rule, built-in or file strategy. Nothing is saved then.
   */
  create(input: unknown, actor: string | null): Promise<StrategyRuleRecord>;
  /**
   * Saves a new version of an existing rule strategy (`input.name`, if given, must be `name`).
   * @throws NotFoundError for an unknown name; ValidationError as for create. Nothing is saved then.
   */
  update(name: string, input: unknown, actor: string | null): Promise<StrategyRuleRecord>;
  /** Every field error of a rule, keyed by path (empty when valid); for editors. */
  validate(input: unknown): Record<string, string[]>;
  /**
   * Reads the store and, when any stored rule's latest version differs from the catalog's (a rule saved by another
   * process, a rule the catalog does not have yet), replaces the catalog's `rule` source. Returns what changed
   * (`name v2`, `name removed`), empty when the catalog was current (nothing replaced then). Runs at engine start,
   * on a `strategies-changed` message and on every reconnect of the control listener, and before a run is built.
   */
  refresh(): Promise<string[]>;
}

/** sha256 of the stored JSON of a rule version: its provenance in runs. */
export function ruleSourceHash(definition: unknown): string {
  return sourceHashOf(JSON.stringify(definition));
}

/** The catalog entry of a stored rule version (a load error, not a throw, when it no longer compiles). */
export function ruleCatalogEntry(record: StrategyRuleRecord): CatalogEntry {
  const base = { name: record.name, source: StrategySource.Rule, version: String(record.version), sourceHash: ruleSourceHash(record.definition) };
  try {
    const definition = compileRuleStrategy(record.definition, record.version);
    return { ...base, summary: definition.summary, definition };
  } catch (error) {
    return { ...base, summary: '', loadError: `rule strategy "${record.name}" version ${record.version} does not compile: ${(error as Error).message}` };
  }
}

/** Builds the rule strategy store over its repository. */
export function createRuleStrategyService(deps: RuleStrategyServiceDeps): RuleStrategyService {
  function checkNameFree(name: string): void {
    const taken = deps.catalog().list().find((entry) => entry.name === name && entry.source !== StrategySource.Rule);
    if (taken) throw nameTakenError(name, taken.source);
  }

  // Reads may overlap (a save here, a message, a run's check): the store only grows, so the read that started
  // last saw the most, and one that started before the last applied read is not applied over it.
  let readsStarted = 0;
  let lastApplied = 0;

  /** Reads the store; replaces the catalog's rule source when it differs (or always, `force`). Returns what changed. */
  async function sync(force: boolean): Promise<string[]> {
    const mine = ++readsStarted;
    const latest = await deps.repository.latest();
    if (mine < lastApplied) return [];
    lastApplied = mine;
    const inCatalog = new Map(deps.catalog().list().filter((entry) => entry.source === StrategySource.Rule).map((entry) => [entry.name, entry]));
    const changed: string[] = [];
    for (const record of latest) {
      const entry = inCatalog.get(record.name);
      if (!entry || entry.version !== String(record.version) || entry.sourceHash !== ruleSourceHash(record.definition)) changed.push(`${record.name} v${record.version}`);
      inCatalog.delete(record.name);
    }
    for (const name of inCatalog.keys()) changed.push(`${name} removed`);
    if (changed.length > 0 || force) deps.catalog().replaceSource(StrategySource.Rule, latest.map(ruleCatalogEntry));
    return changed;
  }

  const publish = () => sync(true);

  async function save(rule: RuleStrategy, version: number, actor: string | null): Promise<StrategyRuleRecord> {
    compileRuleStrategy(rule, version);
    const record: StrategyRuleRecord = { name: rule.name, version, definition: rule as unknown as Record<string, unknown>, createdBy: actor, createdAtMs: deps.clock.nowMs() };
    const inserted = await deps.repository.insert(record);
    if (!inserted) {
      throw new ValidationError('name', rule.name, version === 1 ? `a rule strategy named "${rule.name}" exists already; update it instead` : `rule strategy "${rule.name}" was saved by someone else at the same time; reload it and save again`);
    }
    deps.logger.info({ strategy: rule.name, version, actor }, 'rule strategy saved');
    try {
      await publish();
    } catch (error) {
      deps.logger.error({ err: error, strategy: rule.name }, 'the saved rule strategy could not be published to the catalog');
    }
    // The other processes re-read the store now; one that misses the message does at its reconnect, and every
    // process checks the store before it builds a run.
    await deps.control?.publish({ kind: ControlKind.StrategiesChanged, name: rule.name, version }).catch((error: unknown) =>
      deps.logger.warn({ err: error, strategy: rule.name, version }, 'control bus: announcing the saved rule strategy failed'),
    );
    return record;
  }

  return {
    list: () => deps.repository.latest(),
    async get(name) {
      const versions = await deps.repository.versions(name);
      if (versions.length === 0) throw new NotFoundError(`no rule strategy is named "${name}"`);
      return { name, latest: versions[versions.length - 1], versions };
    },
    async create(input, actor) {
      const rule = parseRuleStrategy(input);
      checkNameFree(rule.name);
      if ((await deps.repository.versions(rule.name)).length > 0) throw new ValidationError('name', rule.name, `a rule strategy named "${rule.name}" exists already; update it instead`);
      return save(rule, 1, actor);
    },
    async update(name, input, actor) {
      const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>).name : undefined;
      if (given !== undefined && given !== name) throw new ValidationError('name', given, `the name cannot change (this is rule strategy "${name}"); create a new rule strategy instead`);
      const versions = await deps.repository.versions(name);
      if (versions.length === 0) throw new NotFoundError(`no rule strategy is named "${name}"`);
      const rule = parseRuleStrategy({ ...(input as Record<string, unknown>), name });
      return save(rule, versions[versions.length - 1].version + 1, actor);
    },
    validate: (input) => ruleStrategyErrors(input),
    refresh: () => sync(false),
  };
}
