/** `GET /api/v1/strategies`: every strategy the engine can run (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { STRATEGY_NAMES } from '@/engine/strategies/registry';

export const strategySchema = z
  .object({
    name: z.enum(STRATEGY_NAMES),
    summary: z.string(),
    paramsSchema: z.record(z.string(), z.unknown()).meta({ description: 'The parameters as JSON Schema (draft 2020-12); each property has its `default`. Pass them as `params.<name>` of a backtest.' }),
    defaults: z.record(z.string(), z.number()),
  })
  .meta({ id: 'Strategy' });

export const listStrategies = defineOperation({
  operationId: 'listStrategies',
  method: 'get',
  path: '/api/v1/strategies',
  tag: 'strategies',
  summary: 'Strategies the engine can run, with their parameters and defaults',
  role: 'viewer',
  response: { status: 200, description: 'Every strategy, in a fixed order.', schema: z.object({ items: z.array(strategySchema) }) },
});
