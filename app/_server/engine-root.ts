/**
 * The engine alone, for one-shot CLI commands that only call the engine (backtest, import-candles,
 * runs, strategies): the trading core of the composition root and `createEngine`, nothing else. No team
 * access, metrics, notifications, job runner, live sessions or workers, so none of their libraries (better-auth,
 * Inngest, prom-client, ccxt) load; real venues are refused (no command here trades on one).
 */
import type pino from 'pino';
import type { Database } from '@/db/client';
import { createEngine, type Engine } from '@/engine/engine';
import type { AppConfig } from './config';
import { buildTradingCore, openRootStorage, type RootHooks } from './trading-core';

/** The built engine of a one-shot command and its lifecycle. */
export interface EngineRoot {
  readonly config: AppConfig;
  readonly database: Database;
  readonly engine: Engine;
  readonly logger: pino.Logger;
  /** Starts the engine without workers (rule strategies loaded, runs a dead process left marked failed). */
  start(): Promise<void>;
  /** Flushes the journal, closes the models and the database; idempotent. */
  stop(): Promise<void>;
}

/** Builds the engine from a validated config: opens and migrates the database, loads accounts, models and strategy files. */
export async function buildEngineRoot(config: AppConfig, hooks: RootHooks = {}): Promise<EngineRoot> {
  const storage = await openRootStorage(config, hooks);
  const core = await buildTradingCore(storage, config, {
    venues: async (venueId) => ({ ok: false, reason: `this command does not connect to real venues ("${venueId}"); run it through the server` }),
  });
  const engine = createEngine(core.engineDeps, core.engineConfig);
  let stopped: Promise<void> | null = null;
  return {
    config,
    database: storage.database,
    engine,
    logger: storage.logger,
    start: () => engine.start({ workers: false }),
    stop() {
      stopped ??= (async () => {
        try {
          await engine.stop();
        } finally {
          await core.models.close();
          await storage.database.close();
        }
      })();
      return stopped;
    },
  };
}
