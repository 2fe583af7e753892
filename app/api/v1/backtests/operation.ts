/** `POST /api/v1/backtests`: queue a backtest job (trader). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { backtestRequestSchema, DEFAULT_PAPER, DEFAULT_RISK } from '@/engine/backtest/run-backtest';
import { runFusionRequestSchema } from '@/engine/trading/run-spec';
import { ExitPolicySchema } from '@/engine/strategies/exit-policy';
import { loopModelsRequestSchema } from '@/engine/decision/loop-models';
import { timeframeSchema } from '../markets/operation';

const time = z.union([z.number().int(), z.string().min(1)]);

/**
 * The engine's backtest request with the timeframes spelled out; unknown fields are refused. Strategy names and their
 * parameters are checked by the engine against its strategy catalog (see GET /api/v1/strategies).
 * Trading fields left out come from the account's settings and the stored strategy settings, else the defaults.
 */
export const backtestRequestBody = backtestRequestSchema
  .extend({
    timeframe: timeframeSchema,
    symbol: backtestRequestSchema.shape.symbol.meta({ description: 'The market of a single-market run; give exactly one of `symbol` and `symbols`.', example: 'BTC/USDT' }),
    symbols: backtestRequestSchema.shape.symbols.meta({
      description:
        'A portfolio run: 2..50 markets of the exchange and timeframe sharing one account (max open positions, per-symbol exposure, leverage and breakers apply across them), ' +
        'or "all" for every market stored for the exchange and timeframe. Candles are merged by time; a market whose data starts later joins then. ' +
        'Refused (nothing queued): an unstored or duplicate symbol, a market without candles in the range, markets that share no time in the range.',
      example: ['BTC/USDT', 'ETH/USDT'],
    }),
    from: time.meta({ description: 'Inclusive start: an ISO date or time (UTC) or epoch ms.', example: '2024-01-01' }),
    to: time.meta({ description: 'Exclusive end: an ISO date or time (UTC) or epoch ms.', example: '2024-03-01' }),
    accountId: backtestRequestSchema.shape.accountId.meta({ description: 'The account whose settings (fee model, balance, market type, leverage, margin mode) and risk limits the run takes; default "default".', example: 'default' }),
    strategies: z
      .array(z.string().min(1).meta({ example: 'ma-crossover' }))
      .min(1, 'expected at least one strategy')
      .optional()
      .meta({ description: 'Strategies to fuse, by catalog name (built-in, file or rule; see GET /api/v1/strategies). Default: the enabled adapters of the stored strategy settings.' }),
    params: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .default({})
      .meta({
        description: "Per-strategy parameters, keyed by strategy name, checked against the strategy's `paramsSchema` (GET /api/v1/strategies); left-out fields take the stored strategy settings, else the defaults.",
        example: { 'ma-crossover': { fastPeriod: 10, slowPeriod: 30 } },
      }),
    fusion: runFusionRequestSchema.default({}).meta({ description: 'Signal fusion overrides (weights, entryThreshold, ttlMs, cooldownMs, vetoThreshold); left-out fields take the stored strategy settings.' }),
    risk: z.record(z.string(), z.unknown()).default({}).meta({ description: "Risk limit overrides; left-out limits take the account's.", example: DEFAULT_RISK }),
    paper: z.record(z.string(), z.unknown()).default({}).meta({ description: "Paper venue overrides (marketType spot|futures, initialBalance, fees in bps, leverage, …); left-out fields take the account's.", example: DEFAULT_PAPER }),
    veto: z.boolean().optional().meta({ description: 'Filter entries through the deployed intent-veto model (refused when none is deployed). Default false.' }),
    models: loopModelsRequestSchema.optional().meta({
      description:
        'The other models in the loop, each off unless given (true = the deployed version with the defaults): regime (riskPerTradePct multiplied per regime, 0..1; 0 = no entries), ' +
        'volatility (size scaled by targetVolatility / predicted, clamped to minScale..maxScale), stopDistance (stop at multiple x the predicted adverse excursion in ATRs, at least minAtr). ' +
        '`version`: "deployed" (default; the run records the version it used) or a version number. Refused when the kind has no deployed model or the version does not exist.',
      example: { regime: { riskMultiplier: { trendUp: 1, trendDown: 1, range: 0.5 } }, volatility: { targetVolatility: 0.01 }, stopDistance: { version: 2, multiple: 1.5 } },
    }),
    exits: ExitPolicySchema.optional().meta({
      description:
        'Exit policy of every position: takeProfit levels (r multiple of the initial risk or percent, with a fraction each: partial exits), trailingStop (percent or atrMultiple, ' +
        'optional activateAtR / activateAtPercent), timeStop bars, minimalRoi table. Default: the first strategy of the run that declares exits, else none.',
      example: { takeProfit: [{ r: 1, fraction: 0.5 }, { r: 3 }], trailingStop: { percent: 2, activateAtR: 1 }, timeStop: { bars: 48 } },
    }),
    closeAtEnd: z.boolean().default(true).meta({ description: 'Close a position still open after the last candle at its close (exit reason end-of-run). Default true.' }),
  })
  .strict()
  .meta({ id: 'BacktestRequest' });

export const startBacktest = defineOperation({
  operationId: 'startBacktest',
  method: 'post',
  path: '/api/v1/backtests',
  tag: 'backtests',
  summary: 'Queue a backtest',
  description:
    'Checks the request (strategies and their parameters, the date range, risk and paper settings), that candles are stored for ' +
    'the market and range (every market of a portfolio run, which must share some time), and that a veto model is deployed when `veto` is true (and each model `models` names); then queues a backtest job. A refused request queues nothing. ' +
    'Poll GET /api/v1/backtests/{id} for the result.',
  role: 'trader',
  body: { contentType: 'application/json', description: 'The backtest to run.', schema: backtestRequestBody, maxBytes: 64 * 1024 },
  response: { status: 202, description: 'Queued; `id` is the job id.', schema: z.object({ id: z.string() }) },
  audit: { action: 'backtest.enqueue', target: ({ body }) => `${body.exchange} ${body.symbol ?? (body.symbols === 'all' ? 'all' : (body.symbols ?? []).join(','))} ${body.timeframe}` },
});
