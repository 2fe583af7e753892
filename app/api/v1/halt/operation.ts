import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { globalHaltSchema, reasonBody, riskStatusSchema } from '@/app/_server/api-v1/trading-schemas';

/** `POST /api/v1/halt` (trader). */
export const haltAllAccounts = defineOperation({
  operationId: 'haltAllAccounts',
  method: 'post',
  path: '/api/v1/halt',
  tag: 'risk',
  summary: "Halt every account",
  description: "A kill switch over all accounts: every session of every account stops entering by its next candle, and accounts created while it holds start halted.",
  role: 'trader',
  body: { contentType: 'application/json', description: 'Why (kept in the audit log).', schema: reasonBody, maxBytes: 4 * 1024 },
  response: { status: 200, description: "Every account's risk state and the global halt now.", schema: z.object({ accounts: z.array(riskStatusSchema), halt: globalHaltSchema }) },
  audit: { action: 'accounts.halt' },
});
