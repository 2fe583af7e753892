import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { ExchangeError, ValidationError } from '../core/errors';
import { candleColumnsFromRows } from '../core/types';
import { createOrderSnapshot, type Order, type OrderRequest, type StemmedOrderRequest } from '../ports/exchange';
import { parseFundingRateCsv } from './funding';
import { DEFAULT_MARGIN_TIERS } from './margin-tiers';
import { createPaperExchange, type PaperExchangeConfig, type PaperFill, type PaperFunding, type PaperLiquidation, type PaperTradeClosed } from './paper-exchange';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // 00:00 UTC, a funding settlement

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dataDir = path.join(process.env.AETHELRED_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data'), 'binance-usdm');
const hasData = fs.existsSync(path.join(dataDir, 'XRPUSDT_funding_8h.csv')) && fs.existsSync(path.join(dataDir, 'XRPUSDT_8h_candles.csv'));

function setup(overrides: Partial<PaperExchangeConfig> = {}) {
  const clock = createManualClock(0);
  const fills: PaperFill[] = [];
  const trades: PaperTradeClosed[] = [];
  const funding: PaperFunding[] = [];
  const liquidations: PaperLiquidation[] = [];
  const orderUpdates: Order[] = [];
  const ex = createPaperExchange(
    {
      marketType: 'futures',
      initialBalance: 10_000,
      makerFeeBps: 0,
      takerFeeBps: 0,
      spreadBps: 0,
      slippageBps: 0,
      maxVolumeShare: 1,
      ...overrides,
    },
    {
      clock,
      listener: {
        onFill: (f) => fills.push(f),
        onTradeClosed: (t) => trades.push(t),
        onFunding: (f) => funding.push(f),
        onLiquidation: (l) => liquidations.push(l),
        onOrderUpdate: (o) => orderUpdates.push(o),
      },
    },
  );
  let seq = 0;
  const order = (symbol: string, side: 'buy' | 'sell', type: 'market' | 'limit' | 'stop', amount: number, extra: Partial<OrderRequest> = {}) =>
    ex.createOrder({ clientOrderId: `c${++seq}`, symbol, side, type, amount, ...extra });
  return { ex, clock, fills, trades, funding, liquidations, orderUpdates, order };
}

describe('config validation', () => {
  it('rejects a volume share of 0 naming the field', () => {
    expect(() => setup({ maxVolumeShare: 0 })).toThrow(ValidationError);
    try {
      setup({ maxVolumeShare: 0 });
    } catch (error) {
      expect((error as ValidationError).field).toBe('maxVolumeShare');
      expect((error as ValidationError).value).toBe(0);
    }
  });

  it('rejects leverage on spot and a non-positive balance', () => {
    expect(() => setup({ marketType: 'spot', leverage: 3 })).toThrow(/field "leverage" was 3/);
    expect(() => setup({ initialBalance: -1 })).toThrow(/field "initialBalance" was -1/);
  });
});

describe('a symbol on its own clock', () => {
  it("stamps the symbol's market fills and cancels with its clock while set, and with the exchange's once cleared", async () => {
    const { ex, clock, order, trades } = setup();
    clock.set(Date.UTC(2026, 11, 6));
    const replayed = createManualClock(Date.UTC(2024, 0, 1, 1));
    ex.useClockFor('BTCUSDT', replayed);
    ex.onCandle('BTCUSDT', Date.UTC(2024, 0, 1), 100, 101, 99, 100, 10);
    ex.onCandle('ETHUSDT', Date.UTC(2024, 0, 1), 10, 11, 9, 10, 10);
    const buy = await order('BTCUSDT', 'buy', 'market', 1);
    const stop = await order('BTCUSDT', 'sell', 'stop', 1, { stopPrice: 90 });
    replayed.set(Date.UTC(2024, 0, 1, 2));
    const cancelled = await ex.cancelOrder(stop.id, 'BTCUSDT');
    const sell = await order('BTCUSDT', 'sell', 'market', 1);
    // Another symbol keeps the exchange's clock.
    const eth = await order('ETHUSDT', 'buy', 'market', 1);
    expect([buy.createdAtMs, cancelled.updatedAtMs, sell.createdAtMs]).toEqual([Date.UTC(2024, 0, 1, 1), Date.UTC(2024, 0, 1, 2), Date.UTC(2024, 0, 1, 2)]);
    expect(trades.map((t) => [t.entryTimeMs, t.exitTimeMs])).toEqual([[Date.UTC(2024, 0, 1, 1), Date.UTC(2024, 0, 1, 2)]]);
    expect(eth.createdAtMs).toBe(Date.UTC(2026, 11, 6));
    ex.useClockFor('BTCUSDT', null);
    expect((await order('BTCUSDT', 'buy', 'market', 1)).createdAtMs).toBe(Date.UTC(2026, 11, 6));
    expect(() => ex.useClockFor('BTCUSDT', {} as never)).toThrow('field "symbolClock" was {}: expected a Clock or null');
  });
});

describe('spot market orders', () => {
  it('charges half the spread plus slippage and the taker fee on a buy then sell, to the cent', async () => {
    // taker 10 bps, spread 4 bps, slippage 3 bps -> adverse move 4/2 + 3 = 5 bps
    const { ex, order, fills, trades } = setup({ marketType: 'spot', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippageBps: 3 });
    ex.onCandle('BTCUSDT', 0, 20_000, 20_100, 19_900, 20_000, 100);
    const buy = await order('BTCUSDT', 'buy', 'market', 0.1);
    // price = 20,000 * 1.0005 = 20,010; fee = 0.1 * 20,010 * 0.001 = 2.001
    expect(buy.status).toBe('filled');
    expect(buy.averagePrice).toBeCloseTo(20_010, 9);
    expect(buy.fee).toBeCloseTo(2.001, 9);
    expect(fills[0]).toMatchObject({ side: 'buy', amount: 0.1, liquidity: 'taker' });
    // cash = 10,000 - 2,001 - 2.001 = 7,996.999; equity at mark 20,000 = 7,996.999 + 2,000 = 9,996.999
    expect((await ex.fetchBalance()).free).toBeCloseTo(7_996.999, 9);
    expect(ex.equity()).toBeCloseTo(9_996.999, 9);

    ex.onCandle('BTCUSDT', H, 20_500, 21_100, 20_400, 21_000, 100);
    // equity = 10,000 - 2.001 + (21,000 - 20,010) * 0.1 = 10,096.999
    expect(ex.equity()).toBeCloseTo(10_096.999, 9);
    const sell = await order('BTCUSDT', 'sell', 'market', 0.1);
    // price = 21,000 * 0.9995 = 20,989.5; fee = 2,098.95 * 0.001 = 2.09895; realised = 979.5 * 0.1 = 97.95
    expect(sell.averagePrice).toBeCloseTo(20_989.5, 9);
    expect(sell.fee).toBeCloseTo(2.09895, 9);
    // wallet = 10,000 - 2.001 + 97.95 - 2.09895 = 10,093.85005
    expect(ex.walletBalance()).toBeCloseTo(10_093.85005, 9);
    expect(ex.equity()).toBeCloseTo(10_093.85005, 9);
    expect(await ex.fetchPosition('BTCUSDT')).toBeNull();
    expect(trades).toHaveLength(1);
    expect(trades[0].side).toBe('long');
    expect(trades[0].entryPrice).toBeCloseTo(20_010, 9);
    expect(trades[0].exitPrice).toBeCloseTo(20_989.5, 9);
    expect(trades[0].realizedPnl).toBeCloseTo(97.95, 9);
    expect(trades[0].fees).toBeCloseTo(4.09995, 9); // 2.001 + 2.09895
    expect(trades[0].exitReason).toBe('signal');
  });

  it('places and cancels synchronously into a caller-owned order, as the async port reports it', async () => {
    // The same costs as above: a market buy of 0.1 at 20,000 fills at 20,010 with a fee of 2.001.
    const { ex, fills } = setup({ marketType: 'spot', takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippageBps: 3 });
    ex.onCandle('BTCUSDT', 0, 20_000, 20_100, 19_900, 20_000, 100);
    const out = createOrderSnapshot();
    const buy = ex.placeOrderSync({ clientOrderId: 'b1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 0.1 }, out);
    expect(buy).toBe(out);
    expect([out.id, out.clientOrderId, out.status, out.filled, out.reduceOnly]).toEqual(['paper-1', 'b1', 'filled', 0.1, false]);
    expect(out.averagePrice).toBeCloseTo(20_010, 9);
    expect(out.fee).toBeCloseTo(2.001, 9);
    expect(fills).toHaveLength(1);
    // A resting stop sell below the market, written into the same object, then cancelled into it.
    ex.placeOrderSync({ clientOrderId: 's1', symbol: 'BTCUSDT', side: 'sell', type: 'stop', amount: 0.1, stopPrice: 19_000, reduceOnly: true }, out);
    expect([out.id, out.status, out.stopPrice, out.price, out.filled, out.averagePrice]).toEqual(['paper-2', 'new', 19_000, null, 0, NaN]);
    expect(await ex.fetchOrder('paper-2', 'BTCUSDT')).toEqual(out);
    ex.cancelOrderSync('paper-2', 'BTCUSDT', out);
    expect([out.id, out.status, out.reason]).toEqual(['paper-2', 'cancelled', 'cancelled by request']);
    expect(await ex.fetchOrder('paper-2', 'BTCUSDT')).toEqual(out);
    // A repeated client id answers with the order it names, as createOrder does.
    ex.placeOrderSync({ clientOrderId: 'b1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 0.1 }, out);
    expect([out.id, out.status]).toEqual(['paper-1', 'filled']);
    expect(fills).toHaveLength(1);
    expect(() => ex.cancelOrderSync('paper-9', 'BTCUSDT', out)).toThrow(ExchangeError);
  });

  it('writes into its own snapshot an order whose id reads as the port reports it, with or without a bound', async () => {
    for (const retainFinishedOrders of [undefined, 1]) {
      const ex = createPaperExchange(
        { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
        { clock: createManualClock(0), ...(retainFinishedOrders === undefined ? {} : { retainFinishedOrders }) },
      );
      ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
      const out = ex.orderSnapshot();
      ex.placeOrderSync({ clientOrderId: 'b1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }, out);
      ex.placeOrderSync({ clientOrderId: 'r2', symbol: 'BTCUSDT', side: 'buy', type: 'limit', amount: 1, price: 50 }, out);
      expect(out.id).toBe('paper-2');
      // A copy that takes the ids and prices by name reads like the order `fetchOrder` reports.
      expect({ ...out, id: out.id, clientOrderId: out.clientOrderId, price: out.price, stopPrice: out.stopPrice }).toEqual(await ex.fetchOrder('paper-2', 'BTCUSDT'));
      ex.placeOrderSync({ clientOrderId: 'm3', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }, out);
      expect(out.id).toBe('paper-3');
      // The resting order is found by its id (paper-1 forgotten with the bound, not paper-2, which still works).
      ex.cancelOrderSync('paper-2', 'BTCUSDT', out);
      expect([out.id, out.status, out.price]).toEqual(['paper-2', 'cancelled', 50]);
      expect(() => ex.cancelOrderSync('paper-02', 'BTCUSDT', out)).toThrow(/order "paper-02" of "BTCUSDT" is unknown/);
      expect(() => ex.cancelOrderSync('paper-4', 'BTCUSDT', out)).toThrow(ExchangeError);
    }
  });

  it('keeps a client id given in parts and builds it only when read, recognising a repeat given either way', async () => {
    for (const retainFinishedOrders of [undefined, 64]) {
      const clock = createManualClock(0);
      const fills: PaperFill[] = [];
      const trades: PaperTradeClosed[] = [];
      const ex = createPaperExchange(
        { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
        { clock, listener: { onFill: (f) => fills.push(f), onTradeClosed: (t) => trades.push({ ...t }) }, ...(retainFinishedOrders === undefined ? {} : { retainFinishedOrders }) },
      );
      ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
      const out = ex.orderSnapshot();
      const entry: StemmedOrderRequest = { clientOrderId: 'run-entry-', clientIdTimeMs: 300_000, symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 };
      ex.placeOrderSync(entry, out);
      expect([out.id, out.clientOrderId, out.status]).toEqual(['paper-1', 'run-entry-300000', 'filled']);
      expect(fills.map((f) => f.clientOrderId)).toEqual(['run-entry-300000']);
      // The same parts again, or the same id given whole: the order already placed answers, nothing fills twice.
      ex.placeOrderSync({ ...entry }, out);
      expect(out.id).toBe('paper-1');
      ex.placeOrderSync({ clientOrderId: 'run-entry-300000', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }, out);
      expect(out.id).toBe('paper-1');
      // A whole id first, then the same id in parts: found too. Another time is another order.
      ex.placeOrderSync({ clientOrderId: 'run-stop-300000', symbol: 'BTCUSDT', side: 'sell', type: 'stop', amount: 1, stopPrice: 90, reduceOnly: true }, out);
      expect(out.id).toBe('paper-2');
      ex.placeOrderSync({ clientOrderId: 'run-stop-', clientIdTimeMs: 300_000, symbol: 'BTCUSDT', side: 'sell', type: 'stop', amount: 1, stopPrice: 90, reduceOnly: true } as StemmedOrderRequest, out);
      expect(out.id).toBe('paper-2');
      expect(fills).toHaveLength(1);
      ex.placeOrderSync({ clientOrderId: 'run-exit-', clientIdTimeMs: 600_000, symbol: 'BTCUSDT', side: 'sell', type: 'market', amount: 1, reduceOnly: true } as StemmedOrderRequest, out);
      expect([out.id, out.clientOrderId, out.status]).toEqual(['paper-3', 'run-exit-600000', 'filled']);
      // The closing fill names the exit's id, as fetchOrder and the stored state do.
      expect(trades.map((t) => t.exitClientOrderId)).toEqual(['run-exit-600000']);
      expect((await ex.fetchOrder('paper-1', 'BTCUSDT')).clientOrderId).toBe('run-entry-300000');
      expect(ex.exportState().orders.map((o) => [o.id, o.clientOrderId])).toEqual([
        ['paper-1', 'run-entry-300000'],
        ['paper-2', 'run-stop-300000'],
        ['paper-3', 'run-exit-600000'],
      ]);
    }
  });

  it('hands a backtest one reused closed part that names its closing order in parts and by id', () => {
    const ex = createPaperExchange(
      { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
      { clock: createManualClock(0), reuseClosedTrade: true, retainFinishedOrders: 64, listener: { onTradeClosed: (t) => parts.push(t) } },
    );
    const parts: PaperTradeClosed[] = [];
    ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
    const out = ex.orderSnapshot();
    for (const [k, timeMs] of [[1, 300_000], [2, 600_000]]) {
      ex.placeOrderSync({ clientOrderId: `e${k}-`, clientIdTimeMs: timeMs, symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 } as StemmedOrderRequest, out);
      ex.placeOrderSync({ clientOrderId: `x${k}-`, clientIdTimeMs: timeMs, symbol: 'BTCUSDT', side: 'sell', type: 'market', amount: 1, reduceOnly: true } as StemmedOrderRequest, out);
    }
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(parts[0]);
    const part = parts[0] as PaperTradeClosed & { exitClientIdStem: string; exitClientIdTimeMs: number };
    expect([part.exitClientIdStem, part.exitClientIdTimeMs, part.exitClientOrderId]).toEqual(['x2-', 600_000, 'x2-600000']);
    // A fill of no order (the end-of-run close) names its id whole.
    ex.placeOrderSync({ clientOrderId: 'e3', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }, out);
    ex.closePositionAtLast(0, 'close-at-end');
    expect([part.exitClientIdStem, part.exitClientIdTimeMs, part.exitClientOrderId]).toEqual(['close-at-end', NaN, 'close-at-end']);
  });

  it('cancels the order a snapshot it wrote names without its id, and writes the account figures of an entry', async () => {
    const { ex } = setup({ marketType: 'spot' });
    ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
    const stop = ex.orderSnapshot();
    const out = ex.orderSnapshot();
    ex.placeOrderSync({ clientOrderId: 'b1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 2 }, out);
    ex.placeOrderSync({ clientOrderId: 's1', symbol: 'BTCUSDT', side: 'sell', type: 'stop', amount: 2, stopPrice: 90, reduceOnly: true }, stop);
    ex.placeOrderSync({ clientOrderId: 's2', symbol: 'BTCUSDT', side: 'sell', type: 'limit', amount: 1, price: 120, reduceOnly: true }, out);
    ex.cancelPlacedSync(stop, 'BTCUSDT', out);
    expect([out.id, out.status, out.stopPrice]).toEqual(['paper-2', 'cancelled', 90]);
    expect((await ex.fetchOrder('paper-3', 'BTCUSDT')).status).toBe('new');
    expect(() => ex.cancelPlacedSync(stop, 'ETHUSDT', out)).toThrow(/order "paper-2" of "ETHUSDT" is unknown/);
    // A plain snapshot names its order by id.
    const plain = createOrderSnapshot();
    plain.id = 'paper-3';
    ex.cancelPlacedSync(plain, 'BTCUSDT', out);
    expect([out.id, out.status]).toEqual(['paper-3', 'cancelled']);
    // 2 held at a mark of 100 on a 10,000 account with no fees: equity 10,000, gross notional 200.
    ex.onCandle('BTCUSDT', 300_000, 100, 106, 99, 105, 1_000);
    const figures = new Float64Array(3);
    ex.writeAccountFigures('BTCUSDT', figures);
    expect([...figures]).toEqual([2, 10_010, 210]);
    expect([...figures]).toEqual([ex.positionAmountSigned('BTCUSDT'), ex.equity(), ex.grossNotional()]);
    ex.writeAccountFigures('ETHUSDT', figures);
    expect(figures[0]).toBe(0);
  });

  it('rejects a sell beyond holdings and a buy beyond cash', async () => {
    const { ex, order } = setup({ marketType: 'spot', initialBalance: 1_000 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 1_000);
    const short = await order('BTCUSDT', 'sell', 'market', 1);
    expect(short.status).toBe('rejected');
    expect(short.reason).toBe('spot cannot sell 1 BTCUSDT: holding 0');
    const big = await order('BTCUSDT', 'buy', 'market', 11);
    expect(big.status).toBe('rejected');
    expect(big.reason).toMatch(/insufficient balance: buying 11 BTCUSDT at 100 costs 1100 USDT/);
    expect(ex.equity()).toBe(1_000);
  });
});

describe('limit and stop orders', () => {
  it('fills a limit buy only once the low reaches it, at the limit price as a maker, and a limit sell at its price on a gap up', async () => {
    const { ex, order, fills } = setup({ initialBalance: 100_000, makerFeeBps: 2, takerFeeBps: 5 });
    ex.onCandle('BTCUSDT', 0, 20_000, 20_100, 19_900, 20_000, 100);
    const buy = await order('BTCUSDT', 'buy', 'limit', 1, { price: 19_500 });
    expect(buy.status).toBe('new');
    ex.onCandle('BTCUSDT', H, 20_000, 20_200, 19_600, 19_800, 100); // low 19,600 > 19,500: rests
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
    ex.onCandle('BTCUSDT', 2 * H, 19_800, 19_900, 19_400, 19_700, 100); // low 19,400 <= 19,500: fills
    // fee = 19,500 * 0.0002 = 3.9
    expect(fills[0]).toMatchObject({ price: 19_500, amount: 1, liquidity: 'maker' });
    expect(fills[0].fee).toBeCloseTo(3.9, 9);
    const sell = await order('BTCUSDT', 'sell', 'limit', 1, { price: 20_500 });
    ex.onCandle('BTCUSDT', 3 * H, 21_000, 21_200, 20_900, 21_100, 100); // opens above the limit
    // fills at 20,500 (the limit), fee 4.1, realised (20,500 - 19,500) * 1 = 1,000
    expect(fills[1]).toMatchObject({ price: 20_500, liquidity: 'maker', orderId: sell.id });
    // wallet = 100,000 - 3.9 + 1,000 - 4.1 = 100,992
    expect(ex.walletBalance()).toBeCloseTo(100_992, 9);
  });

  it('triggers a sell stop at the stop price, and at the open when the candle gaps through it', async () => {
    // taker 5 bps; adverse move 2/2 + 1 = 2 bps
    const { ex, order, fills, trades } = setup({ initialBalance: 100_000, takerFeeBps: 5, spreadBps: 2, slippageBps: 1 });
    ex.onCandle('BTCUSDT', 0, 20_000, 20_100, 19_900, 20_000, 100);
    await order('BTCUSDT', 'buy', 'market', 1); // 20,000 * 1.0002 = 20,004, fee 10.002
    await order('BTCUSDT', 'sell', 'stop', 1, { stopPrice: 19_000, reduceOnly: true });
    ex.onCandle('BTCUSDT', H, 19_900, 20_000, 19_200, 19_500, 100);
    expect(fills).toHaveLength(1);
    ex.onCandle('BTCUSDT', 2 * H, 19_500, 19_600, 18_800, 18_900, 100);
    // min(19,000, open 19,500) = 19,000 * 0.9998 = 18,996.2; fee 9.4981; realised 18,996.2 - 20,004 = -1,007.8
    expect(fills[1].price).toBeCloseTo(18_996.2, 9);
    expect(fills[1].fee).toBeCloseTo(9.4981, 9);
    expect(trades[0].realizedPnl).toBeCloseTo(-1_007.8, 9);
    expect(trades[0].exitReason).toBe('stop');

    await order('BTCUSDT', 'buy', 'market', 1); // 18,900 * 1.0002 = 18,903.78
    await order('BTCUSDT', 'sell', 'stop', 1, { stopPrice: 18_500, reduceOnly: true });
    ex.onCandle('BTCUSDT', 3 * H, 18_000, 18_100, 17_800, 17_900, 100); // gaps below the stop
    // min(18,500, open 18,000) = 18,000 * 0.9998 = 17,996.4; realised 17,996.4 - 18,903.78 = -907.38
    expect(fills[3].price).toBeCloseTo(17_996.4, 9);
    expect(trades[1].realizedPnl).toBeCloseTo(-907.38, 9);
  });

  it('fills a buy stop at max(stop, open) plus the adverse move when the candle gaps up', async () => {
    const { ex, order, fills } = setup({ initialBalance: 100_000, spreadBps: 2, slippageBps: 1 });
    ex.onCandle('BTCUSDT', 0, 20_000, 20_100, 19_900, 20_000, 100);
    await order('BTCUSDT', 'buy', 'stop', 1, { stopPrice: 21_000 });
    ex.onCandle('BTCUSDT', H, 20_500, 20_900, 20_400, 20_800, 100); // high 20,900 < 21,000
    expect(fills).toHaveLength(0);
    ex.onCandle('BTCUSDT', 2 * H, 21_500, 21_800, 21_400, 21_700, 100);
    // max(21,000, 21,500) = 21,500 * 1.0002 = 21,504.3
    expect(fills[0].price).toBeCloseTo(21_504.3, 9);
    expect(fills[0].liquidity).toBe('taker');
  });
});

describe('volume cap', () => {
  it('fills a market order in slices of maxVolumeShare x volume, the remainder at later opens', async () => {
    const { ex, order } = setup({ initialBalance: 1_000, maxVolumeShare: 0.1, slippageBps: 10 });
    ex.onCandle('XUSDT', 0, 100, 101, 99, 100, 5); // cap 0.1 * 5 = 0.5
    const placed = await order('XUSDT', 'buy', 'market', 1.2);
    // 0.5 at 100 * 1.001 = 100.1
    expect(placed.status).toBe('partially_filled');
    expect(placed.filled).toBe(0.5);
    ex.onCandle('XUSDT', H, 102, 103, 101, 102.5, 3); // cap 0.3 at open 102 * 1.001 = 102.102
    let [open] = ex.openOrders('XUSDT');
    expect(open.status).toBe('partially_filled');
    expect(open.filled).toBeCloseTo(0.8, 12);
    ex.onCandle('XUSDT', 2 * H, 101, 102, 100, 101, 10); // cap 1.0 >= 0.4 left, at 101 * 1.001 = 101.101
    expect(ex.openOrders('XUSDT')).toHaveLength(0);
    // average = (0.5*100.1 + 0.3*102.102 + 0.4*101.101) / 1.2 = (50.05 + 30.6306 + 40.4404) / 1.2 = 121.121 / 1.2
    expect(ex.positionOf('XUSDT')!.entryPrice).toBeCloseTo(121.121 / 1.2, 9);
    expect(ex.positionAmountSigned('XUSDT')).toBeCloseTo(1.2, 12);

    const tp = await order('XUSDT', 'sell', 'limit', 1.2, { price: 103, reduceOnly: true });
    ex.onCandle('XUSDT', 3 * H, 101, 104, 100.5, 103.5, 6); // cap 0.6 at 103
    [open] = ex.openOrders('XUSDT');
    expect(open).toMatchObject({ id: tp.id, status: 'partially_filled' });
    expect(open.filled).toBeCloseTo(0.6, 12);
    ex.onCandle('XUSDT', 4 * H, 103.5, 105, 103, 104, 100); // rest (0.6) fills
    expect(ex.positionAmountSigned('XUSDT')).toBeCloseTo(0, 12);
  });

  it.each([
    ['a spot sell', { marketType: 'spot' as const }, {}, 'spot sell'],
    ['a reduce-only futures sell', {}, { reduceOnly: true }, 'reduce-only'],
  ])('works the remainders of %s in slices, each clamped to the position it finds left (admitted unasked)', async (_name, config, extra, kind) => {
    const { ex, order } = setup({ initialBalance: 1_000, maxVolumeShare: 0.1, ...config });
    ex.onCandle('XUSDT', 0, 100, 101, 99, 100, 100); // cap 10
    await order('XUSDT', 'buy', 'market', 3);
    ex.onCandle('XUSDT', H, 100, 101, 99, 100, 10); // cap 1
    const first = await order('XUSDT', 'sell', 'market', 1.5, extra); // 1 now, 0.5 left
    const second = await order('XUSDT', 'sell', 'market', 2, extra); // the cap is used up: 2 left, more than the 2 held after the first's
    expect(first).toMatchObject({ status: 'partially_filled', filled: 1 });
    expect(second).toMatchObject({ status: 'new', filled: 0 });
    ex.onCandle('XUSDT', 2 * H, 100, 101, 99, 100, 100); // cap 10: the first's 0.5, then the second's 2 clamped to the 1.5 left
    expect(ex.positionAmountSigned('XUSDT')).toBe(0);
    expect(ex.openOrders('XUSDT')).toHaveLength(0);
    const done = await ex.fetchOrder(second.id, 'XUSDT');
    expect(done).toMatchObject({ status: 'cancelled', filled: 1.5, reason: `${kind} remainder of 0.5 XUSDT cancelled: position closed` });
    expect(ex.walletBalance()).toBe(1_000);
  });
});

describe('fetchOpenPositions', () => {
  it('lists every symbol with a position, as fetchPosition reports each, and drops a closed one', async () => {
    const { ex, order } = setup({ leverage: 10 });
    ex.onCandle('BTCUSDT', H, 60_000, 60_100, 59_900, 60_000, 100);
    ex.onCandle('ETHUSDT', H, 3_000, 3_010, 2_990, 3_000, 100);
    ex.onCandle('XUSDT', H, 100, 101, 99, 100, 100);
    expect(await ex.fetchOpenPositions()).toEqual([]);
    await order('BTCUSDT', 'buy', 'market', 0.5);
    await order('ETHUSDT', 'sell', 'market', 2);
    await order('XUSDT', 'buy', 'market', 3);
    await order('XUSDT', 'sell', 'market', 3);
    const positions = await ex.fetchOpenPositions();
    expect(positions.map((p) => [p.symbol, p.side, p.amount, p.entryPrice, p.markPrice])).toEqual([
      ['BTCUSDT', 'long', 0.5, 60_000, 60_000],
      ['ETHUSDT', 'short', 2, 3_000, 3_000],
    ]);
    expect(positions).toEqual([await ex.fetchPosition('BTCUSDT'), await ex.fetchPosition('ETHUSDT')]);
  });
});

describe('futures liquidation', () => {
  it('liquidates an isolated long when the low reaches 54,216.87 and books the loss at that price', async () => {
    const { ex, order, trades, liquidations } = setup({ marginMode: 'isolated', leverage: 10, takerFeeBps: 4 });
    ex.onCandle('BTCUSDT', H, 60_000, 60_100, 59_900, 60_000, 100);
    await order('BTCUSDT', 'buy', 'market', 0.5); // EP 60,000, fee 0.5*60,000*0.0004 = 12, isolated margin 3,000
    expect(ex.walletBalance()).toBeCloseTo(9_988, 9);
    const position = (await ex.fetchPosition('BTCUSDT'))!;
    expect(position.margin).toBeCloseTo(3_000, 9);
    // README example 1: LP = -27,000 / -0.498 = 54,216.8674698795
    expect(position.liquidationPrice).toBeCloseTo(27_000 / 0.498, 6);
    ex.onCandle('BTCUSDT', 2 * H, 59_000, 59_500, 54_300, 55_000, 100); // low above LP: survives
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0.5);
    expect(ex.equity()).toBeCloseTo(9_988 - 2_500, 9); // unrealised (55,000 - 60,000) * 0.5
    ex.onCandle('BTCUSDT', 3 * H, 55_000, 55_200, 54_000, 54_500, 100);
    // realised = 0.5 * (27,000/0.498 - 60,000) = -2,891.566265060; fee = 0.5 * LP * 0.0004 = 10.843373494
    // (3,000 - 2,891.566 = 108.434 = maintenance margin at LP, 0.5 * LP * 0.004)
    // wallet = 9,988 - 2,891.566265060 - 10.843373494 = 7,085.590361446
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
    expect(ex.walletBalance()).toBeCloseTo(7_085.590361446, 6);
    expect(ex.equity()).toBeCloseTo(7_085.590361446, 6);
    expect(liquidations).toHaveLength(1);
    expect(liquidations[0].price).toBeCloseTo(27_000 / 0.498, 6);
    expect(liquidations[0].realizedPnl).toBeCloseTo(-2_891.56626506, 6);
    expect(trades[0]).toMatchObject({ side: 'long', exitReason: 'liquidation', entryTimeMs: 0, exitTimeMs: 3 * H });
    expect(trades[0].realizedPnl).toBeCloseTo(-2_891.56626506, 6);
    expect(trades[0].fees).toBeCloseTo(22.843373494, 6); // 12 + 10.843373494
  });

  it('reports the README cross example LP 55,816.08 for a BTC long beside a losing ETH short', async () => {
    const { ex, order } = setup({ marginMode: 'cross', leverage: 100, tiers: { ETHUSDT: DEFAULT_MARGIN_TIERS } });
    ex.onCandle('BTCUSDT', 0, 60_000, 60_000, 60_000, 60_000, 1_000);
    ex.onCandle('ETHUSDT', 0, 3_000, 3_000, 3_000, 3_000, 1_000);
    expect((await order('BTCUSDT', 'buy', 'market', 2)).status).toBe('filled'); // notional 120,000: tier 2, 100x allowed
    expect((await order('ETHUSDT', 'sell', 'market', 10)).status).toBe('filled');
    ex.onCandle('ETHUSDT', H, 3_000, 3_100, 2_990, 3_100, 1_000);
    expect(ex.positionOf('ETHUSDT')!.unrealizedPnl).toBeCloseTo(-1_000, 9);
    // LP = (10000 - 124 - 1000 + 50 - 120000) / (2*0.005 - 2) = 111,074 / 1.99
    expect((await ex.fetchPosition('BTCUSDT'))!.liquidationPrice).toBeCloseTo(111_074 / 1.99, 6);
  });
  it('liquidates a 190 BTC cross long at about 1x when a wick reaches 3,165.58, the price of its tier at liquidation', async () => {
    const { ex, order, liquidations, trades } = setup({ marginMode: 'cross', leverage: 2, initialBalance: 10_801_500 });
    ex.onCandle('BTCUSDT', H, 60_000, 60_000, 60_000, 60_000, 1_000);
    expect((await order('BTCUSDT', 'buy', 'market', 190)).status).toBe('filled'); // notional 11,400,000: tier 4
    // Tier 3 (MMR 0.0065, cum 950) holds the liquidation notional:
    // LP = (10,801,500 + 950 - 190*60,000) / (190*0.0065 - 190) = 597,550 / 188.765 = 3,165.5762 (notional 601,459).
    // Tier 4's formula alone would give (10,801,500 + 11,450 - 11,400,000) / (1.9 - 190) = 3,120.95.
    const lp = 597_550 / 188.765;
    expect((await ex.fetchPosition('BTCUSDT'))!.liquidationPrice).toBeCloseTo(lp, 6);
    ex.onCandle('BTCUSDT', 2 * H, 60_000, 60_000, 3_170, 59_000, 1_000); // low above LP: survives
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(190);
    ex.onCandle('BTCUSDT', 3 * H, 59_000, 59_000, 3_140, 58_000, 1_000); // wick between 3,120.95 and 3,165.58
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
    expect(liquidations).toHaveLength(1);
    expect(liquidations[0].price).toBeCloseTo(lp, 6);
    // realised = 190 * (LP - 60,000) = -10,798,540.52; the wallet keeps the maintenance margin at LP,
    // 190 * LP * 0.0065 - 950 = 2,959.48
    expect(liquidations[0].realizedPnl).toBeCloseTo(190 * (lp - 60_000), 4);
    expect(ex.walletBalance()).toBeCloseTo(190 * lp * 0.0065 - 950, 4);
    expect(trades[0]).toMatchObject({ side: 'long', exitReason: 'liquidation', exitTimeMs: 3 * H });
  });
});

describe('liquidation on the candle path', () => {
  // README example 1: isolated long 0.5 BTC at 60,000, 10x: LP = 27,000 / 0.498 = 54,216.8674698795.
  const LP_LONG = 27_000 / 0.498;
  async function isolatedLong(stopPrice: number) {
    const s = setup({ marginMode: 'isolated', leverage: 10, takerFeeBps: 4 });
    s.ex.onCandle('BTCUSDT', H, 60_000, 60_100, 59_900, 60_000, 100);
    await s.order('BTCUSDT', 'buy', 'market', 0.5); // fee 0.5 * 60,000 * 0.0004 = 12; wallet 9,988; isolated margin 3,000
    const stop = await s.order('BTCUSDT', 'sell', 'stop', 0.5, { stopPrice, reduceOnly: true });
    expect(s.ex.positionOf('BTCUSDT')!.liquidationPrice).toBeCloseTo(LP_LONG, 6);
    return { ...s, stop };
  }

  for (const [shape, close] of [['bearish (high first)', 53_500], ['bullish (low first)', 55_100]] as const) {
    it(`liquidates a long at LP 54,216.87 before its stop at 53,000, farther down the path (${shape})`, async () => {
      const { ex, stop, fills, trades, liquidations } = await isolatedLong(53_000);
      ex.onCandle('BTCUSDT', 2 * H, 55_000, 55_200, 52_500, close, 100);
      // The stop would have filled at 53,000: realised -3,500, more than the isolated margin of 3,000.
      // Liquidation: realised 0.5 * (LP - 60,000) = -2,891.566265060; taker fee 0.5 * LP * 0.0004 = 10.843373494;
      // wallet 9,988 - 2,891.566265060 - 10.843373494 = 7,085.590361446.
      expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
      expect(liquidations).toHaveLength(1);
      expect(liquidations[0].price).toBeCloseTo(LP_LONG, 6);
      expect(liquidations[0].timeMs).toBe(2 * H);
      expect(liquidations[0].realizedPnl).toBeCloseTo(-2_891.56626506, 6);
      expect(liquidations[0].fee).toBeCloseTo(10.843373494, 6);
      expect(fills.map((f) => f.price)).toEqual([60_000, liquidations[0].price]);
      const after = await ex.fetchOrder(stop.id, 'BTCUSDT');
      expect(after.status).toBe('cancelled');
      expect(after.filled).toBe(0);
      expect(after.reason).toMatch(/liquidation/);
      expect(ex.walletBalance()).toBeCloseTo(7_085.590361446, 6);
      expect(trades).toHaveLength(1);
      expect(trades[0]).toMatchObject({ side: 'long', exitReason: 'liquidation', exitTimeMs: 2 * H });
      expect(trades[0].realizedPnl).toBeCloseTo(-2_891.56626506, 6);
      expect(trades[0].fees).toBeCloseTo(22.843373494, 6); // 12 + 10.843373494
    });
  }

  it('fills a long stop at 55,000, nearer to the open than LP, and does not liquidate', async () => {
    const { ex, stop, trades, liquidations } = await isolatedLong(55_000);
    ex.onCandle('BTCUSDT', 2 * H, 56_000, 56_200, 52_500, 53_500, 100);
    // realised 0.5 * (55,000 - 60,000) = -2,500; fee 0.5 * 55,000 * 0.0004 = 11; wallet 9,988 - 2,500 - 11 = 7,477
    expect(liquidations).toHaveLength(0);
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
    expect((await ex.fetchOrder(stop.id, 'BTCUSDT')).status).toBe('filled');
    expect(trades[0]).toMatchObject({ exitReason: 'stop', exitPrice: 55_000 });
    expect(trades[0].realizedPnl).toBeCloseTo(-2_500, 9);
    expect(ex.walletBalance()).toBeCloseTo(7_477, 9);
  });

  it('liquidates at LP at once on an open gapped through it, before a gapped stop fills at the open', async () => {
    const { ex, stop, liquidations } = await isolatedLong(55_000);
    ex.onCandle('BTCUSDT', 2 * H, 54_000, 54_100, 53_000, 53_500, 100);
    expect(liquidations).toHaveLength(1);
    expect(liquidations[0].price).toBeCloseTo(LP_LONG, 6); // the gap rule: closed at LP, losses beyond it not modelled
    expect(liquidations[0].realizedPnl).toBeCloseTo(-2_891.56626506, 6);
    expect((await ex.fetchOrder(stop.id, 'BTCUSDT')).status).toBe('cancelled');
    expect(ex.walletBalance()).toBeCloseTo(7_085.590361446, 6);
  });

  it('liquidates a short at LP 3,134.83 before its stop at 3,200, and fills a stop at 3,120 nearer to the open', async () => {
    // README example 2: isolated short 100 ETH at 3,000, 20x (tier 2: MMR 0.005, cum 50), isolated margin 15,000:
    // LP = (15,000 + 50 + 300,000) / (0.5 + 100) = 315,050 / 100.5 = 3,134.8258706468.
    const lp = 315_050 / 100.5;
    for (const [stopPrice, expectLiquidation] of [[3_200, true], [3_120, false]] as const) {
      const { ex, order, trades, liquidations } = setup({ marginMode: 'isolated', leverage: 20, takerFeeBps: 4, initialBalance: 100_000 });
      ex.onCandle('ETHUSDT', H, 3_000, 3_010, 2_990, 3_000, 1_000);
      await order('ETHUSDT', 'sell', 'market', 100); // fee 100 * 3,000 * 0.0004 = 120; wallet 99,880
      const stop = await order('ETHUSDT', 'buy', 'stop', 100, { stopPrice, reduceOnly: true });
      expect(ex.positionOf('ETHUSDT')!.liquidationPrice).toBeCloseTo(lp, 6);
      ex.onCandle('ETHUSDT', 2 * H, 3_100, 3_250, 3_090, 3_180, 1_000); // bullish: low first, then up through LP
      if (expectLiquidation) {
        // realised 100 * (3,000 - LP) = -13,482.587064677; fee 100 * LP * 0.0004 = 125.393034826
        // (15,000 - 13,482.587 = 1,517.413 = maintenance margin at LP: 313,482.587 * 0.005 - 50)
        expect(liquidations).toHaveLength(1);
        expect(liquidations[0]).toMatchObject({ side: 'short', timeMs: 2 * H });
        expect(liquidations[0].price).toBeCloseTo(lp, 6);
        expect(liquidations[0].realizedPnl).toBeCloseTo(-13_482.587064677, 6);
        expect(liquidations[0].fee).toBeCloseTo(125.393034826, 6);
        expect((await ex.fetchOrder(stop.id, 'ETHUSDT')).status).toBe('cancelled');
        expect(ex.walletBalance()).toBeCloseTo(99_880 - 13_482.587064677 - 125.393034826, 6);
      } else {
        // realised 100 * (3,000 - 3,120) = -12,000; fee 100 * 3,120 * 0.0004 = 124.8
        expect(liquidations).toHaveLength(0);
        expect((await ex.fetchOrder(stop.id, 'ETHUSDT')).status).toBe('filled');
        expect(trades[0]).toMatchObject({ side: 'short', exitReason: 'stop', exitPrice: 3_120 });
        expect(ex.walletBalance()).toBeCloseTo(99_880 - 12_000 - 124.8, 9);
      }
      expect(ex.positionAmountSigned('ETHUSDT')).toBe(0);
    }
  });
});

describe('funding', () => {
  it('settles a long at each 8h boundary with the series rate at or before it, and not after the close', async () => {
    const { ex, order, funding, trades } = setup({
      initialBalance: 100_000,
      fundingRatePerInterval: 0.0005,
      fundingRates: new Map([
        ['BTCUSDT', new Map([[T0, 0.0001], [T0 + 8 * H, -0.0002], [T0 + 16 * H + 17, 0.0003]])],
      ]),
    });
    ex.onCandle('BTCUSDT', T0 - 8 * H, 50_000, 50_000, 50_000, 50_000, 10);
    await order('BTCUSDT', 'buy', 'market', 1);
    ex.onCandle('BTCUSDT', T0, 50_000, 50_500, 49_500, 50_200, 10); // -1 * 50,000 * 0.0001 = -5
    ex.onCandle('BTCUSDT', T0 + 8 * H, 51_000, 51_500, 50_500, 51_000, 10); // -51,000 * -0.0002 = +10.2
    ex.onCandle('BTCUSDT', T0 + 16 * H, 49_000, 49_500, 48_500, 49_000, 10); // jittered stamp -> 0.0003: -14.7
    ex.onCandle('BTCUSDT', T0 + 24 * H, 50_000, 50_000, 50_000, 50_000, 10); // no entry: latest (0.0003) -> -15
    await order('BTCUSDT', 'sell', 'market', 1);
    ex.onCandle('BTCUSDT', T0 + 32 * H, 50_000, 50_000, 50_000, 50_000, 10); // flat: nothing
    expect(funding.map((f) => [f.timeMs - T0, f.rate, f.markPrice])).toEqual([
      [0, 0.0001, 50_000],
      [8 * H, -0.0002, 51_000],
      [16 * H, 0.0003, 49_000],
      [24 * H, 0.0003, 50_000],
    ]);
    const amounts = funding.map((f) => f.amount);
    [-5, 10.2, -14.7, -15].forEach((v, i) => expect(amounts[i]).toBeCloseTo(v, 9));
    // paid = 5 - 10.2 + 14.7 + 15 = 24.5
    expect(trades[0].funding).toBeCloseTo(24.5, 9);
    expect(ex.totals().funding).toBeCloseTo(24.5, 9);
    expect(ex.walletBalance()).toBeCloseTo(99_975.5, 9);
  });

  it('pays a short the constant rate without a series and settles once per 4h boundary under 1h candles', async () => {
    const { ex, order, funding } = setup({ fundingIntervalHours: 4, fundingRatePerInterval: 0.0005 });
    ex.onCandle('XUSDT', T0, 100, 100, 100, 100, 100);
    await order('XUSDT', 'sell', 'market', 2);
    for (let h = 1; h <= 9; h++) ex.onCandle('XUSDT', T0 + h * H, 100, 100, 100, 100, 100);
    // settlements at 04:00 and 08:00: each +1 * 2 * 100 * 0.0005 = +0.1
    expect(funding.map((f) => f.timeMs - T0)).toEqual([4 * H, 8 * H]);
    expect(funding[0].amount).toBeCloseTo(0.1, 12);
    expect(ex.walletBalance()).toBeCloseTo(10_000.2, 9);
  });

  it('does not charge a settlement to a position opened between candles after it (clock past the candle close)', async () => {
    const { ex, clock, order, funding, trades } = setup({ initialBalance: 100_000, fundingRatePerInterval: 0.0001 });
    ex.onCandle('BTCUSDT', T0 + 7 * H, 50_000, 50_000, 50_000, 50_000, 10);
    clock.set(T0 + 8 * H + 5_000); // 08:00:05, after the 08:00 settlement; the 08:00 candle not yet processed
    await order('BTCUSDT', 'buy', 'market', 1);
    ex.onCandle('BTCUSDT', T0 + 8 * H, 50_000, 50_000, 50_000, 50_000, 10);
    expect(funding).toEqual([]); // not open at 08:00: charged 0
    clock.set(T0 + 9 * H);
    await order('BTCUSDT', 'sell', 'market', 1);
    expect(trades[0].funding).toBe(0);
    expect(ex.walletBalance()).toBeCloseTo(100_000, 9);
  });

  it('charges a settlement to a position held through it and closed between candles after it', async () => {
    const { ex, clock, order, funding, trades } = setup({ initialBalance: 100_000, fundingRatePerInterval: 0.0001 });
    ex.onCandle('BTCUSDT', T0 + 7 * H, 50_000, 50_000, 50_000, 50_000, 10);
    clock.set(T0 + 7 * H + 30 * 60_000);
    await order('BTCUSDT', 'buy', 'market', 1);
    clock.set(T0 + 8 * H + 5_000); // held at 08:00, sold at 08:00:05, before the 08:00 candle
    await order('BTCUSDT', 'sell', 'market', 1);
    // -1 * 50,000 (the last mark) * 0.0001 = -5, booked before the exit and carried by the closed trade
    expect(funding).toHaveLength(1);
    expect(funding[0]).toMatchObject({ timeMs: T0 + 8 * H, rate: 0.0001, markPrice: 50_000, positionAmount: 1 });
    expect(funding[0].amount).toBeCloseTo(-5, 9);
    expect(trades[0].funding).toBeCloseTo(5, 9);
    ex.onCandle('BTCUSDT', T0 + 8 * H, 50_000, 50_000, 50_000, 50_000, 10);
    expect(funding).toHaveLength(1); // not charged again
    expect(ex.totals().funding).toBeCloseTo(5, 9);
    expect(ex.walletBalance()).toBeCloseTo(99_995, 9);
  });

  it('credits funding to the isolated margin, moving the liquidation price', async () => {
    const { ex, order } = setup({ marginMode: 'isolated', leverage: 10, fundingRatePerInterval: 0.001 });
    ex.onCandle('BTCUSDT', T0 - H, 60_000, 60_000, 60_000, 60_000, 100);
    await order('BTCUSDT', 'buy', 'market', 0.5); // isolated margin 3,000
    ex.onCandle('BTCUSDT', T0, 60_000, 60_000, 60_000, 60_000, 100); // pays 0.5 * 60,000 * 0.001 = 30
    const position = ex.positionOf('BTCUSDT')!;
    expect(position.margin).toBeCloseTo(2_970, 9);
    // LP = (2970 - 30000) / (0.002 - 0.5) = 27,030 / 0.498
    expect(position.liquidationPrice).toBeCloseTo(27_030 / 0.498, 6);
  });

  if (hasData) {
    it('settles a 10,000 XRP long over the real XRPUSDT series, including the 2021-12-04 outlier', async () => {
      const series = parseFundingRateCsv(fs.readFileSync(path.join(dataDir, 'XRPUSDT_funding_8h.csv'), 'utf8'));
      const candles = fs
        .readFileSync(path.join(dataDir, 'XRPUSDT_8h_candles.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map(Number));
      const { ex, order, funding } = setup({ initialBalance: 100_000, fundingRates: { XRPUSDT: series } });
      const [t0, o0, h0, l0, c0] = candles[0];
      ex.onCandle('XRPUSDT', t0, o0, h0, l0, c0, 1e9);
      await order('XRPUSDT', 'buy', 'market', 10_000); // at 1.1074
      for (const [t, o, h, l, c] of candles.slice(1)) ex.onCandle('XRPUSDT', t, o, h, l, c, 1e9);
      expect(funding).toHaveLength(90);
      // 2021-11-18 08:00: rate 0.0001 (stamp 1637222400007), open 1.1075 -> -10,000 * 1.1075 * 0.0001 = -1.1075
      expect(funding[0]).toMatchObject({ timeMs: 1637222400000, rate: 0.0001, markPrice: 1.1075 });
      expect(funding[0].amount).toBeCloseTo(-1.1075, 10);
      // 16:00: open 1.0564 -> -1.0564
      expect(funding[1].amount).toBeCloseTo(-1.0564, 10);
      // 2021-12-04 08:00: rate -0.00219334, open 0.7497 -> +10,000 * 0.7497 * 0.00219334 = +16.44346998
      const outlier = funding.find((f) => f.timeMs === 1638604800000)!;
      expect(outlier.rate).toBe(-0.00219334);
      expect(outlier.amount).toBeCloseTo(16.44346998, 8);
      // reference: join each candle open with the CSV row on the same 8h boundary
      let expectedChange = 0;
      for (const [t, o] of candles.slice(1)) {
        const row = [...series.timestampsMs].findIndex((ts) => Math.floor(ts / (8 * H)) * 8 * H === t);
        expectedChange += -10_000 * o * series.rates[row];
      }
      expect(ex.walletBalance() - 100_000).toBeCloseTo(expectedChange, 9);
    });
  } else {
    it('needs no shared data for the real funding series when it is absent', () => {
      console.log(`shared data not found at ${dataDir}: real-data suite not run`);
      expect(hasData).toBe(false);
    });
  }
});

describe('order admission', () => {
  it('rejects leverage above the max of the tier the resulting notional falls in', async () => {
    const { ex, order } = setup({ initialBalance: 100_000, leverage: 125 });
    ex.onCandle('BTCUSDT', 0, 60_000, 60_000, 60_000, 60_000, 100);
    const big = await order('BTCUSDT', 'buy', 'market', 1); // 60,000 notional -> tier 2, max 100x
    expect(big.status).toBe('rejected');
    expect(big.reason).toBe('leverage 125x exceeds the max 100x of BTCUSDT tier 2 for notional 60000 USDT');
    expect((await order('BTCUSDT', 'buy', 'market', 0.5)).status).toBe('filled'); // 30,000 -> tier 1, 125x ok
    const add = await order('BTCUSDT', 'buy', 'limit', 0.5, { price: 60_000 }); // would reach 60,000
    expect(add.status).toBe('rejected');
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0.5);
  });

  it('rejects a notional past the last tier cap and an order without enough margin', async () => {
    const rich = setup({ initialBalance: 1e9 });
    rich.ex.onCandle('BTCUSDT', 0, 60_000, 60_000, 60_000, 60_000, 1e6);
    expect((await rich.order('BTCUSDT', 'buy', 'market', 250)).reason).toBe(
      'notional 15000000 USDT of BTCUSDT exceeds the last margin tier cap 12000000 USDT',
    );
    const poor = setup({ initialBalance: 1_000, leverage: 10 });
    poor.ex.onCandle('BTCUSDT', 0, 60_000, 60_000, 60_000, 60_000, 100);
    const rejected = await poor.order('BTCUSDT', 'buy', 'market', 1);
    expect(rejected.status).toBe('rejected');
    expect(rejected.reason).toBe('insufficient margin: BTCUSDT buy of 1 at 60000 needs 6000 USDT (initial margin + fee), available 1000 USDT');
  });

  it('rejects a market order before any candle gave a price', async () => {
    const { order } = setup();
    expect((await order('BTCUSDT', 'buy', 'market', 1)).reason).toBe('no BTCUSDT price yet: a market order needs a processed candle');
  });

  it('treats a repeated clientOrderId as a no-op returning the first order', async () => {
    const { ex, fills } = setup({ initialBalance: 100_000 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 100);
    const first = await ex.createOrder({ clientOrderId: 'dup', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 });
    const wallet = ex.walletBalance();
    const again = await ex.createOrder({ clientOrderId: 'dup', symbol: 'BTCUSDT', side: 'sell', type: 'market', amount: 5 });
    expect(again).toEqual(first);
    expect(fills).toHaveLength(1);
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(1);
    expect(ex.walletBalance()).toBe(wallet);
  });

  it('never lets a reduce-only order open or flip a position', async () => {
    const { ex, order } = setup({ initialBalance: 100_000 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 100);
    expect((await order('BTCUSDT', 'sell', 'market', 1, { reduceOnly: true })).status).toBe('rejected');
    await order('BTCUSDT', 'buy', 'market', 1);
    expect((await order('BTCUSDT', 'buy', 'market', 1, { reduceOnly: true })).status).toBe('rejected');
    const exit = await order('BTCUSDT', 'sell', 'market', 3, { reduceOnly: true });
    expect(exit).toMatchObject({ status: 'cancelled', filled: 1 });
    expect(exit.reason).toBe('reduce-only remainder of 2 BTCUSDT cancelled: position closed');
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
  });

  it('closes then opens on a flip, journaling the closed long', async () => {
    const { ex, order, trades } = setup({ initialBalance: 100_000 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 100);
    await order('BTCUSDT', 'buy', 'market', 1);
    ex.onCandle('BTCUSDT', H, 110, 110, 110, 110, 100);
    await order('BTCUSDT', 'sell', 'market', 3);
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ side: 'long', amount: 1, entryPrice: 100, exitPrice: 110, realizedPnl: 10 });
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(-2);
    expect(ex.positionOf('BTCUSDT')!.entryPrice).toBe(110);
  });
});

describe('cancel, market data and lifecycle', () => {
  it('cancels a resting order, returns a filled one unchanged and refuses an unknown id', async () => {
    const { ex, order } = setup({ initialBalance: 100_000 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 100);
    const filled = await order('BTCUSDT', 'buy', 'market', 1);
    expect(await ex.cancelOrder(filled.id, 'BTCUSDT')).toEqual(filled);
    const resting = await order('BTCUSDT', 'buy', 'limit', 1, { price: 90 });
    const cancelled = await ex.cancelOrder(resting.id, 'BTCUSDT');
    expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'cancelled by request' });
    expect(ex.openOrders()).toHaveLength(0);
    await expect(ex.cancelOrder('nope', 'BTCUSDT')).rejects.toMatchObject({ failure: 'non_retryable' });
  });

  it('has no market data without a candle source and delegates to one when given', async () => {
    const { ex } = setup();
    await expect(ex.fetchOhlcv('BTCUSDT', '1h')).rejects.toThrow(new ExchangeError('non_retryable', 'paper exchange has no market data source'));
    const candle = { openTimeMs: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 };
    const withSource = createPaperExchange(
      { marketType: 'spot', initialBalance: 1, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
      { clock: createManualClock(0), candleSource: { fetchOhlcv: async () => [candle] } },
    );
    expect(await withSource.fetchOhlcv('BTCUSDT', '1h')).toEqual([candle]);
  });

  it('closes idempotently and refuses orders afterwards', async () => {
    const { ex, order } = setup();
    await ex.close();
    await ex.close();
    await expect(order('BTCUSDT', 'buy', 'market', 1)).rejects.toBeInstanceOf(ExchangeError);
  });

  it('throws on a candle that does not advance in time or is inconsistent', () => {
    const { ex } = setup();
    ex.onCandle('BTCUSDT', H, 100, 100, 100, 100, 1);
    expect(() => ex.onCandle('BTCUSDT', H, 100, 100, 100, 100, 1)).toThrow(ValidationError);
    expect(() => ex.onCandle('BTCUSDT', 2 * H, 100, 99, 98, 100, 1)).toThrow(ValidationError);
    expect(() => ex.onCandle('BTCUSDT', 2 * H, 100, 100, 100, Number.NaN, 1)).toThrow(ValidationError);
  });
});

type Op =
  | { k: 'candle'; s: number; gap: number; ret: number; up: number; down: number; vol: number }
  | { k: 'market' | 'limit' | 'stop'; s: number; buy: boolean; frac: number; offset: number; reduceOnly: boolean }
  | { k: 'cancel'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    k: fc.constant('candle' as const),
    s: fc.integer({ min: 0, max: 1 }),
    gap: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
    ret: fc.double({ min: -0.3, max: 0.3, noNaN: true }),
    up: fc.double({ min: 0, max: 0.3, noNaN: true }),
    down: fc.double({ min: 0, max: 0.3, noNaN: true }),
    vol: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1_000, noNaN: true })),
  }) },
  { weight: 3, arbitrary: fc.record({
    k: fc.constantFrom('market' as const, 'limit' as const, 'stop' as const),
    s: fc.integer({ min: 0, max: 1 }),
    buy: fc.boolean(),
    frac: fc.double({ min: 0.001, max: 3, noNaN: true }),
    offset: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
    reduceOnly: fc.integer({ min: 0, max: 3 }).map((i) => i === 0),
  }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
);

const configArb = fc.record({
  marketType: fc.constantFrom('spot' as const, 'futures' as const),
  marginMode: fc.constantFrom('isolated' as const, 'cross' as const),
  leverage: fc.integer({ min: 1, max: 50 }),
  makerFeeBps: fc.double({ min: -1, max: 5, noNaN: true }),
  takerFeeBps: fc.double({ min: 0, max: 10, noNaN: true }),
  spreadBps: fc.double({ min: 0, max: 10, noNaN: true }),
  slippageBps: fc.double({ min: 0, max: 10, noNaN: true }),
  maxVolumeShare: fc.double({ min: 0.05, max: 1, noNaN: true }),
  fundingRatePerInterval: fc.double({ min: -0.002, max: 0.002, noNaN: true }),
});

describe('accounting invariant (property)', () => {
  it('keeps equity = initial + realised + unrealised - fees - funding = initial + cash flows + holdings at mark', async () => {
    const seen = { fills: 0, liquidations: 0, fundings: 0, trades: 0 };
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { minLength: 5, maxLength: 80, size: 'max' }), async (raw, ops) => {
        const config: PaperExchangeConfig = { ...raw, initialBalance: 10_000, leverage: raw.marketType === 'spot' ? 1 : raw.leverage };
        const symbols = ['AAAUSDT', 'BBBUSDT'];
        const cashFlow = { value: 0 };
        const holdings = [0, 0];
        let feeSum = 0;
        let fundingSum = 0;
        const ex = createPaperExchange(config, {
          clock: createManualClock(0),
          listener: {
            onFill: (f) => {
              const signed = f.side === 'buy' ? f.amount : -f.amount;
              cashFlow.value += -signed * f.price - f.fee;
              holdings[symbols.indexOf(f.symbol)] += signed;
              feeSum += f.fee;
              seen.fills++;
            },
            onLiquidation: () => seen.liquidations++,
            onTradeClosed: () => seen.trades++,
            onFunding: (f) => {
              cashFlow.value += f.amount;
              fundingSum -= f.amount;
              seen.fundings++;
            },
          },
        });
        const close = [100, 50];
        const time = [0, 0];
        const orderIds: [string, string][] = [];
        for (let s = 0; s < 2; s++) ex.onCandle(symbols[s], 0, close[s], close[s], close[s], close[s], 500);
        let n = 0;
        for (const op of ops) {
          if (op.k === 'candle') {
            const open = close[op.s] * (1 + op.gap);
            const c = open * (1 + op.ret);
            time[op.s] += 4 * H;
            ex.onCandle(symbols[op.s], time[op.s], open, Math.max(open, c) * (1 + op.up), Math.min(open, c) * (1 - op.down), c, op.vol);
            close[op.s] = c;
          } else if (op.k === 'cancel') {
            if (orderIds.length > 0) {
              const [id, symbol] = orderIds[op.pick % orderIds.length];
              await ex.cancelOrder(id, symbol);
            }
          } else {
            const symbol = symbols[op.s];
            const amount = (op.frac * 10_000) / close[op.s] / 4;
            const ref = close[op.s] * (1 + op.offset);
            const placed = await ex.createOrder({
              clientOrderId: `p${++n}`,
              symbol,
              side: op.buy ? 'buy' : 'sell',
              type: op.k,
              amount,
              price: op.k === 'limit' ? ref : undefined,
              stopPrice: op.k === 'stop' ? ref : undefined,
              reduceOnly: op.reduceOnly,
            });
            orderIds.push([placed.id, symbol]);
          }
          const totals = ex.totals();
          const equity = ex.equity();
          expect(Number.isFinite(equity)).toBe(true);
          expect(Number.isFinite(ex.walletBalance())).toBe(true);
          const tolerance = 1e-7 * (10_000 * config.leverage! * 10);
          expect(Math.abs(equity - (10_000 + totals.realizedPnl + totals.unrealizedPnl - totals.fees - totals.funding))).toBeLessThan(tolerance);
          const markToMarket = 10_000 + cashFlow.value + holdings[0] * ex.lastPrice(symbols[0]) + holdings[1] * ex.lastPrice(symbols[1]);
          expect(Math.abs(equity - markToMarket)).toBeLessThan(tolerance);
          expect(Math.abs(totals.fees - feeSum)).toBeLessThan(tolerance);
          expect(Math.abs(totals.funding - fundingSum)).toBeLessThan(tolerance);
          for (let s = 0; s < 2; s++) {
            const amount = ex.positionAmountSigned(symbols[s]);
            expect(Math.abs(amount - holdings[s])).toBeLessThan(1e-9 * Math.max(1, Math.abs(holdings[s])));
            if (config.marketType === 'spot') expect(amount).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: 300 },
    );
    // the generated sequences do reach fills, round trips, funding and liquidations
    console.log(`invariant property exercised ${JSON.stringify(seen)}`);
    expect(Math.min(seen.fills, seen.trades, seen.fundings, seen.liquidations)).toBeGreaterThan(0);
  });
});

describe('intrabar path, partial exits and the end-of-run close', () => {
  it('fills resting orders on one side nearest to the open first, and reports a completed partial exit as its own part', async () => {
    // Long 10 at 100 (taker 10 bps: entry fee 1). Two reduce-only sell limits (maker 2 bps) at 104 (4 units)
    // and 102 (3 units). The bearish candle goes open 100 → high 105 first: 102 is nearer the open, so it fills first.
    const { ex, order, trades, fills } = setup({ takerFeeBps: 10, makerFeeBps: 2 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 1_000);
    await order('BTCUSDT', 'buy', 'market', 10);
    await order('BTCUSDT', 'sell', 'limit', 4, { price: 104, reduceOnly: true });
    await order('BTCUSDT', 'sell', 'limit', 3, { price: 102, reduceOnly: true });
    ex.onCandle('BTCUSDT', H, 100, 105, 98, 99, 1_000);
    expect(fills.slice(1).map((f) => [f.price, f.amount])).toEqual([[102, 3], [104, 4]]);
    // Part 1: 3 at 102, gross 6, fees 1 × 3/10 + 3 × 102 × 0.0002 = 0.3 + 0.0612.
    // Part 2: 4 at 104, gross 16, fees (1 − 0.3) × 4/7 + 4 × 104 × 0.0002 = 0.4 + 0.0832.
    expect(trades.map((t) => [t.amount, t.entryPrice, t.exitPrice, t.realizedPnl, t.exitReason, t.exitClientOrderId])).toEqual([
      [3, 100, 102, 6, 'reduce', 'c3'],
      [4, 100, 104, 16, 'reduce', 'c2'],
    ]);
    expect(trades[0].fees).toBeCloseTo(0.3612, 12);
    expect(trades[1].fees).toBeCloseTo(0.4832, 12);
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(3);
  });

  it('closes a whole position at the last close whatever the volume cap, with the remaining entry fees', async () => {
    // Volume cap 10 % of 100 = 10 per candle; long 10 at 100 × 1.0003 (spread 2 bps / 2 + slippage 2 bps), taker 10 bps.
    const { ex, order, trades } = setup({ marketType: 'spot', takerFeeBps: 10, spreadBps: 2, slippageBps: 2, maxVolumeShare: 0.1 });
    ex.onCandle('BTCUSDT', 0, 100, 100, 100, 100, 100);
    await order('BTCUSDT', 'buy', 'market', 10);
    await order('BTCUSDT', 'sell', 'stop', 10, { stopPrice: 90, reduceOnly: true });
    ex.onCandle('BTCUSDT', H, 100, 111, 100, 110, 50);
    // Candle volume 50: a market sell could take 5 units; the close takes all 10 at 110 × 0.9997 = 109.967 and cancels the stop.
    ex.closePositionAtLast(ex.symbolIndex('BTCUSDT'), 'run-close-1');
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
    expect(ex.openOrders('BTCUSDT')).toEqual([]);
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ amount: 10, exitReason: 'reduce', exitClientOrderId: 'run-close-1' });
    expect(trades[0].entryPrice).toBeCloseTo(100.03, 10);
    expect(trades[0].exitPrice).toBeCloseTo(109.967, 10);
    // Gross (109.967 − 100.03) × 10 = 99.37; fees 10 × 100.03 × 0.001 + 10 × 109.967 × 0.001 = 1.0003 + 1.09967.
    expect(trades[0].realizedPnl).toBeCloseTo(99.37, 9);
    expect(trades[0].fees).toBeCloseTo(2.09997, 10);
    expect(ex.equity()).toBeCloseTo(10_000 + 99.37 - 2.09997, 9);
  });
});

describe('retainFinishedOrders', () => {
  const config = { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 0, takerFeeBps: 0, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 } as const;

  it('forgets the oldest finished orders once twice the bound are held, keeping open ones and the most recent', async () => {
    const ex = createPaperExchange(config, { clock: createManualClock(0), retainFinishedOrders: 2 });
    ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
    // A resting limit far below the market stays open; market buys fill at once (finished).
    const resting = await ex.createOrder({ clientOrderId: 'rest', symbol: 'BTCUSDT', side: 'buy', type: 'limit', amount: 1, price: 50 });
    const filled = [];
    for (let k = 1; k <= 4; k++) filled.push(await ex.createOrder({ clientOrderId: `m${k}`, symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }));
    // Creating m4, 4 orders were held (rest, m1..m3; 3 finished): the oldest finished beyond 2, m1, was forgotten.
    await expect(ex.fetchOrder(filled[0].id, 'BTCUSDT')).rejects.toThrow(/is unknown/);
    expect((await ex.fetchOrder(filled[1].id, 'BTCUSDT')).status).toBe('filled');
    // Creating m5: rest, m2, m3, m4 held, m2 goes.
    await ex.createOrder({ clientOrderId: 'm5', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 });
    await expect(ex.fetchOrder(filled[1].id, 'BTCUSDT')).rejects.toThrow(/is unknown/);
    expect((await ex.fetchOrder(filled[2].id, 'BTCUSDT')).status).toBe('filled');
    expect((await ex.fetchOrder(filled[3].id, 'BTCUSDT')).status).toBe('filled');
    expect((await ex.fetchOrder(resting.id, 'BTCUSDT')).status).toBe('new');
  });

  it('gives a new order the record of a forgotten one with none of its old state (trigger, price, fills, reason)', async () => {
    const clock = createManualClock(0);
    const ex = createPaperExchange(config, { clock, retainFinishedOrders: 1 });
    ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
    // paper-1: a buy stop at 150, triggered and filled on the next candle (high 160) at max(150, open 120) = 150.
    await ex.createOrder({ clientOrderId: 's1', symbol: 'BTCUSDT', side: 'buy', type: 'stop', amount: 1, stopPrice: 150 });
    ex.onCandle('BTCUSDT', 300_000, 120, 160, 119, 155, 1_000);
    expect((await ex.fetchOrder('paper-1', 'BTCUSDT')).status).toBe('filled');
    // paper-2: a market sell of the holding at the last close, 155.
    clock.set(600_000);
    expect((await ex.createOrder({ clientOrderId: 'm2', symbol: 'BTCUSDT', side: 'sell', type: 'market', amount: 1 })).averagePrice).toBe(155);
    // paper-3: two finished orders are held (twice the bound), so paper-1 is forgotten and paper-3 takes its record.
    const stop = await ex.createOrder({ clientOrderId: 's3', symbol: 'BTCUSDT', side: 'buy', type: 'stop', amount: 2, stopPrice: 1_000 });
    await expect(ex.fetchOrder('paper-1', 'BTCUSDT')).rejects.toThrow(/is unknown/);
    const fresh = {
      id: 'paper-3',
      clientOrderId: 's3',
      symbol: 'BTCUSDT',
      side: 'buy',
      type: 'stop',
      status: 'new',
      amount: 2,
      filled: 0,
      price: null,
      stopPrice: 1_000,
      averagePrice: NaN,
      fee: 0,
      reduceOnly: false,
      createdAtMs: 600_000,
      updatedAtMs: 600_000,
      reason: null,
    };
    expect(stop).toEqual(fresh);
    // Not triggered: a candle whose high (200) stays below 1,000 leaves it resting (a kept trigger would fill it at the open).
    ex.onCandle('BTCUSDT', 900_000, 160, 200, 150, 170, 1_000);
    expect(await ex.fetchOrder('paper-3', 'BTCUSDT')).toEqual(fresh);
    expect(ex.positionAmountSigned('BTCUSDT')).toBe(0);
  });

  it('answers repeated client ids, fetches, cancels and exports its orders with a bound as without one', async () => {
    const run = async (retainFinishedOrders?: number) => {
      const ex = createPaperExchange(config, { clock: createManualClock(0), ...(retainFinishedOrders === undefined ? {} : { retainFinishedOrders }) });
      ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
      const seen: unknown[] = [];
      seen.push(await ex.createOrder({ clientOrderId: 'rest', symbol: 'BTCUSDT', side: 'buy', type: 'limit', amount: 1, price: 50 }));
      seen.push(await ex.createOrder({ clientOrderId: 'm1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }));
      seen.push(await ex.createOrder({ clientOrderId: 'far', symbol: 'BTCUSDT', side: 'buy', type: 'limit', amount: 1, price: 40 }));
      // A repeated client id answers with its order (no second fill); cancels and fetches find orders by id.
      seen.push(await ex.createOrder({ clientOrderId: 'm1', symbol: 'BTCUSDT', side: 'buy', type: 'market', amount: 1 }));
      seen.push(await ex.cancelOrder('paper-3', 'BTCUSDT'));
      seen.push(await ex.fetchOrder('paper-1', 'BTCUSDT'));
      seen.push(await ex.cancelOrder('paper-9', 'BTCUSDT').catch((error: Error) => error.message));
      seen.push(ex.positionAmountSigned('BTCUSDT'));
      seen.push(ex.exportState());
      return seen;
    };
    const unbounded = await run();
    expect(unbounded[3]).toEqual(unbounded[1]);
    expect(unbounded[7]).toBe(1);
    // A bound of 10 forgets nothing in 3 orders: everything reads alike.
    expect(await run(10)).toEqual(unbounded);
  });

  it('finds a repeated client id given in parts or whole, timed before, at or after the newest held', () => {
    const ex = createPaperExchange(config, { clock: createManualClock(0), retainFinishedOrders: 64 });
    ex.onCandle('BTCUSDT', 0, 100, 101, 99, 100, 1_000);
    const out = createOrderSnapshot();
    const place = (r: OrderRequest | StemmedOrderRequest) => {
      ex.placeOrderSync(r, out);
      return out.id;
    };
    const limit = { symbol: 'BTCUSDT', side: 'buy', type: 'limit', amount: 1, price: 50 } as const;
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 300_000 } as StemmedOrderRequest)).toBe('paper-1');
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 600_000 } as StemmedOrderRequest)).toBe('paper-2');
    // Earlier and equal times than the newest held: found by the scan.
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 300_000 } as StemmedOrderRequest)).toBe('paper-1');
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 600_000 } as StemmedOrderRequest)).toBe('paper-2');
    // A later time is new; the same id given whole is the same order.
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 900_000 } as StemmedOrderRequest)).toBe('paper-3');
    expect(place({ ...limit, clientOrderId: 'e-900000' })).toBe('paper-3');
    // An id given whole, timed (as parts) after every held id in parts, still answers a request in parts.
    expect(place({ ...limit, clientOrderId: 'e-5000000' })).toBe('paper-4');
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 5_000_000 } as StemmedOrderRequest)).toBe('paper-4');
    expect(place({ ...limit, clientOrderId: 'e-', clientIdTimeMs: 6_000_000 } as StemmedOrderRequest)).toBe('paper-5');
    expect(ex.exportState().orders.map((o) => o.clientOrderId)).toEqual(['e-300000', 'e-600000', 'e-900000', 'e-5000000', 'e-6000000']);
  });

  it('refuses a bound that is not an integer >= 1, naming it', () => {
    expect(() => createPaperExchange(config, { clock: createManualClock(0), retainFinishedOrders: 0 })).toThrow(/field "deps.retainFinishedOrders" was 0/);
  });
});

describe('idle rows in bulk', () => {
  /** Hourly candles from 00:30 UTC, closes drifting up 1 per hour from 100 (funding settles at 08:00, 16:00, 00:00). */
  function hourly(count: number, lowAt = -1) {
    const rows = Array.from({ length: count }, (_, k) => {
      const close = 100 + k;
      return { openTimeMs: T0 + H / 2 + k * H, open: close - 0.5, high: close + 1, low: k === lowAt ? 0 : close - 1, close, volume: 50 };
    });
    return candleColumnsFromRows(rows);
  }

  it('leaves an idle symbol exactly as onCandleRow row by row, funding times included', async () => {
    const one = setup({ fundingRatePerInterval: 0.0001 });
    const bulk = setup({ fundingRatePerInterval: 0.0001 });
    const candles = hourly(40);
    const a = one.ex.symbolIndex('BTC/USDT');
    const b = bulk.ex.symbolIndex('BTC/USDT');
    expect(bulk.ex.isIdle(b)).toBe(true);
    for (let row = 0; row < 30; row++) one.ex.onCandleRow(a, candles, row);
    bulk.ex.onIdleRows(b, candles, 0, 30);
    expect(bulk.ex.exportState()).toEqual(one.ex.exportState());
    // A long of 1 opened at row 30 (day 2, 06:30) pays the 08:00 settlement on row 32 (opens 08:30) at its open, 131.5:
    // 1 × 131.5 × 0.0001 = 0.01315 on both, so the funding clock moved on alike (row 39 opens 15:30, before 16:00).
    for (const { ex, order, clock } of [one, bulk]) {
      clock.set(candles.openTimeMs[30]);
      await order('BTC/USDT', 'buy', 'market', 1);
      for (let row = 30; row < 40; row++) ex.onCandleRow(ex.symbolIndex('BTC/USDT'), candles, row);
    }
    expect(one.funding.map((f) => [f.timeMs, f.markPrice])).toEqual([[T0 + 32 * H, 131.5]]);
    expect(Math.abs(one.funding[0].amount)).toBeCloseTo(0.01315, 12);
    expect(bulk.funding).toEqual(one.funding);
    expect(bulk.ex.exportState()).toEqual(one.ex.exportState());
    expect(bulk.ex.isIdle(b)).toBe(false);
    expect(() => bulk.ex.onIdleRows(b, candles, 39, 40)).toThrow(RangeError);
  });

  it('throws the row-by-row error at the first bad row, with the rows before it settled', () => {
    const one = setup();
    const bulk = setup();
    const candles = hourly(10, 6);
    const a = one.ex.symbolIndex('BTC/USDT');
    const b = bulk.ex.symbolIndex('BTC/USDT');
    let expected: unknown;
    try {
      for (let row = 0; row < 10; row++) one.ex.onCandleRow(a, candles, row);
    } catch (error) {
      expected = error;
    }
    expect(expected).toBeInstanceOf(ValidationError);
    expect(() => bulk.ex.onIdleRows(b, candles, 0, 10)).toThrow((expected as Error).message);
    expect(bulk.ex.exportState()).toEqual(one.ex.exportState());
  });
});
