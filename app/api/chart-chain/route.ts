/**
 * The decision chain behind a chart marker (viewer): `?trade=id` gives the trade and the decisions
 * from its entry decision to its exit; `?decision=id&symbol&time&runId?` gives that one decision
 * (a vetoed or denied signal has no trade) with its full inputs.
 */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

const input = z.union([
  z.object({ trade: z.string().min(1) }),
  z.object({ decision: z.string().min(1), symbol: z.string().min(1), time: z.coerce.number().int().nonnegative(), runId: z.string().min(1).optional() }),
]);

export const GET = route({ role: 'viewer', input }, async ({ root, input }) => {
  if ('trade' in input) {
    const chain = await root.engine.decisionChain(input.trade);
    return { trade: chain?.trade ?? null, decisions: chain?.decisions ?? [] };
  }
  const page = await root.engine.listDecisions({ symbol: input.symbol, runId: input.runId ?? null, fromMs: input.time, toMs: input.time + 1, limit: 1000 });
  return { trade: null, decisions: page.items.filter((d) => d.id === input.decision) };
});
