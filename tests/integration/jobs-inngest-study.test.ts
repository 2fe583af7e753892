/**
 * The `study` job under the Inngest runner: its trials fan out as durable steps (parts of a batch in
 * parallel), run by @inngest/test's InngestTestEngine over in-memory storage, and end with exactly
 * the trials and best params of the in-process runner; a redelivered step skips the trials it
 * already stored; a cancel stops the study before its next part. A study with a volatility model in the loop gives
 * the in-process runner's trials too, each step opening the model file of the version pinned at queue.
 */
import { InngestTestEngine } from '@inngest/test';
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { candleColumnsFromRows } from '../../engine/core/types';
import { bindDurableJobHandlers, bindJobHandlers, JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import { RetryableJobError } from '../../engine/jobs/job-context';
import type { JobServices } from '../../engine/jobs/job-definition';
import { createJobQueue, TicketRunner } from '../../engine/orchestrator/job-queue';
import { createStudyService } from '../../engine/research/study-service';
import type { StudyRequest } from '../../engine/research/study';
import { createInlineTrialRunner, type TrialRunner } from '../../engine/research/trial-runner';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import { createInMemoryTicketRepository } from '../../engine/testing/in-memory-job-repositories';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { createInMemoryStudyRepository } from '../../engine/testing/in-memory-study-repository';
import { STUDY_FIXTURE_CANDLES, STUDY_FIXTURE_MARKET, STUDY_FIXTURE_REQUEST, STUDY_FIXTURE_START_MS } from '../../engine/testing/study-fixtures';
import { NO_STORED_SETTINGS } from '../../engine/trading/run-spec';
import { createInngestClient } from '../../inngest/client';
import { JOB_REQUESTED_EVENT } from '../../inngest/events';
import { createInngestFunctions, jobFunctionId } from '../../inngest/job-functions';
import type { LoopModelFile, LoopModelSource } from '../../engine/decision/loop-models';
import { ModelKind } from '../../engine/ports/model-kind';
import { buildVolatilityDataset } from '../../engine/ml/dataset';
import { trainModel } from '../../engine/ml/model-training';
import { exportOnnx } from '../../engine/ml/onnx-export';
import { syntheticCandles } from '../support/ml-candles';

/** The fixture's 6 candidates; 3 rolling windows of 20 days in sample and 10 out. */
const REQUEST = { ...STUDY_FIXTURE_REQUEST, walkForward: { mode: 'rolling', inSampleDays: 20, outOfSampleDays: 10 } } satisfies StudyRequest;
/** 6 full-range trials + 3 windows × (6 in sample + 1 out of sample). */
const TRIALS = 6 + 3 * 7;

/**
 * A study service and its job queue over in-memory storage; trials run inline, counted. Its queue
 * dispatches to nobody: the test runs the ticket through the Inngest function (or in-process).
 */
async function harness(options: { trialsPerStep?: number; request?: StudyRequest; loopModels?: LoopModelSource } = {}) {
  const clock = createManualClock(STUDY_FIXTURE_START_MS);
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(STUDY_FIXTURE_MARKET, candleColumnsFromRows(STUDY_FIXTURE_CANDLES));
  const repository = createInMemoryStudyRepository();
  const tickets = createInMemoryTicketRepository();
  const catalog = createBuiltInCatalog();
  const inline = createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger });
  const evaluated: string[] = [];
  const runner: TrialRunner = {
    parallelism: inline.parallelism,
    async open(input) {
      const session = await inline.open(input);
      return {
        run: (task) => {
          evaluated.push(task.key);
          return session.run(task);
        },
        close: () => session.close(),
      };
    },
  };
  let ids = 0;
  const service = createStudyService({
    repository,
    candles,
    jobs: () => queue,
    catalog,
    storedSettings: async () => NO_STORED_SETTINGS,
    tradingSettings: { get: async () => ({}) as never, update: async () => ({ ok: true }) },
    runner,
    loopModels: options.loopModels,
    trialsPerStep: options.trialsPerStep,
    clock,
    logger: silentLogger,
    newId: () => `id-${++ids}`,
  });
  const services = { runStudy: (id, ctx) => service.run(id, ctx), runStudySteps: (id, ctx) => service.runSteps(id, ctx) } as Pick<JobServices, 'runStudy' | 'runStudySteps'> as JobServices;
  const handlers = bindJobHandlers(services);
  const queue = createJobQueue(
    { defaultMaxAttempts: 3 },
    { tickets, clock, newId: () => `ticket-${++ids}`, dispatcher: { runner: TicketRunner.Inngest, dispatch: async () => undefined }, definitions: JOB_DEFINITIONS, handlers: { study: handlers.study }, logger: silentLogger },
  );
  const [fn] = createInngestFunctions(createInngestClient({ id: 'aethelred-test', isDev: true }), {
    handlers: { study: handlers.study },
    durableHandlers: bindDurableJobHandlers(services),
    tickets,
    clock,
    logger: silentLogger,
    random: () => 0.5,
    backoff: { baseMs: 1_000, capMs: 60_000, jitterRatio: 0.2 },
    newId: () => `cron-${++ids}`,
    schedules: [],
  });
  const { studyId, ticketId } = await service.enqueue(options.request ?? REQUEST, { userId: 'u1' });
  const engine = () => new InngestTestEngine({ function: fn, events: [{ name: JOB_REQUESTED_EVENT, data: { ticketId, kind: 'study' } }] });
  return { service, repository, tickets, fn, studyId, ticketId, evaluated, engine };
}

/** The in-process runner's result for the same request: the reference. */
async function inProcessReference(request: StudyRequest = REQUEST, loopModels?: LoopModelSource) {
  const h = await harness({ request, loopModels });
  const result = await h.service.run(h.studyId, { ticketId: h.ticketId, signal: new AbortController().signal, reportProgress: async () => undefined });
  return { result, view: await h.service.get(h.studyId) };
}

describe('the study job under Inngest', () => {
  it('fans the trials out as parallel steps and ends with exactly the trials and best params of the in-process runner', async () => {
    const reference = await inProcessReference();
    const h = await harness({ trialsPerStep: 4 });
    expect(h.fn.id()).toBe(jobFunctionId('study'));
    const { result, ctx } = await h.engine().execute();

    const view = await h.service.get(h.studyId);
    expect(view.status).toBe('completed');
    expect(view.trials).toHaveLength(TRIALS);
    expect(view.trials).toEqual(reference.view.trials);
    expect(view.best).toEqual(reference.view.best);
    expect(view.best).not.toBeNull();
    expect(view.walkForward).toEqual(reference.view.walkForward);
    expect(view.overfitting).toEqual(reference.view.overfitting);
    expect(result).toEqual({ ticketId: h.ticketId, status: 'succeeded', result: { ...reference.result, best: reference.view.best } });
    expect(await h.tickets.get(h.ticketId)).toMatchObject({ status: 'succeeded', result: { studyId: h.studyId, trials: TRIALS, resumed: 0 } });
    // Every trial was evaluated (the test engine may start a parallel step twice, as Inngest may
    // deliver one twice: the copies store nothing new). 6 candidates in parts of 4: 2 steps per search.
    expect(new Set(h.evaluated).size).toBe(TRIALS);
    const steps = [...new Set(ctx.step.run.mock.calls.map((call) => String(call[0])))];
    expect(steps).toEqual([
      'mark-running',
      'start',
      'trials full:-:- 1/2',
      'trials full:-:- 2/2',
      ...[0, 1, 2].flatMap((w) => [`trials in:${w}:- 1/2`, `trials in:${w}:- 2/2`, `trials out:${w}:- 1/1`]),
      'finish',
      'record-result',
    ]);
  });

  it('runs a study with a model in the loop as the in-process runner does: the version pinned at queue, each step opening the model file', async () => {
    // A volatility model trained here (as the Models page would) and "deployed" as version 1 of a registry of one.
    const dataset = buildVolatilityDataset(syntheticCandles(900, 21), { timeframe: '1h', horizon: 12 });
    const { model } = await trainModel(ModelKind.Volatility, dataset, { folds: 1, seed: 1 });
    const file: LoopModelFile = { key: 'volatility', label: 'volatility@v1', featureNames: dataset.featureNames, bytes: exportOnnx(model, { kind: ModelKind.Volatility }) };
    const served: string[] = [];
    const loopModels: LoopModelSource = {
      deployedVersion: (kind) => (kind === ModelKind.Volatility ? 1 : null),
      files: async (spec) => {
        served.push(JSON.stringify(spec));
        return spec.volatility ? [file] : [];
      },
      load: () => Promise.reject(new Error("a study's trials open the model files; they load no sessions here")),
    };
    const request = { ...REQUEST, walkForward: undefined, models: { volatility: { version: 'deployed', targetVolatility: 0.0001, minScale: 0.25, maxScale: 1 } } } satisfies StudyRequest;
    const reference = await inProcessReference(request, loopModels);
    const h = await harness({ trialsPerStep: 4, request, loopModels });
    await h.engine().execute();
    const view = await h.service.get(h.studyId);
    expect(view.status).toBe('completed');
    expect(view.trials).toHaveLength(6);
    expect(view.trials).toEqual(reference.view.trials);
    expect(view.best).toEqual(reference.view.best);
    // 'deployed' was pinned to version 1 when the study was queued: every step asked for that version's file.
    expect(served.length).toBeGreaterThan(0);
    for (const spec of new Set(served)) expect(JSON.parse(spec)).toMatchObject({ regime: null, stopDistance: null, volatility: { version: 1, targetVolatility: 0.0001, minScale: 0.25, maxScale: 1 } });
    // The model is in the loop: the same candidates without it end with other results (sizes scaled to the floor).
    const plain = await inProcessReference({ ...request, models: undefined });
    expect(plain.view.trials.map((t) => t.params)).toEqual(view.trials.map((t) => t.params));
    expect(plain.view.trials.map((t) => t.metrics?.netProfit)).not.toEqual(view.trials.map((t) => t.metrics?.netProfit));
  }, 120_000);

  it('gives the in-process results with successive halving too (survivors chosen from the scores the steps return)', async () => {
    const request = { ...REQUEST, method: 'halving', trials: 9, seed: 7, walkForward: undefined } satisfies StudyRequest;
    const reference = await inProcessReference(request);
    const h = await harness({ trialsPerStep: 2, request });
    await h.engine().execute();
    const view = await h.service.get(h.studyId);
    expect(view.status).toBe('completed');
    expect(view.trials).toEqual(reference.view.trials);
    expect(view.best).toEqual(reference.view.best);
    // The space holds 6 combinations, so 6 candidates: 2 rungs (6 on the first third of the range, the best 2 on all of it).
    expect(view.trials.map((t) => t.rung)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('a step redelivered after it failed midway runs only its trials not yet stored; finished steps are not run again', async () => {
    const reference = await inProcessReference();
    const h = await harness({ trialsPerStep: 4 });
    // The database goes away once, right after the 3rd stored trial (inside the first part of the full search).
    const putTrial = h.repository.putTrial;
    let failed = false;
    h.repository.putTrial = async (trial) => {
      const stored = await putTrial(trial);
      if (h.repository.trialRows.size === 3 && !failed) {
        failed = true;
        throw new RetryableJobError('the connection to the database was lost');
      }
      return stored;
    };
    const first = await h.engine().execute();
    expect(first.error).toMatchObject({ message: 'the connection to the database was lost' });
    const storedBefore = [...h.repository.trialRows.values()].map((trial) => trial.key);
    expect(storedBefore).toHaveLength(3);
    expect(storedBefore.every((key) => key.startsWith('full:'))).toBe(true);
    const evaluatedBefore = h.evaluated.length;

    // Inngest runs the function again: the steps that finished are replayed from their stored results.
    const calls = first.ctx.step.run.mock.calls.map((call) => String(call[0]));
    const memo = await Promise.all(
      ['mark-running', 'start'].map(async (id) => {
        const result: unknown = await first.ctx.step.run.mock.results[calls.indexOf(id)].value;
        return { id, handler: () => result };
      }),
    );
    const again = await h.engine().execute({ steps: memo });
    // mark-running was replayed: run again, it would find the ticket running and skip.
    expect(again.result).toMatchObject({ ticketId: h.ticketId, status: 'succeeded' });
    expect(await h.tickets.get(h.ticketId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const view = await h.service.get(h.studyId);
    expect(view.trials).toEqual(reference.view.trials);
    expect(view.best).toEqual(reference.view.best);
    // The trials stored before the failure were not evaluated again; every other trial was.
    const evaluatedAfter = new Set(h.evaluated.slice(evaluatedBefore));
    expect(storedBefore.filter((key) => evaluatedAfter.has(key))).toEqual([]);
    expect(evaluatedAfter.size).toBe(TRIALS - 3);
  });

  it('a cancel requested while a part runs stops the study before any further part; the ticket and the study read cancelled', async () => {
    const h = await harness({ trialsPerStep: 4 });
    const putTrial = h.repository.putTrial;
    h.repository.putTrial = async (trial) => {
      const stored = await putTrial(trial);
      if (h.repository.trialRows.size === 2) await h.service.cancel(h.studyId);
      return stored;
    };
    const { result, ctx } = await h.engine().execute();
    expect(result).toEqual({ ticketId: h.ticketId, status: 'cancelled' });
    expect(await h.tickets.get(h.ticketId)).toMatchObject({ status: 'cancelled' });
    expect((await h.service.get(h.studyId)).status).toBe('cancelled');
    const ran = ctx.step.run.mock.calls.map((call) => String(call[0]));
    expect(ran).toContain('record-cancelled');
    expect(ran).not.toContain('finish');
    expect(ran.filter((id) => id.startsWith('trials in:'))).toEqual([]);
    // The running part stopped at its next trial; no trial of the windows ran.
    expect(h.evaluated.every((key) => key.startsWith('full:'))).toBe(true);
    expect(h.evaluated.length).toBeLessThan(6);
  });

  it('a study cancelled before its run starts runs no trial', async () => {
    const h = await harness({ trialsPerStep: 4 });
    await h.repository.update(h.studyId, { status: 'cancelled' });
    const { result, ctx } = await h.engine().execute();
    expect(result).toEqual({ ticketId: h.ticketId, status: 'cancelled' });
    expect(ctx.step.run.mock.calls.map((call) => String(call[0]))).toEqual(['mark-running', 'start', 'mark-study-cancelled', 'record-cancelled']);
    expect(h.evaluated).toEqual([]);
  });
});
