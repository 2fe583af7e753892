import { apiRoute } from '@/app/_server/api-v1/operation';
import { createRuleStrategy, listRuleStrategies } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listRuleStrategies, async ({ root }) => ({ items: await root.engine.ruleStrategies.list() }));

export const POST = apiRoute(createRuleStrategy, async ({ root, input, actor, audit }) => {
  const saved = await root.engine.ruleStrategies.create(input.body, actor!.email);
  audit({ target: saved.name, after: saved });
  return saved;
});
