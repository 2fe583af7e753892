/**
 * What differs between the ccxt venues CcxtExchange drives: the ccxt client class and its options, how
 * a client order id is sent and looked up, how a stop is placed, and how the venue says "duplicate client
 * id" or "leverage already set". One entry per venue id of the venue registry that trades through ccxt;
 * the adapter (ccxt-exchange.ts) asks this table and holds no venue names of its own.
 *
 * Binance (spot `binance`, USDⓈ-M `binanceusdm`): client ids go as `newClientOrderId` (1-36 characters of
 * letters, digits and `. _ : / -`, the engine's own rule), futures stops live in the Algo Service.
 *
 * Bybit (`bybit`, v5 unified trading account, linear perpetuals `BTC/USDT:USDT`, one-way mode): client ids
 * go as `orderLinkId`, at most 36 characters of letters, digits, `-` and `_` (Bybit v5 "Place Order"), so
 * ids are re-encoded deterministically by `bybitOrderLinkId` and decoded back by `clientIdOfBybitOrderLinkId`.
 * A conditional (stop) order is an ordinary order with `triggerPrice` and `triggerDirection` (a sell stop
 * triggers on a falling price, a buy stop on a rising one), listed and cancelled with the other orders.
 * Create and cancel answers carry only the ids, so the adapter reads the order back for its state and fills. Margin
 * mode is account-wide on a unified account (`/v5/account/set-margin-mode`). Leverage already at the asked
 * value is answered with retCode 110043, which is success here.
 */
import { binance, binanceusdm, bybit, pro, OrderNotFound, type Exchange as CcxtClient, type Order as CcxtOrder } from 'ccxt';
import type { MarketType, OrderSide } from '../core/types';

/** ccxt venue ids the adapter supports (a subset of the venue registry's ids). */
export const CcxtExchangeId = { Binance: 'binance', BinanceUsdm: 'binanceusdm', Bybit: 'bybit' } as const;
export type CcxtExchangeId = (typeof CcxtExchangeId)[keyof typeof CcxtExchangeId];

/** The venue specifics CcxtExchange needs. */
export interface CcxtVenueDialect {
  /** ccxt client class. */
  readonly Client: typeof binance | typeof binanceusdm | typeof bybit;
  /** ccxt pro client class (REST plus websocket `watch*` methods), for websocket candles. */
  readonly ProClient: typeof pro.binance | typeof pro.binanceusdm | typeof pro.bybit;
  /** Extra ccxt `options` (merged over the adapter's own). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Capabilities to switch off in ccxt (`has`), e.g. a currency list the adapter never reads. */
  readonly hasOff: readonly string[];
  /** The id sent to the venue for an engine client order id (deterministic: the same id maps the same way). */
  venueClientOrderId(clientOrderId: string): string;
  /** The engine client order id of an id the venue reports, or the venue's id when it is not one of ours. */
  portClientOrderId(venueClientOrderId: string): string;
  /** createOrder params carrying the venue client id. */
  clientIdParams(venueClientOrderId: string, separateStop: boolean): Record<string, unknown>;
  /** createOrder params of a stop (trigger) order at `triggerPrice` (already at the tick). */
  stopParams(side: OrderSide, triggerPrice: number): Record<string, unknown>;
  /** Whether futures stops live in a separate service with their own ids and endpoints (Binance Algo Service). */
  readonly futuresStopsApart: boolean;
  /** Whether create and cancel answers only acknowledge (ids, no status or fills), so the order is read back. */
  readonly answersAcknowledgeOnly: boolean;
  /** Whether fetchPositions takes one symbol per call (when asked for a list of symbols; see `openPositionsParams` for all). */
  readonly positionsOneSymbolPerCall: boolean;
  /**
   * The params of a fetchPositions call with no symbols, which lists every open position of the account settled in
   * `quote`: Binance needs none (positionRisk without a symbol answers every symbol); Bybit v5 requires a symbol or a
   * `settleCoin` (ccxt would default to USDT), and answers one page of at most 200 positions.
   */
  openPositionsParams(quote: string): Record<string, unknown>;
  /** Matches the venue's answer to a client id it already has. */
  readonly duplicateClientId: RegExp;
  /** Matches the venue's answer to a leverage that is already set (success), or null. */
  readonly leverageUnchanged: RegExp | null;
  /** Futures equity (wallet plus unrealised PnL) of `currency` from the raw balance answer, or null when it has none. */
  futuresEquity(balanceInfo: Readonly<Record<string, unknown>>, currency: string): number | null;
  /**
   * The venue's order with a client id, in the ccxt shape; throws ccxt OrderNotFound when the venue
   * does not know it.
   */
  fetchByClientId(client: CcxtClient, venueSymbol: string, venueClientOrderId: string, separateStop: boolean): Promise<CcxtOrder>;
}

const BYBIT_ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;
const BYBIT_ESCAPES: Record<string, string> = { _: '__', ':': '_c', '/': '_s', '.': '_d' };
const BYBIT_UNESCAPES: Record<string, string> = { _: '_', c: ':', s: '/', d: '.' };

/** 32-bit FNV-1a of a string, as 8 hex digits. */
function fnv1aHex(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The Bybit `orderLinkId` of an engine client order id (Binance charset, 1-36 characters). Reversible
 * when it fits: `_` becomes `__`, `:` `_c`, `/` `_s`, `.` `_d`, every other character stays
 * (`live:usdm-entry-1704067500000` -> `live_cusdm-entry-1704067500000`). When the escaped id is longer than
 * 36 characters it becomes the first 26 characters with every non-alphanumeric character as `-`, then `_x`
 * and the 8-hex-digit FNV-1a hash of the whole id: still deterministic (a resubmission carries the same
 * id, so Bybit refuses a duplicate), but `clientIdOfBybitOrderLinkId` cannot restore it.
 */
export function bybitOrderLinkId(clientOrderId: string): string {
  let escaped = '';
  for (const ch of clientOrderId) escaped += BYBIT_ESCAPES[ch] ?? ch;
  if (escaped.length <= 36) return escaped;
  return `${clientOrderId.slice(0, 26).replace(/[^A-Za-z0-9]/g, '-')}_x${fnv1aHex(clientOrderId)}`;
}

/**
 * The engine client order id behind a Bybit `orderLinkId` made by `bybitOrderLinkId`, or the
 * `orderLinkId` itself when it is not such an escape (an order placed by other software, or the
 * hashed form of a long id).
 */
export function clientIdOfBybitOrderLinkId(orderLinkId: string): string {
  let out = '';
  for (let i = 0; i < orderLinkId.length; i++) {
    const ch = orderLinkId[i];
    if (ch !== '_') {
      out += ch;
      continue;
    }
    const restored = BYBIT_UNESCAPES[orderLinkId[i + 1] ?? ''];
    if (restored === undefined) return orderLinkId;
    out += restored;
    i++;
  }
  return out;
}

const binanceDialect = (Client: typeof binance | typeof binanceusdm, ProClient: typeof pro.binance | typeof pro.binanceusdm): CcxtVenueDialect => ({
  Client,
  ProClient,
  options: {},
  hasOff: [],
  venueClientOrderId: (id) => id,
  portClientOrderId: (id) => id,
  clientIdParams: (id, separateStop) => (separateStop ? { clientAlgoId: id } : { newClientOrderId: id }),
  stopParams: (_side, triggerPrice) => ({ triggerPrice }),
  futuresStopsApart: true,
  answersAcknowledgeOnly: false,
  positionsOneSymbolPerCall: false,
  openPositionsParams: () => ({}),
  duplicateClientId: /Duplicate order sent|ClientOrderId is duplicated/i,
  leverageUnchanged: null,
  futuresEquity: () => null,
  fetchByClientId: (client, venueSymbol, id, separateStop) =>
    client.fetchOrder(undefined as unknown as string, venueSymbol, separateStop ? { clientAlgoId: id, trigger: true } : { origClientOrderId: id }),
});

const bybitDialect: CcxtVenueDialect = {
  Client: bybit,
  ProClient: pro.bybit,
  // A unified trading account (every Bybit account since 2024): ccxt skips its account-type probe, and
  // fetchOrder reads `/v5/order/realtime`, which keeps an account's last 500 orders.
  options: { enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6, fetchOrder: { acknowledged: true } },
  // The coin list (`/v5/asset/coin/query-info`, an asset-permission call) is not needed to trade.
  hasOff: ['fetchCurrencies'],
  venueClientOrderId: bybitOrderLinkId,
  portClientOrderId: clientIdOfBybitOrderLinkId,
  clientIdParams: (id) => ({ clientOrderId: id }),
  stopParams: (side, triggerPrice) => ({ triggerPrice, triggerDirection: side === 'sell' ? 'descending' : 'ascending' }),
  futuresStopsApart: false,
  answersAcknowledgeOnly: true,
  positionsOneSymbolPerCall: true,
  openPositionsParams: (quote) => ({ settleCoin: quote }),
  duplicateClientId: /"retCode":\s*110072\b/,
  leverageUnchanged: /"retCode":\s*110043\b/,
  futuresEquity(balanceInfo, currency) {
    // `/v5/account/wallet-balance`: result.list[].coin[] with walletBalance and equity (wallet + unrealised PnL).
    const result = balanceInfo['result'] as { list?: { coin?: { coin?: string; equity?: string }[] }[] } | undefined;
    const coin = result?.list?.flatMap((account) => account.coin ?? []).find((c) => c.coin === currency);
    const equity = Number(coin?.equity);
    return coin?.equity !== undefined && coin.equity !== '' && Number.isFinite(equity) ? equity : null;
  },
  async fetchByClientId(client, venueSymbol, id) {
    const market = client.market(venueSymbol);
    const category = market.linear ? 'linear' : market.inverse ? 'inverse' : 'spot';
    const answer = (await (client as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>).privateGetV5OrderRealtime({
      category,
      symbol: market.id,
      orderLinkId: id,
    })) as { result?: { list?: Record<string, unknown>[] } };
    const row = answer.result?.list?.[0];
    if (!row) throw new OrderNotFound(`bybit order with orderLinkId "${id}" was not found`);
    return client.parseOrder(row, market);
  },
};

/** The dialect of each ccxt venue id. */
export const CCXT_VENUE_DIALECTS: Readonly<Record<CcxtExchangeId, CcxtVenueDialect>> = Object.freeze({
  binance: binanceDialect(binance, pro.binance),
  binanceusdm: binanceDialect(binanceusdm, pro.binanceusdm),
  bybit: bybitDialect,
});

/**
 * The ccxt constructor settings shared by every client of a venue (REST and websocket): the market
 * type's markets only, no currency or margin lists, the dialect's options and capabilities switched off.
 */
export function ccxtClientSettings(exchangeId: CcxtExchangeId, marketType: MarketType): { has: Record<string, boolean>; options: Record<string, unknown> } {
  const dialect = CCXT_VENUE_DIALECTS[exchangeId];
  const futures = marketType === 'futures';
  return {
    has: Object.fromEntries(dialect.hasOff.map((capability) => [capability, false])),
    options: {
      defaultType: futures ? 'swap' : 'spot',
      fetchMarkets: { types: [futures ? 'linear' : 'spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      ...dialect.options,
    },
  };
}
