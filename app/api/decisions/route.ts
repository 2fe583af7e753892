/** GET /api/decisions: the decision log, filtered (incl. outcome) and sorted on the server; `{ items, nextCursor }` (viewer). */
import { route } from '@/app/_server/auth/gate';
import { decisionParamsSchema, toJournalQuery } from '@/app/journal/_lib/journal-params';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer', input: decisionParamsSchema }, async ({ root, input }) => root.engine.listDecisions(toJournalQuery(input)));
