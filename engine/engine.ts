import type {
  BacktestRunRecord,
  BacktestRunRepository,
  BacktestRunSummary,
  CandleRepository,
  Page,
  CandleStreamSummary,
  Clock,
  JournalRepository,
  Logger,
  RiskStateRepository,
} from './core/ports';
import type { MarketKey } from './core/types';
import type { Exchange } from './execution/exchange';
import { createJournalWriter, type JournalWriter } from './journal/journal-writer';
import { importCandles, type ImportCandlesResult } from './market/import-candles';
import { runBacktest, type BacktestResult } from './backtest/run-backtest';
import type { VetoModel } from './decision/veto-model';

/** Lifecycle states of the engine. */
export const EngineState = {
  Created: 'created',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
export type EngineState = (typeof EngineState)[keyof typeof EngineState];

/** A background worker the engine starts and stops with its own lifecycle. */
export interface BackgroundWorker {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** Everything the engine needs, injected by the composition root (or a test). */
export interface EngineDeps {
  clock: Clock;
  logger: Logger;
  candles: CandleRepository;
  journal: JournalRepository;
  riskState: RiskStateRepository;
  backtestRuns: BacktestRunRepository;
  /** Unique ids for runs, trades and decisions. */
  newId: () => string;
  /** The deployed veto model, if any. */
  vetoModel?: () => VetoModel | null;
  /** The venue orders go to (PaperExchange by default). */
  exchange: Exchange;
  workers?: readonly BackgroundWorker[];
}

/** Engine-wide settings. */
export interface EngineConfig {
  journalBatchSize: number;
  /** How often buffered journal rows are written while running, ms. */
  journalFlushIntervalMs: number;
}

export const defaultEngineConfig: EngineConfig = { journalBatchSize: 500, journalFlushIntervalMs: 1_000 };

/** The engine facade: the one object route handlers, server actions, jobs and the CLI talk to. */
export interface Engine {
  state(): EngineState;
  /** Starts background workers; idempotent (a second call while running does nothing). */
  start(): Promise<void>;
  /** Flushes pending journal writes, stops workers, closes the exchange; idempotent. */
  stop(): Promise<void>;
  /** The journal writer (buffered, batched). */
  readonly journal: JournalWriter;
  /** Per exchange/symbol/timeframe: candle count and range. */
  listCandleStreams(): Promise<CandleStreamSummary[]>;
  /** Runs a backtest on stored candles and records it; see `runBacktest`. Throws ValidationError for bad requests. */
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  getBacktestRun(id: string): Promise<BacktestRunRecord | null>;
  listBacktestRuns(page: { limit?: number; cursor?: string }): Promise<Page<BacktestRunSummary>>;
  /** Runs found still `running` at start (interrupted by a crash or kill) and marked failed. */
  interruptedRunsAtStart(): number;
  /** Imports a CSV (or .csv.gz) file of candles; all-or-nothing. */
  importCandles(
    input: { file: string; key: MarketKey },
    onProgress?: (bytesRead: number, totalBytes: number) => void,
  ): Promise<ImportCandlesResult>;
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
  let interruptedRuns = 0;

  const stopOnce = async () => {
    state = EngineState.Stopping;
    if (flushTimer) clearInterval(flushTimer);
    flushTimer = null;
    const errors: unknown[] = [];
    for (const worker of [...workers].reverse()) {
      try {
        await worker.stop();
      } catch (error) {
        errors.push(error);
        deps.logger.error({ err: error, worker: worker.name }, 'worker failed to stop');
      }
    }
    try {
      await journal.flush();
    } catch (error) {
      errors.push(error);
    }
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

  return {
    state: () => state,
    journal,
    async start() {
      if (state === EngineState.Running) return;
      if (state !== EngineState.Created) throw new Error(`engine cannot start from state "${state}"`);
      state = EngineState.Running;
      interruptedRuns = await deps.backtestRuns.markStaleRunningAsFailed('interrupted: the process stopped before the run finished');
      if (interruptedRuns > 0) deps.logger.warn({ runs: interruptedRuns }, 'backtest runs were interrupted by the last stop and are marked failed');
      for (const worker of workers) await worker.start();
      flushTimer = setInterval(() => {
        journal.flush().catch(() => undefined);
      }, config.journalFlushIntervalMs);
      flushTimer.unref?.();
      deps.logger.info({ workers: workers.map((w) => w.name) }, 'engine started');
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
    runBacktest: (request, onProgress) =>
      runBacktest(
        request,
        {
          candles: deps.candles,
          journal: deps.journal,
          runs: deps.backtestRuns,
          logger: deps.logger,
          newId: deps.newId,
          vetoModel: deps.vetoModel?.() ?? null,
          journalBatchSize: config.journalBatchSize,
        },
        { onProgress },
      ),
    getBacktestRun: (id) => deps.backtestRuns.get(id),
    listBacktestRuns: (page) => deps.backtestRuns.list(page),
    interruptedRunsAtStart: () => interruptedRuns,
    importCandles: (input, onProgress) => importCandles(input, { candles: deps.candles, onProgress }),
  };
}
