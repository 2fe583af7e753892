/**
 * The strategy module importer the composition root gives the engine: jiti compiles TypeScript
 * strategy files at runtime. `aethelred/strategy` and `zod` are virtual modules bound to this
 * server's own instances, from any folder: a file's `defineStrategy`, `z` schemas and
 * `ValidationError`s are the very ones the catalog checks (not a second copy of zod), and the file
 * needs no `node_modules` next to it. Files come only from the server's disk (the strategies folder).
 */
import path from 'node:path';
import { createJiti } from 'jiti';
import * as zod from 'zod';
import * as strategyApi from '@/engine/strategies/strategy-api';
import type { StrategyModuleImporter } from '@/engine/ports/strategy-modules';

/** The module id strategy files import the strategy API from. */
export const STRATEGY_API_MODULE = 'aethelred/strategy';

/**
 * Creates an importer for files of `dir`. Every import evaluates the file afresh (no module cache), so a
 * reload sees the file as it is now, helpers it imports included. With `options.cacheDir` the compiled
 * output is kept there between processes, keyed by each file's path and checked against a hash of its
 * source on every import (an edited file compiles again): compiling loads Babel, half a second or more
 * per process start, while a cached file takes milliseconds. Without it nothing is written to disk.
 */
export function createJitiStrategyImporter(dir: string, options: { cacheDir?: string } = {}): StrategyModuleImporter {
  const jiti = createJiti(path.join(path.resolve(dir), '_loader.ts'), {
    moduleCache: false,
    fsCache: options.cacheDir ?? false,
    interopDefault: false,
    virtualModules: { [STRATEGY_API_MODULE]: strategyApi, zod },
  });
  return {
    importModule: (absolutePath) => jiti.import<Record<string, unknown>>(absolutePath),
  };
}
