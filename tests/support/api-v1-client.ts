/**
 * Calls control API (`/api/v1`) operations in-process, by operationId, through their real route
 * handlers (the gate included) on a test root, and checks each answer against the operation's
 * definition: the status must be one the document lists for it, and the JSON body must parse with
 * the documented schema (the success schema, or the error body) without fields it does not name. So a handler cannot drift from
 * its documentation without a test failing.
 *
 * Coverage: `tests/integration/api-v1-document.test.ts` fails when some operation in the registry
 * is never called as `<client>.call('<operationId>', …)` by a test. Name operations literally.
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Root } from '../../app/_server/root';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import { errorAnswersOf, errorBodySchema, operationOf, type AnyOperation } from '../../app/_server/api-v1/operation';
import { API_V1_OPERATIONS } from '../../app/api/v1/operations';
import { TEST_ORIGIN } from './auth-test-root';

const PROJECT = path.resolve(import.meta.dirname, '../..');

/** `/api/v1/backtests/{id}` -> `app/api/v1/backtests/[id]/route.ts`. */
export function routeFileOf(openApiPath: string): string {
  return `app${openApiPath.replace(/\{(\w+)\}/g, '[$1]')}/route.ts`;
}

/** `app/api/v1/backtests/[id]/route.ts` -> `/api/v1/backtests/{id}`. */
export function openApiPathOf(routeFile: string): string {
  return routeFile
    .replace(/^app/, '')
    .replace(/\/route\.\w+$/, '')
    .replace(/\[(\w+)\]/g, '{$1}');
}

export function operationById(operationId: string): AnyOperation {
  const op = API_V1_OPERATIONS.find((o) => o.operationId === operationId);
  if (!op) throw new Error(`no /api/v1 operation has operationId "${operationId}"`);
  return op;
}

export interface ApiCall {
  /** Path parameters, by name. */
  path?: Record<string, string>;
  query?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiV1Client {
  /**
   * Calls the operation through its route handler and checks the answer against the document.
   * @throws Error when the status is not documented for the operation or the body does not match.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<T = any>(operationId: string, request?: ApiCall): Promise<ApiAnswer<T>>;
}

/** A client that authenticates with `auth` (a session cookie or an API token). */
export function apiV1Client(root: Root, auth: { cookie?: string; bearer?: string }): ApiV1Client {
  return {
    async call(operationId, request = {}) {
      const op = operationById(operationId);
      const file = routeFileOf(op.path);
      const mod = (await import(path.join(PROJECT, file))) as Record<string, unknown>;
      const handler = mod[op.method.toUpperCase()];
      if (operationOf(handler) !== op) throw new Error(`${file} does not export ${op.method.toUpperCase()} made by apiRoute(${operationId})`);
      const meta = gateMetaOf(handler) as RouteGateMeta;
      const params = request.path ?? {};
      const urlPath = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (params[name] === undefined) throw new Error(`path parameter "${name}" of ${operationId} is not given`);
        return encodeURIComponent(params[name]);
      });
      const url = new URL(`${TEST_ORIGIN}${urlPath}`);
      for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
      const headers = new Headers({ origin: TEST_ORIGIN, ...request.headers });
      if (auth.cookie) headers.set('cookie', auth.cookie);
      if (auth.bearer) headers.set('authorization', `Bearer ${auth.bearer}`);
      let body: string | undefined;
      if (request.body !== undefined) {
        body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
        if (!headers.has('content-type')) headers.set('content-type', typeof request.body === 'string' ? (op.body?.contentType ?? 'text/plain') : 'application/json');
      }
      const response = await meta.run(root, new Request(url, { method: op.method.toUpperCase(), headers, body }), params);
      const text = await response.text();
      const json = text === '' ? undefined : (JSON.parse(text) as unknown);
      const documented = response.status === op.response.status ? op.response.schema : documentedError(op, response.status);
      if (!documented) throw new Error(`${operationId} answered ${response.status}, which its definition does not document: ${text.slice(0, 300)}`);
      const parsed = documented.safeParse(json);
      if (!parsed.success) throw new Error(`${operationId} answered ${response.status} with a body its definition does not describe: ${parsed.error.message}\n${text.slice(0, 300)}`);
      // Response schemas have no transforms, so what parses must come back unchanged: a field the schema
      // does not know (dropped by the parse) is undocumented.
      if (!isDeepStrictEqual(parsed.data, json)) throw new Error(`${operationId} answered ${response.status} with fields its definition does not document:\n${text.slice(0, 300)}`);
      return { status: response.status, body: json as never, headers: response.headers };
    },
  };
}

function documentedError(op: AnyOperation, status: number) {
  return String(status) in errorAnswersOf(op) ? errorBodySchema : null;
}
