/**
 * The look-ahead and recursion check as users ask for it (the CLI's `strategies check`, the
 * `strategy-check` job, the /strategies/check page): one strategy with its params over the stored
 * candles of one market and range. Validates the request, creates the strategy, loads the candles
 * and runs {@link checkStrategy}.
 */
import { parseTimeInput } from '../core/time-input';
import { z } from 'zod';
import { marketSymbolSchema } from '../core/market-symbol';
import { ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type MarketKey, type Timeframe } from '../core/types';
import { parseOrThrow, reasonOf } from '../core/validation';
import type { CandleRepository } from '../ports/candles';
import { startupCandlesOf, type StrategyAdapter } from '../strategies/strategy-adapter';
import { checkStrategyAsync, type StrategyCheckReport } from './lookahead-check';

/** Latest open time a range may reach when `to` is left out (year 275760, the largest JS date). */
const END_OF_TIME_MS = 8.64e15;
/** Largest startup history a check request may ask for. */
export const MAX_STARTUP_CANDLES = 100_000;

const timeSchema = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/**
 * A check request. `from` (inclusive) and `to` (exclusive) are ISO dates/times (UTC when no zone)
 * or epoch ms; left out, the check covers every stored candle of the market.
 */
export const strategyCheckRequestSchema = z.strictObject({
  strategy: z.string().min(1),
  /** The strategy's params (defaults fill the rest). */
  params: z.record(z.string(), z.unknown()).default({}),
  exchange: z.string().min(1),
  symbol: marketSymbolSchema,
  timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
  /** Relative tolerance of the recursion check (default 0.001 = 0.1 %). */
  tolerance: z.number().gt(0).lt(1).optional(),
  /**
   * Checks with this startup history instead of the strategy's own (`startupCandles`), like freqtrade's
   * `--startup-candle`: e.g. the warm-up alone, to see which indicators would still depend on it.
   */
  startupCandles: z.number().int().min(0).max(MAX_STARTUP_CANDLES).optional(),
});
export type StrategyCheckRequest = z.input<typeof strategyCheckRequestSchema>;

/** A validated request: market, times in ms, the created adapter. */
export interface ResolvedStrategyCheck {
  market: MarketKey;
  strategy: string;
  params: Record<string, unknown>;
  fromMs: number;
  toMs: number;
  tolerance: number | undefined;
  adapter: StrategyAdapter;
}

/** What a check returns and a `strategy-check` ticket stores: the request's market and params with the report. */
export interface StrategyCheckResult extends StrategyCheckReport {
  market: MarketKey;
  params: Record<string, unknown>;
}

/** Creates an adapter from a name and untrusted params (the engine's strategy catalog). */
export type CreateStrategy = (name: string, params: unknown) => StrategyAdapter;

/** A request's time (see engine/core/time-input.ts: dates and zone-less times are UTC). */
const parseTime = parseTimeInput;

/** Creates the adapter; a params error is named `params.<field>` whichever way the creator names it. */
function createAdapter(createStrategy: CreateStrategy, name: string, params: Record<string, unknown>): StrategyAdapter {
  try {
    return createStrategy(name, params);
  } catch (error) {
    if (!(error instanceof ValidationError) || error.field === 'strategy' || error.field.startsWith('params')) throw error;
    throw new ValidationError(`params.${error.field}`, error.value, reasonOf(error));
  }
}

/**
 * Validates a check request and creates its strategy; writes and loads nothing.
 * @throws ValidationError naming the field: a request field (`timeframe`, `from`, ...), `to` for an
 *   empty range, `strategy` for an unknown strategy, `params.<field>` for bad params.
 */
export function resolveStrategyCheck(input: unknown, createStrategy: CreateStrategy): ResolvedStrategyCheck {
  const r = parseOrThrow(strategyCheckRequestSchema, input, { root: 'request' });
  const fromMs = r.from === undefined ? 0 : parseTime('from', r.from);
  const toMs = r.to === undefined ? END_OF_TIME_MS : parseTime('to', r.to);
  if (toMs <= fromMs) throw new ValidationError('to', r.to, `the date range is empty: "to" must be after "from" (${new Date(fromMs).toISOString()})`);
  const created = createAdapter(createStrategy, r.strategy, r.params);
  const adapter = r.startupCandles === undefined ? created : { ...created, startupCandles: r.startupCandles };
  return {
    market: { exchange: r.exchange, symbol: r.symbol, timeframe: r.timeframe },
    strategy: r.strategy,
    params: r.params,
    fromMs,
    toMs,
    tolerance: r.tolerance,
    adapter,
  };
}

/**
 * Runs the check on the stored candles of the request's market and range.
 * @param onProgress candle rows processed and in total, after each pass; the check waits for it
 *   (a rejection stops the check and is rethrown).
 * @throws ValidationError naming the field for a bad request (see {@link resolveStrategyCheck}),
 *   `candles` when the range holds too few stored candles (the message names the market and range).
 */
export async function runStrategyCheck(
  input: unknown,
  deps: { candles: CandleRepository; createStrategy: CreateStrategy },
  onProgress?: (done: number, total: number) => void | Promise<void>,
): Promise<StrategyCheckResult> {
  const resolved = resolveStrategyCheck(input, deps.createStrategy);
  const candles = await deps.candles.loadCandles(resolved.market, resolved.fromMs, resolved.toMs);
  const { exchange, symbol, timeframe } = resolved.market;
  const startup = startupCandlesOf(resolved.adapter);
  if (candles.length < startup + 2) {
    throw new ValidationError(
      'candles',
      candles.length,
      `${exchange} ${symbol} ${timeframe} has ${candles.length} stored candle${candles.length === 1 ? '' : 's'} in the range; ${resolved.strategy} needs at least ${startup + 2} (${startup} startup candles plus two rows to compare). Import or download candles first.`,
    );
  }
  const report = await checkStrategyAsync(resolved.adapter, candles, { tolerance: resolved.tolerance, onProgress });
  return { ...report, strategy: resolved.strategy, market: resolved.market, params: resolved.params };
}
