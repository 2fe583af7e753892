/**
 * Hot reload of strategy files in development: watches the strategies folder and reloads it into
 * the catalog shortly after the last change (editors write a file in several steps).
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../core/logger';
import type { BackgroundWorker } from '../ports/lifecycle';
import type { StrategyFileSource } from './strategy-files';
import { isStrategyFileName } from './strategy-files';

/** Quiet time after the last change before the folder is reloaded, ms. */
export const STRATEGY_RELOAD_DEBOUNCE_MS = 250;

/**
 * A background worker that watches `source.dir` (not recursive) and calls `source.reload()` once
 * changes to strategy files (or helper `_*.ts` files they import) have been quiet for `debounceMs`.
 * `stop()` closes the watcher, cancels a pending reload and waits for a running one. A missing
 * folder is logged and not watched. Reload failures are logged, never thrown.
 */
export function createStrategyFileWatcher(deps: { source: StrategyFileSource; logger: Logger; debounceMs?: number }): BackgroundWorker {
  const debounceMs = deps.debounceMs ?? STRATEGY_RELOAD_DEBOUNCE_MS;
  let watcher: FSWatcher | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      running = deps.source.reload().catch((error: unknown) => deps.logger.error({ err: error, dir: deps.source.dir }, 'reloading strategy files failed'));
    }, debounceMs);
  };

  return {
    name: 'strategy-file-watcher',
    start() {
      if (watcher) return;
      try {
        watcher = watch(deps.source.dir, { persistent: false }, (_event, fileName) => {
          const name = fileName?.toString();
          if (name === undefined || isStrategyFileName(name) || (name.startsWith('_') && /\.(ts|js|mjs)$/.test(name))) schedule();
        });
        watcher.on('error', (error) => deps.logger.warn({ err: error, dir: deps.source.dir }, 'watching the strategies folder failed'));
        deps.logger.info({ dir: deps.source.dir }, 'watching the strategies folder for changes');
      } catch (error) {
        watcher = null;
        deps.logger.warn({ err: error, dir: deps.source.dir }, 'the strategies folder cannot be watched (create it and restart to hot-reload strategies)');
      }
    },
    async stop() {
      watcher?.close();
      watcher = null;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
