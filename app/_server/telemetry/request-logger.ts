/**
 * Request ids and per-request child loggers. Every request gets an id: the caller's `x-request-id`
 * when it is a sane token, else a fresh UUID. The id is bound into a child logger (so every line
 * the request writes carries `requestId`) and echoed in the response's `x-request-id` header.
 *
 * The gate uses `withRequestTelemetry` around each route; job runners bind `{ ticketId, jobKind }`
 * the same way (`instrumentJobHandlers` in engine/telemetry does it for every job body).
 */
import { randomUUID } from 'node:crypto';
import type pino from 'pino';
import type { HttpObservation } from './prometheus-telemetry';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: a well-formed incoming `x-request-id` (1-128 of `A-Za-z0-9._:-`), else a new UUID. */
export function requestIdOf(request: Request, newId: () => string = randomUUID): string {
  const given = request.headers.get(REQUEST_ID_HEADER)?.trim();
  return given && SANE_ID.test(given) ? given : newId();
}

/** A child logger bound to the request: `{ requestId, method, path }` on every line. */
export function withRequestLogger(request: Request, logger: pino.Logger, newId?: () => string): { requestId: string; logger: pino.Logger } {
  const requestId = requestIdOf(request, newId);
  let path = '';
  try {
    path = new URL(request.url).pathname;
  } catch {
    path = '(unparseable url)';
  }
  return { requestId, logger: logger.child({ requestId, method: request.method, path }) };
}

/** Sets `x-request-id` on a response, copying it first when its headers are immutable. */
export function withRequestIdHeader(response: Response, requestId: string): Response {
  try {
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  } catch {
    const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
    copy.headers.set(REQUEST_ID_HEADER, requestId);
    return copy;
  }
}

export interface RequestTelemetryDeps {
  logger: pino.Logger;
  /** Usually `root.telemetry.observeHttp`. */
  observeHttp?: (observation: HttpObservation) => void;
  /** Milliseconds for latency (monotonic); default `performance.now`. */
  nowMs?: () => number;
}

/**
 * Runs `handler` with a request id and child logger, then records latency by `route` (the route
 * pattern), logs one `request completed` line (status, durationMs) and echoes `x-request-id`.
 * A handler that throws is logged, counted as 500 and rethrown.
 */
export async function withRequestTelemetry(
  request: Request,
  route: string,
  deps: RequestTelemetryDeps,
  handler: (ctx: { requestId: string; logger: pino.Logger }) => Promise<Response>,
): Promise<Response> {
  const now = deps.nowMs ?? (() => performance.now());
  const startMs = now();
  const { requestId, logger } = withRequestLogger(request, deps.logger);
  const finish = (status: number) => {
    const durationMs = now() - startMs;
    deps.observeHttp?.({ route, method: request.method, status, durationMs });
    logger.info({ route, status, durationMs: Math.round(durationMs * 1000) / 1000 }, 'request completed');
  };
  try {
    const response = await handler({ requestId, logger });
    finish(response.status);
    return withRequestIdHeader(response, requestId);
  } catch (error) {
    finish(500);
    logger.error({ err: error, route }, 'request failed');
    throw error;
  }
}
