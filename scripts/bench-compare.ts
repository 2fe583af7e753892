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
 * `BENCH_COMPARE_WARMUP` (default 20) rounds are not counted (compilation). Prints each file's median candles/s per
 * engine and their ratio, then the same over all files (total candles / total of the medians). Needs ../shared/data
 * (or AETHELRED_SHARED_DATA); the engine API used (`resolveBacktest`, `simulate`, `parseCandleCsv`) must exist in `<git ref>`.
 */
import { execFileSync } from 'node:child_process';
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

async function main(): Promise<void> {
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
  try {
    const base = await loadEngine(`${ref} (${commit.slice(0, 9)})`, tree, files);
    const current = await loadEngine('working tree', root, files);
    console.log(
      `bench:compare: full pipeline, journal off, ${files.length} files; A = ${base.label}, B = ${current.label}; per file the median of ${ROUNDS - WARMUP} runs each after ${WARMUP} warm-up rounds, A and B in turns`,
    );
    let totalCandles = 0;
    let totalA = 0;
    let totalB = 0;
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
      const candles = base.runs[f].candles;
      const a = median(timesA);
      const b = median(timesB);
      totalCandles += candles;
      totalA += a;
      totalB += b;
      console.log(`${files[f].name.padEnd(30)} ${String(candles).padStart(7)}   A ${fmt(candles / a).padStart(10)}   B ${fmt(candles / b).padStart(10)}   B/A ${(a / b).toFixed(3)}`);
    }
    console.log(`${'all files'.padEnd(30)} ${String(totalCandles).padStart(7)}   A ${fmt(totalCandles / totalA).padStart(10)}   B ${fmt(totalCandles / totalB).padStart(10)}   B/A ${(totalA / totalB).toFixed(3)}`);
  } finally {
    git('worktree', 'remove', '--force', tree);
  }
}

await main();
