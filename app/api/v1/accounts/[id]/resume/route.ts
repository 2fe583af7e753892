import { apiRoute } from '@/app/_server/api-v1/operation';
import { resumeAccount } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(resumeAccount, async ({ root, input, audit }) => {
  const status = await root.engine.accounts.resume(input.path.id);
  audit({ after: { reason: input.body.reason, halted: status.halted, haltReason: status.haltReason } });
  return status;
});
