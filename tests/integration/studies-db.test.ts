/**
 * Studies on the database: the StudyRepository contract (in-memory and drizzle, on PGlite and
 * PostgreSQL), and a study killed midway that resumes on the stored trials and ends with exactly the
 * results of an uninterrupted run (every trial's metrics, the best params, the walk-forward report
 * and the overfitting guards), for a grid with walk-forward and for successive halving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createStudyRepository } from '../../db/repositories/study-repository';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { candleColumnsFromRows, type MarketKey } from '../../engine/core/types';
import { JobInterruptedError } from '../../engine/jobs/job-context';
import type { JobQueue } from '../../engine/orchestrator/job-queue';
import type { StudyRepository, StudyTrialRecord } from '../../engine/ports/studies';
import { createStudyService } from '../../engine/research/study-service';
import type { StudyRequest } from '../../engine/research/study';
import { createInlineTrialRunner } from '../../engine/research/trial-runner';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import { createInMemoryStudyRepository } from '../../engine/testing/in-memory-study-repository';
import { waveCandles } from '../../engine/testing/wave-candles';
import { NO_STORED_SETTINGS } from '../../engine/trading/run-spec';
import type { CandleRepository } from '../../engine/ports/candles';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const MARKET: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

const GRID_WITH_WALK_FORWARD = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  from: '2024-01-05',
  to: '2024-02-25',
  strategy: 'ma-crossover',
  space: { fastPeriod: { min: 4, max: 10, step: 3 }, slowPeriod: { values: [20, 30] }, atrPeriod: 14, atrStopMultiple: { values: [1.5, 3] } },
  method: 'grid',
  objective: 'sharpe',
  minTrades: 2,
  walkForward: { mode: 'anchored', inSampleDays: 20, outOfSampleDays: 10 },
} satisfies StudyRequest;

const HALVING = {
  ...GRID_WITH_WALK_FORWARD,
  method: 'halving',
  trials: 12,
  seed: 7,
  space: { fastPeriod: { min: 3, max: 12 }, slowPeriod: { values: [20, 25, 30] }, atrPeriod: 14, atrStopMultiple: 2 },
  walkForward: undefined,
} satisfies StudyRequest;

const trial = (studyId: string, key: string, patch: Partial<StudyTrialRecord> = {}): StudyTrialRecord => ({
  studyId,
  key,
  index: 0,
  params: { fastPeriod: 5 },
  window: null,
  sample: 'full',
  rung: null,
  fromMs: START,
  toMs: START + HOUR,
  metrics: { netProfit: 0.1 + 0.2, sharpe: null, sortino: 1.5, calmar: null, profitFactor: null, maxDrawdownPct: 2.5, trades: 3, winRate: 1 / 3 },
  score: 0.30000000000000004,
  dailyReturns: [0.1 + 0.2, -1 / 3],
  equity: null,
  ...patch,
});

const study = (id: string, createdAtMs: number) => ({
  id,
  name: `study ${id}`,
  status: 'queued' as const,
  request: { strategy: 'ma-crossover' },
  ticketId: null,
  progressDone: 0,
  progressTotal: 0,
  progressMessage: null,
  createdAtMs,
  createdBy: 'u1',
  startedAtMs: null,
  finishedAtMs: null,
  error: null,
  result: null,
  appliedAtMs: null,
  appliedBy: null,
});

const backends: { name: string; open(): Promise<{ studies: StudyRepository; candles: CandleRepository | null; dispose(): Promise<void> }> }[] = [
  { name: 'in-memory', open: async () => ({ studies: createInMemoryStudyRepository(), candles: null, dispose: async () => undefined }) },
  ...TEST_DATABASE_BACKENDS.map((backend) => ({
    name: backend.name,
    async open() {
      const { database, dispose } = await backend.open();
      return { studies: createStudyRepository(database.db), candles: createCandleRepository(database.db), dispose };
    },
  })),
];

describe.each(backends)('study storage on $name', (backend) => {
  let opened: Awaited<ReturnType<(typeof backends)[number]['open']>>;
  beforeAll(async () => {
    opened = await backend.open();
  }, 120_000);
  afterAll(async () => opened?.dispose());

  it('stores studies newest first, applies patches and reports unknown ids', async () => {
    const repo = opened.studies;
    await repo.create(study('s-old', 1_000));
    await repo.create(study('s-new', 2_000));
    expect((await repo.list()).map((s) => s.id)).toEqual(['s-new', 's-old']);
    expect(await repo.update('s-old', { status: 'running', startedAtMs: 1_500, progressDone: 3, progressTotal: 9, result: { best: { objective: 1.25 } } })).toBe(true);
    expect(await repo.get('s-old')).toEqual({ ...study('s-old', 1_000), status: 'running', startedAtMs: 1_500, progressDone: 3, progressTotal: 9, result: { best: { objective: 1.25 } } });
    expect(await repo.update('nope', { status: 'failed' })).toBe(false);
    expect(await repo.get('nope')).toBeNull();
  });

  it('stores a trial once per key, keeps every binary digit, and lists trials by sample, window, rung and index', async () => {
    const repo = opened.studies;
    await repo.create(study('s-trials', 3_000));
    expect(await repo.putTrial(trial('s-trials', 'full:-:-:1', { index: 1 }))).toBe(true);
    expect(await repo.putTrial(trial('s-trials', 'full:-:-:1', { index: 1, score: 99 }))).toBe(false);
    await repo.putTrial(trial('s-trials', 'out:0:-:4', { index: 4, sample: 'out', window: 0, equity: [{ timeMs: START, equity: 10_000.123456789 }] }));
    await repo.putTrial(trial('s-trials', 'in:1:-:0', { index: 0, sample: 'in', window: 1 }));
    await repo.putTrial(trial('s-trials', 'in:0:-:2', { index: 2, sample: 'in', window: 0, score: Number.MAX_VALUE }));
    await repo.putTrial(trial('s-trials', 'full:-:-:0', { index: 0, score: null }));
    const trials = await repo.trials('s-trials');
    expect(trials.map((t) => t.key)).toEqual(['full:-:-:0', 'full:-:-:1', 'in:0:-:2', 'in:1:-:0', 'out:0:-:4']);
    expect(trials[1]).toEqual(trial('s-trials', 'full:-:-:1', { index: 1 }));
    expect(trials[0].score).toBeNull();
    expect(trials[2].score).toBe(Number.MAX_VALUE);
    expect(trials[4].equity).toEqual([{ timeMs: START, equity: 10_000.123456789 }]);
    expect(await repo.delete('s-trials')).toBe(true);
    expect(await repo.trials('s-trials')).toEqual([]);
    expect(await repo.delete('s-trials')).toBe(false);
  });

});

describe.each(backends.filter((backend) => backend.name !== 'in-memory'))('a study killed midway on $name', (backend) => {
  let opened: Awaited<ReturnType<(typeof backends)[number]['open']>>;
  beforeAll(async () => {
    opened = await backend.open();
  }, 120_000);
  afterAll(async () => opened?.dispose());

  async function service() {
    const candles = opened.candles!;
    if ((await candles.countCandles(MARKET)) === 0) {
      await candles.insertCandles(MARKET, candleColumnsFromRows(waveCandles({ count: 60 * 24, startMs: START, timeframeMs: HOUR, amplitude: 0.05 })));
    }
    let tickets = 0;
    const jobs = { enqueue: async () => `ticket-${++tickets}`, get: async () => null } as unknown as JobQueue;
    const catalog = createBuiltInCatalog();
    let ids = 0;
    return createStudyService({
      repository: opened.studies,
      candles,
      jobs: () => jobs,
      catalog,
      storedSettings: async () => NO_STORED_SETTINGS,
      tradingSettings: { get: async () => ({}) as never, update: async () => ({ ok: true }) },
      runner: createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }),
      clock: createManualClock(START),
      logger: silentLogger,
      newId: () => `${backend.name}-study-${Date.now()}-${++ids}`,
    });
  }
  const control = (signal: AbortSignal) => ({ ticketId: 't', signal, reportProgress: async () => undefined });

  it.each([
    ['a grid walked forward', GRID_WITH_WALK_FORWARD, 9],
    ['a successive halving', HALVING, 5],
  ] as const)('%s resumes and ends with the same results as an uninterrupted one', async (_what, request, killAfter) => {
    const studies = await service();
    const whole = await studies.enqueue(request, { userId: 'u1' });
    await studies.run(whole.studyId, control(new AbortController().signal));

    const broken = await studies.enqueue(request, { userId: 'u1' });
    // The process stops (a shutdown) after `killAfter` stored trials: no further trial starts.
    const controller = new AbortController();
    const putTrial = opened.studies.putTrial.bind(opened.studies);
    let stored = 0;
    opened.studies.putTrial = async (t) => {
      const inserted = await putTrial(t);
      if (t.studyId === broken.studyId && ++stored === killAfter) controller.abort(new JobInterruptedError('t'));
      return inserted;
    };
    await expect(studies.run(broken.studyId, control(controller.signal))).rejects.toBeInstanceOf(JobInterruptedError);
    opened.studies.putTrial = putTrial;
    expect((await opened.studies.trials(broken.studyId)).length).toBe(killAfter);
    expect((await studies.get(broken.studyId)).status).toBe('running');

    const resumed = await studies.run(broken.studyId, control(new AbortController().signal));
    expect(resumed.resumed).toBe(killAfter);
    const a = await studies.get(whole.studyId);
    const b = await studies.get(broken.studyId);
    expect(b.status).toBe('completed');
    expect(b.trials).toEqual(a.trials);
    expect(b.trials.length).toBe(a.progress.total);
    expect(b.best).toEqual(a.best);
    expect(b.walkForward).toEqual(a.walkForward);
    expect(b.overfitting).toEqual(a.overfitting);
    expect(b.progress).toEqual(a.progress);
  }, 120_000);
});
