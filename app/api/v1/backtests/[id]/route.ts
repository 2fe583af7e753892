import { apiRoute } from '@/app/_server/api-v1/operation';
import { getBacktest } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getBacktest, async ({ root, input }) => root.engine.backtestState(input.path.id));
