import { AppError } from '@/app/_server/auth/app-error';
import { apiRoute } from '@/app/_server/api-v1/operation';
import { sessionAnswer } from '@/app/_server/api-v1/trading-schemas';
import { listSessions, startSession } from './operation';

export const dynamic = 'force-dynamic';

export const GET = apiRoute(listSessions, async ({ root }) => ({ sessions: (await root.engine.listLiveSessions()).map(sessionAnswer) }));

export const POST = apiRoute(startSession, async ({ root, input, actor, audit }) => {
  if ((input.body.mode === 'live' || input.body.liveTrading) && actor!.role !== 'admin') {
    throw new AppError('forbidden:auth', 'only an admin may start a session that trades on the real venue');
  }
  const state = await root.engine.startLiveSession(input.body);
  const session = await root.engine.getLiveSession(state.id);
  if (!session) throw new Error(`session "${state.id}" started but is not stored`);
  audit({ target: state.id, after: { id: state.id, status: session.status } });
  return sessionAnswer(session);
});
