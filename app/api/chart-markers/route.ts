/** Trade entries/exits, executed/vetoed/denied decisions and working stops of one market in a window (viewer). */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';

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
    }),
  },
  async ({ root, input }) =>
    root.engine.chartMarkers({ key: { exchange: input.exchange, symbol: input.symbol, timeframe: input.timeframe }, fromMs: input.from, toMs: input.to, runId: input.runId }),
);
