import { apiRoute } from '@/app/_server/api-v1/operation';
import { listStrategies } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listStrategies, async ({ root }) => ({ items: root.engine.describeStrategies() }));
