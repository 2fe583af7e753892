'use server';
/**
 * Manual paper orders: `previewOrder` (viewer) runs the what-if on a copy of the live risk state
 * and sends nothing; `placePaperOrder` (trader, audited) evaluates again through the same risk
 * gate and, when approved, sends a market entry and a reduce-only stop to the paper exchange.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { whatIfOrderSchema } from '@/engine/risk/what-if';

const optionalNumber = z.preprocess((v) => (v === '' || v === null ? undefined : typeof v === 'string' ? Number(v) : v), z.number({ error: 'expected a number' }).optional());
const orderInput = z.object({
  symbol: z.string().trim().min(1, 'expected a symbol'),
  side: z.enum(['long', 'short']),
  price: z.preprocess((v) => (typeof v === 'string' && v !== '' ? Number(v) : v), z.number({ error: 'expected a number' })),
  stopPrice: optionalNumber,
  atr: optionalNumber,
  leverage: optionalNumber,
}).pipe(whatIfOrderSchema);

export const previewOrder = action({ role: 'viewer', input: orderInput }, async ({ root, input }) => root.engine.whatIf(input));

export const placePaperOrder = action(
  { role: 'trader', input: orderInput, audit: { action: 'order.paper_manual', target: (i) => i.symbol }, revalidate: ['/', '/chart'] },
  async ({ root, actor, input, audit }) => {
    const result = await root.engine.placePaperOrder(input, actor?.email ?? 'unknown');
    audit({ after: { outcome: result.outcome, reason: result.reason, amount: result.whatIf.amount, stopPrice: result.whatIf.stopPrice, decisionId: result.decisionId } });
    return result;
  },
);
