/**
 * GET /api/trades/export: every trade matching the journal filters as CSV (header + one line per
 * trade), streamed from keyset pages so memory stays constant at any row count (viewer). It has no
 * paging of its own: `cursor` and `limit` are refused with a 400.
 */
import { route } from '@/app/_server/auth/gate';
import { toJournalQuery, tradeExportParamsSchema } from '@/app/journal/_lib/journal-params';
import { tradesToCsv } from '@/engine/journal/trade-csv';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer', input: tradeExportParamsSchema }, async ({ root, input }) => {
  const query = toJournalQuery(input);
  // Validate the filters with one cheap page before the 200 header goes out, so bad input is a 400.
  await root.engine.listTrades({ ...query, limit: 1 });
  const chunks = tradesToCsv(root.engine.exportTrades(query))[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        root.logger.error({ err: error }, 'trade export failed midway');
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="trades-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
});
