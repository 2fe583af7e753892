/** `GET /api/v1/backtests/{id}/breakdown`: a backtest run's results by tag (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';

function groupsOf<Key extends z.ZodType>(key: Key, description: string) {
  return z
    .array(
      z.object({
        key,
        trades: z.number().int(),
        wins: z.number().int().meta({ description: 'Trades with net PnL > 0.' }),
        winRate: z.number().min(0).max(1).meta({ description: 'wins / trades.' }),
        netPnl: z.number().meta({ description: 'Sum of realizedPnl - fees - funding, quote currency.' }),
        averageR: z
          .number()
          .nullable()
          .meta({ description: 'Mean of net PnL / initialRisk over the trades with initialRisk > 0 (initialRisk = |entry - initial stop| x amount); null when none.' }),
      }),
    )
    .meta({ description });
}

export const backtestBreakdownSchema = z
  .object({
    runId: z.string(),
    trades: z.number().int().meta({ description: "The run's closed trades; each dimension's counts add up to it." }),
    strategy: groupsOf(z.string(), 'By strategy, ascending.'),
    exitReason: groupsOf(
      z.string(),
      'By exit reason (stop, trailing-stop, take-profit, time-stop, roi, exit-signal, signal, end-of-run, liquidation, venue), ascending.',
    ),
    side: groupsOf(z.enum(['long', 'short']), 'By side.'),
    hourOfDay: groupsOf(z.number().int().min(0).max(23), 'By the hour of the entry (UTC, 0-23); hours without trades are absent.'),
    weekday: groupsOf(z.number().int().min(1).max(7), 'By the ISO weekday of the entry (UTC, 1 = Monday … 7 = Sunday).'),
  })
  .meta({ id: 'BacktestBreakdown' });

export const getBacktestBreakdown = defineOperation({
  operationId: 'getBacktestBreakdown',
  method: 'get',
  path: '/api/v1/backtests/{id}/breakdown',
  tag: 'backtests',
  summary: "A backtest run's results by strategy, exit reason, side, hour and weekday",
  description:
    'The run\'s trades grouped per dimension in the database, each group with its count, wins (net PnL > 0), win rate, net PnL and average R ' +
    '(net PnL over the initial risk). `id` is a job id or a run id, as for GET /api/v1/backtests/{id}.',
  role: 'viewer',
  params: z.object({ id: z.string().min(1).max(200).meta({ description: 'Job id (or run id).' }) }),
  response: { status: 200, description: 'The groups of the completed run.', schema: backtestBreakdownSchema },
  errors: { 404: 'No backtest job or run has this id, or the job has not completed a run.' },
});
