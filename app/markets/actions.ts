'use server';
/** Markets: queue a candle download from a venue's public API as a `download-candles` job (trader, audited). */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { downloadCandlesParamsSchema } from '@/engine/jobs/download-candles-job';
import { JobKind } from '@/engine/jobs/definitions';

/** The job's params; an empty `until` (the form's blank date) means "until now". */
const downloadInput = z.preprocess(
  (raw) => (raw && typeof raw === 'object' && (raw as { until?: unknown }).until === '' ? { ...(raw as object), until: undefined } : raw),
  downloadCandlesParamsSchema,
);

export const downloadCandles = action(
  { role: 'trader', input: downloadInput, audit: { action: 'candles.download', target: (i) => `${i.exchange} ${i.symbol} ${i.timeframe}` }, revalidate: ['/jobs'] },
  async ({ root, input, audit }) => {
    const ticketId = await root.engine.enqueue({ kind: JobKind.DownloadCandles, params: input });
    audit({ after: { ticketId } });
    return { ticketId };
  },
);
