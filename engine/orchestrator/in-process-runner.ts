/**
 * The embedded job runner: polls the ticket table and runs up to `concurrency` jobs at once in
 * this process. It is the default runner (no extra service); Inngest is the durable alternative.
 * Correctness does not depend on it being alone: claims are atomic in the database, so several
 * processes may run one each against the same PostgreSQL.
 */
import type { BackgroundWorker } from '../ports/lifecycle';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import {
  defaultBackoff,
  JobCancelledError,
  JobInterruptedError,
  TicketRunner,
  type BackoffConfig,
  type JobDispatcher,
  type JobHandlers,
  type Ticket,
  type TicketRepository,
} from './job-queue';
import { recordJobOutcome, runJobAttempt } from './run-job-attempt';

export interface InProcessJobRunnerConfig {
  /** Most jobs running at once in this process, >= 1. */
  concurrency: number;
  /** How often to look for due tickets (retries, tickets written by other processes), ms. */
  pollIntervalMs: number;
  backoff: BackoffConfig;
  /** How long `stop()` waits for aborted jobs to settle, ms (default 10 000). */
  stopTimeoutMs?: number;
  /**
   * A running ticket whose last heartbeat is older than this is taken as left behind by a dead
   * process and recovered (default 60 000). Must exceed `pollIntervalMs`: each poll heartbeats
   * this runner's jobs.
   */
  leaseMs?: number;
  /**
   * Writing a finished job's outcome (the database away for a moment) is tried again with backoff, from `baseMs`
   * doubling up to `maxMs`, for at most `forMs` in all; meanwhile the job counts as running here, so its heartbeat
   * goes on and no other process re-runs it (default 500 ms, 15 s, 10 min).
   */
  outcomeRetry?: { baseMs: number; maxMs: number; forMs: number };
}

/** How long the outcome of a finished job is retried by default (see `outcomeRetry`). */
export const DEFAULT_OUTCOME_RETRY = { baseMs: 500, maxMs: 15_000, forMs: 600_000 } as const;

export const defaultInProcessJobRunnerConfig: InProcessJobRunnerConfig = {
  concurrency: 2,
  pollIntervalMs: 1_000,
  backoff: defaultBackoff,
  stopTimeoutMs: 10_000,
  leaseMs: 60_000,
};

export interface InProcessJobRunnerDeps {
  tickets: TicketRepository;
  handlers: JobHandlers;
  clock: Clock;
  logger: Logger;
  /** Uniform [0, 1), for backoff jitter. */
  random: () => number;
  /** Waits between tries of an outcome write (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** The runner: a BackgroundWorker for the engine lifecycle and the JobQueue's dispatcher. */
export interface InProcessJobRunner extends BackgroundWorker, JobDispatcher {
  /** Looks for due tickets now (called by `dispatch`); does nothing while stopped. */
  wake(): void;
  /**
   * Claims due tickets until `concurrency` jobs run or none is due; resolves once they are started
   * (not finished). Returns how many were started.
   */
  pollNow(): Promise<number>;
  /** Resolves when no job is running and no claim is in progress. */
  whenIdle(): Promise<void>;
  /** One maintenance pass (heartbeat, then recovery of stale tickets), as each poll does; for tests and ops. */
  maintain(): Promise<void>;
  /** Ids of the jobs running in this process. */
  runningTicketIds(): string[];
}

/**
 * Creates the in-process runner.
 * `start()` first recovers tickets a crash left `running` (no heartbeat for `leaseMs`: requeued or
 * failed by the attempts rule), then polls; each poll heartbeats its own jobs and recovers again. `stop()` aborts running jobs' signals with a JobInterruptedError, waits for
 * them up to `stopTimeoutMs`, and puts the tickets of jobs that stopped back in the queue (due at once);
 * a job that did not stop in time stays `running` for the next start to recover once its heartbeat is stale.
 * @throws RangeError for a concurrency below 1 or a non-positive poll interval.
 */
export function createInProcessJobRunner(config: InProcessJobRunnerConfig, deps: InProcessJobRunnerDeps): InProcessJobRunner {
  if (!Number.isInteger(config.concurrency) || config.concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${config.concurrency}`);
  if (!(config.pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be > 0, got ${config.pollIntervalMs}`);
  const stopTimeoutMs = config.stopTimeoutMs ?? 10_000;
  const leaseMs = config.leaseMs ?? 60_000;
  if (!(leaseMs > config.pollIntervalMs)) throw new RangeError(`leaseMs (${leaseMs}) must exceed pollIntervalMs (${config.pollIntervalMs})`);
  const attemptDeps = { ...deps, backoff: config.backoff };
  const outcomeRetry = config.outcomeRetry ?? DEFAULT_OUTCOME_RETRY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.()));

  /**
   * Writes a finished job's outcome, trying again with backoff while the write fails (for `outcomeRetry.forMs` in
   * all; after a stop, once more at most): the job stays in `running` meanwhile, so its ticket keeps its heartbeat
   * and is not recovered and run again. @throws the last error when it gives up.
   */
  async function writeOutcome(ticket: Ticket, outcome: string, write: () => Promise<unknown>): Promise<void> {
    let waitedMs = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        if (attempt > 1) deps.logger.info({ ticketId: ticket.id, outcome, attempts: attempt }, 'job outcome recorded after retrying');
        return;
      } catch (error) {
        const delayMs = Math.min(outcomeRetry.maxMs, outcomeRetry.baseMs * 2 ** (attempt - 1));
        if (waitedMs + delayMs > outcomeRetry.forMs || (!active && attempt > 1)) throw error;
        deps.logger.warn({ err: error, ticketId: ticket.id, outcome, attempt, delayMs }, 'could not record the job outcome; trying again');
        waitedMs += delayMs;
        await sleep(delayMs);
      }
    }
  }
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let active = false;
  let pumping: Promise<number> | null = null;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function launch(ticket: Ticket) {
    const controller = new AbortController();
    const done = runJobAttempt(ticket, attemptDeps, { signal: controller.signal })
      .then(async (outcome) => {
        const log = { ticketId: ticket.id, kind: ticket.kind, attempt: ticket.attempts, outcome: outcome.type };
        if (outcome.type === 'failed') deps.logger.warn({ ...log, error: outcome.error }, 'job failed');
        else if (outcome.type === 'retry') deps.logger.warn({ ...log, error: outcome.error, delayMs: outcome.delayMs }, 'job will be retried');
        else deps.logger.info(log, `job ${outcome.type}`);
        if (outcome.type === 'interrupted') {
          // Stopped by this runner's stop(): back in the queue at once, so the next start runs it without
          // waiting for the ticket's heartbeat to go stale.
          await writeOutcome(ticket, outcome.type, () => deps.tickets.retryLater(ticket.id, deps.clock.nowMs(), 'interrupted: the server stopped while the job was running', deps.clock.nowMs()));
          return;
        }
        await writeOutcome(ticket, outcome.type, () => recordJobOutcome(ticket, outcome, deps));
      })
      .catch((error: unknown) =>
        deps.logger.error(
          { err: error, ticketId: ticket.id, kind: ticket.kind },
          'GAVE UP recording the job outcome: the ticket stays running and, once its heartbeat is stale, is recovered and may run again',
        ),
      )
      .finally(() => {
        running.delete(ticket.id);
        if (active) void pump();
      });
    running.set(ticket.id, { controller, done });
  }

  function pump(): Promise<number> {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      let started = 0;
      do {
        again = false;
        while (active && running.size < config.concurrency) {
          let ticket: Ticket | null;
          try {
            ticket = await deps.tickets.claimNext(deps.clock.nowMs(), TicketRunner.InProcess);
          } catch (error) {
            deps.logger.error({ err: error }, 'could not claim a job ticket; will try again at the next poll');
            return started;
          }
          if (!ticket) break;
          launch(ticket);
          started++;
        }
      } while (again && active && running.size < config.concurrency);
      return started;
    })().finally(() => {
      pumping = null;
    });
    return pumping;
  }

  /** Heartbeats this runner's jobs, then recovers tickets whose owner stopped heartbeating. */
  async function maintain() {
    const nowMs = deps.clock.nowMs();
    try {
      await deps.tickets.heartbeat([...running.keys()], nowMs);
      const recovered = await deps.tickets.recoverInterrupted(nowMs, { runner: TicketRunner.InProcess, staleBeforeMs: nowMs - leaseMs });
      const count = recovered.requeued.length + recovered.failed.length + recovered.cancelled.length;
      if (count > 0) deps.logger.warn(recovered, 'jobs left running by a stopped process were recovered');
    } catch (error) {
      deps.logger.error({ err: error }, 'job ticket maintenance failed; will try again at the next poll');
    }
  }

  function schedulePoll() {
    if (!active) return;
    timer = setTimeout(() => {
      void maintain()
        .then(pump)
        .finally(schedulePoll);
    }, config.pollIntervalMs);
    timer.unref?.();
  }

  return {
    name: 'in-process-job-runner',
    runner: TicketRunner.InProcess,
    async start() {
      if (active) return;
      active = true;
      await maintain();
      void pump();
      schedulePoll();
    },
    async stop() {
      if (!active && running.size === 0) return;
      active = false;
      if (timer) clearTimeout(timer);
      timer = null;
      for (const [id, job] of running) job.controller.abort(new JobInterruptedError(id));
      const settled = Promise.allSettled([pumping, ...[...running.values()].map((job) => job.done)]);
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => {
          timeout = setTimeout(() => resolve(true), stopTimeoutMs);
          timeout.unref?.();
        }),
      ]);
      clearTimeout(timeout);
      if (timedOut) deps.logger.warn({ tickets: [...running.keys()], stopTimeoutMs }, 'jobs did not stop in time; their tickets stay running until the next start recovers them');
    },
    dispatch() {
      if (active) void pump();
    },
    cancelRequested(ticketId) {
      running.get(ticketId)?.controller.abort(new JobCancelledError(ticketId));
    },
    wake() {
      if (active) void pump();
    },
    pollNow: () => (active ? pump() : Promise.resolve(0)),
    async whenIdle() {
      while (pumping || running.size > 0) {
        await Promise.allSettled([pumping, ...[...running.values()].map((job) => job.done)]);
      }
    },
    runningTicketIds: () => [...running.keys()],
    maintain,
  };
}
