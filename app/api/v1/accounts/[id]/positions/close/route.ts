import { apiRoute } from '@/app/_server/api-v1/operation';
import { closeAccountPosition } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(closeAccountPosition, async ({ root, input, actor, audit }) => {
  const result = await root.engine.accounts.closePosition(input.path.id, input.body, actor!.email);
  audit({ after: { orderId: result.order.id, status: result.order.status, remaining: result.remaining } });
  return result;
});
