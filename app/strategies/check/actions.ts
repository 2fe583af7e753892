'use server';
/**
 * The look-ahead and recursion check: queue a `strategy-check` job for one strategy, its params and
 * a stored market and range (trader, audited). Refused requests (unknown strategy, bad params, no
 * candles) come back as `bad_request:input` naming the field; nothing is queued.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { marketSymbolSchema } from '@/engine/core/market-symbol';

/** Blank form fields are "not given". */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const checkInput = z.object({
  strategy: z.string().trim().min(1, 'choose a strategy'),
  /** The params as JSON text (blank = defaults). */
  params: optionalText.transform((text, ctx) => {
    if (text === undefined) return {};
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object such as {"period": 20}, or blank for the defaults' });
    return z.NEVER;
  }),
  exchange: z.string().trim().min(1),
  symbol: z.string().trim().min(1, 'give a symbol such as BTC/USDT').pipe(marketSymbolSchema),
  timeframe: z.string().trim().min(1),
  from: optionalText,
  to: optionalText,
  /** Blank = the strategy's own startup history. */
  startupCandles: optionalText.pipe(z.coerce.number<string | undefined>().int('expected a whole number of candles').min(0).optional()),
});

export const queueStrategyCheck = action(
  { role: 'trader', input: checkInput, audit: { action: 'strategy.check', target: (i) => `${i.strategy} ${i.exchange} ${i.symbol} ${i.timeframe}` }, revalidate: ['/jobs'] },
  async ({ root, input, audit }) => {
    const { from, to, startupCandles, ...rest } = input;
    const ticketId = await root.engine.enqueueStrategyCheck({
      ...rest,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(startupCandles !== undefined ? { startupCandles } : {}),
    });
    audit({ after: { ticketId } });
    return { ticketId };
  },
);
