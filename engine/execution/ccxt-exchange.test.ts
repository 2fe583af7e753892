import { describe, expect, it } from 'vitest';
import { AuthenticationError, AccountSuspended, BadSymbol, DDoSProtection, ExchangeNotAvailable, InsufficientFunds, InvalidOrder, NetworkError, OperationRejected, OrderNotFound, PermissionDenied, RateLimitExceeded, RequestTimeout } from 'ccxt';
import { ExchangeError, FailureClass, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import { classifyCcxtError, createCcxtExchange, isVenueUnreachable, type CcxtExchangeConfig } from './ccxt-exchange';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = { clock: { nowMs: () => 0 }, logger: silent, sleep: async () => {} };
const base: CcxtExchangeConfig = { exchangeId: 'binance', marketType: 'spot', retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } };

describe('classifyCcxtError', () => {
  it('classifies network-level ccxt errors as retryable', () => {
    for (const error of [new NetworkError('x'), new RequestTimeout('x'), new RateLimitExceeded('x'), new DDoSProtection('x'), new ExchangeNotAvailable('x')]) {
      expect(classifyCcxtError(error)).toBe(FailureClass.Retryable);
    }
  });

  it('classifies order and market refusals as non-retryable', () => {
    for (const error of [new InvalidOrder('x'), new InsufficientFunds('x'), new BadSymbol('x'), new OrderNotFound('x'), new Error('boom')]) {
      expect(classifyCcxtError(error)).toBe(FailureClass.NonRetryable);
    }
  });

  it('classifies authentication failures, and Binance -2015 under any ccxt class, as fatal', () => {
    for (const error of [new AuthenticationError('x'), new PermissionDenied('x'), new AccountSuspended('x')]) {
      expect(classifyCcxtError(error)).toBe(FailureClass.Fatal);
    }
    expect(classifyCcxtError(new OperationRejected('binanceusdm {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'))).toBe(FailureClass.Fatal);
    expect(classifyCcxtError(new DDoSProtection('binance {"code":-2015,"msg":"Invalid API-key"}'))).toBe(FailureClass.Fatal);
  });
});

describe('createCcxtExchange', () => {
  it('refuses a bad config naming the field', () => {
    const cases: [Partial<CcxtExchangeConfig>, string][] = [
      [{ exchangeId: 'kraken' as never }, 'exchangeId'],
      [{ marketType: 'margin' as never }, 'marketType'],
      [{ exchangeId: 'binanceusdm', marketType: 'spot' }, 'marketType'],
      [{ apiKey: 'only-the-key' }, 'secret'],
      [{ retry: { maxAttempts: 0, baseDelayMs: 10, maxDelayMs: 100 } }, 'retry.maxAttempts'],
      [{ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 5 } }, 'retry.maxDelayMs'],
      [{ defaultLeverage: 2.5 }, 'defaultLeverage'],
      [{ urls: { public: 'ftp://x' } }, 'urls.public'],
    ];
    for (const [override, field] of cases) {
      const error = (() => {
        try {
          createCcxtExchange({ ...base, ...override }, deps);
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it('fails at once, without retries, when the venue cannot be reached at all', async () => {
    const sleeps: number[] = [];
    const exchange = createCcxtExchange(
      { ...base, urls: { public: 'http://127.0.0.1:1/api/v3', private: 'http://127.0.0.1:1/api/v3' }, firstRequestTimeoutMs: 2_000 },
      { ...deps, sleep: async (ms) => void sleeps.push(ms) },
    );
    const error = await exchange.fetchOhlcv('BTC/USDT', '5m', 0, 10).catch((e: unknown) => e);
    expect(isVenueUnreachable(error)).toBe(true);
    expect((error as ExchangeError).failure).toBe(FailureClass.Retryable);
    expect((error as ExchangeError).message).toMatch(/^cannot reach binance \(.*ECONNREFUSED/);
    expect(sleeps).toEqual([]);
    await exchange.close();
  });

  it('validates an order before any request', async () => {
    const exchange = createCcxtExchange(base, deps);
    await expect(exchange.createOrder({ clientOrderId: 'a b', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 1 })).rejects.toThrow(ValidationError);
    await expect(exchange.createOrder({ clientOrderId: 'ok', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 1 })).rejects.toThrow(/field "price"/);
    await exchange.close();
  });

  it('refuses futures-only calls on a spot venue as non-retryable', async () => {
    const exchange = createCcxtExchange(base, deps);
    const error = await exchange.setLeverage('BTC/USDT', 3).catch((e: unknown) => e);
    expect((error as ExchangeError).failure).toBe(FailureClass.NonRetryable);
    await exchange.close();
  });
});
