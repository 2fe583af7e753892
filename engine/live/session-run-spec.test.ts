/**
 * Issue 12 ("what the operator sets is what trades"), session side: a session started without
 * strategies trades the stored strategy settings (adapters, parameters, weights, threshold, TTL,
 * cooldown, veto threshold) and its account's fee model and risk limits; the resolved spec is stored
 * with the session record, and the replayed trade is sized by hand from the candle prices.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { Clock } from '../core/clock';
import type { Candle } from '../core/types';
import { createAccountBook } from '../account/account-book';
import { createJournalWriter } from '../journal/journal-writer';
import { defaultTradingSettings, SettingsKey } from '../settings/trading-settings';
import {
  createInMemoryAccountRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
  createInMemorySettingsRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { createLiveSessionManager } from './live-session-manager';
import { createInMemoryLiveSessionStore } from '../testing/in-memory-live-session-store';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import type { LoopModels, LoopModelSource } from '../decision/loop-models';
import { INTENT_FEATURE_NAMES, MARKET_FEATURE_NAMES } from '../ml/market-features';
import type { VetoModel } from '../decision/veto-model';
import { VETO_NOT_LOADED } from './session-veto';
import { VALUE_AT_RISK_DEFAULTS } from '../risk/risk-engine';

const BUILT_INS = createBuiltInCatalog();

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** 30 flat hours (high 101, low 99), a breakout closing at 104 (Donchian-10 long, stop 99), a fall through the stop, flat at 97.5. */
function candles(): Candle[] {
  const rows: [number, number, number, number][] = [];
  for (let i = 0; i < 30; i++) rows.push([100, 101, 99, 100]);
  rows.push([100, 105, 99.5, 104]);
  rows.push([103, 103.5, 97, 97.5]);
  for (let i = 0; i < 8; i++) rows.push([97.5, 98, 97, 97.5]);
  return rows.map(([open, high, low, close], i) => ({ openTimeMs: T0 + i * HOUR, open, high, low, close, volume: 1_000 }));
}

const LIMITS = { maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 0.5, maxSymbolExposurePct: 95, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25 };

async function setup(loopModels?: LoopModelSource, veto: () => VetoModel | null = () => null, vetoDeployed?: () => Promise<boolean>) {
  const clock: Clock = { nowMs: () => Date.now() };
  const candleRepo = createInMemoryCandleRepository();
  await candleRepo.insertCandles({ exchange: 'binance', symbol: 'SYN/USDT', timeframe: '1h' }, toColumns(candles()));
  const riskState = createInMemoryRiskStateRepository();
  const journalRepo = createInMemoryJournalRepository();
  const journal = createJournalWriter({ batchSize: 50 }, { repository: journalRepo, logger: silentLogger });
  const settings = createInMemorySettingsRepository();
  const accounts = createAccountBook({
    clock,
    logger: silentLogger,
    accounts: createInMemoryAccountRepository(riskState),
    riskState,
    settings,
    candles: candleRepo,
    defaultRiskLimits: async () => defaultTradingSettings(BUILT_INS).risk,
  });
  await accounts.create({ id: 'desk', name: 'Desk', marketType: 'spot', initialBalance: 10_000, takerFeeBps: 5, spreadBps: 4, slippageBps: 1, risk: LIMITS }, 'test');
  const store = createInMemoryLiveSessionStore();
  const manager = createLiveSessionManager({
    clock,
    logger: silentLogger,
    store,
    accounts,
    settings,
    feedFor: () => {
      throw new Error('a replay needs no venue feed');
    },
    candles: candleRepo,
    realVenueFor: async () => ({ ok: false, reason: 'no venue in this test' }),
    journal,
    veto,
    ...(vetoDeployed ? { vetoDeployed } : {}),
    ...(loopModels ? { loopModels } : {}),
    newId: (() => {
      let n = 0;
      return () => `d${++n}`;
    })(),
    sleep: async () => undefined,
    random: () => 0.5,
  });
  return { manager, store, settings, journal, journalRepo };
}

/** Saves the strategy group like /strategies does: Donchian alone (weight 2, period 10), threshold 0.4, TTL 2 h. */
async function saveStrategySettings(settings: ReturnType<typeof createInMemorySettingsRepository>): Promise<void> {
  const group = defaultTradingSettings(BUILT_INS).strategy;
  const adapters = Object.fromEntries(Object.entries(group.adapters).map(([name, a]) => [name, { ...a, enabled: false }]));
  adapters['donchian-breakout'] = { enabled: true, weight: 2, params: { period: 10, atrPeriod: 5 } };
  await settings.put({ key: SettingsKey.Strategy, value: { adapters, entryThreshold: 0.4, ttlMs: 7_200_000, cooldownMs: 0, vetoThreshold: 0.6 }, updatedAtMs: 0, updatedBy: 'trader' });
}

const REPLAY = { accountId: 'desk', mode: 'replay', exchange: 'binance', symbol: 'SYN/USDT', timeframe: '1h', from: T0 + 12 * HOUR, speed: 'max', veto: 'off' };

/** By hand (see tests/integration/api-v1-backtests-settings.test.ts): fills 104.0312 and 98.9703, fees 0.10150075; 0.5 % of 10 000 at risk. */
const LOSS_PER_UNIT = 5.16240075;

describe('a session resolves its run spec from the stored settings', () => {
  it('trades the stored strategy settings with its account fee model and limits, records the spec and sizes by it', async () => {
    const { manager, store, settings, journal, journalRepo } = await setup();
    await saveStrategySettings(settings);
    const started = await manager.start(REPLAY);
    const deadline = Date.now() + 20_000;
    while (store.records.get(started.id)?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the replay did not complete');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(store.records.get(started.id)?.spec).toEqual({
      accountId: 'desk',
      strategies: ['donchian-breakout'],
      params: { 'donchian-breakout': { period: 10, atrPeriod: 5 } },
      // sha256("built-in:donchian-breakout@1.0.0")
      provenance: [{ name: 'donchian-breakout', source: 'built-in', version: '1.0.0', sourceHash: '53028e770d5cd2bdad2b65a893822dcca2eb6c95cd8df22ce192edb6ed748106' }],
      fusion: { weights: { 'donchian-breakout': 2, external: 1 }, entryThreshold: 0.4, ttlMs: 7_200_000, cooldownMs: 0, vetoThreshold: 0.6 },
      veto: false,
      models: { regime: null, volatility: null, stopDistance: null },
      // The account's limits as stored, the VaR / ES settings at their defaults (off, 99 %, 500 candles).
      risk: { ...LIMITS, ...VALUE_AT_RISK_DEFAULTS, costs: { takerFeeBps: 5, makerFeeBps: 2, spreadBps: 4, slippageBps: 1 } },
      paper: { marketType: 'spot', quoteCurrency: 'USDT', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 4, slippageBps: 1, maxVolumeShare: 0.1, leverage: 1, marginMode: 'cross' },
      exits: null,
    });
    // The request as given stays the session's config; a resume keeps the stored spec's strategies (below).
    expect(store.records.get(started.id)?.config).not.toHaveProperty('strategies');
    await journal.flush();
    const trades = (await journalRepo.listTrades({ limit: 10 })).items;
    expect(trades.map((t) => [t.side, t.exitReason])).toEqual([['long', 'stop']]);
    expect(trades[0].amount).toBeCloseTo(50 / LOSS_PER_UNIT, 10);
    // Replayed time, not the wall clock: entered at the close of the 1h candle of T0 + 30h (its market order fills at
    // once, stamped by the replay's clock), stopped out inside the next candle (stamped with its open time).
    expect([trades[0].entryTimeMs, trades[0].exitTimeMs]).toEqual([T0 + 31 * HOUR, T0 + 31 * HOUR]);
    // The journal says whose session traded: the account's overview, snapshots and journal filter count it there alone.
    expect(trades[0]).toMatchObject({ runId: null, accountId: 'desk' });
    const decisions = (await journalRepo.listDecisions({ limit: 1_000 })).items;
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.accountId === 'desk')).toBe(true);
    expect((await journalRepo.listTrades({ accountId: 'default', limit: 10 })).items).toEqual([]);
    expect((await journalRepo.summarizeTrades({ runId: null, accountId: 'desk' })).trades).toBe(1);
    expect((await journalRepo.summarizeTrades({ runId: null, accountId: 'default' })).trades).toBe(0);
    await manager.stopAll();
  });

  it('lets the request override the stored settings field by field, and defaults to its own veto and weights without stored settings', async () => {
    const { manager, store, settings } = await setup(undefined, () => vetoModel('intent-veto@v1', 0));
    const plain = await manager.start({ ...REPLAY, veto: undefined, speed: 1 });
    expect(store.records.get(plain.id)?.spec).toMatchObject({
      strategies: ['ma-crossover'],
      params: { 'ma-crossover': { fastPeriod: 20, slowPeriod: 50 } },
      fusion: { weights: { 'ma-crossover': 1, external: 1 }, entryThreshold: 0.5, ttlMs: HOUR, cooldownMs: 0, vetoThreshold: 0.5 },
      veto: true,
      risk: { riskPerTradePct: 0.5 },
    });
    await manager.stop(plain.id);
    await saveStrategySettings(settings);
    const overridden = await manager.start({ ...REPLAY, speed: 1, params: { 'donchian-breakout': { period: 12 } }, fusion: { entryThreshold: 0.7, weights: { external: 0 } } });
    expect(store.records.get(overridden.id)?.spec).toMatchObject({
      strategies: ['donchian-breakout'],
      params: { 'donchian-breakout': { period: 12, atrPeriod: 5 } },
      fusion: { weights: { 'donchian-breakout': 2, external: 0 }, entryThreshold: 0.7, ttlMs: 7_200_000, vetoThreshold: 0.6 },
      veto: false,
    });
    await manager.stopAll();
    await expect(manager.start({ ...REPLAY, fusion: { weights: { 'ema-trend': 1 } } })).rejects.toThrow(
      'field "fusion.weights.ema-trend" was 1: weight given for "ema-trend", which is not in the run (donchian-breakout, external)',
    );
    await expect(manager.start({ ...REPLAY, fusion: { threshold: 0.3 } })).rejects.toThrow('field "fusion.threshold" was 0.3: unknown field');
  });

  it('refuses a new session with veto "on" (also by default) while no intent-veto model is loaded, naming veto and what to do', async () => {
    const { manager, store } = await setup();
    const refusal = 'field "veto" was "on": no intent-veto model is deployed; deploy one on the Models page or start the session with veto "off"';
    await expect(manager.start({ ...REPLAY, veto: 'on' })).rejects.toThrow(refusal);
    await expect(manager.start({ ...REPLAY, veto: undefined })).rejects.toThrow(refusal);
    expect(store.records.size).toBe(0);
  });

  it('with the store telling deployed from loaded: veto "on" starts while none is deployed, and is refused while a deployed one is not loaded here', async () => {
    let deployed = false;
    const { manager, store } = await setup(undefined, () => null, async () => deployed);
    const started = await manager.start({ ...REPLAY, veto: undefined, speed: 1 });
    expect(store.records.get(started.id)?.spec?.veto).toBe(true);
    await manager.stopAll();
    deployed = true;
    await expect(manager.start({ ...REPLAY, symbol: 'SYN/USDT', veto: 'on', accountId: 'desk', speed: 1 }).catch((e: unknown) => (e as Error).message)).resolves.toBe(
      'field "veto" was "on": the deployed intent-veto model is not loaded in this process (see its log for why); deploy a version that loads on the Models page, or start the session with veto "off"',
    );
  });

  it('a session resumed with veto "on" and no intent-veto model loaded vetoes every entry, journaled, instead of trading without it', async () => {
    let deployed: VetoModel | null = vetoModel('intent-veto@v1', 1);
    const { manager, store, settings, journal, journalRepo } = await setup(undefined, () => deployed);
    await saveStrategySettings(settings);
    const started = await manager.start({ ...REPLAY, veto: 'on', speed: 1 });
    expect(store.records.get(started.id)?.spec?.veto).toBe(true);
    // The process stops (the session stays marked running); on the restart the veto model fails to load.
    await manager.stopAll();
    deployed = null;
    // The resumed replay runs at full speed to its end.
    (store.records.get(started.id)!.config as { speed: unknown }).speed = 'max';
    expect(await manager.resumeAll()).toBe(1);
    const deadline = Date.now() + 20_000;
    while (store.records.get(started.id)?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the replay did not complete');
      await new Promise((r) => setTimeout(r, 20));
    }
    await journal.flush();
    expect((await journalRepo.listTrades({ limit: 10 })).items).toEqual([]);
    const vetoed = (await journalRepo.listDecisions({ limit: 1_000 })).items.filter((d) => d.outcome === 'vetoed');
    expect(vetoed.length).toBeGreaterThan(0);
    const last = vetoed.find((d) => (d.inputs.veto as { modelVersion: string }).modelVersion === VETO_NOT_LOADED);
    expect(last).toMatchObject({ side: 'long', reason: `veto model ${VETO_NOT_LOADED} gave loss probability 1.0000 >= 0.6`, inputs: { veto: { modelVersion: VETO_NOT_LOADED, lossProbability: 1, threshold: 0.6 } } });
    await manager.stopAll();
  });

  it('a session resumed after a restart keeps the strategies it started with; the next new session takes the saved ones', async () => {
    const { manager, store, settings } = await setup();
    const started = await manager.start({ ...REPLAY, speed: 1 });
    expect(store.records.get(started.id)?.spec?.strategies).toEqual(['ma-crossover']);
    // The process stops (the session stays marked running), the operator saves other strategies meanwhile.
    await manager.stopAll();
    await saveStrategySettings(settings);
    expect(await manager.resumeAll()).toBe(1);
    expect(store.records.get(started.id)?.spec).toMatchObject({ strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 20, slowPeriod: 50 } }, fusion: { entryThreshold: 0.5 } });
    await manager.stop(started.id);
    const next = await manager.start({ ...REPLAY, speed: 1 });
    expect(store.records.get(next.id)?.spec).toMatchObject({ strategies: ['donchian-breakout'], fusion: { entryThreshold: 0.4 } });
    await manager.stopAll();
  });

  it('refuses a new session taking a saved group that enables a strategy which does not load, naming it; a session resumed over the strategies it started with still resumes', async () => {
    const { manager, store, settings } = await setup();
    const started = await manager.start({ ...REPLAY, speed: 1 });
    await manager.stopAll();
    // Saved while its file loaded; this start has no such strategy (its file failed to load or was removed).
    const group = defaultTradingSettings(BUILT_INS).strategy;
    await settings.put({ key: SettingsKey.Strategy, value: { ...group, adapters: { ...group.adapters, 'tuned-sma': { enabled: true, weight: 2, params: { period: 7 } } } }, updatedAtMs: 0, updatedBy: 'trader' });
    expect(await manager.resumeAll()).toBe(1);
    expect(store.records.get(started.id)?.spec?.strategies).toEqual(['ma-crossover']);
    await manager.stopAll();
    await expect(manager.start({ ...REPLAY, symbol: 'SYN/USDT', speed: 1, from: T0 + 13 * HOUR })).rejects.toThrow(
      'field "strategies" was ["tuned-sma"]: the saved strategy group enables "tuned-sma", which cannot run ("tuned-sma": no strategy of that name is loaded (was its strategy file removed or renamed?)). ' +
        'Fix the strategy file so it loads again, or disable "tuned-sma" in the saved strategy group on /strategies (its saved parameters are kept), or name the run\'s strategies explicitly',
    );
    const named = await manager.start({ ...REPLAY, speed: 1, strategies: ['ma-crossover'] });
    expect(store.records.get(named.id)?.spec?.strategies).toEqual(['ma-crossover']);
    await manager.stopAll();
  });

  it('trades a session with the regime model: the range multiplier halves the replayed trade, the version is journaled, deploys are followed', async () => {
    const loads: { follow: boolean | undefined }[] = [];
    // A regime model behind the port that always says "range".
    const source: LoopModelSource = {
      deployedVersion: () => 2,
      load: async (spec, options): Promise<LoopModels> => {
        loads.push({ follow: options?.follow });
        return {
          regime: spec.regime ? { version: 'regime@v2', featureNames: MARKET_FEATURE_NAMES, predictRegimeProbabilities: async () => [0.1, 0.2, 0.7] } : null,
          volatility: null,
          stopDistance: null,
        };
      },
      files: async () => {
        throw new Error('sessions load their models; files are for study trials');
      },
    };
    const { manager, store, settings, journal, journalRepo } = await setup(source);
    await saveStrategySettings(settings);
    const started = await manager.start({ ...REPLAY, models: { regime: { riskMultiplier: { range: 0.5 } } } });
    const deadline = Date.now() + 20_000;
    while (store.records.get(started.id)?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the replay did not complete');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(loads).toEqual([{ follow: true }]);
    expect(store.records.get(started.id)?.spec?.models).toEqual({ regime: { version: 'deployed', riskMultiplier: { trendUp: 1, trendDown: 1, range: 0.5 } }, volatility: null, stopDistance: null });
    await journal.flush();
    const trades = (await journalRepo.listTrades({ limit: 10 })).items;
    expect(trades.map((t) => [t.side, t.exitReason])).toEqual([['long', 'stop']]);
    // The same trade as without the model, at half the risk: 0.5 x 0.5 % of 10 000 over the loss per unit.
    expect(trades[0].amount).toBeCloseTo((0.5 * 50) / LOSS_PER_UNIT, 10);
    const entry = (await journalRepo.listDecisions({ limit: 50 })).items.find((d) => d.outcome === 'executed' && d.reason.startsWith('entered'))!;
    expect(entry.inputs.models).toEqual({ regime: { modelVersion: 'regime@v2', regime: 'range', probabilities: [0.1, 0.2, 0.7], riskMultiplier: 0.5 } });
    await manager.stopAll();
  });

  it('refuses a session whose model option names a kind with no deployed model, naming the field and value', async () => {
    const { manager } = await setup();
    await expect(manager.start({ ...REPLAY, models: { stopDistance: true } })).rejects.toThrow(
      'field "models.stopDistance" was "deployed": no stop-distance model is deployed; train and deploy one on the Models page or run without it',
    );
    await expect(manager.start({ ...REPLAY, models: { regime: { riskMultiplier: { range: 3 } } } })).rejects.toThrow('field "models.regime.riskMultiplier.range" was 3: expected a multiplier in 0..1');
  });
});

/** A fake intent-veto model answering `p` for every entry. */
function vetoModel(version: string, p: number): VetoModel {
  return { version, featureNames: INTENT_FEATURE_NAMES, predictLossProbability: async () => p };
}
