/** Job tickets, newest first, for the jobs page's live refresh (viewer). */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { knownParams } from '@/app/_server/known-params';
import { TicketStatus } from '@/engine/orchestrator/job-queue';

export const dynamic = 'force-dynamic';

export const GET = route(
  {
    role: 'viewer',
    input: knownParams({
      status: z.enum(Object.values(TicketStatus) as [TicketStatus, ...TicketStatus[]]).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().min(1).optional(),
    }),
  },
  async ({ root, input }) => root.engine.listTickets({ status: input.status, limit: input.limit, cursor: input.cursor }),
);
