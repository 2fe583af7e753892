/**
 * Trade entries/exits, executed/vetoed/denied decisions and working stops of one market in a window (viewer): live
 * rows, a run's (`runId`), or those of one account's sessions with that account's stops (`account`).
 */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';
import { accountIdSchema } from '@/engine/account/account-config';

export const dynamic = 'force-dynamic';

export const GET = route(
  {
    role: 'viewer',
    input: z.object({
      exchange: z.string().min(1),
      symbol: z.string().min(1),
      timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]),
      from: z.coerce.number().int().nonnegative(),
      to: z.coerce.number().int().positive(),
      runId: z.string().min(1).optional(),
      account: accountIdSchema.optional(),
    }),
  },
  async ({ root, input }) =>
    root.engine.chartMarkers({ key: { exchange: input.exchange, symbol: input.symbol, timeframe: input.timeframe }, fromMs: input.from, toMs: input.to, runId: input.runId, accountId: input.account }),
);
