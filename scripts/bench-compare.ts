/**
 * `npm run bench:compare -- <git ref>`: line (b) of `npm run bench` (the full pipeline, column-wise, journal off) for
 * the engine of `<git ref>` and of the working tree, run by run in turns in one process, so both meet the same load.
 *
 * On a shared or virtual machine two bench runs minutes apart differ by up to 40 % (measured on 2026-12-06: the same
 * commit gave 3.4 M and 2.4 M candles/s over the files, and even the bare scan moved between 120 M and 200 M), which
 * hides any change smaller than that. Taking turns run by run puts both engines under the same load, so their ratio
 * holds where their absolute figures do not.
 *
 * How: `<git ref>` is checked out as a detached worktree in `.bench-compare/` (removed afterwards; inside this
 * repository so its engine resolves its packages from this node_modules), both engines are imported side by side (the
 * engine imports relatively, so each tree's modules stay apart), the files of `npm run bench` are parsed once per engine,
 * and each file is run `BENCH_COMPARE_ROUNDS` (default 60) times per engine in alternating order; the first
 * `BENCH_COMPARE_WARMUP` (default 20) rounds are not counted (compilation). This happens in `BENCH_COMPARE_PROCESSES`
 * (default 3) fresh processes one after the other: V8 compiles a hot function one way or another from one process to
 * the next, and one process's ratio swung by up to 15 % on a file (measured 2026-12-06: the same change gave 0.98x and
 * 1.11x over the files in two processes). Prints each file's median candles/s per engine and ratio in each process,
 * then per file the median ratio of the processes and its range, and the same over all files (total candles / total
 * of the medians). Needs ../shared/data (or AETHELRED_SHARED_DATA); the engine API used (`resolveBacktest`,
 * `simulate`, `parseCandleCsv`) must exist in `<git ref>`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { pipelineFiles, pipelineRequest, type PipelineFile } from './bench-pipeline';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(root, '../shared/data');
const ROUNDS = positiveInteger('BENCH_COMPARE_ROUNDS', 60);
const WARMUP = positiveInteger('BENCH_COMPARE_WARMUP', 20);
const PROCESSES = positiveInteger('BENCH_COMPARE_PROCESSES', 3);
/** Set in the processes the parent starts: the base engine's worktree and its label; they print one JSON line of results. */
const CHILD_TREE = process.env.BENCH_COMPARE_CHILD_TREE;
if (!(ROUNDS > WARMUP)) {
  console.error(`bench:compare: BENCH_COMPARE_ROUNDS (${ROUNDS}) must exceed BENCH_COMPARE_WARMUP (${WARMUP}), or no run is counted`);
  process.exit(2);
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!(Number.isInteger(value) && value >= 1)) {
    console.error(`bench:compare: ${name} must be an integer >= 1, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

/** One engine's entry points, imported from a tree. */
interface Engine {
  label: string;
  runs: { name: string; candles: number; run: () => Promise<unknown> }[];
}

async function loadEngine(label: string, tree: string, files: PipelineFile[]): Promise<Engine> {
  const load = async (rel: string) => import(pathToFileURL(path.join(tree, rel)).href);
  const { resolveBacktest, simulate } = await load('engine/backtest/run-backtest.ts');
  const { parseCandleCsv } = await load('engine/market/candle-csv.ts');
  const { silentLogger } = await load('engine/core/clock.ts');
  const { createInMemoryJournalRepository } = await load('engine/testing/in-memory-repositories.ts');
  const runs: Engine['runs'] = [];
  for (const file of files) {
    const { columns } = await parseCandleCsv(path.join(dataDir, file.name), file.timeframe);
    const spec = resolveBacktest(pipelineRequest(file, columns.openTimeMs, 'off'));
    const deps = { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: randomUUID };
    runs.push({ name: file.name, candles: columns.length, run: () => simulate(spec, columns, null, deps) });
  }
  return { label, runs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const fmt = (candlesPerMs: number) => `${(candlesPerMs / 1000).toFixed(2)} M/s`;

/** Per file of one process: candles and the median ms of each engine. */
interface FileResult {
  name: string;
  candles: number;
  a: number;
  b: number;
}

/** In a child process: both engines, every file, rounds in turns; returns each file's medians. */
async function measure(tree: string, label: string): Promise<FileResult[]> {
  const files = pipelineFiles(dataDir);
  const base = await loadEngine(label, tree, files);
  const current = await loadEngine('working tree', root, files);
  const results: FileResult[] = [];
  for (let f = 0; f < files.length; f++) {
    const timesA: number[] = [];
    const timesB: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which goes first, so neither always runs right after the other's garbage.
      const order: [Engine, number[]][] = round % 2 === 0 ? [[base, timesA], [current, timesB]] : [[current, timesB], [base, timesA]];
      for (const [engine, times] of order) {
        const started = performance.now();
        await engine.runs[f].run();
        if (round >= WARMUP) times.push(performance.now() - started);
      }
    }
    results.push({ name: files[f].name, candles: base.runs[f].candles, a: median(timesA), b: median(timesB) });
  }
  return results;
}

const ratioRange = (ratios: number[]) => `${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`;

async function main(): Promise<void> {
  if (CHILD_TREE !== undefined) {
    process.stdout.write(`${JSON.stringify(await measure(CHILD_TREE, process.env.BENCH_COMPARE_CHILD_LABEL ?? 'base'))}\n`);
    return;
  }
  const ref = process.argv[2];
  if (!ref || ref.startsWith('-')) {
    console.error('usage: npm run bench:compare -- <git ref>   (e.g. HEAD~3, main, a commit)');
    process.exit(2);
  }
  if (!existsSync(dataDir)) {
    console.log(`bench:compare: ${dataDir} not found (set AETHELRED_SHARED_DATA); nothing measured`);
    return;
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const files = pipelineFiles(dataDir);
  mkdirSync(path.join(root, '.bench-compare'), { recursive: true });
  const tree = path.join(root, '.bench-compare', commit.slice(0, 12));
  if (existsSync(tree)) git('worktree', 'remove', '--force', tree);
  git('worktree', 'add', '--detach', tree, commit);
  const label = `${ref} (${commit.slice(0, 9)})`;
  try {
    console.log(
      `bench:compare: full pipeline, journal off, ${files.length} files; A = ${label}, B = working tree; in each of ${PROCESSES} processes, per file the median of ${ROUNDS - WARMUP} runs each after ${WARMUP} warm-up rounds, A and B in turns`,
    );
    const processes: FileResult[][] = [];
    for (let p = 0; p < PROCESSES; p++) {
      const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]], {
        cwd: process.cwd(),
        env: { ...process.env, BENCH_COMPARE_CHILD_TREE: tree, BENCH_COMPARE_CHILD_LABEL: label },
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
      if (child.status !== 0) throw new Error(`bench:compare: process ${p + 1} exited ${child.status}: ${child.stderr.slice(-1000)}`);
      const results = JSON.parse(child.stdout.trim().split('\n').pop()!) as FileResult[];
      processes.push(results);
      let candles = 0;
      let a = 0;
      let b = 0;
      console.log(`process ${p + 1} of ${PROCESSES}:`);
      for (const r of results) {
        candles += r.candles;
        a += r.a;
        b += r.b;
        console.log(`  ${r.name.padEnd(30)} ${String(r.candles).padStart(7)}   A ${fmt(r.candles / r.a).padStart(10)}   B ${fmt(r.candles / r.b).padStart(10)}   B/A ${(r.a / r.b).toFixed(3)}`);
      }
      console.log(`  ${'all files'.padEnd(30)} ${String(candles).padStart(7)}   A ${fmt(candles / a).padStart(10)}   B ${fmt(candles / b).padStart(10)}   B/A ${(a / b).toFixed(3)}`);
    }
    console.log(`B/A per file, median of the ${PROCESSES} processes (range):`);
    for (let f = 0; f < files.length; f++) console.log(`  ${files[f].name.padEnd(30)} ${ratioRange(processes.map((results) => results[f].a / results[f].b))}`);
    const overall = processes.map((results) => results.reduce((sum, r) => sum + r.a, 0) / results.reduce((sum, r) => sum + r.b, 0));
    console.log(`  ${'all files'.padEnd(30)} ${ratioRange(overall)}`);
  } finally {
    git('worktree', 'remove', '--force', tree);
  }
}

await main();
