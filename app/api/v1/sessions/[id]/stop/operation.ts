import { defineOperation } from '@/app/_server/api-v1/operation';
import { sessionSchema } from '@/app/_server/api-v1/trading-schemas';
import { sessionIdParam } from '../operation';

/** `POST /api/v1/sessions/{id}/stop` (trader). */
export const stopSession = defineOperation({
  operationId: 'stopSession',
  method: 'post',
  path: '/api/v1/sessions/{id}/stop',
  tag: 'sessions',
  summary: 'Stop a session',
  description:
    'Stops after the candle in progress. A session another process runs is asked to stop (status `stopping`) and stops there before its next candle. Positions stay open: close them with a force exit.',
  role: 'trader',
  params: sessionIdParam,
  response: { status: 200, description: 'The session now.', schema: sessionSchema },
  errors: { 404: 'No session has this id.' },
  audit: { action: 'session.stop', target: ({ path }) => path.id },
});
