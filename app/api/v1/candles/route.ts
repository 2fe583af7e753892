import { apiRoute } from '@/app/_server/api-v1/operation';
import { CANDLE_UPLOAD_MAX_WARNINGS, importCandles } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(importCandles, async ({ root, input, audit }) => {
  const key = input.query;
  const result = await root.engine.importCandleText({ csv: input.body, key, name: 'body' });
  audit({ after: { parsed: result.parsed, inserted: result.inserted } });
  return { ...key, parsed: result.parsed, inserted: result.inserted, warnings: result.warnings.slice(0, CANDLE_UPLOAD_MAX_WARNINGS), warningCount: result.warnings.length };
});
