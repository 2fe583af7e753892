import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { candleColumnsFromRows } from '../core/types';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { createInMemoryStudyRepository } from '../testing/in-memory-study-repository';
import { STUDY_FIXTURE_CANDLES, STUDY_FIXTURE_MARKET, STUDY_FIXTURE_REQUEST, STUDY_FIXTURE_START_MS } from '../testing/study-fixtures';
import { runBacktest } from '../backtest/run-backtest';
import { JobCancelledError } from '../jobs/job-context';
import type { JobQueue, Ticket } from '../orchestrator/job-queue';
import { loadStoredRunSettings, NO_STORED_SETTINGS, resolveRunSpec, runDefaults } from '../trading/run-spec';
import { createTradingSettingsService } from '../account/trading-settings-service';
import { createInMemorySettingsRepository } from '../testing/in-memory-repositories';
import type { StrategySettings } from '../settings/trading-settings';
import { createStudyService, type StudyServiceDeps } from './study-service';
import { createInlineTrialRunner } from './trial-runner';
import type { StudyRequest } from './study';
import { dailyReturnsOf } from './study-trial';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = STUDY_FIXTURE_START_MS;
const MARKET = STUDY_FIXTURE_MARKET;
const CANDLES = STUDY_FIXTURE_CANDLES;
const REQUEST = STUDY_FIXTURE_REQUEST;

interface Harness {
  service: ReturnType<typeof createStudyService>;
  repository: ReturnType<typeof createInMemoryStudyRepository>;
  enqueued: { kind: string; params: unknown }[];
  candles: ReturnType<typeof createInMemoryCandleRepository>;
}

async function harness(options: { withCandles?: boolean; tradingSettings?: StudyServiceDeps['tradingSettings'] } = {}): Promise<Harness> {
  const candles = createInMemoryCandleRepository();
  if (options.withCandles !== false) await candles.insertCandles(MARKET, candleColumnsFromRows(CANDLES));
  const repository = createInMemoryStudyRepository();
  const enqueued: { kind: string; params: unknown }[] = [];
  const jobs = {
    enqueue: async (job: { kind: string; params: unknown }) => {
      enqueued.push(job);
      return `ticket-${enqueued.length}`;
    },
    get: async () => null,
    cancel: async (id: string) => ({ id, status: 'cancelled' }) as unknown as Ticket,
  } as unknown as JobQueue;
  const catalog = createBuiltInCatalog();
  let ids = 0;
  const deps: StudyServiceDeps = {
    repository,
    candles,
    jobs: () => jobs,
    catalog,
    storedSettings: async () => NO_STORED_SETTINGS,
    tradingSettings: options.tradingSettings ?? { get: async () => ({}) as never, update: async () => ({ ok: true }) },
    runner: createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }),
    clock: createManualClock(START),
    logger: silentLogger,
    newId: () => `study-${++ids}`,
  };
  return { service: createStudyService(deps), repository, enqueued, candles };
}

const control = (signal = new AbortController().signal) => ({ ticketId: 'ticket-1', signal, reportProgress: async () => undefined });

async function refusal(promise: Promise<unknown>): Promise<ValidationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('study service: queuing', () => {
  it.each([
    ['an inverted parameter range', { space: { fastPeriod: { min: 10, max: 4 } } }, 'space.fastPeriod.min', 10],
    ['an inverted date range', { from: '2024-02-01', to: '2024-01-01' }, 'to', '2024-01-01'],
    ['a grid larger than maxTrials', { maxTrials: 5 }, 'maxTrials', 5],
    ['trials given for a grid', { trials: 10 }, 'trials', 10],
    ['an unknown strategy', { strategy: 'nope' }, 'strategy', 'nope'],
    ['an in-sample window no longer than the warm-up', { walkForward: { mode: 'rolling', inSampleDays: 1, outOfSampleDays: 5 } }, 'walkForward.inSampleDays', 1],
    ['a range holding no full walk-forward window', { walkForward: { mode: 'anchored', inSampleDays: 40, outOfSampleDays: 20 } }, 'walkForward', { mode: 'anchored', inSampleDays: 40, outOfSampleDays: 20 }],
    ['a market without candles', { symbol: 'ETH/USDT' }, 'symbol', 'ETH/USDT'],
    ['a range without candles', { from: '2025-01-01', to: '2025-02-01' }, 'from', '2025-01-01'],
  ] as const)('refuses %s naming the field and value, storing and queuing nothing', async (_what, patch, field, value) => {
    const h = await harness();
    const error = await refusal(h.service.enqueue({ ...REQUEST, ...patch }, { userId: 'u1' }));
    expect(error.field).toBe(field);
    expect(error.value).toEqual(value);
    expect(h.repository.studies.size).toBe(0);
    expect(h.enqueued).toEqual([]);
  });

  it('stores the study queued with its resolved request and queues one study job', async () => {
    const h = await harness();
    const { studyId, ticketId } = await h.service.enqueue(REQUEST, { userId: 'u1' });
    expect(h.enqueued).toEqual([{ kind: 'study', params: { studyId } }]);
    const view = await h.service.get(studyId);
    expect(view.status).toBe('queued');
    expect(view.ticketId).toBe(ticketId);
    // fastPeriod 4, 7, 10 × slowPeriod 20, 30 = 6 candidates.
    expect(view.request.candidates).toBe(6);
    expect(view.request.fromMs).toBe(Date.UTC(2024, 0, 5));
    expect(view.request.name).toBe('ma-crossover BTC/USDT 1h');
  });
});

describe('study service: running', () => {
  it('runs every candidate, each trial equal to a backtest of its params, and picks the best by the objective', async () => {
    const h = await harness();
    const { studyId } = await h.service.enqueue(REQUEST, { userId: 'u1' });
    const result = await h.service.run(studyId, control());
    expect(result.trials).toBe(6);
    const view = await h.service.get(studyId);
    expect(view.status).toBe('completed');
    expect(view.progress).toEqual({ done: 6, total: 6, message: '6 of 6 trials' });
    expect(view.trials.map((t) => [t.params.fastPeriod, t.params.slowPeriod])).toEqual([[4, 20], [4, 30], [7, 20], [7, 30], [10, 20], [10, 30]]);
    // Each trial equals a plain recorded backtest of the same params and range (the same loop, run independently).
    for (const trial of view.trials) {
      const backtest = await runBacktest(
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: REQUEST.from, to: REQUEST.to, strategies: ['ma-crossover'], params: { 'ma-crossover': trial.params }, decisionDetail: 'off' },
        { candles: h.candles, journal: createInMemoryJournalRepository(), runs: createInMemoryBacktestRunRepository(), logger: silentLogger, newId: () => 'r' },
      );
      const t = backtest.tradeMetrics;
      expect(trial.metrics.trades).toBe(t.trades);
      expect(trial.metrics.netProfit).toBe(t.trades === 0 ? 0 : t.trades * t.averageTrade);
      expect(trial.metrics.sharpe).toBe(Number.isFinite(backtest.returnMetrics.sharpe) ? backtest.returnMetrics.sharpe : null);
      expect(trial.objective).toBe(t.trades >= 1 ? t.trades * t.averageTrade : null);
      const stored = [...h.repository.trialRows.values()].find((row) => row.index === trial.index)!;
      expect(stored.dailyReturns).toEqual(dailyReturnsOf(backtest.equity, 10_000));
    }
    const scored = view.trials.filter((t) => t.objective !== null);
    const top = scored.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(view.best).toEqual({ params: top.params, objective: top.objective, trialIndex: top.index });
    expect(view.overfitting?.pbo?.partitions).toBe(10);
    expect(view.overfitting?.deflatedSharpe?.trials).toBe(6);
  });

  it('runs every trial with the request\'s exits: each equals a backtest of its params with those exits', async () => {
    const exits = { timeStop: { bars: 6 }, takeProfit: [{ percent: 2 }] };
    const h = await harness();
    const { studyId } = await h.service.enqueue({ ...REQUEST, exits }, { userId: 'u1' });
    await h.service.run(studyId, control());
    const view = await h.service.get(studyId);
    expect(view.request.backtest.exits).toMatchObject(exits);
    let differs = false;
    for (const trial of view.trials) {
      const request = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: REQUEST.from, to: REQUEST.to, strategies: ['ma-crossover'], params: { 'ma-crossover': trial.params }, decisionDetail: 'off' };
      const deps = () => ({ candles: h.candles, journal: createInMemoryJournalRepository(), runs: createInMemoryBacktestRunRepository(), logger: silentLogger, newId: () => 'r' });
      const withExits = await runBacktest({ ...request, exits }, deps());
      const without = await runBacktest(request, deps());
      expect(trial.metrics.trades).toBe(withExits.tradeMetrics.trades);
      expect(trial.metrics.netProfit).toBe(withExits.tradeMetrics.trades === 0 ? 0 : withExits.tradeMetrics.trades * withExits.tradeMetrics.averageTrade);
      differs ||= withExits.tradeMetrics.trades !== without.tradeMetrics.trades;
    }
    // The exits bind (a 6-bar time stop closes trades the crossover alone keeps open).
    expect(differs).toBe(true);
  });

  it('a study stopped midway resumes and ends with exactly the results of an uninterrupted run', async () => {
    const request = { ...REQUEST, walkForward: { mode: 'rolling', inSampleDays: 20, outOfSampleDays: 10 } } satisfies StudyRequest;
    const whole = await harness();
    const a = await whole.service.enqueue(request, { userId: 'u1' });
    await whole.service.run(a.studyId, control());

    const broken = await harness();
    const b = await broken.service.enqueue(request, { userId: 'u1' });
    // The process dies after the 10th stored trial: the next trial never starts.
    const controller = new AbortController();
    const putTrial = broken.repository.putTrial;
    broken.repository.putTrial = async (trial) => {
      const stored = await putTrial(trial);
      if (broken.repository.trialRows.size === 10) controller.abort(new Error('killed'));
      return stored;
    };
    await expect(broken.service.run(b.studyId, control(controller.signal))).rejects.toThrow('killed');
    broken.repository.putTrial = putTrial;
    const partial = broken.repository.trialRows.size;
    expect(partial).toBe(10);
    await broken.repository.update(b.studyId, { status: 'running', error: null });
    const resumed = await broken.service.run(b.studyId, control());
    expect(resumed.resumed).toBe(partial);

    const viewA = await whole.service.get(a.studyId);
    const viewB = await broken.service.get(b.studyId);
    expect(viewB.trials).toEqual(viewA.trials);
    expect(viewB.best).toEqual(viewA.best);
    expect(viewB.walkForward).toEqual(viewA.walkForward);
    expect(viewB.overfitting).toEqual(viewA.overfitting);
    // 51 days hold 3 windows of 20 days in sample + 10 out (starts 0, 10, 20; a 4th would end on day 60).
    // 6 full + 3 windows × (6 in sample + 1 out of sample).
    expect(viewA.trials.length).toBe(6 + 3 * 7);
    expect(viewA.walkForward?.windows.map((w) => [w.inSample.fromMs, w.outOfSample.fromMs, w.outOfSample.toMs])).toEqual(
      [0, 1, 2].map((k) => [Date.UTC(2024, 0, 5) + k * 10 * DAY, Date.UTC(2024, 0, 25) + k * 10 * DAY, Date.UTC(2024, 1, 4) + k * 10 * DAY]),
    );
  });

  it('marks the study cancelled when its ticket is cancelled mid-run', async () => {
    const h = await harness();
    const { studyId } = await h.service.enqueue(REQUEST, { userId: 'u1' });
    const controller = new AbortController();
    controller.abort(new JobCancelledError('ticket-1'));
    await expect(h.service.run(studyId, control(controller.signal))).rejects.toBeInstanceOf(JobCancelledError);
    expect((await h.service.get(studyId)).status).toBe('cancelled');
  });
});

describe('study service: apply', () => {
  const FIVE_MIN = 300_000;

  /** The installation's strategy settings over an in-memory store, and the TTL a 5m and a 1d backtest resolve from it. */
  function settingsHarness() {
    const settings = createInMemorySettingsRepository();
    const catalog = createBuiltInCatalog();
    const tradingSettings = createTradingSettingsService({
      clock: createManualClock(START),
      logger: silentLogger,
      settings,
      riskDesk: async () => {
        throw new Error('no risk desk in this test');
      },
      strategies: catalog,
    });
    const ttls = async () => {
      const stored = await loadStoredRunSettings('default', { settings, strategies: catalog, logger: silentLogger });
      return [FIVE_MIN, DAY].map((timeframeMs) => resolveRunSpec({}, stored, runDefaults('backtest', timeframeMs), catalog).fusion.ttlMs);
    };
    return { settings, tradingSettings, ttls, stored: () => settings.rows.get('trading.strategy')?.value as StrategySettings | undefined };
  }

  it('writes the best params of the studied adapter only: an unsaved signal TTL stays one candle of each run\'s timeframe', async () => {
    const s = settingsHarness();
    const h = await harness({ tradingSettings: s.tradingSettings });
    const { studyId } = await h.service.enqueue(REQUEST, { userId: 'u1' });
    await h.service.run(studyId, control());
    const applied = await h.service.applyToSettings(studyId, { userId: 'trader@example.test' });
    expect(applied.appliedBy).toBe('trader@example.test');
    expect(s.stored()?.adapters['ma-crossover']).toEqual({ enabled: true, weight: 1, params: applied.best?.params });
    expect(s.stored()).toMatchObject({ entryThreshold: 0.5, ttlMs: null, cooldownMs: 0, vetoThreshold: 0.5 });
    expect(await s.ttls()).toEqual([300_000, 86_400_000]);
  });

  it('keeps an explicit signal TTL the operator saved', async () => {
    const s = settingsHarness();
    const form = (await s.tradingSettings.get()).strategy;
    expect((await s.tradingSettings.update({ strategy: { ...form, ttlMs: 900_000 } }, 'trader@example.test')).ok).toBe(true);
    const h = await harness({ tradingSettings: s.tradingSettings });
    const { studyId } = await h.service.enqueue(REQUEST, { userId: 'u1' });
    await h.service.run(studyId, control());
    await h.service.applyToSettings(studyId, { userId: 'trader@example.test' });
    expect(s.stored()?.ttlMs).toBe(900_000);
    expect(await s.ttls()).toEqual([900_000, 900_000]);
  });
});
