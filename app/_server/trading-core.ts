/**
 * The part of the composition root every process builds, a server as well as a one-shot CLI command: the
 * database (migrated, partitions ahead), the control bus, the repositories the engine trades and backtests
 * on, the model registry, the accounts and the strategy catalog with the strategy files. `buildRoot` adds
 * team access, metrics, notifications, jobs and live sessions around it; `buildEngineRoot` (CLI commands
 * that need the engine alone) adds nothing, so such a command loads none of their libraries.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type pino from 'pino';
import { createDatabase, controlChannelOf, DEFAULT_DATA_DIR_LOCK, type Database } from '@/db/client';
import { prepareSchema } from './prepare-schema';
import { migrationsFolderIn } from '@/db/migrate';
import { createCandleRepository } from '@/db/repositories/candle-repository';
import { createJournalRepository } from '@/db/repositories/journal-repository';
import { createRiskStateRepository } from '@/db/repositories/risk-state-repository';
import { createSettingsRepository } from '@/db/repositories/settings-repository';
import { createBacktestRunRepository } from '@/db/repositories/backtest-run-repository';
import { createDbModelStorage } from '@/db/repositories/model-file-repository';
import { createAccountRepository } from '@/db/repositories/account-repository';
import { createControlAckRepository } from '@/db/repositories/control-ack-repository';
import { createPartitionRepository } from '@/db/repositories/partition-repository';
import { createSnapshotRepository } from '@/db/repositories/snapshot-repository';
import { createStrategyRuleRepository } from '@/db/repositories/strategy-rule-repository';
import { createStudyRepository } from '@/db/repositories/study-repository';
import type { EngineConfig, EngineDeps } from '@/engine/engine';
import { createModelRegistry, type ModelRegistry } from '@/engine/ml/model-registry';
import { createLoopModelSource } from '@/engine/ml/loop-model-source';
import { createFsModelFileStore } from '@/engine/ml/model-file-store';
import { importModelFiles } from '@/engine/ml/model-file-import';
import { DEFAULT_PAPER } from '@/engine/backtest/run-backtest';
import { createLiveSessionRepository } from '@/db/repositories/live-session-repository';
import { createAccountBook, type AccountBook, type AccountRuntime } from '@/engine/account/account-book';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { defaultRiskLimits, SettingsKey } from '@/engine/settings/trading-settings';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import type { StrategyCatalog } from '@/engine/strategies/strategy-catalog';
import { createJournalWriter } from '@/engine/journal/journal-writer';
import { createControlBus } from '@/engine/control/control-bus';
import { PARTITION_MONTHS_AHEAD } from '@/engine/jobs/account-jobs';
import type { Clock } from '@/engine/core/clock';
import type { ControlAckStore, ControlBus } from '@/engine/ports/control-bus';
import type { JournalWriter } from '@/engine/ports/journal-writer';
import type { LoopModelSource } from '@/engine/decision/loop-models';
import type { ModelFileStore } from '@/engine/ports/model-file-store';
import type { ModelRepository } from '@/engine/ports/models';
import type { VenueConnectResult } from '@/engine/ports/venue-link';
import type { CandleRepository } from '@/engine/ports/candles';
import type { JournalRepository } from '@/engine/ports/journal';
import type { RiskStateRepository } from '@/engine/ports/risk-state';
import type { SettingsRepository } from '@/engine/ports/settings';
import type { BacktestRunRepository } from '@/engine/ports/backtest-runs';
import type { PaperExchange } from '@/engine/execution/paper-exchange';
import type { AppConfig } from './config';
import { currentRunOwner, isRunOwnerAlive } from './process-owner';
import { loadStrategyFilesAtStart, type StrategyFiles } from './strategy-files';
import { createAppLogger } from './telemetry/app-logger';

/** Test seams of `buildRoot` and `buildEngineRoot`; production passes none. */
export interface RootHooks {
  /** Time for the engine, live sessions and venue adapters; default the system clock. */
  clock?: Clock;
  /** Where the JSON log lines go; default stdout. */
  logDestination?: pino.DestinationStream;
  /**
   * Called after the embedded database's lease was taken by another process (this one stalled past the
   * stale time): two processes writing one PGlite directory corrupt it. Default: exit with status 1 at once.
   */
  onLeaseLost?: (error: Error) => void;
}

/** Next.js bundles the root, so the migrations folder is resolved from the project directory. */
export const MIGRATIONS_FOLDER = migrationsFolderIn(process.cwd());

const systemClock: Clock = { nowMs: () => Date.now() };

/** The opened database and what lives directly on it; the first stage of every root. */
export interface RootStorage {
  readonly logger: pino.Logger;
  readonly database: Database;
  readonly clock: Clock;
  readonly control: ControlBus;
  readonly controlAcks: ControlAckStore;
  readonly settings: SettingsRepository;
}

/**
 * Opens the database and migrates it (a trader or worker instead refuses a schema that is behind: see
 * prepareSchema), builds the control bus and creates this month's and the next months'
 * partitions. Closes the database again when a step after opening it fails.
 */
export async function openRootStorage(config: AppConfig, hooks: RootHooks = {}): Promise<RootStorage> {
  const logger = createAppLogger(config.logLevel, hooks.logDestination);
  const onLeaseLost = hooks.onLeaseLost ?? (() => process.exit(1));
  const database = await createDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    lock: {
      ...DEFAULT_DATA_DIR_LOCK,
      onCompromised: (error) => {
        logger.fatal({ err: error }, 'another process took over the embedded database; stopping at once to keep it intact');
        onLeaseLost(error);
      },
    },
  });
  try {
    await prepareSchema(database, config.role, logger, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (error) {
    await database.close();
    throw error;
  }
  const clock = hooks.clock ?? systemClock;
  // Control bus: halts, stops, settings, deploys and alerts reach every process on this database at once.
  const control = createControlBus({ transport: database.notifications(controlChannelOf(database.schema)), clock, logger, processId: `${currentRunOwner().host}:${currentRunOwner().pid}:${randomUUID().slice(0, 8)}`, newId: () => randomUUID() });
  const controlAcks = createControlAckRepository(database.db);
  // Monthly partitions of candles and the decision log for this month and the next ones (the rollover job keeps them ahead).
  await createPartitionRepository(database.db)
    .ensureMonths(clock.nowMs(), PARTITION_MONTHS_AHEAD)
    .catch(async (error: unknown) => {
      await database.close();
      throw error;
    });
  return { logger, database, clock, control, controlAcks, settings: createSettingsRepository(database.db) };
}

/** What the engine trades and backtests on, built over the storage. */
export interface TradingCore {
  readonly candles: CandleRepository;
  readonly journal: JournalRepository;
  readonly riskState: RiskStateRepository;
  readonly backtestRuns: BacktestRunRepository;
  readonly modelRepository: ModelRepository;
  readonly modelFiles: ModelFileStore;
  readonly models: ModelRegistry;
  /** The regime, volatility and stop-distance models a run's `models` option names. */
  readonly loopModels: LoopModelSource;
  /** The journal writer of accounts' manual orders and live sessions. */
  readonly liveJournal: JournalWriter;
  readonly accounts: AccountBook;
  readonly defaultAccount: AccountRuntime;
  /** The default account's paper exchange at start. */
  readonly exchange: PaperExchange;
  /** The one strategy catalog: built-ins, the strategy files (loaded now) and, once the engine starts, rule strategies. */
  readonly strategies: StrategyCatalog;
  readonly strategyFiles: StrategyFiles;
  /** What `createEngine` gets from the core: a root adds its jobs, workers, live sessions, metrics and notifier. */
  readonly engineDeps: EngineDeps;
  readonly engineConfig: EngineConfig;
}

/**
 * Builds the repositories, loads the active models, ensures the default account and loads the strategy
 * files. `venues` connects an account to a real venue (keys plus an admin's enablement); a command that
 * trades nowhere passes one that refuses.
 * @throws ConfigError naming AETHELRED_STRATEGIES_DIR when the strategies folder cannot be read (the models and the database are closed first).
 */
export async function buildTradingCore(
  storage: RootStorage,
  config: AppConfig,
  deps: {
    venues: (venueId: string) => Promise<VenueConnectResult>;
    /** This process's session-lease owner (a trader's root); absent where no session runs (the CLI). */
    leaseOwner?: string;
  },
): Promise<TradingCore> {
  const { database, logger, clock, control, settings } = storage;
  const candles = createCandleRepository(database.db);
  const journal = createJournalRepository(database.db);
  const riskState = createRiskStateRepository(database.db);
  // Runs record the process that simulates them: with PostgreSQL another process (a CLI command next to
  // the server) may start while a run is under way, and must not mark it failed. PGlite has one process.
  const backtestRuns = createBacktestRunRepository(database.db, config.databaseUrl ? { owner: currentRunOwner(), isOwnerAlive: (owner) => isRunOwnerAlive(owner) } : {});
  // Models: versions in the models table, file bytes in model_files (shared by every server on the
  // database); files an older version left under ${dataDir}/models are imported once. Active ones load now.
  const { repository: modelRepository, files: modelFiles } = createDbModelStorage(database.db);
  await importModelFiles({ repository: modelRepository, from: createFsModelFileStore(path.join(config.dataDir, 'models')), to: modelFiles, logger }).catch((error: unknown) =>
    logger.error({ err: error }, 'importing model files from the data dir failed; they stay on disk and the import runs again on the next start'),
  );
  const models = createModelRegistry({ repository: modelRepository, store: modelFiles, logger, control });
  const loopModels = createLoopModelSource(models);
  await models.loadActiveOnStart();
  // Accounts: each has one paper exchange (state stored after every change, restored here) and one risk
  // engine. The default account is created on the first start from the environment's balance and market
  // type; risk limits saved before accounts existed become its limits.
  const liveJournal = createJournalWriter({ batchSize: 100 }, { repository: journal, logger });
  const accounts = createAccountBook({
    clock,
    logger,
    accounts: createAccountRepository(database.db),
    riskState,
    settings,
    candles,
    defaultRiskLimits: async () => defaultRiskLimits(),
    journal: liveJournal,
    newId: () => randomUUID(),
    venues: deps.venues,
    control,
    // A manual order or force exit on a paper account whose sessions another process runs goes to that process.
    holders: createLiveSessionRepository(database.db),
    ...(deps.leaseOwner ? { leaseOwner: deps.leaseOwner } : {}),
    acks: storage.controlAcks,
  });
  const legacyRisk = (await settings.get(SettingsKey.Risk))?.value;
  await accounts.ensureDefault(
    { name: 'Paper', marketType: config.marketType, initialBalance: config.initialBalance, makerFeeBps: DEFAULT_PAPER.makerFeeBps, takerFeeBps: DEFAULT_PAPER.takerFeeBps, spreadBps: DEFAULT_PAPER.spreadBps, slippageBps: DEFAULT_PAPER.slippageBps, maxVolumeShare: DEFAULT_PAPER.maxVolumeShare },
    legacyRisk && typeof legacyRisk === 'object' ? (legacyRisk as Record<string, unknown>) : null,
  );
  const defaultAccount = await accounts.runtime(DEFAULT_ACCOUNT_ID);
  // The one strategy catalog (built-ins; strategy files and rule strategies join it through replaceSource):
  // the engine, the live sessions and the job queue's checks read names, params and versions from it.
  const strategies = createBuiltInCatalog();
  // Strategy files (AETHELRED_STRATEGIES_DIR) join it now, before live sessions resume; in development
  // (NODE_ENV=development) a worker watches the folder and reloads it.
  const strategyFiles = await loadStrategyFilesAtStart(config, { catalog: strategies, logger }).catch(async (error: unknown) => {
    await models.close();
    await database.close();
    throw error;
  });
  const exchange = defaultAccount.exchange();
  const engineDeps: EngineDeps = {
    clock,
    logger,
    candles,
    journal,
    riskState,
    backtestRuns,
    exchange,
    newId: () => randomUUID(),
    vetoModel: () => models.activeVetoModel(),
    loopModels,
    models,
    account: {
      get exchange() {
        return defaultAccount.exchange();
      },
      get marketType() {
        return defaultAccount.record().settings.marketType;
      },
      get marginMode() {
        return defaultAccount.record().settings.marginMode;
      },
    },
    accounts,
    settings,
    strategies,
    snapshots: createSnapshotRepository(database.db),
    strategyRules: createStrategyRuleRepository(database.db),
    // A saved rule strategy is announced here; every process's control listener reloads it (see root.ts).
    control,
    studies: createStudyRepository(database.db),
  };
  const engineConfig: EngineConfig = { journalBatchSize: config.journalBatchSize, journalFlushIntervalMs: 1_000 };
  return { candles, journal, riskState, backtestRuns, modelRepository, modelFiles, models, loopModels, liveJournal, accounts, defaultAccount, exchange, strategies, strategyFiles, engineDeps, engineConfig };
}
