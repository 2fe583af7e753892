import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { ConfigError, loadConfig } from './config';
import { loadStrategyFilesAtStart } from './strategy-files';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'aethelred-root-strategies-'));
  writeFileSync(path.join(dir, 'not-a-folder'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('strategy files configuration', () => {
  it('reads AETHELRED_STRATEGIES_DIR against the working directory (default strategies/) and watches only in development', () => {
    expect(loadConfig({}, '/srv/app')).toMatchObject({ strategiesDir: '/srv/app/strategies', watchStrategies: false });
    expect(loadConfig({ AETHELRED_STRATEGIES_DIR: '../mine', NODE_ENV: 'development' }, '/srv/app')).toMatchObject({ strategiesDir: '/srv/mine', watchStrategies: true });
    expect(loadConfig({ NODE_ENV: 'production' }, '/srv/app').watchStrategies).toBe(false);
  });

  it('loads an absent folder as no strategies, with the watcher only when asked', async () => {
    const catalog = createBuiltInCatalog();
    const absent = path.join(dir, 'absent');
    const quiet = await loadStrategyFilesAtStart({ strategiesDir: absent, watchStrategies: false }, { catalog, logger: silent });
    expect(quiet.workers).toEqual([]);
    const watched = await loadStrategyFilesAtStart({ strategiesDir: absent, watchStrategies: true }, { catalog, logger: silent });
    expect(watched.workers.map((w) => w.name)).toEqual(['strategy-file-watcher']);
    expect(catalog.list().map((e) => e.source)).toEqual(['built-in', 'built-in', 'built-in', 'built-in']);
  });

  it('stops start-up naming AETHELRED_STRATEGIES_DIR when it names a file, not a folder', async () => {
    const file = path.join(dir, 'not-a-folder');
    const failure = loadStrategyFilesAtStart({ strategiesDir: file, watchStrategies: false }, { catalog: createBuiltInCatalog(), logger: silent });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(`invalid configuration:\n  AETHELRED_STRATEGIES_DIR=${JSON.stringify(file)}: expected a readable folder of strategy files (ENOTDIR: not a directory, scandir '${file}')`);
  });
});
