/** Job tickets, newest first, for the jobs page's live refresh (viewer). */
import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { knownParams } from '@/app/_server/known-params';
import { TicketStatus } from '@/engine/orchestrator/job-queue';
import { JOB_KINDS, type JobKind } from '@/engine/jobs/definitions';

export const dynamic = 'force-dynamic';

export const GET = route(
  {
    role: 'viewer',
    input: knownParams({
      status: z.enum(Object.values(TicketStatus) as [TicketStatus, ...TicketStatus[]]).optional(),
      kind: z.enum(JOB_KINDS as [JobKind, ...JobKind[]]).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().min(1).optional(),
    }),
  },
  async ({ root, input }) => root.engine.listTickets({ status: input.status, kind: input.kind, limit: input.limit, cursor: input.cursor }),
);
