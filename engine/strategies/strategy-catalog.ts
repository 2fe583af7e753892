/**
 * The strategy catalog contract: every strategy a run can use — built-in, loaded from a strategy
 * file, or compiled from a rule strategy stored in the database — under one name space. The engine
 * holds one catalog (built in the composition root); runs, sessions, settings, forms, the CLI and
 * the API read names, params schemas and versions from it. Implemented here by `createStrategyCatalog`,
 * which builds adapters from definitions with `createAdapterFromDefinition` (params parsed with the
 * definition's zod schema, `check` run, its `evaluate` or `evaluateColumns` bound to the params).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { isDeepFrozen, parseOrThrow, reasonOf, validationErrorOf } from '../core/validation';
import { convergenceWarmup } from '../features/convergence-warmup';
import type { FeatureFrame } from '../features/feature-frame';
import { ExitPolicySchema } from './exit-policy';
import { createAdapterColumns, type AdapterColumns, type AdapterOutput, type StrategyAdapter } from './strategy-adapter';
import { checkDefinition, type StrategyDefinition } from './strategy-api';

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

/**
 * The one catalog of a running engine. Names are unique among runnable entries; `list()` also holds
 * the broken ones (load errors, name clashes).
 */
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
  /** What a run records about a strategy: name, source, version, source hash. @throws ValidationError for an unknown or broken name. */
  provenance(name: string): StrategyProvenance;
  /**
   * Replaces every entry of `source` (file reload, rule save); a name taken by another source becomes a
   * load error, then every listener is told (a listener's throw is rethrown after all were told).
   * @throws ValidationError for `built-in`, an entry of another source, or a malformed definition (nothing replaced).
   */
  replaceSource(source: Exclude<StrategySource, 'built-in'>, entries: CatalogEntry[]): void;
  /** Every entry (broken ones too) with its params as JSON Schema and its defaults, in {@link list} order. */
  describe(): StrategyDescription[];
  /** Called after every change (reload, rule save). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** What the API and the forms show of one entry: the catalog entry plus its params as JSON Schema and its defaults. */
export interface StrategyDescription {
  name: string;
  source: StrategySource;
  version: string;
  sourceHash: string;
  summary: string;
  /** File name of a strategy file (no directory). */
  file?: string;
  loadError?: string;
  /**
   * Its parameters as JSON Schema (draft 2020-12, from the definition's zod schema); each property
   * carries its `default`. Cross-field rules (fast < slow) are in `summary`. `{}` for a broken entry.
   */
  paramsSchema: Record<string, unknown>;
  /** The parameters used when a field is left out (`{}` for a broken entry). */
  defaults: Record<string, unknown>;
}

/** sha256 (hex) of a text. */
export function sourceHashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The built-in entries made so far, by definition. Every catalog without one of its own is built anew per call
 * (`resolveBacktest`, `simulate`: once per run), and the entry's sha256 was a measurable part of a short backtest.
 * A definition is frozen and its entry is frozen data computed from it alone, so one entry serves every catalog;
 * the memo is weak, so it keeps no definition alive and holds nothing a caller can observe.
 */
const builtInEntries = new WeakMap<StrategyDefinition, CatalogEntry>();

/**
 * The catalog entry of a built-in definition (frozen; the same object for the same definition): its source
 * hash covers its name and version.
 */
export function builtInEntryOf(definition: StrategyDefinition): CatalogEntry {
  let entry = builtInEntries.get(definition);
  if (!entry) {
    entry = Object.freeze({
      name: definition.name,
      source: StrategySource.BuiltIn,
      version: definition.version,
      sourceHash: sourceHashOf(`built-in:${definition.name}@${definition.version}`),
      summary: definition.summary,
      definition,
    });
    // A definition that is not frozen (a test's literal) could change its name or version: its entry is made anew each time.
    if (Object.isFrozen(definition)) builtInEntries.set(definition, entry);
  }
  return entry;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses untrusted params with a definition's schema (`undefined` = defaults) and runs its `check`.
 * @throws ValidationError on `params.<field>` (`ma-crossover parameter fastPeriod: ...`), `params` when not an object.
 */
export function parseStrategyParams(definition: StrategyDefinition, input: unknown): Readonly<Record<string, unknown>> {
  const value = input === undefined ? {} : input;
  const parsed = definition.params.safeParse(value);
  if (!parsed.success) {
    const error = validationErrorOf(parsed.error, value, { root: 'params' });
    const field = error.field === 'params' ? 'params' : `params.${error.field}`;
    throw new ValidationError(field, error.value, `${definition.name} parameter ${error.field}: ${reasonOf(error)}`);
  }
  const params = Object.freeze(parsed.data as Record<string, unknown>);
  if (definition.check) {
    try {
      definition.check(params);
    } catch (error) {
      if (error instanceof ValidationError) {
        const field = error.field === 'params' || error.field.startsWith('params.') ? error.field : `params.${error.field}`;
        throw new ValidationError(field, error.value, reasonOf(error));
      }
      throw new ValidationError('params', value, `${definition.name} rejected its parameters: ${messageOf(error)}`);
    }
  }
  return params;
}

type BoundEvaluate = (f: FeatureFrame, i: number, out: AdapterOutput) => void;
type BoundEvaluateColumns = NonNullable<StrategyAdapter['evaluateColumns']>;
type RowEvaluate = NonNullable<StrategyDefinition['evaluate']>;
type ColumnEvaluate = NonNullable<StrategyDefinition['evaluateColumns']>;
type RowBinder = (evaluate: RowEvaluate, params: Readonly<Record<string, unknown>>) => { evaluate: BoundEvaluate; evaluateColumns: BoundEvaluateColumns };
type ColumnBinder = (evaluateColumns: ColumnEvaluate, params: Readonly<Record<string, unknown>>, one: AdapterColumns) => { evaluate: BoundEvaluate; evaluateColumns: BoundEvaluateColumns };

/**
 * A comment naming the definition, appended to a wrapper's source text. V8 caches code compiled from equal
 * source text together with its feedback, so without it every definition's wrappers would share one inner
 * call site and see every strategy's rule there (measured: the derived per-row `evaluate`s of the four
 * built-ins, called in turn on BTC/USDT 5m, took ~290 ns a row for the four instead of ~78). Only word
 * characters, dots, dashes and `@` are kept, so the comment cannot end early whatever the name.
 */
function sourceTag(definition: StrategyDefinition): string {
  return ` // ${`${String(definition.name)}@${String(definition.version)}`.replace(/[^\w.@-]/g, '_')}`;
}

/**
 * Binds a definition's rule to its params, deriving the adapter's other form from the one the definition gives.
 *
 * A per-row `evaluate` (strategy files, rule strategies): the hot loop calls `adapter.evaluate(f, i, out)`,
 * which calls `evaluate(f, i, out, params)`, and the column-wise phase calls
 * `adapter.evaluateColumns(f, from, to, columns, scratch)`, which loops over the rows calling it and stores
 * each output in the columns (the stores written out in the loop: a store helper passed in as an argument
 * was measured to allocate 32 bytes per row under vitest's module transform).
 *
 * A column form `evaluateColumns` (the built-ins): the column-wise phase calls it with the range as is, and
 * `adapter.evaluate(f, i, out)` runs it over the one row `[i, i+1)` into a 1-slot `one` owned by the adapter,
 * then reads the slot into `out`: allocation-free, and exactly the column form's output by construction. The
 * slot is written and read within one synchronous call, so the adapter still serves any number of symbols.
 *
 * Closures made from one function literal share their call-site feedback, so a single shared wrapper would
 * see every strategy's rule at its inner call (polymorphic, never inlined: the benchmark pipeline ran ~20 %
 * slower). The wrappers are compiled once per definition from a source text tagged with its name (see
 * `sourceTag`), so each inner call stays monomorphic and its optimised code is reused by every later adapter
 * of the definition, as with the hand-written adapters they replaced.
 * The memo is a compile cache keyed weakly by the frozen definition: it holds no state a caller can observe.
 */
const rowBinders = new WeakMap<StrategyDefinition, RowBinder>();
const columnBinders = new WeakMap<StrategyDefinition, ColumnBinder>();
function bindEvaluate(definition: StrategyDefinition, params: Readonly<Record<string, unknown>>): { evaluate: BoundEvaluate; evaluateColumns: BoundEvaluateColumns } {
  if (definition.evaluateColumns) {
    let binder = columnBinders.get(definition);
    if (!binder) {
      binder = new Function(
        'evaluateColumns',
        'params',
        'one',
        "'use strict'; return { evaluate: function evaluateOneRow(f, i, out) { evaluateColumns(f, i, i + 1, one, params); " +
          'out.side = one.side[0]; out.strength = one.strength[0]; out.stopHint = one.stopHint[0]; out.reason = one.reason[0]; out.exit = one.exit[0]; }, ' +
          'evaluateColumns: function evaluateColumnsBound(f, from, to, columns, scratch) { evaluateColumns(f, from, to, columns, params); } };' +
          sourceTag(definition),
      ) as ColumnBinder;
      columnBinders.set(definition, binder);
    }
    return binder(definition.evaluateColumns, params, createAdapterColumns(1));
  }
  let binder = rowBinders.get(definition);
  if (!binder) {
    binder = new Function(
      'evaluate',
      'params',
      "'use strict'; return { evaluate: function evaluateBound(f, i, out) { evaluate(f, i, out, params); }, " +
        'evaluateColumns: function evaluateColumnsBound(f, from, to, columns, scratch) { const side = columns.side; const strength = columns.strength; const stopHint = columns.stopHint; const exit = columns.exit; const reason = columns.reason; ' +
        'for (let i = from; i < to; i++) { evaluate(f, i, scratch, params); const s = i - from; side[s] = scratch.side; strength[s] = scratch.strength; stopHint[s] = scratch.stopHint; exit[s] = scratch.exit; reason[s] = scratch.reason; } } };' +
        sourceTag(definition),
    ) as RowBinder;
    rowBinders.set(definition, binder);
  }
  return binder(definition.evaluate, params);
}

/**
 * The adapters built so far from params that can no longer change ({@link isDeepFrozen}: a resolved run's
 * `params[name]`), per frozen definition, keyed weakly by the params object. A backtest builds its adapters from
 * the spec it was resolved with, once when resolving and again per run (a study: three times per trial), and
 * the zod parse, `check`, `indicators`, `warmup` and `exits` of each were a measurable part of a short run.
 * An adapter is frozen and keeps no state between calls (`bindEvaluate`'s one-row slot is written and read
 * within one call), and is made from the definition and the params alone, so the one built first serves every
 * later call with equal params. A failed build is never kept: a bad input throws each time as it did.
 */
const adapterMemos = new WeakMap<StrategyDefinition, WeakMap<object, StrategyAdapter>>();
function adaptersOf(definition: StrategyDefinition): WeakMap<object, StrategyAdapter> {
  let memo = adapterMemos.get(definition);
  if (!memo) adapterMemos.set(definition, (memo = new WeakMap()));
  return memo;
}

/**
 * Builds an adapter from a definition and untrusted params: params parsed (defaults filled, ranges
 * and `check` run), `indicators`, `warmup`, `startupCandles` and `exits` evaluated once (startup: max of
 * the warm-up, `convergenceWarmup(indicators)` and the definition's own `startupCandles`), the rule bound to
 * the params in a closure so the loop calls `evaluate(f, i, out)` or `evaluateColumns(f, from, to, columns,
 * scratch)` (whichever form the definition gives, the other derived from it: see `bindEvaluate`). Params that
 * can no longer change give the adapter built from them the first time (see `adapterMemos`).
 * @throws ValidationError on `params.<field>` for bad params; on `params` when the definition's own
 *   functions throw or return a malformed warm-up, on `exits.<field>` for a malformed exit policy.
 */
export function createAdapterFromDefinition(definition: StrategyDefinition, input: unknown): StrategyAdapter {
  const memo = Object.isFrozen(definition) && input !== null && typeof input === 'object' ? adaptersOf(definition) : null;
  const known = memo?.get(input as object);
  if (known) return known;
  const adapter = buildAdapter(definition, input);
  if (memo && isDeepFrozen(input)) memo.set(input as object, adapter);
  return adapter;
}

/** What {@link createAdapterFromDefinition} builds when it has not built it already. */
function buildAdapter(definition: StrategyDefinition, input: unknown): StrategyAdapter {
  const params = parseStrategyParams(definition, input);
  const call = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      throw new ValidationError('params', params, `${definition.name} ${what} failed: ${messageOf(error)}`);
    }
  };
  const features = call('indicators', () => definition.indicators(params));
  if (features === null || typeof features !== 'object') throw new ValidationError('params', params, `${definition.name} indicators must return an object of periods, got ${typeof features}`);
  const warmup = call('warmup', () => definition.warmup(params));
  if (!Number.isInteger(warmup) || warmup < 0) throw new ValidationError('params', params, `${definition.name} warmup must return a whole number of candles >= 0, got ${String(warmup)}`);
  // The history before the first traded candle: enough for every seeded indicator to forget its seed, or the definition's larger value.
  const computedStartup = Math.max(warmup, call('indicators', () => convergenceWarmup(features)));
  const declaredStartup = definition.startupCandles ? call('startupCandles', () => definition.startupCandles!(params)) : 0;
  if (!Number.isInteger(declaredStartup) || declaredStartup < 0) {
    throw new ValidationError('params', params, `${definition.name} startupCandles must return a whole number of candles >= 0, got ${String(declaredStartup)}`);
  }
  const startupCandles = Math.max(computedStartup, declaredStartup);
  const exitsInput = definition.exits ? call('exits', () => definition.exits!(params)) : undefined;
  const exits = exitsInput === undefined ? undefined : parseOrThrow(ExitPolicySchema, exitsInput, { prefix: 'exits', root: 'exits' });
  const { evaluate, evaluateColumns } = bindEvaluate(definition, params);
  return Object.freeze({
    name: definition.name,
    config: params,
    features: Object.freeze({ ...features }),
    warmup,
    startupCandles,
    version: definition.version,
    ...(exits ? { exits: Object.freeze(exits) } : {}),
    evaluate,
    evaluateColumns,
  });
}

/** The defaults of a params schema: every field whose schema accepts `undefined` with a value (a required field without a default is left out). */
function defaultsOf(definition: StrategyDefinition): Record<string, unknown> {
  const whole = definition.params.safeParse({});
  if (whole.success) return { ...(whole.data as Record<string, unknown>) };
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(definition.params.shape as Record<string, z.ZodType>)) {
    const parsed = field.safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) out[key] = parsed.data;
  }
  return out;
}

function jsonSchemaOf(definition: StrategyDefinition, defaults: Record<string, unknown>): Record<string, unknown> {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(definition.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    schema = { type: 'object' };
  }
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, value] of Object.entries(defaults)) if (properties[key]) properties[key].default = value;
  return schema;
}

const SOURCE_ORDER: readonly StrategySource[] = [StrategySource.BuiltIn, StrategySource.File, StrategySource.Rule];

/**
 * Creates the catalog with `builtIns` (the built-in source; never replaced). Files and rules come in
 * with {@link StrategyCatalog.replaceSource}. A name is owned by the first source in the order
 * built-in, file, rule (within a source: by name, then path): a later entry with a taken name becomes a
 * load error naming the owner, so a built-in always wins.
 * @throws ValidationError when a built-in definition is malformed or two built-ins share a name.
 */
export function createStrategyCatalog(builtIns: readonly StrategyDefinition[]): StrategyCatalog {
  const seen = new Set<string>();
  for (const definition of builtIns) {
    checkDefinition(definition);
    if (seen.has(definition.name)) throw new ValidationError('name', definition.name, `two built-in strategies are named "${definition.name}"`);
    seen.add(definition.name);
  }
  const bySource = new Map<StrategySource, CatalogEntry[]>([
    [StrategySource.BuiltIn, builtIns.map(builtInEntryOf)],
    [StrategySource.File, []],
    [StrategySource.Rule, []],
  ]);
  const listeners = new Set<() => void>();
  let entries: CatalogEntry[] = [];
  let runnable = new Map<string, CatalogEntry>();
  const defaultsCache = new Map<CatalogEntry, Record<string, unknown>>();
  const schemaCache = new Map<CatalogEntry, Record<string, unknown>>();

  function rebuild(): void {
    const owner = new Map<string, CatalogEntry>();
    const next: CatalogEntry[] = [];
    for (const source of SOURCE_ORDER) {
      const own = [...(bySource.get(source) ?? [])].sort((a, b) => (a.name === b.name ? (a.path ?? '').localeCompare(b.path ?? '') : a.name < b.name ? -1 : 1));
      for (const entry of source === StrategySource.BuiltIn ? (bySource.get(source) ?? []) : own) {
        const taken = owner.get(entry.name);
        if (taken && !entry.loadError) {
          const { definition: _definition, ...rest } = entry;
          next.push({ ...rest, loadError: `${entry.path ? `${entry.path}: ` : ''}strategy name "${entry.name}" is already taken by the ${taken.source} strategy${taken.path ? ` in ${taken.path}` : ''}` });
          continue;
        }
        if (!taken && !entry.loadError && entry.definition) owner.set(entry.name, entry);
        next.push(entry);
      }
    }
    entries = next;
    runnable = owner;
  }
  rebuild();

  function notKnown(name: string): ValidationError {
    const broken = entries.find((e) => e.name === name && e.loadError);
    if (broken) return new ValidationError('strategy', name, `strategy "${name}" cannot run: ${broken.loadError}`);
    return new ValidationError('strategy', name, `strategy "${name}" is not known; expected one of ${[...runnable.keys()].join(', ')}`);
  }

  function require(name: string): CatalogEntry & { definition: StrategyDefinition } {
    const entry = runnable.get(name);
    if (!entry?.definition) throw notKnown(name);
    return entry as CatalogEntry & { definition: StrategyDefinition };
  }

  function defaultsOfEntry(entry: CatalogEntry): Record<string, unknown> {
    let d = defaultsCache.get(entry);
    if (!d) defaultsCache.set(entry, (d = entry.definition ? defaultsOf(entry.definition) : {}));
    return d;
  }

  function schemaOfEntry(entry: CatalogEntry): Record<string, unknown> {
    let d = schemaCache.get(entry);
    if (!d) schemaCache.set(entry, (d = entry.definition ? jsonSchemaOf(entry.definition, defaultsOfEntry(entry)) : {}));
    return d;
  }

  return {
    list: () => [...entries],
    get: (name) => runnable.get(name),
    names: () => [...runnable.keys()],
    create: (name, params) => createAdapterFromDefinition(require(name).definition, params),
    defaults: (name) => ({ ...defaultsOfEntry(require(name)) }),
    provenance(name) {
      const { source, version, sourceHash } = require(name);
      return { name, source, version, sourceHash };
    },
    describe: () =>
      entries.map((entry) => {
        const d = { defaults: defaultsOfEntry(entry), paramsSchema: schemaOfEntry(entry) };
        return {
          name: entry.name,
          source: entry.source,
          version: entry.version,
          sourceHash: entry.sourceHash,
          summary: entry.summary,
          ...(entry.path ? { file: entry.path.split(/[\\/]/).pop() } : {}),
          ...(entry.loadError ? { loadError: entry.loadError } : {}),
          paramsSchema: structuredClone(d.paramsSchema),
          defaults: { ...d.defaults },
        };
      }),
    replaceSource(source, next) {
      if (source !== StrategySource.File && source !== StrategySource.Rule) throw new ValidationError('source', source, 'expected "file" or "rule" (built-ins are fixed)');
      for (const entry of next) {
        if (entry.source !== source) throw new ValidationError('source', entry.source, `entry "${entry.name}" is not of source "${source}"`);
        if (!entry.loadError) checkDefinition(entry.definition);
      }
      bySource.set(source, [...next]);
      rebuild();
      let failure: unknown = null;
      for (const listener of [...listeners]) {
        try {
          listener();
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== null) throw failure;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
