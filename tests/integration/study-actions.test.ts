/**
 * The studies page's server actions on a real root (embedded database, in-process job runner): a form
 * post queues a 2 × 2 grid study of ma-crossover that completes with exactly 4 full-range trials, trading
 * the form's account settings and exits with the breakers off; an inverted parameter range comes back naming
 * `space.fastPeriod.min` with nothing stored; "apply" writes the best params into the saved strategy
 * settings and the audit log keeps the params before and after.
 */
import { describe, expect, it } from 'vitest';
import { GATE, type ActionResult } from '../../app/_server/auth/gate';
import { applyStudy, startStudy, studyStatus, type StudyStatusView } from '../../app/studies/actions';
import type { AuthTestRoot } from '../support/auth-test-root';
import { RESEARCH_START_MS, useWaveCandleRoot } from '../support/research-test-roots';

const T0 = RESEARCH_START_MS;

const roots = useWaveCandleRoot();

/** A 2 × 2 grid over the 5 days of wave candles (WAVE_CANDLES: the averages cross often). */
const FORM = {
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '5m',
  from: '2024-01-01',
  to: '2024-01-06',
  strategy: 'ma-crossover',
  space: { fastPeriod: { min: 3, max: 5, step: 2 }, slowPeriod: { values: [8, 12] }, atrPeriod: 14 },
  method: 'grid',
  objective: 'sharpe',
  minTrades: 1,
  accountId: 'default',
  paper: { initialBalance: 5_000, takerFeeBps: 4 },
  risk: { riskPerTradePct: 1, dailyLossLimitPct: 2, maxDrawdownPct: 5 },
  breakers: false,
};

const setup = () => roots.open();

async function waitForEnd(root: AuthTestRoot['root'], headers: Headers, id: string): Promise<StudyStatusView> {
  for (let i = 0; i < 1_200; i++) {
    const status = (await studyStatus[GATE].run(root, headers, { id })) as ActionResult<StudyStatusView>;
    if (!status.ok) throw new Error(`status refused: ${JSON.stringify(status.error)}`);
    if (['completed', 'failed', 'cancelled'].includes(status.data.status)) return status.data;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the study did not finish in 120 s');
}

describe('study actions', { timeout: 240_000 }, () => {
  it('queues a 2 × 2 grid from the form that completes with 4 trials, trading the form settings and exits with breakers off', async () => {
    const { app, headers } = await setup();
    const queued = (await startStudy[GATE].run(app.root, headers, { ...FORM, exits: { timeStopBars: 24, roi: '' } })) as ActionResult<{ studyId: string; ticketId: string }>;
    if (!queued.ok) throw new Error(`refused: ${JSON.stringify(queued.error)}`);
    const end = await waitForEnd(app.root, headers, queued.data.studyId);
    expect(end).toMatchObject({ status: 'completed', error: null });
    const study = await app.root.engine.studies.get(queued.data.studyId);
    // fastPeriod 3, 5 × slowPeriod 8, 12: four grid points, every one with fast below slow.
    const full = study.trials.filter((t) => t.sample === 'full');
    expect(full.map((t) => [t.params.fastPeriod, t.params.slowPeriod]).sort()).toEqual([
      [3, 12],
      [3, 8],
      [5, 12],
      [5, 8],
    ]);
    expect(study.request).toMatchObject({ method: 'grid', trials: null, fromMs: T0, toMs: T0 + 5 * 86_400_000, candidates: 4 });
    // Breakers off: the form's daily-loss and drawdown limits are replaced by 100 %.
    expect(study.request.backtest).toMatchObject({ paper: { initialBalance: 5_000, takerFeeBps: 4 }, risk: { riskPerTradePct: 1, dailyLossLimitPct: 100, maxDrawdownPct: 100 } });
    // The exits fieldset reaches every trial's backtest request: a 24-bar time stop, nothing else.
    expect(study.request.backtest.exits).toEqual({ timeStop: { bars: 24 } });
    const audit = await app.root.auth.audit.list({ action: 'study.enqueue', limit: 1 });
    expect(audit.items.map((e) => [e.outcome, e.target, e.after])).toEqual([['ok', queued.data.studyId, queued.data]]);
  });

  it('names an inverted parameter range and stores nothing', async () => {
    const { app, headers } = await setup();
    const refused = (await startStudy[GATE].run(app.root, headers, { ...FORM, space: { ...FORM.space, fastPeriod: { min: 5, max: 3 } } })) as ActionResult<unknown>;
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.error.fieldErrors ?? {})).toEqual(['space.fastPeriod.min']);
    expect(refused.error.fieldErrors?.['space.fastPeriod.min']?.[0]).toContain('5');
    expect(await app.root.engine.studies.list()).toEqual([]);
  });

  it('applies the best params to the saved strategy settings, audited with the params before and after', async () => {
    const { app, headers } = await setup();
    const before = (await app.root.engine.getTradingSettings()).strategy.adapters['ma-crossover'];
    const queued = (await startStudy[GATE].run(app.root, headers, FORM)) as ActionResult<{ studyId: string }>;
    if (!queued.ok) throw new Error(`refused: ${JSON.stringify(queued.error)}`);
    expect((await waitForEnd(app.root, headers, queued.data.studyId)).status).toBe('completed');
    const study = await app.root.engine.studies.get(queued.data.studyId);
    expect(study.best).not.toBeNull();
    // The best is the full-range trial with the highest objective.
    const scored = study.trials.filter((t) => t.sample === 'full' && t.objective !== null);
    const top = scored.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(study.best?.objective).toBe(top.objective);

    const applied = (await applyStudy[GATE].run(app.root, headers, { id: study.id })) as ActionResult<{ appliedAtMs: number | null; params: Record<string, unknown> | null }>;
    if (!applied.ok) throw new Error(`apply refused: ${JSON.stringify(applied.error)}`);
    expect(applied.data.params).toEqual(study.best?.params);
    const group = (await app.root.engine.getTradingSettings()).strategy;
    const after = group.adapters['ma-crossover'];
    expect(after).toMatchObject({ enabled: true, params: study.best?.params, weight: before?.weight });
    // Apply tunes the adapter only: the unsaved signal TTL stays one candle of each run's timeframe (null), so the audit records nothing else.
    expect(group).toMatchObject({ ttlMs: null, entryThreshold: 0.5, cooldownMs: 0, vetoThreshold: 0.5 });
    const audit = await app.root.auth.audit.list({ action: 'study.apply', limit: 1 });
    expect(audit.items.map((e) => [e.outcome, e.target, e.before, e.after])).toEqual([
      ['ok', `${study.id} ma-crossover`, { enabled: before?.enabled ?? false, params: before?.params ?? null }, { enabled: true, params: study.best?.params }],
    ]);
    expect((await app.root.engine.studies.get(study.id)).appliedAtMs).toBe(applied.data.appliedAtMs);
  });
});
