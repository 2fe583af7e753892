/**
 * The composition root: the only module that reads the environment, opens the database,
 * builds adapters and calls `createEngine`. It runs once per server process (and once per
 * CLI invocation). Route handlers, server actions, jobs and the CLI reach the engine only
 * through `getRoot()`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Database } from '@/db/client';
import { schemaVersion } from '@/db/migrate';
import { createInlineTrialRunner } from '@/engine/research/trial-runner';
import { createTrialWorkerPool } from './studies/trial-worker-pool';
import { isRunOwnerAlive } from './process-owner';
import { createEngine, type Engine, type EngineStartOptions } from '@/engine/engine';
import { VENUE_IDS, requireVenue, venueOf } from '@/engine/venues/registry';
import { createLiveSessionManager } from '@/engine/live/live-session-manager';
import type { VenueConnectResult } from '@/engine/ports/venue-link';
import { ModelKind } from '@/engine/ports/model-kind';
import { createJournalWriter } from '@/engine/journal/journal-writer';
import type { CcxtExchangeId } from '@/engine/execution/ccxt-exchange';
import { connectCcxtExchange, openCcxtOhlcvWatcher, openPublicCcxtSource } from '@/engine/venues/lazy-ccxt-venue';
import { createWatchingCandleFeed } from '@/engine/live/watching-candle-feed';
import { createLiveSessionRepository } from '@/db/repositories/live-session-repository';
import type { Clock } from '@/engine/core/clock';
import type { Logger } from '@/engine/core/logger';
import type { SettingsRepository } from '@/engine/ports/settings';
import { ValidationError } from '@/engine/core/errors';
import { loadConfig, roleRuns, type AppConfig, type ProcessRole } from './config';
import { buildTradingCore, MIGRATIONS_FOLDER, openRootStorage, type RootHooks } from './trading-core';
import { buildJobs, type InngestRoot } from './jobs';
import { createAuthKit, type AuthKit } from './auth/auth-kit';
import { createForwarding, type Forwarding } from './http/forwarding';
import { loadOrCreateSecret } from './auth/local-secrets';
import { checkSecretFingerprints } from './auth/secret-fingerprints';
import { createSecretBox, parseEncryptionKey } from './auth/secret-box';
import { jobQueueDepth } from './telemetry/job-queue-depth';
import { createPrometheusTelemetry, type PrometheusTelemetry } from './telemetry/prometheus-telemetry';
import { createNotificationService, type NotificationService } from './notify/notification-service';
import { importNotificationSettingsFile, NOTIFICATION_SETTINGS_FILE } from './notify/import-notification-settings-file';
import { createNotificationSettingsRepository } from '@/db/repositories/notification-settings-repository';
import { createEngineEvents } from '@/engine/telemetry/engine-events';
import { instrumentJobHandlers } from '@/engine/telemetry/instrument-job-handlers';
import { createControlListener } from '@/engine/control/control-listener';
import type { ControlAckStore, ControlBus } from '@/engine/ports/control-bus';
import packageJson from '../../package.json' with { type: 'json' };

/** What `/api/health` reports. */
export interface Health {
  status: 'ok' | 'degraded';
  /** AETHELRED_ROLE of this process: what it runs (see `workersOfRole`). */
  role: ProcessRole;
  /** What this process runs: jobs (worker, all), live sessions (trader, all). */
  runs: { jobs: boolean; sessions: boolean };
  /** A trader's (or `all`'s) session leases: its owner id, how many sessions it holds, the last renewal failure; null on web and worker. */
  leases: { owner: string; held: number; lastError: string | null } | null;
  /** Why the status is degraded (empty when ok). */
  reasons: string[];
  engine: string;
  database: { kind: 'pglite' | 'postgres'; reachable: boolean };
  /** The journal writers (engine and live sessions): failing while a write waits for a retry; rows the database refused for good. */
  journal: { failing: boolean; lastError: string | null; refusedRows: number; pending: number };
  schemaVersion: string | null;
  version: string;
}

/**
 * What `/api/health` tells an anonymous caller (load balancers, probes): the status and which component is
 * unhealthy, never the raw error text of a failing component (database messages name hosts, tables and
 * constraints). A signed-in admin gets {@link Health}; the operator finds the errors in the log.
 */
export interface PublicHealth extends Omit<Health, 'leases' | 'journal'> {
  /** Sessions held, and whether the last renewal or claim failed; null on web and worker. */
  leases: { held: number; failing: boolean } | null;
  journal: { failing: boolean; refusedRows: number; pending: number };
}

/** One readiness check of `/api/health/ready`: what was checked, whether it passed, and what was found. */
export interface ReadinessCheck {
  name: 'database' | 'migrations' | 'job-runner' | 'session-leases';
  ok: boolean;
  detail: string;
}

/** What `/api/health/ready` reports: ready once every check of this process's role passed. */
export interface Readiness {
  ready: boolean;
  role: ProcessRole;
  checks: ReadinessCheck[];
}

/** The built application: config, database, engine and their shared lifecycle. */
export interface Root {
  readonly config: AppConfig;
  readonly database: Database;
  readonly engine: Engine;
  readonly logger: pino.Logger;
  /** The Inngest serve handler and function ids; null when jobs run in-process (no Inngest configured). */
  readonly inngest: InngestRoot | null;
  /** The trusted-proxy rule (AETHELRED_TRUSTED_PROXIES): client address, scheme and the request's own origin. */
  readonly forwarding: Forwarding;
  /** Team access: better-auth, API tokens, audit log, webhooks, encrypted credentials. */
  readonly auth: AuthKit;
  /** Whether an admin has enabled real-venue trading per exchange (keys must also be stored). */
  readonly liveTrading: { isEnabled(exchange: string): Promise<boolean>; setEnabled(exchange: string, enabled: boolean, by: string): Promise<boolean> };
  /** Prometheus registry (one per root), the engine's metrics sink, HTTP latency. */
  readonly telemetry: PrometheusTelemetry;
  /** Notification channels, routing and the notifier worker. */
  readonly notifications: NotificationService;
  /** The control bus (LISTEN/NOTIFY on the database) and the acknowledgements of what this and other processes acted on. */
  readonly control: { bus: ControlBus; acks: ControlAckStore };
  /** Starts the engine and (unless `workers: false`, as one-shot CLI commands ask) its workers; idempotent. */
  start(options?: EngineStartOptions): Promise<void>;
  /** Flushes the journal, stops workers, closes the exchange and the database; idempotent. */
  stop(): Promise<void>;
  /** Health with the failing components' error texts (for admins and internal callers). */
  health(): Promise<Health>;
  /** The same health without any error text: what an anonymous `/api/health` caller gets. */
  publicHealth(): Promise<PublicHealth>;
  /**
   * Readiness of this process's role: every role, the database answers and its migrations are current; a
   * worker (or all), the job runner started; a trader (or all), its first session-lease round is done
   * and the last renewal or claim did not fail.
   */
  ready(): Promise<Readiness>;
}

/** Waits `ms`, or less when `signal` aborts (resolves either way). */
const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Public market data (no keys) from a ccxt venue, for live sessions' candle feeds: REST polling, or with
 * AETHELRED_CANDLE_FEED=websocket the venue's candle websocket with polling as its fallback.
 */
function createPublicMarketData(
  exchangeId: string,
  deps: { logger: Logger; clock: Clock; urls: Record<string, string> | undefined; candleFeed: 'poll' | 'websocket'; wsUrls: Record<string, string> | undefined },
) {
  if (!venueOf(exchangeId)) {
    throw new ValidationError('exchange', exchangeId, `live market data is available for ${VENUE_IDS.map((id) => `"${id}" (${venueOf(id)!.label})`).join(', ')}`);
  }
  const rest = openPublicCcxtSource(exchangeId, { clock: deps.clock, logger: deps.logger }, { urls: deps.urls, retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 } });
  if (deps.candleFeed === 'poll') return rest;
  const watcher = openCcxtOhlcvWatcher(exchangeId, { urls: deps.urls, wsUrls: deps.wsUrls });
  return createWatchingCandleFeed({}, { rest, watcher, clock: deps.clock, logger: deps.logger, sleep: abortableSleep });
}

/** A venue's public candle endpoint for downloads; fails fast (5 s) when the venue cannot be reached at all. */
function createPublicCandleSource(exchangeId: string, deps: { logger: Logger; clock: Clock; urls: Record<string, string> | undefined }) {
  requireVenue(exchangeId, 'exchange');
  return openPublicCcxtSource(exchangeId, { clock: deps.clock, logger: deps.logger }, { urls: deps.urls });
}

/** The settings key an admin sets to allow real-venue trading on an exchange. */
export const liveTradingKey = (exchangeId: string) => `live-trading:${exchangeId}`;

/**
 * A real venue for live sessions: only when an admin has stored API keys for the exchange AND
 * explicitly enabled live trading for it. Keys are decrypted here, handed to ccxt, never logged.
 */
async function realVenueFor(
  exchangeId: string,
  deps: { settings: SettingsRepository; credentials: AuthKit['credentials']; secretBox: AuthKit['secretBox']; logger: Logger; clock: Clock; urls: Record<string, string> | undefined },
): Promise<VenueConnectResult> {
  if (!venueOf(exchangeId)?.liveTrading) {
    return { ok: false, reason: `live trading is supported on ${VENUE_IDS.filter((id) => venueOf(id)!.liveTrading).map((id) => `"${id}"`).join(', ')}, not "${exchangeId}"` };
  }
  const enabled = await deps.settings.get(liveTradingKey(exchangeId));
  if (enabled?.value !== true) return { ok: false, reason: `live trading on "${exchangeId}" is not enabled; an admin enables it on the credentials page` };
  const ciphertext = await deps.credentials.getCiphertext(exchangeId);
  if (!ciphertext) return { ok: false, reason: `no API keys are stored for "${exchangeId}"; an admin adds them on the credentials page` };
  const keys = JSON.parse(deps.secretBox.decrypt(ciphertext)) as { apiKey: string; secret: string; password?: string };
  const venue = await connectCcxtExchange(
    { exchangeId: exchangeId as CcxtExchangeId, apiKey: keys.apiKey, secret: keys.secret, urls: deps.urls, marketType: requireVenue(exchangeId, 'exchangeId').marketType, retry: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 } },
    { clock: deps.clock, logger: deps.logger },
  );
  return {
    ok: true,
    exchange: venue,
    holdings: (symbols) => venue.reconcile([...symbols]),
    close: () => venue.close(),
  };
}

/**
 * The background workers a process of `role` runs: every role routes notifications, listens on the control
 * bus (started before the sessions, so a halt sent meanwhile is heard) and follows strategy files; only a trader (or `all`) resumes and claims live sessions; only a worker (or `all`) runs jobs and
 * their schedules. A `web` process enqueues jobs for a worker and stores sessions for a trader.
 */
export function workersOfRole<W>(role: ProcessRole, workers: { notifications: readonly W[]; control: readonly W[]; jobs: readonly W[]; sessions: readonly W[]; strategyFiles: readonly W[] }): W[] {
  const runs = roleRuns(role);
  return [...workers.notifications, ...workers.control, ...(runs.jobs ? workers.jobs : []), ...(runs.sessions ? workers.sessions : []), ...workers.strategyFiles];
}

/**
 * Lease owners built in this process (the composition root's memo): an owner on this host with this pid
 * that is not listed belongs to an earlier process that had the same pid, so it is gone; a listed one is
 * alive (a second root in one process, as tests and a development server's reload build). Never shrinks:
 * a closed root released its leases, and one it did not release expires.
 */
const leaseOwnersOfThisProcess = new Set<string>();

export type { RootHooks } from './trading-core';

/** Builds every component from a validated config. Opens the database and migrates it (or, for a trader or worker, refuses a schema that is behind: see prepareSchema). */
export async function buildRoot(config: AppConfig, hooks: RootHooks = {}): Promise<Root> {
  const storage = await openRootStorage(config, hooks);
  const { logger, database, clock, control, controlAcks, settings } = storage;
  // Secrets default to files under the data dir (mode 0600) so a fresh machine starts with no configuration.
  const authSecret = loadOrCreateSecret(config.authSecret, config.dataDir, 'auth-secret');
  const encryptionKey = loadOrCreateSecret(config.encryptionKey, config.dataDir, 'encryption-key');
  if (config.databaseUrl && (authSecret.source !== 'config' || encryptionKey.source !== 'config')) {
    logger.warn({}, 'AETHELRED_AUTH_SECRET / AETHELRED_ENCRYPTION_KEY are unset: using files under the data dir; set both when several servers share one database');
  }
  // A server whose secrets are not the ones the database was written with would answer 401 to every
  // cookie and fail to decrypt stored keys: it refuses to start instead, naming the variable.
  try {
    await checkSecretFingerprints(
      {
        auth: { ...authSecret, file: path.join(config.dataDir, 'auth-secret') },
        encryption: { ...encryptionKey, file: path.join(config.dataDir, 'encryption-key') },
      },
      { settings, nowMs: () => clock.nowMs() },
    );
  } catch (error) {
    await database.close();
    throw error;
  }
  const forwarding = createForwarding({ trustedProxies: config.trustedProxies, publicUrl: config.publicUrl });
  const auth = createAuthKit(
    { secret: authSecret.value, publicUrl: config.publicUrl },
    { db: database.db, logger, secretBox: createSecretBox(parseEncryptionKey(encryptionKey.value)), forwarding, nowMs: () => clock.nowMs() },
  );
  /** Keyed venue connections (venue accounts, live sessions): stored keys plus an admin's enablement. */
  const connectVenue = (venueId: string) => realVenueFor(venueId, { settings, credentials: auth.credentials, secretBox: auth.secretBox, logger, clock, urls: config.ccxtUrls });
  // Sessions are owned by lease: any number of traders (AETHELRED_ROLE trader or all) share the database; a
  // session whose trader died (a dead pid on this host) is taken over at once, otherwise when its lease ends. The
  // account book knows the owner too: an account whose lease is its own is traded here (a session still starting).
  const leaseOwner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  leaseOwnersOfThisProcess.add(leaseOwner);
  const { candles, journal, modelRepository, modelFiles, models, loopModels, liveJournal, accounts, exchange, strategies, strategyFiles, engineDeps, engineConfig } = await buildTradingCore(storage, config, {
    venues: connectVenue,
    leaseOwner,
  });
  // Metrics: one registry per root. Notifications: settings in the database, encrypted like credentials
  // (a settings file left by an older version under the data dir is imported once, then renamed).
  const telemetry = createPrometheusTelemetry({
    logger,
    jobQueueDepth: () => jobQueueDepth(engine),
    // Read at scrape time from the trader's lease state (the lease rounds update it); none on web and worker.
    sessionLeases: roleRuns(config.role).sessions ? () => live.leaseStatus() : undefined,
  });
  const notificationSettings = createNotificationSettingsRepository(database.db, { cipher: auth.secretBox, nowMs: () => clock.nowMs() });
  await importNotificationSettingsFile(path.join(config.dataDir, NOTIFICATION_SETTINGS_FILE), { repository: notificationSettings, logger }).catch((error: unknown) =>
    logger.error({ err: error }, 'importing the notification settings file failed; it is left in place'),
  );
  const notifications = await createNotificationService({
    store: notificationSettings,
    clock,
    logger,
    metrics: telemetry.sink,
  });
  const jobEvents = createEngineEvents({ metrics: telemetry.sink, notifier: notifications.notifier, logger });
  // Study trials fan out on worker threads (candles shared, strategies rebuilt per thread); one thread = inline.
  const trialPool = config.studyWorkers > 1 ? createTrialWorkerPool({ size: config.studyWorkers, root: config.appRoot }, { logger }) : null;
  const trialRunner = trialPool ?? createInlineTrialRunner({ catalog: () => strategies, logger });
  const jobs = buildJobs(config, {
    strategies,
    db: database.db,
    clock,
    logger,
    journal,
    exchange,
    newId: () => randomUUID(),
    runBacktest: (request, onProgress) => engine.runBacktest(request, onProgress),
    checkStrategy: (request, onProgress) => engine.checkStrategy(request, onProgress),
    runStudy: (studyId, ctx) => engine.runStudy(studyId, ctx),
    runStudySteps: (studyId, ctx) => engine.runStudySteps(studyId, ctx),
    training: { candles, journal, repository: modelRepository, store: modelFiles, registry: models, newId: () => randomUUID() },
    // Downloads read the venue's public API (no keys), like the CLI's download-candles.
    marketData: { candles, openCandleSource: (exchangeId) => createPublicCandleSource(exchangeId, { logger, clock, urls: config.ccxtUrls }) },
    // Both runners (in-process and Inngest) get the instrumented handlers: every job timed, failures reported.
    instrument: (handlers) => instrumentJobHandlers(handlers, { events: jobEvents, clock, notifier: notifications.notifier, journal }),
  });
  const live = createLiveSessionManager({
    clock,
    logger,
    runsSessions: roleRuns(config.role).sessions,
    lease: {
      owner: leaseOwner,
      leaseMs: config.sessionLeaseMs,
      renewEveryMs: Math.round(config.sessionLeaseMs / 5),
      haltMarginMs: Math.round(config.sessionLeaseMs / 5),
      every: (intervalMs, tick) => {
        const timer = setInterval(tick, intervalMs);
        timer.unref(); // the sessions keep a trader alive, not the lease rounds
        return () => clearInterval(timer);
      },
      // Lease deadlines in real elapsed time (monotonic), like the database's clock: a test's manual trading clock may jump.
      clock: { nowMs: () => performance.now() },
      isOwnerGone: (owner) => {
        // Another root of this very process (tests, a dev server's reload) is alive though it shares our pid.
        if (leaseOwnersOfThisProcess.has(owner)) return false;
        const [host, pid] = owner.split(':');
        return Number.isInteger(Number(pid)) && !isRunOwnerAlive({ host, pid: Number(pid) });
      },
    },
    // Each session's journal rows carry its fencing token: a former owner's rows are refused.
    journalFor: (fence) =>
      createJournalWriter(
        { batchSize: 100 },
        { repository: { ...journal, appendTrades: (rows) => journal.appendTrades(rows, fence), appendDecisions: (rows) => journal.appendDecisions(rows, fence) }, logger },
      ),
    store: createLiveSessionRepository(database.db),
    // One ccxt client per exchange while its sessions run; the manager closes it after the last one stops.
    feedFor: (exchangeId) => createPublicMarketData(exchangeId, { logger, clock, urls: config.ccxtUrls, candleFeed: config.candleFeed, wsUrls: config.ccxtWsUrls }),
    // Sessions store the closed candles they poll, so drift reports replay them without a download; replays read them.
    candles,
    accounts,
    // Real-venue trading needs stored keys and an admin's explicit enablement (see README "Live sessions").
    realVenueFor: connectVenue,
    journal: liveJournal,
    // Sessions resolve their run spec over the account's settings and the stored strategy settings.
    settings,
    // The veto model loaded now: sessions ask at every entry, so a new version reaches them at their next candle.
    veto: () => models.activeVetoModel(),
    // Deployed (stored as active) whether it loaded here or not: "on" passes entries while none is deployed.
    vetoDeployed: async () => (await modelRepository.active(ModelKind.IntentVeto)) !== null,
    pinnedVeto: (version) => models.pinnedVetoModel(version),
    loopModels,
    newId: () => randomUUID(),
    sleep: abortableSleep,
    random: Math.random,
    events: jobEvents,
    strategies,
    control,
  });
  // Rule strategies saved in another process reach this catalog on its `strategies-changed` message (and on every
  // reconnect); `engine` is built below, before the listener starts (engine.start).
  const controlListener = createControlListener({ bus: control, acks: controlAcks, clock, logger, accounts, sessions: live, models, strategies: { syncRules: () => engine.ruleStrategies.refresh() } });
  const liveWorker = { name: 'live-sessions', start: () => live.resumeAll().then(() => undefined), stop: () => live.stopAll() };
  const engine: Engine = createEngine(
    {
      ...engineDeps,
      jobs: jobs.queue,
      workers: workersOfRole(config.role, { notifications: [notifications.notifier, notifications.watcher], control: [controlListener], jobs: [...(trialPool ? [trialPool] : []), jobs.runner, jobs.scheduler], sessions: [liveWorker], strategyFiles: strategyFiles.workers }),
      live,
      metrics: telemetry.sink,
      notifier: notifications.notifier,
      trialRunner,
    },
    engineConfig,
  );

  /** Health, and the same reasons without the failing components' error texts (what anonymous callers see). */
  async function collectHealth(): Promise<{ health: Health; summaries: string[] }> {
    const reachable = await database.ping().catch(() => false);
    const version = reachable ? await schemaVersion(database, { migrationsFolder: MIGRATIONS_FOLDER }).catch(() => null) : null;
    const writers = [engine.journal.status(), liveJournal.status()];
    const journalHealth = {
      failing: writers.some((w) => w.failing),
      lastError: writers.find((w) => w.failing)?.lastError ?? null,
      refusedRows: writers.reduce((sum, w) => sum + w.refusedRows, 0),
      pending: writers.reduce((sum, w) => sum + w.pending, 0),
    };
    const leases = roleRuns(config.role).sessions ? live.leaseStatus() : null;
    // Each problem: the component's summary, and the error text an admin also gets.
    const problems: { summary: string; error: string | null }[] = [
      ...(engine.state() === 'running' ? [] : [{ summary: `the engine is ${engine.state()}`, error: null }]),
      ...(reachable ? [] : [{ summary: `the ${database.kind === 'pglite' ? 'embedded' : 'PostgreSQL'} database does not answer`, error: null }]),
      ...(journalHealth.failing ? [{ summary: `journal writes are failing (${journalHealth.pending} rows wait for a retry)`, error: String(journalHealth.lastError) }] : []),
      ...(leases?.lastError ? [{ summary: 'session leases cannot be renewed or claimed', error: leases.lastError }] : []),
    ];
    const health: Health = {
      status: problems.length === 0 ? 'ok' : 'degraded',
      role: config.role,
      runs: roleRuns(config.role),
      leases: leases && { owner: leases.owner, held: leases.held.length, lastError: leases.lastError },
      reasons: problems.map((p) => (p.error === null ? p.summary : `${p.summary}: ${p.error}`)),
      engine: engine.state(),
      database: { kind: database.kind, reachable },
      journal: journalHealth,
      schemaVersion: version?.tag ?? null,
      version: packageJson.version,
    };
    return { health, summaries: problems.map((p) => p.summary) };
  }

  let stopped: Promise<void> | null = null;
  return {
    config,
    database,
    engine,
    logger,
    // Only a process that runs jobs serves /api/inngest; the others enqueue through the Inngest client.
    inngest: roleRuns(config.role).jobs ? jobs.inngest : null,
    forwarding,
    auth,
    liveTrading: {
      isEnabled: async (exchangeId) => (await settings.get(liveTradingKey(exchangeId)))?.value === true,
      async setEnabled(exchangeId, enabled, by) {
        const before = (await settings.get(liveTradingKey(exchangeId)))?.value === true;
        await settings.put({ key: liveTradingKey(exchangeId), value: enabled, updatedAtMs: clock.nowMs(), updatedBy: by });
        return before;
      },
    },
    telemetry,
    notifications,
    control: { bus: control, acks: controlAcks },
    start: (options) => engine.start(options),
    stop() {
      stopped ??= (async () => {
        try {
          await engine.stop();
        } finally {
          // Also when the engine's workers never started (one-shot CLI commands that ran a study).
          await trialPool?.stop();
          await models.close();
          await database.close();
        }
      })();
      return stopped;
    },
    async ready() {
      const reachable = await database.ping().catch(() => false);
      const checks: ReadinessCheck[] = [{ name: 'database', ok: reachable, detail: reachable ? `the ${database.kind} database answers` : `the ${database.kind} database does not answer` }];
      if (reachable) {
        const version = await schemaVersion(database, { migrationsFolder: MIGRATIONS_FOLDER }).catch((error: unknown) => error as Error);
        checks.push(
          version instanceof Error
            ? { name: 'migrations', ok: false, detail: version.message }
            : { name: 'migrations', ok: version.count >= version.available, detail: `${version.count} of ${version.available} migrations applied (last: ${version.tag ?? 'none'})` },
        );
      } else {
        checks.push({ name: 'migrations', ok: false, detail: 'not checked: the database does not answer' });
      }
      const runs = roleRuns(config.role);
      if (runs.jobs) {
        const started = engine.startedWorkers().includes(jobs.runner.name);
        checks.push({ name: 'job-runner', ok: started, detail: started ? `${jobs.runner.name} started` : `${jobs.runner.name} has not started (engine ${engine.state()})` });
      }
      if (runs.sessions) {
        const leases = live.leaseStatus();
        const ok = leases !== null && leases.lastRoundAtMs !== null && leases.lastError === null;
        const detail =
          leases === null || leases.lastRoundAtMs === null
            ? 'the first session-lease round has not finished'
            : leases.lastError !== null
              ? `session leases cannot be renewed or claimed: ${leases.lastError}`
              : `session-lease rounds running as ${leases.owner}, ${leases.held.length} session(s) held`;
        checks.push({ name: 'session-leases', ok, detail });
      }
      return { ready: checks.every((c) => c.ok), role: config.role, checks };
    },
    async health() {
      return (await collectHealth()).health;
    },
    async publicHealth() {
      const { health, summaries } = await collectHealth();
      const { leases, journal, ...rest } = health;
      return {
        ...rest,
        reasons: summaries,
        leases: leases && { held: leases.held, failing: leases.lastError !== null },
        journal: { failing: journal.failing, refusedRows: journal.refusedRows, pending: journal.pending },
      };
    },
  };
}

/** Memoises one root: `get` builds and starts it once, however often and concurrently it is called. */
export interface RootHolder {
  get(): Promise<Root>;
  /** Stops the root if it was built; safe to call any number of times. */
  dispose(): Promise<void>;
}

/** Creates a holder around a builder. Exported for tests; production uses `getRoot`. */
export function createRootHolder(build: () => Promise<Root>): RootHolder {
  let building: Promise<Root> | null = null;
  let disposed: Promise<void> | null = null;
  return {
    get() {
      if (disposed) return Promise.reject(new Error('the application is shutting down'));
      building ??= build().then(async (root) => {
        await root.start();
        return root;
      });
      building.catch(() => {
        building = null; // a failed start may be retried (e.g. the database came up later)
      });
      return building;
    },
    dispose() {
      disposed ??= (async () => {
        if (!building) return;
        const root = await building.catch(() => null);
        if (root) await root.stop();
      })();
      return disposed;
    },
  };
}

const HOLDER_KEY = Symbol.for('aethelred.composition-root');
type GlobalWithRoot = typeof globalThis & { [HOLDER_KEY]?: RootHolder };

/** How long a signal waits for the engine to stop (flush the journal, stop workers, close the database), ms. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * The process-wide root. Kept on `globalThis` because Next.js may evaluate this module in
 * more than one bundle (instrumentation and route handlers); this is the one memo.
 * Installs SIGTERM/SIGINT handlers that stop the engine cleanly before the process exits
 * (`next start` must run with NEXT_MANUAL_SIG_HANDLE=true, or Next.js exits first).
 */
export function getRoot(): Promise<Root> {
  const g = globalThis as GlobalWithRoot;
  if (!g[HOLDER_KEY]) {
    const holder = createRootHolder(() => buildRoot(loadConfig(process.env, process.cwd())));
    g[HOLDER_KEY] = holder;
    const onSignal = (signal: NodeJS.Signals) => {
      const timeout = setTimeout(() => {
        console.error(`aethelred: stopping on ${signal} took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS);
      timeout.unref();
      holder
        .dispose()
        .then(() => process.exit(0))
        .catch((error) => {
          console.error(`aethelred: error while stopping on ${signal}:`, error);
          process.exit(1);
        });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return g[HOLDER_KEY].get();
}

/**
 * Start-up for the server (instrumentation): builds and starts the root; when that fails, logs the
 * reason and exits with status 1 so a supervisor (a container runtime, systemd) restarts it, instead of a
 * process that stays up answering 500 (Next.js would fail every request with the cached start-up error).
 */
export async function startServerOrExit(): Promise<void> {
  try {
    await getRoot();
  } catch (error) {
    console.error(`aethelred: start-up failed, exiting: ${error instanceof Error ? error.message : String(error)}`, error);
    process.exit(1);
  }
}
