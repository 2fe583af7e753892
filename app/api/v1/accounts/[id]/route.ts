import { apiRoute } from '@/app/_server/api-v1/operation';
import { getAccount } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getAccount, async ({ root, input }) => root.engine.accounts.view(input.path.id));
