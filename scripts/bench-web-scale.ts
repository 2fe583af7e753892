/**
 * `npm run bench:web-scale`: the journal page's maximum throughput with one and with two `web`
 * processes on one PostgreSQL database (issue 18: the dashboard's goal is 200 pages/s, one Node
 * process gives about 60).
 *
 * What it does, all on loopback: creates a scratch database on BENCH_POSTGRES_URL, seeds it with
 * `seedJournal` (scripts/seed-journal.ts), creates an admin and a viewer API token through the CLI's
 * own commands (create-admin, create-token), starts one production server with AETHELRED_ROLE=web
 * (`node server.mjs`, a free port, a temporary AETHELRED_DATA_DIR, secrets shared by every process)
 * and drives `/journal` closed-loop with autocannon (BENCH_CONNECTIONS connections, each sending its
 * next request as soon as the previous answer arrived, for BENCH_DURATION s after BENCH_WARMUP s of
 * unrecorded load); then starts a second web process and drives both at once, the connections split
 * evenly between them (two autocannon instances, one per process, counted together — round-robin
 * as a proxy would spread them). Stops both servers and drops the scratch database at the end, also
 * on failure or Ctrl-C.
 *
 * Prints `journal page: 1 web process N req/s (p95 X ms); 2 web processes M req/s (p95 Y ms); ratio
 * M/N` and whether the dashboard goal of 200 pages/s was met. Needs a production build: without
 * `.next/BUILD_ID` in the app directory it says to run `npx next build` and exits 0.
 *
 * Env: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres: any database the
 * user may CREATE DATABASE from), BENCH_APP_DIR (the built checkout whose server.mjs runs; default
 * the working directory), BENCH_CONNECTIONS (default 20), BENCH_DURATION (s, default 10),
 * BENCH_WARMUP (s, default 3), BENCH_TRADES (default 200000), BENCH_DECISIONS (default 500000).
 * Exit codes: 0 measured (or no build), 2 bad settings, 1 anything else (a server that did not
 * start, a non-2xx answer, a page without its table).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import postgres from 'postgres';
import { loadConfig } from '@/app/_server/config';
import { buildRoot } from '@/app/_server/root';
import { runCreateTokenCommand } from './commands/create-token';
import { runCreateUserCommand } from './commands/create-user';
import { seedJournal } from './seed-journal';

/** The dashboard's throughput goal for the journal page, pages/s (issue 18). */
const GOAL_PAGES_PER_SECOND = 200;
const READY_TIMEOUT_MS = 120_000;

function setting(name: string, fallback: number, integer: boolean, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    process.stderr.write(`bench:web-scale: ${name} was "${raw}": expected ${integer ? 'an integer' : 'a number'} >= ${min}\n`);
    process.exit(2);
  }
  return value;
}

/** Nearest-rank percentile of ascending `sorted` (ms); NaN when empty. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A TCP port nobody listens on now, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

interface WebProcess {
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
}

async function startWeb(name: string, appDir: string, env: NodeJS.ProcessEnv, tempDir: string, started: WebProcess[]): Promise<WebProcess> {
  const port = await freePort();
  const logFile = join(tempDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ['server.mjs', '--port', String(port), '--hostname', '127.0.0.1'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const web: WebProcess = { name, url: `http://127.0.0.1:${port}`, child, logFile };
  // Listed before it is ready, so the caller's clean-up stops a server that never became ready too.
  started.push(web);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastAnswer = 'no answer';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready; its log:\n${tail(logFile)}`);
    // A build older than the readiness probe answers it 404: its liveness probe says enough there.
    const probe = lastAnswer.startsWith('404') ? '/api/health' : '/api/health/ready';
    const ready = await fetch(`${web.url}${probe}`).then(
      async (response) => {
        lastAnswer = `${response.status} ${(await response.text()).slice(0, 300)}`;
        return response.ok;
      },
      () => false,
    );
    if (ready) return web;
    if (Date.now() > deadline) throw new Error(`${name} (${web.url}) was not ready after ${READY_TIMEOUT_MS / 1000} s (last answer of /api/health/ready: ${lastAnswer}); its log:\n${tail(logFile)}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopWeb(web: WebProcess): Promise<void> {
  if (web.child.exitCode !== null || web.child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => web.child.once('exit', () => resolveExit()));
  web.child.kill('SIGTERM');
  const timer = setTimeout(() => web.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Measure {
  requestsPerSecond: number;
  p95Ms: number;
  bad: number;
  errors: number;
}

/**
 * Closed-loop load on `/journal` of every server at once, `connections` split evenly across them,
 * for `seconds`; the responses of all servers are counted together.
 */
async function closedLoop(webs: WebProcess[], token: string, connections: number, seconds: number): Promise<Measure> {
  const latencies: number[] = [];
  let bad = 0;
  let errors = 0;
  await Promise.all(
    webs.map(async (web, index) => {
      // 20 connections over 2 servers: 10 each (a remainder goes to the first ones).
      const share = Math.floor(((index + 1) * connections) / webs.length) - Math.floor((index * connections) / webs.length);
      const instance = autocannon({ url: `${web.url}/journal`, headers: { authorization: `Bearer ${token}`, accept: 'text/html' }, connections: share, duration: seconds });
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        latencies.push(responseTime);
        if (statusCode < 200 || statusCode >= 300) bad++;
      });
      const result = await instance;
      errors += result.errors + result.timeouts;
    }),
  );
  latencies.sort((a, b) => a - b);
  return { requestsPerSecond: latencies.length / seconds, p95Ms: percentile(latencies, 95), bad, errors };
}

async function measure(webs: WebProcess[], token: string, connections: number, seconds: number, warmupSeconds: number): Promise<Measure> {
  if (warmupSeconds > 0) await closedLoop(webs, token, connections, warmupSeconds);
  const result = await closedLoop(webs, token, connections, seconds);
  if (result.bad > 0 || result.errors > 0) {
    throw new Error(`${webs.length} web process${webs.length === 1 ? '' : 'es'}: ${result.bad} non-2xx answers and ${result.errors} errors/timeouts under load; see ${webs.map((w) => w.logFile).join(', ')}`);
  }
  return result;
}

/** Creates the first admin and a viewer API token through the CLI's commands; returns the token. */
async function createViewerToken(env: NodeJS.ProcessEnv): Promise<string> {
  // Quiet unless LOG_LEVEL asks: only the start-up of this short-lived root would be logged.
  const root = await buildRoot(loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' }, process.cwd()), { logDestination: pino.destination({ fd: 2, sync: true }) });
  try {
    await root.start({ workers: false });
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => process.stderr.write(`${s}\n`) };
    const email = 'bench@example.com';
    const created = await runCreateUserCommand(['--email', email, '--password', randomBytes(12).toString('hex')], { auth: root.auth, ...io }, 'admin');
    if (created !== 0) throw new Error('create-admin failed (see above)');
    out.length = 0;
    const issued = await runCreateTokenCommand(['--email', email, '--role', 'viewer', '--name', 'bench:web-scale'], { auth: root.auth, ...io });
    if (issued !== 0 || out.length !== 1) throw new Error('create-token failed (see above)');
    return out[0].trim();
  } finally {
    await root.stop();
  }
}

const fmt = (value: number, digits: number) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<number> {
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const appDir = resolve(process.env.BENCH_APP_DIR ?? process.cwd());
  const connections = setting('BENCH_CONNECTIONS', 20, true, 1);
  const duration = setting('BENCH_DURATION', 10, false, 1);
  const warmup = setting('BENCH_WARMUP', 3, false, 0);
  const trades = setting('BENCH_TRADES', 200_000, true, 1);
  const decisions = setting('BENCH_DECISIONS', 500_000, true, 0);
  if (!existsSync(join(appDir, '.next', 'BUILD_ID'))) {
    process.stdout.write(`bench:web-scale: no production build in ${appDir} (.next/BUILD_ID is missing); run \`npx next build\` there first (or point BENCH_APP_DIR at a built checkout)\n`);
    return 0;
  }
  if (!existsSync(join(appDir, 'server.mjs'))) {
    process.stderr.write(`bench:web-scale: BENCH_APP_DIR "${appDir}" has no server.mjs\n`);
    return 2;
  }

  const databaseName = `aethelred_webscale_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const tempDir = mkdtempSync(join(tmpdir(), 'aethelred-webscale-'));
  const webs: WebProcess[] = [];
  let created = false;
  const cleanUp = async () => {
    await Promise.all(webs.map(stopWeb));
    if (created) await admin.unsafe(`drop database if exists "${databaseName}" with (force)`).catch((error: unknown) => process.stderr.write(`bench:web-scale: could not drop ${databaseName}: ${String(error)}\n`));
    await admin.end({ timeout: 5 });
    rmSync(tempDir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await admin.unsafe(`create database "${databaseName}"`).catch((error: unknown) => {
      throw new Error(`cannot create a scratch database on ${url.host} (BENCH_POSTGRES_URL): ${error instanceof Error ? error.message : String(error)}`);
    });
    created = true;
    process.stdout.write(`bench:web-scale: scratch database ${databaseName}; seeding ${trades} trades and ${decisions} decisions…\n`);
    await seedJournal({ url: databaseUrl, trades, decisions, batch: 20_000, seed: 1, progress: false });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: undefined,
      AETHELRED_ROLE: 'web',
      AETHELRED_DATA_DIR: tempDir,
      AETHELRED_AUTH_SECRET: randomBytes(32).toString('hex'),
      AETHELRED_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      NEXT_TELEMETRY_DISABLED: '1',
      NEXT_MANUAL_SIG_HANDLE: 'true',
    };
    const token = await createViewerToken(env);

    await startWeb('web1', appDir, env, tempDir, webs);
    // A streamed page that fails while rendering still answers 200, so check the table is there once.
    const page = await fetch(`${webs[0].url}/journal`, { headers: { authorization: `Bearer ${token}`, accept: 'text/html' } });
    const html = await page.text();
    if (!page.ok || !html.includes('data-testid="trades-table"')) throw new Error(`/journal answered ${page.status} without the trades table; see ${webs[0].logFile}:\n${tail(webs[0].logFile)}`);

    process.stdout.write(`bench:web-scale: /journal closed-loop, ${connections} connections, ${duration} s after ${warmup} s warm-up\n`);
    const one = await measure(webs, token, connections, duration, warmup);
    process.stdout.write(`  1 web process:   ${fmt(one.requestsPerSecond, 1)} req/s, p95 ${fmt(one.p95Ms, 1)} ms\n`);
    await startWeb('web2', appDir, env, tempDir, webs);
    const two = await measure(webs, token, connections, duration, warmup);
    process.stdout.write(`  2 web processes: ${fmt(two.requestsPerSecond, 1)} req/s, p95 ${fmt(two.p95Ms, 1)} ms\n`);

    const best = Math.max(one.requestsPerSecond, two.requestsPerSecond);
    process.stdout.write(
      `journal page: 1 web process ${fmt(one.requestsPerSecond, 0)} req/s (p95 ${fmt(one.p95Ms, 0)} ms); 2 web processes ${fmt(two.requestsPerSecond, 0)} req/s (p95 ${fmt(two.p95Ms, 0)} ms); ratio ${fmt(two.requestsPerSecond / one.requestsPerSecond, 2)}\n` +
        `dashboard goal ${GOAL_PAGES_PER_SECOND} pages/s: ${best >= GOAL_PAGES_PER_SECOND ? 'met' : `not met (best ${fmt(best, 0)} pages/s)`}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:web-scale failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
