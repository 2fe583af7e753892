import { getRoot } from '@/app/_server/root';

export const dynamic = 'force-dynamic';

/** Liveness and readiness: engine state, database kind and reachability, schema version, app version. */
export async function GET() {
  try {
    const root = await getRoot();
    const health = await root.health();
    return Response.json(health, { status: health.status === 'ok' ? 200 : 503 });
  } catch (error) {
    console.error('health check failed', error);
    return Response.json({ status: 'down', error: 'the engine failed to start; see the server log' }, { status: 503 });
  }
}
