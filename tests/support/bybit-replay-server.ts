/**
 * A loopback HTTP server that answers like Bybit's v5 API (unified trading account, linear USDT
 * perpetuals) for the endpoints ccxt 4.5's `bybit` class calls, so the ccxt adapter can be tested with
 * ccxt UNMODIFIED: only its `urls.api` entries point here (`urls`). The Binance replay server
 * (binance-replay-server.ts) is the model: same options, fault injection and request log.
 *
 * - Bodies follow Bybit v5's shapes (`{ retCode, retMsg, result, retExtInfo, time }`, numbers as strings),
 *   as the v5 docs and the response comments in ccxt's bybit.js show them: instruments-info, kline (newest
 *   first, the candle in progress included, as Bybit serves it), tickers (funding rate, mark price),
 *   risk-limit tiers, order create/cancel (ids only), order realtime, position list, wallet balance,
 *   set-leverage (110043 when unchanged) and set-margin-mode (account-wide on a unified account).
 * - A tiny venue: market orders (and marketable limits) fill at once at the symbol's price with Bybit's
 *   perpetual taker fee (0.055 %, in USDT, reported in `cumExecFee` and `cumFeeDetail`); other limits rest
 *   until cancelled and hold their initial margin. One-way positions, default leverage 10.
 * - Conditional orders (`triggerPrice` + `triggerDirection`, 1 rising / 2 falling) rest as `Untriggered`
 *   and are cancelled to `Deactivated`; one that would trigger at once is refused with 110092 / 110093.
 *   `setPrice` triggers the others: they fill as market orders under their own id.
 * - Refusals with Bybit's codes: 110007 (insufficient available balance), 110017 (reduce-only order with
 *   no position to reduce), 110072 (duplicate orderLinkId), 110001 (cancel of an order that is not open),
 *   110094 (below the minimum notional), 10003 (invalid API key).
 * - Fault injection per request (`inject`): 10006 rate limit, a delay (optionally after the request was
 *   processed, like a lost answer), a partial fill, a rejection with a code, an invalid API key, or an
 *   exact body. Every request is recorded in `requests` (query or JSON body; signing headers dropped).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sawToothCandle, type ScriptedKline } from './binance-replay-server';
import { createReplayLog, listenReplayServer, readReplayRequest, type ReplayRequest } from './replay-http';

/** A fault for the next matching request(s). */
export type BybitReplayFault =
  | { kind: 'rate_limit' }
  | { kind: 'delay'; delayMs: number; process?: boolean }
  | { kind: 'partial_fill'; ratio?: number }
  | { kind: 'reject'; retCode: number; retMsg: string }
  | { kind: 'auth' }
  | { kind: 'body'; body: unknown };

export interface BybitReplayOrder {
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: 'Buy' | 'Sell';
  orderType: 'Market' | 'Limit';
  orderStatus: 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Untriggered' | 'Deactivated' | 'Rejected';
  price: number;
  qty: number;
  cumExecQty: number;
  cumExecValue: number;
  cumExecFee: number;
  triggerPrice: number;
  /** 0 none, 1 rising, 2 falling. */
  triggerDirection: 0 | 1 | 2;
  reduceOnly: boolean;
  createdTimeMs: number;
  updatedTimeMs: number;
}

export interface BybitReplayServerOptions {
  /** Server clock, ms; default 2024-01-02T00:00:00Z. */
  nowMs?: number;
  /** Server clock read on every request (overrides `nowMs`). */
  clock?: () => number;
  /** Accepted API key; any other key on a private endpoint answers 10003. Default: any key. */
  apiKey?: string;
  /** Starting USDT wallet balance; default 10 000. */
  initialUsdt?: number;
  /** Scripted candles: the kline at an open time, or null for the synthetic saw-tooth. */
  klines?: (symbol: string, openTimeMs: number, intervalMs: number) => ScriptedKline | null;
}

export interface BybitReplayServer {
  readonly baseUrl: string;
  /** Every `urls.api` key ccxt's bybit class uses, pointed at this server. */
  readonly urls: Record<string, string>;
  readonly requests: ReplayRequest[];
  readonly orders: BybitReplayOrder[];
  /** Current account margin mode (set-margin-mode). */
  readonly marginMode: () => 'REGULAR_MARGIN' | 'ISOLATED_MARGIN';
  inject(match: { method?: string; path: string }, fault: BybitReplayFault, times?: number): void;
  /** Last traded (and mark) price of a Bybit symbol id such as "BTCUSDT"; triggers conditional orders it reaches. */
  setPrice(symbol: string, price: number): void;
  hits(pathname: string, method?: string): number;
  close(): Promise<void>;
}

const INTERVAL_MS: Record<string, number> = {
  '1': 60_000, '3': 180_000, '5': 300_000, '15': 900_000, '30': 1_800_000, '60': 3_600_000, '120': 7_200_000,
  '240': 14_400_000, '360': 21_600_000, '720': 43_200_000, D: 86_400_000, W: 604_800_000,
};
/** Bybit's standard perpetual fees (non-VIP): taker 0.055 %, maker 0.02 %. */
const TAKER_FEE = 0.00055;
const DEFAULT_LEVERAGE = 10;

interface Instrument {
  symbol: string;
  base: string;
  tick: number;
  step: number;
  minQty: number;
  minNotional: number;
  maxLeverage: number;
}

/** Bybit's published BTCUSDT / ETHUSDT perpetual filters. */
const INSTRUMENTS: Instrument[] = [
  { symbol: 'BTCUSDT', base: 'BTC', tick: 0.1, step: 0.001, minQty: 0.001, minNotional: 5, maxLeverage: 100 },
  { symbol: 'ETHUSDT', base: 'ETH', tick: 0.01, step: 0.01, minQty: 0.01, minNotional: 5, maxLeverage: 100 },
];
/** Risk-limit tiers (first tiers of Bybit's BTCUSDT / ETHUSDT tables): notional cap, maintenance rate, max leverage. */
const RISK_TIERS: Record<string, [number, number, number][]> = {
  BTCUSDT: [[2_000_000, 0.005, 100], [2_600_000, 0.0056, 80], [3_200_000, 0.0062, 66.66]],
  ETHUSDT: [[1_000_000, 0.005, 100], [1_400_000, 0.0058, 80], [1_800_000, 0.0066, 66.66]],
};

const dec = (n: number, digits = 8) => Number(n.toFixed(digits)).toString();

class BybitError extends Error {
  constructor(
    readonly retCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Binance replay server's saw-tooth candle as a Bybit kline row. */
function syntheticKline(symbol: string, openTimeMs: number, intervalMs: number, scripted: ScriptedKline | null): string[] {
  const { open, high, low, close, volume } = sawToothCandle(symbol, openTimeMs, intervalMs, scripted);
  return [String(openTimeMs), dec(open, 2), dec(high, 2), dec(low, 2), dec(close, 2), dec(volume, 3), dec(volume * close, 4)];
}

/** Starts the server on a free loopback port. */
export async function startBybitReplayServer(options: BybitReplayServerOptions = {}): Promise<BybitReplayServer> {
  const fixedNowMs = options.nowMs ?? Date.UTC(2024, 0, 2);
  const now = options.clock ?? (() => fixedNowMs);
  const log = createReplayLog<BybitReplayFault>();
  const { requests } = log;
  const orders: BybitReplayOrder[] = [];
  const prices = new Map<string, number>([['BTCUSDT', 42_000], ['ETHUSDT', 2_500]]);
  const positions = new Map<string, { size: number; entryPrice: number; realized: number; createdTimeMs: number }>();
  const leverage = new Map<string, number>([['BTCUSDT', DEFAULT_LEVERAGE], ['ETHUSDT', DEFAULT_LEVERAGE]]);
  let marginMode: 'REGULAR_MARGIN' | 'ISOLATED_MARGIN' = 'REGULAR_MARGIN';
  let wallet = options.initialUsdt ?? 10_000;
  let nextOrder = 1;

  const instrument = (symbol: string | undefined): Instrument => {
    const found = INSTRUMENTS.find((i) => i.symbol === symbol);
    if (!found) throw new BybitError(10001, 'params error: symbol invalid');
    return found;
  };
  const priceOf = (symbol: string) => prices.get(symbol) as number;
  const isOpen = (o: BybitReplayOrder) => o.orderStatus === 'New' || o.orderStatus === 'PartiallyFilled' || o.orderStatus === 'Untriggered';
  const unrealized = (symbol: string) => {
    const p = positions.get(symbol);
    return p ? (priceOf(symbol) - p.entryPrice) * p.size : 0;
  };
  const positionIm = (symbol: string) => {
    const p = positions.get(symbol);
    return p ? (Math.abs(p.size) * p.entryPrice) / (leverage.get(symbol) as number) : 0;
  };
  const orderIm = () =>
    orders.filter((o) => isOpen(o) && o.orderType === 'Limit' && !o.reduceOnly).reduce((sum, o) => sum + ((o.qty - o.cumExecQty) * o.price) / (leverage.get(o.symbol) as number), 0);
  const totals = () => {
    const im = INSTRUMENTS.reduce((sum, i) => sum + positionIm(i.symbol), 0);
    const upl = INSTRUMENTS.reduce((sum, i) => sum + unrealized(i.symbol), 0);
    const ordersIm = orderIm();
    return { im, upl, ordersIm, available: wallet + Math.min(upl, 0) - im - ordersIm };
  };

  function fill(o: BybitReplayOrder, qty: number, price: number): void {
    const fee = qty * price * TAKER_FEE;
    wallet -= fee;
    const signed = o.side === 'Buy' ? qty : -qty;
    const p = positions.get(o.symbol);
    if (!p || p.size === 0 || Math.sign(p.size) === Math.sign(signed)) {
      const size = (p?.size ?? 0) + signed;
      const entryPrice = p && p.size !== 0 ? (Math.abs(p.size) * p.entryPrice + qty * price) / Math.abs(size) : price;
      positions.set(o.symbol, { size, entryPrice, realized: (p?.realized ?? 0) - fee, createdTimeMs: p && p.size !== 0 ? p.createdTimeMs : now() });
    } else {
      const closing = Math.min(Math.abs(p.size), qty);
      const pnl = (price - p.entryPrice) * closing * Math.sign(p.size);
      wallet += pnl;
      const size = p.size + signed;
      if (Math.abs(size) < 1e-12) positions.delete(o.symbol);
      else if (Math.sign(size) === Math.sign(p.size)) positions.set(o.symbol, { ...p, size, realized: p.realized + pnl - fee });
      else positions.set(o.symbol, { size, entryPrice: price, realized: pnl - fee, createdTimeMs: now() });
    }
    o.cumExecQty += qty;
    o.cumExecValue += qty * price;
    o.cumExecFee += fee;
    o.orderStatus = o.cumExecQty >= o.qty - 1e-12 ? 'Filled' : 'PartiallyFilled';
    o.updatedTimeMs = now();
  }

  function placeOrder(params: Record<string, string>, partialRatio: number | null): { orderId: string; orderLinkId: string } {
    const i = instrument(params.symbol);
    if (params.category !== 'linear') throw new BybitError(10001, `params error: category ${params.category} is not served`);
    const orderLinkId = params.orderLinkId ?? '';
    if (orderLinkId !== '' && !/^[A-Za-z0-9_-]{1,36}$/.test(orderLinkId)) throw new BybitError(10001, 'params error: orderLinkId invalid');
    if (orderLinkId !== '' && orders.some((o) => o.orderLinkId === orderLinkId)) throw new BybitError(110072, 'OrderLinkedID is duplicate');
    const qty = Number(params.qty);
    if (!(qty >= i.minQty) || Math.abs(qty / i.step - Math.round(qty / i.step)) > 1e-6) throw new BybitError(10001, `params error: qty ${params.qty} invalid`);
    const orderType = params.orderType === 'Limit' ? 'Limit' : 'Market';
    const price = orderType === 'Limit' ? Number(params.price) : 0;
    if (orderType === 'Limit' && Math.abs(price / i.tick - Math.round(price / i.tick)) > 1e-6) throw new BybitError(10001, `params error: price ${params.price} invalid`);
    const last = priceOf(i.symbol);
    if (qty * (price || last) < i.minNotional) throw new BybitError(110094, 'Order does not meet minimum order value 5USDT');
    const side = params.side === 'Sell' ? 'Sell' : 'Buy';
    const reduceOnly = String(params.reduceOnly) === 'true';
    const triggerPrice = params.triggerPrice !== undefined ? Number(params.triggerPrice) : 0;
    const triggerDirection = (triggerPrice > 0 ? Number(params.triggerDirection) : 0) as 0 | 1 | 2;
    if (triggerPrice > 0) {
      if (triggerDirection === 1 && triggerPrice <= last) throw new BybitError(110092, `expect Rising, but trigger_price[${triggerPrice}] <= current[${last}]`);
      if (triggerDirection === 2 && triggerPrice >= last) throw new BybitError(110093, `expect Falling, but trigger_price[${triggerPrice}] >= current[${last}]`);
      if (triggerDirection !== 1 && triggerDirection !== 2) throw new BybitError(10001, 'params error: triggerDirection invalid');
    }
    const position = positions.get(i.symbol);
    if (reduceOnly && (!position || Math.sign(position.size) === (side === 'Buy' ? 1 : -1))) throw new BybitError(110017, 'Reduce-only rule not satisfied');
    if (!reduceOnly && triggerPrice === 0) {
      const notional = qty * (price || last);
      if (notional / (leverage.get(i.symbol) as number) + notional * TAKER_FEE > totals().available) throw new BybitError(110007, 'Insufficient available balance');
    }
    const o: BybitReplayOrder = {
      orderId: `bybit-replay-${String(nextOrder++).padStart(6, '0')}`,
      orderLinkId,
      symbol: i.symbol,
      side,
      orderType,
      orderStatus: triggerPrice > 0 ? 'Untriggered' : 'New',
      price,
      qty: reduceOnly && position ? Math.min(qty, Math.abs(position.size)) : qty,
      cumExecQty: 0,
      cumExecValue: 0,
      cumExecFee: 0,
      triggerPrice,
      triggerDirection,
      reduceOnly,
      createdTimeMs: now(),
      updatedTimeMs: now(),
    };
    orders.push(o);
    const marketable = orderType === 'Market' || (side === 'Buy' ? price >= last : price <= last);
    if (triggerPrice === 0 && marketable) {
      const filled = partialRatio !== null ? Math.floor((o.qty * partialRatio) / i.step) * i.step : o.qty;
      fill(o, Number(filled.toFixed(8)), last);
    }
    return { orderId: o.orderId, orderLinkId: o.orderLinkId };
  }

  function triggerConditionals(symbol: string): void {
    const price = priceOf(symbol);
    for (const o of orders) {
      if (o.symbol !== symbol || o.orderStatus !== 'Untriggered') continue;
      const reached = o.triggerDirection === 1 ? price >= o.triggerPrice : price <= o.triggerPrice;
      if (!reached) continue;
      const position = positions.get(symbol);
      if (o.reduceOnly && (!position || Math.sign(position.size) === (o.side === 'Buy' ? 1 : -1))) {
        o.orderStatus = 'Deactivated';
        o.updatedTimeMs = now();
        continue;
      }
      fill(o, o.reduceOnly && position ? Math.min(o.qty, Math.abs(position.size)) : o.qty, price);
    }
  }

  function findOrder(params: Record<string, string>): BybitReplayOrder | undefined {
    if (params.orderId) return orders.find((o) => o.orderId === params.orderId && (params.symbol === undefined || o.symbol === params.symbol));
    if (params.orderLinkId) return orders.find((o) => o.orderLinkId === params.orderLinkId && (params.symbol === undefined || o.symbol === params.symbol));
    return undefined;
  }

  function orderJson(o: BybitReplayOrder) {
    const avg = o.cumExecQty > 0 ? o.cumExecValue / o.cumExecQty : 0;
    return {
      orderId: o.orderId,
      orderLinkId: o.orderLinkId,
      blockTradeId: '',
      symbol: o.symbol,
      price: o.orderType === 'Limit' ? dec(o.price, 2) : '0',
      qty: dec(o.qty, 3),
      side: o.side,
      isLeverage: '',
      positionIdx: 0,
      orderStatus: o.orderStatus,
      cancelType: o.orderStatus === 'Cancelled' || o.orderStatus === 'Deactivated' ? 'CancelByUser' : 'UNKNOWN',
      rejectReason: 'EC_NoError',
      avgPrice: o.cumExecQty > 0 ? dec(avg, 4) : '',
      leavesQty: dec(isOpen(o) ? o.qty - o.cumExecQty : 0, 3),
      leavesValue: dec(isOpen(o) ? (o.qty - o.cumExecQty) * (o.price || priceOf(o.symbol)) : 0, 4),
      cumExecQty: dec(o.cumExecQty, 3),
      cumExecValue: dec(o.cumExecValue, 4),
      cumExecFee: dec(o.cumExecFee, 8),
      cumFeeDetail: o.cumExecQty > 0 ? { USDT: dec(o.cumExecFee, 8) } : {},
      timeInForce: o.orderType === 'Market' ? 'IOC' : 'GTC',
      orderType: o.orderType,
      stopOrderType: o.triggerPrice > 0 ? 'Stop' : '',
      orderIv: '',
      triggerPrice: o.triggerPrice > 0 ? dec(o.triggerPrice, 2) : '0.00',
      takeProfit: '0.00',
      stopLoss: '0.00',
      tpTriggerBy: '',
      slTriggerBy: '',
      triggerDirection: o.triggerDirection,
      triggerBy: o.triggerPrice > 0 ? 'LastPrice' : '',
      lastPriceOnCreated: '',
      reduceOnly: o.reduceOnly,
      closeOnTrigger: false,
      smpType: 'None',
      smpGroup: 0,
      smpOrderId: '',
      tpslMode: '',
      tpLimitPrice: '',
      slLimitPrice: '',
      placeType: '',
      createdTime: String(o.createdTimeMs),
      updatedTime: String(o.updatedTimeMs),
    };
  }

  function positionJson(symbol: string) {
    const p = positions.get(symbol);
    const lev = leverage.get(symbol) as number;
    const size = p ? Math.abs(p.size) : 0;
    return {
      positionIdx: 0,
      riskId: 1,
      riskLimitValue: String(RISK_TIERS[symbol][0][0]),
      symbol,
      side: !p ? '' : p.size > 0 ? 'Buy' : 'Sell',
      size: dec(size, 3),
      avgPrice: p ? dec(p.entryPrice, 4) : '0',
      positionValue: p ? dec(size * p.entryPrice, 4) : '0',
      tradeMode: marginMode === 'ISOLATED_MARGIN' ? 1 : 0,
      positionStatus: 'Normal',
      autoAddMargin: 0,
      adlRankIndicator: p ? 2 : 0,
      leverage: String(lev),
      positionBalance: p ? dec(positionIm(symbol), 8) : '0',
      markPrice: dec(priceOf(symbol), 2),
      liqPrice: '',
      bustPrice: '',
      positionMM: p ? dec(size * priceOf(symbol) * RISK_TIERS[symbol][0][1], 8) : '0',
      positionIM: p ? dec(positionIm(symbol), 8) : '0',
      tpslMode: 'Full',
      takeProfit: '0.00',
      stopLoss: '0.00',
      trailingStop: '0.00',
      unrealisedPnl: dec(unrealized(symbol), 8),
      curRealisedPnl: p ? dec(p.realized, 8) : '0',
      cumRealisedPnl: p ? dec(p.realized, 8) : '0',
      seq: 1,
      isReduceOnly: false,
      createdTime: p ? String(p.createdTimeMs) : String(now()),
      updatedTime: String(now()),
    };
  }

  function walletJson() {
    const t = totals();
    const equity = wallet + t.upl;
    return {
      list: [
        {
          accountType: 'UNIFIED',
          accountIMRate: '0',
          accountMMRate: '0',
          totalEquity: dec(equity, 8),
          totalWalletBalance: dec(wallet, 8),
          totalMarginBalance: dec(equity, 8),
          totalAvailableBalance: dec(t.available, 8),
          totalPerpUPL: dec(t.upl, 8),
          totalInitialMargin: dec(t.im + t.ordersIm, 8),
          totalMaintenanceMargin: '0',
          coin: [
            {
              coin: 'USDT',
              equity: dec(equity, 8),
              usdValue: dec(equity, 8),
              walletBalance: dec(wallet, 8),
              locked: '0',
              spotHedgingQty: '0',
              borrowAmount: '0',
              accruedInterest: '0',
              totalOrderIM: dec(t.ordersIm, 8),
              totalPositionIM: dec(t.im, 8),
              totalPositionMM: '0',
              unrealisedPnl: dec(t.upl, 8),
              cumRealisedPnl: '0',
              bonus: '0',
              marginCollateral: true,
              collateralSwitch: true,
            },
          ],
        },
      ],
    };
  }

  const kline = (symbol: string, openTimeMs: number, intervalMs: number) => syntheticKline(symbol, openTimeMs, intervalMs, options.klines?.(symbol, openTimeMs, intervalMs) ?? null);

  /** Klines newest first, up to the candle in progress (Bybit serves it too). */
  function klines(params: Record<string, string>) {
    const symbol = instrument(params.symbol).symbol;
    const intervalMs = INTERVAL_MS[params.interval ?? ''];
    if (!intervalMs) throw new BybitError(10001, 'params error: interval invalid');
    const limit = Math.min(Number(params.limit ?? 200), 1000);
    const current = Math.floor(now() / intervalMs) * intervalMs;
    const end = params.end !== undefined ? Math.min(Math.floor(Number(params.end) / intervalMs) * intervalMs, current) : current;
    const out: string[][] = [];
    if (params.start !== undefined) {
      for (let t = Math.ceil(Number(params.start) / intervalMs) * intervalMs; t <= end && out.length < limit; t += intervalMs) out.push(kline(symbol, t, intervalMs));
    } else {
      for (let t = end - (limit - 1) * intervalMs; t <= end; t += intervalMs) out.push(kline(symbol, t, intervalMs));
    }
    return { category: 'linear', symbol, list: out.reverse() };
  }

  function instrumentsJson(params: Record<string, string>) {
    const list =
      params.status === 'PreLaunch'
        ? []
        : INSTRUMENTS.map((i) => ({
            symbol: i.symbol,
            contractType: 'LinearPerpetual',
            status: 'Trading',
            baseCoin: i.base,
            quoteCoin: 'USDT',
            launchTime: '1585526400000',
            deliveryTime: '0',
            deliveryFeeRate: '',
            priceScale: i.tick === 0.1 ? '1' : '2',
            leverageFilter: { minLeverage: '1', maxLeverage: dec(i.maxLeverage, 2), leverageStep: '0.01' },
            priceFilter: { minPrice: dec(i.tick, 2), maxPrice: '1999999.80', tickSize: dec(i.tick, 2) },
            lotSizeFilter: { maxOrderQty: '1190.000', minOrderQty: dec(i.minQty, 3), qtyStep: dec(i.step, 3), postOnlyMaxOrderQty: '1190.000', maxMktOrderQty: '500.000', minNotionalValue: String(i.minNotional) },
            unifiedMarginTrade: true,
            fundingInterval: 480,
            settleCoin: 'USDT',
            copyTrading: 'both',
            upperFundingRate: '0.00375',
            lowerFundingRate: '-0.00375',
          }));
    return { category: 'linear', list, nextPageCursor: '' };
  }

  function route(method: string, pathname: string, params: Record<string, string>, fault: BybitReplayFault | null): unknown {
    const partial = fault?.kind === 'partial_fill' ? (fault.ratio ?? 0.5) : null;
    switch (`${method} ${pathname}`) {
      case 'GET /v5/market/time':
        return { timeSecond: String(Math.floor(now() / 1000)), timeNano: `${now()}000000` };
      case 'GET /v5/market/instruments-info':
        return instrumentsJson(params);
      case 'GET /v5/market/kline':
        return klines(params);
      case 'GET /v5/market/tickers': {
        const list = INSTRUMENTS.filter((i) => params.symbol === undefined || i.symbol === params.symbol).map((i) => {
          const last = dec(priceOf(i.symbol), 2);
          const nextFunding = Math.floor(now() / 28_800_000) * 28_800_000 + 28_800_000;
          return {
            symbol: i.symbol, lastPrice: last, indexPrice: last, markPrice: last, prevPrice24h: last, price24hPcnt: '0', highPrice24h: last, lowPrice24h: last,
            prevPrice1h: last, openInterest: '0', openInterestValue: '0', turnover24h: '0', volume24h: '0', fundingRate: '0.0001', nextFundingTime: String(nextFunding),
            predictedDeliveryPrice: '', basisRate: '', deliveryFeeRate: '', deliveryTime: '0', ask1Size: '1', bid1Price: last, ask1Price: last, bid1Size: '1', basis: '',
          };
        });
        return { category: 'linear', list };
      }
      case 'GET /v5/market/risk-limit': {
        const list = INSTRUMENTS.filter((i) => params.symbol === undefined || i.symbol === params.symbol).flatMap((i) =>
          RISK_TIERS[i.symbol].map(([cap, mmr, maxLev], index) => ({
            id: index + 1, symbol: i.symbol, riskLimitValue: String(cap), maintenanceMargin: String(mmr), initialMargin: dec(1 / maxLev, 4), isLowestRisk: index === 0 ? 1 : 0, maxLeverage: dec(maxLev, 2), mmDeduction: '',
          })),
        );
        return { category: 'linear', list, nextPageCursor: '' };
      }
      case 'POST /v5/order/create':
        return placeOrder(params, partial);
      case 'POST /v5/order/cancel': {
        const o = findOrder(params);
        if (!o || !isOpen(o)) throw new BybitError(110001, 'order not exists or too late to cancel');
        o.orderStatus = o.orderStatus === 'Untriggered' ? 'Deactivated' : 'Cancelled';
        o.updatedTimeMs = now();
        return { orderId: o.orderId, orderLinkId: o.orderLinkId };
      }
      case 'GET /v5/order/realtime': {
        let list: BybitReplayOrder[];
        if (params.orderId || params.orderLinkId) {
          const o = findOrder(params);
          list = o ? [o] : [];
        } else {
          list = orders.filter((o) => isOpen(o) && (params.symbol === undefined || o.symbol === params.symbol));
        }
        if (params.orderFilter === 'StopOrder') list = list.filter((o) => o.triggerPrice > 0);
        if (params.orderFilter === 'Order') list = list.filter((o) => o.triggerPrice === 0);
        return { category: 'linear', list: list.map(orderJson).reverse(), nextPageCursor: '' };
      }
      case 'GET /v5/position/list': {
        // Bybit v5: a symbol answers its position even when flat; without one a settleCoin is required, and only
        // positions with a size are listed (every replay instrument settles in USDT).
        if (params.symbol !== undefined) return { category: 'linear', list: [positionJson(instrument(params.symbol).symbol)], nextPageCursor: '' };
        if (params.settleCoin === undefined) throw new BybitError(10001, 'params error: symbol or settleCoin is required');
        const held = params.settleCoin === 'USDT' ? [...positions.entries()].filter(([, p]) => p.size !== 0).map(([symbol]) => symbol) : [];
        return { category: 'linear', list: held.map(positionJson), nextPageCursor: '' };
      }
      case 'GET /v5/account/wallet-balance':
        if (params.accountType !== 'UNIFIED') throw new BybitError(10001, `accountType ${params.accountType} only support UNIFIED`);
        return walletJson();
      case 'POST /v5/position/set-leverage': {
        const i = instrument(params.symbol);
        const value = Number(params.buyLeverage);
        if (params.buyLeverage !== params.sellLeverage || !(value >= 1) || value > i.maxLeverage) throw new BybitError(10001, 'leverage invalid');
        if (leverage.get(i.symbol) === value) throw new BybitError(110043, 'leverage not modified');
        leverage.set(i.symbol, value);
        return {};
      }
      case 'POST /v5/account/set-margin-mode': {
        if (params.setMarginMode !== 'REGULAR_MARGIN' && params.setMarginMode !== 'ISOLATED_MARGIN') throw new BybitError(10001, 'params error: setMarginMode invalid');
        marginMode = params.setMarginMode;
        return { reasons: [] };
      }
      default:
        throw new BybitError(10001, `no route ${method} ${pathname} on the Bybit replay server`);
    }
  }

  const isPrivate = (pathname: string) => !pathname.startsWith('/v5/market/');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, body: raw } = await readReplayRequest(req);
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) params[k] = v;
    if (raw !== '') for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>)) params[k] = String(v);
    const method = req.method ?? 'GET';
    const apiKey = (req.headers['x-bapi-api-key'] as string | undefined) ?? null;
    const fault = log.record({ method, path: url.pathname, params, apiKey });
    const send = (body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const envelope = (retCode: number, retMsg: string, result: unknown) => ({ retCode, retMsg, result, retExtInfo: {}, time: now() });
    switch (fault?.kind) {
      case 'rate_limit':
        return send(envelope(10006, 'Too many visits. Exceeded the API Rate Limit.', {}));
      case 'auth':
        return send(envelope(10003, 'API key is invalid.', {}));
      case 'reject':
        return send(envelope(fault.retCode, fault.retMsg, {}));
      case 'body':
        return send(fault.body);
      case 'delay':
        if (!fault.process) {
          await new Promise((r) => setTimeout(r, fault.delayMs));
          return send(envelope(10016, 'delayed answer', {}));
        }
        break;
      default:
        break;
    }
    let body: unknown;
    try {
      if (isPrivate(url.pathname) && (apiKey === null || (options.apiKey !== undefined && apiKey !== options.apiKey))) throw new BybitError(10003, 'API key is invalid.');
      body = envelope(0, 'OK', route(method, url.pathname, params, fault));
    } catch (error) {
      if (!(error instanceof BybitError)) throw error;
      body = envelope(error.retCode, error.message, {});
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs));
    send(body);
  }

  const { baseUrl, close } = await listenReplayServer(handle, (retMsg) => ({ retCode: 10016, retMsg, result: {}, retExtInfo: {}, time: now() }));
  const urls: Record<string, string> = { spot: baseUrl, futures: baseUrl, v2: baseUrl, public: baseUrl, private: baseUrl };

  return {
    baseUrl,
    urls,
    requests,
    orders,
    marginMode: () => marginMode,
    inject: log.inject,
    setPrice(symbol, price) {
      instrument(symbol);
      prices.set(symbol, price);
      triggerConditionals(symbol);
    },
    hits: log.hits,
    close,
  };
}
