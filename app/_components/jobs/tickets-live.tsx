'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { Page } from '@/engine/ports/journal';
import type { Ticket } from '@/engine/orchestrator/job-queue';
import { fmtDuration, fmtFractionPct, fmtTime } from '../format';
import { ScrollTable } from '@/app/_components/scroll-table';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

async function fetchTickets(status: string): Promise<Page<Ticket>> {
  const response = await fetch(`/api/tickets?limit=100${status ? `&status=${status}` : ''}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`tickets request failed with ${response.status}`);
  return response.json();
}

/** Job tickets, refreshed every 3 s: status, progress, attempts, duration, error; cancel for traders. */
export function TicketsLive({ initial, cancel, canCancel, nowMs }: { initial: Page<Ticket>; cancel: (input: unknown) => Promise<ActionResult<unknown>>; canCancel: boolean; nowMs: number }) {
  const [status, setStatus] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const { data, error, refetch, dataUpdatedAt } = useQuery({
    queryKey: ['tickets', status],
    queryFn: () => fetchTickets(status),
    initialData: status === '' ? initial : undefined,
    initialDataUpdatedAt: nowMs,
    refetchInterval: 3_000,
  });
  const tickets = data?.items ?? [];
  const duration = (t: Ticket) => (t.startedAtMs === null ? null : (t.finishedAtMs ?? Math.max(nowMs, dataUpdatedAt)) - t.startedAtMs);
  return (
    <>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="ticket-status-filter">
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'all'}
              </option>
            ))}
          </select>
        </label>
        {error ? <span className="error">Refresh failed: {(error as Error).message}</span> : <span className="muted" aria-live="polite">Refreshes every 3 s.</span>}
      </div>
      {message && (
        <p role="status" className="muted">
          {message}
        </p>
      )}
      {tickets.length === 0 ? (
        <p className="muted" data-testid="tickets-empty">
          No jobs{status ? ` with status ${status}` : ''} yet. Backtests, candle downloads, training and snapshots queued from the CLI, the Backtests page or the Markets page appear here.
        </p>
      ) : (
        <ScrollTable label="Jobs" data-testid="tickets">
            <thead>
              <tr><th scope="col">Created (UTC)</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Attempts</th><th scope="col">Duration</th><th scope="col">Error</th><th scope="col"><span className="muted">Actions</span></th></tr>
            </thead>
            <tbody>
              {tickets.map((t) => (
                <tr key={t.id} data-testid="ticket-row">
                  <td>{fmtTime(t.createdAtMs)}</td>
                  <td>{t.kind}</td>
                  <td>
                    <span className={`badge ${t.status === 'succeeded' ? 'ok' : t.status === 'failed' ? 'bad' : t.status === 'running' ? 'warn' : ''}`}>{t.status}</span>
                    {t.cancelRequested && t.status === 'running' ? ' (cancelling)' : ''}
                  </td>
                  <td>
                    <progress className="progress" max={1} value={t.progress} aria-label={`Progress of ${t.kind} ${t.id}`} /> {fmtFractionPct(t.progress, 0)}{t.progressMessage ? ` · ${t.progressMessage}` : ''}
                  </td>
                  <td>
                    {t.attempts} / {t.maxAttempts}
                  </td>
                  <td>{fmtDuration(duration(t))}</td>
                  <td>{t.error ?? ''}</td>
                  <td>
                    {canCancel && (t.status === 'queued' || t.status === 'running') && !t.cancelRequested ? (
                      <button
                        type="button"
                        className="danger"
                        onClick={async () => {
                          const r = await cancel({ ticketId: t.id });
                          setMessage(r.ok ? `Cancel requested for ${t.id}.` : r.error.message);
                          await refetch();
                        }}
                      >
                        Cancel
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      )}
    </>
  );
}
