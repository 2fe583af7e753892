/**
 * Aethelred command line: `npm run cli -- <command> [flags]`.
 * Exit codes: 0 success, 1 unexpected failure, 2 bad input (the message names the flag and value),
 * 3 a check that found problems (`strategies check`).
 */
import pino from 'pino';
import type { Root } from '@/app/_server/root';
import type { Engine } from '@/engine/engine';
import type { StartupSplit } from './commands/backtest';
import { peakRssBytes } from './peak-rss';
import { loadConfig, ConfigError } from '@/app/_server/config';

const usage = `usage: npm run cli -- <command> [flags]

commands:
  import-candles --file F.csv[.gz] --exchange binance --symbol BTC/USDT --timeframe 5m
  download-candles --exchange binance --symbol BTC/USDT --timeframe 5m --since 2024-01-01 [--until 2024-02-01]
  backtest       --exchange binance (--symbol BTC/USDT | --symbols BTC/USDT,ETH/USDT | --symbols all) --timeframe 5m --from 2024-01-01 --to 2024-03-01
                 [--strategies ma-crossover,rsi-mean-reversion] [--account default] [--config params.json] [--exits exits.json] [--json]
  live           run --exchange binance --symbol BTC/USDT --timeframe 5m [--strategies ma-crossover] [--account ID]
                 [--mode replay --from 2024-01-01 [--speed 50|max]] [--live-trading] | list [--json]
  accounts       list | show --id ID | create ... | halt|resume (--id ID | --all) --reason R | close --id ID --symbol S [--amount A]
  runs           [--limit 20] [--json]            list backtest runs, newest first
  studies        run --exchange binance --symbol BTC/USDT --timeframe 1h --from 2024-01-01 --to 2024-07-01 --strategy ma-crossover
                 [--space '{"fastPeriod":{"min":5,"max":30,"step":5}}'|space.json] [--method grid|random|halving] [--trials 100] [--seed 1]
                 [--objective sharpe|sortino|calmar|profitFactor|netProfit] [--min-trades 1] [--max-trials 10000]
                 [--walk-forward rolling:90:30[:STEP]] [--account default] [--json]   runs it here, trials on worker threads
  studies        list [--json] | show --id ID [--top 10] [--json] | cancel --id ID | apply --id ID
  strategies     [list] [--json]                  list the strategy catalog (built-in, file, rule): source, version, hash, defaults
  strategies     check --strategy ema-trend [--params params.json] --exchange binance --symbol BTC/USDT --timeframe 1h
                 [--from 2024-01-01] [--to 2024-03-01] [--tolerance 0.001] [--json]
                 look-ahead and recursion check; exit code 3 when it finds either
  metrics        --returns returns.csv --periods-per-year 365 [--risk-free 0] [--json]
  enqueue        --kind daily-snapshot [--params '{...}'] [--max-attempts 3] [--wait]
  jobs           [--status queued] [--kind backtest] [--limit 20] [--json]
  migrate        [--check]                        apply the migrations the database lacks (traders and workers never migrate on start);
                 --check applies nothing and exits 3 while some are missing
  create-admin   --email a@b.c --password PASSWORD [--name NAME]        first-run bootstrap
  create-user    --email a@b.c --password PASSWORD --role viewer|trader|admin [--name NAME]
  create-token   --email a@b.c --role viewer|trader|admin [--name NAME]    API token, printed once
`;

const io = {
  stdout: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  stderr: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

/** The JSON log goes to stderr, so stdout carries only the command's output (`--json`, a token) for pipes. */
const logDestination = () => pino.destination({ fd: 2, sync: true });

/** Tells once that runs a stopped process left behind were marked failed when the engine started. */
function noteInterruptedRuns(engine: Engine): void {
  const interrupted = engine.interruptedRunsAtStart();
  if (interrupted > 0) {
    io.stderr(`note: ${interrupted} backtest run${interrupted === 1 ? ' was' : 's were'} interrupted before finishing (crash or kill) and ${interrupted === 1 ? 'is' : 'are'} now marked failed; see \`npm run cli -- runs\``);
  }
}

/**
 * Builds the whole application for one command (team access, jobs, notifications: what `accounts`,
 * `studies`, `jobs` and the user commands need). Background workers (the job runner, the notifier) stay
 * off unless the command needs them (`enqueue --wait` runs its job in this process).
 */
async function withRoot(body: (root: Root) => Promise<number>, options: { workers?: boolean } = {}): Promise<number> {
  const config = loadConfig(process.env, process.cwd());
  const { buildRoot } = await import('@/app/_server/root');
  const root = await buildRoot(config, { logDestination: logDestination() });
  try {
    await root.start({ workers: options.workers ?? false });
    noteInterruptedRuns(root.engine);
    return await body(root);
  } finally {
    await root.stop();
  }
}

/**
 * Builds the engine alone for a command that only calls it (backtest, import-candles, runs, strategies):
 * no team access, jobs, notifications, metrics or venue libraries are loaded, so it starts in a fraction
 * of the time and memory.
 */
async function withEngine(body: (engine: Engine, startup: StartupSplit) => Promise<number>): Promise<number> {
  const config = loadConfig(process.env, process.cwd());
  const { buildEngineRoot } = await import('@/app/_server/engine-root');
  // performance.now() counts from the process start: everything until here is loading code.
  const modulesMs = performance.now();
  const root = await buildEngineRoot(config, { logDestination: logDestination() });
  try {
    await root.start();
    noteInterruptedRuns(root.engine);
    return await body(root.engine, { modulesMs, engineMs: performance.now() - modulesMs });
  } finally {
    await root.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'import-candles': {
      const { runImportCandlesCommand } = await import('./commands/import-candles');
      return withEngine((engine) => runImportCandlesCommand(args, { importCandles: engine.importCandles, progressStream: process.stderr, ...io }));
    }
    case 'download-candles': {
      const { runDownloadCandlesCommand } = await import('./commands/download-candles');
      return withEngine((engine) => runDownloadCandlesCommand(args, { downloadCandles: engine.downloadCandles, progressStream: process.stderr, ...io }));
    }
    case 'backtest': {
      const { runBacktestCommand } = await import('./commands/backtest');
      // performance.now() counts from the process start; the peak memory is this process's own (see scripts/peak-rss.ts).
      const processClock = (startup: StartupSplit) => ({
        nowMs: () => performance.now(),
        maxRssBytes: peakRssBytes,
        cpuMs: () => {
          const { user, system } = process.cpuUsage(); // microseconds
          return (user + system) / 1000;
        },
        startup,
      });
      return withEngine((engine, startup) => runBacktestCommand(args, { runBacktest: engine.runBacktest, progressStream: process.stderr, process: processClock(startup), ...io }));
    }
    case 'live': {
      const { runLiveCommand } = await import('./commands/live');
      const untilInterrupted = () => new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      return withRoot((root) => runLiveCommand(args, { engine: root.engine, untilInterrupted, ...io }));
    }
    case 'accounts': {
      const { runAccountsCommand } = await import('./commands/accounts');
      const { ActorKind, AuditOutcome } = await import('@/db/repositories/audit-repository');
      return withRoot((root) =>
        runAccountsCommand(args, {
          accounts: root.engine.accounts,
          audit: (action, target, after) =>
            root.auth.recordAudit({ actorId: null, actorEmail: null, actorKind: ActorKind.Cli, action, target, outcome: AuditOutcome.Ok, before: null, after }),
          ...io,
        }),
      );
    }
    case 'strategies': {
      if (args[0] === 'check') {
        const { runStrategiesCommand } = await import('./commands/strategies');
        return withEngine((engine) => runStrategiesCommand(args, { checkStrategy: engine.checkStrategy, ...io }));
      }
      const { runStrategiesListCommand } = await import('./commands/strategies-list');
      return withEngine((engine) => runStrategiesListCommand(args[0] === 'list' ? args.slice(1) : args, { describeStrategies: engine.describeStrategies, ...io }));
    }
    case 'studies': {
      const { runStudiesCommand } = await import('./commands/studies');
      const { ActorKind, AuditOutcome } = await import('@/db/repositories/audit-repository');
      return withRoot(
        (root) =>
          runStudiesCommand(args, {
            studies: root.engine.studies,
            audit: (action, target, after) =>
              root.auth.recordAudit({ actorId: null, actorEmail: null, actorKind: ActorKind.Cli, action, target, outcome: AuditOutcome.Ok, before: null, after }),
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
            progressStream: process.stderr,
            ...io,
          }),
        // `studies run` runs its study in this process: the job runner (and the trial threads) must be up.
        { workers: args[0] === 'run' },
      );
    }
    case 'runs': {
      const { runRunsCommand } = await import('./commands/runs');
      return withEngine((engine) => runRunsCommand(args, { listBacktestRuns: engine.listBacktestRuns, ...io }));
    }
    case 'create-admin':
    case 'create-user': {
      const { runCreateUserCommand } = await import('./commands/create-user');
      return withRoot((root) => runCreateUserCommand(args, { auth: root.auth, ...io }, command === 'create-admin' ? 'admin' : undefined));
    }
    case 'create-token': {
      const { runCreateTokenCommand } = await import('./commands/create-token');
      return withRoot((root) => runCreateTokenCommand(args, { auth: root.auth, ...io }));
    }
    case 'enqueue':
    case 'jobs': {
      const { runEnqueueCommand, runJobsCommand } = await import('./commands/jobs');
      const run = command === 'enqueue' ? runEnqueueCommand : runJobsCommand;
      return withRoot(
        (root) => run(args, { enqueue: root.engine.enqueue, getTicket: root.engine.getTicket, listTickets: root.engine.listTickets, ...io }),
        { workers: command === 'enqueue' && args.includes('--wait') },
      );
    }
    case 'migrate': {
      const { runMigrateCommand } = await import('./commands/migrate');
      const { createDatabase } = await import('@/db/client');
      const { migrateDatabase, migrationStatus, migrationsFolderIn } = await import('@/db/migrate');
      const config = loadConfig(process.env, process.cwd());
      const database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema });
      // `npm run cli` runs a bundle kept under node_modules/.cache: the folder is the project's, not the bundle's neighbour.
      const folder = { migrationsFolder: migrationsFolderIn(config.appRoot) };
      try {
        return await runMigrateCommand(args, { status: () => migrationStatus(database, folder), migrate: () => migrateDatabase(database, folder), ...io });
      } finally {
        await database.close();
      }
    }
    case 'metrics': {
      const { runMetricsCli } = await import('./commands/metrics-cli');
      return runMetricsCli(args, io);
    }
    case undefined:
    case 'help':
    case '--help':
      io.stdout(usage);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      io.stderr(error.message);
      process.exit(2);
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
