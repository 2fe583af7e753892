/**
 * Drizzle schema for Aethelred. Tables carry no schema qualifier: the connection's
 * `search_path` decides where they live, so tests can isolate runs in their own schema.
 *
 * Conventions: times are Unix epoch milliseconds in `bigint` columns (mode `number`),
 * money and quantities are `numeric` (exact in Postgres, strings on the wire).
 */
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { StoredBacktestRunMetrics } from '../engine/ports/backtest-runs';

const ms = (name: string) => bigint(name, { mode: 'number' });

/** OHLCV candles; one row per (exchange, symbol, timeframe, open time). Partitioned by month on open_time_ms (migration 0018). */
export const candles = pgTable(
  'candles',
  {
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe').notNull(),
    openTimeMs: ms('open_time_ms').notNull(),
    open: numeric('open').notNull(),
    high: numeric('high').notNull(),
    low: numeric('low').notNull(),
    close: numeric('close').notNull(),
    volume: numeric('volume').notNull(),
  },
  (t) => [
    primaryKey({ name: 'candles_pk', columns: [t.exchange, t.symbol, t.timeframe, t.openTimeMs] }),
    // Last line of defence for the OHLCV invariants the CSV parser already checks.
    check(
      'candles_ohlcv_check',
      sql`${t.low} <= least(${t.open}, ${t.close}) and ${t.high} >= greatest(${t.open}, ${t.close}) and ${t.volume} >= 0`,
    ),
  ],
);

/** Closed round-trip trades (the trade journal). */
export const trades = pgTable(
  'trades',
  {
    id: text('id').primaryKey(),
    runId: text('run_id'),
    /** The account whose session traded it; null on a backtest's trades (migration 0023). */
    accountId: text('account_id'),
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    strategy: text('strategy').notNull(),
    side: text('side').notNull(),
    amount: numeric('amount').notNull(),
    entryPrice: numeric('entry_price').notNull(),
    exitPrice: numeric('exit_price').notNull(),
    realizedPnl: numeric('realized_pnl').notNull(),
    fees: numeric('fees').notNull(),
    funding: numeric('funding').notNull(),
    entryTimeMs: ms('entry_time_ms').notNull(),
    exitTimeMs: ms('exit_time_ms').notNull(),
    exitReason: text('exit_reason').notNull(),
    /** |entry − initial stop| × amount, quote currency; null when no stop was recorded. */
    initialRisk: numeric('initial_risk'),
  },
  (t) => [
    index('trades_symbol_exit_idx').on(t.symbol, t.exitTimeMs, t.id),
    index('trades_strategy_exit_idx').on(t.strategy, t.exitTimeMs, t.id),
    index('trades_run_exit_idx').on(t.runId, t.exitTimeMs, t.id),
    index('trades_exit_idx').on(t.exitTimeMs, t.id),
    index('trades_account_exit_idx').on(t.accountId, t.exitTimeMs, t.id),
    // The journal's "sort by PnL" keyset pages.
    index('trades_pnl_idx').on(t.realizedPnl, t.id),
    // The same sort by net PnL, the expression the journal sorts by (TRADE_NET_PNL, migration 0022).
    index('trades_net_pnl_idx').on(sql`(${t.realizedPnl}::float8 - ${t.fees}::float8 - ${t.funding}::float8)`, t.id),
  ],
);

/** A version counter per journal table, bumped by a trigger on every statement that writes it (migration 0022); caches key on it. */
export const journalVersions = pgTable('journal_versions', {
  name: text('name').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

/** Every decision the loop made, including no-trade, vetoed and denied ones. */
export const decisionLog = pgTable(
  'decision_log',
  {
    id: text('id').notNull(),
    runId: text('run_id'),
    /** The account whose session decided it; null on a backtest's decisions (migration 0023). */
    accountId: text('account_id'),
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe').notNull(),
    strategy: text('strategy').notNull(),
    timeMs: ms('time_ms').notNull(),
    outcome: text('outcome').notNull(),
    side: text('side').notNull(),
    strength: doublePrecision('strength').notNull(),
    reason: text('reason').notNull(),
    inputs: jsonb('inputs').$type<Record<string, unknown>>().notNull(),
  },
  // Partitioned by month on time_ms (migration 0018): the key must include it.
  (t) => [
    primaryKey({ name: 'decision_log_pkey', columns: [t.id, t.timeMs] }),
    index('decision_log_symbol_time_idx').on(t.symbol, t.timeMs, t.id),
    index('decision_log_strategy_time_idx').on(t.strategy, t.timeMs, t.id),
    index('decision_log_run_time_idx').on(t.runId, t.timeMs, t.id),
    index('decision_log_time_idx').on(t.timeMs, t.id),
    index('decision_log_account_time_idx').on(t.accountId, t.timeMs, t.id),
  ],
);

/** Point-in-time account snapshots (equity curve of the live/paper account). */
export const snapshots = pgTable(
  'snapshots',
  {
    id: text('id').primaryKey(),
    takenAtMs: ms('taken_at_ms').notNull(),
    kind: text('kind').notNull(),
    equity: numeric('equity').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('snapshots_kind_taken_idx').on(t.kind, t.takenAtMs)],
);

/** Persisted risk state per account: a halt survives restarts. */
export const riskState = pgTable('risk_state', {
  accountId: text('account_id').primaryKey(),
  halted: boolean('halted').notNull(),
  haltReason: text('halt_reason'),
  haltedAtMs: ms('halted_at_ms'),
  dayStartEquity: numeric('day_start_equity').notNull(),
  dayStartMs: ms('day_start_ms').notNull(),
  peakEquity: numeric('peak_equity').notNull(),
  updatedAtMs: ms('updated_at_ms').notNull(),
  /** Starts at 1; a trigger adds 1 whenever an update changes the halt fields. A session's save is a compare-and-set on it. */
  haltVersion: integer('halt_version').notNull().default(1),
});

/** Orders sent to an exchange (paper or live), keyed by our id and the idempotent client order id. */
export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    clientOrderId: text('client_order_id').notNull().unique('orders_client_order_id_unique'),
    runId: text('run_id'),
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side').notNull(),
    type: text('type').notNull(),
    status: text('status').notNull(),
    amount: numeric('amount').notNull(),
    filled: numeric('filled').notNull(),
    price: numeric('price'),
    stopPrice: numeric('stop_price'),
    averagePrice: numeric('average_price'),
    fee: numeric('fee').notNull(),
    reduceOnly: boolean('reduce_only').notNull(),
    reason: text('reason'),
    createdAtMs: ms('created_at_ms').notNull(),
    updatedAtMs: ms('updated_at_ms').notNull(),
  },
  (t) => [index('orders_status_created_idx').on(t.status, t.createdAtMs)],
);

/** Open positions, one per (exchange, symbol). */
export const positions = pgTable(
  'positions',
  {
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side').notNull(),
    amount: numeric('amount').notNull(),
    entryPrice: numeric('entry_price').notNull(),
    leverage: numeric('leverage').notNull(),
    marginMode: text('margin_mode').notNull(),
    margin: numeric('margin').notNull(),
    realizedPnl: numeric('realized_pnl').notNull(),
    fees: numeric('fees').notNull(),
    funding: numeric('funding').notNull(),
    openedAtMs: ms('opened_at_ms').notNull(),
    updatedAtMs: ms('updated_at_ms').notNull(),
  },
  (t) => [primaryKey({ name: 'positions_pk', columns: [t.exchange, t.symbol] })],
);

/** Job tickets: the JobQueue port's status table. */
export const tickets = pgTable(
  'tickets',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    progress: doublePrecision('progress').notNull().default(0),
    progressMessage: text('progress_message'),
    result: jsonb('result').$type<unknown>(),
    error: text('error'),
    createdAtMs: ms('created_at_ms').notNull(),
    startedAtMs: ms('started_at_ms'),
    finishedAtMs: ms('finished_at_ms'),
    /** Attempts allowed before the ticket fails for good. */
    maxAttempts: integer('max_attempts').notNull().default(3),
    /** Earliest time a queued (or retrying) ticket may run: backoff after a retryable failure. */
    runAfterMs: ms('run_after_ms'),
    /** Which runner owns it: 'in-process' or 'inngest'. */
    runner: text('runner').notNull().default('in-process'),
    /** Set when a user asks to cancel; the running body sees it at its next progress report. */
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    updatedAtMs: ms('updated_at_ms'),
    /** Set for scheduled occurrences (`<kind>@<scheduled ISO time>`): unique, so no occurrence is enqueued twice. */
    dedupeKey: text('dedupe_key'),
  },
  (t) => [
    index('tickets_status_created_idx').on(t.status, t.createdAtMs),
    index('tickets_kind_created_idx').on(t.kind, t.createdAtMs),
    uniqueIndex('tickets_dedupe_key_idx').on(t.dedupeKey),
  ],
);

/** bytea as a Uint8Array (postgres.js returns a Buffer, PGlite a Uint8Array; both are Uint8Arrays). */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

/** The bytes of each model version's .onnx file (migration 0019), shared by every server on the database. */
export const modelFiles = pgTable(
  'model_files',
  {
    kind: text('kind').notNull(),
    version: integer('version').notNull(),
    /** sha256 (hex) of `bytes` when written. */
    sha256: text('sha256').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    bytes: bytea('bytes').notNull(),
    createdAtMs: ms('created_at_ms').notNull(),
  },
  (t) => [primaryKey({ name: 'model_files_kind_version_pk', columns: [t.kind, t.version] })],
);

/** Trained model versions (their file bytes are in `model_files`); at most one active per kind. */
export const models = pgTable(
  'models',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    version: integer('version').notNull(),
    /** The .onnx file's name in the model file store (`<kind>/v<n>.onnx`; its bytes are the `model_files` row of this kind and version). */
    file: text('file').notNull(),
    sha256: text('sha256').notNull(),
    featureNames: jsonb('feature_names').$type<string[]>().notNull(),
    trainingFromMs: ms('training_from_ms').notNull(),
    trainingToMs: ms('training_to_ms').notNull(),
    /** Validation metrics: AUC and log loss for classifiers, MAE for regressors. */
    metrics: jsonb('metrics').$type<Record<string, number>>().notNull(),
    /** Training parameters and data description. */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    ticketId: text('ticket_id'),
    active: boolean('active').notNull().default(false),
    createdAtMs: ms('created_at_ms').notNull(),
    activatedAtMs: ms('activated_at_ms'),
  },
  (t) => [
    uniqueIndex('models_kind_version_uq').on(t.kind, t.version),
    uniqueIndex('models_one_active_per_kind_uq').on(t.kind).where(sql`${t.active}`),
  ],
);

/** Backtest runs: config, status and summary results (trades/decisions live in the journal by run id). */
export const backtestRuns = pgTable(
  'backtest_runs',
  {
    id: text('id').primaryKey(),
    status: text('status').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    configHash: text('config_hash').notNull(),
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe').notNull(),
    fromMs: ms('from_ms').notNull(),
    toMs: ms('to_ms').notNull(),
    metrics: jsonb('metrics').$type<StoredBacktestRunMetrics>(),
    equity: jsonb('equity').$type<unknown>(),
    tradeCount: integer('trade_count'),
    decisionCount: integer('decision_count'),
    error: text('error'),
    startedAtMs: ms('started_at_ms').notNull(),
    finishedAtMs: ms('finished_at_ms'),
    /** The process running it (host name and pid), so a start elsewhere never fails a run that is still alive. */
    ownerHost: text('owner_host'),
    ownerPid: integer('owner_pid'),
  },
  (t) => [
    index('backtest_runs_started_idx').on(t.startedAtMs, t.id),
    index('backtest_runs_status_idx').on(t.status),
  ],
);

// ---------------------------------------------------------------------------------------------
// Team access (issue 6). The four better-auth tables keep better-auth's field names as the
// drizzle property keys (its drizzle adapter looks columns up by them) and use `timestamptz`
// columns because better-auth reads and writes Date objects; every other table keeps the
// epoch-milliseconds convention.

const authTime = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Team members (better-auth model "user"). `role` is viewer | trader | admin; inactive users cannot sign in. */
/** Fixed rate-limit windows of the auth endpoints (better-auth's limiter), shared by every server: one row per client address and path. */
export const authRateLimits = pgTable('auth_rate_limits', {
  key: text('key').primaryKey(),
  /** Requests counted in the current window (keeps counting past the limit). */
  count: integer('count').notNull(),
  /** When the window ends, epoch ms. */
  resetAtMs: ms('reset_at_ms').notNull(),
});

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique('users_email_unique'),
  emailVerified: boolean('email_verified').notNull().default(false),
  image: text('image'),
  createdAt: authTime('created_at').notNull(),
  updatedAt: authTime('updated_at').notNull(),
  role: text('role').notNull().default('viewer'),
  active: boolean('active').notNull().default(true),
  /** Set for invited users (temporary password): until they choose their own, their session reaches only the change-password page. */
  mustChangePassword: boolean('must_change_password').notNull().default(false),
});

/** Login sessions (better-auth model "session"); the cookie carries `token`. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    expiresAt: authTime('expires_at').notNull(),
    token: text('token').notNull().unique('sessions_token_unique'),
    createdAt: authTime('created_at').notNull(),
    updatedAt: authTime('updated_at').notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Credentials per user (better-auth model "account"); `password` holds the scrypt hash. */
export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: authTime('access_token_expires_at'),
    refreshTokenExpiresAt: authTime('refresh_token_expires_at'),
    scope: text('scope'),
    password: text('password'),
    createdAt: authTime('created_at').notNull(),
    updatedAt: authTime('updated_at').notNull(),
  },
  (t) => [index('accounts_user_idx').on(t.userId)],
);

/** One-time values (better-auth model "verification"). */
export const verifications = pgTable(
  'verifications',
  {
    id: text('id').primaryKey(),
    identifier: text('identifier').notNull(),
    value: text('value').notNull(),
    expiresAt: authTime('expires_at').notNull(),
    createdAt: authTime('created_at').notNull(),
    updatedAt: authTime('updated_at').notNull(),
  },
  (t) => [index('verifications_identifier_idx').on(t.identifier)],
);

/** Failed sign-ins per e-mail address; `lockedUntilMs` set once the threshold is reached. */
export const loginFailures = pgTable('login_failures', {
  email: text('email').primaryKey(),
  failedCount: integer('failed_count').notNull(),
  lastFailedAtMs: ms('last_failed_at_ms').notNull(),
  lockedUntilMs: ms('locked_until_ms'),
});

/** Audit log: who did what to which target, when, with the state before and after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    atMs: ms('at_ms').notNull(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    /** How the actor authenticated: session | token | cli | webhook | anonymous. */
    actorKind: text('actor_kind').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    /** ok | failed | denied */
    outcome: text('outcome').notNull(),
    before: jsonb('before').$type<unknown>(),
    after: jsonb('after').$type<unknown>(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.atMs, t.id),
    index('audit_log_actor_at_idx').on(t.actorId, t.atMs),
    index('audit_log_action_at_idx').on(t.action, t.atMs),
  ],
);

/** API tokens: only the SHA-256 of the token is stored; `role` is at most the owner's role. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique('api_tokens_token_hash_unique'),
    /** First characters of the token, shown in the UI to tell tokens apart. */
    prefix: text('prefix').notNull(),
    role: text('role').notNull(),
    createdAtMs: ms('created_at_ms').notNull(),
    lastUsedAtMs: ms('last_used_at_ms'),
    revokedAtMs: ms('revoked_at_ms'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** Inbound webhooks; the HMAC secret is stored AES-256-GCM encrypted. */
export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** alert | job */
  kind: text('kind').notNull(),
  secretCiphertext: text('secret_ciphertext').notNull(),
  active: boolean('active').notNull().default(true),
  createdAtMs: ms('created_at_ms').notNull(),
  createdBy: text('created_by'),
});

/** Every webhook request received, accepted or refused; accepted delivery ids are unique per webhook (idempotency). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id').notNull(),
    deliveryId: text('delivery_id'),
    receivedAtMs: ms('received_at_ms').notNull(),
    /** accepted | refused */
    status: text('status').notNull(),
    reason: text('reason'),
    httpStatus: integer('http_status').notNull(),
    response: jsonb('response').$type<Record<string, unknown>>(),
    ticketId: text('ticket_id'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_accepted_uq').on(t.webhookId, t.deliveryId).where(sql`${t.status} = 'accepted'`),
    index('webhook_deliveries_webhook_received_idx').on(t.webhookId, t.receivedAtMs),
  ],
);

/** Exchange API credentials, AES-256-GCM encrypted; write-only from the UI. One row per exchange. */
export const exchangeCredentials = pgTable('exchange_credentials', {
  exchange: text('exchange').primaryKey(),
  ciphertext: text('ciphertext').notNull(),
  /** Last four characters of the API key id, the only part ever shown. */
  keyIdLast4: text('key_id_last4').notNull(),
  setAtMs: ms('set_at_ms').notNull(),
  setBy: text('set_by'),
});

/**
 * Notification channels and routing, shared by every server of the database. One row (`id` =
 * `default`); the settings JSON is AES-256-GCM encrypted because it holds bot tokens, webhook URLs
 * and signing secrets.
 */
export const notificationSettings = pgTable(
  'notification_settings',
  {
    id: text('id').primaryKey(),
    ciphertext: text('ciphertext').notNull(),
    updatedAtMs: ms('updated_at_ms').notNull(),
  },
  (t) => [check('notification_settings_single_row', sql`${t.id} = 'default'`)],
);

/** Operator settings edited from the dashboard (strategy parameters, fusion, risk limits), one JSON value per key. */
export const appSettings = pgTable('app_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAtMs: ms('updated_at_ms').notNull(),
  updatedBy: text('updated_by'),
});

/** Live trading sessions (one per market): their config, status and resume checkpoint. */
export const liveSessions = pgTable('live_sessions', {
  id: text('id').primaryKey(),
  exchange: text('exchange').notNull(),
  symbol: text('symbol').notNull(),
  timeframe: text('timeframe').notNull(),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  /** starting | running | reconnecting | stopped | halted */
  status: text('status').notNull(),
  /** Open time of the last candle processed; the restart resumes after it. */
  lastCandleMs: ms('last_candle_ms'),
  /** The position the session holds on a real venue as of the checkpoint (entry fills, stop id); null when flat. */
  openPosition: jsonb('open_position').$type<Record<string, unknown>>(),
  /** True for a real venue; false for the paper dry run. */
  liveTrading: boolean('live_trading').notNull().default(false),
  lastError: text('last_error'),
  startedAtMs: ms('started_at_ms'),
  updatedAtMs: ms('updated_at_ms').notNull(),
  /** The trader holding the session's lease; null when unowned (released, or never claimed). */
  leaseOwner: text('lease_owner'),
  /** When the lease ends unless renewed, epoch ms by the database's clock. */
  leaseExpiresAtMs: ms('lease_expires_at_ms'),
  /** Grows by 1 on every claim; each write of the session carries it and is refused when it moved on. */
  fencingToken: bigint('fencing_token', { mode: 'number' }).notNull().default(0),
});

/**
 * Trading accounts (paper now): settings (market type, fee model, leverage), risk limits (null = the
 * installation's defaults) and the paper exchange's state, written after every fill and candle that
 * changes it (with the risk state, in one transaction) and restored on start.
 */
export const tradingAccounts = pgTable('trading_accounts', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  riskLimits: jsonb('risk_limits').$type<Record<string, unknown>>(),
  state: jsonb('state').$type<Record<string, unknown>>(),
  stateUpdatedAtMs: ms('state_updated_at_ms'),
  createdAtMs: ms('created_at_ms').notNull(),
  updatedAtMs: ms('updated_at_ms').notNull(),
  updatedBy: text('updated_by'),
});

/**
 * Rule strategies composed in the dashboard or sent to the API: one row per saved version (never
 * updated in place); the highest version of a name is the active one.
 */
export const strategyRules = pgTable(
  'strategy_rules',
  {
    name: text('name').notNull(),
    version: integer('version').notNull(),
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    createdBy: text('created_by'),
    createdAtMs: ms('created_at_ms').notNull(),
  },
  (t) => [primaryKey({ name: 'strategy_rules_pk', columns: [t.name, t.version] }), check('strategy_rules_version_positive', sql`${t.version} >= 1`)],
);

/**
 * Acknowledgements of control bus messages: one row per message and process that acted on it
 * (re-read an account's halt, stopped a session, routed an alert, loaded a model).
 */
export const controlAcks = pgTable(
  'control_acks',
  {
    messageId: text('message_id').notNull(),
    processId: text('process_id').notNull(),
    kind: text('kind').notNull(),
    outcome: text('outcome').notNull(),
    detail: text('detail').notNull(),
    atMs: ms('at_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.processId] }), index('control_acks_at_idx').on(t.atMs)],
);

/**
 * Parameter studies (engine/research/study.ts): the resolved request, status and progress, and the
 * computed summary (best params, walk-forward, overfitting guards) once completed.
 */
export const studies = pgTable(
  'studies',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    ticketId: text('ticket_id'),
    progressDone: integer('progress_done').notNull().default(0),
    progressTotal: integer('progress_total').notNull().default(0),
    progressMessage: text('progress_message'),
    createdAtMs: ms('created_at_ms').notNull(),
    createdBy: text('created_by'),
    startedAtMs: ms('started_at_ms'),
    finishedAtMs: ms('finished_at_ms'),
    error: text('error'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    appliedAtMs: ms('applied_at_ms'),
    appliedBy: text('applied_by'),
  },
  (t) => [
    index('studies_created_idx').on(t.createdAtMs, t.id),
    check('studies_status_check', sql`${t.status} IN ('queued', 'running', 'completed', 'failed', 'cancelled')`),
  ],
);

/**
 * One row per finished study trial, unique per (study, trial key): a resumed study skips the keys it
 * finds. Metrics, params and the daily returns are JSON; `score` is the ranking objective.
 */
export const studyTrials = pgTable(
  'study_trials',
  {
    studyId: text('study_id')
      .notNull()
      .references(() => studies.id, { onDelete: 'cascade' }),
    trialKey: text('trial_key').notNull(),
    candidateIndex: integer('candidate_index').notNull(),
    sample: text('sample').notNull(),
    windowIndex: integer('window_index'),
    rung: integer('rung'),
    fromMs: ms('from_ms').notNull(),
    toMs: ms('to_ms').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    score: doublePrecision('score'),
    dailyReturns: jsonb('daily_returns').$type<number[]>().notNull(),
    equity: jsonb('equity').$type<{ timeMs: number; equity: number }[]>(),
  },
  (t) => [primaryKey({ name: 'study_trials_pk', columns: [t.studyId, t.trialKey] }), check('study_trials_sample_check', sql`${t.sample} IN ('full', 'in', 'out')`)],
);
