import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, reasonBody, riskStatusSchema } from '@/app/_server/api-v1/trading-schemas';

/** `POST /api/v1/accounts/{id}/resume` (trader). */
export const resumeAccount = defineOperation({
  operationId: 'resumeAccount',
  method: 'post',
  path: '/api/v1/accounts/{id}/resume',
  tag: 'risk',
  summary: "Resume an account",
  description: "Clears a manual halt or a tripped breaker (daily loss, max drawdown); the day start and drawdown peak are re-based to the current equity.",
  role: 'trader',
  params: accountIdParam,
  body: { contentType: 'application/json', description: 'Why (kept in the audit log).', schema: reasonBody, maxBytes: 4 * 1024 },
  response: { status: 200, description: "The account's risk state now.", schema: riskStatusSchema },
  errors: { 404: 'No account has this id.' },
  audit: { action: 'account.resume', target: ({ path }) => path.id },
});
