/**
 * Model files in the database (issue 18, item 4): two servers on one database, each with its own
 * (empty) data dir. A trains and deploys; B loads the same version from the `model_files` table when
 * the control bus tells it, and predicts exactly what A predicts. A row whose bytes were changed is
 * refused with ModelIntegrityError and the previous version stays active. Files an older version left
 * under the data dir are imported once. Runs on PGlite and on PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlChannelOf, type Database } from '../../db/client';
import { createControlAckRepository } from '../../db/repositories/control-ack-repository';
import { createDbModelFileStore, createDbModelStorage } from '../../db/repositories/model-file-repository';
import { createModelRepository } from '../../db/repositories/model-repository';
import { rowsOf } from '../../db/repositories/sql-helpers';
import { createControlBus } from '../../engine/control/control-bus';
import { createControlListener, type ControlListener } from '../../engine/control/control-listener';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { Logger } from '../../engine/core/logger';
import { INTENT_FEATURE_NAMES } from '../../engine/ml/market-features';
import { importModelFiles } from '../../engine/ml/model-file-import';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry, ModelIntegrityError, type ModelRegistry } from '../../engine/ml/model-registry';
import { createTrainHandlers, type TrainJobContext } from '../../engine/ml/train-handlers';
import { ControlKind } from '../../engine/ports/control-bus';
import type { ModelRepository } from '../../engine/ports/models';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { syntheticCandles } from '../support/ml-candles';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';
import { until as waitUntil } from '../support/until';

const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
const CANDLES = syntheticCandles(800, 17);
const PARAMS = { ...MARKET, from: CANDLES.openTimeMs[0], to: CANDLES.openTimeMs[799] + 3_600_000, horizon: 12, folds: 3, seed: 7 };
/** One row of intent features: 0.1, 0.2, ... (any fixed row; both servers must answer it identically). */
const FEATURES = Float32Array.from(INTENT_FEATURE_NAMES, (_, i) => (i + 1) / 10);

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const context = (ticketId: string): TrainJobContext => ({ ticketId, signal: new AbortController().signal, logger: quiet().logger, reportProgress: async () => undefined });

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => waitUntil(what, check, timeoutMs, 20);

/** A logger that keeps its lines (B's refusal is logged, not thrown: the bus message has no caller). */
function quiet() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** One server's model side: its own storage instances, registry, control bus and listener, over the shared database. */
async function openServer(database: Database, processId: string) {
  const { logger, lines } = quiet();
  const clock = { nowMs: () => Date.now() };
  let id = 0;
  const bus = createControlBus({ transport: database.notifications(controlChannelOf(database.schema)), clock, logger, processId, newId: () => `${processId}-message-${++id}` });
  const { repository, files } = createDbModelStorage(database.db);
  const registry = createModelRegistry({ repository, store: files, logger, control: bus });
  const listener: ControlListener = createControlListener({
    bus,
    acks: createControlAckRepository(database.db),
    clock,
    logger,
    accounts: { syncLoaded: async () => [], refresh: async () => false },
    models: registry,
  });
  await listener.start();
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(MARKET, CANDLES);
  const handlers = createTrainHandlers({ candles, repository, store: files, registry, newId: () => `${processId}-model-${++id}` });
  return {
    repository,
    registry,
    handlers,
    bus,
    lines,
    async close() {
      await listener.stop();
      await registry.close();
    },
  };
}

describe.each(TEST_DATABASE_BACKENDS)('model files in the database, two servers ($name)', { timeout: 120_000 }, (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let a: Awaited<ReturnType<typeof openServer>>;
  let b: Awaited<ReturnType<typeof openServer>>;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
    a = await openServer(database, 'server-a');
    b = await openServer(database, 'server-b');
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await dispose?.();
  });

  it('trains and deploys in server A, and server B loads the same version from the database after the bus message and predicts identically', async () => {
    const result = await a.handlers['train-intent-veto']({ ...PARAMS, activate: true }, context('ticket-a1'));
    expect(result).toMatchObject({ kind: 'intent-veto', version: 1, file: 'intent-veto/v1.onnx', activated: true });
    await until('B to load intent-veto@v1', () => b.registry.activeVetoModel()?.version === 'intent-veto@v1');

    // The bytes B loaded are the row A wrote in the training transaction, with the sha256 of the version.
    const stored = await createDbModelFileStore(database.db).read('intent-veto/v1.onnx');
    expect(sha256Of(stored)).toBe(result.sha256);
    const rows = rowsOf<{ sha256: string; size_bytes: number }>(await database.db.execute(sql`select sha256, size_bytes from model_files where kind = 'intent-veto' and version = 1`));
    expect(rows.map((r) => [r.sha256, Number(r.size_bytes)])).toEqual([[result.sha256, stored.byteLength]]);

    const fromA = await a.registry.activeVetoModel()!.predictLossProbability(FEATURES);
    const fromB = await b.registry.activeVetoModel()!.predictLossProbability(FEATURES);
    expect(fromB).toBe(fromA);
    expect(fromA).toBeGreaterThan(0);
    expect(fromA).toBeLessThan(1);
  });

  it('refuses a version whose stored bytes no longer match its sha256 with ModelIntegrityError, in A on deploy and in B on the bus message; v1 stays active in both', async () => {
    const v2 = await a.handlers['train-intent-veto']({ ...PARAMS, seed: 8 }, context('ticket-a2'));
    expect(v2).toMatchObject({ version: 2, activated: false });
    // Someone changes the stored bytes (one byte appended).
    await database.db.execute(sql`update model_files set bytes = bytes || '\\x00'::bytea where kind = 'intent-veto' and version = 2`);

    await expect(a.registry.deploy('intent-veto', 2)).rejects.toBeInstanceOf(ModelIntegrityError);
    await expect(a.registry.deploy('intent-veto', 2)).rejects.toThrow(`model file "intent-veto/v2.onnx" of intent-veto@v2 has sha256 `);
    expect(a.registry.activeVetoModel()?.version).toBe('intent-veto@v1');
    expect((await a.repository.active('intent-veto'))?.version).toBe(1);

    // Another server marks v2 active (it held good bytes) and announces it: B refuses the changed row and keeps v1.
    await a.repository.activate('intent-veto', 2);
    await a.bus.publish({ kind: ControlKind.ModelDeployed, modelKind: 'intent-veto', version: 2 });
    await until('B to refuse v2', () => b.lines.some((l) => l.level === 'error' && l.obj.err instanceof ModelIntegrityError));
    const refusal = b.lines.find((l) => l.level === 'error' && l.obj.err instanceof ModelIntegrityError)!;
    expect(refusal.obj.kind).toBe('intent-veto');
    expect((refusal.obj.err as Error).message).toContain('model file "intent-veto/v2.onnx" of intent-veto@v2 has sha256 ');
    expect(b.registry.activeVetoModel()?.version).toBe('intent-veto@v1');
    expect(await b.registry.activeVetoModel()!.predictLossProbability(FEATURES)).toBe(await a.registry.activeVetoModel()!.predictLossProbability(FEATURES));
    await a.repository.activate('intent-veto', 1);
  });

  it('keeps no version row when the file write fails inside the training transaction', async () => {
    const { repository } = createDbModelStorage(database.db);
    const before = (await repository.list('regime')).length;
    const failing = async () => {
      throw new Error('disk full');
    };
    await expect(
      repository.create({ id: `${backend.name}-failing`, kind: 'regime', sha256: 'ab'.repeat(32), featureNames: ['x'], trainingFromMs: 0, trainingToMs: 1, metrics: {}, params: {}, ticketId: null }, failing),
    ).rejects.toThrow('disk full');
    expect((await repository.list('regime')).length).toBe(before);
  });

  it('names a bad file name and reports a missing row as not found', async () => {
    const files = createDbModelFileStore(database.db);
    await expect(files.write('../escape.onnx', new Uint8Array(1))).rejects.toThrow('field "file" was "../escape.onnx"');
    await expect(files.read('regime/v0.onnx')).rejects.toBeInstanceOf(ValidationError);
    await expect(files.read('volatility/v99.onnx')).rejects.toBeInstanceOf(NotFoundError);
    expect(await files.has('volatility/v99.onnx')).toBe(false);
  });
});

describe.each(TEST_DATABASE_BACKENDS)('importing model files left under the data dir ($name)', { timeout: 60_000 }, (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let dataDir: string;
  let repository: ModelRepository;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
    dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-legacy-models-'));
    repository = createModelRepository(database.db);
  });
  afterAll(async () => {
    await dispose?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies each version whose file is on disk with the right sha256 once, reports the missing and the corrupt ones, and copies nothing the second time', async () => {
    const disk = createFsModelFileStore(path.join(dataDir, 'models'));
    const good = Uint8Array.of(8, 1, 18, 3);
    const base = { featureNames: ['x'], trainingFromMs: 0, trainingToMs: 1, metrics: {}, params: {}, ticketId: null };
    // v1: written on disk as before this change; v2: disk bytes differ from its sha256; v3: no file at all.
    await repository.create({ ...base, id: 'legacy-1', kind: 'volatility', sha256: sha256Of(good) }, (r) => disk.write(r.file, good));
    await repository.create({ ...base, id: 'legacy-2', kind: 'volatility', sha256: sha256Of(good) }, (r) => disk.write(r.file, Uint8Array.of(0)));
    await repository.create({ ...base, id: 'legacy-3', kind: 'volatility', sha256: sha256Of(good) });
    const to = createDbModelFileStore(database.db);
    const { logger } = quiet();

    // The repository lists a kind newest first.
    expect(await importModelFiles({ repository, from: disk, to, logger })).toEqual({ imported: ['volatility/v1.onnx'], missing: ['volatility/v3.onnx'], corrupt: ['volatility/v2.onnx'] });
    expect(Array.from(await to.read('volatility/v1.onnx'))).toEqual([8, 1, 18, 3]);
    expect(await to.has('volatility/v2.onnx')).toBe(false);

    expect(await importModelFiles({ repository, from: disk, to, logger })).toEqual({ imported: [], missing: ['volatility/v3.onnx'], corrupt: ['volatility/v2.onnx'] });
    const list = rowsOf<{ version: number; sha256: string; size_bytes: number }>(await database.db.execute(sql`select version, sha256, size_bytes from model_files order by version`));
    expect(list.map((r) => [Number(r.version), r.sha256, Number(r.size_bytes)])).toEqual([[1, sha256Of(good), 4]]);
  });
});
