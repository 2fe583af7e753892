/**
 * ModelRepository contract suite, run unchanged against the in-memory adapter, embedded PGlite and
 * a real PostgreSQL. An unreachable PostgreSQL fails this suite; it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRepository } from '../../db/repositories/model-repository';
import { createManualClock } from '../../engine/core/clock';
import { NotFoundError, RepositoryError, ValidationError } from '../../engine/core/errors';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import type { ModelRepository, NewModel } from '../../engine/ports/models';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const SHA = 'a'.repeat(64);

function newModel(id: string, kind: NewModel['kind'] = 'intent-veto', overrides: Partial<NewModel> = {}): NewModel {
  return {
    id,
    kind,
    sha256: SHA,
    featureNames: ['side', 'logReturn1'],
    trainingFromMs: 1_704_067_200_000,
    trainingToMs: 1_704_153_600_000,
    metrics: { auc: 0.5625, logLoss: 0.6931471805599453, validationRows: 120 },
    params: { symbol: 'BTC/USDT', walkForward: [{ trainRows: 10, metrics: { auc: null } }] },
    ticketId: 'ticket-1',
    ...overrides,
  };
}

interface Subject {
  name: string;
  open(): Promise<{ repository: ModelRepository; dispose(): Promise<void> }>;
}

const subjects: Subject[] = [
  {
    name: 'in-memory',
    async open() {
      const clock = createManualClock(1_000);
      let tick = 0;
      return { repository: createInMemoryModelRepository({ clock: { nowMs: () => clock.nowMs() + ++tick } }), dispose: async () => {} };
    },
  },
  ...TEST_DATABASE_BACKENDS.map((backend) => ({
    name: backend.name,
    async open() {
      const { database, dispose } = await backend.open();
      return { repository: createModelRepository(database.db), dispose };
    },
  })),
];

describe.each(subjects)('ModelRepository on $name', (subject) => {
  let opened: { repository: ModelRepository; dispose(): Promise<void> } | undefined;
  let openError: unknown;
  const repo = (): ModelRepository => {
    if (!opened) throw openError ?? new Error(`${subject.name} was not opened`);
    return opened.repository;
  };
  beforeAll(async () => {
    try {
      opened = await subject.open();
    } catch (err) {
      openError = err;
    }
  });
  afterAll(async () => {
    await opened?.dispose();
  });

  it('numbers versions per kind from 1 and names the file after kind and version', async () => {
    const first = await repo().create(newModel('m1'));
    const second = await repo().create(newModel('m2'));
    const regime = await repo().create(newModel('r1', 'regime', { featureNames: ['logReturn1'] }));
    expect([first.version, second.version, regime.version]).toEqual([1, 2, 1]);
    expect(first.file).toBe('intent-veto/v1.onnx');
    expect(regime.file).toBe('regime/v1.onnx');
    expect(first).toMatchObject({ ...newModel('m1'), active: false, activatedAtMs: null });
    expect(first.createdAtMs).toBeGreaterThan(0);
  });

  it('round-trips every field through get and lists newest version first', async () => {
    const got = await repo().get('intent-veto', 2);
    expect(got).toMatchObject({ ...newModel('m2'), version: 2, file: 'intent-veto/v2.onnx', active: false });
    expect((await repo().list('intent-veto')).map((m) => m.version)).toEqual([2, 1]);
    expect((await repo().list()).map((m) => `${m.kind}@${m.version}`)).toEqual(['intent-veto@2', 'intent-veto@1', 'regime@1']);
    expect(await repo().get('intent-veto', 9)).toBeNull();
  });

  it('gives concurrent creates of one kind distinct versions', async () => {
    const created = await Promise.all([1, 2, 3, 4].map((k) => repo().create(newModel(`c${k}`, 'volatility'))));
    expect(created.map((m) => m.version).sort()).toEqual([1, 2, 3, 4]);
  });

  it('stores nothing when the file write inside the transaction fails', async () => {
    await expect(
      repo().create(newModel('fails', 'stop-distance'), async (record) => {
        expect(record.version).toBe(1);
        throw new RepositoryError('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await repo().list('stop-distance')).toEqual([]);
    const next = await repo().create(newModel('ok', 'stop-distance'), async (record) => {
      expect(record.file).toBe('stop-distance/v1.onnx');
    });
    expect(next.version).toBe(1);
  });

  it('keeps at most one active version per kind and stamps the activation time', async () => {
    expect(await repo().active('intent-veto')).toBeNull();
    const one = await repo().activate('intent-veto', 1);
    expect(one.active).toBe(true);
    expect(one.activatedAtMs).toBeGreaterThan(0);
    const two = await repo().activate('intent-veto', 2);
    expect(two.activatedAtMs).toBeGreaterThanOrEqual(one.activatedAtMs!);
    expect((await repo().active('intent-veto'))?.version).toBe(2);
    const all = await repo().list('intent-veto');
    expect(all.filter((m) => m.active).map((m) => m.version)).toEqual([2]);
    expect(all.find((m) => m.version === 1)?.activatedAtMs).toBe(one.activatedAtMs);
    // Another kind is unaffected.
    expect(await repo().active('regime')).toBeNull();
  });

  it('refuses to activate a missing version and leaves the active one alone', async () => {
    await expect(repo().activate('intent-veto', 42)).rejects.toBeInstanceOf(NotFoundError);
    expect((await repo().active('intent-veto'))?.version).toBe(2);
  });

  it('rejects bad input naming the field before anything is written', async () => {
    await expect(repo().create(newModel('bad', 'nonsense' as never))).rejects.toThrow('field "kind" was "nonsense"');
    await expect(repo().create(newModel('bad', 'regime', { sha256: 'xyz' }))).rejects.toThrow('field "sha256" was "xyz": expected 64 lower-case hex digits');
    await expect(repo().create(newModel('bad', 'regime', { metrics: { auc: Number.NaN } }))).rejects.toBeInstanceOf(ValidationError);
    await expect(repo().get('regime', 0)).rejects.toThrow('field "version" was 0: must be an integer >= 1');
    expect((await repo().list('regime')).length).toBe(1);
  });

  it('rejects a duplicate id as a repository error', async () => {
    await expect(repo().create(newModel('m1', 'regime'))).rejects.toBeInstanceOf(RepositoryError);
  });
});
