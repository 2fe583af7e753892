import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { globalHaltSchema, reasonBody, riskStatusSchema } from '@/app/_server/api-v1/trading-schemas';

/** `POST /api/v1/resume` (trader). */
export const resumeAllAccounts = defineOperation({
  operationId: 'resumeAllAccounts',
  method: 'post',
  path: '/api/v1/resume',
  tag: 'risk',
  summary: "Resume every account",
  description: "Clears the global halt and every account's halt (manual or breaker).",
  role: 'trader',
  body: { contentType: 'application/json', description: 'Why (kept in the audit log).', schema: reasonBody, maxBytes: 4 * 1024 },
  response: { status: 200, description: "Every account's risk state and the global halt now.", schema: z.object({ accounts: z.array(riskStatusSchema), halt: globalHaltSchema }) },
  audit: { action: 'accounts.resume' },
});
