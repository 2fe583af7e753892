/**
 * The per-tag analysis of one backtest run (its trades grouped by strategy, exit reason, side, entry
 * hour and weekday), addressed like a backtest's state: by job id or by run id.
 */
import { NotFoundError } from '../core/errors';
import type { BacktestRunRepository } from '../ports/backtest-runs';
import type { JournalRepository, TradeBreakdown } from '../ports/journal';
import { JobKind } from '../jobs/definitions';
import type { JobQueue } from '../orchestrator/job-queue';

/** A run's breakdown with the run it belongs to. */
export interface BacktestBreakdown extends TradeBreakdown {
  runId: string;
}

/**
 * The breakdown of the run a backtest job recorded (`id` a job id) or of the run `id` itself; see
 * `JournalRepository.breakdownTrades`. @throws NotFoundError naming the id when no job or run has it,
 * or when the job has not completed a run (yet).
 */
export async function backtestBreakdown(id: string, deps: { jobs: JobQueue; runs: BacktestRunRepository; journal: JournalRepository }): Promise<BacktestBreakdown> {
  const ticket = await deps.jobs.get(id);
  let runId: string;
  if (ticket && ticket.kind === JobKind.Backtest) {
    const completed = ticket.status === 'succeeded' ? ticket.result?.runId : undefined;
    if (completed === undefined) throw new NotFoundError(`backtest "${id}" has no completed run (job status "${ticket.status}")`);
    runId = completed;
  } else {
    const run = ticket ? null : await deps.runs.get(id);
    if (!run) throw new NotFoundError(`no backtest has id "${id}"`);
    runId = run.id;
  }
  return { runId, ...(await deps.journal.breakdownTrades({ runId })) };
}
