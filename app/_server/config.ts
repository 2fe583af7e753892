import path from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ValidationError } from '@/engine/core/errors';
import { resolveJobSchedules } from '@/engine/jobs/job-schedules';
import { MAX_SESSION_LEASE_MS } from '@/engine/ports/live-sessions';
import { parseTrustedProxies } from './http/forwarding';

/**
 * Every environment variable the product reads, with its default and meaning.
 * Only the composition root calls `loadConfig`; nothing else reads `process.env`.
 * Keep README "Configuration" in step with this table.
 */
const envSchema = z.object({
  AETHELRED_ROLE: z
    .enum(['all', 'web', 'trader', 'worker'], { message: 'expected one of all, web, trader, worker' })
    .default('all')
    .describe('What this process does: all (one process), web (UI and API), trader (owns live sessions), worker (runs jobs)'),
  AETHELRED_SESSION_LEASE_MS: z.coerce
    .number()
    .int('expected a whole number of milliseconds')
    .min(1_000, 'expected at least 1000 ms')
    .max(MAX_SESSION_LEASE_MS, `expected at most ${MAX_SESSION_LEASE_MS} ms`)
    .default(15_000)
    .describe('How long a trader holds a live session without renewing; renewed every fifth of it'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL URL; unset = embedded PGlite under AETHELRED_DATA_DIR'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier')
    .optional()
    .describe('Postgres schema (search_path) to use; default public'),
  AETHELRED_DATA_DIR: z.string().min(1).default('.data').describe('Directory for the embedded database and models'),
  AETHELRED_STRATEGIES_DIR: z.string().min(1).default('strategies').describe('Folder of strategy files (*.ts, *.js, *.mjs), relative to the working directory'),
  NODE_ENV: z.string().optional().describe('development = strategy files hot-reload when they change'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AETHELRED_INITIAL_BALANCE: z.coerce.number().positive('expected a positive number').default(10_000),
  AETHELRED_MARKET_TYPE: z.enum(['spot', 'futures']).default('spot'),
  AETHELRED_JOURNAL_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  AETHELRED_STUDY_WORKERS: z.coerce.number().int().min(1).max(256).optional().describe('Threads that run study trials; unset = the cores available (os.availableParallelism()); 1 = in the server thread'),
  INNGEST_EVENT_KEY: z.string().min(1).optional().describe('Inngest event key; set (or INNGEST_BASE_URL / INNGEST_DEV) = jobs run on Inngest'),
  INNGEST_SIGNING_KEY: z
    .string()
    .regex(/^(signkey-[a-z]+-)?([0-9a-f]{2})+$/i, 'expected a hex key, optionally prefixed "signkey-<env>-"')
    .optional()
    .describe('Verifies requests from the Inngest server; required unless INNGEST_DEV'),
  INNGEST_BASE_URL: z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL such as http://127.0.0.1:8288').optional().describe('Self-hosted Inngest server URL'),
  INNGEST_DEV: z
    .string()
    .regex(/^(1|0|true|false|https?:\/\/\S+)$/, 'expected 1, 0, true, false or the dev server URL')
    .optional()
    .describe('Inngest dev mode (no request signing); a URL also sets the server'),
  AETHELRED_INNGEST_SERVE_ORIGIN: z
    .string()
    .regex(/^https?:\/\/[^/]+$/, 'expected an origin like http://worker:3000 (no path)')
    .optional()
    .describe('Origin the Inngest server reaches this process\'s /api/inngest at (registered on sync instead of the request\'s Host); unset = AETHELRED_PUBLIC_URL for AETHELRED_ROLE=all'),
  AETHELRED_AUTH_SECRET: z
    .string()
    .min(32, 'expected at least 32 characters')
    .optional()
    .describe('Signs session cookies; unset = generated once into ${AETHELRED_DATA_DIR}/auth-secret'),
  AETHELRED_ENCRYPTION_KEY: z
    .string()
    .refine((v) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(v.trim()) && Buffer.from(v.trim(), 'base64').length === 32, 'expected 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional()
    .describe('AES-256-GCM key for stored secrets; unset = generated once into ${AETHELRED_DATA_DIR}/encryption-key'),
  AETHELRED_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/]+$/, 'expected an origin like https://trade.example.com (no path)')
    .optional()
    .describe('Public origin; when https, session cookies are always Secure'),
  AETHELRED_TRUSTED_PROXIES: z
    .string()
    .transform((value, ctx) => {
      const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
      try {
        parseTrustedProxies(entries);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${(error as Error).message}; expected a comma-separated list of IP addresses or CIDR ranges` });
        return z.NEVER;
      }
      return entries;
    })
    .optional()
    .describe('Proxies whose X-Forwarded-For/-Proto/-Host are believed; unset = none (the socket address counts)'),
  AETHELRED_CANDLE_FEED: z
    .enum(['poll', 'websocket'], { message: 'expected poll or websocket' })
    .default('poll')
    .describe('How live sessions get candles: poll (REST) or websocket (ccxt pro watchOHLCV, polling while the socket is down)'),
  AETHELRED_CCXT_WS_URLS: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object like {"spot":"ws://127.0.0.1:9001/ws","future":"ws://127.0.0.1:9001/ws"}' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*$/, 'expected ccxt urls.api.ws paths such as "spot", "future" or "public.linear"'),
        z.string().regex(/^wss?:\/\/\S+$/, 'expected a ws(s) URL for each key'),
      ),
    )
    .optional()
    .describe('ccxt urls.api.ws overrides for websocket candles (AETHELRED_CANDLE_FEED=websocket)'),
  AETHELRED_CCXT_URLS: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object like {"public":"http://127.0.0.1:9000/api/v3","fapiPublic":"http://127.0.0.1:9000/fapi/v1"}' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected ccxt urls.api keys such as "public" or "fapiPrivateV3"'),
        z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL for each key'),
      ),
    )
    .optional()
    .describe('Overrides of ccxt urls.api entries: route ccxt to a proxy or a replay server'),
  AETHELRED_JOB_SCHEDULES: z
    .string()
    .transform((value, ctx) => {
      let overrides: unknown;
      try {
        overrides = JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object like {"rollover":"30 1 * * *","daily-snapshot":"off"}' });
        return z.NEVER;
      }
      if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides) || Object.values(overrides).some((v) => typeof v !== 'string')) {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object of job kind -> 5-field UTC cron expression or "off"' });
        return z.NEVER;
      }
      try {
        resolveJobSchedules(overrides as Record<string, string>, undefined, 'AETHELRED_JOB_SCHEDULES');
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
      return overrides as Record<string, string>;
    })
    .optional()
    .describe('Moves (5-field cron, UTC) or switches off ("off") the schedules of daily-snapshot and rollover'),
});

/**
 * What one process does, so that any number of each can share one PostgreSQL database:
 * `all` everything (one process, the default); `web` the UI and API only (jobs are enqueued, sessions are
 * stored for a trader to claim); `trader` owns live sessions by lease; `worker` runs jobs (and serves
 * `/api/inngest` in Inngest mode).
 */
export const ProcessRole = { All: 'all', Web: 'web', Trader: 'trader', Worker: 'worker' } as const;
export type ProcessRole = (typeof ProcessRole)[keyof typeof ProcessRole];

/** What a process of `role` runs: jobs (worker, all) and live sessions (trader, all). */
export function roleRuns(role: ProcessRole): { jobs: boolean; sessions: boolean } {
  return { jobs: role === ProcessRole.All || role === ProcessRole.Worker, sessions: role === ProcessRole.All || role === ProcessRole.Trader };
}

export type AppConfig = {
  /** AETHELRED_ROLE: what this process builds and runs. */
  role: ProcessRole;
  /** AETHELRED_SESSION_LEASE_MS: a trader's lease on a live session, ms (renewed every fifth; a session stops here a fifth before it ends unrenewed). */
  sessionLeaseMs: number;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  dataDir: string;
  /** Absolute path of the strategy files folder (AETHELRED_STRATEGIES_DIR, default `<cwd>/strategies`). */
  strategiesDir: string;
  /** Watch the strategies folder and reload changed files (NODE_ENV=development). */
  watchStrategies: boolean;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  initialBalance: number;
  marketType: 'spot' | 'futures';
  journalBatchSize: number;
  /** Threads that run study trials (AETHELRED_STUDY_WORKERS, default the available cores); 1 = inline in the server thread. */
  studyWorkers: number;
  /** The working directory the server started in: the repository root, where the study trial threads load the engine from. */
  appRoot: string;
  /** Inngest runner settings; null = jobs run in-process (the default). Keys: never log. */
  inngest: {
    eventKey: string | undefined;
    signingKey: string | undefined;
    baseUrl: string | undefined;
    isDev: boolean;
    /**
     * The origin `/api/inngest` is registered at when Inngest syncs (never the request's Host, which a
     * caller chooses). Undefined only in dev mode or in a process that does not serve `/api/inngest`.
     */
    serveOrigin: string | undefined;
  } | null;
  /** Session-signing secret; undefined = read or create `${dataDir}/auth-secret`. Never log. */
  authSecret: string | undefined;
  /** Base64 AES-256 key; undefined = read or create `${dataDir}/encryption-key`. Never log. */
  encryptionKey: string | undefined;
  publicUrl: string | undefined;
  /** Addresses/CIDR ranges of the reverse proxies in front; only their forwarding headers are believed. Empty = none. */
  trustedProxies: readonly string[];
  /** ccxt `urls.api` overrides for every venue client (public feeds and keyed venues); undefined = the venues' own URLs. */
  ccxtUrls: Record<string, string> | undefined;
  /** AETHELRED_CANDLE_FEED: live sessions' candles by REST polling, or by websocket with polling as the fallback. */
  candleFeed: 'poll' | 'websocket';
  /** AETHELRED_CCXT_WS_URLS: ccxt `urls.api.ws` overrides by dot path; undefined = the venues' own sockets. */
  ccxtWsUrls: Record<string, string> | undefined;
  /** Schedule overrides by job kind: a 5-field UTC cron expression or "off"; {} = the definitions' defaults. */
  jobSchedules: Record<string, string>;
};

/** Thrown when the environment is invalid; the message names each bad variable and what it expects. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = /SECRET|KEY/.test(name) ? '(redacted)' : JSON.stringify(cleaned[name]);
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.AETHELRED_ROLE !== ProcessRole.All && e.DATABASE_URL === undefined) {
    throw new ConfigError(`invalid configuration:\n  AETHELRED_ROLE=${JSON.stringify(e.AETHELRED_ROLE)}: a ${e.AETHELRED_ROLE} process shares one PostgreSQL database with the other roles; set DATABASE_URL (the embedded database serves one process: use AETHELRED_ROLE=all)`);
  }
  return {
    role: e.AETHELRED_ROLE,
    sessionLeaseMs: e.AETHELRED_SESSION_LEASE_MS,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    dataDir: path.resolve(cwd, e.AETHELRED_DATA_DIR),
    strategiesDir: path.resolve(cwd, e.AETHELRED_STRATEGIES_DIR),
    watchStrategies: e.NODE_ENV === 'development',
    logLevel: e.LOG_LEVEL,
    initialBalance: e.AETHELRED_INITIAL_BALANCE,
    marketType: e.AETHELRED_MARKET_TYPE,
    journalBatchSize: e.AETHELRED_JOURNAL_BATCH_SIZE,
    studyWorkers: e.AETHELRED_STUDY_WORKERS ?? availableParallelism(),
    appRoot: path.resolve(cwd),
    inngest: inngestConfigOf(e),
    authSecret: e.AETHELRED_AUTH_SECRET,
    encryptionKey: e.AETHELRED_ENCRYPTION_KEY,
    publicUrl: e.AETHELRED_PUBLIC_URL,
    trustedProxies: e.AETHELRED_TRUSTED_PROXIES ?? [],
    ccxtUrls: e.AETHELRED_CCXT_URLS,
    candleFeed: e.AETHELRED_CANDLE_FEED,
    ccxtWsUrls: e.AETHELRED_CCXT_WS_URLS,
    jobSchedules: e.AETHELRED_JOB_SCHEDULES ?? {},
  };
}

/** Inngest mode when INNGEST_EVENT_KEY, INNGEST_BASE_URL or a truthy INNGEST_DEV is set. */
function inngestConfigOf(e: z.infer<typeof envSchema>): AppConfig['inngest'] {
  const devUrl = e.INNGEST_DEV !== undefined && /^https?:/.test(e.INNGEST_DEV) ? e.INNGEST_DEV : undefined;
  const isDev = e.INNGEST_DEV === '1' || e.INNGEST_DEV === 'true' || devUrl !== undefined;
  if (e.INNGEST_EVENT_KEY === undefined && e.INNGEST_BASE_URL === undefined && !isDev) return null;
  if (!isDev && e.INNGEST_SIGNING_KEY === undefined) {
    throw new ConfigError('invalid configuration:\n  INNGEST_SIGNING_KEY=(unset): required when Inngest runs the jobs (INNGEST_EVENT_KEY or INNGEST_BASE_URL is set) outside dev mode (INNGEST_DEV)');
  }
  // A single process is reached at its public origin; a worker behind a split deployment is not (compose: http://worker:3000).
  const serveOrigin = e.AETHELRED_INNGEST_SERVE_ORIGIN ?? (e.AETHELRED_ROLE === ProcessRole.All ? e.AETHELRED_PUBLIC_URL : undefined);
  if (!isDev && serveOrigin === undefined && roleRuns(e.AETHELRED_ROLE).jobs) {
    throw new ConfigError(
      `invalid configuration:\n  AETHELRED_INNGEST_SERVE_ORIGIN=(unset): required when a${e.AETHELRED_ROLE === ProcessRole.All ? 'n all' : ' worker'} process serves /api/inngest outside dev mode (INNGEST_DEV): the origin the Inngest server reaches it at, e.g. http://worker:3000${e.AETHELRED_ROLE === ProcessRole.All ? ' (or set AETHELRED_PUBLIC_URL)' : ''}; without it a sync would register whatever Host the request named`,
    );
  }
  return { eventKey: e.INNGEST_EVENT_KEY, signingKey: e.INNGEST_SIGNING_KEY, baseUrl: e.INNGEST_BASE_URL ?? devUrl, isDev, serveOrigin };
}
