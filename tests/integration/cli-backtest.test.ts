/**
 * The backtest command end to end through the real CLI process on an embedded database:
 * bad input exits 2 and writes nothing; a run killed with SIGKILL midway is reported and
 * marked failed by the next start, never left silently partial.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const T0 = Date.UTC(2024, 0, 1);
let dataDir: string;
let csv: string;

function cli(args: string[], logLevel = 'silent') {
  const env: NodeJS.ProcessEnv = { ...process.env, AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: logLevel };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const backtestArgs = (extra: string[] = []) => [
  'backtest', '--exchange', 'test', '--symbol', 'SYN/USDT', '--timeframe', '5m', '--from', '2024-01-01', '--to', '2025-01-01',
  '--strategies', 'ma-crossover,donchian-breakout', ...extra,
];

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-cli-'));
  csv = path.join(dataDir, 'syn.csv');
  // 100,000 synthetic five-minute candles (not market data): a slow wave with a faster ripple.
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  let prev = 100;
  for (let i = 0; i < 100_000; i++) {
    const close = 100 * (1 + 0.1 * Math.sin(i / 300) + 0.02 * Math.sin(i / 17));
    lines.push(`${T0 + i * 300_000},${prev},${Math.max(prev, close) * 1.001},${Math.min(prev, close) * 0.999},${close},10`);
    prev = close;
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const imported = cli(['import-candles', '--file', csv, '--exchange', 'test', '--symbol', 'SYN/USDT', '--timeframe', '5m']);
  expect(imported.stdout).toContain('imported 100000 new candles');
}, 120_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let exitsFiles = 0;
/** Writes an exit policy to a JSON file for --exits; returns its path. */
function exitsFile(policy: unknown): string {
  const file = path.join(dataDir, `exits-${++exitsFiles}.json`);
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

describe('backtest command', () => {
  it('exits 2 naming the field and value for bad input, and stores no run', () => {
    const cases: [string[], string][] = [
      [backtestArgs().map((a) => (a === 'ma-crossover,donchian-breakout' ? 'ma-crossover,moon' : a)), 'backtest: field "strategies" was "moon": strategy "moon" is not known'],
      [backtestArgs().map((a) => (a === '2025-01-01' ? '2023-01-01' : a)), 'backtest: field "to" was "2023-01-01": the date range is empty'],
      [backtestArgs().map((a) => (a === 'SYN/USDT' ? 'NOPE/USDT' : a)), 'no test NOPE/USDT 5m candles between'],
      [backtestArgs().map((a) => (a === '5m' ? '0m' : a)), 'field "timeframe" was "0m"'],
      [backtestArgs(['--exits', exitsFile({ timeStop: { bars: 0 } })]), 'backtest: field "exits.timeStop.bars" was 0'],
      [backtestArgs(['--exits', exitsFile({ takeProfit: [{ r: 1, percent: 2 }] })]), 'field "exits.takeProfit.0" was {"r":1,"percent":2}: give exactly one of r and percent'],
      [backtestArgs(['--exits', path.join(dataDir, 'missing.json')]), 'backtest: --exits'],
    ];
    for (const [args, message] of cases) {
      const result = cli(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
    }
    const runs = cli(['runs', '--json']);
    expect(JSON.parse(runs.stdout)).toEqual([]);
  }, 120_000);

  it('keeps stdout for the command output: the JSON log goes to stderr, so --json pipes parse', () => {
    const runs = cli(['runs', '--json'], 'info');
    expect(runs.code, runs.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(runs.stdout))).toBe(true);
    const logLines = runs.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.map((line) => JSON.parse(line).msg)).toContain('engine started');
  }, 120_000);

  it('prints a JSON summary and stores the run as complete', () => {
    const result = cli([...backtestArgs(['--json']).map((a) => (a === '2025-01-01' ? '2024-02-01' : a))]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.candles).toBe(31 * 288);
    const runs = JSON.parse(cli(['runs', '--json']).stdout);
    expect(runs[0]).toMatchObject({ id: summary.runId, status: 'complete', tradeCount: summary.tradeMetrics.trades });
  }, 120_000);

  it('runs with the exit policy of --exits', () => {
    const policy = { takeProfit: [{ r: 1, fraction: 0.5 }, { r: 3 }], trailingStop: { percent: 2, activateAtR: 1 }, timeStop: { bars: 200 } };
    const result = cli([...backtestArgs(['--json', '--exits', exitsFile(policy)]).map((a) => (a === '2025-01-01' ? '2024-02-01' : a))]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.tradeMetrics.trades).toBeGreaterThan(0);
  }, 120_000);

  it('runs a portfolio over --symbols (a list or all), prints the per-market table and refuses an unstored symbol', () => {
    // The same synthetic candles as a second market: with the default max open positions of 1, the first listed takes every entry.
    const imported = cli(['import-candles', '--file', csv, '--exchange', 'test', '--symbol', 'SYN2/USDT', '--timeframe', '5m']);
    expect(imported.stdout).toContain('imported 100000 new candles');
    const twoWeeks = (args: string[]) => args.map((a) => (a === '2025-01-01' ? '2024-01-15' : a));
    const listed = cli(twoWeeks(backtestArgs()).map((a) => (a === '--symbol' ? '--symbols' : a === 'SYN/USDT' ? 'SYN/USDT,SYN2/USDT' : a)));
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('test 2 markets (SYN/USDT, SYN2/USDT) 5m, 8064 candles');
    // Money in the run's quote currency, the expectancy in R, as the run page shows them.
    expect(listed.stdout).toMatch(/\n {2}final equity {5}\d+(\.\d+)? USDT\n/);
    expect(listed.stdout).toMatch(/\n {2}expectancy {7}-?\d+(\.\d+)? R; average trade -?\d+(\.\d+)? USDT\n/);
    // Percentages as every page writes them (fmtPct): two decimals, the sign straight after.
    expect(listed.stdout).toMatch(/\n {2}total return {5}-?[\d,]+\.\d{2}%\n {2}CAGR {13}-?[\d,]+\.\d{2}%\n/);
    expect(listed.stdout).toMatch(/\n {2}max drawdown {5}-?\d+\.\d{2}% over \d+ candles\n/);
    expect(listed.stdout).toMatch(/per market\n\s+market\s+trades\s+win %\s+net PnL\s+fees\s+max DD\s+denied\n\s+SYN\/USDT\s+[1-9]\d*\s.*\n\s+SYN2\/USDT\s+0\s+—\s+0\s+0\s+0\s+[1-9]\d*\n/);

    const all = cli([...twoWeeks(backtestArgs(['--json'])).map((a) => (a === '--symbol' ? '--symbols' : a === 'SYN/USDT' ? 'all' : a))]);
    expect(all.code, all.stderr).toBe(0);
    const summary = JSON.parse(all.stdout);
    expect(summary.candles).toBe(2 * 14 * 288);
    expect(summary.portfolio.markets.map((m: { symbol: string }) => m.symbol)).toEqual(['SYN/USDT', 'SYN2/USDT']);
    expect(summary.portfolio.correlation.matrix).toEqual([
      [1, null],
      [null, null],
    ]);

    const bad = cli(twoWeeks(backtestArgs()).map((a) => (a === '--symbol' ? '--symbols' : a === 'SYN/USDT' ? 'SYN/USDT,NOPE/USDT' : a)));
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('backtest: field "symbols" was "NOPE/USDT": no 5m candles are stored for "NOPE/USDT" on "test"');
  }, 240_000);

  it('runs a backtest without loading a venue, team-access, job-runner, metrics or ONNX library, from the sources and from the bundle', () => {
    // Packages a backtest on stored candles never needs: each costs start-up time and memory (ccxt alone ~0.8 s
    // and ~80 MB). They load when a command uses them (download-candles, live, create-user, studies...).
    const heavy = ['ccxt', 'better-auth', 'inngest', 'prom-client', 'onnxruntime-node', 'onnx-proto', 'next'];
    const env: NodeJS.ProcessEnv = { ...process.env, AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    const hooks = pathToFileURL(path.join(repo, 'tests/fixtures/module-trace/hooks.mjs')).href;
    const traced = (name: string, runner: string[]) => {
      const trace = path.join(dataDir, `modules-${name}.txt`);
      const preload = path.join(dataDir, `trace-${name}.mjs`);
      writeFileSync(trace, '');
      writeFileSync(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(hooks)}, { data: { file: ${JSON.stringify(trace)} } });\n`);
      const args = backtestArgs(['--json']).map((a) => (a === '2025-01-01' ? '2024-01-15' : a));
      const result = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, ...runner, ...args], { cwd: repo, env, encoding: 'utf8', timeout: 120_000 });
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).candles).toBe(14 * 288);
      return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    };
    const packageOf = (url: string) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
    for (const [name, runner, commandModule] of [
      ['sources', ['--import', 'tsx', 'scripts/cli.ts'], /\/scripts\/commands\/backtest\.ts$/],
      ['bundle', ['scripts/run-cli.mjs'], /\/aethelred-cli\/build-[^/]+\/backtest-[^/]+\.mjs$/],
    ] as const) {
      const modules = traced(name, [...runner]);
      // The trace saw the command run (so an empty trace cannot pass), and none of the heavy packages.
      expect(modules.some((url) => commandModule.test(url)), `${name}: ${modules.length} modules traced`).toBe(true);
      expect(modules.map(packageOf).filter((pkg) => pkg !== undefined && heavy.includes(pkg))).toEqual([]);
    }
  }, 240_000);

  it('marks a run killed with SIGKILL midway as failed at the next start, and says so', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    // Every decision journaled makes this run take many seconds: long enough to kill it midway.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...backtestArgs(['--decisions', 'all'])], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Kill it one second after the simulation has started (the run row exists by then).
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('backtest: simulating')) setTimeout(resolve, 1_000);
      });
    });
    child.kill('SIGKILL');
    const signal = await new Promise((r) => child.on('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGKILL');

    const next = cli(['runs', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain('note: 1 backtest run was interrupted before finishing (crash or kill) and is now marked failed');
    const killed = JSON.parse(next.stdout)[0];
    expect(killed).toMatchObject({ status: 'failed', error: 'interrupted: the process stopped before the run finished' });
  }, 120_000);
});
