/**
 * The `strategy-check` job: the look-ahead and recursion check of one strategy over stored candles
 * (engine/insight `runStrategyCheck`, the CLI's `strategies check`) run as a ticket whose result is
 * the report. Progress is the share of candle rows processed over the check's passes. A request the
 * engine refuses (unknown strategy, bad params, too few candles) fails the ticket at once with the
 * reason: retrying cannot fix it.
 */
import { ValidationError } from '../core/errors';
import { resolveStrategyCheck, strategyCheckRequestSchema, type CreateStrategy, type StrategyCheckResult } from '../insight/strategy-check';
import type { CandleRepository } from '../ports/candles';
import { JobCancelledError, NonRetryableJobError, type JobContext } from './job-context';
import { defineJob, type JobServices } from './job-definition';

/** Runs the check with the ticket's params; the report is the ticket's result. */
export async function runStrategyCheckJob(params: unknown, ctx: JobContext, services: Pick<JobServices, 'checkStrategy'>): Promise<StrategyCheckResult> {
  await ctx.reportProgress(0, 'loading candles');
  let result: StrategyCheckResult;
  try {
    result = await services.checkStrategy(params, async (done, total) => {
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new JobCancelledError(ctx.ticketId);
      await ctx.reportProgress(done / total, `${done} of ${total} candle rows`);
    });
  } catch (error) {
    if (error instanceof ValidationError) throw new NonRetryableJobError(`strategy check refused: ${error.message}`, { cause: error });
    throw error;
  }
  const findings = result.lookAhead.findingCount + result.recursion.findings.length;
  await ctx.reportProgress(1, `${result.candles} candles checked: ${result.passed ? 'passed' : `${findings} finding${findings === 1 ? '' : 's'}`}`);
  return result;
}

export const strategyCheckJob = defineJob({
  kind: 'strategy-check',
  webhookStartable: true,
  summary: 'Checks a strategy for look-ahead (signals that change when later candles are removed) and recursion (indicators that depend on history beyond the warm-up).',
  paramsSchema: strategyCheckRequestSchema,
  example: { strategy: 'ema-trend', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-03-01' },
  run: runStrategyCheckJob,
});

/**
 * Validates a check request (strategy, params, market, range) and that the market has stored candles
 * in the range, then queues a `strategy-check` ticket with the parsed request.
 * @returns the ticket id. @throws ValidationError naming the field (`strategy`, `params.<field>`,
 *   `symbol` when the market has no candles, `from` when the range has none); nothing is queued.
 */
export async function enqueueStrategyCheck(
  request: unknown,
  deps: { candles: CandleRepository; createStrategy: CreateStrategy; enqueue(job: { kind: string; params: unknown }): Promise<string> },
): Promise<string> {
  const resolved = resolveStrategyCheck(request, deps.createStrategy);
  const { exchange, symbol, timeframe } = resolved.market;
  if ((await deps.candles.countCandles(resolved.market)) === 0) {
    throw new ValidationError('symbol', symbol, `no ${timeframe} candles are stored for "${symbol}" on "${exchange}"; import or download them first`);
  }
  const params = strategyCheckRequestSchema.parse(request);
  return deps.enqueue({ kind: strategyCheckJob.kind, params });
}
