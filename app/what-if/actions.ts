'use server';
/**
 * Manual paper orders on an account: `previewOrder` (viewer) runs the what-if on a copy of the account's risk
 * state and sends nothing; `placePaperOrder` (trader, audited) evaluates again through the same risk gate and,
 * when approved, sends a market entry and a reduce-only stop to the account's paper exchange. Both go through
 * the account book, as `POST /api/v1/accounts/{id}/what-if` and `…/orders` do.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { DEFAULT_ACCOUNT_ID, accountIdSchema } from '@/engine/account/account-config';
import { whatIfOrderSchema } from '@/engine/risk/what-if';

const optionalNumber = z.preprocess((v) => (v === '' || v === null ? undefined : typeof v === 'string' ? Number(v) : v), z.number({ error: 'expected a number' }).optional());
const orderFields = z.object({
  symbol: z.string().trim().min(1, 'expected a symbol'),
  side: z.enum(['long', 'short']),
  price: z.preprocess((v) => (typeof v === 'string' && v !== '' ? Number(v) : v), z.number({ error: 'expected a number' })),
  stopPrice: optionalNumber,
  atr: optionalNumber,
  leverage: optionalNumber,
});
/** The account (the default one when absent) and the order of the form's fields, checked as the API checks it (an error names the field). */
const checkedInput = z
  .object({ accountId: accountIdSchema.default(DEFAULT_ACCOUNT_ID) })
  .and(orderFields.pipe(whatIfOrderSchema))
  .transform(({ accountId, ...order }) => ({ accountId, order }));

export const previewOrder = action({ role: 'viewer', input: checkedInput }, async ({ root, input }) => root.engine.accounts.whatIf(input.accountId, input.order));

export const placePaperOrder = action(
  { role: 'trader', input: checkedInput, audit: { action: 'order.paper_manual', target: (i) => `${i.accountId} ${i.order.symbol}` }, revalidate: ['/', '/chart', '/accounts'] },
  async ({ root, actor, input, audit }) => {
    const result = await root.engine.accounts.placeOrder(input.accountId, input.order, actor?.email ?? 'unknown');
    audit({ after: { outcome: result.outcome, reason: result.reason, amount: result.whatIf.amount, stopPrice: result.whatIf.stopPrice, decisionId: result.decisionId } });
    return result;
  },
);
