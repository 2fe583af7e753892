import { apiRoute } from '@/app/_server/api-v1/operation';
import { getStudy } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getStudy, async ({ root, input }) => root.engine.studies.get(input.path.id));
