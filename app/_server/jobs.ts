/**
 * Job wiring for the composition root: ticket and snapshot repositories, the job handlers, the
 * in-process runner, and — when configured — the Inngest client, functions and serve handler.
 * Called only by `buildRoot`; builds, never reads the environment.
 */
import { createPartitionRepository } from '@/db/repositories/partition-repository';
import { serve } from 'inngest/next';
import type { NextRequest } from 'next/server';
import type { Db } from '@/db/client';
import { createSnapshotRepository } from '@/db/repositories/snapshot-repository';
import { createTicketRepository } from '@/db/repositories/ticket-repository';
import type { BacktestResult } from '@/engine/backtest/run-backtest';
import type { StrategyCheckResult } from '@/engine/insight/strategy-check';
import type { Clock } from '@/engine/core/clock';
import type { JournalRepository } from '@/engine/ports/journal';
import type { Logger } from '@/engine/core/logger';
import type { PaperExchange } from '@/engine/execution/paper-exchange';
import type { AccountSnapshotSource } from '@/engine/ports/snapshots';
import { DEFAULT_ACCOUNT_ID } from '@/engine/account/account-config';
import { createInProcessJobRunner, defaultInProcessJobRunnerConfig, type InProcessJobRunner } from '@/engine/orchestrator/in-process-runner';
import { bindDurableJobHandlers, bindJobHandlers, JOB_DEFINITIONS } from '@/engine/jobs/definitions';
import type { JobServices } from '@/engine/jobs/job-definition';
import { createJobScheduler, type JobScheduler } from '@/engine/jobs/job-scheduler';
import { resolveJobSchedules } from '@/engine/jobs/job-schedules';
import type { TrainHandlerDeps } from '@/engine/ml/train-handlers';
import { createJobQueue, defaultBackoff, type JobDispatcher, type JobHandlers, type JobQueue, type TicketRepository } from '@/engine/orchestrator/job-queue';
import { createInngestClient } from '@/inngest/client';
import { createInngestJobDispatcher } from '@/inngest/job-dispatcher';
import { createInngestFunctions } from '@/inngest/job-functions';
import type { AppConfig } from './config';
import type { StrategyCatalog } from '@/engine/strategies/strategy-catalog';

/** Where the Inngest endpoint is served (app/api/inngest/route.ts); registered on sync as is. */
export const INNGEST_SERVE_PATH = '/api/inngest';

/** The Inngest side of the root (Inngest mode only). */
export interface InngestRoot {
  /** The `serve()` handler for GET (introspection), PUT (sync) and POST (run a step). */
  handler(request: Request, context: unknown): Promise<Response>;
  readonly functionIds: string[];
}

export interface Jobs {
  tickets: TicketRepository;
  handlers: JobHandlers;
  queue: JobQueue;
  /** Runs in-process tickets; in Inngest mode it only finishes tickets queued before the switch. */
  runner: InProcessJobRunner;
  /** Enqueues the scheduled kinds when they come due; idle in Inngest mode (Inngest crons run them). */
  scheduler: JobScheduler;
  inngest: InngestRoot | null;
}

export interface JobsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  journal: JournalRepository;
  exchange: PaperExchange;
  newId: () => string;
  /** The engine's runBacktest (late-bound: the engine is built after the queue). */
  runBacktest(request: unknown, onProgress?: (done: number, total: number) => void): Promise<BacktestResult>;
  /** The engine's checkStrategy (late-bound like runBacktest) for `strategy-check`. */
  checkStrategy(request: unknown, onProgress?: (done: number, total: number) => Promise<void>): Promise<StrategyCheckResult>;
  /** Candles, model storage and registry for the `train-*` jobs. */
  training: TrainHandlerDeps;
  /** The engine's runStudy (late-bound like runBacktest) for `study`. */
  runStudy?: JobServices['runStudy'];
  /** The engine's runStudySteps (late-bound): the `study` body as durable steps under Inngest. */
  runStudySteps?: JobServices['runStudySteps'];
  /** Candle storage and public venue candle sources for `download-candles`. */
  marketData: JobServices['marketData'];
  /** Wraps the handlers (timing, failure reports) before any runner sees them. */
  instrument?: (handlers: JobHandlers) => JobHandlers;
  /** The engine's strategy catalog: a queued backtest may name any of its strategies. */
  strategies?: StrategyCatalog;
}

/** Paper account `accountId` as an AccountSnapshotSource. The paper exchange cannot list positions yet, so only their count is recorded. */
export function paperAccountSource(exchange: PaperExchange, accountId: string): AccountSnapshotSource {
  return async () => ({
    accountId,
    equity: exchange.equity(),
    walletBalance: exchange.walletBalance(),
    openPositionCount: exchange.openPositionCount(),
    positions: [],
    openOrderCount: exchange.openOrders().length,
  });
}

/** Builds the job side of the application. */
export function buildJobs(config: Pick<AppConfig, 'inngest'> & Partial<Pick<AppConfig, 'jobSchedules'>>, deps: JobsDeps): Jobs {
  const tickets = createTicketRepository(deps.db);
  const snapshots = createSnapshotRepository(deps.db);
  const random = Math.random;
  // Validated at config load; the same list drives the in-process scheduler or the Inngest crons.
  const schedules = resolveJobSchedules(config.jobSchedules ?? {});
  // Every kind's body, from its one definition (engine/jobs/definitions.ts).
  const services: JobServices = {
    runBacktest: deps.runBacktest,
    checkStrategy: deps.checkStrategy,
    runStudy: deps.runStudy,
    runStudySteps: deps.runStudySteps,
    journal: deps.journal,
    snapshots,
    account: paperAccountSource(deps.exchange, DEFAULT_ACCOUNT_ID),
    clock: deps.clock,
    newId: deps.newId,
    training: deps.training,
    marketData: deps.marketData,
    partitions: createPartitionRepository(deps.db),
  };
  const plainHandlers = bindJobHandlers(services);
  const handlers = deps.instrument ? deps.instrument(plainHandlers) : plainHandlers;
  const runner = createInProcessJobRunner(defaultInProcessJobRunnerConfig, { tickets, handlers, clock: deps.clock, logger: deps.logger, random });
  let dispatcher: JobDispatcher = runner;
  let inngest: InngestRoot | null = null;
  if (config.inngest) {
    const client = createInngestClient({ id: 'aethelred', ...config.inngest });
    const functions = createInngestFunctions(client, {
      handlers,
      // Kinds with a durable body (study) fan out as steps there; they skip the instrumented wrapper.
      durableHandlers: bindDurableJobHandlers(services),
      tickets,
      clock: deps.clock,
      logger: deps.logger,
      random,
      backoff: defaultBackoff,
      newId: deps.newId,
      schedules,
    });
    const isDev = config.inngest.isDev;
    // The URL a sync registers comes from here, never from the request's Host (a caller's choice).
    const serveHandler = serve({ client, functions, servePath: INNGEST_SERVE_PATH, ...(config.inngest.serveOrigin !== undefined && { serveOrigin: config.inngest.serveOrigin }) });
    inngest = {
      handler: async (request, context) => {
        // The SDK checks a PUT's signature only for an in-band sync; an out-of-band one it answers by
        // registering unsigned. Outside dev mode a sync must at least come signed, as Inngest sends it.
        if (!isDev && request.method.toUpperCase() === 'PUT' && !request.headers.get('x-inngest-signature')) {
          return Response.json(
            { error: { code: 'unauthorized:auth', message: 'an Inngest sync (PUT /api/inngest) must carry an X-Inngest-Signature header outside dev mode (INNGEST_DEV); sync from the Inngest server or dashboard' } },
            { status: 401 },
          );
        }
        return serveHandler(request as NextRequest, context);
      },
      functionIds: functions.map((f) => f.id()),
    };
    dispatcher = createInngestJobDispatcher(client);
  }
  const queue = createJobQueue({ defaultMaxAttempts: 3 }, { tickets, clock: deps.clock, newId: deps.newId, dispatcher, definitions: JOB_DEFINITIONS, handlers, logger: deps.logger, checkContext: { strategies: deps.strategies } });
  const scheduler = createJobScheduler({ schedules: inngest ? [] : schedules }, { queue, clock: deps.clock, logger: deps.logger });
  return { tickets, handlers, queue, runner, scheduler, inngest };
}
