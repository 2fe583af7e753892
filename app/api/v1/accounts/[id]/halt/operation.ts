import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, reasonBody, riskStatusSchema } from '@/app/_server/api-v1/trading-schemas';

/** `POST /api/v1/accounts/{id}/halt` (trader). */
export const haltAccount = defineOperation({
  operationId: 'haltAccount',
  method: 'post',
  path: '/api/v1/accounts/{id}/halt',
  tag: 'risk',
  summary: "Halt an account's new entries",
  description: "Every session of the account (in every process) stops entering by its next candle; exits, stops and force exits go on. Halting a halted account changes nothing and answers its status (the first reason stands).",
  role: 'trader',
  params: accountIdParam,
  body: { contentType: 'application/json', description: 'Why (kept in the audit log).', schema: reasonBody, maxBytes: 4 * 1024 },
  response: { status: 200, description: "The account's risk state now.", schema: riskStatusSchema },
  errors: { 404: 'No account has this id.' },
  audit: { action: 'account.halt', target: ({ path }) => path.id },
});
