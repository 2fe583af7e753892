/**
 * A training job and a cancel (or a failed deploy) after it began storing its model: the last point where a
 * cancel stops it is before the version is stored; from there it runs to its end, so a cancelled ticket never
 * leaves a stored or deployed version behind and a deploy that fails names the version it stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/core/clock';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry, type ModelRegistry } from '../../engine/ml/model-registry';
import type { ModelRepository } from '../../engine/ports/models';
import { createTrainHandlers } from '../../engine/ml/train-handlers';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { createInMemoryTicketRepository } from '../../engine/testing/in-memory-job-repositories';
import { JobCancelledError } from '../../engine/jobs/job-context';
import { recordJobOutcome, runJobAttempt } from '../../engine/orchestrator/run-job-attempt';
import { defaultBackoff, type JobHandlers, type Ticket, type TicketRepository } from '../../engine/orchestrator/job-queue';
import { syntheticCandles } from '../support/ml-candles';

const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };
const CANDLES = syntheticCandles(800, 17);
const PARAMS = { ...MARKET, from: CANDLES.openTimeMs[0], to: CANDLES.openTimeMs[799] + 3_600_000, horizon: 12, folds: 3, seed: 7 };
const clock = { nowMs: () => 1_000 };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Hooks {
  /** Runs inside `repository.create`, before the version is stored. */
  onCreate?: (cancel: () => Promise<void>) => Promise<void>;
  /** Runs inside `registry.deploy`, before the deploy. */
  onDeploy?: (cancel: () => Promise<void>) => Promise<void>;
  /** Runs after a progress write with this message. */
  onProgress?: (message: string | null, cancel: () => Promise<void>) => Promise<void>;
}

/** Trains the intent veto as ticket "t1" (deploying it) with the hooks, records the outcome; returns the ticket, the stored versions and the registry. */
async function trainWith(hooks: Hooks): Promise<{ ticket: Ticket | null; repository: ModelRepository; registry: ModelRegistry }> {
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(MARKET, CANDLES);
  const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-cancel-'));
  dirs.push(dir);
  const store = createFsModelFileStore(dir);
  const base = createInMemoryModelRepository({ clock });
  const tickets = createInMemoryTicketRepository();
  const outer = new AbortController();
  // A cancel as the runner delivers it: the request on the ticket and the abort of the running body.
  const cancel = async () => {
    await tickets.requestCancel('t1', 1_000);
    outer.abort(new JobCancelledError('t1'));
  };
  const repository: ModelRepository = {
    ...base,
    create: async (input, write) => {
      await hooks.onCreate?.(cancel);
      return base.create(input, write);
    },
  };
  const registry = createModelRegistry({ repository, store, logger: silentLogger });
  const admin = {
    ...registry,
    deploy: async (kind: Parameters<ModelRegistry['deploy']>[0], version: number) => {
      await hooks.onDeploy?.(cancel);
      return registry.deploy(kind, version);
    },
  };
  const progressTickets: TicketRepository = {
    ...tickets,
    updateProgress: async (id, progress, message, nowMs) => {
      const updated = await tickets.updateProgress(id, progress, message, nowMs);
      await hooks.onProgress?.(message, cancel);
      return updated;
    },
  };
  const handlers = createTrainHandlers({ candles, repository, store, registry: admin, newId: () => 'model-1' });
  await tickets.create({ id: 't1', kind: 'train-intent-veto', params: { ...PARAMS, activate: true }, maxAttempts: 1, runner: 'in-process', createdAtMs: 1_000 });
  const claimed = (await tickets.claimNext(1_000))!;
  const deps = { tickets: progressTickets, handlers: { 'train-intent-veto': handlers['train-intent-veto'] } as unknown as JobHandlers, clock, logger: silentLogger, random: () => 0.5, backoff: defaultBackoff };
  const outcome = await runJobAttempt(claimed, deps, { signal: outer.signal });
  await recordJobOutcome(claimed, outcome, deps);
  return { ticket: await tickets.get('t1'), repository: base, registry };
}

describe('a training job cancelled while it stores or deploys its model', () => {
  it('a cancel during the deploy: the deploy completes and the ticket succeeds with the version deployed', async () => {
    const { ticket, repository, registry } = await trainWith({ onDeploy: (cancel) => cancel() });
    expect(ticket).toMatchObject({ status: 'succeeded', progress: 1, error: null, result: { kind: 'intent-veto', version: 1, activated: true } });
    expect((await repository.active('intent-veto'))?.version).toBe(1);
    expect(registry.activeVetoModel()?.version).toBe('intent-veto@v1');
    await registry.close();
  });

  it('a cancel while the version is stored: the ticket succeeds with the stored version as its result', async () => {
    const { ticket, repository, registry } = await trainWith({ onCreate: (cancel) => cancel() });
    expect(ticket).toMatchObject({ status: 'succeeded', result: { version: 1, activated: true } });
    expect((await repository.list('intent-veto')).map((m) => [m.version, m.active])).toEqual([[1, true]]);
    await registry.close();
  });

  it('a cancel before the version is stored: the ticket is cancelled and no version is stored', async () => {
    const { ticket, repository, registry } = await trainWith({ onProgress: async (message, cancel) => (message === 'exporting ONNX' ? cancel() : undefined) });
    expect(ticket).toMatchObject({ status: 'cancelled', result: null });
    expect(await repository.list('intent-veto')).toEqual([]);
    await registry.close();
  });

  it('a deploy that fails: the ticket fails naming the version that was stored and how to deploy it', async () => {
    const { ticket, repository, registry } = await trainWith({
      onDeploy: async () => {
        throw new Error('onnxruntime could not open the session');
      },
    });
    expect(ticket).toMatchObject({
      status: 'failed',
      result: null,
      error: 'intent-veto version 1 was stored but not deployed: onnxruntime could not open the session; deploy it from the Models page once that is fixed',
    });
    expect((await repository.list('intent-veto')).map((m) => [m.version, m.active])).toEqual([[1, false]]);
    await registry.close();
  });
});
