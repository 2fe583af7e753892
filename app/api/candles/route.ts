/**
 * A chart window of candles (viewer): `?exchange&symbol&timeframe&from&to&maxPoints` (times in epoch
 * ms, `from <= openTime < to`); at most `maxPoints` (<= 2000) candles, aggregated server-side into
 * coarser buckets when the range holds more.
 */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';

export const dynamic = 'force-dynamic';

const timeframe = z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]);

const candleWindowQuery = z.object({
  exchange: z.string().min(1),
  symbol: z.string().min(1),
  timeframe,
  from: z.coerce.number().int().nonnegative(),
  to: z.coerce.number().int().positive(),
  maxPoints: z.coerce.number().int().min(2).max(2_000).default(1_500),
});

export const GET = route({ role: 'viewer', input: candleWindowQuery }, async ({ root, input }) =>
  root.engine.candleWindow({ exchange: input.exchange, symbol: input.symbol, timeframe: input.timeframe }, input.from, input.to, input.maxPoints),
);
