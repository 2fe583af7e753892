import { apiRoute } from '@/app/_server/api-v1/operation';
import { haltAccount } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(haltAccount, async ({ root, input, audit }) => {
  const status = await root.engine.accounts.halt(input.path.id, input.body.reason);
  audit({ after: { reason: input.body.reason, halted: status.halted, haltReason: status.haltReason } });
  return status;
});
