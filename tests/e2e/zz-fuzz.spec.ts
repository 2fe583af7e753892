/**
 * Fuzz suite: generated bad input to every route handler and every server action of the production
 * build (wrong types, huge and deeply nested values, NaN/Infinity, U+0000 and lone surrogates in
 * strings, unknown fields, bad query parameters and percent-encoding), signed in as the admin by
 * session cookie and by Bearer API token, plus anonymous. Asserts that nothing answers 5xx and that
 * valid requests still succeed afterwards. Loopback only (the server global setup started).
 *
 * Named zz- so it runs last: it trips the sign-in rate limit for this client address.
 * Reproduce a run with FUZZ_SEED=<the seed it printed>; FUZZ_REQUESTS sets the count (default 5200).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import fc from 'fast-check';
import { E2E_ADMIN_TOKEN_FILE, E2E_PASSWORD, E2E_USERS } from './e2e-env';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5200);
const CONCURRENCY = 6;
const REPORT_FILE = path.resolve('test-results/fuzz-failures.json');

// ---------------------------------------------------------------- targets

interface RouteTarget {
  kind: 'route';
  method: string;
  /** Path with `[param]` / `[...param]` placeholders. */
  pattern: string;
}
interface ActionTarget {
  kind: 'action';
  id: string;
  name: string;
  /** A page whose bundle holds the action (Next refuses an action posted to a page that does not). */
  pagePath: string;
}

/** Every exported HTTP method of every app/api route file. */
function routeTargets(): RouteTarget[] {
  const out: RouteTarget[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const source = fs.readFileSync(full, 'utf8');
        const methods = new Set<string>();
        for (const m of source.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1]);
        for (const m of source.matchAll(/\bas (GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1]);
        const pattern = '/' + path.relative('app', path.dirname(full)).split(path.sep).join('/');
        for (const method of methods) out.push({ kind: 'route', method, pattern });
      }
    }
  };
  walk('app/api');
  return out;
}

/** Every server action of the build, with a page that can run it (from Next's server reference manifest). */
function actionTargets(): ActionTarget[] {
  const manifest = JSON.parse(fs.readFileSync('.next/server/server-reference-manifest.json', 'utf8')) as {
    node: Record<string, { workers: Record<string, unknown>; exportedName?: string; filename?: string }>;
  };
  return Object.entries(manifest.node).map(([id, entry]) => {
    const worker = Object.keys(entry.workers).find((w) => w.startsWith('app/') && w.endsWith('/page')) ?? Object.keys(entry.workers)[0];
    const pagePath =
      '/' +
      worker
        .replace(/^app\//, '')
        .replace(/\/?page$/, '')
        .split('/')
        .filter((segment) => segment && !/^\(.*\)$/.test(segment))
        .map((segment) => (segment.startsWith('[') ? 'fuzz-id' : segment))
        .join('/');
    return { kind: 'action', id, name: entry.exportedName ?? id, pagePath };
  });
}

/** Requests that would end the fuzzer's own sessions rather than test input handling. */
const SKIPPED_ACTIONS = new Set(['logoutEverywhere']);
const isSkippedRoute = (method: string, urlPath: string) => method === 'POST' && /^\/api\/auth\/sign-out\b/.test(urlPath);

// ---------------------------------------------------------------- generators

const NASTY_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF\u0000\uDC00\uD800',
  '💥\u202E',
  '../../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-1',
  '1e999',
  '9007199254740993',
  '0x10',
  'null',
  'undefined',
  '__proto__',
  'BTC/USDT',
  'binance',
  '5m',
  '2024-13-45',
  '$NaN',
  '$Infinity',
  '$-Infinity',
  '$undefined',
  '$n99999999999999999999',
  '$D2024-01-01',
  '$@1',
  '$K1',
  '$Q1',
  '$W1',
  '$T',
  '$h1',
  '$S',
  '$F1',
  '$B1',
  '$Z',
  '$',
];
const FIELD_NAMES = [
  'symbol', 'exchange', 'timeframe', 'from', 'to', 'fromMs', 'toMs', 'cursor', 'limit', 'offset', 'page', 'sort', 'order', 'id', 'runId', 'ticketId', 'tokenId',
  'userId', 'email', 'role', 'password', 'name', 'active', 'enabled', 'strategy', 'strategies', 'risk', 'reason', 'channels', 'routing', 'channelId', 'side', 'amount',
  'price', 'type', 'kind', 'job', 'params', 'secret', 'apiKey', 'version', 'modelId', 'actorId', 'action', 'sessionId', 'dryRun', 'mode', 'ids', 'format',
  '__proto__', 'constructor', 'prototype', '', '\u0000', '\uD800',
];
const NASTY_NUMBERS = [NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 31), 0.1, -1, 0];

const badString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\uD800', '\uDC00', '\uFFFF')).map(([s, bad]) => `${s}${bad}${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), '\u0000'.repeat(5_000), '\uD800'.repeat(5_000)) },
);
const badNumber = fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.double(), fc.integer());
const { value: badValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    badString,
    badNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES), tie('value'), { maxKeys: 6 }),
  ),
}));
/** An object of plausible field names with bad values: the shape most inputs expect, wrong inside. */
const badObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), badString), badValue, { maxKeys: 8 });

/** JSON text that may hold what JSON cannot (NaN, Infinity): then it is not JSON, which is also worth sending. */
function toLooseJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `@@${String(v)}@@` : v)).replace(/"@@(NaN|Infinity|-Infinity)@@"/g, '$1');
}

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const RAW_BODIES = [
  '',
  'null',
  'true',
  '"string"',
  '[]',
  '{',
  '{"a":}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '\u0000',
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  '\uFEFF{}',
  deepArray(100),
  deepArray(5_000),
  deepArray(200_000),
  deepObject(2_000),
  deepObject(50_000),
  JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)),
  JSON.stringify({ a: 'y'.repeat(900_000) }),
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
];
const rawBody = fc.constantFrom(...RAW_BODIES);

/** A body for a JSON route: generated values as (loose) JSON, or raw text. */
const routeBody = fc.oneof({ weight: 3, arbitrary: badObject.map(toLooseJson) }, { weight: 2, arbitrary: badValue.map(toLooseJson) }, { weight: 2, arbitrary: rawBody });

/** Query-string pieces, including raw percent-encoding that does not decode. */
const RAW_QUERY_VALUES = ['%', '%zz', '%00', '%ED%A0%80', '%C0%AF', '%FF%FE', '%E2%82', 'NaN', 'Infinity', '-Infinity', '1e999', '-1', '0', '999999999999999999999', '2024-01-01T00:00:00Z', 'a'.repeat(5_000)];
const encodeLoose = (s: string) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
const queryPair = fc.tuple(
  fc.oneof(fc.constantFrom(...FIELD_NAMES).map(encodeLoose), fc.constantFrom(...RAW_QUERY_VALUES)),
  fc.oneof(fc.constantFrom(...RAW_QUERY_VALUES), badString.map(encodeLoose), badNumber.map(String)),
);
const queryString = fc.array(queryPair, { maxLength: 6 }).map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&') : ''));

/** A path segment for `[id]`-style parameters. */
const SEGMENTS = ['x', '%00', '%ED%A0%80', '%', '..', '%2e%2e', 'live%3Abinance%3ABTC%2FUSDT%3A5m', 'a'.repeat(3_000), 'NaN', '-1', '00000000-0000-0000-0000-000000000000', '%F0%9F%92%A5'];
const segment = fc.oneof(fc.constantFrom(...SEGMENTS), badString.map(encodeLoose));

/** The body of a server action call as React's client sends it: the argument list, JSON-encoded, or multipart form data. */
const actionBody = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(badObject, badValue).map((arg) => ({ type: 'text' as const, body: toLooseJson([arg]) })) },
  { weight: 1, arbitrary: fc.array(badValue, { maxLength: 3 }).map((args) => ({ type: 'text' as const, body: toLooseJson(args) })) },
  { weight: 2, arbitrary: rawBody.map((body) => ({ type: 'text' as const, body })) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('0', '1', '_1_symbol', '_1_email', '1_$ACTION_REF_1', '$ACTION_ID_x', 'email'), badString), badString), { maxLength: 6 })
      .map((entries) => ({ type: 'form' as const, entries })),
  },
  {
    // FormData the way the app's forms send it (part "0" = ["$K1"], fields `_1_<name>`), with bad values.
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...FIELD_NAMES), badString), { maxLength: 6 })
      .map((fields) => ({ type: 'form' as const, entries: [['0', '["$K1"]'], ...fields.map(([k, v]): [string, string] => [`_1_${k}`, v])] as [string, string][] })),
  },
);

type Auth = 'cookie' | 'bearer' | 'anonymous';
const authArb = fc.constantFrom<Auth>('cookie', 'cookie', 'bearer', 'bearer', 'anonymous');

// ---------------------------------------------------------------- requests

interface Sent {
  label: string;
  /** Method and URL (cut to 300 characters), to replay a failure. */
  request: string;
  status: number;
  auth: Auth;
  snippet: string;
}

interface Session {
  baseURL: string;
  cookie: string;
  token: string;
}

function headersFor(session: Session, auth: Auth, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { origin: session.baseURL, ...extra };
  if (auth === 'cookie') headers.cookie = session.cookie;
  if (auth === 'bearer') headers.authorization = `Bearer ${session.token}`;
  return headers;
}

/** The valid requests whose whole answer is read (the fuzzed ones keep 300 characters for the report). */
const CHECKS = new Set(['setup', 'invite', 'resume']);

/** The start of a request body, for the failure report. */
function describeBody(body: RequestInit['body']): string {
  if (typeof body === 'string') return `body ${JSON.stringify(body.slice(0, 150))}`;
  if (body instanceof FormData) return `form ${JSON.stringify([...body.entries()].map(([k, v]) => [k.slice(0, 30), String(v).slice(0, 40)]))}`;
  return '';
}

async function send(session: Session, label: string, auth: Auth, url: string, init: RequestInit): Promise<Sent> {
  try {
    const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    return { label, request: `${init.method} ${url} ${describeBody(init.body)}`.slice(0, 400), status: response.status, auth, snippet: CHECKS.has(label) ? text : text.slice(0, 300) };
  } catch (error) {
    return { label, request: `${init.method} ${url} ${describeBody(init.body)}`.slice(0, 400), status: 599, auth, snippet: `request failed: ${(error as Error).message}` };
  }
}

function fillPattern(pattern: string, segmentValue: string): string {
  return pattern.replace(/\[\.\.\.[^\]]+\]/g, `sign-in/${segmentValue}`).replace(/\[[^\]]+\]/g, segmentValue);
}

/** Builds one generated request against a route. */
function routeRequest(session: Session, target: RouteTarget, auth: Auth, rng: { body: string; query: string; segment: string }): [string, string, RequestInit] | null {
  const urlPath = fillPattern(target.pattern, rng.segment);
  if (isSkippedRoute(target.method, urlPath)) return null;
  const hasBody = target.method !== 'GET' && target.method !== 'DELETE';
  const extra: Record<string, string> = hasBody ? { 'content-type': 'application/json' } : {};
  if (target.pattern.startsWith('/api/webhooks/')) {
    extra['x-aethelred-timestamp'] = rng.segment.slice(0, 20);
    extra['x-aethelred-delivery'] = rng.segment.slice(0, 40) || 'd';
    extra['x-aethelred-signature'] = `sha256=${'0'.repeat(64)}`;
  }
  const label = `${target.method} ${target.pattern}`;
  // Node's HTTP server refuses request heads over 16 KiB by closing the connection: keep URLs under that.
  const url = `${session.baseURL}${urlPath}${rng.query}`.slice(0, 8_000);
  return [label, url, { method: target.method, headers: headersFor(session, auth, extra), body: hasBody ? rng.body : undefined }];
}

function actionRequest(session: Session, target: ActionTarget, auth: Auth, payload: { type: 'text'; body: string } | { type: 'form'; entries: [string, string][] }): [string, string, RequestInit] {
  const headers = headersFor(session, auth, { 'next-action': target.id, accept: 'text/x-component' });
  let body: BodyInit;
  if (payload.type === 'text') {
    headers['content-type'] = 'text/plain;charset=UTF-8';
    body = payload.body;
  } else {
    const form = new FormData();
    for (const [k, v] of payload.entries) form.append(k, v);
    body = form;
  }
  if (payload.type === 'form' && payload.entries.length % 3 === 2) {
    // Now and then a form posted without JavaScript, naming the action the way Next.js's no-JS forms do.
    delete headers['next-action'];
    (body as FormData).append(`$ACTION_ID_${target.id}`, '');
  }
  return [`action ${target.name} (POST ${target.pagePath})`, `${session.baseURL}${target.pagePath}`, { method: 'POST', headers, body }];
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

/** The `{ ok, status }` an action returned, read from its RSC response (row 0 points at the result's row, `"a":"$@<row>"`). */
function actionOutcome(rsc: string): { ok: boolean; status: number | null } {
  const rows = new Map(rsc.split('\n').flatMap((line) => (/^([0-9a-f]+):(\{.*\})$/.exec(line) ? [[line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]] : [])));
  const resultRow = /"a":"\$@([0-9a-f]+)"/.exec(rows.get('0') ?? '')?.[1];
  const result = JSON.parse(rows.get(resultRow ?? '') ?? '{}') as { ok?: boolean; status?: number };
  return { ok: result.ok === true, status: result.status ?? null };
}

async function signInAdmin(baseURL: string): Promise<string> {
  const response = await fetch(`${baseURL}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseURL },
    body: JSON.stringify({ email: E2E_USERS.admin, password: E2E_PASSWORD }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

// ---------------------------------------------------------------- the suite

test.describe.configure({ mode: 'serial' });

let session: Session;
let actions: ActionTarget[];

test.beforeAll(async ({ baseURL }) => {
  session = { baseURL: baseURL!, cookie: await signInAdmin(baseURL!), token: fs.readFileSync(E2E_ADMIN_TOKEN_FILE, 'utf8').trim() };
  actions = actionTargets();
});

test('setupFirstAdmin after setup answers 404 and inviting an existing e-mail answers 409, across bundles', async () => {
  const setup = actions.find((a) => a.name === 'setupFirstAdmin')!;
  const invite = actions.find((a) => a.name === 'inviteUser')!;
  const setupSent = await send(session, 'setup', 'anonymous', ...(actionRequest(session, setup, 'anonymous', { type: 'text', body: JSON.stringify([{ email: 'late@e2e.test', password: 'long-enough-password' }]) }).slice(1) as [string, RequestInit]));
  expect(setupSent.status).toBe(200);
  expect(actionOutcome(setupSent.snippet)).toEqual({ ok: false, status: 404 });
  const inviteSent = await send(session, 'invite', 'cookie', ...(actionRequest(session, invite, 'cookie', { type: 'text', body: JSON.stringify([{ email: E2E_USERS.viewer, role: 'viewer' }]) }).slice(1) as [string, RequestInit]));
  expect(inviteSent.status).toBe(200);
  expect(actionOutcome(inviteSent.snippet)).toEqual({ ok: false, status: 409 });
});

test('no route handler or server action answers 5xx to generated bad input, and valid requests still succeed', async () => {
  test.setTimeout(240_000);
  const routes = routeTargets();
  const fuzzedActions = actions.filter((a) => !SKIPPED_ACTIONS.has(a.name));
  expect(routes.length).toBeGreaterThanOrEqual(15);
  expect(fuzzedActions.length).toBeGreaterThanOrEqual(20);
  console.log(`fuzz: seed ${SEED}, ${REQUESTS} requests over ${routes.length} route methods and ${fuzzedActions.length} server actions (reproduce with FUZZ_SEED=${SEED})`);

  const targets: (RouteTarget | ActionTarget)[] = [...routes, ...fuzzedActions];
  const plan = fc.sample(
    fc.record({ target: fc.constantFrom(...targets), auth: authArb, body: routeBody, query: queryString, segment, action: actionBody }),
    { numRuns: REQUESTS, seed: SEED },
  );
  // Every target at least once per auth kind, whatever the sample drew.
  for (const target of targets) for (const auth of ['cookie', 'bearer', 'anonymous'] as const) plan.push({ ...plan[plan.length % REQUESTS], target, auth });

  const started = Date.now();
  const tasks = plan
    .map((p) => (p.target.kind === 'route' ? routeRequest(session, p.target, p.auth, p) : actionRequest(session, p.target, p.auth, p.action)))
    .map((request, i) => (request ? () => send(session, request[0], plan[i].auth, request[1], request[2]) : null))
    .filter((task): task is () => Promise<Sent> => task !== null);
  const sent = await pool(tasks, CONCURRENCY);
  const elapsedS = (Date.now() - started) / 1000;

  const failures = sent.filter((s) => s.status >= 500);
  const byTarget = new Map<string, { count: number; statuses: Set<number>; auths: Set<Auth>; examples: string[] }>();
  for (const f of failures) {
    const entry = byTarget.get(f.label) ?? { count: 0, statuses: new Set(), auths: new Set(), examples: [] };
    entry.count += 1;
    entry.statuses.add(f.status);
    entry.auths.add(f.auth);
    if (entry.examples.length < 5) entry.examples.push(`${f.request} -> ${f.status} ${f.snippet.slice(0, 120)}`);
    byTarget.set(f.label, entry);
  }
  const summary = [...byTarget].map(([label, e]) => ({ label, count: e.count, statuses: [...e.statuses], auths: [...e.auths], examples: e.examples }));
  fs.mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
  fs.writeFileSync(REPORT_FILE, JSON.stringify({ seed: SEED, requests: sent.length, elapsedS, failures: summary }, null, 2));
  console.log(`fuzz: ${sent.length} requests in ${elapsedS.toFixed(1)} s, ${failures.length} answered 5xx (details: ${REPORT_FILE})`);

  expect(sent.length).toBeGreaterThanOrEqual(5_000);

  // The server is still fine: the same identities get their answers.
  for (const auth of ['cookie', 'bearer'] as const) {
    const me = await fetch(`${session.baseURL}/api/me`, { headers: headersFor(session, auth) });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(E2E_USERS.admin);
    const trades = await fetch(`${session.baseURL}/api/trades?limit=5`, { headers: headersFor(session, auth) });
    expect(trades.status).toBe(200);
  }
  const health = await fetch(`${session.baseURL}/api/health`);
  expect(((await health.json()) as { status: string }).status).toBe('ok');
  // A valid server action still runs (and undoes any halt the fuzzer may have caused).
  const resume = actions.find((a) => a.name === 'resumeTrading')!;
  const resumed = await send(session, 'resume', 'cookie', ...(actionRequest(session, resume, 'cookie', { type: 'text', body: '[{"reason":"fuzz run over"}]' }).slice(1) as [string, RequestInit]));
  expect(resumed.status).toBe(200);
  expect(actionOutcome(resumed.snippet)).toEqual({ ok: true, status: null });

  expect(summary, `5xx answers by target (seed ${SEED})`).toEqual([]);
});
