/**
 * `npm run bench`: backtest throughput over the real candles in ../shared/data
 * (override with AETHELRED_SHARED_DATA). Prints candles per second for:
 *   (a) a bare scan of the same typed arrays (the floor),
 *   (b) the full pipeline, column-wise (the default chunk of 4,096 candles: features, four adapters and fusion
 *       over typed columns per chunk, then the per-candle step: risk, paper fills; idle candles in one step),
 *       journal off, steady state after a warm-up of BENCH_WARMUP_MS (1.5 s), with the first run printed apart,
 *   (b1) the same with a chunk of 1 candle (the per-candle engine: features, adapters and fusion row by row),
 *   (b2) the signal stages of (b) alone (scripts/bench-signals.ts): features, the four adapters and fusion in chunks of
 *       4,096 over bounded feature columns, as the loop runs them, with no trading loop, venue, risk or metrics: the
 *       most (b) could reach if everything after the signals cost nothing,
 *   (c) the same with the journal on an embedded PGlite database (signals, then every candle),
 * and the ratio (b)/(a). Goal for (b): 10,000,000 candles/s on one core.
 *   allocation: bytes the heap allocates per candle in the loop's per-candle step (which runs the column-wise
 *       phase when a chunk is used up; garbage included) for the full pipeline on binance_BTC-USDT_5m.csv,
 *       journal off, by V8's sampling heap profiler (engine/testing/allocation-sampler.ts), over the second half
 *       of a run (steady state, after the run's loop is compiled), apart from what the candles that place or fill
 *       orders or trip a breaker allocate (ACCOUNT_EVENT_FRAMES, engine/loop/trading-loop.ts; printed next to it),
 *       and the same for a run whose fusion threshold lets no signal through (the quiet path alone). Goal: 0 per candle.
 *   (d) strategy evaluation alone on precomputed features: a rule strategy (SMA 10/30 cross, compiled
 *       from its JSON rules) versus the same strategy written by hand, candles/s each.
 *   (e) study trials/s: a 1,000-trial grid study of ma-crossover on binance_BTC-USDT_5m.csv (the candles
 *       loaded once, trials fanned out on os.availableParallelism() worker threads, each trial a full
 *       backtest with metrics only), through the engine's study service with in-memory storage.
 *       Goal: under 60 s on a 2-core machine.
 *   (f) end to end through the CLI: `backtest --decisions signals --timings` on binance_BTC-USDT_5m.csv (the
 *       longest 5m file) with the signal journal on PostgreSQL (a scratch database created on
 *       BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres, and dropped after), candles
 *       imported first (not timed); wall time from spawn to exit, the CLI's own phase split and peak RSS,
 *       against the goals 1 s and 200 MB.
 *   (g) a streamed backtest (engine/backtest/run-backtest.ts `simulatePortfolioStreamed`, one market) over BENCH_STREAM_CANDLES
 *       (default 100,000,000) 5m wave candles computed on demand (engine/testing/wave-candles.ts `createWaveCandleSource`,
 *       read in chunks of 100,000 by `streamCandleChunks`), journal off, trade totals only: candles/s and peak RSS
 *       (the process's own peak, scripts/peak-rss.ts, and process.memoryUsage().rss sampled every 1 % of the run; in a
 *       process of its own); then a streamed portfolio of
 *       two wave markets of BENCH_STREAM_PORTFOLIO_CANDLES (default 25,000,000) each, merged chunk-wise by open time:
 *       candles/s and peak RSS (sampled every 1 %). Goal: bounded memory.
 * `npm run bench -- --only rules` runs line (d) alone (on binance_BTC-USDT_5m.csv); `--only study` line (e) alone, `--only allocation` the allocation line alone, `--only pipeline` lines (a), (b), (b1), (b2) and the allocation line, `--only cli` line (f) alone, `--only stream` line (g) alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCandleCsv } from '@/engine/market/candle-csv';
import { resolveBacktest, runBacktest, simulate, simulatePortfolioStreamed } from '@/engine/backtest/run-backtest';
import { DEFAULT_CANDLE_CHUNK, streamCandleChunks } from '@/engine/market/candle-chunks';
import { createWaveCandleSource } from '@/engine/testing/wave-candles';
import { silentLogger } from '@/engine/core/clock';
import type { CandleColumns, Timeframe } from '@/engine/core/types';
import { createInMemoryCandleRepository, createInMemoryJournalRepository } from '@/engine/testing/in-memory-repositories';
import postgres from 'postgres';
import { createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';
import { createCandleRepository } from '@/db/repositories/candle-repository';
import { createJournalRepository } from '@/db/repositories/journal-repository';
import { createBacktestRunRepository } from '@/db/repositories/backtest-run-repository';
import { buildIntentDataset } from '@/engine/ml/dataset';
import { trainModel } from '@/engine/ml/model-training';
import { exportOnnx } from '@/engine/ml/onnx-export';
import { loadOnnxModel } from '@/engine/ml/onnx-model';
import { createFeatureExtractor } from '@/engine/features/feature-extractor';
import { createAdapterOutput, type StrategyAdapter } from '@/engine/strategies/strategy-adapter';
import { compileRuleStrategy } from '@/engine/strategies/rules/compile-rule-strategy';
import { createAdapterFromDefinition } from '@/engine/strategies/strategy-catalog';
import { handWrittenSmaCross, smaCrossRule } from '@/engine/testing/sma-cross-pair';
import { createInMemoryStudyRepository } from '@/engine/testing/in-memory-study-repository';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { createStudyService } from '@/engine/research/study-service';
import { createInlineTrialRunner } from '@/engine/research/trial-runner';
import type { JobQueue } from '@/engine/orchestrator/job-queue';
import { NO_STORED_SETTINGS } from '@/engine/trading/run-spec';
import { createTrialWorkerPool } from '@/app/_server/studies/trial-worker-pool';
import { sampleAllocatedBytes, sampleRunWindow } from '@/engine/testing/allocation-sampler';
import { ACCOUNT_EVENT_FRAMES, DEFAULT_BACKTEST_CHUNK_SIZE } from '@/engine/loop/trading-loop';
import { PIPELINE_STRATEGIES, pipelineFiles, pipelineRequest } from './bench-pipeline';
import { signalStages } from './bench-signals';
import { peakRssBytes } from './peak-rss';

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../shared/data');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
/** Backtests through the CLI in line (f); the median is reported. */
const CLI_RUNS = 3;

const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
if (ONLY !== undefined && ONLY !== 'rules' && ONLY !== 'study' && ONLY !== 'allocation' && ONLY !== 'cli' && ONLY !== 'pipeline' && ONLY !== 'stream') {
  console.error(
    `bench: --only takes "rules" (line (d) alone), "study" (line (e) alone), "allocation" (the allocation line alone), "pipeline" (lines (a), (b), (b1) and the allocation line), "cli" (line (f) alone) or "stream" (line (g) alone), got ${JSON.stringify(ONLY)}`,
  );
  process.exit(2);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function bareScan(c: CandleColumns): number {
  // The floor: touch every field of every candle once, as the pipeline must.
  let acc = 0;
  for (let i = 0; i < c.length; i++) acc += c.open[i] + c.high[i] - c.low[i] + c.close[i] * c.volume[i] + c.openTimeMs[i];
  return acc;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Warm-up of each pipeline measurement: runs until this much time has passed (or WARMUP_MAX_RUNS runs), then the timed ones.
 * The cap is high enough that the time decides: with a cap of 60 runs the short files (XRP-ETH, about 1.4 ms a run)
 * were timed after less than 0.1 s of warm-up, before V8 had finished compiling the loop for them (measured:
 * XRP-ETH 1.0 M candles/s after 60 runs, 1.7-1.9 M after 100-3,000 runs; UNITTEST-BTC 1.2 M and 2.1-2.3 M).
 */
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1_500);
const WARMUP_MAX_RUNS = Number(process.env.BENCH_WARMUP_MAX_RUNS ?? 1_000);

/**
 * Steady-state candles/s of a backtest `body`: the median of REPEATS runs after a warm-up of WARMUP_MS, and the rate of the
 * first run (the engine's code for this file not yet compiled for what it meets). A run builds its loop, venue and risk
 * engine anew, and V8 compiles their hot functions over the first tens of runs (each needs its own calls before the
 * optimising compiler takes it; measured on binance_BTC-USDT_5m.csv: 0.8 M candles/s on the first run, 5 M by the
 * tenth, a steady 8-10 M from about the twentieth), so one warm-up run measured mostly the compiler.
 */
async function steadyRate(candles: number, body: () => unknown, warmupMs = WARMUP_MS): Promise<{ steady: number; first: number }> {
  const started = performance.now();
  await body();
  const first = candles / ((performance.now() - started) / 1000);
  for (let r = 1; r < WARMUP_MAX_RUNS && performance.now() - started < warmupMs; r++) await body();
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await body();
    rates.push(candles / ((performance.now() - t0) / 1000));
  }
  return { steady: median(rates), first };
}

/** Runs `body` REPEATS times after one warm-up; returns median candles/s. */
async function rate(candles: number, body: () => unknown): Promise<number> {
  return (await steadyRate(candles, body, 0)).steady;
}

function request(file: { symbol: string; timeframe: Timeframe }, c: CandleColumns, decisionDetail: 'off' | 'signals' | 'all') {
  return { ...pipelineRequest(file, c.openTimeMs, decisionDetail), timeframe: file.timeframe };
}

/** Most sampling windows `benchAllocation` opens per case (see there). */
const ALLOCATION_WINDOWS = 5;

/**
 * Allocation per candle of the loop's per-candle step (stacks through `processCandle`, which includes the
 * column-wise phase), full pipeline with journal off, then with an entry threshold no fused signal reaches (no
 * order, no denial: the quiet path), then the full pipeline with both breakers out of reach (limits of 100 %: a run that
 * trades through its second half, whose order candles are also given per round trip closed in the window). The step is
 * measured over candles 50 %..95 % of a run after warm runs (each run builds new closures that V8 compiles while the
 * run starts), in up to {@link ALLOCATION_WINDOWS} windows until one counts nothing (the fewest bytes printed, with the
 * window's number); the whole run is measured as well.
 */

async function benchAllocation(btc: { file: { name: string; symbol: string; timeframe: Timeframe }; c: CandleColumns }) {
  const journal = createInMemoryJournalRepository();
  const figures: string[] = [];
  const cases = [
    ['full pipeline', 0.25, {}],
    ['no signals', 1, {}],
    ['breakers out of reach', 0.25, { risk: { maxDrawdownPct: 100, dailyLossLimitPct: 100 } }],
  ] as const;
  for (const [label, entryThreshold, limits] of cases) {
    const spec = resolveBacktest({ ...request(btc.file, btc.c, 'off'), fusion: { entryThreshold }, ...limits });
    const run = (onProgress?: (step: number, total: number) => void) => simulate(spec, btc.c, null, { journal, logger: silentLogger, newId: randomUUID }, onProgress ? { onProgress } : {});
    for (let r = 0; r < 4; r++) await run();
    let stats: Record<string, number> = { signals: 0, entries: 0, exits: 0 };
    let tradesInWindow = 0;
    const skip = new Set(ACCOUNT_EVENT_FRAMES);
    // Up to ALLOCATION_WINDOWS windows, two more warm runs before each retry, until one counts nothing (step and order
    // frames): as in the allocation test, a window may open while V8 still compiles the run's loop (unoptimised code
    // boxes numbers), which says nothing about the steady state. The window with the fewest bytes is printed.
    let window = { bytes: Infinity, skippedBytes: Infinity, steps: 0 };
    let windows = 0;
    while (windows < ALLOCATION_WINDOWS && window.bytes + window.skippedBytes > 0) {
      if (windows > 0) for (let r = 0; r < 2; r++) await run();
      windows++;
      let trades = 0;
      const next = await sampleRunWindow(
        async (onProgress) => {
          const result = await run(onProgress);
          stats = result.stats;
          // Round trips closed inside the window (candles 50 %..95 %, as the window opens and closes on progress steps).
          const from = btc.c.openTimeMs[Math.ceil(btc.c.length * 0.5)];
          const to = btc.c.openTimeMs[Math.floor(btc.c.length * 0.95)];
          trades = result.trades.filter((t) => t.exitTimeMs > from && t.exitTimeMs <= to).length;
        },
        { from: 0.5, to: 0.95, countFrame: (frame) => frame.functionName === 'processCandle', skipFrame: (frame) => skip.has(frame.functionName) },
      );
      if (next.bytes + next.skippedBytes < window.bytes + window.skippedBytes) {
        window = next;
        tradesInWindow = trades;
      }
    }
    const wholeRun = await sampleAllocatedBytes(run);
    const accountEvents =
      stats.signals > 0
        ? ` + ${(window.skippedBytes / window.steps).toFixed(1)} on the candles that place or fill orders or trip a breaker (${stats.entries} entries, ${stats.exits} exits over the run${tradesInWindow > 0 ? `; ${fmt(Math.round(window.skippedBytes / tradesInWindow))} bytes per round trip over the ${tradesInWindow} closed in the window` : ''})`
        : '';
    figures.push(
      `${label} (${stats.signals} signals): ${(window.bytes / window.steps).toFixed(1)} bytes/candle in the per-candle step${accountEvents} (candles ${fmt(window.steps)} of the run's second half, window ${windows} of at most ${ALLOCATION_WINDOWS}), ${(wholeRun / btc.c.length).toFixed(1)} for the whole run with set-up and results`,
    );
  }
  console.log(`allocation: ${figures.join('; ')} (${btc.file.name}, journal off; goal 0 bytes/candle)`);
}

/**
 * (f) A backtest through the CLI as a user runs it (`npm run cli -- backtest ...`, i.e. `node scripts/run-cli.mjs`:
 * the bundle, built by the import before it when the sources changed), journal of signals on a scratch
 * PostgreSQL database. Says plainly when PostgreSQL is not reachable.
 */
async function benchCli() {
  const file = 'binance_BTC-USDT_5m.csv';
  const csv = path.join(dataDir, file);
  if (!existsSync(csv)) {
    console.log(`(f) CLI backtest: ${csv} not found; not measured`);
    return;
  }
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `aethelred_bench_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    console.log(`(f) CLI backtest: no scratch database on ${adminUrl} (${(error as Error).message}); not measured`);
    await admin.end();
    return;
  }
  const dataDirOfRun = mkdtempSync(path.join(tmpdir(), 'aethelred-bench-cli-'));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const env = { ...process.env, DATABASE_URL: url.toString(), AETHELRED_DATA_DIR: dataDirOfRun };
  const root = path.resolve(import.meta.dirname, '..');
  const cli = path.join(root, 'scripts/run-cli.mjs');
  try {
    const imported = spawnSync(process.execPath, [cli, 'import-candles', '--file', csv, '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m'], { env, cwd: root, encoding: 'utf8' });
    if (imported.status !== 0) throw new Error(`import-candles exited ${imported.status}: ${imported.stderr.slice(-500)}`);
    const { columns } = await parseCandleCsv(csv, '5m');
    const from = new Date(columns.openTimeMs[0]).toISOString();
    const to = new Date(columns.openTimeMs[columns.length - 1] + 300_000).toISOString();
    const days = (columns.openTimeMs[columns.length - 1] - columns.openTimeMs[0]) / 86_400_000;
    const args = [cli, 'backtest', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--from', from, '--to', to, '--decisions', 'signals', '--json', '--timings'];
    /** One run as a user starts it: wall time from spawn to exit, the --timings line, the run id. */
    const runOnce = async () => {
      const t0 = performance.now();
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
        child.on('error', reject);
        child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
      });
      const wallMs = performance.now() - t0;
      const timings = /backtest timings: (.*)$/m.exec(stderr)?.[1];
      if (code !== 0 || !timings) throw new Error(`backtest exited ${code}: ${stderr.slice(-500)}`);
      return { wallMs, timings, runId: String((JSON.parse(stdout) as { runId: string }).runId) };
    };
    // Three runs, the median by wall time reported: one run on a shared machine says little.
    const runs: Awaited<ReturnType<typeof runOnce>>[] = [];
    for (let i = 0; i < CLI_RUNS; i++) runs.push(await runOnce());
    runs.sort((x, y) => x.wallMs - y.wallMs);
    const median = runs[Math.floor(runs.length / 2)];
    const rssMb = Math.max(...runs.map((r) => Number(/peak memory (\d+) MB/.exec(r.timings)?.[1])));
    const runDb = postgres(url.toString(), { max: 1, onnotice: () => undefined });
    const [{ n: journaled }] = await runDb<{ n: number }[]>`select count(*)::int as n from decision_log where run_id = ${median.runId}`.finally(() => runDb.end());
    console.log(
      `(f) CLI backtest, ${file} (${columns.length} candles, ${days.toFixed(0)} days of 5m), signal journal on PostgreSQL (${journaled} decisions), ${CLI_RUNS} runs: ` +
        `median ${fmt(median.wallMs)} ms end to end (runs ${runs.map((r) => fmt(r.wallMs)).join(', ')} ms; goal 1,000 ms: ${median.wallMs <= 1000 ? 'met' : 'NOT met'}), ` +
        `peak ${rssMb} MB (highest of the runs; goal 200 MB: ${rssMb <= 200 ? 'met' : 'NOT met'}); median run: ${median.timings}; the rest of the wall time is node's own start-up and the exit; load average ${loadavg()[0].toFixed(1)}`,
    );
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    rmSync(dataDirOfRun, { recursive: true, force: true });
  }
}

/** (d) rule strategy versus hand-written code: evaluate every row of precomputed features. */
async function benchRules(btc: { file: { name: string }; c: CandleColumns }) {
  const rule = createAdapterFromDefinition(compileRuleStrategy(smaCrossRule('bench-rule'), 1), undefined);
  const code = createAdapterFromDefinition(handWrittenSmaCross('bench-code'), undefined);
  const frame = createFeatureExtractor(rule.features, btc.c.length);
  frame.pushColumns(btc.c);
  const out = createAdapterOutput();
  // One loop per adapter, compiled from the same source text so neither inherits the other's call-site
  // feedback (a shared loop turns polymorphic after the first adapter and handicaps the second).
  const loopOf = (adapter: StrategyAdapter) =>
    new Function('adapter', 'frame', 'out', "'use strict'; return function evaluateAll() { let fired = 0; for (let i = 0; i < frame.length; i++) { adapter.evaluate(frame, i, out); fired += out.side !== 0 ? 1 : 0; } return fired; };")(
      adapter,
      frame,
      out,
    ) as () => number;
  const ruleAll = loopOf(rule);
  const codeAll = loopOf(code);
  // Alternate the two, one warm-up each, so a noisy neighbour slows both alike; median of each.
  ruleAll();
  codeAll();
  // Each sample evaluates at least 5,000,000 rows (whole passes), long enough for the timer.
  const passes = Math.max(1, Math.ceil(5_000_000 / frame.length));
  const ruleRates: number[] = [];
  const codeRates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    for (const [all, rates] of [[ruleAll, ruleRates], [codeAll, codeRates]] as const) {
      const t0 = performance.now();
      for (let p = 0; p < passes; p++) all();
      rates.push((passes * frame.length) / ((performance.now() - t0) / 1000));
    }
  }
  const ruleRate = median(ruleRates);
  const codeRate = median(codeRates);
  console.log(
    `(d) strategy evaluate, SMA 10/30 cross on ${btc.file.name}: rule strategy ${fmt(ruleRate)} candles/s, hand-written ${fmt(codeRate)} candles/s (rule/code ${(ruleRate / codeRate).toFixed(2)}; ${ruleAll()} = ${codeAll()} signals)`,
  );
}

/** (e) a 1,000-trial study on the worker-thread pool: trials per second and total seconds. */
async function benchStudy(btc: { file: { name: string; symbol: string; timeframe: Timeframe }; c: CandleColumns }) {
  const threads = availableParallelism();
  const market = { exchange: 'bench', symbol: btc.file.symbol, timeframe: btc.file.timeframe };
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles(market, btc.c);
  const catalog = createBuiltInCatalog();
  const pool = createTrialWorkerPool({ size: threads, root: path.resolve(import.meta.dirname, '..') }, { logger: silentLogger });
  const repository = createInMemoryStudyRepository();
  const clock = { nowMs: () => Date.now() };
  const jobs = { enqueue: async () => 'bench-ticket', get: async () => null } as unknown as JobQueue;
  const study = createStudyService({
    repository,
    candles,
    jobs: () => jobs,
    catalog,
    storedSettings: async () => NO_STORED_SETTINGS,
    tradingSettings: { get: () => Promise.reject(new Error('not in the bench')), update: () => Promise.reject(new Error('not in the bench')) },
    runner: threads > 1 ? pool : createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }),
    clock,
    logger: silentLogger,
    newId: randomUUID,
  });
  try {
    // 50 fast × 20 slow periods = 1,000 candidates, every one valid (fast < slow).
    const { studyId } = await study.enqueue(
      {
        exchange: 'bench',
        symbol: btc.file.symbol,
        timeframe: btc.file.timeframe,
        from: btc.c.openTimeMs[0],
        to: btc.c.openTimeMs[btc.c.length - 1] + 1,
        strategy: 'ma-crossover',
        space: { fastPeriod: { min: 5, max: 54 }, slowPeriod: { min: 60, max: 250, step: 10 }, atrPeriod: 14, atrStopMultiple: 2 },
        method: 'grid',
        objective: 'sharpe',
      },
      { userId: 'bench' },
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await study.run(studyId, { ticketId: 'bench-ticket', signal: new AbortController().signal, reportProgress: async () => undefined });
    const seconds = (performance.now() - t0) / 1000;
    // CPU time of every thread of the process: on a machine shared with other work the wall time
    // overstates the cost, while CPU time / threads is what an idle machine with that many cores would take.
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const view = await study.get(studyId);
    console.log(
      `(e) study trials/s: ${(result.trials / seconds).toFixed(1)} trials/s, ${result.trials} trials in ${seconds.toFixed(1)} s on ${threads} thread${threads === 1 ? '' : 's'} ` +
        `(ma-crossover grid on ${btc.file.name}, ${fmt(btc.c.length)} candles each; goal: 1,000 in under 60 s; PBO ${view.overfitting?.pbo ? (view.overfitting.pbo.value * 100).toFixed(1) + '%' : 'n/a'}); ` +
        `CPU time ${cpuSeconds.toFixed(1)} s, so about ${(cpuSeconds / threads).toFixed(1)} s on ${threads} idle core${threads === 1 ? '' : 's'}`,
    );
  } finally {
    await pool.stop();
  }
}

/**
 * Line (g): a streamed backtest over BENCH_STREAM_CANDLES wave candles, then a streamed portfolio of two wave markets of
 * BENCH_STREAM_PORTFOLIO_CANDLES each; candles/s and peak RSS of each.
 */
async function benchStream(): Promise<void> {
  const countOf = (name: string, fallback: number) => {
    const count = Number(process.env[name] ?? fallback);
    if (!(Number.isSafeInteger(count) && count >= 1)) {
      console.error(`bench: ${name} must be a whole number of candles >= 1, got ${JSON.stringify(process.env[name])}`);
      process.exit(2);
    }
    return count;
  };
  const single = countOf('BENCH_STREAM_CANDLES', 100_000_000);
  const perMarket = countOf('BENCH_STREAM_PORTFOLIO_CANDLES', 25_000_000);
  const startMs = Date.UTC(2000, 0, 1);
  const run = async (symbols: string[], count: number) => {
    const keys = symbols.map((symbol) => ({ exchange: 'bench', symbol, timeframe: '5m' as const }));
    // RSI mean reversion trades the wave every ~40 candles and wins, so the account trades to the end (the four strategies
    // of the other lines lose on it and are wiped out within a million candles, after which the run is the halted path).
    const spec = resolveBacktest({
      exchange: 'bench',
      ...(keys.length === 1 ? { symbol: symbols[0] } : { symbols }),
      timeframe: '5m',
      from: startMs,
      to: startMs + count * 300_000,
      strategies: ['rsi-mean-reversion'],
      fusion: { entryThreshold: 0.25 },
      // Room for a position in each market of a portfolio (the defaults allow one position at 95 % of equity).
      ...(keys.length === 1 ? {} : { risk: { maxOpenPositions: keys.length, maxSymbolExposurePct: 90 / keys.length } }),
      decisionDetail: 'off',
    });
    // The second market's wave is a third of a period later (phase 2 of 2π·6 candles), so the two trade at different times.
    const markets = keys.map((key, m) => ({
      chunks: streamCandleChunks(createWaveCandleSource(key, { count, startMs, phase: 2 * m }), key, spec.fromMs, spec.toMs, DEFAULT_CANDLE_CHUNK),
      expectedCandles: count,
    }));
    let peakRss = process.memoryUsage().rss;
    const t0 = performance.now();
    const result = await simulatePortfolioStreamed(spec, markets, null, { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: randomUUID }, {
      keepTrades: false,
      onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
    });
    return { result, seconds: (performance.now() - t0) / 1000, peakRss };
  };
  const one = await run(['WAVE/USDT'], single);
  // The process's peak so far (its own, scripts/peak-rss.ts): read after the first run only, the portfolio's peak is the
  // sampled one. `npm run bench` runs this line in a process of its own, so the lines before it do not count.
  const maxRss = Math.max(one.peakRss, peakRssBytes());
  console.log(
    `(g) streamed backtest: ${fmt(one.result.candles / one.seconds)} candles/s over ${fmt(one.result.candles)} wave candles (${one.seconds.toFixed(1)} s, ${fmt(one.result.tradeMetrics.trades)} trades, chunks of ${fmt(DEFAULT_CANDLE_CHUNK)}); peak RSS ${(maxRss / 1e6).toFixed(0)} MB`,
  );
  const two = await run(['WAVE/USDT', 'TIDE/USDT'], perMarket);
  console.log(
    `(g) streamed portfolio of 2 markets: ${fmt(two.result.candles / two.seconds)} candles/s over ${fmt(two.result.candles)} wave candles (2 x ${fmt(perMarket)}, ${two.seconds.toFixed(1)} s, ${fmt(two.result.tradeMetrics.trades)} trades, correlation ${two.result.portfolio!.correlation.matrix[0][1]?.toFixed(3) ?? 'n/a'}); peak RSS ${(two.peakRss / 1e6).toFixed(0)} MB (sampled every 1 %)`,
  );
}

async function main() {
  if (ONLY === 'stream') {
    await benchStream();
    return;
  }
  if (!existsSync(dataDir)) {
    console.log(`bench: shared data not found at ${dataDir} (set AETHELRED_SHARED_DATA); nothing measured`);
    return;
  }
  const files = pipelineFiles(dataDir).map((f) => ({ ...f, timeframe: f.timeframe as Timeframe }));
  if (ONLY === 'study') {
    const btc = files.find((f) => f.name === 'binance_BTC-USDT_5m.csv');
    if (!btc) {
      console.log(`bench: binance_BTC-USDT_5m.csv not found in ${dataDir}; study trials/s not measured`);
      return;
    }
    const { columns } = await parseCandleCsv(path.join(dataDir, btc.name), btc.timeframe);
    await benchStudy({ file: btc, c: columns });
    return;
  }
  if (ONLY === 'rules') {
    const btc = files.find((f) => f.name === 'binance_BTC-USDT_5m.csv') ?? files[0];
    const { columns } = await parseCandleCsv(path.join(dataDir, btc.name), btc.timeframe);
    console.log(`bench --only rules: median of ${REPEATS} runs after a warm-up`);
    await benchRules({ file: btc, c: columns });
    return;
  }
  if (ONLY === 'cli') {
    await benchCli();
    return;
  }
  if (ONLY === 'allocation') {
    const btc = files.find((f) => f.name === 'binance_BTC-USDT_5m.csv') ?? files[0];
    const { columns } = await parseCandleCsv(path.join(dataDir, btc.name), btc.timeframe);
    await benchAllocation({ file: btc, c: columns });
    return;
  }
  console.log(
    `bench: ${files.length} files from ${dataDir}; (a) median of ${REPEATS} runs after one warm-up, (b), (b2) and (b1) median of ${REPEATS} runs after a warm-up of ${fmt(WARMUP_MS)} ms (at most ${WARMUP_MAX_RUNS} runs), with (b)'s first run (not yet compiled) apart; strategies ${PIPELINE_STRATEGIES.join(', ')}`,
  );
  console.log('file                              candles   (a) bare scan   (b) column-wise pipeline   (b)/(a)   (b) first run   (b1) per-candle, chunk 1   (b2) signal stages alone');
  let totalCandles = 0;
  let totalA = 0;
  let totalB = 0;
  let totalB1 = 0;
  let totalFirst = 0;
  let totalB2 = 0;
  // Every file is parsed before any is timed. Parsed between two files' runs (tens of thousands of row objects, garbage
  // collections in which no engine code runs), the next file's runs started with the engine's compiled code gone:
  // measured, a file timed again right after parsing another ran at a third of its speed for several runs, and at full
  // speed at once when nothing was parsed in between. The line measures the engine, not V8 compiling it anew.
  const loaded: { file: (typeof files)[number]; c: CandleColumns }[] = [];
  for (const file of files) loaded.push({ file, c: (await parseCandleCsv(path.join(dataDir, file.name), file.timeframe)).columns });
  for (const { file, c } of loaded) {
    const spec = resolveBacktest(request(file, c, 'off'));
    const journal = createInMemoryJournalRepository();
    let sink = 0;
    const a = await rate(c.length, () => {
      sink += bareScan(c);
    });
    const { steady: b, first: bFirst } = await steadyRate(c.length, () => simulate(spec, c, null, { journal, logger: silentLogger, newId: randomUUID }));
    // (b2) right after (b): the same chunked code paths, before (b1)'s one-row ranges teach V8 other ones.
    const signals = signalStages(spec, c);
    const { steady: b2Rate } = await steadyRate(c.length, () => {
      sink += signals();
    });
    const { steady: b1 } = await steadyRate(c.length, () => simulate({ ...spec, chunkSize: 1 }, c, null, { journal, logger: silentLogger, newId: randomUUID }));
    if (sink === 42) console.log('');
    totalCandles += c.length;
    totalA += c.length / a;
    totalB += c.length / b;
    totalB1 += c.length / b1;
    totalFirst += c.length / bFirst;
    totalB2 += c.length / b2Rate;
    console.log(
      `${file.name.padEnd(32)} ${String(c.length).padStart(8)}   ${fmt(a).padStart(13)} candles/s   ${fmt(b).padStart(13)} candles/s   ${(b / a).toFixed(4)}   ${fmt(bFirst).padStart(11)} candles/s   ${fmt(b1).padStart(13)} candles/s   ${fmt(b2Rate).padStart(13)} candles/s`,
    );
  }
  const overallA = totalCandles / totalA;
  const overallB = totalCandles / totalB;
  const overallB1 = totalCandles / totalB1;
  const overallFirst = totalCandles / totalFirst;
  const overallB2 = totalCandles / totalB2;
  console.log(
    `all files                        ${String(totalCandles).padStart(8)}   ${fmt(overallA).padStart(13)} candles/s   ${fmt(overallB).padStart(13)} candles/s   ${(overallB / overallA).toFixed(4)}   ${fmt(overallFirst).padStart(11)} candles/s   ${fmt(overallB1).padStart(13)} candles/s   ${fmt(overallB2).padStart(13)} candles/s`,
  );
  console.log(
    `(b) full pipeline, column-wise, steady state: ${fmt(overallB)} candles/s (goal 10,000,000 candles/s: ${overallB >= 10_000_000 ? 'met' : 'NOT met'}), ${(overallB / overallA).toFixed(4)} of the bare scan; first run of each file ${fmt(overallFirst)} candles/s; per-candle engine (chunk 1) ${fmt(overallB1)} candles/s`,
  );
  console.log(
    `(b2) signal stages alone (features, ${PIPELINE_STRATEGIES.length} adapters and fusion in chunks of ${fmt(DEFAULT_BACKTEST_CHUNK_SIZE)}, no trading loop): ${fmt(overallB2)} candles/s, ${(totalB2 / totalB).toFixed(2)} of (b)'s time: the most (b) could reach if every step after the signals cost nothing (goal 10,000,000 for (b): ${overallB2 >= 10_000_000 ? 'within reach of the signal stages' : 'out of reach of the signal stages alone'})`,
  );

  // (c) journal on PGlite: the real run path (run row, batched journal, completion).
  const btc = loaded.find((l) => l.file.name === 'binance_BTC-USDT_5m.csv') ?? loaded[0];
  // In a process of its own (as `--only allocation`): after the pipeline lines, V8's compiled code carries what seven
  // files and two chunk sizes taught it, and a window here measured that history (up to ~100 bytes per round trip),
  // not the engine's steady state on one file.
  const allocation = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--only', 'allocation'], { cwd: process.cwd(), env: process.env, encoding: 'utf8' });
  if (allocation.status !== 0) throw new Error(`the allocation line's process exited ${allocation.status}: ${allocation.stderr.slice(-500)}`);
  process.stdout.write(allocation.stdout);
  if (ONLY === 'pipeline') return;

  await benchRules(btc);
  if (btc.file.name === 'binance_BTC-USDT_5m.csv') await benchStudy(btc);
  else console.log(`(e) study trials/s: binance_BTC-USDT_5m.csv not found in ${dataDir}; not measured`);
  const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-bench-'));
  const database = await createDatabase({ dataDir: dir });
  try {
    await migrateDatabase(database);
    const deps = {
      candles: createCandleRepository(database.db),
      journal: createJournalRepository(database.db),
      runs: createBacktestRunRepository(database.db),
      logger: silentLogger,
      newId: randomUUID,
    };
    for (const detail of ['signals', 'all'] as const) {
      const t0 = performance.now();
      const result = await runBacktest(request(btc.file, btc.c, detail), deps, { preloaded: btc.c });
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `(c) journal on PGlite, decisions=${detail}: ${fmt(btc.c.length / seconds)} candles/s (${btc.file.name}, ${result.stats.decisions} decisions, ${result.trades.length} trades, ${seconds.toFixed(2)} s)`,
      );
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // ML: training the intent-veto model on the 5m BTC/USDT file, then ONNX inference latency.
  const t0 = performance.now();
  const dataset = buildIntentDataset(btc.c, { timeframe: btc.file.timeframe, horizon: 24 });
  const trained = await trainModel('intent-veto', dataset, { folds: 5, seed: 7 });
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(
    `veto training: ${trainSeconds.toFixed(2)} s on ${btc.file.name} (${dataset.rows} rows x ${dataset.featureNames.length} features, 5 walk-forward folds; validation AUC ${trained.metrics.auc?.toFixed(4)})`,
  );
  const model = await loadOnnxModel(exportOnnx(trained.model, { kind: 'intent-veto' }));
  try {
    const features = dataset.featureNames.length;
    const one = dataset.x.slice(0, features);
    for (let i = 0; i < 200; i++) await model.predict(one, 1);
    const micros: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const start = performance.now();
      await model.predict(one, 1);
      micros.push((performance.now() - start) * 1000);
    }
    micros.sort((a, b) => a - b);
    console.log(`veto inference, batch 1: median ${micros[Math.floor(micros.length / 2)].toFixed(1)} µs, p99 ${micros[Math.floor(micros.length * 0.99)].toFixed(1)} µs (onnxruntime-node)`);
    const batch = 1_024;
    const x = dataset.x.slice(0, batch * features);
    const reps = 200;
    const start = performance.now();
    for (let i = 0; i < reps; i++) await model.predict(x, batch);
    const perSecond = (batch * reps) / ((performance.now() - start) / 1000);
    console.log(`veto inference, batch 1024: ${fmt(perSecond)} predictions/s`);
  } finally {
    await model.release();
  }
  await benchCli();
  // In a process of its own (as `--only stream`): this process's peak memory holds the lines before it (veto training,
  // PGlite), which the streamed run's peak must not.
  const stream = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--only', 'stream'], { cwd: process.cwd(), env: process.env, encoding: 'utf8' });
  if (stream.status !== 0) throw new Error(`the streamed line's process exited ${stream.status}: ${stream.stderr.slice(-500)}`);
  process.stdout.write(stream.stdout);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
