/**
 * Strategy files: every `*.ts`, `*.js` or `*.mjs` file directly in the strategies folder (outside
 * `engine/`) is one strategy, written against the strategy API (`import { defineStrategy, z,
 * Direction } from 'aethelred/strategy'`). This module reads the folder, imports each file through
 * the {@link StrategyModuleImporter} port and turns it into a catalog entry; a file that cannot be
 * used becomes an entry with `loadError` naming the path and the reason, and the others still load.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/logger';
import type { StrategyModuleImporter } from '../ports/strategy-modules';
import { normalizeFeatureConfig } from '../features/feature-config';
import { StrategySource, createAdapterFromDefinition, sourceHashOf, type CatalogEntry, type StrategyCatalog } from './strategy-catalog';
import { checkDefinition, type StrategyDefinition } from './strategy-api';

/** Extensions of strategy files (TypeScript, or JavaScript modules). */
export const STRATEGY_FILE_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.js', '.mjs']);

/**
 * Whether a file name in the strategies folder is a strategy file: one of {@link STRATEGY_FILE_EXTENSIONS},
 * not a declaration file (`.d.ts`), not a test (`.test.*`, `.spec.*`), not starting with `_` (helpers
 * a strategy imports) or `.` (editor and system files).
 */
export function isStrategyFileName(fileName: string): boolean {
  if (fileName.startsWith('_') || fileName.startsWith('.')) return false;
  if (!STRATEGY_FILE_EXTENSIONS.some((ext) => fileName.endsWith(ext))) return false;
  return !/\.d\.ts$|\.(test|spec)\.(ts|js|mjs)$/.test(fileName);
}

/** What {@link loadStrategyFiles} needs. */
export interface StrategyFileDeps {
  importer: StrategyModuleImporter;
  /** Names a file may not declare, with who holds them (e.g. `built-in strategy`); files never shadow them. */
  reservedNames: ReadonlyMap<string, string>;
}

/**
 * Loads every strategy file of `dir` (not recursive), in file-name order. An absent folder has no
 * strategies. Never throws for a bad file: each becomes an entry named after its file name (e.g.
 * `broken.ts`, which no strategy name can equal) whose `loadError` starts with the file's path:
 * - the file fails to compile or throws while loading;
 * - it exports neither `default` nor `strategy`, or the export fails `checkDefinition`;
 * - its default parameters (when every field has one) do not make a runnable strategy: `check`,
 *   `indicators`, `warmup` or `exits` throw or return something malformed;
 * - its name is reserved (a built-in) or was declared by an earlier file.
 * A good file becomes `{ name, source: 'file', version, summary, sourceHash, path, definition }` with
 * `sourceHash` = sha256 (hex) of the file's text.
 * @throws Error only when the folder exists but cannot be listed (permissions).
 */
export async function loadStrategyFiles(dir: string, deps: StrategyFileDeps): Promise<CatalogEntry[]> {
  const folder = path.resolve(dir);
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((d) => d.isFile() && isStrategyFileName(d.name)).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  names.sort();
  const declaredBy = new Map<string, string>();
  const entries: CatalogEntry[] = [];
  for (const fileName of names) {
    const filePath = path.join(folder, fileName);
    const failed = (reason: string, sourceHash: string, version = ''): CatalogEntry => ({
      name: fileName,
      source: StrategySource.File,
      version,
      sourceHash,
      summary: '',
      path: filePath,
      loadError: `${filePath}: ${reason}`,
    });
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      entries.push(failed(`cannot be read: ${messageOf(error)}`, ''));
      continue;
    }
    const sourceHash = sourceHashOf(text);
    let exports: Record<string, unknown>;
    try {
      exports = await deps.importer.importModule(filePath);
    } catch (error) {
      entries.push(failed(`failed to compile or load: ${messageOf(error)}`, sourceHash));
      continue;
    }
    const candidate = exports.default ?? exports.strategy;
    if (candidate === undefined) {
      entries.push(failed('exports no strategy: expected `export default defineStrategy({...})` (or `export const strategy = defineStrategy({...})`)', sourceHash));
      continue;
    }
    try {
      checkDefinition(candidate);
    } catch (error) {
      entries.push(failed(`exports no usable strategy: ${messageOf(error)}`, sourceHash));
      continue;
    }
    const definition: StrategyDefinition = candidate;
    if (definition.params.safeParse({}).success) {
      try {
        normalizeFeatureConfig(createAdapterFromDefinition(definition, undefined).features);
      } catch (error) {
        entries.push(failed(`strategy "${definition.name}" does not run with its default parameters: ${messageOf(error)}`, sourceHash, definition.version));
        continue;
      }
    }
    const holder = deps.reservedNames.get(definition.name) ?? declaredBy.get(definition.name);
    if (holder !== undefined) {
      entries.push(failed(`strategy name "${definition.name}" is already taken by the ${holder}; rename it`, sourceHash, definition.version));
      continue;
    }
    declaredBy.set(definition.name, `strategy file ${filePath}`);
    entries.push({
      name: definition.name,
      source: StrategySource.File,
      version: definition.version,
      sourceHash,
      summary: definition.summary,
      path: filePath,
      definition,
    });
  }
  return entries;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

/** The strategies folder feeding a catalog. */
export interface StrategyFileSource {
  readonly dir: string;
  /**
   * Reads the folder again and replaces the catalog's file entries with what it holds now (load
   * errors included); logs each load error as a warning, and a catalog listener's failure as an error.
   * Concurrent calls run one after the other.
   * @throws Error only when the folder exists but cannot be listed.
   * @returns the entries put into the catalog.
   */
  reload(): Promise<CatalogEntry[]>;
}

/**
 * Connects the strategies folder `dir` to `catalog`: {@link StrategyFileSource.reload} loads the files
 * and calls `catalog.replaceSource('file', entries)`. Built-in names are reserved (read from the catalog).
 */
export function createStrategyFileSource(deps: { dir: string; importer: StrategyModuleImporter; catalog: () => StrategyCatalog; logger: Logger }): StrategyFileSource {
  let queue: Promise<unknown> = Promise.resolve();
  const dir = path.resolve(deps.dir);
  async function reloadNow(): Promise<CatalogEntry[]> {
    const catalog = deps.catalog();
    const reservedNames = new Map(catalog.list().filter((e) => e.source === StrategySource.BuiltIn).map((e) => [e.name, 'built-in strategy'] as const));
    const entries = await loadStrategyFiles(dir, { importer: deps.importer, reservedNames });
    try {
      catalog.replaceSource(StrategySource.File, entries);
    } catch (error) {
      // A catalog listener failed after the entries were replaced (or an entry was refused): the reload
      // itself is done; say so without failing the start-up or the watcher.
      deps.logger.error({ err: error, dir }, 'the strategy catalog refused or failed to announce the strategy files');
    }
    for (const entry of entries) {
      if (entry.loadError) deps.logger.warn({ path: entry.path, error: entry.loadError }, 'strategy file not loaded');
    }
    deps.logger.info({ dir, strategies: entries.filter((e) => !e.loadError).map((e) => `${e.name}@${e.version}`), failed: entries.filter((e) => e.loadError).length }, 'strategy files loaded');
    return entries;
  }
  return {
    dir,
    reload() {
      const next = queue.then(reloadNow, reloadNow);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
