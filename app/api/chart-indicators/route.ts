/**
 * Indicator lines of the strategies a run or session used, over a chart window (viewer):
 * `?exchange&symbol&timeframe&from&to&strategies` where `strategies` is JSON `[{ name, params }]`
 * (the run's stored spec); computed by the engine's feature extractor with the resolved parameters.
 */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';

export const dynamic = 'force-dynamic';

const strategies = z
  .string()
  .max(4_000)
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.object({ name: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() })).max(8));

export const GET = route(
  {
    role: 'viewer',
    input: z.object({
      exchange: z.string().min(1),
      symbol: z.string().min(1),
      timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]),
      from: z.coerce.number().int().nonnegative(),
      to: z.coerce.number().int().positive(),
      strategies,
    }),
  },
  async ({ root, input }) =>
    root.engine.chartIndicators({ key: { exchange: input.exchange, symbol: input.symbol, timeframe: input.timeframe }, fromMs: input.from, toMs: input.to, strategies: input.strategies }),
);
