'use server';
/**
 * Backtest server actions. `startBacktest` (trader) validates the form and queues a backtest job
 * through `engine.enqueueBacktest` (which checks the candles for the market and range, or for every
 * market of a portfolio run); `backtestTicket` (viewer) reports its
 * progress for the form's poller.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { BREAKERS_OFF_LIMIT_PCT, backtestFormSchema, exitPolicyOfForm, formTimeMs, marketsOfForm } from './_lib/backtest-form-schema';

export const startBacktest = action(
  { role: 'trader', input: backtestFormSchema, audit: { action: 'backtest.enqueue', target: (input) => `${input.exchange} ${input.symbols === undefined ? input.symbol : input.symbols === 'all' ? 'all' : input.symbols.join(',')} ${input.timeframe}` }, revalidate: ['/backtests'] },
  async ({ root, input }) => {
    // The engine checks the request, the stored candles and the veto and loop models, naming the form's fields.
    // Breakers off (research): the daily-loss and drawdown limits at their maximum, so no breaker ends the run.
    const risk = input.breakers ? input.risk : { ...input.risk, dailyLossLimitPct: BREAKERS_OFF_LIMIT_PCT, maxDrawdownPct: BREAKERS_OFF_LIMIT_PCT };
    const exits = exitPolicyOfForm(input.exits);
    const ticketId = await root.engine.enqueueBacktest({
      ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
      paper: input.paper,
      risk,
      exchange: input.exchange,
      ...marketsOfForm(input),
      timeframe: input.timeframe,
      from: formTimeMs(input.from),
      to: formTimeMs(input.to),
      strategies: input.strategies,
      params: input.params,
      veto: input.veto,
      ...(input.models === undefined ? {} : { models: input.models }),
      ...(exits === undefined ? {} : { exits }),
      closeAtEnd: input.closeAtEnd,
    });
    return { ticketId };
  },
);

/** Deletes a finished run with its journaled trades and decisions (trader); the audit log keeps what it was. */
export const deleteBacktestRun = action(
  { role: 'trader', input: z.object({ runId: z.string().trim().min(1, 'expected a run id').max(100) }), audit: { action: 'backtest.delete', target: (input) => input.runId }, revalidate: ['/backtests'] },
  async ({ root, input, audit }) => {
    const deleted = await root.engine.deleteBacktestRun(input.runId);
    audit({ before: { exchange: deleted.exchange, symbol: deleted.symbol, timeframe: deleted.timeframe, fromMs: deleted.fromMs, toMs: deleted.toMs, status: deleted.status, tradeCount: deleted.tradeCount } });
    return { deleted: deleted.id };
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
