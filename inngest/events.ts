/**
 * Event schemas. `aethelred/job.requested` is sent by the JobQueue (Inngest mode) after the
 * ticket is written; the job functions pick it up by kind.
 */
import { eventType } from 'inngest';
import { z } from 'zod';
import { JOB_KINDS, type JobKind } from '../engine/jobs/definitions';

export const JOB_REQUESTED_EVENT = 'aethelred/job.requested';

/** Data of a job request: the ticket (already stored, `queued`) and its kind. */
export const jobRequestedSchema = z.object({
  ticketId: z.string().min(1),
  kind: z.enum(JOB_KINDS as [JobKind, ...JobKind[]]),
});
export type JobRequestedData = z.infer<typeof jobRequestedSchema>;

/** The event type, usable as a trigger and to create events. */
export const jobRequested = eventType(JOB_REQUESTED_EVENT, { schema: jobRequestedSchema });
