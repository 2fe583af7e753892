import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, whatIfSchema } from '@/app/_server/api-v1/trading-schemas';
import { whatIfOrderSchema } from '@/engine/risk/what-if';

/** `POST /api/v1/accounts/{id}/what-if` (viewer): the order ticket's preview; nothing is sent or journaled. */
export const previewAccountOrder = defineOperation({
  operationId: 'previewAccountOrder',
  method: 'post',
  path: '/api/v1/accounts/{id}/what-if',
  tag: 'orders',
  summary: "What a manual order would do on the account: its risk engine's size, checks, margin, liquidation and breaker headroom",
  description:
    "Evaluates the order exactly as `POST /api/v1/accounts/{id}/orders` would (the account's risk limits, fee model, halt, breakers and, with a VaR / ES limit, its positions' return history) on a copy of its risk state: nothing is sent, stored or journaled. " +
    'Always 200 with `approved`; a denial gives the reason, the checks and `sizedAmount` (the size the limits refused; NaN when denied before sizing). A venue account takes no manual orders (400).',
  role: 'viewer',
  params: accountIdParam,
  body: { contentType: 'application/json', description: 'The order: symbol, side, expected price and a stop price (or an ATR).', schema: whatIfOrderSchema, maxBytes: 4 * 1024 },
  response: { status: 200, description: "The account's what-if.", schema: whatIfSchema },
  errors: { 404: 'No account has this id.' },
});
