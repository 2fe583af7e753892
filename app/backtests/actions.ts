'use server';
/**
 * Backtest server actions. `startBacktest` (trader) validates the form and queues a backtest job
 * through `engine.enqueueBacktest` (which checks the candles for the market and range); `backtestTicket` (viewer) reports its
 * progress for the form's poller.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { backtestFormSchema, formTimeMs } from './_lib/backtest-form-schema';

export const startBacktest = action(
  { role: 'trader', input: backtestFormSchema, audit: { action: 'backtest.enqueue', target: (input) => `${input.exchange} ${input.symbol} ${input.timeframe}` }, revalidate: ['/backtests'] },
  async ({ root, input }) => {
    // The engine checks the request, the stored candles and the veto model, naming the form's fields.
    const ticketId = await root.engine.enqueueBacktest({
      exchange: input.exchange,
      symbol: input.symbol,
      timeframe: input.timeframe,
      from: formTimeMs(input.from),
      to: formTimeMs(input.to),
      strategies: input.strategies,
      params: input.params,
      veto: input.veto,
    });
    return { ticketId };
  },
);

/** What the form's poller shows. `runId` is set once the job succeeded. */
export interface BacktestProgress {
  status: string;
  progress: number;
  message: string | null;
  runId: string | null;
  error: string | null;
}

export const backtestTicket = action({ role: 'viewer', input: z.object({ ticketId: z.string().min(1).max(100) }) }, async ({ root, input }): Promise<BacktestProgress> => {
  const ticket = await root.engine.getTicket(input.ticketId);
  if (!ticket) throw new AppError('not_found', `no job "${input.ticketId}"`);
  if (ticket.kind !== 'backtest') throw new AppError('bad_request:input', `job "${input.ticketId}" is not a backtest`, { ticketId: ['not a backtest job'] });
  const result = ticket.result as { runId?: unknown } | null;
  return {
    status: ticket.status,
    progress: ticket.progress,
    message: ticket.progressMessage,
    runId: typeof result?.runId === 'string' ? result.runId : null,
    error: ticket.error,
  };
});
