/**
 * The loop's models from a real registry (`createLoopModelSource`): models trained on synthetic candles
 * and deployed; `deployed` is a snapshot for a backtest and follows deploys for a session; a version number
 * pins that version; a kind without a deployed model or a version that does not exist is refused naming
 * `models.<kind>` and the value. Predictions come from the ONNX files through the ports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/core/clock';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry, type ModelRegistry } from '../../engine/ml/model-registry';
import { createLoopModelSource } from '../../engine/ml/loop-model-source';
import { createTrainHandlers, type TrainJobContext } from '../../engine/ml/train-handlers';
import { INTENT_FEATURE_NAMES, MARKET_FEATURE_NAMES } from '../../engine/ml/market-features';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { resolveLoopModels } from '../../engine/decision/loop-models';
import { syntheticCandles } from '../support/ml-candles';

const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
const CANDLES = syntheticCandles(700, 11);
const PARAMS = { ...MARKET, from: CANDLES.openTimeMs[0], to: CANDLES.openTimeMs[699] + 3_600_000, horizon: 12, folds: 2, seed: 7 };
const context = (): TrainJobContext => ({ ticketId: 't', signal: new AbortController().signal, logger: silentLogger, reportProgress: async () => undefined });

describe('loop models from the model registry', () => {
  let dir: string;
  let registry: ModelRegistry;
  let handlers: ReturnType<typeof createTrainHandlers>;

  beforeAll(async () => {
    const candles = createInMemoryCandleRepository();
    await candles.insertCandles(MARKET, CANDLES);
    dir = mkdtempSync(path.join(tmpdir(), 'aethelred-loop-models-'));
    let t = 0;
    const repository = createInMemoryModelRepository({ clock: { nowMs: () => ++t } });
    const store = createFsModelFileStore(dir);
    registry = createModelRegistry({ repository, store, logger: silentLogger });
    let id = 0;
    handlers = createTrainHandlers({ candles, repository, store, registry, newId: () => `m-${++id}` });
  }, 120_000);
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves deployed, followed and pinned versions through the loop ports, and names what is missing', { timeout: 120_000 }, async () => {
    const source = createLoopModelSource(registry);
    const spec = resolveLoopModels({ regime: true, volatility: { targetVolatility: 0.01 }, stopDistance: true });
    await expect(source.load(spec)).rejects.toThrow('field "models.regime" was "deployed": no regime model is deployed; train and deploy one on the Models page or run without it');
    expect(source.deployedVersion('regime')).toBeNull();

    await handlers['train-regime']({ ...PARAMS, activate: true }, context());
    await handlers['train-volatility']({ ...PARAMS, activate: true }, context());
    await handlers['train-stop-distance']({ ...PARAMS, activate: true }, context());
    expect([source.deployedVersion('regime'), source.deployedVersion('volatility'), source.deployedVersion('stop-distance')]).toEqual([1, 1, 1]);

    const snapshot = await source.load(spec);
    const followed = await source.load(spec, { follow: true });
    const market = new Float32Array(MARKET_FEATURE_NAMES.length).fill(0.01);
    const intent = new Float32Array(INTENT_FEATURE_NAMES.length).fill(0.01);
    intent[0] = 1;
    const p = await snapshot.regime!.predictRegimeProbabilities(market);
    expect(p.length).toBe(3);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 5);
    expect(Number.isFinite(await snapshot.volatility!.predictVolatility(market))).toBe(true);
    expect(Number.isFinite(await snapshot.stopDistance!.predictStopDistanceAtr(intent))).toBe(true);
    expect([snapshot.regime!.version, snapshot.volatility!.version, snapshot.stopDistance!.version]).toEqual(['regime@v1', 'volatility@v1', 'stop-distance@v1']);

    // A second volatility version deployed: the backtest's snapshot keeps v1, the session's view moves to v2.
    await handlers['train-volatility']({ ...PARAMS, seed: 8, activate: true }, context());
    await snapshot.volatility!.predictVolatility(market);
    await followed.volatility!.predictVolatility(market);
    expect(snapshot.volatility!.version).toBe('volatility@v1');
    expect(followed.volatility!.version).toBe('volatility@v2');

    const pinned = await source.load(resolveLoopModels({ volatility: { version: 1, targetVolatility: 0.01 } }));
    expect(pinned.volatility!.version).toBe('volatility@v1');
    expect(pinned.regime).toBeNull();
    await expect(source.load(resolveLoopModels({ volatility: { version: 9, targetVolatility: 0.01 } }))).rejects.toThrow(
      'field "models.volatility" was 9: no volatility model has this version; see the Models page',
    );
  });
});
