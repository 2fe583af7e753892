import { apiRoute } from '@/app/_server/api-v1/operation';
import { listMarkets } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listMarkets, async ({ root }) => ({ items: await root.engine.listCandleStreams() }));
