/**
 * The one cost rule position sizing uses: what a round trip from entry to the protective stop costs
 * beyond the stop distance. Backtests, live sessions and the desk (what-if, manual orders) all size
 * with a {@link TradingCosts} value derived from the account's fee model by {@link tradingCostsOf},
 * so hitting the stop loses what the trader budgeted (and not, say, 1.053 % against a 1 % budget
 * because spread and slippage were left out).
 *
 * The rule is the PaperExchange fill rule (see the module doc of `engine/execution/paper-exchange.ts`):
 * - a market entry fills at the decision price moved against the trader by `spreadBps / 2 + slippageBps`,
 *   as a taker;
 * - a stop that the market trades through without gapping fills at the stop price moved against the
 *   trader by the same, as a taker;
 * - each fill pays `takerFeeBps` on its notional (amount x fill price).
 *
 * So the loss per unit of base currency when the stop is hit is
 * `direction x (entryFill - stopFill) + takerFee x (entryFill + stopFill)`, with
 * `entryFill = price x (1 + direction x adjust)`, `stopFill = stopPrice x (1 - direction x adjust)`,
 * `adjust = (spreadBps / 2 + slippageBps) / 10 000` and direction +1 for a long, -1 for a short.
 * A stop gapped through (the candle opens beyond it) fills worse; no sizing rule can bound that.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';

const bps = (min: number) =>
  z
    .number({ error: 'expected a number' })
    .finite('expected a finite number')
    .min(min, `must be >= ${min}`)
    .lt(10_000, 'must be < 10000');

/** zod schema of {@link TradingCosts}; bounds match the PaperExchange config. */
export const tradingCostsSchema = z
  .object({
    /** Fee on market and stop fills (both legs of a stopped-out trade), bps of notional, >= 0. */
    takerFeeBps: bps(0),
    /** Fee on resting limit fills, bps (negative = rebate, down to -100). Not used by stop sizing. */
    makerFeeBps: bps(-100).optional(),
    /** Full bid-ask spread, bps, >= 0; a taker pays half of it on each fill. */
    spreadBps: bps(0),
    /** Extra adverse move on each taker fill, bps, >= 0. */
    slippageBps: bps(0),
  })
  .refine((c) => c.spreadBps / 2 + c.slippageBps < 10_000, { path: ['slippageBps'], message: 'spreadBps / 2 + slippageBps must stay below 10000' });

/** What trading costs on an account, in basis points (1 bp = 0.01 %). Build it with {@link tradingCostsOf}. */
export type TradingCosts = Readonly<z.output<typeof tradingCostsSchema>>;

/**
 * No fee, spread or slippage. Correct only for a venue that really has none (tests); a real account's
 * costs come from {@link tradingCostsOf}.
 */
export const ZERO_TRADING_COSTS: TradingCosts = Object.freeze({ takerFeeBps: 0, spreadBps: 0, slippageBps: 0 });

/**
 * An account's fee model: the PaperExchange config has exactly these fields; for a real venue, its
 * taker/maker fee schedule plus the spread and slippage the account assumes.
 */
export interface FeeModel {
  takerFeeBps: number;
  makerFeeBps?: number;
  spreadBps: number;
  slippageBps: number;
}

/**
 * The sizing costs of an account, from its fee model (e.g. the PaperExchangeConfig the account trades on).
 * Other fields of the argument are ignored. Returns a frozen value.
 * @throws ValidationError naming the field and value (`takerFeeBps` negative, any rate not finite or >= 10000,
 * `makerFeeBps` below -100, `spreadBps / 2 + slippageBps` >= 10000).
 */
export function tradingCostsOf(feeModel: FeeModel): TradingCosts {
  if (feeModel === null || typeof feeModel !== 'object') throw new ValidationError('feeModel', feeModel, 'expected an object with takerFeeBps, spreadBps and slippageBps');
  const { takerFeeBps, makerFeeBps, spreadBps, slippageBps } = feeModel;
  return parseTradingCosts(makerFeeBps === undefined ? { takerFeeBps, spreadBps, slippageBps } : { takerFeeBps, makerFeeBps, spreadBps, slippageBps });
}

/**
 * Validates a stored or submitted {@link TradingCosts} value (unknown fields are dropped). Returns a frozen value.
 * @throws ValidationError naming the first invalid field and its value.
 */
export function parseTradingCosts(input: unknown): TradingCosts {
  return Object.freeze(parseOrThrow(tradingCostsSchema, input, { root: 'costs' }));
}

/** The fraction a taker fill moves against the trader: (spreadBps / 2 + slippageBps) / 10 000, as the PaperExchange computes it. */
export function takerAdjustOf(costs: TradingCosts): number {
  return (costs.spreadBps / 2 + costs.slippageBps) / 10_000;
}

/**
 * Expected loss per unit of base currency, quote currency, when a position entered at market at `price`
 * is stopped out at `stopPrice` (see the module doc for the rule): both adverse fills and both taker fees.
 * Positive whenever the stop is on the protective side of the price. Pure; no validation (callers have checked
 * price > 0, stopPrice > 0 and the side).
 */
export function stopLossPerUnit(side: 'long' | 'short', price: number, stopPrice: number, costs: TradingCosts): number {
  const direction = side === 'long' ? 1 : -1;
  const adjust = takerAdjustOf(costs);
  const entryFill = price * (1 + direction * adjust);
  const stopFill = stopPrice * (1 - direction * adjust);
  const takerFee = costs.takerFeeBps / 10_000;
  return direction * (entryFill - stopFill) + takerFee * (entryFill + stopFill);
}
