import type {
  CandleRepository,
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
    importCandles: (input, onProgress) => importCandles(input, { candles: deps.candles, onProgress }),
  };
}
