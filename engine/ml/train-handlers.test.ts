import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { ModelKind } from '../ports/model-kind';
import { resolveTrainParams } from './train-handlers';

const PARAMS = { exchange: 'binance', timeframe: '1h', from: '2024-01-01', to: '2024-03-01' };

describe('the market symbol of a training job', () => {
  it('refuses a symbol outside the one rule (upper-case BASE/QUOTE), naming the field and the value; takes BTC/USDT', () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      let error: unknown = null;
      try {
        resolveTrainParams({ ...PARAMS, symbol: bad }, ModelKind.Regime);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'symbol', value: bad, message: `field "symbol" was "${bad}": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)` });
    }
    expect(resolveTrainParams({ ...PARAMS, symbol: 'BTC/USDT' }, ModelKind.Regime).symbol).toBe('BTC/USDT');
  });
});
