/**
 * Training jobs end to end (candles -> dataset -> walk-forward -> ONNX file + version row), the
 * registry's deploy / rollback / hot swap, and start-up loading. Runs with the in-memory model
 * repository and with the drizzle one on PGlite; model files go to a temp directory.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRepository } from '../../db/repositories/model-repository';
import { silentLogger } from '../../engine/core/clock';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { CandleRepository } from '../../engine/ports/candles';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry, ModelIntegrityError, type ModelRegistry } from '../../engine/ml/model-registry';
import type { ModelRepository } from '../../engine/ports/models';
import { INTENT_FEATURE_NAMES, MARKET_FEATURE_NAMES } from '../../engine/ml/market-features';
import { createTrainHandlers, type TrainJobContext } from '../../engine/ml/train-handlers';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { syntheticCandles } from '../support/ml-candles';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
const CANDLES = syntheticCandles(800, 17);
const PARAMS = { ...MARKET, from: CANDLES.openTimeMs[0], to: CANDLES.openTimeMs[799] + 3_600_000, horizon: 12, folds: 3, seed: 7 };

function context(ticketId = 'ticket-1', signal = new AbortController().signal): TrainJobContext & { progress: [number, string][] } {
  const progress: [number, string][] = [];
  return { ticketId, signal, logger: silentLogger, progress, reportProgress: async (p, message) => void progress.push([p, message]) };
}

const repositories: { name: string; open(): Promise<{ repository: ModelRepository; dispose(): Promise<void> }> }[] = [
  {
    name: 'in-memory',
    async open() {
      let t = 1_000;
      return { repository: createInMemoryModelRepository({ clock: { nowMs: () => ++t } }), dispose: async () => {} };
    },
  },
  {
    name: 'PGlite',
    async open() {
      const { database, dispose } = await TEST_DATABASE_BACKENDS[0].open();
      return { repository: createModelRepository(database.db), dispose };
    },
  },
];

describe.each(repositories)('training jobs and the model registry ($name repository)', (backend) => {
  let repository: ModelRepository;
  let dispose: () => Promise<void>;
  let candles: CandleRepository;
  let dir: string;
  let registry: ModelRegistry;
  let handlers: ReturnType<typeof createTrainHandlers>;
  const fileOf = (file: string) => path.join(dir, file);

  beforeAll(async () => {
    ({ repository, dispose } = await backend.open());
    candles = createInMemoryCandleRepository();
    await candles.insertCandles(MARKET, CANDLES);
    dir = mkdtempSync(path.join(tmpdir(), 'aethelred-models-'));
    const store = createFsModelFileStore(dir);
    registry = createModelRegistry({ repository, store, logger: silentLogger });
    let id = 0;
    handlers = createTrainHandlers({ candles, repository, store, registry, newId: () => `model-${backend.name}-${++id}` });
  });
  afterAll(async () => {
    await registry.close();
    await dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains the intent veto, stores its file and version row with metrics and the ticket id', async () => {
    const ctx = context('ticket-a');
    const result = await handlers['train-intent-veto'](PARAMS, ctx);
    expect(result).toMatchObject({ kind: 'intent-veto', version: 1, file: 'intent-veto/v1.onnx', activated: false, rows: 2 * (800 - 12 - 49) });
    const bytes = readFileSync(fileOf('intent-veto/v1.onnx'));
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const record = await repository.get('intent-veto', 1);
    expect(record).toMatchObject({ ticketId: 'ticket-a', sha256: result.sha256, featureNames: [...INTENT_FEATURE_NAMES], active: false });
    expect(record!.metrics.auc).toBeGreaterThanOrEqual(0);
    expect(record!.metrics.auc).toBeLessThanOrEqual(1);
    expect(Number.isFinite(record!.metrics.logLoss)).toBe(true);
    expect(record!.metrics.folds).toBe(3);
    expect(record!.trainingFromMs).toBe(CANDLES.openTimeMs[49] + 3_600_000);
    expect(record!.trainingToMs).toBe(CANDLES.openTimeMs[799] + 3_600_000);
    expect((record!.params.walkForward as unknown[]).length).toBe(3);
    expect(ctx.progress[ctx.progress.length - 1]).toEqual([1, 'trained intent-veto v1']);
    expect(ctx.progress.map(([p]) => p)).toEqual([...ctx.progress.map(([p]) => p)].sort((a, b) => a - b));
  });

  it('gives a byte-identical ONNX file for the same seed and data, and a different one for another seed', async () => {
    const again = await handlers['train-intent-veto'](PARAMS, context('ticket-b'));
    expect(again.version).toBe(2);
    expect(readFileSync(fileOf('intent-veto/v2.onnx')).equals(readFileSync(fileOf('intent-veto/v1.onnx')))).toBe(true);
    const other = await handlers['train-intent-veto']({ ...PARAMS, seed: 8 }, context('ticket-c'));
    expect(other.version).toBe(3);
    expect(readFileSync(fileOf('intent-veto/v3.onnx')).equals(readFileSync(fileOf('intent-veto/v1.onnx')))).toBe(false);
  });

  it('deploys on activate and serves the veto as "intent-veto@v<n>" with a probability', async () => {
    expect(registry.activeVetoModel()).toBeNull();
    const result = await handlers['train-intent-veto']({ ...PARAMS, activate: true }, context('ticket-d'));
    expect(result).toMatchObject({ version: 4, activated: true });
    const veto = registry.activeVetoModel()!;
    expect(veto.version).toBe('intent-veto@v4');
    expect(veto.featureNames).toEqual([...INTENT_FEATURE_NAMES]);
    const p = await veto.predictLossProbability(new Float32Array(INTENT_FEATURE_NAMES.length));
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    expect((await repository.active('intent-veto'))?.version).toBe(4);
    await expect(veto.predictLossProbability(new Float32Array(3))).rejects.toThrow('field "features" was 3: veto model intent-veto@v4 takes 10 features');
  });

  it('hot-swaps: a prediction started on the old version finishes on it, new snapshots use the new version', async () => {
    const old = registry.activeVetoModel()!;
    const live = registry.liveVetoModel();
    const input = new Float32Array(INTENT_FEATURE_NAMES.length).fill(0.5);
    const inFlight = old.predictLossProbability(input);
    await registry.deploy('intent-veto', 3);
    await expect(inFlight).resolves.toBeGreaterThan(0);
    expect(registry.activeVetoModel()!.version).toBe('intent-veto@v3');
    // The snapshot taken before the deploy keeps answering with v4; the live view follows the deploy.
    expect(old.version).toBe('intent-veto@v4');
    await expect(old.predictLossProbability(input)).resolves.toBeGreaterThan(0);
    await live.predictLossProbability(input);
    expect(live.version).toBe('intent-veto@v3');
  });

  it('rolls back to the previously active version in one action, and back again', async () => {
    expect((await registry.rollback('intent-veto')).version).toBe(4);
    expect(registry.activeVetoModel()!.version).toBe('intent-veto@v4');
    expect((await repository.active('intent-veto'))?.version).toBe(4);
    expect((await registry.rollback('intent-veto')).version).toBe(3);
    expect((await registry.list('intent-veto')).filter((m) => m.active).map((m) => m.version)).toEqual([3]);
  });

  it('pins a veto version for a session: it keeps answering as that version across deploys; an unknown version is refused naming vetoVersion', async () => {
    const pinned = await registry.pinnedVetoModel(1);
    expect(pinned.version).toBe('intent-veto@v1');
    const zero = new Float32Array(INTENT_FEATURE_NAMES.length);
    const before = await pinned.predictLossProbability(zero);
    await registry.deploy('intent-veto', 4);
    expect(registry.activeVetoModel()!.version).toBe('intent-veto@v4');
    expect(pinned.version).toBe('intent-veto@v1');
    expect(await pinned.predictLossProbability(zero)).toBe(before);
    await registry.deploy('intent-veto', 3);
    await expect(registry.pinnedVetoModel(99)).rejects.toThrow('field "vetoVersion" was 99: no intent-veto model has this version');
    await expect(registry.pinnedVetoModel(0)).rejects.toThrow('field "vetoVersion" was 0');
  });

  it('refuses a rollback with no previously active version', async () => {
    await handlers['train-volatility'](PARAMS, context());
    await registry.deploy('volatility', 1);
    await expect(registry.rollback('volatility')).rejects.toThrow(new NotFoundError('no previously active volatility version to roll back to from v1'));
  });

  it('refuses to deploy a file whose sha256 does not match, keeping the active version', async () => {
    const file = fileOf('intent-veto/v1.onnx');
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original, Buffer.from([0])]));
    try {
      const error = await registry.deploy('intent-veto', 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelIntegrityError);
      expect((error as Error).message).toContain('model file "intent-veto/v1.onnx" of intent-veto@v1 has sha256');
      expect(registry.activeVetoModel()!.version).toBe('intent-veto@v3');
      expect((await repository.active('intent-veto'))?.version).toBe(3);
    } finally {
      writeFileSync(file, original);
    }
    await expect(registry.deploy('intent-veto', 99)).rejects.toThrow('model intent-veto v99 does not exist');
    await expect(registry.deploy('nonsense' as never, 1)).rejects.toThrow('field "kind" was "nonsense"');
  });

  it('trains regime and stop-distance models whose ONNX outputs have the documented widths', async () => {
    await handlers['train-regime']({ ...PARAMS, activate: true }, context());
    await handlers['train-stop-distance']({ ...PARAMS, activate: true }, context());
    const regime = registry.active('regime')!;
    const probabilities = await regime.predict(new Float32Array(2 * MARKET_FEATURE_NAMES.length), 2);
    expect(probabilities.length).toBe(6);
    expect(probabilities[0] + probabilities[1] + probabilities[2]).toBeCloseTo(1, 5);
    const stop = registry.active('stop-distance')!;
    expect((await stop.predict(new Float32Array(INTENT_FEATURE_NAMES.length), 1)).length).toBe(1);
    expect((await repository.get('regime', 1))!.metrics).toHaveProperty('accuracy');
    expect((await repository.get('stop-distance', 1))!.metrics).toHaveProperty('mae');
  });

  it('loads every active version on start in a fresh registry, reporting a broken file without throwing', async () => {
    const fresh = createModelRegistry({ repository, store: createFsModelFileStore(dir), logger: silentLogger });
    const file = fileOf('volatility/v1.onnx');
    const original = readFileSync(file);
    writeFileSync(file, 'corrupt');
    try {
      const report = await fresh.loadActiveOnStart();
      expect(report.loaded.sort()).toEqual(['intent-veto@v3', 'regime@v1', 'stop-distance@v1']);
      expect(report.failed.map((f) => f.kind)).toEqual(['volatility']);
      expect(fresh.activeVetoModel()?.version).toBe('intent-veto@v3');
      expect(fresh.active('volatility')).toBeNull();
    } finally {
      writeFileSync(file, original);
      await fresh.close();
    }
  });

  it('rejects bad params naming the field, and an aborted job, storing nothing', async () => {
    const before = (await repository.list()).length;
    await expect(handlers['train-regime']({ ...PARAMS, horizon: 1 }, context())).rejects.toThrow(ValidationError);
    await expect(handlers['train-regime']({ ...PARAMS, timeframe: '7m' }, context())).rejects.toThrow('field "timeframe" was "7m"');
    await expect(handlers['train-regime']({ ...PARAMS, extra: 1 }, context())).rejects.toThrow(ValidationError);
    await expect(handlers['train-volatility']({ ...PARAMS, runId: 'r1' }, context())).rejects.toThrow('field "runId" was "r1": only intent-veto training reads journal entries');
    await expect(handlers['train-regime']({ ...PARAMS, from: '2030-01-01', to: '2030-02-01' }, context())).rejects.toThrow('no binance BTC/USDT 1h candles between');
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(handlers['train-regime'](PARAMS, context('t', controller.signal))).rejects.toThrow('cancelled by the user');
    expect((await repository.list()).length).toBe(before);
  });
});

describe('createFsModelFileStore', () => {
  it('refuses paths outside "<kind>/v<n>.onnx", reports a missing file as not found and tells whether a file exists', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-store-'));
    try {
      const store = createFsModelFileStore(dir);
      await expect(store.write('../escape.onnx', new Uint8Array(1))).rejects.toThrow('field "file" was "../escape.onnx"');
      await expect(store.read('regime/v9.onnx')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.has('regime/v1.onnx')).toBe(false);
      await store.write('regime/v1.onnx', Uint8Array.of(1, 2, 3));
      expect(Array.from(await store.read('regime/v1.onnx'))).toEqual([1, 2, 3]);
      expect(await store.has('regime/v1.onnx')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
