import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountSchema, createAccountBody } from '@/app/_server/api-v1/trading-schemas';

/** `GET /api/v1/accounts` (viewer). */
export const listAccounts = defineOperation({
  operationId: 'listAccounts',
  method: 'get',
  path: '/api/v1/accounts',
  tag: 'accounts',
  summary: 'Trading accounts',
  description: 'Every account with its settings and stored risk limits, oldest first. `default` is the paper account the dashboard trades.',
  role: 'viewer',
  response: { status: 200, description: 'The accounts.', schema: z.object({ accounts: z.array(accountSchema) }) },
});

/** `POST /api/v1/accounts` (admin). */
export const createAccount = defineOperation({
  operationId: 'createAccount',
  method: 'post',
  path: '/api/v1/accounts',
  tag: 'accounts',
  summary: 'Create a paper or venue account',
  description:
    'A paper account (kind omitted or "paper") simulates its exchange here. A venue account (kind "venue") wraps the API keys an admin stored for a venue and trades there through live sessions: the venue is read now (its wallet becomes the initial balance), so it needs stored keys and live trading enabled; one per venue. Market type, quote currency and initial balance are fixed once created. While a global halt holds, the new account starts halted.',
  role: 'admin',
  body: { contentType: 'application/json', description: 'The account.', schema: createAccountBody, maxBytes: 16 * 1024 },
  response: { status: 201, description: 'Created.', schema: accountSchema },
  audit: { action: 'account.create', target: ({ body }) => body.id },
});
