import { apiRoute } from '@/app/_server/api-v1/operation';
import { startBacktest } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(startBacktest, async ({ root, input, audit }) => {
  const id = await root.engine.enqueueBacktest(input.body);
  audit({ after: { id } });
  return { id };
});
