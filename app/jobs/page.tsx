import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { TicketsLive } from '@/app/_components/jobs/tickets-live';
import { cancelJob } from './actions';

export const dynamic = 'force-dynamic';

/** Jobs: every ticket with status, progress, attempts, duration and error, refreshed live. */
export default async function JobsPage() {
  const access = await requireRole('viewer', '/jobs');
  const { root, actor } = access;
  const initial = JSON.parse(JSON.stringify(await root.engine.listTickets({ limit: 100 })));
  return (
    <section className="card" aria-labelledby="jobs-heading">
      <h1 id="jobs-heading">Jobs</h1>
      <TicketsLive initial={initial} cancel={cancelJob} canCancel={roleAtLeast(actor.role, 'trader')} nowMs={Date.now()} />
    </section>
  );
}
