/**
 * Response schemas of the control API's trading surface (accounts, risk, orders, sessions), shared by
 * the operations that answer them. Numbers the engine leaves undefined (NaN: no liquidation price, no
 * fill yet) are `null` in JSON.
 */
import { z } from 'zod';
import { accountIdSchema, accountSettingsObject, venueAccountObject } from '@/engine/account/account-config';
import { VENUE_IDS } from '@/engine/venues/registry';

/** A number, or null where the engine has none (NaN / ±Infinity become null in JSON). */
const maybe = z.number().nullable();

export const accountIdParam = z.object({ id: accountIdSchema.meta({ description: 'Account id.', example: 'default' }) });

/** Risk limits as stored per account (percent fields 0..100). Unknown limits are refused by the engine, naming them. */
export const riskLimitsBody = z.record(z.string(), z.unknown()).meta({
  description:
    'Risk limits: maxLeverage, riskPerTradePct, maxLossPctEquityPerTrade, maxSymbolExposurePct, maxOpenPositions, atrStopMultiple, dailyLossLimitPct, maxDrawdownPct (percent fields 0..100); ' +
    'maxVarFraction and maxExpectedShortfallFraction (portfolio VaR / ES limits, fractions of equity 0..1, null = off), varConfidence (0 < c < 1, default 0.99), varLookbackCandles (default 500).',
  example: { maxLeverage: 3, riskPerTradePct: 0.5, maxOpenPositions: 3 },
});

const accountIdBody = z.string().meta({ description: '1-40 lowercase letters, digits or dashes.', example: 'swing-futures' });

/** A paper account: the simulation's settings (kind may be omitted). */
export const createPaperAccountBody = accountSettingsObject
  .extend({
    kind: z.literal('paper').optional(),
    id: accountIdBody,
    risk: riskLimitsBody.optional(),
  })
  .strict()
  .meta({ id: 'CreatePaperAccount' });

/** A venue account: wraps the API keys stored for `venue`; its initial balance is the venue wallet when linked. */
export const createVenueAccountBody = venueAccountObject
  .extend({
    venue: z.enum(VENUE_IDS as [string, ...string[]]).meta({ description: 'The venue whose stored API keys the account trades with (keys stored and live trading enabled on the credentials page).' }),
    id: accountIdBody,
    risk: riskLimitsBody.optional(),
  })
  .strict()
  .meta({ id: 'CreateVenueAccount' });

export const createAccountBody = z.discriminatedUnion('kind', [createPaperAccountBody, createVenueAccountBody]).meta({ id: 'CreateAccount' });

export const accountSchema = z
  .object({
    id: z.string().meta({ example: 'swing-futures' }),
    kind: z.enum(['paper', 'venue']).meta({ description: 'paper: a simulated exchange stored here; venue: trades on a real venue with its stored keys.' }),
    venue: z.string().optional().meta({ description: 'Venue accounts: the venue id.', example: 'binanceusdm' }),
    settings: z.object({
      name: z.string(),
      marketType: z.enum(['spot', 'futures']),
      quoteCurrency: z.string(),
      initialBalance: z.number(),
      makerFeeBps: z.number(),
      takerFeeBps: z.number(),
      spreadBps: z.number(),
      slippageBps: z.number(),
      maxVolumeShare: z.number(),
      leverage: z.number(),
      marginMode: z.enum(['cross', 'isolated']),
    }),
    riskLimits: z.record(z.string(), z.unknown()).nullable().meta({ description: 'Stored risk limits; null = the installation defaults.' }),
    createdAtMs: z.number(),
    updatedAtMs: z.number(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'Account' });

export const breakerSchema = z.object({
  name: z.enum(['daily_loss', 'max_drawdown']),
  tripped: z.boolean(),
  limitPct: maybe,
  currentPct: maybe,
  headroomPct: maybe,
  tripEquity: maybe,
  headroomEquity: maybe,
});

export const riskStatusSchema = z
  .object({
    accountId: z.string(),
    halted: z.boolean(),
    haltReason: z.string().nullable().meta({ description: '`manual: <reason>`, `manual: global: <reason>`, or the breaker that tripped.' }),
    haltedAtMs: z.number().nullable(),
    equity: maybe,
    breakers: z.array(breakerSchema),
    limits: z.record(z.string(), z.unknown()).meta({ description: 'The limits the account\'s risk engine enforces, with the costs it sizes with.' }),
  })
  .meta({ id: 'RiskStatus' });

export const orderSchema = z
  .object({
    id: z.string(),
    clientOrderId: z.string(),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit', 'stop']),
    status: z.enum(['new', 'partially_filled', 'filled', 'cancelled', 'rejected']),
    amount: z.number(),
    filled: z.number(),
    price: z.number().nullable(),
    stopPrice: z.number().nullable(),
    averagePrice: maybe,
    fee: z.number(),
    reduceOnly: z.boolean(),
    createdAtMs: z.number(),
    updatedAtMs: z.number(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'Order' });

/** Portfolio VaR / ES of an account now (engine/risk/portfolio-history.ts `AccountValueAtRisk`). */
export const valueAtRiskSchema = z
  .discriminatedUnion('status', [
    z.object({ status: z.literal('flat').meta({ description: 'No open positions.' }), confidence: z.number(), lookbackCandles: z.number() }),
    z.object({
      status: z.literal('unavailable').meta({ description: 'The positions\' markets have no common stored candles.' }),
      confidence: z.number(),
      lookbackCandles: z.number(),
      reason: z.string(),
    }),
    z.object({
      status: z.literal('ok'),
      confidence: z.number().meta({ description: 'Confidence level c, 0 < c < 1.', example: 0.99 }),
      lookbackCandles: z.number().meta({ description: 'Configured number of return scenarios.' }),
      scenarios: z.number().meta({ description: 'Scenarios used (fewer than lookbackCandles when less history is stored).' }),
      quantileRank: z.number().meta({ description: 'k = max(1, ceil(n (1 - c))): the k-th worst scenario is the VaR quantile.' }),
      timeframe: z.string().meta({ description: 'Timeframe of the returns; the horizon is one such candle.', example: '1h' }),
      valueAtRisk: z.number().meta({ description: 'VaR, quote currency, positive = loss.' }),
      expectedShortfall: z.number().meta({ description: 'ES: minus the mean PnL of the scenarios at or below minus VaR, quote currency.' }),
      tailCount: z.number(),
      equity: z.number(),
      varFraction: z.number().meta({ description: 'valueAtRisk / equity.' }),
      esFraction: z.number().meta({ description: 'expectedShortfall / equity.' }),
      fromOpenTimeMs: z.number(),
      toOpenTimeMs: z.number(),
      maxVarFraction: z.number().nullable(),
      maxExpectedShortfallFraction: z.number().nullable(),
    }),
  ])
  .meta({
    id: 'ValueAtRisk',
    description: 'Portfolio value-at-risk and expected shortfall of the open positions by historical simulation on stored candles, at the account\'s configured confidence and lookback.',
  });

export const accountViewSchema = z
  .object({
    account: accountSchema,
    equity: z.number(),
    walletBalance: z.number(),
    totals: z.object({ initialBalance: z.number(), realizedPnl: z.number(), unrealizedPnl: z.number(), fees: z.number(), funding: z.number(), walletBalance: z.number(), equity: z.number() }),
    positions: z.array(
      z.object({
        symbol: z.string(),
        side: z.enum(['long', 'short']),
        amount: z.number(),
        entryPrice: z.number(),
        markPrice: maybe,
        unrealizedPnl: z.number(),
        liquidationPrice: maybe.meta({ description: 'Futures: the mark price at which the position is liquidated; null on spot.' }),
        margin: z.number(),
      }),
    ),
    openOrders: z.array(orderSchema),
    risk: riskStatusSchema,
    valueAtRisk: valueAtRiskSchema,
    source: z.enum(['paper', 'venue']).meta({ description: 'paper: the stored simulation; venue: read from the venue just now (positions and orders of the markets with stored candles there).' }),
    asOfMs: z.number().meta({ description: 'When the figures were read, epoch ms.' }),
  })
  .meta({ id: 'AccountView' });

export const globalHaltSchema = z.object({ halted: z.boolean(), reason: z.string().nullable(), atMs: z.number(), by: z.string().nullable() });

export const reasonBody = z.strictObject({
  reason: z.string().trim().min(1, 'give a reason').max(500, 'at most 500 characters').meta({ description: 'Shown with the halt and kept in the audit log.', example: 'CPI release at 14:30' }),
});

const checkSchema = z.object({ name: z.string(), value: maybe, limit: maybe, passed: z.boolean() });

export const whatIfSchema = z
  .object({
    approved: z.boolean(),
    reason: z.string().nullable(),
    amount: z.number().meta({ description: 'Base amount the risk engine sizes the order at; 0 when denied.' }),
    sizedAmount: maybe.meta({ description: 'The size the checks were evaluated at: `amount` when approved, the size a limit refused when denied, null when denied before sizing (halted, no usable stop).' }),
    notional: z.number(),
    stopPrice: maybe,
    leverage: z.number().meta({ description: "The leverage the order was evaluated at: its own `leverage`, else the account's (spot: 1). An order is placed only at the account's leverage." }),
    marginUsed: z.number(),
    liquidationPrice: maybe,
    lossAtStop: maybe,
    lossAtStopPctEquity: maybe,
    checks: z.array(checkSchema),
    breakers: z.array(breakerSchema.extend({ headroomAfterStopPct: maybe, headroomAfterStopEquity: maybe })),
    costs: z.object({ takerFeeBps: z.number(), makerFeeBps: z.number().optional(), spreadBps: z.number(), slippageBps: z.number() }).meta({ description: 'The costs the size and the loss at the stop assume: the account\'s fee model.' }),
  })
  .meta({ id: 'WhatIf' });

export const manualOrderResultSchema = z
  .object({
    outcome: z.enum(['denied', 'rejected', 'placed']),
    reason: z.string().nullable(),
    whatIf: whatIfSchema,
    entry: orderSchema.nullable(),
    stop: orderSchema.nullable(),
    decisionId: z.string(),
  })
  .meta({ id: 'ManualOrderResult' });

export const sessionSchema = z
  .object({
    id: z.string().meta({ example: 'replay:desk:binance:BTC/USDT:5m' }),
    exchange: z.string(),
    symbol: z.string(),
    timeframe: z.string(),
    status: z.string().meta({ description: 'starting, running, reconnecting, stopping, stopped, halted or completed (a replay at the end of its candles).' }),
    config: z.record(z.string(), z.unknown()).meta({ description: 'The request the session was started with (defaults filled).' }),
    spec: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .meta({ description: 'The resolved run spec the session trades with: request > the account\'s settings and the saved strategy settings > defaults; `provenance` lists each strategy\'s source, version and source hash.' }),
    lastCandleMs: z.number().nullable(),
    liveTrading: z.boolean(),
    lastError: z.string().nullable(),
    startedAtMs: z.number().nullable(),
    updatedAtMs: z.number(),
    lease: z
      .object({
        owner: z.string().nullable().meta({ description: 'The trader process holding the session (host:pid:id); null when none does.' }),
        expiresAtMs: z.number().nullable().meta({ description: 'When the lease ends unless renewed, epoch ms by the database clock.' }),
        token: z.number().meta({ description: 'Fencing token: grows by 1 each time a trader claims the session; writes under an older token are refused.' }),
      })
      .optional()
      .meta({ description: 'Which trader owns the session (see README "Session leases").' }),
    state: z
      .object({
        id: z.string(),
        market: z.object({ exchange: z.string(), symbol: z.string(), timeframe: z.string() }),
        status: z.string(),
        lastCandleMs: z.number().nullable(),
        candlesProcessed: z.number(),
        reconnects: z.number(),
        lastError: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'In-memory state while this process runs the session; null otherwise.' }),
  })
  .meta({ id: 'Session' });

/** A stored session as the API answers it (the resolved spec as a plain JSON object). */
export function sessionAnswer<S extends { spec?: unknown }>(session: S): Omit<S, 'spec'> & { spec?: Record<string, unknown> | null } {
  const { spec, ...rest } = session;
  return spec === undefined ? rest : { ...rest, spec: spec as Record<string, unknown> | null };
}
