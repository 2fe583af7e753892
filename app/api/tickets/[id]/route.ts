/** One job ticket (status, progress, result or error), for pages that follow a job they queued (viewer). */
import { route } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer' }, async ({ root, params }) => {
  const ticket = await root.engine.getTicket(params.id);
  if (!ticket) throw new AppError('not_found', `no job ticket has id "${params.id}"`);
  return ticket;
});
