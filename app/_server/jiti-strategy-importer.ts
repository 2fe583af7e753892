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
 * Creates an importer for files of `dir`. Every import compiles and evaluates the file afresh
 * (no module or disk cache), so a reload sees the file as it is now, helpers it imports included.
 */
export function createJitiStrategyImporter(dir: string): StrategyModuleImporter {
  const jiti = createJiti(path.join(path.resolve(dir), '_loader.ts'), {
    moduleCache: false,
    fsCache: false,
    interopDefault: false,
    virtualModules: { [STRATEGY_API_MODULE]: strategyApi, zod },
  });
  return {
    importModule: (absolutePath) => jiti.import<Record<string, unknown>>(absolutePath),
  };
}
