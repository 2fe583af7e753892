import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { sessionSchema } from '@/app/_server/api-v1/trading-schemas';

export const sessionIdParam = z.object({
  id: z.string().min(1).max(200).meta({ description: 'Session id (URL-encoded: it contains "/" and ":").', example: 'replay:default:binance:BTC/USDT:5m' }),
});

/** `GET /api/v1/sessions/{id}` (viewer). */
export const getSession = defineOperation({
  operationId: 'getSession',
  method: 'get',
  path: '/api/v1/sessions/{id}',
  tag: 'sessions',
  summary: 'A session',
  role: 'viewer',
  params: sessionIdParam,
  response: { status: 200, description: 'The session.', schema: sessionSchema },
  errors: { 404: 'No session has this id.' },
});
