import type { BacktestRunRecord, BacktestRunRepository, BacktestRunSummary } from './ports/backtest-runs';
import type { CandleRepository, CandleStreamCoverage, CandleStreamSummary } from './ports/candles';
import type { Page, JournalRepository, DecisionRecord, JournalQuery, TradeBreakdown, TradeBreakdownFilter, TradeRecord } from './ports/journal';
import { backtestBreakdown, type BacktestBreakdown } from './backtest/backtest-breakdown';
import { analyzeRunEquity, type RunAnalysis } from './insight/run-analysis';
import { createRunAnalysisCache } from './insight/run-analysis-cache';
import type { Clock } from './core/clock';
import type { Logger } from './core/logger';
import type { RiskStateRepository } from './ports/risk-state';
import type { SettingsRepository } from './ports/settings';
import type { BackgroundWorker } from './ports/lifecycle';
import type { ControlPublisher } from './ports/control-bus';
import { loadDecisionChain, type DecisionChain } from './journal/decision-chain';
import { TIMEFRAME_MS, type MarketKey } from './core/types';
import type { Exchange } from './ports/exchange';
import { createJournalWriter } from './journal/journal-writer';
import type { JournalWriter } from './ports/journal-writer';
import { priceDecimalsOfCandles } from './market/market-precision';
import { importCandles, importCandleText, type ImportCandleTextRequest, type ImportCandlesResult } from './market/import-candles';
import { downloadCandles, type CandleSource, type DownloadCandlesRequest, type DownloadCandlesResult } from './market/download-candles';
import { backtestAccountIdOf, runBacktest, type BacktestResult } from './backtest/run-backtest';
import { loadStoredRunSettings, type StoredRunSettings } from './trading/run-spec';
import { createBuiltInCatalog } from './strategies/built-in-strategies';
import type { StrategyCatalog, StrategyDescription } from './strategies/strategy-catalog';
import { runStrategyCheck, type StrategyCheckResult } from './insight/strategy-check';
import { enqueueStrategyCheck } from './jobs/strategy-check-job';
import { backtestState, enqueueBacktest, type BacktestState } from './backtest/backtest-jobs';
import type { VetoModel } from './decision/veto-model';
import type { LoopModelSource } from './decision/loop-models';
import type { LiveSessionManager } from './live/live-session-manager';
import { sessionFirstCandleMs } from './live/session-window';
import type { LiveSessionState } from './live/live-session';
import { sessionDrift } from './backtest/session-drift';
import { NotFoundError, ValidationError } from './core/errors';
import { createUnavailableModelAdmin, type ModelAdmin } from './ml/model-registry';
import type { JobQueue, JobRequest, Ticket, TicketQuery } from './orchestrator/job-queue';
import { createTradingDesk, type TradingDesk } from './desk/trading-desk';
import { type PaperAccount } from './account/overview';
import type { SnapshotRepository } from './ports/snapshots';
import { submitExternalSignal, type ExternalSignal, type ExternalSignalResult } from './decision/external-signal';
import { createEngineEvents } from './telemetry/engine-events';
import { type EngineEvents } from './ports/events';
import type { MetricsSink } from './ports/metrics';
import type { NotificationEvent, Notifier } from './ports/notifier';
import type { AccountBook } from './account/account-book';
import type { StrategyRuleRepository } from './ports/strategy-rules';
import { createRuleStrategyService, type RuleStrategyService } from './strategies/rules/rule-strategy-service';
import type { StudyRepository } from './ports/studies';
import type { StudyService } from './research/study';
import type { StudyJobResult } from './research/study-runner';
import { createStudyService } from './research/study-service';
import { createInlineTrialRunner, type TrialRunner } from './research/trial-runner';
import type { DurableJobContext, JobContext } from './jobs/job-context';

/** Candles sampled to read a market's price decimals: enough to see every tick digit in use. */
export const PRECISION_SAMPLE_CANDLES = 500;

/** Lifecycle states of the engine. */
export const EngineState = {
  Created: 'created',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
export type EngineState = (typeof EngineState)[keyof typeof EngineState];


/** Everything the engine needs, injected by the composition root (or a test). */
export interface EngineDeps {
  clock: Clock;
  logger: Logger;
  candles: CandleRepository;
  journal: JournalRepository;
  riskState: RiskStateRepository;
  backtestRuns: BacktestRunRepository;
  /** Live sessions (optional: tests and tools may run without). */
  live?: LiveSessionManager;
  /** Unique ids for runs, trades and decisions. */
  newId: () => string;
  /** The deployed veto model, if any. */
  vetoModel?: () => VetoModel | null;
  /** The regime, volatility and stop-distance models a run's `models` option names (the model registry); without it such runs are refused. */
  loopModels?: LoopModelSource;
  /** Model versions: list, deploy, rollback (the model registry); without it `engine.models` rejects. */
  models?: ModelAdmin;
  /** The venue orders go to (PaperExchange by default). */
  exchange: Exchange;
  workers?: readonly BackgroundWorker[];
  /** The job queue (tickets + the active runner); without it the job methods throw. */
  jobs?: JobQueue;
  /** The paper account (overview, what-if, manual orders); without it those methods throw. */
  account?: PaperAccount;
  /** Trading settings storage; without it the defaults apply and saving throws. */
  settings?: SettingsRepository;
  /** Trading accounts (each with its paper exchange and risk engine); the desk works on the default one. */
  accounts?: AccountBook;
  /** Account snapshots, the overview's equity history; without them it is rebuilt from trades. */
  snapshots?: SnapshotRepository;
  /** How long the overview reuses its live trade statistics, ms (default 15 000; see TradingDeskDeps). */
  overviewStatsTtlMs?: number;
  /** Metrics adapter (prom-client in the app); default: none. */
  metrics?: MetricsSink;
  /** Notification router (also add it to `workers` so it starts and stops); default: none. */
  notifier?: Notifier;
  /**
   * The strategy catalog (built-in, file and rule strategies), built once by the composition root and
   * shared with the live session manager and the job queue; default: the built-ins alone.
   */
  strategies?: StrategyCatalog;
  /** Rule strategy versions (the `strategy_rules` table); without it there are no rule strategies and saving throws. */
  strategyRules?: StrategyRuleRepository;
  /** The control bus: a saved rule strategy is announced on it (`strategies-changed`) so other processes reload it. */
  control?: ControlPublisher;
  /** Study storage (the `studies` and `study_trials` tables); without it `engine.studies` rejects. */
  studies?: StudyRepository;
  /** Where study trials run (the worker-thread pool in the server); default: inline, one at a time. */
  trialRunner?: TrialRunner;
}

/** How to start: a server runs its background workers; a one-shot CLI command does not. */
export interface EngineStartOptions {
  /** Start the background workers (job runner, notifier). Default true. */
  workers?: boolean;
}

/** Engine-wide settings. */
export interface EngineConfig {
  journalBatchSize: number;
  /** How often buffered journal rows are written while running, ms. */
  journalFlushIntervalMs: number;
}

export const defaultEngineConfig: EngineConfig = { journalBatchSize: 500, journalFlushIntervalMs: 1_000 };

/** The engine facade: the one object route handlers, server actions, jobs and the CLI talk to. */
export interface Engine extends TradingDesk {
  state(): EngineState;
  /**
   * Names of the background workers whose `start` has resolved (in start order), for readiness probes;
   * empty before `start`, after `stop`, and when started with `workers: false`.
   */
  startedWorkers(): string[];
  /** Starts background workers; idempotent (a second call while running does nothing). */
  start(options?: EngineStartOptions): Promise<void>;
  /** Flushes pending journal writes, stops workers, closes the exchange; idempotent. */
  stop(): Promise<void>;
  /** The journal writer (buffered, batched). */
  readonly journal: JournalWriter;
  /** Per exchange/symbol/timeframe: candle count and range. */
  listCandleStreams(): Promise<CandleStreamSummary[]>;
  /**
   * The price decimals of a market as its stored candles before `beforeMs` show them (the last
   * {@link PRECISION_SAMPLE_CANDLES}; see `priceDecimalsOfCandles`); null without candles or when they lie on no tick grid.
   */
  marketPriceDecimals(market: MarketKey, beforeMs: number): Promise<number | null>;
  /**
   * Per stored stream: count, range, candles expected on the timeframe grid, missing candles and the
   * `largestGaps` (0..100) largest gaps, computed by the store. @throws ValidationError for largestGaps out of range.
   */
  listCandleCoverage(largestGaps: number): Promise<CandleStreamCoverage[]>;
  /** The engine's one strategy catalog: every name a run, session, setting, form or CLI command may use. */
  readonly strategies: StrategyCatalog;
  /** Every catalog entry (broken ones too), with its source, version, hash, parameters as JSON Schema and defaults. */
  describeStrategies(): StrategyDescription[];
  /**
   * The look-ahead and recursion check of one strategy over stored candles (`strategyCheckRequestSchema`:
   * strategy, params, market, optional range and tolerance); see `runStrategyCheck`. Writes nothing.
   * @throws ValidationError naming the field (unknown strategy, bad params, too few candles).
   */
  checkStrategy(request: unknown, onProgress?: (done: number, total: number) => void | Promise<void>): Promise<StrategyCheckResult>;
  /**
   * Validates a check request and that its market has candles, then queues a `strategy-check` job.
   * @returns the ticket id. @throws ValidationError naming the field; nothing is queued.
   */
  enqueueStrategyCheck(request: unknown): Promise<string>;
  /** Runs a backtest on stored candles and records it; see `runBacktest`. Throws ValidationError for bad requests. */
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  getBacktestRun(id: string): Promise<BacktestRunRecord | null>;
  /**
   * Deletes a finished run with its journaled trades and decisions (one transaction); returns what was deleted.
   * @throws NotFoundError naming the id; ValidationError for a run still running.
   */
  deleteBacktestRun(id: string): Promise<BacktestRunSummary>;
  /**
   * Validates a backtest request, checks its candles (and veto model) are there, and queues it; see `enqueueBacktest`.
   * @returns the job id. @throws ValidationError naming the request's field; nothing is queued.
   */
  enqueueBacktest(request: unknown): Promise<string>;
  /** A backtest by job id (or run id): queued, running, failed with the reason, or complete with config, metrics, trades and equity. @throws NotFoundError. */
  backtestState(id: string): Promise<BacktestState>;
  listBacktestRuns(page: { limit?: number; cursor?: string }): Promise<Page<BacktestRunSummary>>;
  /**
   * Journaled trades, filtered and sorted (see `JournalQuery`), keyset-paginated. Throws ValidationError
   * for a bad filter, sort or cursor, and for a `symbol` no trade or decision has (a typo such as
   * "BTCUSDT" is named instead of answered with an empty page).
   */
  listTrades(query: JournalQuery): Promise<Page<TradeRecord>>;
  /**
   * Per-tag analysis of the journaled trades matching `filter` (the trade list's filters): groups by
   * strategy, exit reason, side, entry hour and weekday (UTC) with count, win rate and net PnL,
   * computed in the store. Throws ValidationError for a bad side or outcome.
   */
  breakdownTrades(filter: TradeBreakdownFilter): Promise<TradeBreakdown>;
  /** The per-tag analysis of one backtest run, by job id or run id. @throws NotFoundError when there is no such completed run. */
  backtestBreakdown(id: string): Promise<BacktestBreakdown>;
  /**
   * Underwater curve, buy-and-hold benchmark (same market, period and balance; taker fee on buy and sale)
   * and rolling Sharpe/volatility over `window` equity points (default 30) of a completed run, from its
   * stored equity curve and candles; null for an unknown run or one without an equity curve.
   */
  backtestAnalysis(id: string, window?: number): Promise<RunAnalysis | null>;
  /** The decision log, filtered and sorted by time or symbol, keyset-paginated. Throws ValidationError for a bad filter, sort or cursor. */
  listDecisions(query: JournalQuery): Promise<Page<DecisionRecord>>;
  getTrade(id: string): Promise<TradeRecord | null>;
  /** The trade and the decisions from its entry decision to its exit; null for an unknown trade. See `loadDecisionChain`. */
  decisionChain(tradeId: string): Promise<DecisionChain | null>;
  /** Every trade matching `query`, in its sort order, streamed in constant memory (keyset pages). */
  exportTrades(query: Omit<JournalQuery, 'cursor' | 'limit'>): AsyncIterable<TradeRecord>;
  /** Runs found still `running` at start (interrupted by a crash or kill) and marked failed. */
  interruptedRunsAtStart(): number;
  /** Starts a live session (paper dry run unless live trading is enabled for the venue). @throws ValidationError. */
  startLiveSession(request: unknown): Promise<LiveSessionState>;
  stopLiveSession(id: string): Promise<LiveSessionState>;
  listLiveSessions(): ReturnType<LiveSessionManager['list']>;
  /** One stored session (with its in-memory state when it runs in this process); null when no session has this id. Reads one row. */
  getLiveSession(id: string): ReturnType<LiveSessionManager['get']>;
  /** Live versus backtest drift of a session, per trade and per cause. @throws ValidationError (unknown session, candles missing). */
  liveDrift(sessionId: string): ReturnType<typeof sessionDrift>;
  /** Imports candle CSV text (an upload); all-or-nothing. @throws CandleFileError naming line and field. */
  importCandleText(request: ImportCandleTextRequest): Promise<ImportCandlesResult>;
  /** Imports a CSV (or .csv.gz) file of candles; all-or-nothing. */
  importCandles(
    input: { file: string; key: MarketKey },
    onProgress?: (bytesRead: number, totalBytes: number) => void,
  ): Promise<ImportCandlesResult>;
  /** The intent-veto model a backtest with `veto: true` would use now, or null when none is deployed. */
  activeVetoModel(): VetoModel | null;
  /** Trained model versions: list, deploy (hot reload), rollback. */
  readonly models: ModelAdmin;
  /**
   * Downloads candles from a venue into candle storage, resuming after the last stored candle; see
   * `downloadCandles`. `source.rateLimitMs` (if any) spaces the pages.
   */
  downloadCandles(
    request: DownloadCandlesRequest,
    source: CandleSource & { readonly rateLimitMs?: number },
    onProgress?: (doneMs: number, totalMs: number) => void,
  ): Promise<DownloadCandlesResult>;
  /** Journals an external alert as a decision of its account (denied when the account or the market is unknown or the account is halted); see `submitExternalSignal`. */
  submitExternalSignal(signal: ExternalSignal): Promise<ExternalSignalResult>;
  /** Queues a background job; see `JobQueue.enqueue`. Throws ValidationError naming the field before anything is written. */
  enqueue(job: JobRequest): Promise<string>;
  /** Cancels a queued job or asks a running one to stop. Throws NotFoundError for an unknown ticket. */
  cancelJob(ticketId: string): Promise<Ticket>;
  getTicket(ticketId: string): Promise<Ticket | null>;
  /** Tickets newest first, optionally by status and kind. */
  listTickets(query: TicketQuery): Promise<Page<Ticket>>;
  /** Metrics + notifications fan-out for loops, live sessions and job runners (no-op parts when not wired). */
  readonly events: EngineEvents;
  /** Queues a notification for the configured channels; never blocks, never throws. */
  notify(event: NotificationEvent): void;
  /** Trading accounts: settings, risk limits, halt/resume (one account or all), views, force exits. @throws Error when built without. */
  readonly accounts: AccountBook;
  /** Rule strategies composed without code: versioned storage, validation, and the catalog's `rule` source. */
  readonly ruleStrategies: RuleStrategyService;
  /** Parameter studies: queue (checked first), list, read, cancel, apply the best params; see engine/research/study.ts. @throws Error when built without study storage. */
  readonly studies: StudyService;
  /** The body of a `study` ticket: runs or resumes the study (see `StudyEngine.run`). */
  runStudy(studyId: string, ctx: JobContext): Promise<StudyJobResult>;
  /** The same body as durable steps for the Inngest runner: trials fan out in parts (see `StudyEngine.runSteps`). */
  runStudySteps(studyId: string, ctx: DurableJobContext): Promise<StudyJobResult>;
}

/**
 * Builds the engine from injected ports. Builds nothing itself: no database, no network.
 */
export function createEngine(deps: EngineDeps, config: EngineConfig = defaultEngineConfig): Engine {
  let state: EngineState = EngineState.Created;
  let flushTimer: ReturnType<typeof setInterval> | null = null;
  let stopping: Promise<void> | null = null;
  const journal = createJournalWriter({ batchSize: config.journalBatchSize }, { repository: deps.journal, logger: deps.logger });
  const workers = deps.workers ?? [];
  const strategies = deps.strategies ?? createBuiltInCatalog();
  let interruptedRuns = 0;
  /** Runs that failed while the database was away, by id with their error: marked failed at each flush tick until stored. */
  const runsLeftRunning = new Map<string, string>();
  /** Analyses of completed runs (run pages): at most 32 runs' candles are read once each, not per page view. */
  const runAnalyses = createRunAnalysisCache(32);
  const markRunsLeftRunningFailed = async () => {
    for (const [runId, error] of [...runsLeftRunning]) {
      try {
        await deps.backtestRuns.fail(runId, error);
        runsLeftRunning.delete(runId);
        deps.logger.warn({ runId }, 'a backtest run that failed while the database was away is now marked failed');
      } catch (failure) {
        if (failure instanceof NotFoundError) runsLeftRunning.delete(runId); // no longer running: someone else finished it
        else return; // the database is still away; try again at the next tick
      }
    }
  };
  const requireLive = (): LiveSessionManager => {
    if (!deps.live) throw new Error('live sessions are not configured in this engine');
    return deps.live;
  };
  let workersStarted = false;
  /** Workers whose start resolved, until stop. */
  const started: string[] = [];
  const events = createEngineEvents({ metrics: deps.metrics, notifier: deps.notifier, logger: deps.logger });
  const jobs = (): JobQueue => {
    if (!deps.jobs) throw new Error('this engine was built without a job queue');
    return deps.jobs;
  };

  /**
   * One journal page; when a first page filtered by symbol comes back empty and no trade or decision
   * has ever had that symbol, the symbol is named as the problem (only then is it looked up).
   */
  async function listKnownSymbol<T>(query: JournalQuery, list: (query: JournalQuery) => Promise<Page<T>>): Promise<Page<T>> {
    const page = await list(query);
    if (page.items.length === 0 && query.symbol !== undefined && query.cursor === undefined && !(await deps.journal.hasSymbol(query.symbol))) {
      throw new ValidationError('symbol', query.symbol, 'no trade or decision in the journal has this symbol (symbols are case-sensitive, like "BTC/USDT")');
    }
    return page;
  }

  const stopOnce = async () => {
    state = EngineState.Stopping;
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = null;
    const errors: unknown[] = [];
    for (const worker of workersStarted ? [...workers].reverse() : []) {
      try {
        await worker.stop();
      } catch (error) {
        errors.push(error);
        deps.logger.error({ err: error, worker: worker.name }, 'worker failed to stop');
      }
    }
    const pendingRows = journal.pending();
    try {
      await journal.flush();
      deps.logger.info({ rows: pendingRows }, 'journal flushed');
    } catch (error) {
      errors.push(error);
      deps.logger.error({ err: error, rows: pendingRows }, 'journal flush failed while stopping');
    }
    if (runsLeftRunning.size > 0) await markRunsLeftRunningFailed();
    try {
      await deps.exchange.close();
    } catch (error) {
      errors.push(error);
      deps.logger.error({ err: error }, 'exchange failed to close');
    }
    state = EngineState.Stopped;
    deps.logger.info({}, 'engine stopped');
    if (errors.length) throw new AggregateError(errors, 'engine stopped with errors');
  };

  const accounts: AccountBook =
    deps.accounts ??
    new Proxy({} as AccountBook, {
      get: () => () => Promise.reject(new Error('this engine was built without trading accounts')),
    });
  const desk = createTradingDesk({
    clock: deps.clock,
    logger: deps.logger,
    candles: deps.candles,
    journal: deps.journal,
    account: deps.account,
    settings: deps.settings,
    snapshots: deps.snapshots,
    // Without an account book the desk's risk, halt and manual-order methods reject like `accounts`.
    accounts,
    overviewStatsTtlMs: deps.overviewStatsTtlMs,
    strategies,
  });
  /** The stored layer of a run spec on an account: its settings and limits (when accounts are wired) and the saved strategy group. */
  const ruleStrategies = createRuleStrategyService({
    repository: deps.strategyRules ?? {
      latest: async () => [],
      versions: async () => [],
      insert: () => Promise.reject(new Error('this engine was built without rule strategy storage')),
    },
    clock: deps.clock,
    logger: deps.logger,
    catalog: () => strategies,
    control: deps.control,
  });
  /**
   * Before a run is built, queued or checked: the catalog's rule strategies checked against the store (one read of
   * the latest versions; the catalog is replaced only when one differs), so a rule saved in another process whose
   * `strategies-changed` message has not arrived yet (in flight, or lost while this process's listener was
   * disconnected) is still the version the run uses. A failed read is logged and the run goes on with the catalog.
   */
  async function rulesInStep(): Promise<void> {
    if (!deps.strategyRules) return;
    try {
      const changed = await ruleStrategies.refresh();
      if (changed.length > 0) deps.logger.info({ changed }, 'rule strategies saved elsewhere were reloaded before a run');
    } catch (error) {
      deps.logger.warn({ err: error }, 'checking the rule strategies against the store failed; the run uses the catalog as loaded');
    }
  }
  const storedRunSettings = (accountId: string): Promise<StoredRunSettings> =>
    loadStoredRunSettings(accountId, { settings: deps.settings, accounts: deps.accounts, strategies, logger: deps.logger });
  const studyRepository: StudyRepository =
    deps.studies ??
    new Proxy({} as StudyRepository, {
      get: () => () => Promise.reject(new Error('this engine was built without study storage')),
    });
  const studies = createStudyService({
    repository: studyRepository,
    candles: deps.candles,
    jobs,
    catalog: strategies,
    storedSettings: storedRunSettings,
    tradingSettings: { get: () => desk.getTradingSettings(), update: (update, actor) => desk.updateTradingSettings(update, actor) },
    ruleRecords: deps.strategyRules ? () => deps.strategyRules!.latest() : undefined,
    runner: deps.trialRunner ?? createInlineTrialRunner({ catalog: () => strategies, logger: deps.logger }),
    loopModels: deps.loopModels ?? null,
    clock: deps.clock,
    logger: deps.logger,
    newId: deps.newId,
  });

  return {
    ...desk,
    state: () => state,
    startedWorkers: () => (state === EngineState.Running ? [...started] : []),
    journal,
    async start(options: EngineStartOptions = {}) {
      if (state === EngineState.Running) return;
      if (state !== EngineState.Created) throw new Error(`engine cannot start from state "${state}"`);
      state = EngineState.Running;
      await ruleStrategies.refresh();
      interruptedRuns = await deps.backtestRuns.markStaleRunningAsFailed('interrupted: the process stopped before the run finished');
      if (interruptedRuns > 0) deps.logger.warn({ runs: interruptedRuns }, 'backtest runs were interrupted by the last stop and are marked failed');
      if (options.workers !== false) {
        for (const worker of workers) {
          await worker.start();
          started.push(worker.name);
        }
        workersStarted = true;
      }
      flushTimer = setInterval(() => {
        journal.flush().catch(() => undefined);
        if (runsLeftRunning.size > 0) void markRunsLeftRunningFailed();
      }, config.journalFlushIntervalMs);
      flushTimer.unref?.();
      deps.logger.info({ workers: workersStarted ? workers.map((w) => w.name) : [] }, 'engine started');
    },
    stop() {
      if (state === EngineState.Created) {
        state = EngineState.Stopped;
        return deps.exchange.close();
      }
      stopping ??= stopOnce();
      return stopping;
    },
    listCandleStreams: () => deps.candles.summarize(),
    marketPriceDecimals: async (market, beforeMs) =>
      priceDecimalsOfCandles(await deps.candles.loadCandles(market, beforeMs - PRECISION_SAMPLE_CANDLES * TIMEFRAME_MS[market.timeframe], beforeMs)),
    listCandleCoverage: (largestGaps) => deps.candles.summarizeCoverage(largestGaps),
    strategies,
    describeStrategies: () => strategies.describe(),
    async checkStrategy(request, onProgress) {
      await rulesInStep();
      return runStrategyCheck(request, { candles: deps.candles, createStrategy: (name, params) => strategies.create(name, params) }, onProgress);
    },
    async enqueueStrategyCheck(request) {
      await rulesInStep();
      return enqueueStrategyCheck(request, { candles: deps.candles, createStrategy: (name, params) => strategies.create(name, params), enqueue: (job) => jobs().enqueue(job) });
    },
    async runBacktest(request, onProgress) {
      await rulesInStep();
      return runBacktest(
        request,
        {
          stored: await storedRunSettings(backtestAccountIdOf(request)),
          candles: deps.candles,
          journal: deps.journal,
          runs: deps.backtestRuns,
          logger: deps.logger,
          newId: deps.newId,
          vetoModel: deps.vetoModel?.() ?? null,
          loopModels: deps.loopModels ?? null,
          journalBatchSize: config.journalBatchSize,
          onRunLeftRunning: (runId, error) => runsLeftRunning.set(runId, error),
          strategies,
        },
        { onProgress },
      );
    },
    getBacktestRun: (id) => deps.backtestRuns.get(id),
    async deleteBacktestRun(id) {
      const deleted = await deps.backtestRuns.delete(id);
      if (!deleted) throw new NotFoundError(`backtest run "${id}" does not exist (it may have been deleted already)`);
      runAnalyses.forget(id);
      return deleted;
    },
    enqueueBacktest: async (request) =>
      rulesInStep().then(() => enqueueBacktest(request, { candles: deps.candles, jobs: jobs(), runs: deps.backtestRuns, journal: deps.journal, vetoModel: () => deps.vetoModel?.() ?? null, loopModels: deps.loopModels ?? null, storedSettings: storedRunSettings, strategies })),
    backtestState: (id) => backtestState(id, { jobs: jobs(), runs: deps.backtestRuns, journal: deps.journal }),
    listBacktestRuns: (page) => deps.backtestRuns.list(page),
    listTrades: (query) => listKnownSymbol(query, (q) => deps.journal.listTrades(q)),
    listDecisions: (query) => listKnownSymbol(query, (q) => deps.journal.listDecisions(q)),
    breakdownTrades: (filter) => deps.journal.breakdownTrades(filter),
    // A completed run's analysis never changes: computed (every candle of the run loaded) once per run and window.
    backtestAnalysis: (id, window = 30) =>
      runAnalyses.get(id, window, async () => {
        const run = await deps.backtestRuns.get(id);
        if (!run?.equity?.length) return null;
        const paper = (run.config.paper ?? {}) as { initialBalance?: unknown; takerFeeBps?: unknown };
        const candles = await deps.candles.loadCandles({ exchange: run.exchange, symbol: run.symbol, timeframe: run.timeframe }, run.fromMs, run.toMs);
        return analyzeRunEquity(run.equity, candles, {
          initialBalance: typeof paper.initialBalance === 'number' ? paper.initialBalance : 0,
          timeframeMs: TIMEFRAME_MS[run.timeframe],
          feeBps: typeof paper.takerFeeBps === 'number' ? paper.takerFeeBps : 0,
          window,
        });
      }),
    backtestBreakdown: (id) => backtestBreakdown(id, { jobs: jobs(), runs: deps.backtestRuns, journal: deps.journal }),
    getTrade: (id) => deps.journal.getTrade(id),
    decisionChain: (tradeId) => loadDecisionChain(deps.journal, tradeId),
    exportTrades: (query) => deps.journal.iterTrades(query),
    interruptedRunsAtStart: () => interruptedRuns,
    startLiveSession(request) {
      const live = requireLive();
      return rulesInStep().then(() => live.start(request));
    },
    stopLiveSession: (id) => requireLive().stop(id),
    listLiveSessions: () => requireLive().list(),
    getLiveSession: (id) => requireLive().get(id),
    async liveDrift(sessionId) {
      const session = await requireLive().get(sessionId);
      if (!session) throw new ValidationError('sessionId', sessionId, 'no live session has this id; see `live list`');
      return sessionDrift(session, sessionFirstCandleMs(session), { candles: deps.candles, journal: deps.journal, logger: deps.logger, newId: deps.newId, strategies });
    },
    importCandleText: (request) => importCandleText(request, { candles: deps.candles }),
    importCandles: (input, onProgress) => importCandles(input, { candles: deps.candles, onProgress }),
    downloadCandles: (request, source, onProgress) =>
      downloadCandles(request, { source, candles: deps.candles, clock: deps.clock, onProgress, rateLimitMs: source.rateLimitMs }),
    activeVetoModel: () => deps.vetoModel?.() ?? null,
    models: deps.models ?? createUnavailableModelAdmin(),
    enqueue: async (job) => jobs().enqueue(job),
    cancelJob: async (ticketId) => jobs().cancel(ticketId),
    getTicket: async (ticketId) => jobs().get(ticketId),
    listTickets: async (query) => jobs().list(query),
    submitExternalSignal: (signal) =>
      submitExternalSignal(signal, {
        candles: deps.candles,
        riskState: deps.riskState,
        journal,
        clock: deps.clock,
        newId: deps.newId,
        route: deps.live ? (alert) => deps.live!.routeOrForward(alert) : undefined,
        // One account's row, not the list of all of them, per alert.
        accountExists: deps.accounts
          ? (id) =>
              deps.accounts!.get(id).then(
                () => true,
                (error: unknown) => {
                  if (error instanceof NotFoundError) return false;
                  throw error;
                },
              )
          : undefined,
      }).then((result) => {
        if (result.denialCode !== null) {
          events.onDenied(signal.symbol, result.denialCode, result.reason, deps.clock.nowMs());
        }
        return result;
      }),
    events,
    accounts,
    ruleStrategies,
    studies: { enqueue: (...args) => rulesInStep().then(() => studies.enqueue(...args)), list: studies.list, get: studies.get, summary: studies.summary, cancel: studies.cancel, applyToSettings: studies.applyToSettings },
    runStudy: (studyId, ctx) => rulesInStep().then(() => studies.run(studyId, ctx)),
    runStudySteps: (studyId, ctx) => rulesInStep().then(() => studies.runSteps(studyId, ctx)),
    notify(event) {
      try {
        deps.notifier?.notify(event);
      } catch (error) {
        deps.logger.error({ err: error }, 'notify failed');
      }
    },
  };
}
