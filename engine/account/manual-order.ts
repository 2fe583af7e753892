/**
 * Manual orders on an account: a what-if through the account's risk engine (a copy: nothing changes)
 * and, when approved, a market entry plus a reduce-only protective stop on the account's exchange.
 * One decision is journaled either way. Used by the what-if page's order ticket (any paper account), the control API
 * (`POST /api/v1/accounts/{id}/what-if` and `…/orders`) and the CLI (`accounts order`) alike, through the account book.
 * A placement is evaluated at the account's last price (the one its market entry fills at), never at the price the
 * client sent; a price more than {@link MANUAL_ORDER_PRICE_TOLERANCE} away from it is refused. A preview takes any price.
 */
import { NotFoundError, ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import type { CandleRepository } from '../ports/candles';
import type { Clock } from '../core/clock';
import type { DecisionRecord } from '../ports/journal';
import type { Order } from '../ports/exchange';
import { DEFAULT_MARGIN_TIERS } from '../execution/margin-tiers';
import type { JournalWriter } from '../ports/journal-writer';
import { computeWhatIf, whatIfOrderSchema, type WhatIfOrder, type WhatIfResult } from '../risk/what-if';
import type { PortfolioRiskInput } from '../risk/value-at-risk';
import type { AccountRuntime } from './account-runtime';

/** Result of a manual order. `denied`: risk said no; `rejected`: the exchange refused the entry. */
export interface ManualOrderResult {
  outcome: 'denied' | 'rejected' | 'placed';
  reason: string | null;
  whatIf: WhatIfResult;
  entry: Order | null;
  stop: Order | null;
  decisionId: string;
}

/**
 * How far (a fraction of the account's last price: 0.01 = 1 %) a placed order's `price` may be from the last price
 * before the placement is refused. The entry is a market order: it fills at the last price (plus the account's spread
 * and slippage) whatever price the client sent, so an order is sized and checked at the last price, and a price further
 * away than this means the client previewed another order than the one that would fill (a stale ticket, or a price
 * chosen to shrink the loss at the stop on paper). A preview at any price stays allowed: it is a what-if.
 */
export const MANUAL_ORDER_PRICE_TOLERANCE = 0.01;

/** A price in a message: grouped, at most 8 significant digits (`64,000`, `101.39161`, `0.000012345`). */
const PRICE_FORMAT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 8 });

/** A distance in percent in a message, with the decimals that show it above the tolerance (`2.0`, `1.04`, `99.0`). */
function distancePct(fraction: number): string {
  const pct = fraction * 100;
  let digits = 1;
  while (digits < 6 && Number(pct.toFixed(digits)) <= MANUAL_ORDER_PRICE_TOLERANCE * 100) digits++;
  return pct.toFixed(digits);
}

/**
 * Refuses a placement whose `price` is more than {@link MANUAL_ORDER_PRICE_TOLERANCE} away from `lastPrice`, the
 * price its market entry fills at: its size and checks would be those of another order than the one that fills.
 * @throws ValidationError naming `price`.
 */
function refuseFarFromLastPrice(runtime: AccountRuntime, order: WhatIfOrder, lastPrice: number): void {
  const distance = Math.abs(order.price - lastPrice) / lastPrice;
  if (distance <= MANUAL_ORDER_PRICE_TOLERANCE) return;
  const last = PRICE_FORMAT.format(lastPrice);
  throw new ValidationError(
    'price',
    order.price,
    `${distancePct(distance)}% away from ${order.symbol}'s last price ${last} on account "${runtime.id}" (more than the ${MANUAL_ORDER_PRICE_TOLERANCE * 100}% ` +
      `a placement allows): a market order fills near the last price; preview again at ${last} and place at that price`,
  );
}

/** Parses a manual order; throws ValidationError naming the first bad field and its value. */
export function parseManualOrder(input: unknown): WhatIfOrder {
  return parseOrThrow(whatIfOrderSchema, input, { root: 'order' });
}

/**
 * What the order would do on the account now; nothing is sent and no state changes. `portfolio` (the positions'
 * and the order's return history) is needed only when the account has a VaR / ES limit; see {@link needsPortfolio}.
 */
export function whatIfOn(runtime: AccountRuntime, order: WhatIfOrder, portfolio: PortfolioRiskInput | null = null): WhatIfResult {
  const exchange = runtime.exchange();
  const settings = runtime.record().settings;
  const held = exchange.positionAmountSigned(order.symbol);
  return computeWhatIf(
    order,
    {
      equity: exchange.equity(),
      walletBalance: exchange.walletBalance(),
      marketType: settings.marketType,
      marginMode: settings.marginMode,
      leverage: settings.marketType === 'futures' ? settings.leverage : 1,
      currentPositionNotional: held * order.price,
      totalOpenNotional: exchange.grossNotional(),
      openPositions: exchange.openPositionCount(),
      tiers: DEFAULT_MARGIN_TIERS,
      portfolio,
    },
    runtime.risk.copyAt(exchange.equity()),
  );
}

/**
 * A placement at a leverage other than the account's is refused: the account's venue opens every position at the
 * account's leverage, so the order would be margined (and liquidated) at another leverage than the one its checks
 * passed at. A preview at another leverage stays allowed: it is a what-if.
 * @throws ValidationError naming `leverage`.
 */
function refuseOtherLeverage(runtime: AccountRuntime, order: WhatIfOrder): void {
  const settings = runtime.record().settings;
  if (settings.marketType !== 'futures' || order.leverage === undefined || order.leverage === settings.leverage) return;
  throw new ValidationError(
    'leverage',
    order.leverage,
    `account "${runtime.id}" opens every position at ${settings.leverage}x (its leverage setting): place at ${settings.leverage}x (or leave leverage out), or change the account's leverage on its page while it holds no position`,
  );
}

/** Whether the account's risk engine has a VaR or ES limit, so a pre-trade check needs the return history. */
export function needsPortfolio(runtime: AccountRuntime): boolean {
  const config = runtime.risk.engine().config;
  return config.maxVarFraction !== null || config.maxExpectedShortfallFraction !== null;
}

/**
 * Places a manual order on the account through its risk engine. A symbol no session has priced yet
 * gets its last stored close first. The order is sized and checked at the account's last price (the market entry's
 * fill before spread and slippage), with the client's stop; its `price` must be within
 * {@link MANUAL_ORDER_PRICE_TOLERANCE} of that price. The account's state is stored after the exchange answers.
 * @throws ValidationError naming the field (`price` when it is too far from the last price); NotFoundError when no
 * candles are stored for the symbol.
 */
export async function placeManualOrder(
  runtime: AccountRuntime,
  input: unknown,
  actor: string,
  deps: {
    clock: Clock;
    candles: Pick<CandleRepository, 'summarize'>;
    journal: JournalWriter;
    newId: () => string;
    /** Return history of the account's positions and `symbol` for the VaR / ES limits (asked only when one is set). */
    portfolioRisk?: (symbol: string) => Promise<PortfolioRiskInput | null>;
  },
): Promise<ManualOrderResult> {
  const requested = parseManualOrder(input);
  refuseOtherLeverage(runtime, requested);
  const priced = await runtime.ensurePrice(requested.symbol);
  refuseFarFromLastPrice(runtime, requested, priced.price);
  // Sized and checked at the price the market entry fills at, not the client's.
  const order: WhatIfOrder = { ...requested, price: priced.price };
  await runtime.syncControl();
  const exchange = runtime.exchange();
  const portfolio = needsPortfolio(runtime) && deps.portfolioRisk ? await deps.portfolioRisk(order.symbol) : null;
  const result = whatIfOn(runtime, order, portfolio);
  const stream = (await deps.candles.summarize()).find((s) => s.symbol === order.symbol && s.exchange === priced.exchange);
  if (!stream) throw new NotFoundError(`no candles are stored for symbol "${order.symbol}"; import some first`);
  const nowMs = deps.clock.nowMs();
  const decisionId = deps.newId();
  const journal = (outcome: DecisionRecord['outcome'], reason: string, extra: Record<string, unknown>) => {
    deps.journal.recordDecision({
      id: decisionId,
      runId: null,
      accountId: runtime.id,
      exchange: stream.exchange,
      symbol: order.symbol,
      timeframe: stream.timeframe,
      strategy: 'manual',
      timeMs: nowMs,
      outcome,
      side: order.side,
      strength: 1,
      reason,
      inputs: { manual: true, actor, account: runtime.id, order, requestedPrice: requested.price, stopPrice: result.stopPrice, risk: result.checks, ...extra },
    });
    return deps.journal.flush();
  };
  if (!result.approved) {
    await journal('denied', result.reason ?? 'denied', {});
    return { outcome: 'denied', reason: result.reason, whatIf: result, entry: null, stop: null, decisionId };
  }
  const entry = await exchange.createOrder({
    clientOrderId: `manual-entry-${decisionId}`,
    symbol: order.symbol,
    side: order.side === 'long' ? 'buy' : 'sell',
    type: 'market',
    amount: result.amount,
  });
  if (entry.status === 'rejected') {
    await runtime.persist();
    const reason = `entry rejected by the exchange: ${entry.reason ?? 'no reason given'}`;
    await journal('denied', reason, {});
    return { outcome: 'rejected', reason, whatIf: result, entry, stop: null, decisionId };
  }
  const stop = await exchange.createOrder({
    clientOrderId: `manual-stop-${decisionId}`,
    symbol: order.symbol,
    side: order.side === 'long' ? 'sell' : 'buy',
    type: 'stop',
    amount: entry.amount,
    stopPrice: result.stopPrice,
    reduceOnly: true,
  });
  await runtime.persist();
  await journal('executed', `manual ${order.side} by ${actor}`, { entryOrderId: entry.id, stopOrderId: stop.id });
  return { outcome: 'placed', reason: null, whatIf: result, entry, stop, decisionId };
}
