/**
 * The role matrix. Scans app/ for every route.ts, every 'use server' file and every
 * page.tsx, and proves each is behind the gate: an export that did not pass through
 * `route()`/`action()` fails the test (unless listed, with its reason, in the route
 * registry). Then each gated export is called as anonymous (401), with the role just
 * below the required one (403) and with the required role by session cookie and by API
 * token (neither 401 nor 403), using real Requests against a PGlite-backed root.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateMetaOf, type ActionGateMeta, type RouteGateMeta } from '../../app/_server/auth/gate';
import { EXTERNALLY_AUTHENTICATED_ROUTES, PUBLIC_PAGES } from '../../app/_server/auth/route-registry';
import { roleBelow, ROLES, type Role } from '../../app/_server/auth/roles';
import { createAuthTestRoot, TEST_ORIGIN, TEST_PASSWORD, type AuthTestRoot } from '../support/auth-test-root';

const PROJECT = path.resolve(import.meta.dirname, '../..');
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(full);
    return [full];
  });
}

const appFiles = walk(path.join(PROJECT, 'app')).map((f) => path.relative(PROJECT, f).split(path.sep).join('/'));
const routeFiles = appFiles.filter((f) => /\/route\.(ts|tsx|js)$/.test(f));
const pageFiles = appFiles.filter((f) => /\/page\.(ts|tsx|js|jsx)$/.test(f));
/** A file is a server-action module when its first statement is the 'use server' directive. */
const actionFiles = appFiles.filter((f) => /\.(ts|tsx)$/.test(f) && /^(\s*(\/\/[^\n]*|\/\*[\s\S]*?\*\/))*\s*['"]use server['"]/.test(readFileSync(path.join(PROJECT, f), 'utf8')));

/** URL path of a route file, dynamic segments filled with sample values. */
function urlPathOf(file: string): { path: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const segments = file
    .replace(/^app\//, '')
    .replace(/\/route\.\w+$/, '')
    .split('/')
    .filter((s) => !/^\(.*\)$/.test(s))
    .map((s) => {
      const catchAll = /^\[\.\.\.(\w+)\]$/.exec(s);
      if (catchAll) return (params[catchAll[1]] = 'get-session');
      const dynamic = /^\[(\w+)\]$/.exec(s);
      if (dynamic) return (params[dynamic[1]] = 'role-matrix-sample');
      return s;
    });
  return { path: `/${segments.join('/')}`, params };
}

interface GatedRoute {
  file: string;
  method: (typeof HTTP_METHODS)[number];
  meta: RouteGateMeta;
}
interface GatedAction {
  file: string;
  name: string;
  meta: ActionGateMeta;
}

let t: AuthTestRoot;
const cookies = {} as Record<Role, string>;
const tokens = {} as Record<Role, string>;
const emails = {} as Record<Role, string>;
const routes: GatedRoute[] = [];
const actions: GatedAction[] = [];
const unwrapped: string[] = [];

beforeAll(async () => {
  for (const file of routeFiles) {
    if (file in EXTERNALLY_AUTHENTICATED_ROUTES) continue;
    const mod = (await import(path.join(PROJECT, file))) as Record<string, unknown>;
    const methods = HTTP_METHODS.filter((m) => m in mod);
    if (methods.length === 0) unwrapped.push(`${file}: exports no HTTP method`);
    for (const method of methods) {
      const meta = gateMetaOf(mod[method]);
      if (meta?.kind === 'route') routes.push({ file, method, meta });
      else unwrapped.push(`${file} ${method}`);
    }
  }
  for (const file of actionFiles) {
    const mod = (await import(path.join(PROJECT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      const meta = gateMetaOf(value);
      if (meta?.kind === 'action') actions.push({ file, name, meta });
      else unwrapped.push(`${file} ${name}`);
    }
  }
  t = await createAuthTestRoot();
  for (const role of ROLES) {
    const session = await t.signedInAs(role);
    cookies[role] = session.cookie;
    emails[role] = session.email;
    tokens[role] = (await t.root.auth.issueToken({ userId: session.userId, name: `matrix ${role}`, role })).token;
  }
});

afterAll(async () => {
  await t?.close();
});

function requestFor(route: GatedRoute, auth: { cookie?: string; bearer?: string } = {}): Request {
  const { path: urlPath } = urlPathOf(route.file);
  const headers = new Headers({ origin: TEST_ORIGIN });
  if (auth.cookie) headers.set('cookie', auth.cookie);
  if (auth.bearer) headers.set('authorization', `Bearer ${auth.bearer}`);
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
  if (hasBody) headers.set('content-type', 'application/json');
  return new Request(`${TEST_ORIGIN}${urlPath}`, { method: route.method, headers, body: hasBody ? '{}' : undefined });
}

describe('role matrix', () => {
  it('finds the app surface to check', () => {
    expect(routeFiles.length).toBeGreaterThanOrEqual(5);
    expect(actionFiles.length).toBeGreaterThanOrEqual(2);
    expect(routes.length).toBeGreaterThanOrEqual(5);
    expect(actions.length).toBeGreaterThanOrEqual(10);
  });

  it('has every route handler and server action export pass through the gate', () => {
    expect(unwrapped).toEqual([]);
  });

  it('documents what protects each public route and each externally authenticated route', () => {
    for (const r of routes.filter((r) => r.meta.access === 'public')) expect(r.meta.authenticatedBy, `${r.file} ${r.method}`).toBeTruthy();
    for (const reason of Object.values(EXTERNALLY_AUTHENTICATED_ROUTES)) expect(reason.length).toBeGreaterThan(10);
  });

  it('has every page call requireRole unless it is a listed public page', () => {
    const ungated = pageFiles.filter((f) => !(f in PUBLIC_PAGES) && !/\brequireRole\(/.test(readFileSync(path.join(PROJECT, f), 'utf8')));
    expect(ungated).toEqual([]);
    expect(pageFiles).toContain('app/page.tsx');
  });

  it('answers 401 to anonymous callers, 403 to the role below and lets the required role through on every gated route', async () => {
    const seen: string[] = [];
    for (const route of routes) {
      const { params } = urlPathOf(route.file);
      const label = `${route.method} ${route.file} (${route.meta.access})`;
      const anonymous = await route.meta.run(t.root, requestFor(route), params);
      if (route.meta.access === 'public') {
        expect([401, 403], `${label} anonymous`).not.toContain(anonymous.status);
        seen.push(`${label}: anonymous ${anonymous.status}`);
        continue;
      }
      expect(anonymous.status, `${label} anonymous`).toBe(401);
      const below = roleBelow(route.meta.access);
      if (below) expect((await route.meta.run(t.root, requestFor(route, { cookie: cookies[below] }), params)).status, `${label} as ${below}`).toBe(403);
      if (below) expect((await route.meta.run(t.root, requestFor(route, { bearer: tokens[below] }), params)).status, `${label} token ${below}`).toBe(403);
      const allowed = await route.meta.run(t.root, requestFor(route, { cookie: cookies[route.meta.access] }), params);
      expect([401, 403], `${label} as ${route.meta.access}`).not.toContain(allowed.status);
      const byToken = await route.meta.run(t.root, requestFor(route, { bearer: tokens[route.meta.access] }), params);
      expect([401, 403], `${label} token ${route.meta.access}`).not.toContain(byToken.status);
      seen.push(`${label}: ${allowed.status}`);
    }
    expect(seen.length).toBe(routes.length);
  });

  it('answers 401 to anonymous callers, 403 to the role below and lets the required role through on every server action', async () => {
    // A fresh session per call: some actions (log out everywhere) revoke the caller's sessions.
    const freshCookie = async (role: Role) => {
      const response = await t.signIn(emails[role], TEST_PASSWORD);
      return response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    };
    for (const { file, name, meta } of actions) {
      const label = `${file} ${name} (${meta.access})`;
      const headersFor = (cookie?: string) => new Headers(cookie ? { cookie, origin: TEST_ORIGIN } : { origin: TEST_ORIGIN });
      const anonymous = await meta.run(t.root, headersFor(), {});
      if (meta.access === 'public') {
        expect([401, 403], `${label} anonymous`).not.toContain(anonymous.ok ? 200 : anonymous.status);
        continue;
      }
      expect(anonymous.ok ? 200 : anonymous.status, `${label} anonymous`).toBe(401);
      const below = roleBelow(meta.access);
      if (below) {
        const lower = await meta.run(t.root, headersFor(await freshCookie(below)), {});
        expect(lower.ok ? 200 : lower.status, `${label} as ${below}`).toBe(403);
      }
      const allowed = await meta.run(t.root, headersFor(await freshCookie(meta.access)), {});
      expect([401, 403], `${label} as ${meta.access}`).not.toContain(allowed.ok ? 200 : allowed.status);
    }
  }, 240_000);

  it('records a denied attempt on an audited action in the audit log', async () => {
    const invite = actions.find((a) => a.name === 'inviteUser')!;
    const result = await invite.meta.run(t.root, new Headers({ cookie: cookies.trader }), { email: 'x@example.test', role: 'viewer' });
    expect(result).toMatchObject({ ok: false, status: 403, error: { code: 'forbidden:auth' } });
    const page = await t.root.auth.audit.list({ action: 'user.invite', limit: 1 });
    expect(page.items[0]).toMatchObject({ action: 'user.invite', outcome: 'denied', actorKind: 'session', actorEmail: expect.stringMatching(/^trader-/) });
  });
});
