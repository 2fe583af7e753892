/**
 * Real venues without paying for ccxt up front: ccxt (some 300 modules, about a second and 100 MB to
 * load) is imported the first time a venue is actually called, never by a process that only backtests,
 * imports candles or serves pages. The composition root reaches the ccxt adapter only through here.
 */
import type { Candle, Timeframe } from '../core/types';
import type { ClosableCandleSource } from '../ports/candle-source';
import type { CcxtExchange, CcxtExchangeConfig, CcxtExchangeDeps, CcxtRetryConfig } from '../execution/ccxt-exchange';
import type { CcxtOhlcvWatcherOptions, OhlcvWatcher } from '../execution/ccxt-ohlcv-watcher';
import { ExchangeError, FailureClass } from '../core/errors';
import { requireVenue } from './registry';

/**
 * Connects a keyed ccxt venue (loads ccxt now). Same contract as `createCcxtExchange`.
 * @throws ValidationError naming the field of a bad config (as `createCcxtExchange`).
 */
export async function connectCcxtExchange(config: CcxtExchangeConfig, deps: CcxtExchangeDeps): Promise<CcxtExchange> {
  const { createCcxtExchange } = await import('../execution/ccxt-exchange');
  return createCcxtExchange(config, deps);
}

/**
 * A public (no keys) candle source on a registered venue, for downloads and live sessions' feeds; ccxt
 * loads at the first `fetchOhlcv`. `close` before any fetch loads nothing.
 * @throws ValidationError naming `exchangeId` when the venue is not registered (at once, before any load).
 */
export function openPublicCcxtSource(
  exchangeId: string,
  deps: CcxtExchangeDeps,
  options: { urls?: Record<string, string>; retry?: CcxtRetryConfig } = {},
): ClosableCandleSource {
  requireVenue(exchangeId, 'exchangeId');
  let client: Promise<CcxtExchange> | null = null;
  const connect = () =>
    (client ??= import('../execution/ccxt-exchange').then(({ createPublicCcxtExchange }) =>
      createPublicCcxtExchange(exchangeId as CcxtExchangeConfig['exchangeId'], deps, options),
    ));
  return {
    async fetchOhlcv(symbol: string, timeframe: Timeframe, sinceMs?: number, limit?: number): Promise<Candle[]> {
      return (await connect()).fetchOhlcv(symbol, timeframe, sinceMs, limit);
    },
    async close() {
      // A client that never connected (no fetch, or its creation failed) has nothing to release.
      const connected = client && (await client.catch(() => null));
      await connected?.close();
    },
  };
}

/**
 * A venue's candle websocket (ccxt pro `watchOHLCV`) that loads ccxt at the first watch. A venue whose
 * ccxt client has no `watchOHLCV` answers that watch with a non-retryable ExchangeError, which a
 * watching candle feed takes as "poll over REST from now on". `close` before any watch loads nothing.
 * @throws ValidationError naming `exchangeId` when the venue is not registered (at once, before any load).
 */
export function openCcxtOhlcvWatcher(exchangeId: string, options: CcxtOhlcvWatcherOptions = {}): OhlcvWatcher {
  requireVenue(exchangeId, 'exchangeId');
  let watcher: Promise<OhlcvWatcher | null> | null = null;
  const connect = () =>
    (watcher ??= import('../execution/ccxt-ohlcv-watcher').then(({ createCcxtOhlcvWatcher }) => createCcxtOhlcvWatcher(exchangeId as CcxtExchangeConfig['exchangeId'], options)));
  return {
    async watchOhlcv(symbol: string, timeframe: Timeframe): Promise<Candle[]> {
      const connected = await connect();
      if (!connected) throw new ExchangeError(FailureClass.NonRetryable, `${exchangeId} has no candle websocket in ccxt`);
      return connected.watchOhlcv(symbol, timeframe);
    },
    async close() {
      const connected = watcher && (await watcher.catch(() => null));
      await connected?.close();
    },
  };
}
