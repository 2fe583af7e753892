import { apiRoute } from '@/app/_server/api-v1/operation';
import { listStudies, startStudy } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listStudies, async ({ root }) => ({ studies: await root.engine.studies.list() }));

export const POST = apiRoute(startStudy, async ({ root, input, actor, audit }) => {
  const { studyId, ticketId } = await root.engine.studies.enqueue(input.body, { userId: actor?.email ?? 'unknown' });
  audit({ target: studyId, after: { id: studyId, ticketId } });
  return { id: studyId, ticketId };
});
