/**
 * The exit policy of a position (take-profit levels, trailing stop, time stop, minimal-ROI table):
 * its one schema, shared by strategy definitions, rule strategies and run specs.
 */
import { z } from 'zod';

const positive = z.number().finite().positive();

/**
 * One take-profit level: close `fraction` of the position's initial amount once price has moved
 * `r` times the initial risk (entry to stop distance) or `percent` % from the entry in its favour.
 * Exactly one of `r` and `percent`. Levels below 1 fraction are partial exits.
 */
export const TakeProfitLevelSchema = z
  .strictObject({
    r: positive.max(1000).optional(),
    percent: positive.max(10_000).optional(),
    fraction: z.number().gt(0).max(1).default(1),
  })
  .refine((l) => (l.r === undefined) !== (l.percent === undefined), { message: 'give exactly one of r and percent' });

/**
 * Exit rules applied to an open position besides its protective stop and the strategy's own exit
 * signal. All optional; an empty policy exits only on the stop, the exit signal or an opposite signal.
 * - `takeProfit`: levels (at most 5), each closing a fraction of the initial amount (partial exits).
 * - `trailingStop`: the stop follows the best price by `percent` % or `atrMultiple` × ATR(`atrPeriod`);
 *   optionally only once the position is `activateAtR` R or `activateAtPercent` % in profit.
 * - `timeStop`: close after `bars` candles held.
 * - `minimalRoi`: freqtrade's minimal ROI table — after `afterMinutes` held, close once the position's
 *   return reaches `profitPercent` % (the row with the largest `afterMinutes` not above the holding time applies).
 */
export const ExitPolicySchema = z.strictObject({
  takeProfit: z.array(TakeProfitLevelSchema).min(1).max(5).optional(),
  trailingStop: z
    .strictObject({
      percent: positive.max(100).optional(),
      atrMultiple: positive.max(100).optional(),
      atrPeriod: z.number().int().min(1).max(1000).default(14),
      activateAtR: positive.max(1000).optional(),
      activateAtPercent: positive.max(10_000).optional(),
    })
    .refine((t) => (t.percent === undefined) !== (t.atrMultiple === undefined), { message: 'give exactly one of percent and atrMultiple' })
    .optional(),
  timeStop: z.strictObject({ bars: z.number().int().min(1).max(1_000_000) }).optional(),
  minimalRoi: z
    .array(z.strictObject({ afterMinutes: z.number().finite().min(0), profitPercent: z.number().finite().min(-100).max(10_000) }))
    .min(1)
    .max(20)
    .optional(),
});
export type ExitPolicy = z.output<typeof ExitPolicySchema>;
export type ExitPolicyInput = z.input<typeof ExitPolicySchema>;

