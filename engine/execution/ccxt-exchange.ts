/**
 * CcxtExchange: the `Exchange` port on a real venue through ccxt (Binance spot, class `binance`,
 * Binance USDⓈ-M linear perpetuals, class `binanceusdm`, and Bybit linear perpetuals on a unified
 * account, class `bybit`; futures in one-way mode). What differs per venue (client id rules, stops,
 * acknowledgement-only create answers) is in ccxt-venue-dialects.ts; this module holds none of it.
 *
 * Symbols: the port speaks `BASE/QUOTE` ("BTC/USDT"); for futures the adapter asks ccxt for the linear
 * perpetual `BASE/QUOTE:QUOTE` ("BTC/USDT:USDT"), which is also accepted as input. Results carry `BASE/QUOTE`.
 *
 * Failure classes (decided here, the only place that retries):
 * - retryable: ccxt NetworkError and its subclasses (RequestTimeout, RateLimitExceeded, DDoSProtection,
 *   ExchangeNotAvailable, OnMaintenance, InvalidNonce). Retried with exponential backoff and equal jitter
 *   (`min(maxDelayMs, baseDelayMs·2^(attempt−1))·(1 + random())/2`) up to `retry.maxAttempts` attempts,
 *   then thrown as `ExchangeError` retryable. Exception: a connection that never reached the venue
 *   (DNS or refused connection before the first answer of this instance) is thrown at once, so an
 *   offline start fails fast (`isVenueUnreachable` recognises it).
 * - fatal: AuthenticationError and its subclasses (PermissionDenied, AccountSuspended, AccountNotEnabled),
 *   and any answer carrying Binance code -2014/-2015 or HTTP 401 (ccxt sometimes maps these to
 *   OperationRejected or DDoSProtection): thrown as `ExchangeError` fatal, never retried.
 * - non-retryable: every other ccxt error (InvalidOrder, InsufficientFunds, BadSymbol, OrderNotFound,
 *   BadRequest, …). `createOrder` never throws for these: it returns an Order with status `rejected` and the
 *   venue's reason. Other methods throw `ExchangeError` non_retryable.
 *
 * Idempotent submission: `clientOrderId` goes to Binance as `newClientOrderId` (`clientAlgoId` for futures
 * stops), to Bybit as `orderLinkId` (re-encoded to Bybit's charset, see `bybitOrderLinkId`). After a retryable failure the order is looked up by client id before any resubmission, a client id
 * already submitted through this instance returns the venue's current state of that order, and a venue
 * "duplicate order" rejection returns the existing order: a retried submission never doubles an order.
 *
 * Futures stops: ccxt 4.5 sends a linear-swap order with a trigger price to Binance's Algo Service
 * (`/fapi/v1/algoOrder`, STOP_MARKET). They are listed by `fetchOpenOrders`/`reconcile` next to the other
 * orders, cancelled through the same service, and, once triggered, report the fills of the market order
 * the venue placed for them (`actualOrderId`).
 *
 * Spot stops: ccxt 4.5 sends a spot market order with a trigger price as Binance type STOP_LOSS
 * (`POST /api/v3/order` with `quantity` and `stopPrice`, no reduce-only flag, which spot does not have). It
 * waits in the ordinary order book (listed by `fetchOpenOrders`, cancelled like any order) and, once the
 * last price crosses the stop, fills as a market order under the same id.
 *
 * Rounding: amounts and prices go through ccxt `amountToPrecision` / `priceToPrecision` (the market's
 * step and tick, truncating amounts as Binance does) before submission: the one rounding rule.
 *
 * Fees: reported in the quote currency. A fee charged in the base asset (Binance spot buys) is converted at
 * the fill price; a fee in any other asset (e.g. BNB) cannot be priced here and counts 0 (logged).
 * Venue positions do not report per-position fees or funding: `feesPaid` and `fundingPaid` are 0.
 * Spot has no positions: `fetchPosition` reports the base-asset holding as a long with unknown entry
 * (`entryPrice` and `unrealizedPnl` NaN); spot balances value holdings at the last trade price.
 * `fetchOpenPositions` lists every open position of the account in one positions call with no symbol (futures; Bybit,
 * which takes one symbol per call, is asked by settle coin, one page of at most 200) or from one balance read (spot).
 *
 * Secrets (`apiKey`, `secret`) are never logged; they and request signatures are removed from every
 * message this adapter logs or throws.
 */
import {
  AuthenticationError,
  BaseError,
  DuplicateOrderId,
  InsufficientFunds,
  MarginModeAlreadySet,
  NetworkError,
  OrderNotFound,
  type Exchange as CcxtClient,
  type Order as CcxtOrder,
  type Position as CcxtPosition,
  type Trade as CcxtTrade,
} from 'ccxt';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type Candle, type MarginMode, type MarketType, type OrderStatus, type OrderType, type Timeframe } from '../core/types';
import type { Balance, Exchange, Order, OrderRequest, Position } from '../ports/exchange';
import { requireVenue, venueOf } from '../venues/registry';
import { CCXT_VENUE_DIALECTS, CcxtExchangeId, ccxtClientSettings } from './ccxt-venue-dialects';

export { CcxtExchangeId };

/** Retry policy for retryable failures. */
export interface CcxtRetryConfig {
  /** Attempts including the first, integer >= 1. */
  maxAttempts: number;
  /** Backoff before the second attempt, ms, >= 0; doubles per attempt. */
  baseDelayMs: number;
  /** Cap of one backoff, ms, >= baseDelayMs. */
  maxDelayMs: number;
}

/** Settings of a CcxtExchange. Validated by `createCcxtExchange` (ValidationError naming the field). */
export interface CcxtExchangeConfig {
  exchangeId: CcxtExchangeId;
  /** Omit both keys for public data only (candles, funding rates). */
  apiKey?: string;
  secret?: string;
  /** Overrides of ccxt `urls.api` entries by key (`public`, `private`, `fapiPublic`, `fapiPrivateV3`, …). */
  urls?: Readonly<Record<string, string>>;
  marketType: MarketType;
  /** Futures: leverage set on each symbol before its first order (integer >= 1). */
  defaultLeverage?: number;
  /** Futures: margin mode set on each symbol before its first order. */
  marginMode?: MarginMode;
  retry: CcxtRetryConfig;
  /** Settlement/quote currency of balances; default "USDT". */
  quoteCurrency?: string;
  /** HTTP timeout per request (connection and headers), ms; default 10 000. */
  timeoutMs?: number;
  /** Timeout until the venue first answers, ms (short, to fail fast offline); default `timeoutMs`. */
  firstRequestTimeoutMs?: number;
  /** ccxt's built-in request throttle; default true. */
  enableRateLimit?: boolean;
}

/** Injected services. `sleep` and `random` default to a timer and Math.random (tests inject fakes). */
export interface CcxtExchangeDeps {
  clock: Clock;
  logger: Logger;
  sleep?(ms: number): Promise<void>;
  /** Uniform in [0, 1), for backoff jitter. */
  random?(): number;
}

/** A perpetual's current funding rate. `rate` is per settlement interval (0.0001 = 0.01 %). */
export interface FundingRate {
  symbol: string;
  rate: number;
  markPrice: number;
  /** Next settlement time, epoch ms; NaN when the venue did not say. */
  nextFundingTimeMs: number;
  /** When the venue computed it, epoch ms. */
  timeMs: number;
}

/** The venue's view of the account, read at live start before trading. */
export interface VenueSnapshot {
  openOrders: Order[];
  positions: Position[];
  balance: Balance;
  /** When the snapshot was taken (clock), epoch ms. */
  atMs: number;
}

/** The port plus venue-only operations. */
export interface CcxtExchange extends Exchange {
  /** ccxt's minimum spacing between requests for this venue, ms (for pagers such as candle download). */
  readonly rateLimitMs: number;
  /** Futures: sets the symbol's leverage (integer >= 1). */
  setLeverage(symbol: string, leverage: number): Promise<void>;
  /** Futures: sets the symbol's margin mode; already set is success. */
  setMarginMode(symbol: string, mode: MarginMode): Promise<void>;
  /** Futures: the current funding rate of a perpetual. */
  fetchFundingRate(symbol: string): Promise<FundingRate>;
  /**
   * The venue's state of an order; a futures stop that has triggered reports the fills, fee and time of
   * the market order it placed. Finds stops this client did not place (after a restart) in the Algo
   * Service. Throws a non-retryable ExchangeError for an order the venue does not know.
   */
  fetchOrder(orderId: string, symbol: string): Promise<Order>;
  /** Open (new / partially filled) orders of a symbol; on futures including waiting stops (algo orders). */
  fetchOpenOrders(symbol: string): Promise<Order[]>;
  /** Open orders and positions of `symbols`, and the balance, as the venue reports them. */
  reconcile(symbols: readonly string[]): Promise<VenueSnapshot>;
}

const CONNECTION_FAILURE = /ENOTFOUND|ECONNREFUSED|EAI_AGAIN|getaddrinfo/;

/** Marks an error thrown because the venue was never reached (offline, DNS, refused connection). */
class VenueUnreachableError extends ExchangeError {
  readonly unreachable = true;
}

/** True when `error` says the venue could not be reached at all (see the module doc). */
export function isVenueUnreachable(error: unknown): boolean {
  return error instanceof VenueUnreachableError;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Classifies a ccxt (or other) failure; see the module doc. */
export function classifyCcxtError(error: unknown): FailureClass {
  const message = messageOf(error);
  if (error instanceof AuthenticationError || /"code":\s*-201[45]\b/.test(message) || /\b401\b.*Unauthorized/.test(message)) return FailureClass.Fatal;
  if (error instanceof NetworkError) return FailureClass.Retryable;
  return FailureClass.NonRetryable;
}

function positiveFinite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ValidationError(field, value, 'expected a finite number > 0');
  return value;
}

function validateConfig(config: CcxtExchangeConfig): void {
  if (!config || typeof config !== 'object') throw new ValidationError('config', config, 'expected an object');
  const venue = venueOf(config.exchangeId);
  if (!venue || !Object.prototype.hasOwnProperty.call(CCXT_VENUE_DIALECTS, config.exchangeId)) {
    throw new ValidationError('exchangeId', config.exchangeId, `expected one of ${Object.keys(CCXT_VENUE_DIALECTS).map((id) => `"${id}"`).join(', ')}`);
  }
  if (config.marketType !== 'spot' && config.marketType !== 'futures') throw new ValidationError('marketType', config.marketType, 'expected "spot" or "futures"');
  if (venue.marketType === 'futures' && config.marketType !== 'futures') {
    throw new ValidationError('marketType', config.marketType, `${config.exchangeId} only lists futures; expected "futures"`);
  }
  if ((config.apiKey === undefined) !== (config.secret === undefined)) {
    throw new ValidationError(config.apiKey === undefined ? 'apiKey' : 'secret', '<redacted>', 'apiKey and secret go together');
  }
  const retry = config.retry;
  if (!retry || typeof retry !== 'object') throw new ValidationError('retry', retry, 'expected { maxAttempts, baseDelayMs, maxDelayMs }');
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new ValidationError('retry.maxAttempts', retry.maxAttempts, 'expected an integer >= 1');
  if (typeof retry.baseDelayMs !== 'number' || !(retry.baseDelayMs >= 0)) throw new ValidationError('retry.baseDelayMs', retry.baseDelayMs, 'expected a number >= 0');
  if (typeof retry.maxDelayMs !== 'number' || !(retry.maxDelayMs >= retry.baseDelayMs)) {
    throw new ValidationError('retry.maxDelayMs', retry.maxDelayMs, `expected a number >= retry.baseDelayMs (${retry.baseDelayMs})`);
  }
  if (config.defaultLeverage !== undefined && (!Number.isInteger(config.defaultLeverage) || config.defaultLeverage < 1)) {
    throw new ValidationError('defaultLeverage', config.defaultLeverage, 'expected an integer >= 1');
  }
  if (config.marginMode !== undefined && config.marginMode !== 'isolated' && config.marginMode !== 'cross') {
    throw new ValidationError('marginMode', config.marginMode, 'expected "isolated" or "cross"');
  }
  if (config.timeoutMs !== undefined) positiveFinite('timeoutMs', config.timeoutMs);
  if (config.firstRequestTimeoutMs !== undefined) positiveFinite('firstRequestTimeoutMs', config.firstRequestTimeoutMs);
  if (config.urls !== undefined) {
    for (const [key, url] of Object.entries(config.urls)) {
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new ValidationError(`urls.${key}`, url, 'expected an http(s) URL');
    }
  }
}

function validateRequest(r: OrderRequest): void {
  if (!r || typeof r !== 'object') throw new ValidationError('order', r, 'expected an OrderRequest');
  if (typeof r.clientOrderId !== 'string' || !/^[.A-Za-z0-9_:/-]{1,36}$/.test(r.clientOrderId)) {
    throw new ValidationError('clientOrderId', r.clientOrderId, 'expected 1-36 characters of letters, digits and . _ : / - (Binance rule)');
  }
  if (typeof r.symbol !== 'string' || r.symbol === '') throw new ValidationError('symbol', r.symbol, 'expected a non-empty string');
  if (r.side !== 'buy' && r.side !== 'sell') throw new ValidationError('side', r.side, 'expected "buy" or "sell"');
  if (r.type !== 'market' && r.type !== 'limit' && r.type !== 'stop') throw new ValidationError('type', r.type, 'expected "market", "limit" or "stop"');
  positiveFinite('amount', r.amount);
  if (r.type === 'limit') positiveFinite('price', r.price);
  if (r.type === 'stop') positiveFinite('stopPrice', r.stopPrice);
}

const num = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN);
const orZero = (value: unknown): number => {
  const n = num(value);
  return Number.isFinite(n) ? n : 0;
};

/**
 * Builds the adapter. Builds no connection until the first call (markets load lazily, once).
 * @throws ValidationError for a bad config, naming the field.
 */
export function createCcxtExchange(config: CcxtExchangeConfig, deps: CcxtExchangeDeps): CcxtExchange {
  validateConfig(config);
  const { clock, logger } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const futures = config.marketType === 'futures';
  const quote = config.quoteCurrency ?? 'USDT';
  const timeoutMs = config.timeoutMs ?? 10_000;
  const secrets = [config.apiKey, config.secret].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const dialect = CCXT_VENUE_DIALECTS[config.exchangeId];
  const client: CcxtClient = new dialect.Client({
    ...ccxtClientSettings(config.exchangeId, config.marketType),
    apiKey: config.apiKey,
    secret: config.secret,
    enableRateLimit: config.enableRateLimit ?? true,
    timeout: config.firstRequestTimeoutMs ?? timeoutMs,
  });
  if (config.urls) {
    const api = client.urls['api'] as Record<string, string>;
    for (const [key, url] of Object.entries(config.urls)) api[key] = url;
  }
  const id = config.exchangeId;
  let reached = false;
  let closed = false;
  let marketsLoaded: Promise<unknown> | null = null;
  /** Client ids submitted through this instance -> venue symbol and whether it is a futures stop (algo) order. */
  const submitted = new Map<string, { venueSymbol: string; algo: boolean; request: OrderRequest }>();
  /** Venue order ids of futures stops (cancelled through the algo endpoint). */
  const algoOrderIds = new Set<string>();
  const preparedSymbols = new Set<string>();
  const sessionLeverage = new Map<string, number>();
  /** Margin mode set through this instance per venue symbol (for venues whose positions do not say). */
  const sessionMarginMode = new Map<string, MarginMode>();
  /** Engine client ids of the venue client ids this instance sent (the venue form may not be reversible). */
  const portClientIds = new Map<string, string>();

  function venueClientId(clientOrderId: string): string {
    const venueId = dialect.venueClientOrderId(clientOrderId);
    portClientIds.set(venueId, clientOrderId);
    return venueId;
  }

  const portClientId = (venueId: string): string => portClientIds.get(venueId) ?? dialect.portClientOrderId(venueId);

  const redact = (text: string): string => {
    let out = text.replace(/signature=[0-9a-fA-F]+/g, 'signature=***');
    for (const s of secrets) out = out.split(s).join('***');
    return out;
  };

  function toExchangeError(failure: FailureClass, operation: string, error: unknown, attempts?: number): ExchangeError {
    const suffix = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
    return new ExchangeError(failure, `${id} ${operation} failed${suffix}: ${redact(messageOf(error))}`, error);
  }

  function backoffMs(attempt: number): number {
    const exp = Math.min(config.retry.maxDelayMs, config.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round((exp * (1 + random())) / 2);
  }

  function markReached(): void {
    if (!reached) {
      reached = true;
      client.timeout = timeoutMs;
    }
  }

  /** One venue call: classifies a failure into an ExchangeError (the cause keeps the ccxt error). */
  async function once<T>(operation: string, fn: () => Promise<T>, attempt: number): Promise<T> {
    if (closed) throw new ExchangeError(FailureClass.NonRetryable, `${id} exchange is closed`);
    try {
      const result = await fn();
      markReached();
      return result;
    } catch (error) {
      if (error instanceof ExchangeError) throw error;
      if (!(error instanceof BaseError)) {
        throw new ExchangeError(FailureClass.NonRetryable, `${id} ${operation} failed: ${redact(messageOf(error))}`, error);
      }
      if (!(error instanceof NetworkError)) markReached();
      const failure = classifyCcxtError(error);
      if (failure === FailureClass.Retryable && !reached && CONNECTION_FAILURE.test(messageOf(error))) {
        throw new VenueUnreachableError(FailureClass.Retryable, `cannot reach ${id} (${redact(messageOf(error))})`, error);
      }
      throw toExchangeError(failure, operation, error, attempt);
    }
  }

  /** True when another attempt is allowed after `error` on attempt number `attempt`. */
  function mayRetry(error: unknown, attempt: number): boolean {
    return (
      error instanceof ExchangeError &&
      error.failure === FailureClass.Retryable &&
      !isVenueUnreachable(error) &&
      attempt < config.retry.maxAttempts
    );
  }

  async function backoff(operation: string, attempt: number, error: unknown): Promise<void> {
    const delayMs = backoffMs(attempt);
    logger.warn({ exchange: id, operation, attempt, delayMs, error: messageOf(error) }, 'retryable exchange failure; backing off');
    await sleep(delayMs);
  }

  /** One venue call with retries of retryable failures (backoff between attempts). */
  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(operation, fn, attempt);
      } catch (error) {
        if (!mayRetry(error, attempt)) throw error;
        await backoff(operation, attempt, error);
      }
    }
  }

  async function ensureMarkets(): Promise<void> {
    if (!marketsLoaded) {
      marketsLoaded = call('loadMarkets', () => client.loadMarkets());
      marketsLoaded.catch(() => {
        marketsLoaded = null;
      });
    }
    await marketsLoaded;
  }

  function venueSymbol(symbol: string): string {
    if (typeof symbol !== 'string' || !/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/.test(symbol)) {
      throw new ValidationError('symbol', symbol, 'expected a market symbol like "BTC/USDT"');
    }
    const venue = futures && !symbol.includes(':') ? `${symbol}:${symbol.split('/')[1]}` : symbol;
    if (!marketOf(venue)) {
      throw new ExchangeError(FailureClass.NonRetryable, `instrument "${symbol}" is not listed on ${id} ${config.marketType}`);
    }
    return venue;
  }

  const marketOf = (venue: string) => (client.markets ? client.markets[venue] : undefined);

  const portSymbol = (venue: string | undefined, fallback: string): string => (venue ? venue.split(':')[0] : fallback);

  function feeInQuote(fee: { currency?: string; cost?: number } | undefined, price: number, venue: string): number {
    if (!fee || fee.cost === undefined || !Number.isFinite(fee.cost)) return 0;
    const market = marketOf(venue);
    if (!market) return fee.cost;
    if (fee.currency === undefined || fee.currency === market.quote || fee.currency === market.settle) return fee.cost;
    if (fee.currency === market.base) return fee.cost * price;
    logger.warn({ exchange: id, symbol: venue, currency: fee.currency, cost: fee.cost }, 'fee paid in an asset that cannot be priced here; counted as 0');
    return 0;
  }

  /** ccxt puts fees in `fee` and/or `fees` (not in its Order type). */
  function feesOf(o: CcxtOrder): { currency?: string; cost?: number }[] {
    const list = (o as { fees?: { currency?: string; cost?: number }[] }).fees;
    if (Array.isArray(list) && list.length > 0) return list.filter((f) => f !== null && f !== undefined);
    return o.fee ? [o.fee as { currency?: string; cost?: number }] : [];
  }

  function orderTypeOf(o: CcxtOrder, known?: OrderType): OrderType {
    if (known) return known;
    const t = String(o.type ?? '').toLowerCase();
    if (num(o.triggerPrice) > 0 || t.includes('stop')) return 'stop';
    return t === 'limit' ? 'limit' : 'market';
  }

  function statusOf(o: CcxtOrder, filled: number): { status: OrderStatus; reason: string | null } {
    switch (o.status) {
      case 'closed':
        return { status: 'filled', reason: null };
      case 'canceled':
        return { status: 'cancelled', reason: 'cancelled at the venue' };
      case 'expired':
        return { status: 'cancelled', reason: `expired at the venue with ${filled} filled` };
      case 'rejected':
        return { status: 'rejected', reason: 'rejected by the venue' };
      default:
        return { status: filled > 0 ? 'partially_filled' : 'new', reason: null };
    }
  }

  function mapOrder(o: CcxtOrder, fallback: { symbol: string; request?: OrderRequest; fee?: number }): Order {
    const info = (o.info ?? {}) as Record<string, unknown>;
    const filled = orZero(o.filled);
    const type = orderTypeOf(o, fallback.request?.type);
    const average = num(o.average);
    const averagePrice = filled > 0 ? (Number.isFinite(average) && average > 0 ? average : orZero(o.cost) / filled) : NaN;
    const { status, reason } = statusOf(o, filled);
    const createdAtMs = Number.isFinite(num(o.timestamp)) ? num(o.timestamp) : clock.nowMs();
    const updated = num(o.lastUpdateTimestamp ?? o.lastTradeTimestamp);
    let fee = fallback.fee;
    if (fee === undefined) {
      fee = feesOf(o).reduce((sum, f) => sum + feeInQuote(f, averagePrice, o.symbol ?? ''), 0);
    }
    const stop = num(o.triggerPrice ?? o.stopPrice);
    const venueClientOrderId = info['origClientOrderId'] ?? info['clientAlgoId'] ?? o.clientOrderId;
    return {
      id: String(o.id),
      clientOrderId: venueClientOrderId !== undefined && venueClientOrderId !== null ? portClientId(String(venueClientOrderId)) : (fallback.request?.clientOrderId ?? ''),
      symbol: portSymbol(o.symbol, fallback.symbol),
      side: o.side === 'sell' ? 'sell' : 'buy',
      type,
      status,
      amount: orZero(o.amount) || (fallback.request?.amount ?? 0),
      filled,
      price: type === 'limit' ? num(o.price) : null,
      stopPrice: stop > 0 ? stop : null,
      averagePrice,
      fee,
      reduceOnly: o.reduceOnly ?? fallback.request?.reduceOnly ?? false,
      createdAtMs,
      updatedAtMs: Number.isFinite(updated) ? updated : createdAtMs,
      reason,
    };
  }

  /** Fee of an order from its trades, quote currency; 0 (logged) when the trades cannot be read. */
  async function feeFromTrades(orderId: string, venue: string): Promise<number | undefined> {
    try {
      const trades: CcxtTrade[] = await call('fetchMyTrades', () => client.fetchMyTrades(venue, undefined, undefined, { orderId }));
      return trades
        .filter((t) => String(t.order) === orderId)
        .reduce((sum, t) => sum + feeInQuote(t.fee as { currency?: string; cost?: number } | undefined, orZero(t.price), venue), 0);
    } catch (error) {
      logger.warn({ exchange: id, orderId, error: redact(messageOf(error)) }, 'could not read the order trades for its fee');
      return undefined;
    }
  }

  /**
   * Maps an order, reading its fee from the trades when the order answer has none. A futures stop
   * that has triggered (Binance algo order with an `actualOrderId`) reports the fills of the market
   * order it placed in the matching engine, under the stop's own id, client id and stop price.
   */
  async function complete(o: CcxtOrder, venue: string, request?: OrderRequest): Promise<Order> {
    const actualOrderId = String(((o.info ?? {}) as Record<string, unknown>)['actualOrderId'] ?? '');
    if (actualOrderId !== '') {
      const actual = await call('fetchOrder', () => client.fetchOrder(actualOrderId, venue));
      const fills = await complete(actual, venue);
      const stop = mapOrder(o, { symbol: portSymbol(venue, venue), request, fee: 0 });
      return { ...fills, id: stop.id, clientOrderId: stop.clientOrderId, type: 'stop', amount: stop.amount, price: null, stopPrice: stop.stopPrice, reduceOnly: stop.reduceOnly, createdAtMs: stop.createdAtMs };
    }
    const hasFee = feesOf(o).some((f) => f.cost !== undefined);
    const fee = !hasFee && orZero(o.filled) > 0 ? await feeFromTrades(String(o.id), venue) : undefined;
    return mapOrder(o, { symbol: portSymbol(venue, venue), request, fee: fee ?? (hasFee ? undefined : 0) });
  }

  /** The venue's order for a client id, or null when the venue does not know it. */
  async function lookupByClientId(clientOrderId: string, venue: string, algo: boolean, request?: OrderRequest): Promise<Order | null> {
    try {
      const venueId = venueClientId(clientOrderId);
      const o = await call('fetchOrder', () => dialect.fetchByClientId(client, venue, venueId, algo));
      if (algo) algoOrderIds.add(String(o.id));
      return complete(o, venue, request);
    } catch (error) {
      if (error instanceof ExchangeError && error.cause instanceof OrderNotFound) return null;
      throw error;
    }
  }

  function rejected(request: OrderRequest, reason: string): Order {
    const now = clock.nowMs();
    return {
      id: `rejected-${request.clientOrderId}`,
      clientOrderId: request.clientOrderId,
      symbol: request.symbol.split(':')[0],
      side: request.side,
      type: request.type,
      status: 'rejected',
      amount: request.amount,
      filled: 0,
      price: request.type === 'limit' ? (request.price as number) : null,
      stopPrice: request.type === 'stop' ? (request.stopPrice as number) : null,
      averagePrice: NaN,
      fee: 0,
      reduceOnly: request.reduceOnly === true,
      createdAtMs: now,
      updatedAtMs: now,
      reason,
    };
  }

  async function prepareSymbol(venue: string): Promise<void> {
    if (!futures || preparedSymbols.has(venue)) return;
    if (config.marginMode !== undefined) await setMarginModeVenue(venue, config.marginMode);
    if (config.defaultLeverage !== undefined) await setLeverageVenue(venue, config.defaultLeverage);
    preparedSymbols.add(venue);
  }

  /** The venue's highest leverage for a futures symbol (its first leverage tier), read once; null when the venue does not say. */
  const maxLeverageBySymbol = new Map<string, number>();
  async function maxLeverageOf(venue: string): Promise<number | null> {
    const known = maxLeverageBySymbol.get(venue);
    if (known !== undefined) return known;
    const tiers = (await call('fetchLeverageTiers', () => client.fetchLeverageTiers([venue]))) as Record<string, { maxLeverage?: unknown }[] | undefined>;
    let max = 0;
    for (const tier of tiers[venue] ?? []) {
      const value = num(tier.maxLeverage);
      if (Number.isFinite(value) && value > max) max = value;
    }
    if (max <= 0) return null;
    maxLeverageBySymbol.set(venue, max);
    return max;
  }

  /** Sets the symbol's leverage at the venue. @throws ValidationError (nothing sent) above the venue's maximum for the symbol. */
  async function setLeverageVenue(venue: string, leverage: number): Promise<void> {
    const max = await maxLeverageOf(venue);
    if (max !== null && leverage > max) throw new ValidationError('leverage', leverage, `${id} allows at most ${max}x on ${venue}`);
    try {
      await call('setLeverage', () => client.setLeverage(leverage, venue));
    } catch (error) {
      // A venue that answers "not modified" to the leverage it already has (Bybit 110043): the symbol is at `leverage`.
      const unchanged = dialect.leverageUnchanged !== null && error instanceof ExchangeError && dialect.leverageUnchanged.test(messageOf(error.cause));
      if (!unchanged) throw error;
    }
    sessionLeverage.set(venue, leverage);
  }

  async function setMarginModeVenue(venue: string, mode: MarginMode): Promise<void> {
    try {
      await call('setMarginMode', () => client.setMarginMode(mode, venue));
    } catch (error) {
      if (!(error instanceof ExchangeError && error.cause instanceof MarginModeAlreadySet)) throw error;
    }
    sessionMarginMode.set(venue, mode);
  }

  function requireFutures(operation: string): void {
    if (!futures) throw new ExchangeError(FailureClass.NonRetryable, `${operation} needs a futures market; ${id} is configured for ${config.marketType}`);
  }

  async function createOrder(request: OrderRequest): Promise<Order> {
    validateRequest(request);
    await ensureMarkets();
    const venue = venueSymbol(request.symbol);
    const algo = futures && request.type === 'stop' && dialect.futuresStopsApart;
    const known = submitted.get(request.clientOrderId);
    if (known) {
      const existing = await lookupByClientId(request.clientOrderId, known.venueSymbol, known.algo, known.request);
      if (existing) return existing;
    }
    await prepareSymbol(venue);
    let amount: number;
    let price: number | undefined;
    const params: Record<string, unknown> = dialect.clientIdParams(venueClientId(request.clientOrderId), algo);
    try {
      amount = Number(client.amountToPrecision(venue, request.amount));
      if (request.type === 'limit') price = Number(client.priceToPrecision(venue, request.price as number));
      if (request.type === 'stop') Object.assign(params, dialect.stopParams(request.side, Number(client.priceToPrecision(venue, request.stopPrice as number))));
    } catch (error) {
      return rejected(request, `${id} precision rules refuse the order: ${redact(messageOf(error))}`);
    }
    if (!(amount > 0)) return rejected(request, `amount ${request.amount} rounds to 0 at the ${request.symbol} amount step`);
    if (futures && request.reduceOnly) params.reduceOnly = true;
    const ccxtType = request.type === 'limit' ? 'limit' : 'market';
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        // The lost attempt may have reached the venue: find it before submitting again.
        const existing = await lookupByClientId(request.clientOrderId, venue, algo, request);
        if (existing) {
          submitted.set(request.clientOrderId, { venueSymbol: venue, algo, request });
          return existing;
        }
      }
      try {
        const o = await once('createOrder', () => client.createOrder(venue, ccxtType, request.side, amount, price, { ...params }), attempt);
        submitted.set(request.clientOrderId, { venueSymbol: venue, algo, request });
        if (algo) algoOrderIds.add(String(o.id));
        // An answer that only acknowledges (ids, no status or fills) is followed by the order itself.
        const placed = dialect.answersAcknowledgeOnly ? await call('fetchOrder', () => client.fetchOrder(String(o.id), venue)) : o;
        return await complete(placed, venue, request);
      } catch (error) {
        if (mayRetry(error, attempt)) {
          await backoff('createOrder', attempt, error);
          continue;
        }
        if (!(error instanceof ExchangeError) || error.failure !== FailureClass.NonRetryable) throw error;
        const cause = error.cause;
        if (cause instanceof DuplicateOrderId || dialect.duplicateClientId.test(messageOf(cause))) {
          const existing = await lookupByClientId(request.clientOrderId, venue, algo, request);
          if (existing) {
            submitted.set(request.clientOrderId, { venueSymbol: venue, algo, request });
            return existing;
          }
        }
        const reason = cause instanceof InsufficientFunds ? `insufficient funds: ${error.message}` : error.message;
        logger.info({ exchange: id, clientOrderId: request.clientOrderId, symbol: request.symbol, reason }, 'order rejected by the venue');
        return rejected(request, reason);
      }
    }
  }

  async function cancelOrder(orderId: string, symbol: string): Promise<Order> {
    if (typeof orderId !== 'string' || orderId === '') throw new ValidationError('orderId', orderId, 'expected a non-empty string');
    await ensureMarkets();
    const venue = venueSymbol(symbol);
    const algo = algoOrderIds.has(orderId);
    const params = algo ? { trigger: true } : {};
    try {
      const o = await call('cancelOrder', () => client.cancelOrder(orderId, venue, params));
      // Binance answers an algo cancel with only {algoId, code, msg}, Bybit any cancel with the ids: read the final state.
      const final = algo || dialect.answersAcknowledgeOnly ? await call('fetchOrder', () => client.fetchOrder(orderId, venue, params)) : o;
      const mapped = await complete(final, venue);
      return mapped.status === 'cancelled' ? { ...mapped, reason: 'cancelled by request' } : mapped;
    } catch (error) {
      if (!(error instanceof ExchangeError) || !(error.cause instanceof OrderNotFound)) throw error;
      // Already finished (filled/cancelled) or unknown: report the venue's final state, if it has one.
      try {
        const o = await call('fetchOrder', () => client.fetchOrder(orderId, venue, params));
        return complete(o, venue);
      } catch (lookupError) {
        if (lookupError instanceof ExchangeError && lookupError.cause instanceof OrderNotFound) {
          throw new ExchangeError(FailureClass.NonRetryable, `order "${orderId}" of "${symbol}" is unknown to ${id}`, lookupError);
        }
        throw lookupError;
      }
    }
  }

  async function fetchOrder(orderId: string, symbol: string): Promise<Order> {
    if (typeof orderId !== 'string' || orderId === '') throw new ValidationError('orderId', orderId, 'expected a non-empty string');
    await ensureMarkets();
    const venue = venueSymbol(symbol);
    const known = algoOrderIds.has(orderId);
    // A futures id this client has not seen may be a stop placed before a restart: ask the Algo Service next.
    const attempts = known ? [true] : futures && dialect.futuresStopsApart ? [false, true] : [false];
    for (let i = 0; ; i++) {
      const algo = attempts[i];
      try {
        const o = await call('fetchOrder', () => client.fetchOrder(orderId, venue, algo ? { trigger: true } : {}));
        if (algo) algoOrderIds.add(orderId);
        return await complete(o, venue);
      } catch (error) {
        const unknown = error instanceof ExchangeError && error.cause instanceof OrderNotFound;
        if (!unknown) throw error;
        if (i + 1 < attempts.length) continue;
        throw new ExchangeError(FailureClass.NonRetryable, `order "${orderId}" of "${symbol}" is unknown to ${id}`, error);
      }
    }
  }

  async function fetchBalance(): Promise<Balance> {
    await ensureMarkets();
    const b = await call('fetchBalance', () => client.fetchBalance());
    const info = (b.info ?? {}) as Record<string, unknown>;
    if (futures) {
      const assets = Array.isArray(info['assets']) ? (info['assets'] as Record<string, unknown>[]) : [];
      const a = assets.find((x) => x['asset'] === quote);
      if (a) {
        const total = orZero(a['walletBalance']);
        const equity = orZero(a['marginBalance'] ?? total);
        const free = orZero(a['availableBalance']);
        return { currency: quote, total, free, used: equity - free, equity };
      }
      const account = (b as unknown as Record<string, { free?: number; used?: number; total?: number }>)[quote] ?? {};
      const total = orZero(account.total);
      // Equity is the wallet plus unrealised PnL where the venue reports it per coin (Bybit), else the wallet.
      const equity = dialect.futuresEquity(info, quote) ?? total;
      return { currency: quote, total, free: orZero(account.free), used: orZero(account.used), equity };
    }
    const balances = b as unknown as Record<string, { free?: number; used?: number; total?: number }>;
    const quoteBalance = balances[quote] ?? {};
    let holdings = 0;
    for (const [assetName, account] of Object.entries(b.total ?? {})) {
      const amount = orZero(account);
      const market = `${assetName}/${quote}`;
      if (assetName === quote || amount <= 0 || !marketOf(market)) continue;
      const ticker = await call('fetchTicker', () => client.fetchTicker(market));
      holdings += amount * orZero(ticker.last ?? ticker.close);
    }
    const free = orZero(quoteBalance.free);
    const total = orZero(quoteBalance.total) + holdings;
    return { currency: quote, total, free, used: total - free, equity: total };
  }

  function mapPosition(p: CcxtPosition, symbol: string): Position | null {
    const contracts = orZero(p.contracts) * (num(p.contractSize) || 1);
    if (contracts === 0) return null;
    const notional = Math.abs(orZero(p.notional));
    const initialMargin = orZero(p.initialMargin);
    const leverage =
      num(p.leverage) > 0 ? num(p.leverage) : (sessionLeverage.get(p.symbol ?? '') ?? (initialMargin > 0 ? Math.round(notional / initialMargin) : config.defaultLeverage ?? 1));
    const liquidation = num(p.liquidationPrice);
    return {
      symbol: portSymbol(p.symbol, symbol),
      side: p.side === 'short' ? 'short' : 'long',
      amount: Math.abs(contracts),
      entryPrice: num(p.entryPrice),
      markPrice: num(p.markPrice),
      unrealizedPnl: orZero(p.unrealizedPnl),
      realizedPnl: orZero(p.realizedPnl),
      leverage,
      marginMode: p.marginMode === 'isolated' || (p.marginMode === undefined && sessionMarginMode.get(p.symbol ?? '') === 'isolated') ? 'isolated' : 'cross',
      margin: initialMargin > 0 ? initialMargin : notional / leverage,
      liquidationPrice: liquidation > 0 ? liquidation : NaN,
      feesPaid: 0,
      fundingPaid: 0,
      openedAtMs: Number.isFinite(num(p.timestamp)) ? num(p.timestamp) : clock.nowMs(),
    };
  }

  /** The spot balance's total of every asset (ccxt `total`). */
  async function spotTotals(): Promise<Record<string, number>> {
    const b = await call('fetchBalance', () => client.fetchBalance());
    return (b.total as unknown as Record<string, number> | undefined) ?? {};
  }

  /** The holding of `venue`'s base asset as a long (`totals`: the balance's totals, read here when not given), or null below the market's minimum amount. */
  async function spotPosition(venue: string, symbol: string, totals?: Record<string, number>): Promise<Position | null> {
    const market = marketOf(venue) as NonNullable<ReturnType<typeof marketOf>>;
    const amount = orZero((totals ?? (await spotTotals()))[market.base]);
    const minAmount = orZero(market.limits?.amount?.min);
    if (amount <= 0 || amount < minAmount) return null;
    const ticker = await call('fetchTicker', () => client.fetchTicker(venue));
    const mark = orZero(ticker.last ?? ticker.close);
    return {
      symbol: portSymbol(venue, symbol),
      side: 'long',
      amount,
      entryPrice: NaN,
      markPrice: mark,
      unrealizedPnl: NaN,
      realizedPnl: 0,
      leverage: 1,
      marginMode: 'cross',
      margin: amount * mark,
      liquidationPrice: NaN,
      feesPaid: 0,
      fundingPaid: 0,
      openedAtMs: clock.nowMs(),
    };
  }

  async function fetchPositions(symbols: readonly string[]): Promise<Position[]> {
    await ensureMarkets();
    const venues = symbols.map(venueSymbol);
    if (!futures) {
      const out: Position[] = [];
      for (let i = 0; i < venues.length; i++) {
        const p = await spotPosition(venues[i], symbols[i]);
        if (p) out.push(p);
      }
      return out;
    }
    if (venues.length === 0) return [];
    const list: CcxtPosition[] = [];
    for (const batch of dialect.positionsOneSymbolPerCall ? venues.map((v) => [v]) : [venues]) {
      list.push(...(await call('fetchPositions', () => client.fetchPositions(batch))));
    }
    return list
      .filter((p) => p.symbol !== undefined && venues.includes(p.symbol))
      .map((p) => mapPosition(p, p.symbol as string))
      .filter((p): p is Position => p !== null);
  }

  /**
   * Every open position of the account (the port's `fetchOpenPositions`). Futures: one ccxt `fetchPositions` call
   * with no symbols, with the dialect's `openPositionsParams` (Bybit asks for the positions settled in the account's
   * quote currency, one page of at most 200, its v5 page limit); zero positions are dropped. A position of a market
   * that is not the quote's linear perpetual (a dated future, or one the loaded markets do not know) keeps the venue's
   * whole symbol, so it is never mistaken for the perpetual of the same pair. Spot: every asset of the balance's
   * totals, other than the quote currency, with a `${asset}/${quote}` market, as `fetchPosition` reports it (one
   * balance read, one ticker per holding).
   */
  async function fetchOpenPositions(): Promise<Position[]> {
    await ensureMarkets();
    if (!futures) {
      const totals = await spotTotals();
      const out: Position[] = [];
      for (const asset of Object.keys(totals).sort()) {
        const venue = `${asset}/${quote}`;
        if (asset === quote || !(orZero(totals[asset]) > 0) || !marketOf(venue)) continue;
        const p = await spotPosition(venue, venue, totals);
        if (p) out.push(p);
      }
      return out;
    }
    const list = await call('fetchPositions', () => client.fetchPositions(undefined, dialect.openPositionsParams(quote)));
    const out: Position[] = [];
    for (const p of list) {
      const info = (p.info ?? {}) as Record<string, unknown>;
      const venue = p.symbol ?? (typeof info['symbol'] === 'string' ? info['symbol'] : '');
      const mapped = mapPosition(p, venue);
      if (!mapped) continue;
      const perpetual = /^[^/:]+\/([^/:]+):([^/:-]+)$/.exec(venue);
      if (!perpetual || perpetual[1] !== perpetual[2]) mapped.symbol = venue;
      out.push(mapped);
    }
    return out;
  }

  async function fetchOpenOrders(symbol: string): Promise<Order[]> {
    await ensureMarkets();
    const venue = venueSymbol(symbol);
    const list = await call('fetchOpenOrders', () => client.fetchOpenOrders(venue));
    if (futures && dialect.futuresStopsApart) {
      // Futures stops wait in Binance's Algo Service, listed apart from the matching engine's orders.
      const stops = await call('fetchOpenOrders', () => client.fetchOpenOrders(venue, undefined, undefined, { trigger: true }));
      for (const stop of stops) algoOrderIds.add(String(stop.id));
      list.push(...stops);
    }
    const out: Order[] = [];
    for (const o of list) out.push(await complete(o, venue));
    return out;
  }

  return {
    id,
    get rateLimitMs() {
      return orZero(client.rateLimit);
    },
    async fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]> {
      if (!Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, timeframe)) {
        throw new ValidationError('timeframe', timeframe, `expected one of ${Object.keys(TIMEFRAME_MS).join(', ')}`);
      }
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new ValidationError('limit', limit, 'expected an integer >= 1');
      await ensureMarkets();
      const venue = venueSymbol(symbol);
      const rows = await call('fetchOhlcv', () => client.fetchOHLCV(venue, timeframe, sinceMs, limit));
      const candles: Candle[] = [];
      for (const row of rows) {
        const [openTimeMs, open, high, low, close, volume] = row.map(num);
        if ([openTimeMs, open, high, low, close, volume].every(Number.isFinite)) candles.push({ openTimeMs, open, high, low, close, volume });
      }
      candles.sort((a, b) => a.openTimeMs - b.openTimeMs);
      return candles;
    },
    createOrder,
    cancelOrder,
    fetchOrder,
    fetchBalance,
    async fetchPosition(symbol: string): Promise<Position | null> {
      const list = await fetchPositions([symbol]);
      return list[0] ?? null;
    },
    fetchOpenPositions,
    async setLeverage(symbol: string, leverage: number): Promise<void> {
      requireFutures('setLeverage');
      if (!Number.isInteger(leverage) || leverage < 1) throw new ValidationError('leverage', leverage, 'expected an integer >= 1');
      await ensureMarkets();
      await setLeverageVenue(venueSymbol(symbol), leverage);
    },
    async setMarginMode(symbol: string, mode: MarginMode): Promise<void> {
      requireFutures('setMarginMode');
      if (mode !== 'isolated' && mode !== 'cross') throw new ValidationError('marginMode', mode, 'expected "isolated" or "cross"');
      await ensureMarkets();
      await setMarginModeVenue(venueSymbol(symbol), mode);
    },
    async fetchFundingRate(symbol: string): Promise<FundingRate> {
      requireFutures('fetchFundingRate');
      await ensureMarkets();
      const venue = venueSymbol(symbol);
      const r = await call('fetchFundingRate', () => client.fetchFundingRate(venue));
      return {
        symbol: portSymbol(r.symbol, symbol),
        rate: num(r.fundingRate),
        markPrice: num(r.markPrice),
        nextFundingTimeMs: num(r.nextFundingTimestamp ?? r.fundingTimestamp),
        timeMs: Number.isFinite(num(r.timestamp)) ? num(r.timestamp) : clock.nowMs(),
      };
    },
    fetchOpenOrders,
    async reconcile(symbols: readonly string[]): Promise<VenueSnapshot> {
      if (!Array.isArray(symbols)) throw new ValidationError('symbols', symbols, 'expected an array of market symbols');
      await ensureMarkets();
      const openOrders: Order[] = [];
      for (const symbol of symbols) openOrders.push(...(await fetchOpenOrders(symbol)));
      const positions = await fetchPositions(symbols);
      const balance = await fetchBalance();
      logger.info({ exchange: id, symbols, openOrders: openOrders.length, positions: positions.length }, 'reconciled with the venue');
      return { openOrders, positions, balance, atMs: clock.nowMs() };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The market a venue id trades, from the venue registry (`binanceusdm` is USD-M futures, `binance` spot). */
export function marketTypeOf(exchangeId: CcxtExchangeId): MarketType {
  return requireVenue(exchangeId, 'exchangeId').marketType;
}

/**
 * A venue client for public data only (candles, funding rates), used by candle downloads and live
 * sessions' feeds. Fails fast (5 s, no retries) when the venue cannot be reached at all.
 */
export function createPublicCcxtExchange(
  exchangeId: CcxtExchangeId,
  deps: CcxtExchangeDeps,
  options: { urls?: Record<string, string>; retry?: CcxtRetryConfig } = {},
): CcxtExchange {
  return createCcxtExchange(
    {
      exchangeId,
      marketType: marketTypeOf(exchangeId),
      urls: options.urls,
      retry: options.retry ?? { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 16_000 },
      firstRequestTimeoutMs: 5_000,
      timeoutMs: 20_000,
    },
    deps,
  );
}
