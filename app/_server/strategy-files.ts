/**
 * Strategy files in the composition root: the folder `AETHELRED_STRATEGIES_DIR` names (default
 * `strategies/`) is loaded into the catalog once while the root is built — before live sessions
 * resume, so a session trading a file strategy finds it — and, in development, watched and reloaded
 * by a background worker that starts and stops with the engine.
 */
import path from 'node:path';
import type { Logger } from '@/engine/core/logger';
import type { BackgroundWorker } from '@/engine/ports/lifecycle';
import type { StrategyCatalog } from '@/engine/strategies/strategy-catalog';
import { createStrategyFileSource, type StrategyFileSource } from '@/engine/strategies/strategy-files';
import { createStrategyFileWatcher } from '@/engine/strategies/strategy-file-watcher';
import { ConfigError, type AppConfig } from './config';
import { createJitiStrategyImporter } from './jiti-strategy-importer';

/** The loaded strategies folder and the workers that keep it current (none outside development). */
export interface StrategyFiles {
  readonly source: StrategyFileSource;
  readonly workers: BackgroundWorker[];
}

/**
 * Loads the strategies folder into `catalog` (files that fail are catalog entries with their error;
 * an absent folder has no strategies; compiled files are cached under `${dataDir}/cache/strategy-files`) and returns the hot-reload worker when `config.watchStrategies`.
 * @throws ConfigError naming AETHELRED_STRATEGIES_DIR when the path exists but is not a readable folder.
 */
export async function loadStrategyFilesAtStart(
  config: Pick<AppConfig, 'strategiesDir' | 'watchStrategies'> & { dataDir?: string },
  deps: { catalog: StrategyCatalog; logger: Logger },
): Promise<StrategyFiles> {
  // Compiled files are cached under the data dir (checked against each file's source hash), so a CLI command does not recompile them at every start.
  const importer = createJitiStrategyImporter(config.strategiesDir, config.dataDir === undefined ? {} : { cacheDir: path.join(config.dataDir, 'cache', 'strategy-files') });
  const source = createStrategyFileSource({ dir: config.strategiesDir, importer, catalog: () => deps.catalog, logger: deps.logger });
  try {
    await source.reload();
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  AETHELRED_STRATEGIES_DIR=${JSON.stringify(config.strategiesDir)}: expected a readable folder of strategy files (${(error as Error).message})`);
  }
  return { source, workers: config.watchStrategies ? [createStrategyFileWatcher({ source, logger: deps.logger })] : [] };
}
