/**
 * The `Exchange` port contract: behaviours every implementation (PaperExchange, CcxtExchange on the
 * Binance replay server, …) must show, run once per market type. Implementations differ in fee
 * schedules and venue rules, so expectations are relations between the values an implementation
 * reports (fill × price, fee), never venue-specific numbers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MarketType, Timeframe } from '../../engine/core/types';
import { ExchangeError, FailureClass } from '../../engine/core/errors';
import type { Exchange } from '../../engine/ports/exchange';

/** One implementation, ready to trade `symbol` with a funded account and a known last price. */
export interface ExchangeHarness {
  exchange: Exchange;
  symbol: string;
  /** An admissible market/limit amount (above the venue's minimum notional, within the account). */
  smallAmount: number;
  /** A limit buy price far below the market, so the order rests. */
  restingBuyPrice: number;
  /** An amount far beyond the account's funds. */
  hugeAmount: number;
  /** A range with stored/served candles for `fetchOhlcv`. */
  candles: { timeframe: Timeframe; sinceMs: number };
  close(): Promise<void>;
}

const relClose = (actual: number, expected: number, tolerance = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * tolerance + 1e-12);

/** Registers the contract suite for `name`, once per market type the implementation serves (default: spot and futures). */
export function runExchangeContract(
  name: string,
  makeHarness: (marketType: MarketType) => Promise<ExchangeHarness>,
  marketTypes: readonly MarketType[] = ['spot', 'futures'],
): void {
  for (const marketType of marketTypes) {
    describe(`Exchange contract: ${name} (${marketType})`, () => {
      let h: ExchangeHarness;
      let seq = 0;
      const clientId = () => `contract-${marketType}-${++seq}`;

      beforeEach(async () => {
        h = await makeHarness(marketType);
      });
      afterEach(async () => {
        await h.close();
      });

      it('fills a market order and reports status filled with an average price and a fee', async () => {
        const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.smallAmount });
        expect(order.status).toBe('filled');
        expect(order.symbol).toBe(h.symbol);
        expect(order.side).toBe('buy');
        expect(order.type).toBe('market');
        relClose(order.filled, h.smallAmount);
        expect(Number.isFinite(order.averagePrice) && order.averagePrice > 0).toBe(true);
        expect(order.fee).toBeGreaterThan(0);
        expect(order.reason).toBeNull();
      });

      it('rests a far limit order as new and cancels it to cancelled', async () => {
        const order = await h.exchange.createOrder({
          clientOrderId: clientId(),
          symbol: h.symbol,
          side: 'buy',
          type: 'limit',
          amount: h.smallAmount,
          price: h.restingBuyPrice,
        });
        expect(order.status).toBe('new');
        expect(order.filled).toBe(0);
        expect(Number.isNaN(order.averagePrice)).toBe(true);
        relClose(order.price as number, h.restingBuyPrice);
        const cancelled = await h.exchange.cancelOrder(order.id, h.symbol);
        expect(cancelled.id).toBe(order.id);
        expect(cancelled.clientOrderId).toBe(order.clientOrderId);
        expect(cancelled.status).toBe('cancelled');
      });

      it('refuses to cancel an unknown order id with a non-retryable ExchangeError', async () => {
        const error = await h.exchange.cancelOrder('987654321', h.symbol).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ExchangeError);
        expect((error as ExchangeError).failure).toBe(FailureClass.NonRetryable);
      });

      it('fetches a filled market order with the fills it reported', async () => {
        const fetchOrder = h.exchange.fetchOrder?.bind(h.exchange);
        expect(fetchOrder).toBeTypeOf('function');
        const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.smallAmount });
        const fetched = await fetchOrder!(order.id, h.symbol);
        expect([fetched.id, fetched.clientOrderId, fetched.symbol, fetched.side, fetched.type, fetched.status]).toEqual([order.id, order.clientOrderId, h.symbol, 'buy', 'market', 'filled']);
        relClose(fetched.filled, order.filled);
        relClose(fetched.averagePrice, order.averagePrice);
        relClose(fetched.fee, order.fee, 1e-6);
      });

      it('fetches a resting limit order as new, and as cancelled once cancelled', async () => {
        const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'limit', amount: h.smallAmount, price: h.restingBuyPrice });
        const resting = await h.exchange.fetchOrder!(order.id, h.symbol);
        expect([resting.id, resting.status, resting.filled]).toEqual([order.id, 'new', 0]);
        await h.exchange.cancelOrder(order.id, h.symbol);
        const cancelled = await h.exchange.fetchOrder!(order.id, h.symbol);
        expect([cancelled.id, cancelled.clientOrderId, cancelled.status, cancelled.filled]).toEqual([order.id, order.clientOrderId, 'cancelled', 0]);
      });

      it('refuses to fetch an unknown order id with a non-retryable ExchangeError', async () => {
        const error = await h.exchange.fetchOrder!('987654321', h.symbol).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ExchangeError);
        expect((error as ExchangeError).failure).toBe(FailureClass.NonRetryable);
        expect((error as ExchangeError).message).toContain('987654321');
      });

      it('does not create a second order for a repeated clientOrderId', async () => {
        const request = { clientOrderId: clientId(), symbol: h.symbol, side: 'buy' as const, type: 'market' as const, amount: h.smallAmount };
        const first = await h.exchange.createOrder(request);
        const balanceAfterFirst = await h.exchange.fetchBalance();
        const second = await h.exchange.createOrder(request);
        expect(second.id).toBe(first.id);
        expect(second.status).toBe('filled');
        relClose(second.filled, first.filled);
        const balanceAfterSecond = await h.exchange.fetchBalance();
        relClose(balanceAfterSecond.free, balanceAfterFirst.free);
      });

      it('changes the balance by what a fill costs', async () => {
        const before = await h.exchange.fetchBalance();
        const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.smallAmount });
        const after = await h.exchange.fetchBalance();
        expect(after.currency).toBe(before.currency);
        const cost = order.filled * order.averagePrice;
        if (marketType === 'spot') {
          // Spot: the quote spent is the cost, plus the fee when it is charged in the quote currency.
          const spent = before.free - after.free;
          expect(spent).toBeGreaterThanOrEqual(cost * (1 - 1e-9));
          expect(spent).toBeLessThanOrEqual(cost + order.fee + 1e-6);
        } else {
          // Futures: the wallet pays only the fee; the margin moves from free to used.
          relClose(before.total - after.total, order.fee, 1e-6);
          expect(before.free - after.free).toBeGreaterThan(order.fee);
          expect(after.used).toBeGreaterThan(before.used);
        }
      });

      if (marketType === 'futures') {
        it('reports a long position after a futures buy', async () => {
          const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.smallAmount });
          const position = await h.exchange.fetchPosition(h.symbol);
          expect(position).not.toBeNull();
          expect(position!.symbol).toBe(h.symbol);
          expect(position!.side).toBe('long');
          relClose(position!.amount, order.filled);
          relClose(position!.entryPrice, order.averagePrice, 1e-6);
          expect(position!.leverage).toBeGreaterThanOrEqual(1);
          expect(position!.margin).toBeGreaterThan(0);
          // The account's every open position: this one alone, as fetchPosition reports it.
          expect(await h.exchange.fetchOpenPositions()).toEqual([position]);
        });
      }

      it('rests a reduce-only stop sell below the market as new with its stop price and cancels it', async () => {
        const entry = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.smallAmount });
        const held = await h.exchange.fetchPosition(h.symbol);
        expect(held).not.toBeNull();
        // Spot too: the holding is the account's one open position.
        expect(await h.exchange.fetchOpenPositions()).toEqual([held]);
        // Spot: part of the holding, since a fee charged in the base asset leaves less than was bought.
        const amount = marketType === 'spot' ? h.smallAmount / 2 : entry.filled;
        const stopId = clientId();
        const stop = await h.exchange.createOrder({
          clientOrderId: stopId,
          symbol: h.symbol,
          side: 'sell',
          type: 'stop',
          amount,
          stopPrice: h.restingBuyPrice,
          reduceOnly: true,
        });
        expect([stop.status, stop.type, stop.side, stop.clientOrderId, stop.filled]).toEqual(['new', 'stop', 'sell', stopId, 0]);
        relClose(stop.stopPrice as number, h.restingBuyPrice);
        relClose(stop.amount, amount);
        const waiting = await h.exchange.fetchOrder!(stop.id, h.symbol);
        expect([waiting.id, waiting.clientOrderId, waiting.type, waiting.status, waiting.filled]).toEqual([stop.id, stopId, 'stop', 'new', 0]);
        relClose(waiting.stopPrice as number, h.restingBuyPrice);
        const cancelled = await h.exchange.cancelOrder(stop.id, h.symbol);
        expect([cancelled.id, cancelled.clientOrderId, cancelled.status, cancelled.filled]).toEqual([stop.id, stopId, 'cancelled', 0]);
        const position = await h.exchange.fetchPosition(h.symbol);
        relClose(position!.amount, held!.amount);
      });

      it('returns an order beyond the funds as rejected with an insufficient-funds reason', async () => {
        const order = await h.exchange.createOrder({ clientOrderId: clientId(), symbol: h.symbol, side: 'buy', type: 'market', amount: h.hugeAmount });
        expect(order.status).toBe('rejected');
        expect(order.filled).toBe(0);
        expect(order.reason).toMatch(/insufficient/i);
        expect(await h.exchange.fetchPosition(h.symbol)).toBeNull();
        expect(await h.exchange.fetchOpenPositions()).toEqual([]);
      });

      it('returns fetched candles in ascending open time', async () => {
        const candles = await h.exchange.fetchOhlcv(h.symbol, h.candles.timeframe, h.candles.sinceMs, 5);
        expect(candles.length).toBeGreaterThan(1);
        expect(candles.length).toBeLessThanOrEqual(5);
        expect(candles[0].openTimeMs).toBeGreaterThanOrEqual(h.candles.sinceMs);
        for (let i = 1; i < candles.length; i++) expect(candles[i].openTimeMs).toBeGreaterThan(candles[i - 1].openTimeMs);
        for (const c of candles) {
          expect(c.low).toBeLessThanOrEqual(Math.min(c.open, c.close));
          expect(c.high).toBeGreaterThanOrEqual(Math.max(c.open, c.close));
        }
      });
    });
  }
}
