/** `POST /api/v1/candles`: import a candle CSV into storage through the running server (trader). */
import { marketSymbolSchema } from '@/engine/core/market-symbol';
import { z } from 'zod';
import { defineOperation } from '@/app/_server/api-v1/operation';
import { CANDLE_CSV_COLUMNS } from '@/engine/market/candle-csv';
import { timeframeSchema } from '../markets/operation';

/** Uploads above this are refused with 413 before parsing (≈ 900 000 one-minute candles). */
export const CANDLE_UPLOAD_MAX_BYTES = 50 * 1024 * 1024;
/** Gap warnings returned; `warningCount` has the total. */
export const CANDLE_UPLOAD_MAX_WARNINGS = 100;

export const importCandles = defineOperation({
  operationId: 'importCandles',
  method: 'post',
  path: '/api/v1/candles',
  tag: 'markets',
  summary: 'Import candles from a CSV body',
  description:
    `The body is a CSV with the header \`${CANDLE_CSV_COLUMNS.join(',')}\` (any column order): open time in epoch ms aligned to the ` +
    'timeframe and strictly ascending, positive prices with low <= open, close <= high, volume >= 0 (the same rules as ' +
    '`npm run cli -- import-candles`). The whole file is checked first: one bad row refuses it with 400 naming the line and ' +
    'field, and nothing is stored. Candles already stored (same open time) are kept, so importing twice adds nothing. ' +
    'Gaps are legal and come back as warnings.',
  role: 'trader',
  query: z.object({
    exchange: z.string().min(1).max(64).meta({ example: 'binance' }),
    symbol: marketSymbolSchema.max(64).meta({ example: 'BTC/USDT' }),
    timeframe: timeframeSchema,
  }),
  body: {
    contentType: 'text/csv',
    description: 'Candle CSV text (UTF-8, not compressed).',
    schema: z.string().meta({ example: 'timestamp_ms,open,high,low,close,volume\n1704067200000,42000,42100,41900,42050,12.5\n' }),
    maxBytes: CANDLE_UPLOAD_MAX_BYTES,
  },
  response: {
    status: 200,
    description: 'Stored. `inserted` counts candles new to storage.',
    schema: z.object({
      exchange: z.string(),
      symbol: z.string(),
      timeframe: timeframeSchema,
      parsed: z.number().int().meta({ description: 'Candle rows in the body.' }),
      inserted: z.number().int().meta({ description: 'Candles added (rows whose open time was already stored are not).' }),
      warnings: z.array(z.string()).meta({ description: `The first ${CANDLE_UPLOAD_MAX_WARNINGS} gap warnings, each \`body:LINE: gap of N candles before TIME\`.` }),
      warningCount: z.number().int(),
    }),
  },
  audit: { action: 'candles.import', target: ({ query }) => `${query.exchange} ${query.symbol} ${query.timeframe}` },
});
