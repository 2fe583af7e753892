/**
 * The veto in the loop: a backtest through the engine facade with a deployed intent-veto model
 * journals every vetoed decision with the model version and loss probability, and `--veto on`
 * changes the entries compared with `--veto off`. Without a deployed model `veto: true` fails
 * with a clear error (engine and CLI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { createEngine, type Engine } from '../../engine/engine';
import { createPaperExchange } from '../../engine/execution/paper-exchange';
import { DEFAULT_PAPER } from '../../engine/backtest/run-backtest';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry, type ModelRegistry } from '../../engine/ml/model-registry';
import { createTrainHandlers } from '../../engine/ml/train-handlers';
import { INTENT_FEATURE_NAMES } from '../../engine/ml/market-features';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
} from '../../engine/testing/in-memory-repositories';
import type { DecisionRecord, JournalRepository } from '../../engine/ports/journal';
import { syntheticCandles } from '../support/ml-candles';

const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
const CANDLES = syntheticCandles(900, 29);
const FROM = CANDLES.openTimeMs[0];
const SPLIT = CANDLES.openTimeMs[600];
const TO = CANDLES.openTimeMs[899] + 3_600_000;

function buildEngine(registry: ModelRegistry, journal: JournalRepository, candles: ReturnType<typeof createInMemoryCandleRepository>): Engine {
  let id = 0;
  return createEngine({
    clock: createManualClock(0),
    logger: silentLogger,
    candles,
    journal,
    riskState: createInMemoryRiskStateRepository(),
    backtestRuns: createInMemoryBacktestRunRepository(),
    newId: () => `id-${++id}`,
    exchange: createPaperExchange(DEFAULT_PAPER, { clock: createManualClock(0) }),
    vetoModel: () => registry.activeVetoModel(),
    models: registry,
  });
}

async function decisionsOf(journal: JournalRepository, runId: string): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await journal.listDecisions({ runId, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

describe('veto model in the trading loop', () => {
  let dir: string;
  let registry: ModelRegistry;
  let engine: Engine;
  let handlers: ReturnType<typeof createTrainHandlers>;
  const journal = createInMemoryJournalRepository();
  const candles = createInMemoryCandleRepository();
  const request = {
    ...MARKET,
    from: SPLIT,
    to: TO,
    strategies: ['ma-crossover', 'donchian-breakout'],
    decisionDetail: 'signals' as const,
    // Vetoes at a loss probability of 0.5 or more.
    fusion: { vetoThreshold: 0.5 },
  };

  beforeAll(async () => {
    await candles.insertCandles(MARKET, CANDLES);
    dir = mkdtempSync(path.join(tmpdir(), 'aethelred-veto-'));
    let t = 0;
    const repository = createInMemoryModelRepository({ clock: { nowMs: () => ++t } });
    const store = createFsModelFileStore(dir);
    registry = createModelRegistry({ repository, store, logger: silentLogger });
    handlers = createTrainHandlers({ candles, repository, store, registry, newId: () => 'veto-model-1' });
    engine = buildEngine(registry, journal, candles);
  });
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails `veto: true` with a clear error while no model is deployed, in the engine and the CLI', async () => {
    expect(engine.activeVetoModel()).toBeNull();
    await expect(engine.runBacktest({ ...request, veto: true })).rejects.toThrow('field "veto" was true: no veto model is deployed; deploy one or run with veto off');
    const stderr: string[] = [];
    const code = await runBacktestCommand(
      ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h', '--from', String(SPLIT), '--to', String(TO), '--strategies', 'ma-crossover', '--veto', 'on'],
      { runBacktest: engine.runBacktest, stdout: () => undefined, stderr: (s) => void stderr.push(s) },
    );
    expect(code).toBe(2);
    expect(stderr.join('')).toContain('no veto model is deployed');
  });

  it('records model version and loss probability on every vetoed decision, and --veto on changes the entries', async () => {
    // Train on the candles before the backtest window only, then deploy through the engine facade.
    const trained = await handlers['train-intent-veto'](
      { ...MARKET, from: FROM, to: SPLIT, horizon: 12, folds: 3, seed: 5 },
      { ticketId: 'ticket-veto', reportProgress: async () => undefined, signal: new AbortController().signal, logger: silentLogger },
    );
    expect((await engine.models.list('intent-veto')).map((m) => m.version)).toEqual([trained.version]);
    await engine.models.deploy('intent-veto', trained.version);
    expect(engine.activeVetoModel()?.version).toBe('intent-veto@v1');
    expect(engine.activeVetoModel()?.featureNames).toEqual([...INTENT_FEATURE_NAMES]);

    const off = await engine.runBacktest({ ...request, veto: false });
    const on = await engine.runBacktest({ ...request, veto: true });
    expect(off.stats.vetoed).toBe(0);
    expect(on.stats.vetoed).toBeGreaterThan(0);
    expect(on.stats.entries).toBeLessThan(off.stats.entries);
    expect(on.stats.entries).toBeGreaterThan(0);

    const decisions = await decisionsOf(journal, on.runId);
    const vetoed = decisions.filter((d) => d.outcome === 'vetoed');
    expect(vetoed.length).toBe(on.stats.vetoed);
    for (const d of vetoed) {
      const veto = d.inputs.veto as { modelVersion: string; lossProbability: number; threshold: number };
      expect(veto.modelVersion).toBe('intent-veto@v1');
      expect(veto.threshold).toBe(0.5);
      expect(veto.lossProbability).toBeGreaterThanOrEqual(0.5);
      expect(veto.lossProbability).toBeLessThanOrEqual(1);
      expect(d.reason).toContain('veto model intent-veto@v1 gave loss probability');
    }
    // Entries that passed the veto carry its verdict too, below the threshold.
    for (const d of decisions.filter((x) => x.outcome === 'executed' && 'stopOrderId' in x.inputs)) {
      expect((d.inputs.veto as { lossProbability: number }).lossProbability).toBeLessThan(0.5);
    }
    expect((await decisionsOf(journal, off.runId)).some((d) => 'veto' in d.inputs)).toBe(false);
  });

  it('rolls back through the engine facade and fails clearly without a model registry', async () => {
    await expect(engine.models.rollback('intent-veto')).rejects.toThrow('no previously active intent-veto version to roll back to from v1');
    const bare = createEngine({
      clock: createManualClock(0),
      logger: silentLogger,
      candles,
      journal,
      riskState: createInMemoryRiskStateRepository(),
      backtestRuns: createInMemoryBacktestRunRepository(),
      newId: () => 'x',
      exchange: createPaperExchange(DEFAULT_PAPER, { clock: createManualClock(0) }),
    });
    expect(bare.activeVetoModel()).toBeNull();
    await expect(bare.models.list()).rejects.toThrow('this engine was built without a model registry');
  });
});
