'use client';
import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { ActionForm, FormField } from '@/app/_components/action-form';
import { fmtFractionPct, fmtTime } from '@/app/_components/format';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { Page } from '@/engine/ports/journal';
import type { Ticket } from '@/engine/orchestrator/job-queue';
import { ScrollTable } from '@/app/_components/scroll-table';

async function fetchDownloads(): Promise<Page<Ticket>> {
  const response = await fetch('/api/tickets?kind=download-candles&limit=10', { cache: 'no-store' });
  if (!response.ok) throw new Error(`jobs request failed with ${response.status}`);
  return response.json();
}

const marketOf = (t: Ticket) => {
  const p = t.params as { exchange?: string; symbol?: string; timeframe?: string };
  return `${p.exchange ?? '?'} ${p.symbol ?? '?'} ${p.timeframe ?? '?'}`;
};

/**
 * The download form (a `download-candles` job, like `npm run cli -- download-candles`) and the last
 * ten download jobs with live progress; the market list refreshes when one finishes.
 */
export function CandleDownloads({
  initial,
  nowMs,
  canDownload,
  exchanges,
  timeframes,
  download,
}: {
  initial: Page<Ticket>;
  nowMs: number;
  canDownload: boolean;
  exchanges: readonly { value: string; label: string }[];
  timeframes: readonly string[];
  download: (input: unknown) => Promise<ActionResult<unknown>>;
}) {
  const router = useRouter();
  const { data, error, refetch } = useQuery({
    queryKey: ['tickets', 'download-candles'],
    queryFn: fetchDownloads,
    initialData: initial,
    initialDataUpdatedAt: nowMs,
    refetchInterval: (query) => ((query.state.data?.items ?? []).some((t) => t.status === 'queued' || t.status === 'running') ? 1_000 : 5_000),
  });
  const tickets = data?.items ?? [];
  // Refresh the server-rendered market list when a download finishes (it may have stored candles).
  const finished = useRef(new Set(initial.items.filter((t) => t.status !== 'queued' && t.status !== 'running').map((t) => t.id)));
  useEffect(() => {
    let changed = false;
    for (const t of tickets) {
      if ((t.status === 'succeeded' || t.status === 'failed' || t.status === 'cancelled') && !finished.current.has(t.id)) {
        finished.current.add(t.id);
        changed = true;
      }
    }
    if (changed) router.refresh();
  }, [tickets, router]);

  return (
    <>
      {canDownload ? (
        <ActionForm action={download} submitLabel="Queue download" testId="candle-download" onDone={() => void refetch()}>
          <p className="muted">
            Downloads from the venue&apos;s public API (no keys; binanceusdm is Binance USD-M perpetuals) as a job, resuming after the last stored candle; progress shows below and on the Jobs page.
            If the venue cannot be reached the job fails with the reason and stores nothing.
          </p>
          <FormField name="exchange" label="Exchange" options={exchanges} />
          <FormField name="symbol" label="Symbol" placeholder="BTC/USDT" required />
          <FormField name="timeframe" label="Timeframe" options={timeframes} defaultValue="1h" />
          <FormField name="since" label="Since" hint="UTC date" type="date" required />
          <FormField name="until" label="Until" hint="UTC date, blank = now" type="date" />
        </ActionForm>
      ) : null}
      {error ? <p className="error">Refresh failed: {(error as Error).message}</p> : null}
      {tickets.length === 0 ? (
        <p className="muted" data-testid="downloads-empty">
          No downloads yet.
        </p>
      ) : (
        <ScrollTable label="Candle downloads" data-testid="downloads">
            <thead>
              <tr>
                <th scope="col">Queued (UTC)</th>
                <th scope="col">Market</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {tickets.map((t) => (
                <tr key={t.id} data-testid="download-row">
                  <td>{fmtTime(t.createdAtMs)}</td>
                  <td>{marketOf(t)}</td>
                  <td>
                    <span className={`badge ${t.status === 'succeeded' ? 'ok' : t.status === 'failed' ? 'bad' : t.status === 'running' ? 'warn' : ''}`}>{t.status}</span>
                  </td>
                  <td>
                    <progress className="progress" max={1} value={t.progress} aria-label={`Progress of the download of ${marketOf(t)}`} /> {fmtFractionPct(t.progress, 0)}
                    {t.progressMessage ? ` · ${t.progressMessage}` : ''}
                  </td>
                  <td data-testid="download-outcome">
                    {t.kind === 'download-candles' && t.result
                      ? `${t.result.inserted ?? 0} new candles in ${t.result.pages ?? 0} page${t.result.pages === 1 ? '' : 's'}`
                      : (t.error ?? '')}
                  </td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      )}
    </>
  );
}
