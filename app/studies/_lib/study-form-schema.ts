/**
 * The "New study" form's input, checked with zod before the engine sees it. Field error keys match the
 * form's input names (`symbol`, `trials`, `walkForward.inSampleDays`, `space.fastPeriod.min`, `risk.riskPerTradePct`, `exits.roi`),
 * so each error shows next to its field; the engine's own refusals (`space.<param>.min` for an inverted
 * range, `maxTrials` for a grid too large, ...) use the same names.
 */
import { z } from 'zod';
import { marketSymbolSchema } from '@/engine/core/market-symbol';
import { OBJECTIVES } from '@/engine/research/objectives';
import { STUDY_METHODS, studyWalkForwardSchema } from '@/engine/research/study';
import { ACCOUNT_ID_PATTERN } from '@/engine/account/account-config';
import { loopModelsRequestSchema } from '@/engine/decision/loop-models';
import { BREAKERS_OFF_LIMIT_PCT, exitPolicyOfForm, exitsFormSchema, formTimeMs } from '@/app/backtests/_lib/backtest-form-schema';

const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

const formTime = z
  .string()
  .regex(DATE_OR_TIME, 'expected a date like 2024-01-31')
  .refine((v) => Number.isFinite(formTimeMs(v)), 'not a real date');

const wholeNumber = z.number({ error: 'expected a number' }).int('expected a whole number');

export const studyFormSchema = z
  .strictObject({
    /** Blank: the engine names it "<strategy> <symbol> <timeframe>". */
    name: z
      .string()
      .trim()
      .max(120, 'at most 120 characters')
      .optional()
      .transform((v) => (v ? v : undefined)),
    accountId: z.string().regex(ACCOUNT_ID_PATTERN, 'choose an account').optional(),
    exchange: z.string().trim().min(1, 'choose an exchange'),
    symbol: z.string().trim().min(1, 'choose a symbol').pipe(marketSymbolSchema),
    timeframe: z.string().trim().min(1, 'choose a timeframe'),
    from: formTime,
    to: formTime,
    strategy: z.string().trim().min(1, 'choose a strategy'),
    /** Per-parameter narrowings; the engine checks each against the strategy's params schema. */
    space: z.record(z.string(), z.unknown()).default({}),
    method: z.enum(STUDY_METHODS as [string, ...string[]], 'choose grid, random or halving'),
    /** Random draws / halving candidates; ignored for a grid. */
    trials: wholeNumber.min(1, 'must be at least 1').optional(),
    seed: wholeNumber.optional(),
    objective: z.enum(OBJECTIVES as [string, ...string[]], 'choose an objective'),
    minTrades: wholeNumber.min(0, 'must be 0 or more'),
    walkForward: studyWalkForwardSchema.optional(),
    /** Account settings and risk limits as the backtest form sends them (the engine checks their ranges). */
    paper: z.record(z.string(), z.unknown()).default({}),
    risk: z.record(z.string(), z.unknown()).default({}),
    /** Stop a trial on the daily-loss / drawdown breakers (off for research, as in the backtest form). */
    breakers: z.boolean().default(false),
    /** The exits fieldset as the backtest form sends it; all blank = each trial takes its strategy's own exits. */
    exits: exitsFormSchema.default({}),
    /** The models in the loop of every trial (regime, volatility, stop distance); absent = all off. */
    models: loopModelsRequestSchema.optional(),
  })
  .refine((v) => formTimeMs(v.to) > formTimeMs(v.from), { path: ['to'], message: '"to" must be after "from"' });

export type StudyFormInput = z.input<typeof studyFormSchema>;

/** Leaves out settings the form left blank (undefined), so the account's stored value applies. */
const given = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

/**
 * The engine request of a checked form: dates as epoch ms (UTC), trials only for random and halving,
 * with breakers off the daily-loss and drawdown limits at their maximum (a trial trades its whole range),
 * and the exit policy of the exits fieldset when any of it is filled.
 */
export function studyRequestOfForm(input: z.output<typeof studyFormSchema>): Record<string, unknown> {
  const risk = given(input.risk);
  if (!input.breakers) {
    risk.dailyLossLimitPct = BREAKERS_OFF_LIMIT_PCT;
    risk.maxDrawdownPct = BREAKERS_OFF_LIMIT_PCT;
  }
  const paper = given(input.paper);
  const exits = exitPolicyOfForm(input.exits);
  return {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
    exchange: input.exchange,
    symbol: input.symbol,
    timeframe: input.timeframe,
    from: formTimeMs(input.from),
    to: formTimeMs(input.to),
    strategy: input.strategy,
    space: input.space,
    method: input.method,
    ...(input.method !== 'grid' && input.trials !== undefined ? { trials: input.trials } : {}),
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    objective: input.objective,
    minTrades: input.minTrades,
    ...(input.walkForward === undefined ? {} : { walkForward: input.walkForward }),
    ...(Object.keys(paper).length > 0 ? { paper } : {}),
    risk,
    ...(exits === undefined ? {} : { exits }),
    ...(input.models === undefined ? {} : { models: input.models }),
  };
}
