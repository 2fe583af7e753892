/**
 * The one gate every route handler and server action passes: authenticate (session cookie
 * or `Authorization: Bearer <api token>`), check the role, parse input with zod, run the
 * body, write the audit log for mutations, map errors to the code table. Each wrapped
 * export carries its metadata under `GATE`, so the role-matrix test can find unwrapped
 * exports and call every wrapped one with an injected root.
 */
import { z } from 'zod';
import { ActorKind, AuditOutcome } from '@/db/repositories/audit-repository';
import type { Root } from '../root';
import { withRequestTelemetry } from '../telemetry/request-logger';
import { AppError, errorBody, errorResponse, toAppError, type ErrorBody } from './app-error';
import type { Actor } from './auth-kit';
import { roleAtLeast, type Role } from './roles';
import { findUnstorableText } from '@/engine/core/storable-text';
import { isSecretFieldPath } from '@/engine/core/secret-names';

export const GATE = Symbol.for('aethelred.gate');

/** Who may call: a minimum role, or `public` (the body authenticates by other means, or nothing needs protecting). */
export type Access = Role | 'public';

export interface AuditSpec<I> {
  /** e.g. `user.set_role`. */
  action: string;
  /** The thing acted on, from the parsed input and route params. */
  target?: (input: I, params: Record<string, string>) => string | null;
}

interface GateSpec<S extends z.ZodType | undefined> {
  role: Access;
  /** For public routes: what protects it instead (shown in the role matrix and README). */
  authenticatedBy?: string;
  input?: S;
  audit?: AuditSpec<InputOf<S>>;
  /**
   * Routes only: reads the raw input `input` parses, instead of the query string (GET/HEAD/DELETE) or
   * the JSON body. `/api/v1` operations read `{ path, query, body }` this way (see `app/_server/api-v1`).
   */
  readInput?: (request: Request, params: Record<string, string>) => Promise<unknown>;
  /**
   * Set to what the call does (e.g. "creating an API token") when only a signed-in browser session may do
   * it: an API token caller (Authorization: Bearer) is refused with 403 naming it, so a leaked token
   * cannot, for one, mint its own replacement.
   */
  sessionOnly?: string;
}

type InputOf<S> = S extends z.ZodType ? z.infer<S> : undefined;

/** What a body may add to its audit entry. */
export interface AuditDetail {
  /**
   * Who acted, when the gate cannot know: a public body that establishes the actor itself (first-run
   * setup names the admin it created). Without it a public call is recorded as anonymous.
   */
  actor?: { id: string; email: string };
  target?: string | null;
  before?: unknown;
  after?: unknown;
}

interface BodyContext<I> {
  root: Root;
  /** Null only on public routes. */
  actor: Actor | null;
  input: I;
  /** Adds before/after state (and a target known only inside the body) to the audit entry. */
  audit(detail: AuditDetail): void;
}

export interface RouteContext<I> extends BodyContext<I> {
  request: Request;
  params: Record<string, string>;
}

export type ActionContext<I> = BodyContext<I>;

/** The state union every server action returns. */
export type ActionResult<T> = { ok: true; data: T } | ({ ok: false; status: number } & ErrorBody);

export interface RouteGateMeta {
  kind: 'route';
  access: Access;
  authenticatedBy?: string;
  auditAction?: string;
  /** Runs the full gate with an explicit root (tests); the exported handler passes `getRoot()`. */
  run(root: Root, request: Request, params: Record<string, string>): Promise<Response>;
}

export interface ActionGateMeta {
  kind: 'action';
  access: Access;
  auditAction?: string;
  run(root: Root, headers: Headers, input: unknown): Promise<ActionResult<unknown>>;
}

export type GateMeta = RouteGateMeta | ActionGateMeta;

type NextRouteContext = { params: Promise<Record<string, string | string[]>> };
export type GatedRoute = ((request: Request, context: NextRouteContext) => Promise<Response>) & { [GATE]: RouteGateMeta };
export type GatedAction<T> = ((input: unknown) => Promise<ActionResult<T>>) & { [GATE]: ActionGateMeta };

/** FormData as a plain object; a key sent more than once (checkboxes) becomes an array. Next's `$ACTION` keys are dropped. */
export function formDataToObject(form: FormData): Record<string, unknown> {
  // A Map, then own properties: a field named "__proto__" or "constructor" is data, not the object's prototype.
  const out = new Map<string, unknown>();
  for (const [key, value] of form.entries()) {
    if (key.startsWith('$ACTION')) continue;
    const previous = out.get(key);
    out.set(key, previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]);
  }
  return Object.fromEntries(out);
}

/** The route's path with its dynamic segments named (`/api/webhooks/[id]`), so metric labels stay few. */
function routePatternOf(request: Request, params: Record<string, string>): string {
  let path = new URL(request.url).pathname;
  for (const [name, value] of Object.entries(params)) {
    if (value) path = path.split('/').map((segment) => (decodeURIComponent(segment) === value ? `[${name}]` : segment)).join('/');
  }
  return path;
}

/** The gate metadata of an export, or null when it did not pass through the gate. */
export function gateMetaOf(value: unknown): GateMeta | null {
  if ((typeof value === 'function' || (typeof value === 'object' && value !== null)) && GATE in value) {
    return (value as { [GATE]: GateMeta })[GATE];
  }
  return null;
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  // A Map, not an object: an unknown field named "constructor" or "__proto__" must not find Object.prototype's.
  const out = new Map<string, string[]>();
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || '(input)';
    out.set(key, [...(out.get(key) ?? []), issue.message]);
  }
  return Object.fromEntries(out);
}

/**
 * Refuses route params and input holding text the database cannot store (NUL, unpaired surrogates),
 * naming the parameter or field, for every route and action alike, before any schema or body sees it.
 * @throws AppError bad_request:input.
 */
function refuseUnstorableText(params: Record<string, string>, raw: unknown): void {
  for (const [where, value] of [['path parameter', params], ['parameter', raw]] as const) {
    const found = findUnstorableText(value);
    if (!found) continue;
    const name = found.path.join('.') || '(input)';
    // A secret field's value is never quoted: the message reaches the response and the log.
    const shown = isSecretFieldPath(found.path) ? '(redacted)' : found.value.length > 80 ? `${found.value.slice(0, 80)}…` : found.value;
    throw new AppError('bad_request:input', `${where} "${name}" was ${JSON.stringify(shown)}: ${found.reason}`, { [name]: [found.reason] });
  }
}

function parseInput<S extends z.ZodType | undefined>(schema: S, raw: unknown): InputOf<S> {
  if (!schema) return undefined as InputOf<S>;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrorsOf(parsed.error);
    const summary = Object.entries(fields)
      .map(([k, v]) => `${k}: ${v.join(', ')}`)
      .join('; ');
    throw new AppError('bad_request:input', `invalid input: ${summary}`, fields);
  }
  return parsed.data as InputOf<S>;
}

/** What a session still on its temporary password is told by every route and action. */
export const PASSWORD_CHANGE_REQUIRED =
  'you signed in with a temporary password: choose your own first at /change-password (or POST /api/auth/change-password with currentPassword and newPassword); API tokens are not affected';

const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether a request comes from one of `ownOrigins`: its `Origin`, else its `Referer`'s origin, else
 * `Sec-Fetch-Site: same-origin`. No evidence at all counts as cross-site.
 * @returns null when same-origin, else what was seen (for the refusal message).
 */
export function crossSiteEvidence(headers: Headers, ownOrigins: readonly string[]): string | null {
  const origin = headers.get('origin');
  if (origin !== null) return ownOrigins.includes(origin) ? null : `Origin ${JSON.stringify(origin)}`;
  const referer = headers.get('referer');
  if (referer !== null) {
    let refererOrigin: string | null = null;
    try {
      refererOrigin = new URL(referer).origin;
    } catch {
      // not a URL: cross-site
    }
    return refererOrigin !== null && ownOrigins.includes(refererOrigin) ? null : `Referer ${JSON.stringify(referer)}`;
  }
  const fetchSite = headers.get('sec-fetch-site');
  if (fetchSite !== null) return fetchSite === 'same-origin' ? null : `Sec-Fetch-Site ${JSON.stringify(fetchSite)}`;
  return 'no Origin, Referer or Sec-Fetch-Site header';
}

/**
 * Authenticates and checks the role. A state-changing route request authenticated by the session
 * cookie must come from the app's own origin (the browser sends the cookie with cross-site requests
 * too); Bearer tokens are not sent by browsers on their own, so they are exempt.
 * @throws AppError unauthorized:auth / forbidden:auth.
 */
async function admit(root: Root, headers: Headers, access: Access, request?: Request, sessionOnly?: string): Promise<Actor | null> {
  if (access === 'public') return null;
  const actor = await root.auth.authenticate(headers);
  if (!actor) throw new AppError('unauthorized:auth');
  if (actor.mustChangePassword) throw new AppError('forbidden:auth', PASSWORD_CHANGE_REQUIRED);
  if (request && actor.kind === ActorKind.Session && STATE_CHANGING_METHODS.has(request.method.toUpperCase())) {
    const evidence = crossSiteEvidence(headers, root.forwarding.ownOrigins(headers, { url: request.url }));
    if (evidence) throw new AppError('forbidden:auth', `cross-site request refused: ${evidence} is not this app's origin; send an API token (Authorization: Bearer) from other sites and scripts`);
  }
  if (!roleAtLeast(actor.role, access)) throw new AppError('forbidden:auth', `this needs the "${access}" role; you have "${actor.role}"`);
  if (sessionOnly !== undefined && actor.kind !== ActorKind.Session) {
    throw new AppError('forbidden:auth', `${sessionOnly} needs a signed-in browser session: an API token (Authorization: Bearer) cannot do it; sign in to the app and use the API tokens page`);
  }
  return actor;
}

/** Runs a body inside the gate; returns the value or the mapped error, having written the audit entry. */
async function guarded<S extends z.ZodType | undefined, T>(
  root: Root,
  spec: GateSpec<S>,
  headers: Headers,
  readInput: () => Promise<unknown>,
  params: Record<string, string>,
  body: (ctx: BodyContext<InputOf<S>>) => Promise<T>,
  request?: Request,
): Promise<{ ok: true; value: T } | { ok: false; error: AppError }> {
  let actor: Actor | null = null;
  let input: InputOf<S> | undefined;
  const detail: AuditDetail = {};
  const storable = findUnstorableText(params) === null;
  const writeAudit = async (outcome: AuditOutcome, who: Actor | null) => {
    if (!spec.audit) return;
    // Params that cannot be stored never reach the audit row (its write would fail the same way).
    const target = !storable ? null : detail.target !== undefined ? detail.target : input !== undefined || !spec.input ? (spec.audit.target?.(input as InputOf<S>, params) ?? null) : null;
    // A public call had no signed-in caller (webhook deliveries are recorded as deliveries, not here).
    await root.auth.recordAudit({
      actorId: who?.userId ?? detail.actor?.id ?? null,
      actorEmail: who?.email ?? detail.actor?.email ?? null,
      actorKind: who?.kind ?? ActorKind.Anonymous,
      action: spec.audit.action,
      target,
      outcome,
      before: detail.before ?? null,
      after: detail.after ?? null,
    });
  };
  try {
    actor = await admit(root, headers, spec.role, request, spec.sessionOnly);
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'forbidden:auth') {
      const who = await root.auth.authenticate(headers).catch(() => null);
      await writeAudit(AuditOutcome.Denied, who).catch((e) => root.logger.error({ err: e }, 'audit write failed'));
    }
    return { ok: false, error: appError };
  }
  try {
    const raw = await readInput();
    refuseUnstorableText(params, raw);
    input = parseInput(spec.input, raw);
    const value = await body({ root, actor, input: input as InputOf<S>, audit: (d) => Object.assign(detail, d) });
    await writeAudit(AuditOutcome.Ok, actor);
    return { ok: true, value };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'internal') root.logger.error({ err: error, audit: spec.audit?.action }, 'request failed');
    else root.logger.info({ code: appError.code, audit: spec.audit?.action }, appError.message);
    await writeAudit(AuditOutcome.Failed, actor).catch((e) => root.logger.error({ err: e }, 'audit write failed'));
    return { ok: false, error: appError };
  }
}

async function readRequestInput(request: Request): Promise<unknown> {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return Object.fromEntries(new URL(request.url).searchParams);
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('bad_request:input', 'the body is not valid JSON');
  }
}

function flattenParams(params: Record<string, string | string[]> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]));
}

async function resolveRoot(): Promise<Root> {
  const { getRoot } = await import('../root');
  return getRoot();
}

/**
 * Wraps a route handler. The body returns a Response or a JSON value (sent with 200).
 * Inputs: query string for GET/HEAD/DELETE, JSON body otherwise (when `input` is given).
 * When the root cannot be built the handler answers 503.
 */
export function route<S extends z.ZodType | undefined = undefined>(
  spec: GateSpec<S>,
  body: (ctx: RouteContext<InputOf<S>>) => Promise<Response | unknown>,
): GatedRoute {
  const run = async (root: Root, request: Request, params: Record<string, string>): Promise<Response> =>
    // Every request: a request id on its log lines and response, and its latency in the HTTP histogram.
    withRequestTelemetry(request, routePatternOf(request, params), { logger: root.logger, observeHttp: root.telemetry?.observeHttp }, async () => {
      const readInput = () => (!spec.input ? Promise.resolve(undefined) : spec.readInput ? spec.readInput(request, params) : readRequestInput(request));
      const result = await guarded(root, spec, request.headers, readInput, params, (ctx) => body({ ...ctx, request, params }), request);
      if (!result.ok) return errorResponse(result.error);
      return result.value instanceof Response ? result.value : Response.json(result.value ?? null);
    });
  const handler = async (request: Request, context: NextRouteContext) => {
    let root: Root;
    try {
      root = await resolveRoot();
    } catch (error) {
      console.error('aethelred: the application failed to start', error);
      return Response.json({ error: { code: 'internal', message: 'the application failed to start; see the server log' } }, { status: 503 });
    }
    return run(root, request, flattenParams(await context?.params));
  };
  const meta: RouteGateMeta = { kind: 'route', access: spec.role, authenticatedBy: spec.authenticatedBy, auditAction: spec.audit?.action, run };
  return Object.assign(handler, { [GATE]: meta });
}

/**
 * Wraps a server action (export it from a 'use server' file). Accepts a plain object or
 * FormData; returns `{ ok: true, data }` or `{ ok: false, status, error }`, never throws.
 * `revalidate` paths are refreshed after a success.
 */
export function action<S extends z.ZodType | undefined, T>(
  spec: GateSpec<S> & { revalidate?: string[] },
  body: (ctx: ActionContext<InputOf<S>>) => Promise<T>,
): GatedAction<T> {
  const run = async (root: Root, headers: Headers, raw: unknown): Promise<ActionResult<T>> => {
    const input = raw instanceof FormData ? formDataToObject(raw) : raw;
    const result = await guarded(root, spec, headers, async () => input ?? {}, {}, body);
    if (result.ok) return { ok: true, data: result.value };
    return { ok: false, status: result.error.status, ...errorBody(result.error) };
  };
  const fn = async (raw: unknown): Promise<ActionResult<T>> => {
    const [{ headers }, root] = await Promise.all([import('next/headers'), resolveRoot()]);
    const result = await run(root, await headers(), raw);
    if (result.ok && spec.revalidate?.length) {
      const { revalidatePath } = await import('next/cache');
      for (const path of spec.revalidate) revalidatePath(path);
    }
    return result;
  };
  const meta: ActionGateMeta = { kind: 'action', access: spec.role, auditAction: spec.audit?.action, run: run as ActionGateMeta['run'] };
  return Object.assign(fn, { [GATE]: meta });
}
