/**
 * The JobQueue's dispatcher in Inngest mode: after the ticket is stored, sends
 * `aethelred/job.requested` so the matching job function runs it.
 */
import type { Inngest } from 'inngest';
import { TicketRunner, type JobDispatcher } from '../engine/orchestrator/job-queue';
import { JOB_REQUESTED_EVENT, type JobRequestedData } from './events';

/**
 * Creates the dispatcher. The event id is the ticket id, so a repeated send is deduplicated by Inngest.
 * A send failure (server unreachable, bad event key) propagates: the queue marks the ticket failed.
 */
export function createInngestJobDispatcher(client: Inngest): JobDispatcher {
  return {
    runner: TicketRunner.Inngest,
    async dispatch(ticket) {
      const data: JobRequestedData = { ticketId: ticket.id, kind: ticket.kind };
      await client.send({ id: `ticket-${ticket.id}`, name: JOB_REQUESTED_EVENT, data });
    },
  };
}
