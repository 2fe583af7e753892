import { apiRoute } from '@/app/_server/api-v1/operation';
import { cancelStudy } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(cancelStudy, async ({ root, input, audit }) => {
  await root.engine.studies.cancel(input.path.id);
  const study = await root.engine.studies.summary(input.path.id);
  audit({ after: { status: study.status } });
  return study;
});
