import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, accountSchema, riskLimitsBody } from '@/app/_server/api-v1/trading-schemas';

const settingsSchema = z
  .object({ settings: accountSchema.shape.settings, risk: z.record(z.string(), z.unknown()).meta({ description: 'The risk limits in force (stored, else the defaults).' }) })
  .meta({ id: 'AccountSettings' });

/** `GET /api/v1/accounts/{id}/settings` (viewer). */
export const getAccountSettings = defineOperation({
  operationId: 'getAccountSettings',
  method: 'get',
  path: '/api/v1/accounts/{id}/settings',
  tag: 'accounts',
  summary: "An account's settings and risk limits",
  role: 'viewer',
  params: accountIdParam,
  response: { status: 200, description: 'Settings and the risk limits in force.', schema: settingsSchema },
  errors: { 404: 'No account has this id.' },
});

/** `PUT /api/v1/accounts/{id}/settings` (admin). */
export const updateAccountSettings = defineOperation({
  operationId: 'updateAccountSettings',
  method: 'put',
  path: '/api/v1/accounts/{id}/settings',
  tag: 'accounts',
  summary: "Change an account's settings and risk limits",
  description:
    "All-or-nothing: every invalid field is named and nothing changes. New risk limits reach the account's running sessions at their next order; " +
    'fees, spread, slippage, leverage and margin mode change only while no session trades the account (leverage and margin mode only while flat).',
  role: 'admin',
  params: accountIdParam,
  body: {
    contentType: 'application/json',
    description: 'Settings fields to change and/or risk limits to set.',
    schema: z.strictObject({
      settings: z.record(z.string(), z.unknown()).optional().meta({ description: 'Account settings fields to change (name, fees, spread, slippage, leverage, margin mode, maxVolumeShare).' }),
      risk: riskLimitsBody.optional(),
    }),
    maxBytes: 16 * 1024,
  },
  response: { status: 200, description: 'The settings now in force.', schema: settingsSchema },
  errors: { 404: 'No account has this id.' },
  audit: { action: 'account.settings', target: ({ path }) => path.id },
});
