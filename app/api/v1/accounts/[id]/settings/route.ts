import { AppError } from '@/app/_server/auth/app-error';
import { apiRoute } from '@/app/_server/api-v1/operation';
import { getAccountSettings, updateAccountSettings } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getAccountSettings, async ({ root, input }) => {
  const account = await root.engine.accounts.get(input.path.id);
  return { settings: account.settings, risk: { ...(await root.engine.accounts.riskLimits(account.id)) } };
});

export const PUT = apiRoute(updateAccountSettings, async ({ root, input, actor, audit }) => {
  const before = await root.engine.accounts.get(input.path.id);
  const result = await root.engine.accounts.update(input.path.id, input.body, actor!.email);
  if (!result.ok) throw new AppError('bad_request:input', 'the settings are invalid', result.fieldErrors);
  audit({ before, after: result.account });
  return { settings: result.account.settings, risk: { ...(await root.engine.accounts.riskLimits(input.path.id)) } };
});
