/** `GET /api/v1/backtests/{id}`: a backtest's state and, once complete, its results (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';

const request = z.record(z.string(), z.unknown()).meta({ description: 'The request as queued (defaults filled).' });

export const backtestTradeSchema = z
  .object({
    id: z.string(),
    symbol: z.string().meta({ description: 'The market traded (one of the symbols of a portfolio run).', example: 'BTC/USDT' }),
    strategy: z.string(),
    side: z.enum(['long', 'short']),
    amount: z.number(),
    entryPrice: z.number(),
    exitPrice: z.number(),
    entryTimeMs: z.number(),
    exitTimeMs: z.number(),
    realizedPnl: z.number().meta({ description: 'Price PnL before fees and funding, quote currency.' }),
    fees: z.number(),
    funding: z.number().meta({ description: 'Funding paid (negative: received), quote currency.' }),
    netPnl: z.number().meta({ description: 'realizedPnl - fees - funding.' }),
    exitReason: z.string().meta({ description: 'stop, trailing-stop, take-profit, time-stop, roi, exit-signal, signal, end-of-run, liquidation or venue.' }),
    initialRisk: z.number().nullable().meta({ description: '|entry - initial stop| x amount, quote currency; null when no stop was recorded. netPnl / initialRisk is the trade in R.' }),
  })
  .meta({ id: 'BacktestTrade' });

export const backtestStateSchema = z
  .discriminatedUnion('status', [
    z.object({ id: z.string(), status: z.literal('queued'), request, queuedAtMs: z.number() }),
    z.object({ id: z.string(), status: z.literal('running'), request, progress: z.number().min(0).max(1), progressMessage: z.string().nullable(), startedAtMs: z.number().nullable() }),
    z.object({
      id: z.string(),
      status: z.literal('failed'),
      request,
      reason: z.string().meta({ description: 'Why it failed (`cancelled` when it was cancelled).' }),
      runId: z.string().nullable(),
      finishedAtMs: z.number().nullable(),
    }),
    z.object({
      id: z.string(),
      status: z.literal('complete'),
      runId: z.string(),
      config: z.record(z.string(), z.unknown()).meta({ description: 'The resolved run config: defaults filled, times in epoch ms, fusion, risk and paper settings; `provenance` lists each strategy\'s name, source (built-in, file, rule), version and source hash.' }),
      metrics: z.record(z.string(), z.unknown()).meta({
        description:
          'Return and trade metrics (totalReturn, sharpe, maxDrawdown, winRate, profitFactor, finalEquity, …). A portfolio run (request `symbols`) adds `portfolio`: ' +
          '`markets` (per market, in the listed order: symbol, candles, firstOpenTimeMs, trades, winRate, netPnl, fees, contribution, maxDrawdown, entries, denied) and ' +
          "`correlation` ({ method: 'pearson-contribution-returns', symbols, matrix }: Pearson's r of the markets' per-candle contributions to the account's return, " +
          'over the candles both markets have; null where undefined).',
      }),
      warmup: z
        .object({
          candles: z.number().int().meta({ description: 'Candles before `from` fed to the indicators (no decisions, no orders).' }),
          needed: z.number().int().meta({ description: "The strategies' startup history: candles needed before `from` for their indicators to forget where history began." }),
          summary: z.string().meta({ description: '"139 candles before the range, all the strategies need", or "20 of the 139 candles the strategies need, stored before the range (…)" when fewer were stored.' }),
        })
        .nullable()
        .meta({ description: 'History fed before `from`; null for runs stored before it was recorded.' }),
      trades: z.array(backtestTradeSchema).meta({ description: 'Every trade, by entry time.' }),
      equity: z.array(z.object({ timeMs: z.number(), equity: z.number() })).meta({ description: 'Equity curve, downsampled to at most about 1000 points.' }),
      startedAtMs: z.number(),
      finishedAtMs: z.number().nullable(),
    }),
  ])
  .meta({ id: 'BacktestState' });

export const getBacktest = defineOperation({
  operationId: 'getBacktest',
  method: 'get',
  path: '/api/v1/backtests/{id}',
  tag: 'backtests',
  summary: 'A backtest\'s state and results',
  description: '`id` is the job id POST /api/v1/backtests answered; the id of a run started elsewhere (dashboard, CLI) works too.',
  role: 'viewer',
  params: z.object({ id: z.string().min(1).max(200).meta({ description: 'Job id (or run id).' }) }),
  response: { status: 200, description: 'Queued, running, failed with the reason, or complete with config, metrics, trades and equity.', schema: backtestStateSchema },
  errors: { 404: 'No backtest job or run has this id.' },
});
