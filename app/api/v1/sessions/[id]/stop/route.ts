import { AppError } from '@/app/_server/auth/app-error';
import { apiRoute } from '@/app/_server/api-v1/operation';
import { sessionAnswer } from '@/app/_server/api-v1/trading-schemas';
import { stopSession } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(stopSession, async ({ root, input, audit }) => {
  const state = await root.engine.stopLiveSession(input.path.id);
  const session = await root.engine.getLiveSession(input.path.id);
  if (!session) throw new AppError('not_found', `session "${input.path.id}" does not exist`);
  audit({ after: { status: state.status } });
  return sessionAnswer(session);
});
