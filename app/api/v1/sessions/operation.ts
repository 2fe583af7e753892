import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { sessionSchema } from '@/app/_server/api-v1/trading-schemas';
import { liveSessionRequestSchema } from '@/engine/live/live-session-manager';
import { loopModelsRequestSchema } from '@/engine/decision/loop-models';
import { ExitPolicySchema } from '@/engine/strategies/exit-policy';
import { timeframeSchema } from '../markets/operation';

/** `GET /api/v1/sessions` (viewer). */
export const listSessions = defineOperation({
  operationId: 'listSessions',
  method: 'get',
  path: '/api/v1/sessions',
  tag: 'sessions',
  summary: 'Trading sessions',
  description: 'Every stored session (replay, paper, live), most recently updated first, with its in-memory state while it runs in this process.',
  role: 'viewer',
  response: { status: 200, description: 'The sessions.', schema: z.object({ sessions: z.array(sessionSchema) }) },
});

export const startSessionBody = liveSessionRequestSchema
  .safeExtend({
    timeframe: timeframeSchema,
    strategies: z
      .array(z.string().min(1))
      .min(1, 'expected at least one strategy')
      .meta({ description: 'Strategies to fuse, by catalog name (see GET /api/v1/strategies); checked by the engine.', example: ['ma-crossover'] }),
    exits: ExitPolicySchema.optional().meta({
      description: 'Exit policy of every position (takeProfit, trailingStop, timeStop, minimalRoi; see BacktestRequest). Default: the first strategy of the session that declares exits, else none.',
    }),
    reconcile: liveSessionRequestSchema.shape.reconcile.meta({
      description:
        'Live sessions: foreign open orders on the symbol at start are left with a warning ("adopt", default) or cancelled ("cancel"). Either way the session adopts its own protective stop and cancels its other stale orders; the outcome is journaled as a "reconcile" decision.',
    }),
    models: loopModelsRequestSchema.optional().meta({
      description:
        'The regime, volatility and stop-distance models (see BacktestRequest `models`); each off unless given. `version` "deployed" (default) follows deploys, as the veto does; a number pins that version.',
    }),
  })
  .strict()
  .meta({ id: 'SessionRequest' });

/** `POST /api/v1/sessions` (trader; admin for mode "live"). */
export const startSession = defineOperation({
  operationId: 'startSession',
  method: 'post',
  path: '/api/v1/sessions',
  tag: 'sessions',
  summary: 'Start a session on an account',
  description:
    '`replay` trades the account on stored candles from `from` at `speed` candles per second ("max": as fast as possible): offline paper trading; ' +
    '`paper` trades live venue candles on the paper account; `live` sends orders to the venue (admin, stored keys, enabled venue). ' +
    'Every session of an account shares its capital and its one risk engine. Starting a running session again answers it unchanged.',
  role: 'trader',
  body: { contentType: 'application/json', description: 'The session.', schema: startSessionBody, maxBytes: 16 * 1024 },
  response: { status: 201, description: 'Started (warm-up done).', schema: sessionSchema },
  errors: { 404: 'No account has this id.' },
  audit: { action: 'session.start', target: ({ body }) => `${body.accountId} ${body.exchange} ${body.symbol} ${body.timeframe}` },
});
