/**
 * Wraps job bodies so both runners (in-process and Inngest call the same handlers) report each
 * attempt's duration and outcome, tag the body's logs with the ticket id, and announce the daily
 * summary after a daily snapshot. The wrapper never changes a job's result or error.
 */
import type { Clock } from '../core/clock';
import type { JournalRepository } from '../ports/journal';
import { summarizeDay, DAY_MS } from '../orchestrator/account-snapshot';
import {
  isRetryableJobFailure,
  JobCancelledError,
  JobInterruptedError,
  type JobHandler,
  type JobHandlers,
} from '../orchestrator/job-queue';
import { JobKind } from '../jobs/definitions';
import { NotificationKind, type Notifier } from '../ports/notifier';
import { bindLogger } from './engine-events';
import { type EngineEvents } from '../ports/events';
import { JobRunStatus } from '../ports/metrics';

export interface InstrumentJobHandlersDeps {
  events: EngineEvents;
  clock: Clock;
  /** With both, a succeeded daily-snapshot job sends a `daily_summary` notification of the day's live trades. */
  notifier?: Notifier;
  journal?: JournalRepository;
}

/**
 * Returns handlers with the same kinds whose bodies report `onJobEnd` (status, duration from the
 * clock, error) and log with `{ ticketId, jobKind }` bound. A retryable failure is reported with
 * `final: false` (the runner decides whether attempts remain); cancellations and shutdowns as `cancelled`.
 */
export function instrumentJobHandlers(handlers: JobHandlers, deps: InstrumentJobHandlersDeps): JobHandlers {
  const out: JobHandlers = {};
  for (const [kind, handler] of Object.entries(handlers) as [JobKind, JobHandler][]) {
    if (!handler) continue;
    out[kind] = async (params, ctx) => {
      const startMs = deps.clock.nowMs();
      const logger = bindLogger(ctx.logger, { ticketId: ctx.ticketId, jobKind: kind });
      const end = (status: JobRunStatus, error?: unknown) => {
        const nowMs = deps.clock.nowMs();
        deps.events.onJobEnd({
          ticketId: ctx.ticketId,
          kind,
          attempt: ctx.attempt,
          status,
          durationMs: Math.max(0, nowMs - startMs),
          error: error === undefined ? undefined : error instanceof Error ? error.message : String(error),
          final: error === undefined ? undefined : !isRetryableJobFailure(error),
          timeMs: nowMs,
        });
      };
      let result: unknown;
      try {
        result = await handler(params, { ...ctx, logger });
      } catch (error) {
        const stopped = error instanceof JobCancelledError || error instanceof JobInterruptedError || ctx.signal.aborted;
        end(stopped ? JobRunStatus.Cancelled : JobRunStatus.Failed, stopped ? undefined : error);
        throw error;
      }
      end(JobRunStatus.Succeeded);
      if (kind === JobKind.DailySnapshot && deps.notifier && deps.journal) {
        await announceDailySummary(result, deps.notifier, deps.journal, deps.clock).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not build the daily summary notification'),
        );
      }
      return result;
    };
  }
  return out;
}

async function announceDailySummary(result: unknown, notifier: Notifier, journal: JournalRepository, clock: Clock): Promise<void> {
  const { accountId, equity, dayStartMs } = (result ?? {}) as { accountId?: unknown; equity?: unknown; dayStartMs?: unknown };
  if (typeof accountId !== 'string' || typeof equity !== 'number' || typeof dayStartMs !== 'number') return;
  const day = await summarizeDay(journal, accountId, dayStartMs, dayStartMs + DAY_MS);
  notifier.notify({
    kind: NotificationKind.DailySummary,
    timeMs: clock.nowMs(),
    dayStartMs,
    equity,
    trades: day.trades,
    wins: day.wins,
    losses: day.losses,
    netPnl: day.netPnl,
  });
}
