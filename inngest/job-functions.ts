/**
 * Durable job functions: the Inngest runner. One function per job kind, triggered by
 * `aethelred/job.requested` with that kind, and by a UTC cron for each scheduled kind. The body
 * is the same engine handler the in-process runner calls (`runJobAttempt`); each side effect is a
 * named step, so a redelivery never repeats a finished one:
 *   mark-running -> run-handler -> record-result | record-cancelled | record-failure
 * A kind whose definition has a durable body (`runSteps`, e.g. `study`) runs that body instead of
 * `run-handler`: its own named steps (which may fan out in parallel), then the same record step.
 * A retryable failure makes `run-handler` throw `RetryAfterError` with the engine's backoff delay
 * (the ticket goes back to `queued` meanwhile); a permanent one records the failure, then throws
 * `NonRetriableError`.
 */
import { NonRetriableError, RetryAfterError, type Inngest } from 'inngest';
import type { Clock } from '../engine/core/clock';
import type { Logger } from '../engine/core/logger';
import { JOB_KINDS, type DurableJobHandlers, type JobKind } from '../engine/jobs/definitions';
import { JobCancelledError, NonRetryableJobError, isRetryableJobFailure, type DurableJobContext, type DurableJobHandler, type JobContext } from '../engine/jobs/job-context';
import { latestOccurrenceAtOrBeforeMs, occurrenceKey, type JobSchedule } from '../engine/jobs/job-schedules';
import {
  TicketRunner,
  TicketStatus,
  type BackoffConfig,
  type JobHandlers,
  type Ticket,
  type TicketRepository,
} from '../engine/orchestrator/job-queue';
import { createJobContext, recordJobOutcome, runJobAttempt, toJson, type JobAttemptOutcome } from '../engine/orchestrator/run-job-attempt';
import { JOB_REQUESTED_EVENT, jobRequested, type JobRequestedData } from './events';

/** The engine pieces the functions need; the composition root passes them (nothing is built here). */
export interface InngestJobDeps {
  handlers: JobHandlers;
  /** Bodies written as durable steps (`runSteps` of their definition): those kinds run them instead of one `run-handler` step. */
  durableHandlers?: DurableJobHandlers;
  tickets: TicketRepository;
  clock: Clock;
  logger: Logger;
  random: () => number;
  backoff: BackoffConfig;
  newId: () => string;
  /** Kinds that also run on a cron (`defaultJobSchedules()` or the configured ones). */
  schedules: readonly JobSchedule[];
}

/** Inngest's retry ceiling; a ticket's own `maxAttempts` (<= 20) decides when to give up. */
const INNGEST_MAX_RETRIES = 20;

/** The Inngest cron trigger of a schedule: its expression evaluated in UTC. */
export const inngestCron = (schedule: Pick<JobSchedule, 'cron'>) => `TZ=UTC ${schedule.cron}`;

/** What a job function returns: the ticket's final state, or why nothing ran. */
export type JobFunctionResult =
  | { ticketId: string; status: 'succeeded'; result: unknown }
  | { ticketId: string; status: 'cancelled' }
  | { ticketId: string; status: 'skipped'; reason: string };

/** Function id for a kind: `job-backtest`, `job-daily-snapshot`, ... */
export const jobFunctionId = (kind: JobKind) => `job-${kind}`;

/**
 * Creates one function per kind that has a handler. Serve them with `serve({ client, functions })`.
 */
export function createInngestFunctions(client: Inngest, deps: InngestJobDeps) {
  const kinds = JOB_KINDS.filter((kind) => deps.handlers[kind] !== undefined);
  return kinds.map((kind) => {
    const eventTrigger = { event: jobRequested, if: `event.data.kind == "${kind}"` };
    const schedule = deps.schedules.find((s) => s.kind === kind);
    const triggers = schedule ? [eventTrigger, { cron: inngestCron(schedule) }] : [eventTrigger];
    return client.createFunction(
      {
        id: jobFunctionId(kind),
        name: `Aethelred job: ${kind}`,
        retries: INNGEST_MAX_RETRIES,
        triggers,
        onFailure: async ({ event, error }) => {
          // Retries exhausted by something outside the handler (e.g. the database was down while recording).
          const original = (event.data as { event?: { data?: Partial<JobRequestedData> } }).event;
          const ticketId = original?.data?.ticketId;
          if (!ticketId) return;
          await deps.tickets
            .fail(ticketId, `the Inngest run failed: ${error.message}`, deps.clock.nowMs())
            .catch((failError: unknown) => deps.logger.warn({ err: failError, ticketId }, 'could not mark the ticket of a failed Inngest run'));
        },
      },
      async ({ event, step }): Promise<JobFunctionResult> => {
        let ticketId: string;
        if ((event.name as string) === JOB_REQUESTED_EVENT) {
          ticketId = (event.data as JobRequestedData).ticketId;
        } else {
          // The cron has no ticket yet: create one so the run shows in the ticket list like any job,
          // keyed by the occurrence (as the in-process scheduler does), so it is created once.
          if (!schedule) throw new NonRetriableError(`"${kind}" has no schedule; cannot run it from "${event.name}"`);
          const firedAtMs = typeof event.ts === 'number' ? event.ts : deps.clock.nowMs();
          const scheduledAtMs = latestOccurrenceAtOrBeforeMs(schedule.cron, firedAtMs) ?? firedAtMs;
          ticketId = await step.run('create-ticket', async () => {
            const { ticket } = await deps.tickets.createOnce({
              id: deps.newId(),
              kind,
              params: schedule.params(scheduledAtMs),
              maxAttempts: 3,
              runner: TicketRunner.Inngest,
              createdAtMs: deps.clock.nowMs(),
              dedupeKey: occurrenceKey(kind, scheduledAtMs),
            });
            return ticket.id;
          });
        }

        const claim = await step.run('mark-running', async () => {
          const claimed = await deps.tickets.claim(ticketId, deps.clock.nowMs());
          if (claimed) return { claimed: true as const, params: claimed.params, attempts: claimed.attempts };
          const current = await deps.tickets.get(ticketId);
          if (current && current.status === TicketStatus.Queued && current.cancelRequested) await deps.tickets.markCancelled(ticketId, deps.clock.nowMs());
          return { claimed: false as const, reason: current ? `ticket is ${current.status}` : 'ticket does not exist' };
        });
        if (!claim.claimed) return { ticketId, status: 'skipped', reason: claim.reason };

        const durable = deps.durableHandlers?.[kind];
        const outcome = durable
          ? await runDurableBody(durable, { id: ticketId, params: claim.params as Record<string, unknown>, attempts: claim.attempts }, step, deps)
          : ((await step.run('run-handler', async () => {
          let ticket: Ticket | null = await deps.tickets.get(ticketId);
          // A retry of this step: the previous attempt put the ticket back in the queue.
          if (ticket?.status === TicketStatus.Queued) ticket = (await deps.tickets.claim(ticketId, deps.clock.nowMs())) ?? ticket;
          if (!ticket || ticket.status !== TicketStatus.Running) {
            return { type: 'failed', error: `ticket "${ticketId}" is ${ticket?.status ?? 'missing'}; nothing to run` } satisfies JobAttemptOutcome;
          }
          const result = await runJobAttempt(ticket, deps);
          if (result.type === 'retry') {
            await deps.tickets.retryLater(ticketId, deps.clock.nowMs() + result.delayMs, result.error, deps.clock.nowMs());
            throw new RetryAfterError(result.error, result.delayMs);
          }
          if (result.type === 'interrupted') throw new Error(result.error);
          return result;
        })) as JobAttemptOutcome);

        const ticketRef = { id: ticketId } as Ticket;
        switch (outcome.type) {
          case 'succeeded':
            await step.run('record-result', async () => {
              await recordJobOutcome(ticketRef, outcome, deps);
            });
            return { ticketId, status: 'succeeded', result: outcome.result };
          case 'cancelled':
            await step.run('record-cancelled', async () => {
              await recordJobOutcome(ticketRef, outcome, deps);
            });
            return { ticketId, status: 'cancelled' };
          default: {
            const error = outcome.type === 'failed' ? outcome.error : `unexpected outcome "${outcome.type}"`;
            await step.run('record-failure', async () => {
              await recordJobOutcome(ticketRef, { type: 'failed', error }, deps);
            });
            throw new NonRetriableError(error);
          }
        }
      },
    );
  });
}

/** What a durable step stores: the body's value, or how it stopped (a replay throws the same again). */
type DurableStepResult = { type: 'done'; value: unknown } | { type: 'cancelled' } | { type: 'failed'; error: string };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs a durable body: each of its `step(id, body)` is `step.run(id)` with a job context of its own.
 * A cancel or a permanent failure inside a step is stored as the step's result and thrown again on
 * every replay (so the body unwinds the same way each time); a retryable failure throws, so Inngest
 * runs that step again. Never throws for the body's own failure: the outcome says what happened.
 */
async function runDurableBody(
  handler: DurableJobHandler,
  ticket: { id: string; params: Record<string, unknown>; attempts: number },
  step: { run: (id: string, body: () => Promise<DurableStepResult>) => Promise<unknown> },
  deps: InngestJobDeps,
): Promise<JobAttemptOutcome> {
  const context: DurableJobContext = {
    ticketId: ticket.id,
    logger: deps.logger,
    async step<T>(id: string, body: (ctx: JobContext) => Promise<T>): Promise<T> {
      const stored = (await step.run(id, async (): Promise<DurableStepResult> => {
        const controller = new AbortController();
        try {
          return { type: 'done', value: toJson(await body(createJobContext(ticket, controller, deps))) };
        } catch (error) {
          if (error instanceof JobCancelledError || controller.signal.reason instanceof JobCancelledError) return { type: 'cancelled' };
          if (isRetryableJobFailure(error)) throw error;
          return { type: 'failed', error: messageOf(error) };
        }
      })) as DurableStepResult;
      if (stored.type === 'cancelled') throw new JobCancelledError(ticket.id);
      if (stored.type === 'failed') throw new NonRetryableJobError(stored.error);
      return stored.value as T;
    },
  };
  try {
    return { type: 'succeeded', result: toJson(await handler(ticket.params, context)) };
  } catch (error) {
    if (error instanceof JobCancelledError) return { type: 'cancelled' };
    return { type: 'failed', error: messageOf(error) };
  }
}
