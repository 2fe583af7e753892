/**
 * /api/v1/studies on a real root with its in-process job runner and a two-thread trial pool, on
 * embedded PGlite and on PostgreSQL: a study is queued (202 with its id and ticket), runs on worker
 * threads, and reports every trial equal to a backtest of the same params (the engine's own,
 * through the same root); its best params are applied to the strategy settings (audited); bad
 * requests answer 400 naming the field and value and queue nothing; a viewer may read but not queue,
 * cancel or apply; unknown ids answer 404.
 */
import { describe, expect, it } from 'vitest';
import type { StudySummary, StudyView } from '../../engine/research/study';
import type { ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots } from '../support/auth-test-root';
import { RESEARCH_START_MS, withSyntheticCandles } from '../support/research-test-roots';

const T0 = RESEARCH_START_MS;

const REQUEST = {
  exchange: 'testex',
  symbol: 'SYN/USDT',
  timeframe: '1h',
  from: '2024-01-03',
  to: '2024-03-01',
  strategy: 'ma-crossover',
  space: { fastPeriod: { values: [5, 10] }, slowPeriod: { values: [20, 40] }, atrPeriod: 14, atrStopMultiple: 2 },
  method: 'grid',
  objective: 'netProfit',
  minTrades: 1,
};

const setup = withSyntheticCandles;

async function waitUntilDone(viewer: ApiV1Client, id: string): Promise<StudyView> {
  for (let i = 0; i < 1200; i++) {
    const answer = await viewer.call<StudyView>('getStudy', { path: { id } });
    expect(answer.status).toBe(200);
    if (answer.body.status !== 'queued' && answer.body.status !== 'running') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`study "${id}" did not finish in 120 s`);
}

describe.each(AUTH_TEST_BACKENDS)('studies through /api/v1 on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('queues a study that runs on worker threads, reports trials equal to backtests, and applies its best params', async () => {
    const app = await roots.open({ AETHELRED_STUDY_WORKERS: '2' });
    const { trader, viewer } = await setup(app);
    const queued = await trader.call<{ id: string; ticketId: string }>('startStudy', { body: REQUEST });
    expect(queued.status).toBe(202);
    expect(Object.keys(queued.body)).toEqual(['id', 'ticketId']);
    const study = await waitUntilDone(viewer, queued.body.id);
    expect(study.status).toBe('completed');
    expect(study.ticketId).toBe(queued.body.ticketId);
    expect(study.progress).toEqual({ done: 4, total: 4, message: '4 of 4 trials' });
    expect(study.trials.map((t) => [t.params.fastPeriod, t.params.slowPeriod])).toEqual([[5, 20], [5, 40], [10, 20], [10, 40]]);
    for (const trial of study.trials) {
      const direct = await app.root.engine.runBacktest({ exchange: 'testex', symbol: 'SYN/USDT', timeframe: '1h', from: REQUEST.from, to: REQUEST.to, strategies: ['ma-crossover'], params: { 'ma-crossover': trial.params }, decisionDetail: 'off' });
      const t = direct.tradeMetrics;
      expect(trial.metrics.trades).toBe(t.trades);
      expect(trial.metrics.netProfit).toBe(t.trades === 0 ? 0 : t.trades * t.averageTrade);
      expect(trial.metrics.maxDrawdownPct).toBe(direct.returnMetrics.maxDrawdown === 0 ? 0 : -direct.returnMetrics.maxDrawdown * 100);
    }
    const scored = study.trials.filter((t) => t.objective !== null);
    expect(scored.length).toBeGreaterThan(0);
    const top = scored.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(study.best).toEqual({ params: top.params, objective: top.objective, trialIndex: top.index });
    expect(study.overfitting?.pbo?.level).toMatch(/^(low|elevated|likely-overfit)$/);

    const listed = await viewer.call<{ studies: StudySummary[] }>('listStudies');
    expect(listed.status).toBe(200);
    expect(listed.body.studies.map((s) => [s.id, s.status])).toEqual([[queued.body.id, 'completed']]);
    expect('trials' in listed.body.studies[0]).toBe(false);

    expect((await viewer.call('applyStudy', { path: { id: queued.body.id } })).status).toBe(403);
    const applied = await trader.call<StudySummary>('applyStudy', { path: { id: queued.body.id } });
    expect(applied.status).toBe(200);
    expect(applied.body.appliedBy).toMatch(/^trader-\d+@example\.test$/);
    const settings = await app.root.engine.getTradingSettings();
    expect(settings.strategy.adapters['ma-crossover']).toMatchObject({ enabled: true, params: top.params });
    const audit = await app.root.auth.audit.list({ limit: 20 });
    expect(audit.items.map((entry) => entry.action)).toEqual(expect.arrayContaining(['study.enqueue', 'study.apply']));

    const cancelAfterEnd = await trader.call('cancelStudy', { path: { id: queued.body.id } });
    expect(cancelAfterEnd.status).toBe(400);
  }, 180_000);

  it.each([
    ['an inverted parameter range', { space: { fastPeriod: { min: 20, max: 5 } } }, 'space.fastPeriod.min', 20],
    ['a grid larger than maxTrials', { maxTrials: 3 }, 'maxTrials', 3],
    ['an in-sample window within the warm-up', { walkForward: { mode: 'rolling', inSampleDays: 1, outOfSampleDays: 7 } }, 'walkForward.inSampleDays', 1],
    ['a range without candles', { from: '2025-01-01', to: '2025-02-01' }, 'from', '2025-01-01'],
  ] as const)('refuses %s with 400 naming the field and value, queuing nothing', async (_what, patch, field, value) => {
    const app = await roots.open({ AETHELRED_STUDY_WORKERS: '1' });
    const { trader } = await setup(app);
    const answer = await trader.call<{ error: { fieldErrors: Record<string, string[]> } }>('startStudy', { body: { ...REQUEST, ...patch } });
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.error.fieldErrors)).toEqual([field]);
    expect(answer.body.error.fieldErrors[field][0]).toContain(`field "${field}" was ${JSON.stringify(value)}: `);
    expect(await app.root.engine.studies.list()).toEqual([]);
    expect((await app.root.engine.listTickets({ kind: 'study' })).items).toEqual([]);
  }, 60_000);

  it('lets a trader cancel a study, keeps viewers to reading, and answers 404 for unknown ids', async () => {
    const app = await roots.open({ AETHELRED_STUDY_WORKERS: '1' });
    const { trader, viewer } = await setup(app);
    expect((await viewer.call('startStudy', { body: REQUEST })).status).toBe(403);
    // 59 × 40 = 2,360 trials: far from done when the cancel arrives.
    const queued = await trader.call<{ id: string }>('startStudy', { body: { ...REQUEST, space: { fastPeriod: { min: 2, max: 60 }, slowPeriod: { min: 61, max: 100 }, atrPeriod: 14, atrStopMultiple: 2 } } });
    expect(queued.status).toBe(202);
    expect((await viewer.call('cancelStudy', { path: { id: queued.body.id } })).status).toBe(403);
    const cancelled = await trader.call<StudySummary>('cancelStudy', { path: { id: queued.body.id } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await waitUntilDone(viewer, queued.body.id)).status).toBe('cancelled');
    const missing = await viewer.call<{ error: string }>('getStudy', { path: { id: 'nope' } });
    expect(missing.status).toBe(404);
  }, 60_000);
});
