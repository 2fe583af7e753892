/**
 * GET /api/trades: journaled trades, filtered and sorted on the server; `{ items, nextCursor }` (viewer).
 * Each item carries `netPnl` (realizedPnl − fees − funding), the amount the win/loss filter and the pnl sort use.
 */
import { route } from '@/app/_server/auth/gate';
import { toJournalQuery, tradeParamsSchema } from '@/app/journal/_lib/journal-params';
import { tradeNetPnl } from '@/engine/insight/trade-outcome';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer', input: tradeParamsSchema }, async ({ root, input }) => {
  const page = await root.engine.listTrades(toJournalQuery(input));
  return { ...page, items: page.items.map((t) => ({ ...t, netPnl: tradeNetPnl(t) })) };
});
