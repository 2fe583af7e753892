'use server';
/**
 * Backtest server actions. `startBacktest` (trader) validates the form, checks that candles exist
 * for the market and range, and queues a backtest job; `backtestTicket` (viewer) reports its
 * progress for the form's poller.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { backtestFormSchema, formTimeMs } from './_lib/backtest-form-schema';

export const startBacktest = action(
  { role: 'trader', input: backtestFormSchema, audit: { action: 'backtest.enqueue', target: (input) => `${input.exchange} ${input.symbol} ${input.timeframe}` }, revalidate: ['/backtests'] },
  async ({ root, input }) => {
    const fromMs = formTimeMs(input.from);
    const toMs = formTimeMs(input.to);
    const streams = await root.engine.listCandleStreams();
    const stream = streams.find((s) => s.exchange === input.exchange && s.symbol === input.symbol && s.timeframe === input.timeframe);
    if (!stream) {
      throw new AppError('bad_request:input', `no ${input.exchange} ${input.symbol} ${input.timeframe} candles are stored`, {
        symbol: [`no ${input.timeframe} candles for "${input.symbol}" on ${input.exchange}; import them first`],
      });
    }
    if (stream.lastOpenTimeMs < fromMs || stream.firstOpenTimeMs >= toMs) {
      throw new AppError('bad_request:input', 'no candles in this range', {
        from: [`stored candles run from ${new Date(stream.firstOpenTimeMs).toISOString()} to ${new Date(stream.lastOpenTimeMs).toISOString()}`],
      });
    }
    const ticketId = await root.engine.enqueue({
      kind: 'backtest',
      params: {
        exchange: input.exchange,
        symbol: input.symbol,
        timeframe: input.timeframe,
        from: fromMs,
        to: toMs,
        strategies: input.strategies,
        params: input.params,
        veto: input.veto,
      },
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
  return {
    status: ticket.status,
    progress: ticket.progress,
    message: ticket.progressMessage,
    runId: ticket.result?.runId ?? null,
    error: ticket.error,
  };
});
