/** `GET /api/v1/strategies`: every strategy of the engine's catalog (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';

export const strategySchema = z
  .object({
    name: z.string().meta({ example: 'ma-crossover' }),
    source: z.enum(['built-in', 'file', 'rule']).meta({ description: 'Where the strategy comes from: the engine, a strategy file, or a rule strategy saved on the dashboard.' }),
    version: z.string().meta({ description: "The strategy's own version (recorded with every run).", example: '1.0.0' }),
    sourceHash: z.string().meta({ description: 'sha256 (hex) of its source: the file text, the rule JSON, or the built-in name and version.' }),
    summary: z.string(),
    file: z.string().optional().meta({ description: 'File name of a strategy file.' }),
    loadError: z.string().optional().meta({ description: 'Why the strategy cannot run (compile error, throw at load, bad export, a name taken by another strategy). Such an entry cannot be used or enabled.' }),
    paramsSchema: z.record(z.string(), z.unknown()).meta({ description: 'The parameters as JSON Schema (draft 2020-12); each property has its `default`. Pass them as `params.<name>` of a backtest.' }),
    defaults: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Strategy' });

export const listStrategies = defineOperation({
  operationId: 'listStrategies',
  method: 'get',
  path: '/api/v1/strategies',
  tag: 'strategies',
  summary: 'Strategies the engine can run, with their source, version, parameters and defaults',
  role: 'viewer',
  response: { status: 200, description: 'Every strategy: built-ins first, then strategy files, then rule strategies (by name); entries that failed to load carry `loadError`.', schema: z.object({ items: z.array(strategySchema) }) },
});
