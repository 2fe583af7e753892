/**
 * A strategy file that fails to load keeps its saved settings: runs that take their strategies from the saved group
 * are refused (naming the strategy, why it did not load and what to do) instead of running without it, and a save of
 * the group (the /strategies form, a study's Apply) writes its stored entry back untouched, so once the file is fixed
 * the strategy comes back enabled with its tuned params.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { createEngine } from '../engine';
import { createAccountBook } from '../account/account-book';
import { createJournalWriter } from '../journal/journal-writer';
import {
  createInMemoryAccountRepository,
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
} from '../testing/in-memory-repositories';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { StrategySource, type CatalogEntry, type StrategyCatalog } from '../strategies/strategy-catalog';
import { defineStrategy, setFlat, z } from '../strategies/strategy-api';
import { loadStoredRunSettings, resolveRunSpec, runDefaults } from '../trading/run-spec';
import { defaultTradingSettings, planStrategySave, unavailableEnabledStrategies, unloadedStoredAdapters, withKeptAdapters, type StrategySettings } from './trading-settings';

const T0 = Date.UTC(2024, 0, 1);
const FILE = '/srv/strategies/tuned-sma.ts';
const LOAD_ERROR = `${FILE}: failed to compile or load: Unexpected token ')'`;

const tunedSma = defineStrategy({
  name: 'tuned-sma',
  version: '1.0.0',
  summary: 'test file strategy',
  params: z.object({ period: z.number().int().min(2).default(20) }),
  indicators: (p) => ({ sma: [p.period] }),
  warmup: (p) => p.period,
  evaluate: (_f, _i, out) => setFlat(out, 'no signal'),
});

/** The catalog with tuned-sma.ts loaded, failed to load (an entry named after the file, as strategy-files makes it), or removed. */
function catalogWith(file: 'loaded' | 'broken' | 'removed'): StrategyCatalog {
  const catalog = createBuiltInCatalog();
  const entries: Record<typeof file, CatalogEntry[]> = {
    loaded: [{ name: 'tuned-sma', source: StrategySource.File, version: '1.0.0', sourceHash: 'h1', summary: 'test file strategy', path: FILE, definition: tunedSma }],
    broken: [{ name: 'tuned-sma.ts', source: StrategySource.File, version: '', sourceHash: 'h2', summary: '', path: FILE, loadError: LOAD_ERROR }],
    removed: [],
  };
  catalog.replaceSource('file', entries[file]);
  return catalog;
}

/** The group saved while the file loaded: ma-crossover (weight 1) and tuned-sma (weight 2, period 7) enabled. */
function savedGroup(): StrategySettings {
  const group = defaultTradingSettings(catalogWith('loaded')).strategy;
  return { ...group, adapters: { ...group.adapters, 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } } };
}

/** One engine (a process start) over shared settings, with the catalog of that start. */
async function engineOn(stores: { settings: ReturnType<typeof createInMemorySettingsRepository>; riskState: ReturnType<typeof createInMemoryRiskStateRepository> }, strategies: StrategyCatalog) {
  const clock = createManualClock(T0);
  const candles = createInMemoryCandleRepository();
  const journal = createInMemoryJournalRepository();
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: createInMemoryAccountRepository(stores.riskState),
    riskState: stores.riskState,
    settings: stores.settings,
    candles,
    defaultRiskLimits: async () => defaultTradingSettings(strategies).risk,
    journal: createJournalWriter({ batchSize: 100 }, { repository: journal, logger: silentLogger }),
    newId: () => 'id',
  });
  await accounts.ensureDefault({ name: 'Paper', marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 });
  const exchange = (await accounts.runtime('default')).exchange();
  return createEngine(
    {
      clock,
      logger: silentLogger,
      candles,
      journal,
      riskState: stores.riskState,
      backtestRuns: createInMemoryBacktestRunRepository(),
      newId: () => 'id',
      exchange,
      account: { exchange, marketType: 'spot', marginMode: 'cross' },
      accounts,
      settings: stores.settings,
      strategies,
    },
    { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
  );
}

const storedGroupOf = async (settings: ReturnType<typeof createInMemorySettingsRepository>) => (await settings.get('trading.strategy'))?.value as StrategySettings;

describe('the saved entries of strategies the catalog cannot build', () => {
  it('are found in the stored group, with why each enabled one cannot run', () => {
    const broken = catalogWith('broken');
    expect(unloadedStoredAdapters(savedGroup(), broken)).toEqual({ 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } });
    expect(unavailableEnabledStrategies(savedGroup(), broken)).toEqual([{ name: 'tuned-sma', reason: `it is not loaded; strategy files that failed to load: ${LOAD_ERROR}` }]);
    expect(unavailableEnabledStrategies(savedGroup(), catalogWith('removed'))).toEqual([
      { name: 'tuned-sma', reason: 'no strategy of that name is loaded (was its strategy file removed or renamed?)' },
    ]);
    expect(unavailableEnabledStrategies(savedGroup(), catalogWith('loaded'))).toEqual([]);
    const disabled = { ...savedGroup(), adapters: { ...savedGroup().adapters, 'tuned-sma': { enabled: false, weight: 2, params: { period: 7 } } } };
    expect(unavailableEnabledStrategies(disabled, broken)).toEqual([]);
  });

  it('are kept by a save; a save may disable one (its weight and params kept), any other mention of it is left to validation', () => {
    const broken = catalogWith('broken');
    const form = defaultTradingSettings(broken).strategy;
    expect(planStrategySave(form, savedGroup(), broken)).toEqual({ input: form, keep: { 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } } });
    const disabling = { ...form, adapters: { ...form.adapters, 'tuned-sma': { enabled: false } } };
    expect(planStrategySave(disabling, savedGroup(), broken)).toEqual({ input: form, keep: { 'tuned-sma': { enabled: false, weight: 2, params: { period: 7 } } } });
    const retuning = { ...form, adapters: { ...form.adapters, 'tuned-sma': { enabled: true, weight: 1, params: { period: 9 } } } };
    expect(planStrategySave(retuning, savedGroup(), broken)).toEqual({ input: retuning, keep: { 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } } });
    expect(withKeptAdapters(form, { 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } }).adapters['tuned-sma']).toEqual({ enabled: true, weight: 2, params: { period: 7 } });
  });
});

describe('a strategy file that fails to load at a restart', () => {
  it('refuses runs that take their strategies from the saved group, naming it, why, and what to do; a run naming its strategies still resolves', async () => {
    const settings = createInMemorySettingsRepository();
    await settings.put({ key: 'trading.strategy', value: savedGroup(), updatedAtMs: T0, updatedBy: 'trader@example.com' });
    const broken = catalogWith('broken');
    const stored = await loadStoredRunSettings('default', { settings, strategies: broken, logger: silentLogger });
    expect(stored.unavailable).toEqual([{ name: 'tuned-sma', reason: `it is not loaded; strategy files that failed to load: ${LOAD_ERROR}` }]);
    for (const kind of ['backtest', 'session'] as const) {
      expect(() => resolveRunSpec({}, stored, runDefaults(kind, 300_000), broken)).toThrow(
        `field "strategies" was ["tuned-sma"]: the saved strategy group enables "tuned-sma", which cannot run ("tuned-sma": it is not loaded; strategy files that failed to load: ${LOAD_ERROR}). ` +
          `Fix the strategy file so it loads again, or disable "tuned-sma" in the saved strategy group on /strategies (its saved parameters are kept), or name the run's strategies explicitly`,
      );
    }
    const named = resolveRunSpec({ strategies: ['ma-crossover'] }, stored, runDefaults('backtest', 300_000), broken);
    expect([named.strategies, named.params]).toEqual([['ma-crossover'], { 'ma-crossover': { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 } }]);
    // With the file loaded the same group runs both strategies, tuned-sma with its saved period and weight.
    const loaded = catalogWith('loaded');
    const both = resolveRunSpec({}, await loadStoredRunSettings('default', { settings, strategies: loaded, logger: silentLogger }), runDefaults('backtest', 300_000), loaded);
    expect([both.strategies, both.params['tuned-sma'], both.fusion.weights]).toEqual([['ma-crossover', 'tuned-sma'], { period: 7 }, { 'ma-crossover': 1, 'tuned-sma': 2 }]);
  });

  it('keeps its saved entry through a /strategies save, refuses a save naming it, lets a save disable it, and it comes back as saved once the file loads', async () => {
    const stores = { settings: createInMemorySettingsRepository(), riskState: createInMemoryRiskStateRepository() };
    await stores.settings.put({ key: 'trading.strategy', value: savedGroup(), updatedAtMs: T0, updatedBy: 'trader@example.com' });
    const whileBroken = await engineOn(stores, catalogWith('broken'));

    // The form shows (and posts back) the strategies that load: tuned-sma is not in it.
    const form = (await whileBroken.getTradingSettings()).strategy;
    expect(Object.keys(form.adapters)).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout']);
    const saved = await whileBroken.updateTradingSettings({ strategy: { ...form, entryThreshold: 0.4 } }, 'trader@example.com');
    expect(saved.ok).toBe(true);
    const afterSave = await storedGroupOf(stores.settings);
    expect(afterSave.entryThreshold).toBe(0.4);
    expect(afterSave.adapters['tuned-sma']).toEqual({ enabled: true, weight: 2, params: { period: 7 } });
    expect(afterSave.adapters['ma-crossover']).toEqual({ enabled: true, weight: 1, params: { fastPeriod: 20, slowPeriod: 50, atrPeriod: 14, atrStopMultiple: 2 } });

    // Naming it otherwise than to disable it is refused as before, and nothing is written.
    const named = await whileBroken.updateTradingSettings({ strategy: { ...form, adapters: { ...form.adapters, 'tuned-sma': { enabled: true, weight: 1, params: { period: 9 } } } } }, 'trader@example.com');
    expect(named).toEqual({ ok: false, fieldErrors: { 'strategy.adapters.tuned-sma': ['strategy "tuned-sma" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout'] } });
    expect(await storedGroupOf(stores.settings)).toEqual(afterSave);
    const unknown = await whileBroken.updateTradingSettings({ strategy: { ...form, adapters: { ...form.adapters, 'never-saved': { enabled: false, weight: 1, params: {} } } } }, 'trader@example.com');
    expect(unknown).toEqual({ ok: false, fieldErrors: { 'strategy.adapters.never-saved': ['strategy "never-saved" is not known; expected one of ma-crossover, rsi-mean-reversion, ema-trend, donchian-breakout'] } });

    // Once the file loads again (the next start), it is enabled with its tuned params and weight.
    const fixed = await engineOn(stores, catalogWith('loaded'));
    expect((await fixed.getTradingSettings()).strategy.adapters['tuned-sma']).toEqual({ enabled: true, weight: 2, params: { period: 7 } });
    expect((await fixed.getTradingSettings()).strategy.entryThreshold).toBe(0.4);

    // Disabling it while it does not load: the entry stays with its weight and params, enabled false; runs go on without it.
    const disabled = await whileBroken.updateTradingSettings({ strategy: { ...form, adapters: { ...form.adapters, 'tuned-sma': { enabled: false } } } }, 'trader@example.com');
    expect(disabled.ok).toBe(true);
    expect((await storedGroupOf(stores.settings)).adapters['tuned-sma']).toEqual({ enabled: false, weight: 2, params: { period: 7 } });
    const stored = await loadStoredRunSettings('default', { settings: stores.settings, strategies: catalogWith('broken'), logger: silentLogger });
    expect(stored.unavailable).toBeUndefined();
    expect(resolveRunSpec({}, stored, runDefaults('backtest', 300_000), catalogWith('broken')).strategies).toEqual(['ma-crossover']);
  });
});
