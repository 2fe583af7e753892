import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/**
 * Prometheus scrape endpoint (text exposition format 0.0.4). Needs the `viewer` role: Prometheus
 * sends an API token as `Authorization: Bearer <token>` (`authorization.credentials_file` in the scrape config).
 */
export const GET = route({ role: 'viewer' }, async ({ root }) => {
  const started = performance.now();
  const body = await root.telemetry.metricsText();
  root.telemetry.observeHttp({ route: '/api/metrics', method: 'GET', status: 200, durationMs: performance.now() - started });
  return new Response(body, { status: 200, headers: { 'content-type': root.telemetry.contentType, 'cache-control': 'no-store' } });
});
