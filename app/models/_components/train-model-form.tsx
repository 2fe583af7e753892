'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ActionForm, FormField } from '@/app/_components/action-form';
import { fmtFractionPct, fmtNumber } from '@/app/_components/format';
import type { ActionResult } from '@/app/_server/auth/gate';
import { ScrollTable } from '@/app/_components/scroll-table';

/** A `train-*` job kind as the form offers it. */
export interface TrainKindOption {
  kind: string;
  summary: string;
}

/** The params the form starts with (a training job definition's example, with the schema's defaults). */
export interface TrainDefaults {
  exchange: string;
  symbol: string;
  timeframe: string;
  from: string;
  to: string;
  horizon: number;
  folds: number;
  seed: number;
}

interface FollowedTicket {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  progressMessage: string | null;
  attempts: number;
  maxAttempts: number;
  error: string | null;
  result: { version?: number; rows?: number; activated?: boolean; metrics?: Record<string, number | null> } | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

async function fetchTicket(id: string): Promise<FollowedTicket> {
  const response = await fetch(`/api/tickets/${encodeURIComponent(id)}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`the ticket request failed with ${response.status}`);
  return response.json();
}

/** Follows one queued training ticket every 2 s until it ends: progress, then the version's validation metrics or the failure. */
function TrainingTicket({ ticketId }: { ticketId: string }) {
  const { data: ticket, error } = useQuery({
    queryKey: ['ticket', ticketId],
    queryFn: () => fetchTicket(ticketId),
    refetchInterval: (query) => (query.state.data && TERMINAL.has(query.state.data.status) ? false : 2_000),
  });
  return (
    <div className="result" data-testid="training-ticket" aria-live="polite">
      <p>
        Job <code data-testid="training-ticket-id">{ticketId}</code>
        {ticket ? (
          <>
            {' '}({ticket.kind}):{' '}
            <span data-testid="training-status" className={`badge ${ticket.status === 'succeeded' ? 'ok' : ticket.status === 'failed' ? 'bad' : ticket.status === 'running' ? 'warn' : ''}`}>
              {ticket.status}
            </span>{' '}
            <progress className="progress" max={1} value={ticket.progress} aria-label={`Progress of ${ticket.kind}`} /> {fmtFractionPct(ticket.progress, 0)}
            {ticket.progressMessage ? ` · ${ticket.progressMessage}` : ''}
            {ticket.attempts > 1 ? ` · attempt ${ticket.attempts} of ${ticket.maxAttempts}` : ''}
          </>
        ) : (
          ' queued'
        )}
      </p>
      {error ? <p className="error">Refresh failed: {(error as Error).message}</p> : null}
      {ticket?.error && ticket.status !== 'succeeded' ? (
        <p className="error" role="alert" data-testid="training-error">
          {ticket.error}
        </p>
      ) : null}
      {ticket?.status === 'succeeded' && ticket.result ? (
        <>
          <p data-testid="training-version">
            Trained version v{ticket.result.version} on {ticket.result.rows} rows{ticket.result.activated ? ', deployed' : '; deploy it below after review'}.
          </p>
          <ScrollTable label="Training metrics" data-testid="training-metrics">
            <caption className="sr-only">Validation metrics of the new version</caption>
            <thead>
              <tr><th scope="col">Validation metric</th><th scope="col">Value</th></tr>
            </thead>
            <tbody>
              {Object.entries(ticket.result.metrics ?? {}).map(([name, value]) => (
                <tr key={name}>
                  <td>{name}</td>
                  <td>{fmtNumber(value ?? null, 4)}</td>
                </tr>
              ))}
            </tbody>
          </ScrollTable>
          <p className="muted">
            <a href="/models">Reload the page</a> to see it among the versions.
          </p>
        </>
      ) : null}
    </div>
  );
}

/**
 * Queues training of a model kind with its params (a job on the engine's queue); then follows the
 * ticket. `canActivate` (admin) offers deploying the new version when training succeeds.
 */
export function TrainModelForm({
  queue,
  kinds,
  defaults,
  canActivate,
}: {
  queue: (input: unknown) => Promise<ActionResult<unknown>>;
  kinds: readonly TrainKindOption[];
  defaults: TrainDefaults;
  canActivate: boolean;
}) {
  const [ticketId, setTicketId] = useState<string | null>(null);
  return (
    <>
      <ActionForm action={queue} submitLabel="Queue training" testId="train-form" onDone={(data) => setTicketId((data as { ticketId: string }).ticketId)}>
        <FormField name="kind" label="Model" options={kinds.map((k) => ({ value: k.kind, label: `${k.kind} — ${k.summary}` }))} />
        <FormField name="exchange" label="Exchange" defaultValue={defaults.exchange} required />
        <FormField name="symbol" label="Symbol" defaultValue={defaults.symbol} required />
        <FormField name="timeframe" label="Timeframe" defaultValue={defaults.timeframe} required />
        <FormField name="from" label="From" hint="UTC date, inclusive" defaultValue={defaults.from} required />
        <FormField name="to" label="To" hint="UTC date, exclusive" defaultValue={defaults.to} required />
        <FormField name="horizon" label="Horizon" hint="candles the label looks ahead, 2–1000" defaultValue={defaults.horizon} />
        <FormField name="folds" label="Walk-forward folds" hint="1–20" defaultValue={defaults.folds} />
        <FormField name="seed" label="Seed" hint="same seed, params and candles give the same model" defaultValue={defaults.seed} />
        <FormField name="runId" label="Backtest run id" hint="intent-veto only, optional: learn from that run's entries" />
        {canActivate ? (
          <label>
            <input type="checkbox" name="activate" /> Deploy the new version when training succeeds
          </label>
        ) : null}
      </ActionForm>
      {ticketId ? <TrainingTicket key={ticketId} ticketId={ticketId} /> : null}
    </>
  );
}
