/**
 * The backtest form's input, validated with zod before anything is queued. Field error keys
 * match the form's field names (`symbol`, `to`, `strategies`, `params.ma-crossover.fastPeriod`),
 * so the form shows each error next to its field.
 */
import { z } from 'zod';
import { TIMEFRAME_MS } from '@/engine/core/types';
import { STRATEGY_NAMES, STRATEGY_PARAM_SCHEMAS } from '@/engine/strategies/registry';

const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (a datetime-local value), read as UTC. */
export function formTimeMs(value: string): number {
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : `${value}${value.length === 16 ? ':00' : ''}Z`);
}

const formTime = z
  .string()
  .regex(DATE_OR_TIME, 'expected a date like 2024-01-31')
  .refine((v) => Number.isFinite(formTimeMs(v)), 'not a real date');

const paramsShape = Object.fromEntries(STRATEGY_NAMES.map((name) => [name, STRATEGY_PARAM_SCHEMAS[name].optional()])) as {
  [K in (typeof STRATEGY_NAMES)[number]]: z.ZodOptional<(typeof STRATEGY_PARAM_SCHEMAS)[K]>;
};

export const backtestFormSchema = z
  .object({
    exchange: z.string().trim().min(1, 'choose an exchange'),
    symbol: z.string().trim().min(1, 'choose a symbol'),
    timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [keyof typeof TIMEFRAME_MS, ...(keyof typeof TIMEFRAME_MS)[]], 'choose a timeframe'),
    from: formTime,
    to: formTime,
    strategies: z.array(z.enum(STRATEGY_NAMES)).min(1, 'choose at least one strategy'),
    params: z.strictObject(paramsShape).default({}),
    veto: z.boolean().default(false),
  })
  .refine((v) => formTimeMs(v.to) > formTimeMs(v.from), { path: ['to'], message: '"to" must be after "from"' });

export type BacktestFormInput = z.input<typeof backtestFormSchema>;
