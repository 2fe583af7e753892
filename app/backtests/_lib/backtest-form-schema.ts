/**
 * The backtest form's input, validated with zod before anything is queued. Field error keys
 * match the form's field names (`symbol`, `to`, `strategies`, `params.ma-crossover.fastPeriod`),
 * so the form shows each error next to its field.
 */
import { z } from 'zod';
import { TIMEFRAME_MS } from '@/engine/core/types';

const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (a datetime-local value), read as UTC. */
export function formTimeMs(value: string): number {
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : `${value}${value.length === 16 ? ':00' : ''}Z`);
}

const formTime = z
  .string()
  .regex(DATE_OR_TIME, 'expected a date like 2024-01-31')
  .refine((v) => Number.isFinite(formTimeMs(v)), 'not a real date');

const formNumber = z.number({ error: 'expected a number' }).finite('expected a number');

/**
 * The account settings a run trades with (prefilled from the chosen account; the engine checks ranges,
 * e.g. leverage against the venue maximum, naming `paper.leverage`).
 */
const paperShape = z
  .strictObject({
    marketType: z.enum(['spot', 'futures'], 'choose spot or futures'),
    initialBalance: formNumber.gt(0, 'must be above 0'),
    leverage: formNumber.min(1, 'must be >= 1'),
    marginMode: z.enum(['cross', 'isolated'], 'choose cross or isolated'),
    makerFeeBps: formNumber,
    takerFeeBps: formNumber.min(0, 'must be >= 0'),
    spreadBps: formNumber.min(0, 'must be >= 0'),
    slippageBps: formNumber.min(0, 'must be >= 0'),
  })
  .partial();

/** Risk limits of the run (prefilled from the account's stored limits; percent fields are 0..100). */
const riskShape = z
  .strictObject({
    riskPerTradePct: formNumber,
    maxLossPctEquityPerTrade: formNumber,
    maxLeverage: formNumber,
    maxSymbolExposurePct: formNumber,
    maxOpenPositions: formNumber,
    dailyLossLimitPct: formNumber,
    maxDrawdownPct: formNumber,
  })
  .partial();

/**
 * With breakers off (the research default) the daily-loss and drawdown limits are set to their largest
 * allowed value, 100 %, which only a wiped-out account reaches: the run trades its whole period.
 */
export const BREAKERS_OFF_LIMIT_PCT = 100;

export const backtestFormSchema = z
  .object({
    /** The account whose settings the fields were prefilled from (and the run is recorded against). */
    accountId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'choose an account').optional(),
    paper: paperShape.default({}),
    risk: riskShape.default({}),
    /** Stop the run on the daily-loss / drawdown breakers (off for research runs). */
    breakers: z.boolean().default(false),
    exchange: z.string().trim().min(1, 'choose an exchange'),
    symbol: z.string().trim().min(1, 'choose a symbol'),
    timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [keyof typeof TIMEFRAME_MS, ...(keyof typeof TIMEFRAME_MS)[]], 'choose a timeframe'),
    from: formTime,
    to: formTime,
    /** Catalog names; the engine checks them and their parameters (`params.<strategy>.<field>`). */
    strategies: z.array(z.string().min(1)).min(1, 'choose at least one strategy'),
    params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    veto: z.boolean().default(false),
  })
  .refine((v) => formTimeMs(v.to) > formTimeMs(v.from), { path: ['to'], message: '"to" must be after "from"' });

export type BacktestFormInput = z.input<typeof backtestFormSchema>;
