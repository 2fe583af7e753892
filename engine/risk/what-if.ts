/**
 * What-if for a manual order: what the risk engine would size it at, the margin it would lock,
 * where it would be liquidated, what hitting the stop would cost, and how much room each circuit
 * breaker would have left afterwards. Nothing is sent; the caller passes a risk engine that is a
 * copy of the live one (see `createRiskDesk`), so evaluating changes nothing.
 */
import { z } from 'zod';
import { marketSymbolSchema } from '../core/market-symbol';
import { ValidationError } from '../core/errors';
import { liquidationPrice, type MarginTier } from '../execution/margin-tiers';
import type { BreakerStatus, RiskCheck, RiskEngine } from './risk-engine';
import { stopLossPerUnit, type TradingCosts } from './trading-costs';
import type { PortfolioRiskInput } from './value-at-risk';

/** zod schema of a manual order as the form sends it. Exactly one of `stopPrice` / `atr` gives the stop. */
export const whatIfOrderSchema = z
  .object({
    symbol: marketSymbolSchema,
    side: z.enum(['long', 'short']),
    /** Expected entry price, quote currency. */
    price: z.number({ error: 'expected a number' }).finite().positive('must be > 0'),
    /** Protective stop, quote currency. */
    stopPrice: z.number({ error: 'expected a number' }).finite().positive('must be > 0').optional(),
    /** Average true range in price units; the stop is then `atrStopMultiple` ATRs away. */
    atr: z.number({ error: 'expected a number' }).finite().positive('must be > 0').optional(),
    /**
     * Leverage for futures, >= 1 (spot: 1 or absent). Absent: the account's own leverage, the one its venue opens every
     * position at. Another value is a what-if only: a placement at it is refused (see `placeManualOrder`).
     */
    leverage: z.number({ error: 'expected a number' }).finite().min(1, 'must be >= 1').max(125, 'must be <= 125').optional(),
  })
  .refine((o) => o.stopPrice !== undefined || o.atr !== undefined, { path: ['stopPrice'], message: 'give a stop price or an ATR' });

/** A manual order. */
export type WhatIfOrder = z.output<typeof whatIfOrderSchema>;

/** The account the order would land in. Money in quote currency. */
export interface WhatIfAccount {
  equity: number;
  walletBalance: number;
  marketType: 'spot' | 'futures';
  marginMode: 'isolated' | 'cross';
  /** The leverage the account's venue opens every position at (futures; spot: 1): the order's when it gives none. */
  leverage: number;
  /** Signed notional already held in the symbol. */
  currentPositionNotional: number;
  totalOpenNotional: number;
  openPositions: number;
  /** Maintenance-margin tiers of the symbol (futures). */
  tiers: readonly MarginTier[];
  /** Positions and return history for the VaR / ES limits (needed only when one is set; see `PreTradeContext.portfolio`). */
  portfolio?: PortfolioRiskInput | null;
}

/** A breaker with the room it would have left if this order were stopped out. */
export interface WhatIfBreaker extends BreakerStatus {
  /** headroomPct minus the stop loss as a percent of the breaker's reference equity (day start / peak). */
  headroomAfterStopPct: number;
  /** headroomEquity minus the loss at the stop. */
  headroomAfterStopEquity: number;
}

/** What the order would do. Money in quote currency; percentages 0..100. */
export interface WhatIfResult {
  approved: boolean;
  /** The denial, quoting the numbers; null when approved. */
  reason: string | null;
  /** Base amount the risk engine sizes it at (0 when denied). */
  amount: number;
  /**
   * The size the risk engine's checks were evaluated at: `amount` when approved; when a limit denied it, the size
   * it refused (so a trader sees how far over the limit the order is); NaN when it was denied before sizing
   * (halted, no usable stop). Notional, margin and the loss at the stop stay those of `amount`.
   */
  sizedAmount: number;
  notional: number;
  stopPrice: number;
  /** The leverage the order was evaluated at: its own, else the account's (spot: 1). */
  leverage: number;
  /** Initial margin (futures: notional / leverage) or cash (spot: notional). */
  marginUsed: number;
  /** NaN when there is none (spot, or the margin covers any move). */
  liquidationPrice: number;
  /**
   * Loss if the stop is hit: both fills moved against the trader by half the spread plus slippage, and the
   * taker fee on both (the risk engine's cost rule, with its costs).
   */
  lossAtStop: number;
  lossAtStopPctEquity: number;
  checks: RiskCheck[];
  breakers: WhatIfBreaker[];
  /** The trading costs the size and the loss at the stop assume (the risk engine's). */
  costs: TradingCosts;
}

/**
 * Computes the what-if. `risk` must already reflect the current equity (its breakers are read as is).
 * Liquidation is estimated for an isolated position (wallet = its margin) or, in cross mode, against
 * the whole wallet balance ignoring the other positions' maintenance margin (an optimistic bound).
 * @throws ValidationError when the account equity or leverage is not usable.
 */
export function computeWhatIf(order: WhatIfOrder, account: WhatIfAccount, risk: RiskEngine): WhatIfResult {
  if (!Number.isFinite(account.equity)) throw new ValidationError('equity', account.equity, 'expected a finite number');
  const leverage = account.marketType === 'spot' ? 1 : (order.leverage ?? account.leverage);
  if (account.marketType === 'spot' && order.leverage !== undefined && order.leverage !== 1) throw new ValidationError('leverage', order.leverage, 'spot trading has no leverage; use 1');
  const decision = risk.evaluate({
    symbol: order.symbol,
    side: order.side,
    price: order.price,
    stopHint: order.stopPrice ?? NaN,
    atr: order.atr ?? NaN,
    equity: account.equity,
    currentPositionNotional: account.currentPositionNotional,
    totalOpenNotional: account.totalOpenNotional,
    openPositions: account.openPositions,
    leverageRequested: account.marketType === 'futures' ? leverage : undefined,
    portfolio: account.portfolio,
  });
  const direction = order.side === 'long' ? 1 : -1;
  const stopPrice = decision.approved ? decision.stopPrice : (order.stopPrice ?? order.price - direction * risk.config.atrStopMultiple * (order.atr ?? NaN));
  const amount = decision.approved ? decision.amount : 0;
  const notional = amount * order.price;
  const lossAtStop = amount > 0 ? amount * stopLossPerUnit(order.side, order.price, stopPrice, risk.config.costs) : 0;
  const marginUsed = account.marketType === 'futures' ? notional / leverage : notional;
  const liq =
    account.marketType === 'futures' && amount > 0
      ? liquidationPrice(
          {
            side: direction,
            size: amount,
            entryPrice: order.price,
            walletBalance: account.marginMode === 'isolated' ? marginUsed : account.walletBalance,
          },
          account.tiers,
        )
      : NaN;
  const breakers = risk.breakers().map((b): WhatIfBreaker => {
    // The breaker's reference equity (day start or peak): tripEquity = reference x (1 - limit / 100).
    const reference = b.limitPct < 100 ? b.tripEquity / (1 - b.limitPct / 100) : NaN;
    return {
      ...b,
      headroomAfterStopPct: b.headroomPct - (lossAtStop / reference) * 100,
      headroomAfterStopEquity: b.headroomEquity - lossAtStop,
    };
  });
  return {
    approved: decision.approved,
    reason: decision.approved ? null : decision.reason,
    amount,
    sizedAmount: decision.approved ? decision.amount : decision.sizedAmount,
    notional,
    stopPrice,
    leverage,
    marginUsed,
    liquidationPrice: liq,
    lossAtStop,
    lossAtStopPctEquity: account.equity > 0 ? (lossAtStop / account.equity) * 100 : NaN,
    checks: decision.checks,
    breakers,
    costs: risk.config.costs,
  };
}
