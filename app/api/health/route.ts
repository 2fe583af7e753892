import { route } from '@/app/_server/auth/gate';
import { Role } from '@/app/_server/auth/roles';

export const dynamic = 'force-dynamic';

/**
 * Liveness and readiness: engine state, database kind and reachability, schema version, app version.
 * Public on purpose (load balancers probe it anonymously); when the application cannot start the gate answers 503.
 * An anonymous caller learns which component is unhealthy, not its error text; a signed-in admin (session or
 * token) gets the error texts too (the server log has them as well).
 */
export const GET = route({ role: 'public', authenticatedBy: 'none: public health probe' }, async ({ root, request }) => {
  const caller = await root.auth.authenticate(request.headers).catch(() => null);
  const admin = caller !== null && caller.role === Role.Admin && !caller.mustChangePassword;
  const health = admin ? await root.health() : await root.publicHealth();
  return Response.json(health, { status: health.status === 'ok' ? 200 : 503 });
});
