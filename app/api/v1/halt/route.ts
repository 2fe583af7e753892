import { apiRoute } from '@/app/_server/api-v1/operation';
import { haltAllAccounts } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(haltAllAccounts, async ({ root, input, actor, audit }) => {
  const result = await root.engine.accounts.haltAll(input.body.reason, actor!.email);
  audit({ after: { reason: input.body.reason, halt: result.halt } });
  return result;
});
