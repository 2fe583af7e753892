import { apiRoute } from '@/app/_server/api-v1/operation';
import { resumeAllAccounts } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(resumeAllAccounts, async ({ root, input, actor, audit }) => {
  const result = await root.engine.accounts.resumeAll(actor!.email);
  audit({ after: { reason: input.body.reason, halt: result.halt } });
  return result;
});
