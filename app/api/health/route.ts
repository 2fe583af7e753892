import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/**
 * Liveness and readiness: engine state, database kind and reachability, schema version, app version.
 * Public on purpose (load balancers probe it anonymously); when the application cannot start the gate answers 503.
 */
export const GET = route({ role: 'public', authenticatedBy: 'none: public health probe' }, async ({ root }) => {
  const health = await root.health();
  return Response.json(health, { status: health.status === 'ok' ? 200 : 503 });
});
