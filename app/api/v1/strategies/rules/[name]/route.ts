import { apiRoute } from '@/app/_server/api-v1/operation';
import { getRuleStrategy, updateRuleStrategy } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getRuleStrategy, async ({ root, input }) => root.engine.ruleStrategies.get(input.path.name));

export const PUT = apiRoute(updateRuleStrategy, async ({ root, input, actor, audit }) => {
  const before = (await root.engine.ruleStrategies.get(input.path.name)).latest;
  const saved = await root.engine.ruleStrategies.update(input.path.name, input.body, actor!.email);
  audit({ before, after: saved });
  return saved;
});
