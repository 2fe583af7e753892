/**
 * A loopback HTTP server that answers like Binance (spot `/api/v3` and USDⓈ-M `/fapi`) for the
 * endpoints ccxt 4.5 calls, so the ccxt adapter can be tested with ccxt UNMODIFIED: only its
 * `urls.api` entries point here (see `ccxtUrls`).
 *
 * - Bodies follow Binance's shapes: recorded answers from ccxt's static tests
 *   (`<shared>/ccxt/binance-response-usdm-subset.json`) where they exist (tests inject them with
 *   `respondOnce`), synthesised ones otherwise (exchangeInfo with BTCUSDT/ETHUSDT filters, klines,
 *   orders, accounts, positions, leverage, margin type, premium index, leverage brackets from
 *   `<shared>/binance-usdm/brackets.json` or, when absent, tiers 1-4 of its README table).
 * - A tiny venue: market orders (and marketable limits) fill at once at the symbol's price with a
 *   taker fee (spot 0.1 %, charged in the received asset; futures 0.05 % in USDT), other limits rest
 *   until cancelled; balances, futures positions (one-way) and trades follow.
 * - Futures conditional orders (STOP_MARKET / TAKE_PROFIT_MARKET) go where ccxt 4.5 sends every
 *   linear-swap order with a trigger price: Binance's Algo Service (`POST/GET/DELETE /fapi/v1/algoOrder`,
 *   `GET /fapi/v1/openAlgoOrders`, answers shaped like Binance's "New Algo Order" / "Query Algo Order"
 *   docs). One that would trigger at once is refused with -2021; `setPrice` triggers the others.
 * - Spot stop-market orders (`POST /api/v3/order` type STOP_LOSS with `stopPrice`, what ccxt 4.5 sends
 *   for a spot market order with a trigger price) rest with status NEW in the ordinary order book
 *   (`GET /api/v3/order`, `/api/v3/openOrders` list them with their stopPrice; `isWorking` false and
 *   `workingTime` -1 until triggered; `DELETE /api/v3/order` cancels them), holding the base asset of a
 *   sell (USDT of qty × stopPrice for a buy). `setPrice` reaching the stop (sell: price <= stopPrice; buy:
 *   price >= stopPrice) turns it into a market order that fills at that price (FILLED, same orderId, type
 *   and stopPrice). One that would trigger at once is refused with -2010 "Stop price would trigger
 *   immediately.", as Binance does. STOP_LOSS_LIMIT / TAKE_PROFIT(_LIMIT) are not served (-1116).
 * - Candles: a synthetic saw-tooth, or scripted per open time (`klines`); served up to the server
 *   clock (`nowMs`, or a test's `clock`), closed candles only.
 * - Fault injection per request (`inject`): 429 with Binance's rate-limit body, a delay (optionally
 *   after the request was processed, like a lost answer), a partial fill, a rejection
 *   (-2010 insufficient balance / -1013 filter failure), 401 with -2015, or an exact body.
 * - Every request is recorded in `requests` (signing keys `signature`, `timestamp`, `recvWindow` dropped).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createReplayLog, listenReplayServer, readReplayRequest, type ReplayRequest } from './replay-http';

/** A fault for the next matching request(s). */
export type ReplayFault =
  | { kind: 'rate_limit' }
  | { kind: 'delay'; delayMs: number; process?: boolean }
  | { kind: 'partial_fill'; ratio?: number }
  | { kind: 'reject'; code: -2010 | -1013; msg?: string }
  | { kind: 'auth' }
  | { kind: 'body'; status?: number; body: unknown };

export type { ReplayRequest } from './replay-http';

export interface ReplayOrder {
  orderId: number;
  clientOrderId: string;
  symbol: string;
  market: 'spot' | 'futures';
  side: 'BUY' | 'SELL';
  type: string;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  price: number;
  stopPrice: number;
  origQty: number;
  executedQty: number;
  cumQuote: number;
  reduceOnly: boolean;
  timeMs: number;
  updateTimeMs: number;
  /** When the order started working in the book: placement, or a stop's trigger (-1 while it waits). */
  workingTimeMs: number;
}

export interface BinanceReplayServerOptions {
  /** Server clock, ms; default 2024-01-02T00:00:00Z. Klines are served up to this time (closed candles only). */
  nowMs?: number;
  /** Accepted API key; any other key on a private endpoint answers 401 -2015. Default: any key. */
  apiKey?: string;
  /** Starting USDT (spot free balance and futures wallet); default 10 000. */
  initialUsdt?: number;
  /** Server clock, ms, read on every request (overrides `nowMs`): a test's manual clock makes new candles close. */
  clock?: () => number;
  /** Scripted candles: the kline at an open time, or null for the synthetic saw-tooth. */
  klines?: (symbol: string, openTimeMs: number, intervalMs: number) => ScriptedKline | null;
}

/** One scripted candle (prices in quote currency, volume in base). */
export interface ScriptedKline {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * A USDⓈ-M conditional order held by Binance's Algo Service (`POST /fapi/v1/algoOrder`, algoType
 * CONDITIONAL), which ccxt 4.5 uses for every linear-swap order with a trigger price.
 */
export interface ReplayAlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  orderType: 'STOP_MARKET' | 'TAKE_PROFIT_MARKET';
  quantity: number;
  triggerPrice: number;
  reduceOnly: boolean;
  algoStatus: 'NEW' | 'CANCELED' | 'FINISHED' | 'REJECTED';
  /** The matching-engine order placed when it triggered ("" before). */
  actualOrderId: string;
  createTimeMs: number;
  updateTimeMs: number;
  triggerTimeMs: number;
}

export interface BinanceReplayServer {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Every `urls.api` key ccxt's binance/binanceusdm classes use, pointed at this server. */
  readonly urls: Record<string, string>;
  readonly requests: ReplayRequest[];
  readonly orders: ReplayOrder[];
  /** Futures conditional (stop / take-profit) orders, placed through `/fapi/v1/algoOrder`. */
  readonly algoOrders: ReplayAlgoOrder[];
  /** Queues a fault (or exact body) for the next `times` requests matching method and path. */
  inject(match: { method?: string; path: string }, fault: ReplayFault, times?: number): void;
  /**
   * Last traded (and mark) price of a Binance symbol id such as "BTCUSDT". Conditional orders whose
   * trigger the new price reaches (sell stop: price <= trigger; buy stop: price >= trigger; the
   * reverse for take-profit) trigger at once: a MARKET order fills at this price and the algo order
   * ends FINISHED with its `actualOrderId`, or REJECTED when the matching engine refuses it. Spot
   * STOP_LOSS orders it reaches fill as market orders at this price under their own id.
   */
  setPrice(symbol: string, price: number): void;
  /** Requests seen for a path (optionally one method). */
  hits(pathname: string, method?: string): number;
  close(): Promise<void>;
}

/** Where the shared data folder is: AETHELRED_SHARED_DATA or ../shared/data next to the repository. */
export function sharedDataDir(): string {
  return process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
}

interface RecordedCase {
  description: string;
  input: unknown[];
  httpResponse: unknown;
  parsedResponse: unknown;
}

/** The recorded Binance answers (ccxt static tests), or null when the shared data folder is absent. */
export function loadRecordedBinanceResponses(): { options: Record<string, unknown>; methods: Record<string, RecordedCase[]> } | null {
  const file = path.join(sharedDataDir(), 'ccxt', 'binance-response-usdm-subset.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8'));
}

const SIGNING_KEYS = new Set(['signature', 'timestamp', 'recvWindow']);
const INTERVAL_MS: Record<string, number> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000,
  '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000, '1d': 86_400_000, '1w': 604_800_000,
};
const SPOT_TAKER_FEE = 0.001;
const FUTURES_TAKER_FEE = 0.0005;
const FUTURES_MAKER_FEE = 0.0002;

interface Instrument {
  symbol: string;
  base: string;
  tick: number;
  step: number;
  minQty: number;
  maxQty: number;
  spotMinNotional: number;
  futuresMinNotional: number;
}

const INSTRUMENTS: Instrument[] = [
  { symbol: 'BTCUSDT', base: 'BTC', tick: 0.01, step: 0.00001, minQty: 0.00001, maxQty: 9000, spotMinNotional: 5, futuresMinNotional: 100 },
  { symbol: 'ETHUSDT', base: 'ETH', tick: 0.01, step: 0.0001, minQty: 0.0001, maxQty: 9000, spotMinNotional: 5, futuresMinNotional: 20 },
];
/** Futures precisions: BTCUSDT tick 0.10 step 0.001; ETHUSDT tick 0.01 step 0.001 (Binance's values). */
const FUTURES_TICK: Record<string, number> = { BTCUSDT: 0.1, ETHUSDT: 0.01 };
const FUTURES_STEP = 0.001;

const dec = (n: number, digits = 8) => n.toFixed(digits);
const isMultiple = (value: number, step: number) => Math.abs(value / step - Math.round(value / step)) < 1e-6;

function spotExchangeInfo(nowMs: number) {
  return {
    timezone: 'UTC',
    serverTime: nowMs,
    rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
    exchangeFilters: [],
    symbols: INSTRUMENTS.map((i) => ({
      symbol: i.symbol,
      status: 'TRADING',
      baseAsset: i.base,
      baseAssetPrecision: 8,
      quoteAsset: 'USDT',
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      baseCommissionPrecision: 8,
      quoteCommissionPrecision: 8,
      orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
      icebergAllowed: true,
      ocoAllowed: true,
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: true,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: dec(i.tick), maxPrice: '1000000.00000000', tickSize: dec(i.tick) },
        { filterType: 'LOT_SIZE', minQty: dec(i.minQty), maxQty: dec(i.maxQty), stepSize: dec(i.step) },
        { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
        { filterType: 'NOTIONAL', minNotional: dec(i.spotMinNotional), applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      ],
      permissions: [],
      permissionSets: [['SPOT', 'MARGIN']],
      defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
      allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
    })),
  };
}

function futuresExchangeInfo(nowMs: number) {
  return {
    timezone: 'UTC',
    serverTime: nowMs,
    futuresType: 'U_MARGINED',
    rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 }],
    exchangeFilters: [],
    assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }],
    symbols: INSTRUMENTS.map((i) => ({
      symbol: i.symbol,
      pair: i.symbol,
      contractType: 'PERPETUAL',
      deliveryDate: 4133404800000,
      onboardDate: 1569398400000,
      status: 'TRADING',
      maintMarginPercent: '2.5000',
      requiredMarginPercent: '5.0000',
      baseAsset: i.base,
      quoteAsset: 'USDT',
      marginAsset: 'USDT',
      pricePrecision: 2,
      quantityPrecision: 3,
      baseAssetPrecision: 8,
      quotePrecision: 8,
      underlyingType: 'COIN',
      underlyingSubType: ['PoW'],
      triggerProtect: '0.0500',
      liquidationFee: '0.012500',
      marketTakeBound: '0.05',
      maxMoveOrderLimit: 10000,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.10', maxPrice: '4529764', tickSize: String(FUTURES_TICK[i.symbol]) },
        { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
        { filterType: 'MARKET_LOT_SIZE', minQty: '0.001', maxQty: '120', stepSize: '0.001' },
        { filterType: 'MAX_NUM_ORDERS', limit: 200 },
        { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
        { filterType: 'MIN_NOTIONAL', notional: String(i.futuresMinNotional) },
        { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
      ],
      orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
      timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
    })),
  };
}

/** Deterministic synthetic candle for an open time: a saw-tooth around 40 000 (BTC) / 2 500 (ETH), or the scripted one. */
export function sawToothCandle(symbol: string, openTimeMs: number, intervalMs: number, scripted: ScriptedKline | null = null): ScriptedKline {
  const i = Math.floor(openTimeMs / intervalMs);
  const base = symbol.startsWith('ETH') ? 2_500 : 40_000;
  const open = scripted?.open ?? base + (i % 50) * 10;
  const close = scripted?.close ?? open + 5;
  return { open, high: scripted?.high ?? close + 7, low: scripted?.low ?? open - 3, close, volume: scripted?.volume ?? 1 + (i % 7) };
}

function syntheticKline(symbol: string, openTimeMs: number, intervalMs: number, scripted: ScriptedKline | null = null): (string | number)[] {
  const { open, high, low, close, volume } = sawToothCandle(symbol, openTimeMs, intervalMs, scripted);
  return [openTimeMs, dec(open, 2), dec(high, 2), dec(low, 2), dec(close, 2), dec(volume, 3), openTimeMs + intervalMs - 1, dec(volume * close, 4), 10, '0.500', '1000.0000', '0'];
}

function loadBrackets(): { symbol: string; brackets: unknown[] }[] {
  const file = path.join(sharedDataDir(), 'binance-usdm', 'brackets.json');
  const fallback = [
    { bracket: 1, notionalFloor: 0, notionalCap: 50_000, initialLeverage: 125, maintMarginRatio: 0.004, cum: 0 },
    { bracket: 2, notionalFloor: 50_000, notionalCap: 600_000, initialLeverage: 100, maintMarginRatio: 0.005, cum: 50 },
    { bracket: 3, notionalFloor: 600_000, notionalCap: 3_000_000, initialLeverage: 75, maintMarginRatio: 0.0065, cum: 950 },
    { bracket: 4, notionalFloor: 3_000_000, notionalCap: 12_000_000, initialLeverage: 50, maintMarginRatio: 0.01, cum: 11_450 },
  ];
  const symbols: Record<string, unknown[]> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { symbols: Record<string, unknown[]> }).symbols
    : { BTCUSDT: fallback, ETHUSDT: fallback };
  return Object.entries(symbols).map(([symbol, brackets]) => ({ symbol, brackets }));
}

interface Position {
  amount: number;
  entryPrice: number;
  realized: number;
}

interface Trade {
  id: number;
  orderId: number;
  symbol: string;
  market: 'spot' | 'futures';
  side: 'BUY' | 'SELL';
  price: number;
  qty: number;
  commission: number;
  commissionAsset: string;
  realizedPnl: number;
  maker: boolean;
  timeMs: number;
}

class BinanceError extends Error {
  constructor(readonly status: number, readonly code: number, msg: string) {
    super(msg);
  }
}

/** Starts the server on 127.0.0.1 and a random port. */
export async function startBinanceReplayServer(options: BinanceReplayServerOptions = {}): Promise<BinanceReplayServer> {
  const fixedNowMs = options.nowMs ?? Date.UTC(2024, 0, 2);
  const now = options.clock ?? (() => fixedNowMs);
  const initialUsdt = options.initialUsdt ?? 10_000;
  const log = createReplayLog<ReplayFault>();
  const { requests } = log;
  const orders: ReplayOrder[] = [];
  const algoOrders: ReplayAlgoOrder[] = [];
  let nextAlgoId = 3000;
  const trades: Trade[] = [];
  const prices = new Map<string, number>([['BTCUSDT', 42_000], ['ETHUSDT', 2_500]]);
  const spot = new Map<string, { free: number; locked: number }>([['USDT', { free: initialUsdt, locked: 0 }], ['BTC', { free: 0, locked: 0 }], ['ETH', { free: 0, locked: 0 }]]);
  let futuresWallet = initialUsdt;
  const positions = new Map<string, Position>();
  const leverage = new Map<string, number>([['BTCUSDT', 20], ['ETHUSDT', 20]]);
  const marginType = new Map<string, 'ISOLATED' | 'CROSSED'>([['BTCUSDT', 'CROSSED'], ['ETHUSDT', 'CROSSED']]);
  const brackets = loadBrackets();
  let nextOrderId = 1000;
  let nextTradeId = 5000;

  const instrument = (symbol: string | undefined): Instrument => {
    const found = INSTRUMENTS.find((i) => i.symbol === symbol);
    if (!found) throw new BinanceError(400, -1121, 'Invalid symbol.');
    return found;
  };
  const asset = (name: string) => {
    let a = spot.get(name);
    if (!a) spot.set(name, (a = { free: 0, locked: 0 }));
    return a;
  };
  const priceOf = (symbol: string) => prices.get(symbol) as number;

  function unrealized(symbol: string, p: Position): number {
    return (priceOf(symbol) - p.entryPrice) * p.amount;
  }
  function futuresTotals() {
    let upnl = 0;
    let initialMargin = 0;
    for (const [symbol, p] of positions) {
      if (p.amount === 0) continue;
      upnl += unrealized(symbol, p);
      initialMargin += (Math.abs(p.amount) * priceOf(symbol)) / (leverage.get(symbol) as number);
    }
    let openOrderMargin = 0;
    for (const o of orders) {
      if (o.market === 'futures' && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && o.price > 0) {
        openOrderMargin += ((o.origQty - o.executedQty) * o.price) / (leverage.get(o.symbol) as number);
      }
    }
    const marginBalance = futuresWallet + upnl;
    const available = marginBalance - initialMargin - openOrderMargin;
    return { upnl, initialMargin, openOrderMargin, marginBalance, available };
  }

  /** A fill at placement, or of a triggered stop once its held funds are released (resting limits never fill here). */
  function fill(o: ReplayOrder, qty: number, price: number, maker: boolean): void {
    const inst = instrument(o.symbol);
    const sign = o.side === 'BUY' ? 1 : -1;
    let commission: number;
    let commissionAsset: string;
    let realizedPnl = 0;
    if (o.market === 'spot') {
      const usdt = asset('USDT');
      const base = asset(inst.base);
      if (o.side === 'BUY') {
        commission = qty * SPOT_TAKER_FEE;
        commissionAsset = inst.base;
        usdt.free -= qty * price;
        base.free += qty - commission;
      } else {
        commission = qty * price * SPOT_TAKER_FEE;
        commissionAsset = 'USDT';
        base.free -= qty;
        usdt.free += qty * price - commission;
      }
    } else {
      commission = qty * price * (maker ? FUTURES_MAKER_FEE : FUTURES_TAKER_FEE);
      commissionAsset = 'USDT';
      futuresWallet -= commission;
      const p = positions.get(o.symbol) ?? { amount: 0, entryPrice: 0, realized: 0 };
      if (p.amount === 0 || Math.sign(p.amount) === sign) {
        const size = Math.abs(p.amount) + qty;
        p.entryPrice = (Math.abs(p.amount) * p.entryPrice + qty * price) / size;
        p.amount += sign * qty;
      } else {
        const closing = Math.min(qty, Math.abs(p.amount));
        realizedPnl = (price - p.entryPrice) * closing * Math.sign(p.amount);
        futuresWallet += realizedPnl;
        p.realized += realizedPnl;
        p.amount += sign * qty;
        if (Math.abs(p.amount) < 1e-12) p.amount = 0;
        else if (qty > closing) p.entryPrice = price;
      }
      positions.set(o.symbol, p);
    }
    o.executedQty += qty;
    o.cumQuote += qty * price;
    o.status = o.executedQty >= o.origQty - 1e-12 ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updateTimeMs = now();
    trades.push({ id: nextTradeId++, orderId: o.orderId, symbol: o.symbol, market: o.market, side: o.side, price, qty, commission, commissionAsset, realizedPnl, maker, timeMs: now() });
  }

  function placeOrder(market: 'spot' | 'futures', params: Record<string, string>, partialRatio: number | null): ReplayOrder {
    const inst = instrument(params.symbol);
    const side = params.side === 'SELL' ? 'SELL' : 'BUY';
    const type = params.type ?? '';
    const qty = Number(params.quantity);
    const price = params.price !== undefined ? Number(params.price) : 0;
    const clientOrderId = params.newClientOrderId ?? `replay-${nextOrderId}`;
    if (orders.some((o) => o.market === market && o.symbol === inst.symbol && o.clientOrderId === clientOrderId)) {
      throw market === 'spot' ? new BinanceError(400, -2010, 'Duplicate order sent.') : new BinanceError(400, -4116, 'ClientOrderId is duplicated.');
    }
    if (!(qty > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    const step = market === 'spot' ? inst.step : FUTURES_STEP;
    const tick = market === 'spot' ? inst.tick : FUTURES_TICK[inst.symbol];
    if (!isMultiple(qty, step) || qty > inst.maxQty) throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    if (type === 'LIMIT' && !isMultiple(price, tick)) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    const spotStop = market === 'spot' && type === 'STOP_LOSS';
    const stopPrice = spotStop ? Number(params.stopPrice) : 0;
    if (spotStop && !(stopPrice > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.");
    if (spotStop && !isMultiple(stopPrice, tick)) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    const last = priceOf(inst.symbol);
    // A stop is valued at its stop price (the price it becomes a market order at).
    const refPrice = type === 'LIMIT' ? price : spotStop ? stopPrice : last;
    if (market === 'spot' && qty * refPrice < inst.spotMinNotional) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
    if (market === 'futures' && params.reduceOnly !== 'true' && qty * refPrice < inst.futuresMinNotional) {
      throw new BinanceError(400, -4164, `Order's notional must be no smaller than ${inst.futuresMinNotional} (unless you choose reduce only).`);
    }
    if (type !== 'MARKET' && type !== 'LIMIT' && !spotStop) throw new BinanceError(400, -1116, 'Invalid orderType.');
    if (spotStop && spotStopReached(side, stopPrice, last)) throw new BinanceError(400, -2010, 'Stop price would trigger immediately.');
    // Admission: funds.
    if (market === 'spot') {
      if (side === 'BUY' && qty * refPrice > asset('USDT').free + 1e-9) throw new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
      if (side === 'SELL' && qty > asset(inst.base).free + 1e-12) throw new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
    } else {
      const p = positions.get(inst.symbol);
      const reducing = p !== undefined && p.amount !== 0 && Math.sign(p.amount) !== (side === 'BUY' ? 1 : -1);
      if (params.reduceOnly === 'true' && !reducing) throw new BinanceError(400, -2022, 'ReduceOnly Order is rejected.');
      const required = reducing ? 0 : (qty * refPrice) / (leverage.get(inst.symbol) as number) + qty * refPrice * FUTURES_TAKER_FEE;
      if (required > futuresTotals().available + 1e-9) throw new BinanceError(400, -2019, 'Margin is insufficient.');
    }
    const o: ReplayOrder = {
      orderId: nextOrderId++,
      clientOrderId,
      symbol: inst.symbol,
      market,
      side,
      type,
      status: 'NEW',
      price: type === 'LIMIT' ? price : 0,
      stopPrice,
      origQty: qty,
      executedQty: 0,
      cumQuote: 0,
      reduceOnly: params.reduceOnly === 'true',
      timeMs: now(),
      updateTimeMs: now(),
      workingTimeMs: spotStop ? -1 : now(),
    };
    orders.push(o);
    const marketable = !spotStop && (type === 'MARKET' || (side === 'BUY' ? price >= last : price <= last));
    if (marketable) {
      const fillQty = partialRatio === null ? qty : Math.round((qty * partialRatio) / step) * step;
      if (fillQty > 0) fill(o, fillQty, last, false);
    } else if (market === 'spot') {
      if (side === 'BUY') {
        asset('USDT').free -= qty * lockPrice(o);
        asset('USDT').locked += qty * lockPrice(o);
      } else {
        asset(inst.base).free -= qty;
        asset(inst.base).locked += qty;
      }
    }
    return o;
  }

  /** USDT held per unit by a resting spot buy: its limit price, or a stop's stop price. */
  function lockPrice(o: ReplayOrder): number {
    return o.type === 'STOP_LOSS' ? o.stopPrice : o.price;
  }

  /** Whether `price` reaches a spot STOP_LOSS: a sell at or below its stop price, a buy at or above. */
  function spotStopReached(side: 'BUY' | 'SELL', stopPrice: number, price: number): boolean {
    return side === 'SELL' ? price <= stopPrice : price >= stopPrice;
  }

  /**
   * Triggers every waiting spot STOP_LOSS of `symbol` the current price reaches: the held funds are
   * released and the order, keeping its id, type and stop price, fills as a taker market order at this
   * price (status FILLED), or EXPIRED when a buy can no longer pay for it.
   */
  function triggerSpotStops(symbol: string): void {
    const price = priceOf(symbol);
    for (const o of orders) {
      if (o.market !== 'spot' || o.symbol !== symbol || o.type !== 'STOP_LOSS' || o.status !== 'NEW' || !spotStopReached(o.side, o.stopPrice, price)) continue;
      const held = o.side === 'BUY' ? asset('USDT') : asset(instrument(symbol).base);
      const amount = o.side === 'BUY' ? o.origQty * o.stopPrice : o.origQty;
      held.locked -= amount;
      held.free += amount;
      o.workingTimeMs = o.updateTimeMs = now();
      if (o.side === 'BUY' && o.origQty * price > asset('USDT').free + 1e-9) {
        o.status = 'EXPIRED';
        continue;
      }
      fill(o, o.origQty, price, false);
    }
  }

  function findOrder(market: 'spot' | 'futures', params: Record<string, string>, missingCode: number, missingMsg: string): ReplayOrder {
    const found = orders.find(
      (o) =>
        o.market === market &&
        o.symbol === params.symbol &&
        (params.orderId !== undefined ? String(o.orderId) === params.orderId : o.clientOrderId === params.origClientOrderId),
    );
    if (!found) throw new BinanceError(400, missingCode, missingMsg);
    return found;
  }

  function cancel(o: ReplayOrder): void {
    if (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED') throw new BinanceError(400, -2011, 'Unknown order sent.');
    if (o.market === 'spot') {
      const rest = o.origQty - o.executedQty;
      if (o.side === 'BUY') {
        asset('USDT').locked -= rest * lockPrice(o);
        asset('USDT').free += rest * lockPrice(o);
      } else {
        const base = asset(instrument(o.symbol).base);
        base.locked -= rest;
        base.free += rest;
      }
    }
    o.status = 'CANCELED';
    o.updateTimeMs = now();
  }

  /** `POST /fapi/v1/algoOrder`: a conditional order waits in the Algo Service until its trigger price is reached. */
  function placeAlgoOrder(params: Record<string, string>): ReplayAlgoOrder {
    const inst = instrument(params.symbol);
    if (params.algoType !== 'CONDITIONAL') throw new BinanceError(400, -1102, "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
    const type = params.type;
    if (type !== 'STOP_MARKET' && type !== 'TAKE_PROFIT_MARKET') throw new BinanceError(400, -1116, 'Invalid orderType.');
    const side = params.side === 'SELL' ? 'SELL' : 'BUY';
    const qty = Number(params.quantity);
    const trigger = Number(params.triggerPrice);
    const clientAlgoId = params.clientAlgoId ?? `replay-algo-${nextAlgoId}`;
    if (algoOrders.some((a) => a.symbol === inst.symbol && a.clientAlgoId === clientAlgoId)) throw new BinanceError(400, -4116, 'ClientOrderId is duplicated.');
    if (!(qty > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    if (!(trigger > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
    if (!isMultiple(qty, FUTURES_STEP) || qty > inst.maxQty) throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    if (!isMultiple(trigger, FUTURES_TICK[inst.symbol])) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    const a: ReplayAlgoOrder = {
      algoId: nextAlgoId++,
      clientAlgoId,
      symbol: inst.symbol,
      side,
      orderType: type,
      quantity: qty,
      triggerPrice: trigger,
      reduceOnly: params.reduceOnly === 'true',
      algoStatus: 'NEW',
      actualOrderId: '',
      createTimeMs: now(),
      updateTimeMs: now(),
      triggerTimeMs: 0,
    };
    if (reached(a, priceOf(inst.symbol))) throw new BinanceError(400, -2021, 'Order would immediately trigger.');
    algoOrders.push(a);
    return a;
  }

  /** Whether `price` reaches the trigger of a conditional order. */
  function reached(a: ReplayAlgoOrder, price: number): boolean {
    const stopSell = (a.orderType === 'STOP_MARKET') === (a.side === 'SELL');
    return stopSell ? price <= a.triggerPrice : price >= a.triggerPrice;
  }

  /** Triggers every waiting conditional order of `symbol` the current price reaches. */
  function triggerAlgoOrders(symbol: string): void {
    const price = priceOf(symbol);
    for (const a of algoOrders) {
      if (a.symbol !== symbol || a.algoStatus !== 'NEW' || !reached(a, price)) continue;
      a.triggerTimeMs = a.updateTimeMs = now();
      try {
        const o = placeOrder('futures', { symbol, side: a.side, type: 'MARKET', quantity: String(a.quantity), newClientOrderId: a.clientAlgoId, reduceOnly: String(a.reduceOnly) }, null);
        o.stopPrice = a.triggerPrice;
        a.actualOrderId = String(o.orderId);
        a.algoStatus = 'FINISHED';
      } catch (error) {
        if (!(error instanceof BinanceError)) throw error;
        a.algoStatus = 'REJECTED';
      }
    }
  }

  function findAlgoOrder(params: Record<string, string>): ReplayAlgoOrder {
    const found = algoOrders.find((a) => (params.algoId !== undefined ? String(a.algoId) === params.algoId : a.clientAlgoId === params.clientAlgoId));
    if (!found) throw new BinanceError(400, -2013, 'Order does not exist.');
    return found;
  }

  /** Binance's algo order object (New / Query / open algo orders), USDⓈ-M. */
  function algoOrderJson(a: ReplayAlgoOrder) {
    const actual = a.actualOrderId === '' ? undefined : orders.find((o) => String(o.orderId) === a.actualOrderId);
    return {
      algoId: a.algoId,
      clientAlgoId: a.clientAlgoId,
      algoType: 'CONDITIONAL',
      orderType: a.orderType,
      symbol: a.symbol,
      side: a.side,
      positionSide: 'BOTH',
      timeInForce: 'GTC',
      quantity: dec(a.quantity, 3),
      algoStatus: a.algoStatus,
      actualOrderId: a.actualOrderId,
      actualPrice: actual && actual.executedQty > 0 ? dec(actual.cumQuote / actual.executedQty, 5) : '0.00000',
      triggerPrice: dec(a.triggerPrice, 2),
      price: '0.00',
      icebergQuantity: null,
      selfTradePreventionMode: 'EXPIRE_MAKER',
      workingType: 'CONTRACT_PRICE',
      priceMatch: 'NONE',
      closePosition: false,
      priceProtect: false,
      reduceOnly: a.reduceOnly,
      createTime: a.createTimeMs,
      updateTime: a.updateTimeMs,
      triggerTime: a.triggerTimeMs,
      goodTillDate: 0,
    };
  }

  function spotOrderJson(o: ReplayOrder, extra: Record<string, unknown> = {}) {
    return {
      symbol: o.symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: dec(o.price),
      origQty: dec(o.origQty),
      executedQty: dec(o.executedQty),
      cummulativeQuoteQty: dec(o.cumQuote),
      status: o.status,
      timeInForce: 'GTC',
      type: o.type,
      side: o.side,
      stopPrice: dec(o.stopPrice),
      icebergQty: '0.00000000',
      time: o.timeMs,
      updateTime: o.updateTimeMs,
      // A stop works (is in the book) from its trigger on; Binance reports -1 until then.
      isWorking: o.workingTimeMs !== -1,
      workingTime: o.workingTimeMs,
      origQuoteOrderQty: '0.00000000',
      selfTradePreventionMode: 'EXPIRE_MAKER',
      ...extra,
    };
  }

  function futuresOrderJson(o: ReplayOrder) {
    return {
      orderId: o.orderId,
      symbol: o.symbol,
      status: o.status,
      clientOrderId: o.clientOrderId,
      price: dec(o.price, 2),
      avgPrice: o.executedQty > 0 ? dec(o.cumQuote / o.executedQty, 5) : '0.00',
      origQty: dec(o.origQty, 3),
      executedQty: dec(o.executedQty, 3),
      cumQty: dec(o.executedQty, 3),
      cumQuote: dec(o.cumQuote, 5),
      timeInForce: 'GTC',
      type: o.type,
      reduceOnly: o.reduceOnly,
      closePosition: false,
      side: o.side,
      positionSide: 'BOTH',
      stopPrice: dec(o.stopPrice, 2),
      workingType: 'CONTRACT_PRICE',
      priceProtect: false,
      origType: o.type,
      priceMatch: 'NONE',
      selfTradePreventionMode: 'NONE',
      goodTillDate: 0,
      time: o.timeMs,
      updateTime: o.updateTimeMs,
    };
  }

  function positionJson(symbol: string, p: Position) {
    const mark = priceOf(symbol);
    const notional = p.amount * mark;
    const lev = leverage.get(symbol) as number;
    const isolated = marginType.get(symbol) === 'ISOLATED';
    const margin = Math.abs(notional) / lev;
    return {
      symbol,
      positionSide: 'BOTH',
      positionAmt: dec(p.amount, 3),
      entryPrice: String(p.entryPrice),
      breakEvenPrice: String(p.entryPrice),
      markPrice: dec(mark),
      unRealizedProfit: dec(unrealized(symbol, p)),
      liquidationPrice: '0',
      isolatedMargin: isolated ? dec(margin) : '0',
      notional: dec(notional),
      marginAsset: 'USDT',
      isolatedWallet: isolated ? dec(margin) : '0',
      initialMargin: dec(margin),
      maintMargin: dec(Math.abs(notional) * 0.004),
      positionInitialMargin: dec(margin),
      openOrderInitialMargin: '0',
      adl: '0',
      bidNotional: '0',
      askNotional: '0',
      updateTime: now(),
    };
  }

  function futuresAccount() {
    const t = futuresTotals();
    const open = [...positions.entries()].filter(([, p]) => p.amount !== 0);
    return {
      feeTier: 0,
      canTrade: true,
      canDeposit: true,
      canWithdraw: true,
      tradeGroupId: -1,
      updateTime: 0,
      multiAssetsMargin: false,
      totalInitialMargin: dec(t.initialMargin + t.openOrderMargin),
      totalMaintMargin: '0.00000000',
      totalWalletBalance: dec(futuresWallet),
      totalUnrealizedProfit: dec(t.upnl),
      totalMarginBalance: dec(t.marginBalance),
      totalPositionInitialMargin: dec(t.initialMargin),
      totalOpenOrderInitialMargin: dec(t.openOrderMargin),
      totalCrossWalletBalance: dec(futuresWallet),
      totalCrossUnPnl: dec(t.upnl),
      availableBalance: dec(t.available),
      maxWithdrawAmount: dec(t.available),
      assets: [
        {
          asset: 'USDT',
          walletBalance: dec(futuresWallet),
          unrealizedProfit: dec(t.upnl),
          marginBalance: dec(t.marginBalance),
          maintMargin: '0.00000000',
          initialMargin: dec(t.initialMargin + t.openOrderMargin),
          positionInitialMargin: dec(t.initialMargin),
          openOrderInitialMargin: dec(t.openOrderMargin),
          maxWithdrawAmount: dec(t.available),
          crossWalletBalance: dec(futuresWallet),
          crossUnPnl: dec(t.upnl),
          availableBalance: dec(t.available),
          marginAvailable: true,
          updateTime: now(),
        },
      ],
      positions: open.map(([symbol, p]) => ({
        symbol,
        positionSide: 'BOTH',
        positionAmt: dec(p.amount, 3),
        unrealizedProfit: dec(unrealized(symbol, p)),
        isolatedMargin: '0',
        notional: dec(p.amount * priceOf(symbol)),
        isolatedWallet: '0',
        initialMargin: dec((Math.abs(p.amount) * priceOf(symbol)) / (leverage.get(symbol) as number)),
        maintMargin: '0',
        updateTime: now(),
      })),
    };
  }

  const kline = (symbol: string, openTimeMs: number, intervalMs: number) => syntheticKline(symbol, openTimeMs, intervalMs, options.klines?.(symbol, openTimeMs, intervalMs) ?? null);

  function klines(params: Record<string, string>, maxLimit: number) {
    const symbol = instrument(params.symbol).symbol;
    const intervalMs = INTERVAL_MS[params.interval ?? ''];
    if (!intervalMs) throw new BinanceError(400, -1120, 'Invalid interval.');
    const limit = Math.min(Number(params.limit ?? 500), maxLimit);
    const lastOpen = Math.floor(now() / intervalMs) * intervalMs - intervalMs;
    const end = params.endTime !== undefined ? Math.min(Number(params.endTime), lastOpen) : lastOpen;
    const out: (string | number)[][] = [];
    if (params.startTime !== undefined) {
      for (let t = Math.ceil(Number(params.startTime) / intervalMs) * intervalMs; t <= end && out.length < limit; t += intervalMs) out.push(kline(symbol, t, intervalMs));
    } else {
      const first = Math.floor(end / intervalMs) * intervalMs - (limit - 1) * intervalMs;
      for (let t = first; t <= end; t += intervalMs) out.push(kline(symbol, t, intervalMs));
    }
    return out;
  }

  function route(method: string, pathname: string, params: Record<string, string>, fault: ReplayFault | null): unknown {
    const partial = fault?.kind === 'partial_fill' ? (fault.ratio ?? 0.5) : null;
    const key = `${method} ${pathname}`;
    switch (key) {
      case 'GET /api/v3/ping':
      case 'GET /fapi/v1/ping':
        return {};
      case 'GET /api/v3/time':
      case 'GET /fapi/v1/time':
        return { serverTime: now() };
      case 'GET /api/v3/exchangeInfo':
        return spotExchangeInfo(now());
      case 'GET /fapi/v1/exchangeInfo':
        return futuresExchangeInfo(now());
      case 'GET /api/v3/klines':
        return klines(params, 1000);
      case 'GET /fapi/v1/klines':
        return klines(params, 1500);
      case 'GET /api/v3/ticker/24hr':
      case 'GET /fapi/v1/ticker/24hr': {
        const symbol = instrument(params.symbol).symbol;
        const last = dec(priceOf(symbol), 2);
        return { symbol, priceChange: '0', priceChangePercent: '0', weightedAvgPrice: last, lastPrice: last, lastQty: '0', openPrice: last, highPrice: last, lowPrice: last, volume: '0', quoteVolume: '0', openTime: now() - 86_400_000, closeTime: now(), firstId: 0, lastId: 0, count: 0 };
      }
      case 'POST /api/v3/order': {
        const o = placeOrder('spot', params, partial);
        const fills = trades.filter((t) => t.orderId === o.orderId).map((t) => ({ price: dec(t.price), qty: dec(t.qty), commission: dec(t.commission), commissionAsset: t.commissionAsset, tradeId: t.id }));
        return spotOrderJson(o, { transactTime: now(), fills });
      }
      case 'GET /api/v3/order':
        return spotOrderJson(findOrder('spot', params, -2013, 'Order does not exist.'));
      case 'DELETE /api/v3/order': {
        const o = findOrder('spot', params, -2011, 'Unknown order sent.');
        cancel(o);
        return { ...spotOrderJson(o), origClientOrderId: o.clientOrderId, clientOrderId: `cancel-${o.orderId}`, transactTime: now() };
      }
      case 'GET /api/v3/openOrders':
        return orders.filter((o) => o.market === 'spot' && (params.symbol === undefined || o.symbol === params.symbol) && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).map((o) => spotOrderJson(o));
      case 'GET /api/v3/myTrades':
        return trades
          .filter((t) => t.market === 'spot' && t.symbol === params.symbol && (params.orderId === undefined || String(t.orderId) === params.orderId))
          .map((t) => ({ symbol: t.symbol, id: t.id, orderId: t.orderId, orderListId: -1, price: dec(t.price), qty: dec(t.qty), quoteQty: dec(t.qty * t.price), commission: dec(t.commission), commissionAsset: t.commissionAsset, time: t.timeMs, isBuyer: t.side === 'BUY', isMaker: t.maker, isBestMatch: true }));
      case 'GET /api/v3/account':
        return {
          makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
          commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
          canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false, preventSor: false,
          updateTime: now(), accountType: 'SPOT',
          balances: [...spot.entries()].map(([a, b]) => ({ asset: a, free: dec(b.free), locked: dec(b.locked) })),
          permissions: ['SPOT'], uid: 1,
        };
      case 'POST /fapi/v1/order': {
        const o = placeOrder('futures', params, partial);
        return futuresOrderJson(o);
      }
      case 'GET /fapi/v1/order':
        return futuresOrderJson(findOrder('futures', params, -2013, 'Order does not exist.'));
      case 'DELETE /fapi/v1/order': {
        const o = findOrder('futures', params, -2011, 'Unknown order sent.');
        cancel(o);
        return futuresOrderJson(o);
      }
      case 'GET /fapi/v1/openOrders':
        return orders.filter((o) => o.market === 'futures' && (params.symbol === undefined || o.symbol === params.symbol) && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).map(futuresOrderJson);
      case 'POST /fapi/v1/algoOrder':
        return algoOrderJson(placeAlgoOrder(params));
      case 'GET /fapi/v1/algoOrder':
        return algoOrderJson(findAlgoOrder(params));
      case 'DELETE /fapi/v1/algoOrder': {
        const a = findAlgoOrder(params);
        if (a.algoStatus !== 'NEW') throw new BinanceError(400, -2011, 'Unknown order sent.');
        a.algoStatus = 'CANCELED';
        a.updateTimeMs = now();
        return { algoId: a.algoId, clientAlgoId: a.clientAlgoId, code: '200', msg: 'success' };
      }
      case 'GET /fapi/v1/openAlgoOrders':
        return algoOrders.filter((a) => a.algoStatus === 'NEW' && (params.symbol === undefined || a.symbol === params.symbol)).map(algoOrderJson);
      case 'GET /fapi/v1/userTrades':
        return trades
          .filter((t) => t.market === 'futures' && t.symbol === params.symbol && (params.orderId === undefined || String(t.orderId) === params.orderId))
          .map((t) => ({ symbol: t.symbol, id: t.id, orderId: t.orderId, side: t.side, price: dec(t.price, 2), qty: dec(t.qty, 3), realizedPnl: dec(t.realizedPnl), marginAsset: 'USDT', quoteQty: dec(t.qty * t.price, 5), commission: dec(t.commission), commissionAsset: 'USDT', time: t.timeMs, positionSide: 'BOTH', maker: t.maker, buyer: t.side === 'BUY' }));
      case 'GET /fapi/v2/account':
      case 'GET /fapi/v3/account':
        return futuresAccount();
      case 'GET /fapi/v2/balance':
      case 'GET /fapi/v3/balance': {
        const t = futuresTotals();
        return [{ accountAlias: 'replay', asset: 'USDT', balance: dec(futuresWallet), crossWalletBalance: dec(futuresWallet), crossUnPnl: dec(t.upnl), availableBalance: dec(t.available), maxWithdrawAmount: dec(t.available), marginAvailable: true, updateTime: now() }];
      }
      case 'GET /fapi/v2/positionRisk':
      case 'GET /fapi/v3/positionRisk':
        return [...positions.entries()]
          .filter(([symbol, p]) => p.amount !== 0 && (params.symbol === undefined || params.symbol === symbol))
          .map(([symbol, p]) => ({ ...positionJson(symbol, p), ...(pathname.includes('/v2/') ? { leverage: String(leverage.get(symbol)), marginType: marginType.get(symbol) === 'ISOLATED' ? 'isolated' : 'cross' } : {}) }));
      case 'POST /fapi/v1/leverage': {
        const symbol = instrument(params.symbol).symbol;
        const value = Number(params.leverage);
        if (!Number.isInteger(value) || value < 1 || value > 125) throw new BinanceError(400, -4028, `Leverage ${params.leverage} is not valid`);
        leverage.set(symbol, value);
        return { symbol, leverage: value, maxNotionalValue: value > 100 ? '50000' : value > 75 ? '600000' : '3000000' };
      }
      case 'POST /fapi/v1/marginType': {
        const symbol = instrument(params.symbol).symbol;
        const wanted = params.marginType === 'ISOLATED' ? 'ISOLATED' : 'CROSSED';
        if (marginType.get(symbol) === wanted) throw new BinanceError(400, -4046, 'No need to change margin type.');
        marginType.set(symbol, wanted);
        return { code: 200, msg: 'success' };
      }
      case 'GET /fapi/v1/premiumIndex': {
        const symbol = instrument(params.symbol).symbol;
        const nextFunding = Math.floor(now() / 28_800_000) * 28_800_000 + 28_800_000;
        return { symbol, markPrice: dec(priceOf(symbol)), indexPrice: dec(priceOf(symbol)), estimatedSettlePrice: dec(priceOf(symbol)), lastFundingRate: '0.00010000', interestRate: '0.00010000', nextFundingTime: nextFunding, time: now() };
      }
      case 'GET /fapi/v1/leverageBracket':
        return params.symbol === undefined ? brackets : brackets.filter((b) => b.symbol === params.symbol);
      default:
        throw new BinanceError(404, -1, `replay server does not serve ${key}`);
    }
  }

  const isPrivate = (pathname: string) =>
    /^\/api\/v3\/(order|openOrders|account|myTrades)$/.test(pathname) ||
    (/^\/fapi\//.test(pathname) && !/\/(exchangeInfo|klines|time|ping|premiumIndex|ticker\/24hr)$/.test(pathname));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { url, body: raw } = await readReplayRequest(req);
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!SIGNING_KEYS.has(k)) params[k] = v;
    for (const [k, v] of new URLSearchParams(raw)) if (!SIGNING_KEYS.has(k)) params[k] = v;
    const method = req.method ?? 'GET';
    const apiKey = (req.headers['x-mbx-apikey'] as string | undefined) ?? null;
    const fault = log.record({ method, path: url.pathname, params, apiKey });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    switch (fault?.kind) {
      case 'rate_limit':
        return send(429, { code: -1003, msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.' }, { 'retry-after': '1' });
      case 'auth':
        return send(401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
      case 'reject':
        return send(400, { code: fault.code, msg: fault.msg ?? (fault.code === -2010 ? 'Account has insufficient balance for requested action.' : 'Filter failure: NOTIONAL') });
      case 'body':
        return send(fault.status ?? 200, fault.body);
      case 'delay':
        if (!fault.process) {
          await new Promise((r) => setTimeout(r, fault.delayMs));
          return send(503, { code: -1, msg: 'delayed answer' });
        }
        break;
      default:
        break;
    }
    let status = 200;
    let body: unknown;
    try {
      if (isPrivate(url.pathname) && (apiKey === null || (options.apiKey !== undefined && apiKey !== options.apiKey))) {
        throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
      }
      body = route(method, url.pathname, params, fault);
    } catch (error) {
      if (!(error instanceof BinanceError)) throw error;
      status = error.status;
      body = { code: error.code, msg: error.message };
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs));
    send(status, body);
  }

  const { baseUrl, close } = await listenReplayServer(handle, (msg) => ({ code: -1000, msg }));
  const urls: Record<string, string> = {
    public: `${baseUrl}/api/v3`,
    private: `${baseUrl}/api/v3`,
    v1: `${baseUrl}/api/v1`,
    sapi: `${baseUrl}/sapi/v1`,
    sapiV2: `${baseUrl}/sapi/v2`,
    sapiV3: `${baseUrl}/sapi/v3`,
    sapiV4: `${baseUrl}/sapi/v4`,
    fapiPublic: `${baseUrl}/fapi/v1`,
    fapiPublicV2: `${baseUrl}/fapi/v2`,
    fapiPublicV3: `${baseUrl}/fapi/v3`,
    fapiPrivate: `${baseUrl}/fapi/v1`,
    fapiPrivateV2: `${baseUrl}/fapi/v2`,
    fapiPrivateV3: `${baseUrl}/fapi/v3`,
    fapiData: `${baseUrl}/futures/data`,
    dapiPublic: `${baseUrl}/dapi/v1`,
    dapiPrivate: `${baseUrl}/dapi/v1`,
    dapiPrivateV2: `${baseUrl}/dapi/v2`,
    dapiData: `${baseUrl}/futures/data`,
    eapiPublic: `${baseUrl}/eapi/v1`,
    eapiPrivate: `${baseUrl}/eapi/v1`,
    papi: `${baseUrl}/papi/v1`,
    papiV2: `${baseUrl}/papi/v2`,
  };

  return {
    baseUrl,
    urls,
    requests,
    orders,
    algoOrders,
    inject: log.inject,
    setPrice(symbol, price) {
      instrument(symbol);
      prices.set(symbol, price);
      triggerAlgoOrders(symbol);
      triggerSpotStops(symbol);
    },
    hits: log.hits,
    close,
  };
}
