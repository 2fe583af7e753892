/** `GET /api/v1/studies/{id}`: a study with its trials and report (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { studySummarySchema } from '../operation';

/** The path parameter of every study operation. */
export const studyIdParam = z.object({ id: z.string().min(1).max(200).meta({ description: 'Study id (POST /api/v1/studies answered it).' }) });

const metric = z.number().nullable();
const range = z.object({ fromMs: z.number(), toMs: z.number() }).meta({ description: 'Half-open range of candle open times, epoch ms.' });

export const studyTrialSchema = z
  .object({
    index: z.number().int().meta({ description: 'The candidate\'s position in the search\'s candidate list.' }),
    params: z.record(z.string(), z.unknown()).meta({ description: 'The strategy params tried (defaults filled).' }),
    window: z.number().int().nullable().meta({ description: 'Walk-forward window, null for the full-range search.' }),
    sample: z.enum(['full', 'in', 'out']),
    rung: z.number().int().nullable().meta({ description: 'Successive-halving rung (0 = shortest range), null otherwise.' }),
    fromMs: z.number(),
    toMs: z.number(),
    metrics: z.object({
      netProfit: metric.meta({ description: 'Summed net PnL of the closed trades, quote currency.' }),
      sharpe: metric,
      sortino: metric,
      calmar: metric,
      profitFactor: metric,
      maxDrawdownPct: metric.meta({ description: 'Deepest fall below a peak, percent (12.5 = 12.5 %).' }),
      trades: z.number().int(),
      winRate: metric.meta({ description: '0..1.' }),
    }),
    objective: z.number().nullable(),
  })
  .meta({ id: 'StudyTrial' });

export const studyViewSchema = studySummarySchema
  .extend({
    trials: z.array(studyTrialSchema).meta({ description: 'Every finished trial: the full-range search first, then each walk-forward window\'s in-sample and out-of-sample trials.' }),
    walkForward: z
      .object({
        windows: z.array(
          z.object({
            index: z.number().int(),
            inSample: range,
            outOfSample: range,
            bestParams: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The in-sample winner; null when no candidate scored.' }),
            inSampleObjective: z.number().nullable(),
            outOfSampleObjective: z.number().nullable(),
          }),
        ),
        outOfSampleEquity: z.array(z.object({ timeMs: z.number(), equity: z.number() })).meta({ description: 'The out-of-sample equity curves stitched multiplicatively.' }),
        degradation: z
          .object({ ratios: z.array(z.number().nullable()), meanRatio: z.number().nullable(), meanInSample: z.number().nullable(), meanOutOfSample: z.number().nullable() })
          .meta({ description: 'Out-of-sample / in-sample objective per window (null when the in-sample score is not above 0) and their means: 1 = nothing lost out of sample.' }),
      })
      .nullable(),
  })
  .meta({ id: 'Study' });

export const getStudy = defineOperation({
  operationId: 'getStudy',
  method: 'get',
  path: '/api/v1/studies/{id}',
  tag: 'studies',
  summary: 'A study with its trials and report',
  role: 'viewer',
  params: studyIdParam,
  response: { status: 200, description: 'The study: status, progress, trials, best params, walk-forward report and overfitting guards.', schema: studyViewSchema },
  errors: { 404: 'No study has this id.' },
});
