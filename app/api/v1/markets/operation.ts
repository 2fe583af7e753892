/** `GET /api/v1/markets`: the candles stored per exchange, symbol and timeframe (viewer). */
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { TIMEFRAME_MS, type Timeframe } from '@/engine/core/types';

export const timeframeSchema = z.enum(Object.keys(TIMEFRAME_MS) as [Timeframe, ...Timeframe[]]).meta({ id: 'Timeframe', description: 'Candle length.' });

export const marketSchema = z
  .object({
    exchange: z.string().meta({ example: 'binance' }),
    symbol: z.string().meta({ example: 'BTC/USDT' }),
    timeframe: timeframeSchema,
    count: z.number().int().meta({ description: 'Candles stored.' }),
    firstOpenTimeMs: z.number().int().meta({ description: 'Open time of the first stored candle, epoch ms (UTC).' }),
    lastOpenTimeMs: z.number().int().meta({ description: 'Open time of the last stored candle, epoch ms (UTC).' }),
  })
  .meta({ id: 'Market' });

export const listMarkets = defineOperation({
  operationId: 'listMarkets',
  method: 'get',
  path: '/api/v1/markets',
  tag: 'markets',
  summary: 'Stored candles per exchange, symbol and timeframe',
  description: 'Only markets with at least one stored candle are listed. Gaps inside the range are not counted: `count` is what is stored.',
  role: 'viewer',
  response: { status: 200, description: 'Every stored candle stream.', schema: z.object({ items: z.array(marketSchema) }) },
});
