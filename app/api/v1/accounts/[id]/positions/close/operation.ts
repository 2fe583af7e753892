import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, orderSchema } from '@/app/_server/api-v1/trading-schemas';

/** `POST /api/v1/accounts/{id}/positions/close` (trader). */
export const closeAccountPosition = defineOperation({
  operationId: 'closeAccountPosition',
  method: 'post',
  path: '/api/v1/accounts/{id}/positions/close',
  tag: 'orders',
  summary: 'Force exit: close a position, whole or in part',
  description: "A reduce-only market order; never denied (not even while halted), journaled as a decision. A whole close also cancels the symbol's working stops.",
  role: 'trader',
  params: accountIdParam,
  body: {
    contentType: 'application/json',
    // Not the market-symbol rule (engine/core/market-symbol.ts): a paper position may sit under a symbol stored before
    // the rule (a manual order on candles uploaded as `btc/usdt`), and a force exit must still close it. A symbol the
    // account does not hold is answered 404 naming it.
    description: 'The symbol, and the amount to close (omit it to close all).',
    schema: z.strictObject({ symbol: z.string().min(1).max(40).meta({ example: 'BTC/USDT' }), amount: z.number().finite().positive().optional() }),
    maxBytes: 4 * 1024,
  },
  response: {
    status: 200,
    description: 'The close order and what is left open.',
    schema: z.object({ order: orderSchema, remaining: z.number(), cancelledStopIds: z.array(z.string()), decisionId: z.string() }),
  },
  errors: { 404: 'No account has this id, or it has no open position on the symbol.' },
  audit: { action: 'account.close-position', target: ({ path, body }) => `${path.id} ${body.symbol}` },
});
