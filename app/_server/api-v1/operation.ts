/**
 * Operations of the control API (`/api/v1`). Each route folder holds an `operation.ts` with one
 * `defineOperation({...})` per HTTP method: path, summary, minimum role, zod schemas for the path
 * parameters, the query string and the body, the success response and the errors it may answer.
 * The route hands that definition to `apiRoute(operation, body)`, which runs the one gate with
 * exactly those schemas; `app/api/v1/operations.ts` lists every definition and
 * `openapi-document.ts` renders the same list into the OpenAPI document. So what is documented
 * is what is parsed.
 *
 * A handler's input is `{ path, query, body }`, each parsed by its own schema; unknown query
 * parameters are refused (`knownParams`). Field errors name the field alone (`symbol`, not
 * `query.symbol`) and quote the value that was sent.
 */
import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { AppError, ERROR_STATUS, type ErrorCode } from '../auth/app-error';
import { route, type GatedRoute, type RouteContext } from '../auth/gate';
import type { Role } from '../auth/roles';
import { knownParams } from '../known-params';

export const API_V1_PREFIX = '/api/v1';

/** HTTP methods an operation may have (lower case, as OpenAPI writes them). */
export const OPERATION_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type OperationMethod = (typeof OPERATION_METHODS)[number];

/** The gate's error body, as every error response of the API has it. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().meta({ description: 'Short public message; details go to the server log only.' }),
      fieldErrors: z
        .record(z.string(), z.array(z.string()))
        .optional()
        .meta({ description: 'Per field (`symbol`, `params.fastPeriod`, `line 12`): what was wrong with the value sent.' }),
    }),
  })
  .meta({ id: 'Error', description: 'An error answer; `code` is one of the gate\'s `type:surface` codes.' });
export type ApiErrorBody = z.infer<typeof errorBodySchema>;

/** Errors an operation may declare besides the ones every operation has (400, 401, 403, 500, 503). */
export type DeclaredErrorStatus = 404 | 409 | 413;

/** The body an operation reads: JSON (parsed) or a text format (the text as is). */
export interface OperationBody<B extends z.ZodType> {
  contentType: 'application/json' | 'text/csv';
  description: string;
  schema: B;
  /** Larger bodies are refused with 413 before they are parsed. */
  maxBytes: number;
}

export interface OperationSpec<
  P extends z.ZodObject | undefined = z.ZodObject | undefined,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  /** Unique, camelCase (`listStrategies`); tests and clients name operations by it. */
  operationId: string;
  method: OperationMethod;
  /** OpenAPI path under `/api/v1`, dynamic segments in braces (`/api/v1/backtests/{id}`); the route folder uses `[id]`. */
  path: `${typeof API_V1_PREFIX}/${string}`;
  tag: string;
  summary: string;
  description?: string;
  /** Minimum role; a higher role may call it too. */
  role: Role;
  /** Path parameters, one per `{name}` in `path`. */
  params?: P;
  /** Query parameters; any other parameter is refused with 400 naming it. */
  query?: Q;
  body?: B extends z.ZodType ? OperationBody<B> : undefined;
  response: { status: 200 | 201 | 202; description: string; schema: R };
  /** Operation-specific error answers and when they happen. */
  errors?: Partial<Record<DeclaredErrorStatus, string>>;
  /** Mutations name their audit action (`candles.import`); reads leave it out. */
  audit?: { action: string; target?: (input: OperationInput<P, Q, B>) => string | null };
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a handler receives: each part parsed by the operation's schema. */
export interface OperationInput<P, Q, B> {
  path: Parsed<P>;
  query: Parsed<Q>;
  body: B extends z.ZodType ? z.output<B> : undefined;
}

/** Any operation, for lists and the document. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = OperationSpec<any, any, any, any>;

/** Declares an operation; the identity, typed, so route and document share one object. */
export function defineOperation<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined, R extends z.ZodType = z.ZodType>(
  spec: OperationSpec<P, Q, B, R>,
): OperationSpec<P, Q, B, R> {
  return spec;
}

function quote(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `got ${json.slice(0, 77)}...` : `got ${json}`;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  return current;
}

/**
 * The gate's input schema for an operation: parses `{ path, query, body }` part by part and reports
 * each problem under the field's own name (`limit`, `strategies.0`; `body` for a body that is not an
 * object) with the value that was sent.
 */
function inputSchemaOf(op: AnyOperation): z.ZodType<OperationInput<unknown, unknown, unknown>> {
  const parts: [name: 'path' | 'query' | 'body', schema: z.ZodType][] = [
    ['path', op.params ?? z.object({})],
    ['query', knownParams((op.query as z.ZodObject | undefined)?.shape ?? {})],
    ['body', op.body?.schema ?? z.undefined()],
  ];
  return z.unknown().transform((raw, ctx) => {
    const out: Record<string, unknown> = {};
    for (const [name, schema] of parts) {
      const value = (raw as Record<string, unknown>)[name];
      const parsed = schema.safeParse(value);
      if (parsed.success) {
        out[name] = parsed.data;
        continue;
      }
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) {
            ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: `not a field here (${quote(valueAt(value, [...issue.path, key]))})` });
          }
          continue;
        }
        const path = issue.path.length > 0 ? issue.path : [name];
        ctx.addIssue({ code: 'custom', path, message: `${issue.message} (${quote(valueAt(value, issue.path))})` });
      }
    }
    return out as unknown as OperationInput<unknown, unknown, unknown>;
  });
}

async function readLimitedText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new AppError('payload_too_large:input', `the body is larger than the ${maxBytes} bytes this operation accepts`);
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

async function readOperationInput(op: AnyOperation, request: Request, params: Record<string, string>): Promise<unknown> {
  const query = Object.fromEntries(new URL(request.url).searchParams);
  if (!op.body) return { path: params, query, body: undefined };
  const text = await readLimitedText(request, op.body.maxBytes);
  if (op.body.contentType !== 'application/json') return { path: params, query, body: text };
  if (text.trim() === '') return { path: params, query, body: undefined };
  try {
    return { path: params, query, body: JSON.parse(text) as unknown };
  } catch {
    throw new AppError('bad_request:input', 'the body is not valid JSON', { body: ['not valid JSON'] });
  }
}

/** Where an operation's definition is kept on its handler, for the route-matching test. */
export const API_OPERATION = Symbol.for('aethelred.api-v1.operation');

export type ApiRoute = GatedRoute & { [API_OPERATION]: AnyOperation };

/**
 * The route handler of an operation: the gate with the operation's role, input schemas and audit
 * action; the body's value is sent as JSON with the operation's success status.
 */
export function apiRoute<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined, R extends z.ZodType>(
  op: OperationSpec<P, Q, B, R>,
  body: (ctx: RouteContext<OperationInput<P, Q, B>>) => Promise<z.input<R>>,
): ApiRoute {
  const input = inputSchemaOf(op as AnyOperation) as unknown as z.ZodType<OperationInput<P, Q, B>>;
  const audit = op.audit ? { action: op.audit.action, target: op.audit.target ? (value: OperationInput<P, Q, B>) => op.audit!.target!(value) : undefined } : undefined;
  const handler = route(
    { role: op.role, input, audit, readInput: (request, params) => readOperationInput(op as AnyOperation, request, params) },
    async (ctx) => Response.json(await body(ctx), { status: op.response.status }),
  );
  return Object.assign(handler, { [API_OPERATION]: op as AnyOperation });
}

/** The definition behind a handler, or null when it was not made by `apiRoute`. */
export function operationOf(value: unknown): AnyOperation | null {
  if (typeof value === 'function' && API_OPERATION in value) return (value as ApiRoute)[API_OPERATION];
  return null;
}


const STANDARD_ERRORS = {
  400: 'The input is invalid: `fieldErrors` names each field (path, query or body) and the value sent. Nothing was changed.',
  401: 'No valid session cookie or API token.',
  403: 'The caller\'s role (or the token\'s) is below the one this operation needs.',
  500: 'Internal error; details are in the server log.',
  503: 'The application failed to start; see the server log.',
} as const;

/** The error answers an operation documents, by status: the standard ones, 413 when it reads a body, and its own. */
export function errorAnswersOf(op: AnyOperation): Record<string, string> {
  return {
    ...STANDARD_ERRORS,
    ...(op.body ? { 413: `The body is larger than ${op.body.maxBytes} bytes; nothing was read.` } : {}),
    ...(op.errors ?? {}),
  };
}

/** The OpenAPI operation object of a definition (zod schemas still in place; `createDocument` renders them). */
export function openApiOperationOf(op: AnyOperation): ZodOpenApiOperationObject {
  const responses: Record<string, ZodOpenApiResponseObject> = {
    [String(op.response.status)]: { description: op.response.description, content: { 'application/json': { schema: op.response.schema } } },
  };
  const errors = errorAnswersOf(op);
  for (const status of Object.keys(errors).sort()) responses[status] = { description: errors[status], content: { 'application/json': { schema: errorBodySchema } } };
  const requestParams: ZodOpenApiOperationObject['requestParams'] = {};
  if (op.params) requestParams.path = op.params;
  if (op.query) requestParams.query = op.query;
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: [op.description, `Role: **${op.role}** or higher.`].filter(Boolean).join('\n\n'),
    'x-aethelred-role': op.role,
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(op.body
      ? { requestBody: { required: true, description: `${op.body.description} At most ${op.body.maxBytes} bytes.`, content: { [op.body.contentType]: { schema: op.body.schema } } } }
      : {}),
    responses: responses as ZodOpenApiResponsesObject,
  };
}
