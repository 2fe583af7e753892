import { AppError } from '@/app/_server/auth/app-error';
import { apiRoute } from '@/app/_server/api-v1/operation';
import { sessionAnswer } from '@/app/_server/api-v1/trading-schemas';
import { getSession } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(getSession, async ({ root, input }) => {
  const session = await root.engine.getLiveSession(input.path.id);
  if (!session) throw new AppError('not_found', `session "${input.path.id}" does not exist; list sessions with GET /api/v1/sessions`);
  return sessionAnswer(session);
});
