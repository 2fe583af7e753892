/**
 * Websocket candles of a ccxt venue through ccxt pro's `watchOHLCV` (public streams, no keys): Binance
 * `<symbol>@kline_<interval>`, Bybit `kline.<interval>.<symbol>`. Each call waits for the next update of a
 * market's candles and returns the candles that changed since the previous call, the forming one included;
 * telling closed candles apart is the caller's job (watching-candle-feed.ts).
 *
 * Symbols: `BASE/QUOTE` as the port speaks them; on a futures venue the linear perpetual
 * `BASE/QUOTE:QUOTE` is watched. Failures are thrown as ExchangeError with the adapter's failure classes
 * (a dropped socket is retryable; ccxt opens a new connection on the next call).
 */
import { BaseError } from 'ccxt';
import type { Exchange as CcxtClient } from 'ccxt';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import type { Candle, Timeframe } from '../core/types';
import { requireVenue } from '../venues/registry';
import { classifyCcxtError } from './ccxt-exchange';
import { CCXT_VENUE_DIALECTS, ccxtClientSettings, type CcxtExchangeId } from './ccxt-venue-dialects';

/** Websocket candle updates of one venue. */
export interface OhlcvWatcher {
  /**
   * Waits for the next update of `symbol`'s `timeframe` candles; resolves with the candles updated since
   * the previous call (ascending open time, the forming candle included).
   * @throws ExchangeError retryable when the socket fails or closes, non-retryable for a bad symbol.
   */
  watchOhlcv(symbol: string, timeframe: Timeframe): Promise<Candle[]>;
  /** Closes the sockets; pending watches reject. Idempotent. */
  close(): Promise<void>;
}

/** Where to reach the venue: ccxt `urls.api` overrides (REST, for its market list) and `urls.api.ws` overrides. */
export interface CcxtOhlcvWatcherOptions {
  /** ccxt `urls.api` entries by key, as for CcxtExchange. */
  urls?: Readonly<Record<string, string>>;
  /** ccxt `urls.api.ws` entries by dot path (`spot`, `future` on Binance; `public.linear` on Bybit). */
  wsUrls?: Readonly<Record<string, string>>;
}

/**
 * A watcher for a venue of the registry, or null when ccxt pro has no `watchOHLCV` for it (callers poll).
 * @throws ValidationError for an unknown venue or a URL that is not ws(s)/http(s).
 */
export function createCcxtOhlcvWatcher(exchangeId: CcxtExchangeId, options: CcxtOhlcvWatcherOptions = {}): OhlcvWatcher | null {
  const venue = requireVenue(exchangeId, 'exchangeId');
  const dialect = CCXT_VENUE_DIALECTS[exchangeId];
  if (!dialect) throw new ValidationError('exchangeId', exchangeId, `expected one of ${Object.keys(CCXT_VENUE_DIALECTS).map((id) => `"${id}"`).join(', ')}`);
  for (const [key, url] of Object.entries(options.urls ?? {})) {
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new ValidationError(`urls.${key}`, url, 'expected an http(s) URL');
  }
  for (const [pathKey, url] of Object.entries(options.wsUrls ?? {})) {
    if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) throw new ValidationError(`wsUrls.${pathKey}`, url, 'expected a ws(s) URL');
  }
  const client: CcxtClient = new dialect.ProClient({ ...ccxtClientSettings(exchangeId, venue.marketType), enableRateLimit: true, timeout: 10_000 });
  if (!client.has['watchOHLCV']) {
    void client.close();
    return null;
  }
  const api = client.urls['api'] as Record<string, unknown>;
  for (const [key, url] of Object.entries(options.urls ?? {})) api[key] = url;
  for (const [pathKey, url] of Object.entries(options.wsUrls ?? {})) {
    const parts = pathKey.split('.');
    let node = api['ws'] as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = url;
  }
  const futures = venue.marketType === 'futures';
  const plainSockets = Object.values(options.wsUrls ?? {}).some((url) => url.startsWith('ws://'));
  let closed = false;
  let marketsLoaded: Promise<unknown> | null = null;

  const venueSymbol = (symbol: string) => (futures && !symbol.includes(':') ? `${symbol}:${symbol.split('/')[1]}` : symbol);

  function toExchangeError(error: unknown): ExchangeError {
    if (error instanceof ExchangeError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const failure = error instanceof BaseError ? classifyCcxtError(error) : FailureClass.Retryable;
    return new ExchangeError(failure, `${exchangeId} watchOHLCV failed: ${message}`, error);
  }

  return {
    async watchOhlcv(symbol, timeframe) {
      if (closed) throw new ExchangeError(FailureClass.NonRetryable, `${exchangeId} candle watcher is closed`);
      try {
        // ccxt needs a plain http agent before it opens a non-TLS ws:// socket (loopback or a local relay).
        marketsLoaded ??= (plainSockets ? client.loadHttpProxyAgent() : Promise.resolve()).then(() => client.loadMarkets()).catch((error: unknown) => {
          marketsLoaded = null;
          throw error;
        });
        await marketsLoaded;
        const rows = await client.watchOHLCV(venueSymbol(symbol), timeframe);
        const candles: Candle[] = [];
        for (const row of rows) {
          const [openTimeMs, open, high, low, close, volume] = row.map(Number);
          if ([openTimeMs, open, high, low, close, volume].every(Number.isFinite)) candles.push({ openTimeMs, open, high, low, close, volume });
        }
        return candles.sort((a, b) => a.openTimeMs - b.openTimeMs);
      } catch (error) {
        throw toExchangeError(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
