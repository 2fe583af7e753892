import { apiRoute, outcome } from '@/app/_server/api-v1/operation';
import { placeAccountOrder } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(placeAccountOrder, async ({ root, input, actor, audit }) => {
  const result = await root.engine.accounts.placeOrder(input.path.id, input.body, actor!.email);
  audit({ after: { outcome: result.outcome, reason: result.reason, entry: result.entry?.id ?? null, decisionId: result.decisionId } });
  return result.outcome === 'placed' ? result : outcome(422, result);
});
