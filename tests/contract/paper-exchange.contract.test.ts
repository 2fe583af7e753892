/**
 * The Exchange contract against the PaperExchange simulation (spot and futures), primed with
 * candles closing at 42 000 so market orders have a price.
 */
import { createPaperExchange } from '../../engine/execution/paper-exchange';
import type { Candle, Timeframe } from '../../engine/core/types';
import { runExchangeContract } from './exchange-contract';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;
const candles: Candle[] = Array.from({ length: 20 }, (_, i) => ({
  openTimeMs: T0 + i * STEP,
  open: 41_990,
  high: 42_010,
  low: 41_980,
  close: 42_000,
  volume: 1_000_000,
}));

runExchangeContract('PaperExchange', async (marketType) => {
  let now = T0 + candles.length * STEP;
  const exchange = createPaperExchange(
    {
      marketType,
      initialBalance: 10_000,
      makerFeeBps: 2,
      takerFeeBps: 5,
      spreadBps: 0,
      slippageBps: 0,
      maxVolumeShare: 1,
      leverage: marketType === 'futures' ? 20 : 1,
    },
    {
      clock: { nowMs: () => now++ },
      candleSource: {
        async fetchOhlcv(_symbol: string, _timeframe: Timeframe, sinceMs?: number, limit?: number) {
          return candles.filter((c) => c.openTimeMs >= (sinceMs ?? 0)).slice(0, limit ?? candles.length);
        },
      },
    },
  );
  for (const c of candles) exchange.onCandle('BTC/USDT', c.openTimeMs, c.open, c.high, c.low, c.close, c.volume);
  return {
    exchange,
    symbol: 'BTC/USDT',
    smallAmount: 0.004,
    restingBuyPrice: 30_000,
    hugeAmount: 100,
    candles: { timeframe: '5m', sinceMs: T0 },
    close: () => exchange.close(),
  };
});
