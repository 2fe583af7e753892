import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { resolveStrategyCheck } from './strategy-check';

const catalog = createBuiltInCatalog();
const createStrategy = (name: string, params: unknown) => catalog.create(name, params);
const REQUEST = { strategy: 'ma-crossover', exchange: 'binance', timeframe: '1h' };

describe('the market symbol of a strategy check', () => {
  it('refuses a symbol outside the one rule (upper-case BASE/QUOTE), naming the field and the value; takes BTC/USDT', () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      let error: unknown = null;
      try {
        resolveStrategyCheck({ ...REQUEST, symbol: bad }, createStrategy);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'symbol', value: bad, message: `field "symbol" was "${bad}": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)` });
    }
    expect(resolveStrategyCheck({ ...REQUEST, symbol: 'BTC/USDT' }, createStrategy).market.symbol).toBe('BTC/USDT');
  });
});
