import { apiRoute } from '@/app/_server/api-v1/operation';
import { createAccount, listAccounts } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listAccounts, async ({ root }) => ({ accounts: await root.engine.accounts.list() }));

export const POST = apiRoute(createAccount, async ({ root, input, actor, audit }) => {
  const account = await root.engine.accounts.create(input.body, actor!.email);
  audit({ after: account });
  return account;
});
