/** GET /api/trades: journaled trades, filtered and sorted on the server; `{ items, nextCursor }` (viewer). */
import { route } from '@/app/_server/auth/gate';
import { toJournalQuery, tradeParamsSchema } from '@/app/journal/_lib/journal-params';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer', input: tradeParamsSchema }, async ({ root, input }) => root.engine.listTrades(toJournalQuery(input)));
