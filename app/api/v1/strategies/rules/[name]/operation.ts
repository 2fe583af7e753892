import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { checkRuleEntry, ruleStrategyShape } from '@/engine/strategies/rules/rule-schema';
import { ruleVersionSchema } from '../operation';

const nameParam = z.object({ name: z.string().min(1).max(63).meta({ description: 'The rule strategy\'s name.' }) });

/** `GET /api/v1/strategies/rules/{name}` (viewer). */
export const getRuleStrategy = defineOperation({
  operationId: 'getRuleStrategy',
  method: 'get',
  path: '/api/v1/strategies/rules/{name}',
  tag: 'strategies',
  summary: 'A rule strategy with every saved version',
  role: 'viewer',
  params: nameParam,
  response: {
    status: 200,
    description: 'The active version and every version, oldest first.',
    schema: z.object({ name: z.string(), latest: ruleVersionSchema, versions: z.array(ruleVersionSchema) }).meta({ id: 'RuleStrategyHistory' }),
  },
  errors: { 404: 'No rule strategy has this name.' },
});

/** `PUT /api/v1/strategies/rules/{name}` (trader). */
export const updateRuleStrategy = defineOperation({
  operationId: 'updateRuleStrategy',
  method: 'put',
  path: '/api/v1/strategies/rules/{name}',
  tag: 'strategies',
  summary: 'Save a new version of a rule strategy',
  description: 'The body is the whole rule strategy (`name` may be left out; if given it must be the path\'s). All-or-nothing: an invalid field is answered 400 naming it and the value; nothing is saved. New runs use the new version; earlier runs keep the version they recorded.',
  role: 'trader',
  params: nameParam,
  body: {
    contentType: 'application/json',
    description: 'The rule strategy (see RuleStrategy).',
    schema: z.strictObject({ ...ruleStrategyShape, name: ruleStrategyShape.name.optional() }).superRefine(checkRuleEntry),
    maxBytes: 64 * 1024,
  },
  response: { status: 200, description: 'The stored new version.', schema: ruleVersionSchema },
  errors: { 404: 'No rule strategy has this name.' },
  audit: { action: 'strategy_rule.update', target: ({ path }) => path.name },
});
