/** `GET /api/v1/studies` (viewer) and `POST /api/v1/studies` (trader): list and queue parameter studies. */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { studyRequestSchema, studyWalkForwardSchema } from '@/engine/research/study';
import { timeframeSchema } from '../markets/operation';

const time = z.union([z.number().int(), z.string().min(1)]);

/** The engine's study request (unknown fields refused); the strategy, its space and the trading settings are checked by the engine. */
export const studyRequestBody = studyRequestSchema
  .extend({
    timeframe: timeframeSchema,
    from: time.meta({ description: 'Inclusive start: an ISO date or time (UTC) or epoch ms.', example: '2024-01-01' }),
    to: time.meta({ description: 'Exclusive end: an ISO date or time (UTC) or epoch ms.', example: '2024-07-01' }),
    strategy: z.string().min(1).meta({ description: 'The strategy to optimise, by catalog name (GET /api/v1/strategies); its `paramsSchema` gives the search space.', example: 'ma-crossover' }),
    space: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({
        description:
          'Narrowing per parameter: `{ min, max, step? }` (numbers), `{ values: [...] }` or one fixed value. Parameters left out span what their schema allows (bounded numbers: their range; booleans and enums: every value; others: their default).',
        example: { fastPeriod: { min: 5, max: 30, step: 5 }, slowPeriod: { values: [50, 100, 200] }, atrPeriod: 14, atrStopMultiple: 2 },
      }),
    method: studyRequestSchema.shape.method.meta({ description: 'grid (every combination, in order), random (seeded draws without repeats) or halving (successive halving over seeded draws: short date ranges first, the best third goes on).' }),
    trials: studyRequestSchema.shape.trials.meta({ description: 'Random draws or halving candidates (default 100); refused for grid.' }),
    seed: studyRequestSchema.shape.seed.meta({ description: 'Seed of the draws: the same request and seed try the same candidates.' }),
    objective: studyRequestSchema.shape.objective.meta({ description: 'What the search maximises: sharpe, sortino, calmar, profitFactor or netProfit.' }),
    minTrades: studyRequestSchema.shape.minTrades.meta({ description: 'A trial with fewer closed trades scores nothing and cannot win (default 1).' }),
    walkForward: studyWalkForwardSchema.optional().meta({
      description:
        'Walk-forward: per window, the search on the in-sample days, then the winner on the out-of-sample days that follow; rolling windows move, anchored ones grow from `from`. The in-sample window must hold more candles than the strategy\'s warm-up.',
      example: { mode: 'rolling', inSampleDays: 90, outOfSampleDays: 30 },
    }),
    maxTrials: studyRequestSchema.shape.maxTrials.meta({ description: 'A grid larger than this is refused, not truncated (default 10000).' }),
    models: studyRequestSchema.shape.models.meta({
      description:
        "The models in the loop of every trial, as a backtest's `models` (regime, volatility, stopDistance; each off unless given). A `deployed` version is pinned when the study is queued " +
        '(the resolved request shows the number), so every trial, and a resumed study, uses the same versions. Queue the study once with a model and once without to compare it on and off. ' +
        'Refused when the kind has no deployed model or the version does not exist.',
      example: { volatility: { targetVolatility: 0.01 }, stopDistance: true },
    }),
  })
  .strict()
  .meta({ id: 'StudyRequest' });

/** The request as resolved when the study was queued. */
const resolvedStudyRequestSchema = z
  .object({
    name: z.string(),
    accountId: z.string(),
    exchange: z.string(),
    symbol: z.string(),
    timeframe: z.string(),
    fromMs: z.number(),
    toMs: z.number(),
    strategy: z.string(),
    space: z.record(z.string(), z.unknown()).meta({ description: 'The narrowing as sent.' }),
    method: z.enum(['grid', 'random', 'halving']),
    trials: z.number().int().nullable().meta({ description: 'Random draws or halving candidates; null for grid.' }),
    seed: z.number().int(),
    objective: z.enum(['sharpe', 'sortino', 'calmar', 'profitFactor', 'netProfit']),
    minTrades: z.number().int(),
    walkForward: z
      .object({ mode: z.enum(['rolling', 'anchored']), inSampleMs: z.number(), outOfSampleMs: z.number(), stepMs: z.number() })
      .nullable()
      .meta({ description: 'Walk-forward windows in milliseconds; null without walk-forward.' }),
    maxTrials: z.number().int(),
    backtest: z.record(z.string(), z.unknown()).meta({ description: 'The explicit backtest request every trial derives from (risk, paper, fusion settings of the moment it was queued).' }),
    candidates: z.number().int().meta({ description: 'Candidates of one search (after the strategy\'s own checks).' }),
    skipped: z.number().int().meta({ description: 'Combinations the strategy refused (e.g. fastPeriod >= slowPeriod).' }),
    warmupCandles: z.number().int().meta({ description: 'Candles of history the most demanding candidate needs before a range starts.' }),
  })
  .meta({ id: 'ResolvedStudyRequest', description: 'The request as resolved when queued: times in epoch ms, every trading setting explicit.' });

const objective = z.number().nullable().meta({ description: 'The objective\'s score; null when below minTrades, undefined, or unbounded (a profit factor without losses).' });

/** A study without its trials (lists). */
export const studySummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    request: resolvedStudyRequestSchema,
    ticketId: z.string().meta({ description: 'The job ticket running it.' }),
    progress: z.object({ done: z.number().int(), total: z.number().int(), message: z.string().nullable() }).meta({ description: 'Trials finished of all the study runs.' }),
    createdAtMs: z.number(),
    finishedAtMs: z.number().nullable(),
    error: z.string().nullable(),
    best: z.object({ params: z.record(z.string(), z.unknown()), objective, trialIndex: z.number().int() }).nullable().meta({ description: 'The full-range search\'s winner; null until one scored.' }),
    overfitting: z
      .object({
        pbo: z.record(z.string(), z.unknown()).nullable().meta({ description: 'Probability of backtest overfitting (CSCV over the trials\' daily returns): value, partitions, combinations, probabilityOfLoss, level (low, elevated, likely-overfit), verdict.' }),
        pboUnavailable: z.string().nullable(),
        deflatedSharpe: z.record(z.string(), z.unknown()).nullable().meta({ description: 'Deflated Sharpe ratio of the best trial given the trial count and their Sharpe variance: probability, expectedMaxSharpe, sharpe (daily), trials, level (survives, doubtful, likely-luck), verdict.' }),
        deflatedSharpeUnavailable: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'The overfitting guards with plain-language verdicts; null until completed.' }),
    appliedAtMs: z.number().nullable(),
    appliedBy: z.string().nullable(),
  })
  .meta({ id: 'StudySummary' });

export const listStudies = defineOperation({
  operationId: 'listStudies',
  method: 'get',
  path: '/api/v1/studies',
  tag: 'studies',
  summary: 'List studies',
  description: 'Every study, newest first, without its trials.',
  role: 'viewer',
  response: { status: 200, description: 'The studies.', schema: z.object({ studies: z.array(studySummarySchema) }) },
});

export const startStudy = defineOperation({
  operationId: 'startStudy',
  method: 'post',
  path: '/api/v1/studies',
  tag: 'studies',
  summary: 'Queue a parameter study',
  description:
    'Checks everything first (the strategy and its search space, a grid larger than maxTrials, the date range, walk-forward windows against the strategy\'s warm-up, ' +
    'stored candles for the market and range, the trading settings) and answers 400 naming the field and value, queuing nothing. Then stores the study and queues ' +
    'its job: trials run in parallel on worker threads, each stored as it finishes, so a restart resumes it. Poll GET /api/v1/studies/{id}.',
  role: 'trader',
  body: { contentType: 'application/json', description: 'The study to run.', schema: studyRequestBody, maxBytes: 64 * 1024 },
  response: { status: 202, description: 'Queued: the study id and its job ticket id.', schema: z.object({ id: z.string(), ticketId: z.string() }) },
  audit: { action: 'study.enqueue', target: ({ body }) => `${body.strategy} ${body.exchange} ${body.symbol} ${body.timeframe}` },
});
