/**
 * The backtest form's input, validated with zod before anything is queued. Field error keys
 * match the form's field names (`symbol`, `to`, `strategies`, `params.ma-crossover.fastPeriod`),
 * so the form shows each error next to its field.
 */
import { loopModelsRequestSchema } from '@/engine/decision/loop-models';
import { z } from 'zod';
import { TIMEFRAME_MS } from '@/engine/core/types';
import { MARKET_SYMBOL, MARKET_SYMBOL_HINT, marketSymbolSchema } from '@/engine/core/market-symbol';
import { ExitPolicySchema, type ExitPolicyInput } from '@/engine/strategies/exit-policy';

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

/**
 * Risk limits of the run (prefilled from the account's stored limits; percent fields are 0..100; the VaR / ES
 * limits are fractions of equity 0..1 and the confidence a level 0..1, checked by the engine). Blank = the account's.
 */
const riskShape = z
  .strictObject({
    riskPerTradePct: formNumber,
    maxLossPctEquityPerTrade: formNumber,
    maxLeverage: formNumber,
    maxSymbolExposurePct: formNumber,
    maxOpenPositions: formNumber,
    dailyLossLimitPct: formNumber,
    maxDrawdownPct: formNumber,
    maxVarFraction: formNumber,
    maxExpectedShortfallFraction: formNumber,
    varConfidence: formNumber,
    varLookbackCandles: formNumber,
  })
  .partial();

/** The minimal-ROI table as typed: JSON text of `[{ "afterMinutes": 0, "profitPercent": 5 }, …]`, checked against the engine's schema. */
const roiText = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (text === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON like [{"afterMinutes": 0, "profitPercent": 5}]' });
      return z.NEVER;
    }
    const parsed = ExitPolicySchema.shape.minimalRoi.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({ code: 'custom', message: `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}` });
      return z.NEVER;
    }
    return parsed.data;
  });

/**
 * The compact exits fieldset (the backtest and study forms): one take-profit (R or %), one trailing
 * stop (% or ATR ×), a time stop in bars and the ROI table as JSON. Blank = not set; all blank = the
 * strategy's own exits (if any).
 */
export const exitsFormSchema = z
  .strictObject({
    takeProfitR: formNumber.gt(0, 'must be above 0').max(1000, 'must be at most 1000'),
    takeProfitPercent: formNumber.gt(0, 'must be above 0').max(10_000, 'must be at most 10000'),
    trailingPercent: formNumber.gt(0, 'must be above 0').max(100, 'must be at most 100'),
    trailingAtr: formNumber.gt(0, 'must be above 0').max(100, 'must be at most 100'),
    timeStopBars: formNumber.int('expected a whole number of bars').min(1, 'must be at least 1 bar'),
    roi: roiText,
  })
  .partial()
  .superRefine((v, ctx) => {
    if (v.takeProfitR !== undefined && v.takeProfitPercent !== undefined) ctx.addIssue({ code: 'custom', path: ['takeProfitPercent'], message: 'give the take-profit in R or in %, not both' });
    if (v.trailingPercent !== undefined && v.trailingAtr !== undefined) ctx.addIssue({ code: 'custom', path: ['trailingAtr'], message: 'give the trailing stop in % or in ATR ×, not both' });
  });

/** The exit policy the exits fieldset asks for, or undefined when every field is blank. */
export function exitPolicyOfForm(exits: z.output<typeof exitsFormSchema>): ExitPolicyInput | undefined {
  const policy: ExitPolicyInput = {};
  if (exits.takeProfitR !== undefined) policy.takeProfit = [{ r: exits.takeProfitR }];
  if (exits.takeProfitPercent !== undefined) policy.takeProfit = [{ percent: exits.takeProfitPercent }];
  if (exits.trailingPercent !== undefined) policy.trailingStop = { percent: exits.trailingPercent };
  if (exits.trailingAtr !== undefined) policy.trailingStop = { atrMultiple: exits.trailingAtr };
  if (exits.timeStopBars !== undefined) policy.timeStop = { bars: exits.timeStopBars };
  if (exits.roi !== undefined) policy.minimalRoi = exits.roi;
  return Object.keys(policy).length > 0 ? policy : undefined;
}

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
    /** One market (the one market-symbol rule, engine/core/market-symbol.ts); a portfolio run gives `symbols` instead (blank here). */
    symbol: z
      .string()
      .trim()
      .refine((v) => v === '' || MARKET_SYMBOL.test(v), MARKET_SYMBOL_HINT)
      .optional(),
    /** A portfolio run sharing one account: 2..50 stored markets, or "all" stored markets of the exchange and timeframe. */
    symbols: z
      .union([z.literal('all'), z.array(z.string().trim().pipe(marketSymbolSchema))], 'choose the markets')
      .superRefine((v, ctx) => {
        // Counted here, not on the array: a union reports a failed branch's own message only sometimes.
        if (v === 'all') return;
        if (v.length < 2) ctx.addIssue({ code: 'custom', message: 'choose at least 2 markets' });
        if (v.length > 50) ctx.addIssue({ code: 'custom', message: 'choose at most 50 markets' });
      })
      .optional(),
    timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [keyof typeof TIMEFRAME_MS, ...(keyof typeof TIMEFRAME_MS)[]], 'choose a timeframe'),
    from: formTime,
    to: formTime,
    /** Catalog names; the engine checks them and their parameters (`params.<strategy>.<field>`). */
    strategies: z.array(z.string().min(1)).min(1, 'choose at least one strategy'),
    params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    veto: z.boolean().default(false),
    /** The models in the loop (regime, volatility, stop distance); absent = all off. */
    models: loopModelsRequestSchema.optional(),
    exits: exitsFormSchema.default({}),
    /** Close a position still open after the last candle (end-of-run). */
    closeAtEnd: z.boolean().default(true),
  })
  .refine((v) => formTimeMs(v.to) > formTimeMs(v.from), { path: ['to'], message: '"to" must be after "from"' })
  .refine((v) => v.symbols !== undefined || (v.symbol ?? '') !== '', { path: ['symbol'], message: 'choose a symbol' });

/** The markets of the form as the engine's request names them: `{ symbol }` for one market, `{ symbols }` for a portfolio. */
export function marketsOfForm(input: { symbol?: string; symbols?: string[] | 'all' }): { symbol: string } | { symbols: string[] | 'all' } {
  return input.symbols === undefined ? { symbol: input.symbol ?? '' } : { symbols: input.symbols };
}

export type BacktestFormInput = z.input<typeof backtestFormSchema>;
