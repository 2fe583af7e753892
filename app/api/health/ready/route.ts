import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/**
 * Readiness per role: 200 once this process's role has started its work, else 503, with what was checked
 * (`checks`: database reachable and migrations current for every role; the job runner started on a
 * worker; the first session-lease round done on a trader). Public on purpose, like `/api/health`: load
 * balancers and container healthchecks probe it anonymously.
 */
export const GET = route({ role: 'public', authenticatedBy: 'none: public readiness probe' }, async ({ root }) => {
  const readiness = await root.ready();
  return Response.json(readiness, { status: readiness.ready ? 200 : 503, headers: { 'cache-control': 'no-store' } });
});
