import { apiRoute } from '@/app/_server/api-v1/operation';
import { getBacktestBreakdown } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getBacktestBreakdown, async ({ root, input }) => root.engine.backtestBreakdown(input.path.id));
