/**
 * A fake real venue for loop and live-session tests (no simulator): one symbol, market orders fill
 * at `state.price` when placed with a `feeRate` taker fee, stops wait until the test triggers them,
 * and the account view reads the venue's position. Records every request, cancel and lookup.
 */
import type { ManualClock } from '../core/clock';
import { ExchangeError, FailureClass } from '../core/errors';
import type { Exchange, Order, OrderRequest } from '../ports/exchange';
import type { AccountView } from '../loop/trading-loop';

export interface FakeVenueOptions {
  /** Fill price of market orders until the test changes `state.price`; default 100. */
  price?: number;
  /** Taker fee as a fraction of notional; default 0.001 (10 bps). */
  feeRate?: number;
  /** Whether the venue offers `fetchOrder`; default true. */
  fetchOrder?: boolean;
}

export type FakeVenue = ReturnType<typeof createFakeVenue>;

/** Builds the fake venue. */
export function createFakeVenue(clock: ManualClock, options: FakeVenueOptions = {}) {
  let position = 0;
  let seq = 0;
  const orders = new Map<string, Order>();
  const requests: OrderRequest[] = [];
  const cancelled: string[] = [];
  const fetched: string[] = [];
  const state = { price: options.price ?? 100 };
  const feeRate = options.feeRate ?? 0.001;
  const fill = (o: Order, price: number) => {
    const sign = o.side === 'buy' ? 1 : -1;
    position += sign * o.amount;
    Object.assign(o, { status: 'filled', filled: o.amount, averagePrice: price, fee: o.amount * price * feeRate, updatedAtMs: clock.nowMs() });
  };
  const exchange: Exchange = {
    id: 'fake',
    async fetchOhlcv() {
      return [];
    },
    async createOrder(request) {
      requests.push(request);
      const now = clock.nowMs();
      const order: Order = {
        id: String(++seq),
        clientOrderId: request.clientOrderId,
        symbol: request.symbol,
        side: request.side,
        type: request.type,
        status: 'new',
        amount: request.amount,
        filled: 0,
        price: null,
        stopPrice: request.stopPrice ?? null,
        averagePrice: NaN,
        fee: 0,
        reduceOnly: request.reduceOnly === true,
        createdAtMs: now,
        updatedAtMs: now,
        reason: null,
      };
      orders.set(order.id, order);
      if (request.type === 'market') fill(order, state.price);
      return { ...order };
    },
    async cancelOrder(id) {
      cancelled.push(id);
      const o = orders.get(id);
      if (!o) throw new ExchangeError(FailureClass.NonRetryable, `order "${id}" is unknown`);
      if (o.status === 'new') Object.assign(o, { status: 'cancelled', reason: 'cancelled by request' });
      return { ...o };
    },
    async fetchBalance() {
      return { currency: 'USDT', total: 10_000, free: 10_000, used: 0, equity: 10_000 };
    },
    async fetchPosition() {
      return null;
    },
    async fetchOpenPositions() {
      return [];
    },
    async close() {},
  };
  if (options.fetchOrder !== false) {
    exchange.fetchOrder = async (id) => {
      fetched.push(id);
      const o = orders.get(id);
      if (!o) throw new ExchangeError(FailureClass.NonRetryable, `order "${id}" is unknown`);
      return { ...o };
    };
  }
  const account: AccountView = {
    equity: () => 10_000,
    positionAmountSigned: () => position,
    openPositionCount: () => (position === 0 ? 0 : 1),
    grossNotional: () => Math.abs(position) * state.price,
  };
  return {
    exchange,
    account,
    state,
    requests,
    cancelled,
    fetched,
    orders,
    /** The waiting stop triggers and fills at `price` now. */
    triggerStop(price: number) {
      const stop = [...orders.values()].find((o) => o.type === 'stop' && o.status === 'new');
      if (!stop) throw new Error('no waiting stop');
      fill(stop, price);
    },
    /** The position disappears without any of the loop's orders filling (liquidation, a close by hand). */
    flatten() {
      position = 0;
    },
  };
}
