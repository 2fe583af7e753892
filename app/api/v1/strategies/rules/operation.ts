/** `/api/v1/strategies/rules`: rule strategies (conditions on indicators and prices, no code), stored as versions. */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { RuleStrategySchema } from '@/engine/strategies/rules/rule-schema';

/** One stored version of a rule strategy. */
export const ruleVersionSchema = z
  .object({
    name: z.string(),
    version: z.number().int().meta({ description: '1 for the first save, +1 on every update; the highest is the active one.' }),
    definition: z.record(z.string(), z.unknown()).meta({ description: 'The rule strategy as saved (the RuleStrategy body).' }),
    createdBy: z.string().nullable(),
    createdAtMs: z.number().int(),
  })
  .meta({ id: 'RuleStrategyVersion' });

const RULE_DESCRIPTION =
  'A rule strategy: `long` / `short` entry groups and `exitLong` / `exitShort` exit groups, each `{ all: [...] }` or `{ any: [...] }` of conditions ' +
  '`{ left, op, right?, bars?, withinBars? }` on operands `{ indicator, period }`, `{ price }` or `{ value }`; a `stop` (`atrMultiple` [+ `atrPeriod`] or `percent`) and optional `exits` (take-profit, trailing stop, time stop, ROI table). ' +
  'Periods are 1..1000; at least one entry group. A fired entry has strength 1.';

export const ruleStrategyBody = RuleStrategySchema.meta({ id: 'RuleStrategy', description: RULE_DESCRIPTION });

/** `GET /api/v1/strategies/rules` (viewer). */
export const listRuleStrategies = defineOperation({
  operationId: 'listRuleStrategies',
  method: 'get',
  path: '/api/v1/strategies/rules',
  tag: 'strategies',
  summary: 'Rule strategies, each at its active (latest) version',
  role: 'viewer',
  response: { status: 200, description: 'The latest version of every rule strategy, by name.', schema: z.object({ items: z.array(ruleVersionSchema) }) },
});

/** `POST /api/v1/strategies/rules` (trader). */
export const createRuleStrategy = defineOperation({
  operationId: 'createRuleStrategy',
  method: 'post',
  path: '/api/v1/strategies/rules',
  tag: 'strategies',
  summary: 'Create a rule strategy (version 1)',
  description: 'Validated in full before anything is stored: an invalid field, or a name used by a rule, built-in or file strategy, is answered 400 naming the field and the value; nothing is saved. The strategy can be backtested under its name at once.',
  role: 'trader',
  body: { contentType: 'application/json', description: RULE_DESCRIPTION, schema: ruleStrategyBody, maxBytes: 64 * 1024 },
  response: { status: 201, description: 'The stored version 1.', schema: ruleVersionSchema },
  audit: { action: 'strategy_rule.create', target: ({ body }) => body.name },
});
