import { apiRoute } from '@/app/_server/api-v1/operation';
import { previewAccountOrder } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(previewAccountOrder, async ({ root, input }) => root.engine.accounts.whatIf(input.path.id, input.body));
