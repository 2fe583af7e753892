import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, accountViewSchema } from '@/app/_server/api-v1/trading-schemas';

/** `GET /api/v1/accounts/{id}` (viewer). */
export const getAccount = defineOperation({
  operationId: 'getAccount',
  method: 'get',
  path: '/api/v1/accounts/{id}',
  tag: 'accounts',
  summary: 'An account now',
  description: 'Equity, wallet balance and totals, positions with liquidation price, open orders, the risk state with its breakers (halt and headroom), and the portfolio value-at-risk and expected shortfall of the positions.',
  role: 'viewer',
  params: accountIdParam,
  response: { status: 200, description: 'The account.', schema: accountViewSchema },
  errors: { 404: 'No account has this id.' },
});
