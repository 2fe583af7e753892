'use server';
/** Job control: cancel a queued or running job (trader, audited). */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';

export const cancelJob = action(
  { role: 'trader', input: z.object({ ticketId: z.string().min(1) }), audit: { action: 'job.cancel', target: (i) => i.ticketId }, revalidate: ['/jobs'] },
  async ({ root, input, audit }) => {
    const ticket = await root.engine.cancelJob(input.ticketId);
    audit({ after: { status: ticket.status, cancelRequested: ticket.cancelRequested } });
    return { id: ticket.id, status: ticket.status };
  },
);
