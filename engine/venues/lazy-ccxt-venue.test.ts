import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { isVenueUnreachable } from '../execution/ccxt-exchange';
import { openCcxtOhlcvWatcher, openPublicCcxtSource } from './lazy-ccxt-venue';
import { VENUE_IDS } from './registry';
import { ExchangeError } from '../core/errors';

const deps = { clock: { nowMs: () => 0 }, logger: silentLogger };

describe('openPublicCcxtSource', () => {
  it('refuses an unregistered venue at once, naming exchangeId and the registered ids', () => {
    expect(() => openPublicCcxtSource('kraken', deps)).toThrow(ValidationError);
    expect(() => openPublicCcxtSource('kraken', deps)).toThrow(`field "exchangeId" was "kraken": expected one of ${VENUE_IDS.map((id) => `"${id}"`).join(', ')}`);
  });

  it('closes a source that never fetched without connecting', async () => {
    await expect(openPublicCcxtSource('binance', deps).close()).resolves.toBeUndefined();
  });

  it('reaches the venue at the first fetch and reports an unreachable one through it', async () => {
    // Nothing listens on port 1 of the loopback: the connection is refused and the adapter fails fast.
    const dead = { public: 'http://127.0.0.1:1/api/v3', private: 'http://127.0.0.1:1/api/v3' };
    const source = openPublicCcxtSource('binance', deps, { urls: dead, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
    const failure = await source.fetchOhlcv('BTC/USDT', '5m', 0, 10).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isVenueUnreachable(failure), String(failure)).toBe(true);
    await expect(source.close()).resolves.toBeUndefined();
  }, 30_000);
});

describe('openCcxtOhlcvWatcher', () => {
  it('refuses an unregistered venue at once and closes an unused watcher without loading ccxt', async () => {
    expect(() => openCcxtOhlcvWatcher('kraken')).toThrow('field "exchangeId" was "kraken"');
    await expect(openCcxtOhlcvWatcher('binance').close()).resolves.toBeUndefined();
  });

  it('connects at the first watch and reports a refused socket as an exchange error', async () => {
    // Nothing listens on port 1 of the loopback, for the market list or the socket.
    const watcher = openCcxtOhlcvWatcher('binance', { urls: { public: 'http://127.0.0.1:1/api/v3' }, wsUrls: { spot: 'ws://127.0.0.1:1/ws' } });
    const failure = await watcher.watchOhlcv('BTC/USDT', '5m').then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure, String(failure)).toBeInstanceOf(ExchangeError);
    await expect(watcher.close()).resolves.toBeUndefined();
  }, 30_000);
});
