/**
 * The studies command end to end through the real CLI process on an embedded database: a study runs
 * in the process on two trial threads, prints its report and exits (the threads do not keep it
 * alive); list, show and apply read and act on it; bad input exits 2 naming the field and value and
 * stores no study.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const T0 = Date.UTC(2024, 0, 1);
let dataDir: string;

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent', AETHELRED_STUDY_WORKERS: '2' };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 240_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const studyArgs = (space: string) => [
  'studies', 'run', '--exchange', 'test', '--symbol', 'SYN/USDT', '--timeframe', '1h', '--from', '2024-01-03', '--to', '2024-03-01',
  '--strategy', 'ma-crossover', '--space', space, '--objective', 'netProfit',
];

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-cli-studies-'));
  const csv = path.join(dataDir, 'syn.csv');
  // 1,500 synthetic hourly candles (not market data): a slow wave with a faster ripple.
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  let prev = 100;
  for (let i = 0; i < 1_500; i++) {
    const close = 100 * (1 + 0.1 * Math.sin(i / 60) + 0.02 * Math.sin(i / 7));
    lines.push(`${T0 + i * 3_600_000},${prev},${Math.max(prev, close) * 1.001},${Math.min(prev, close) * 0.999},${close},10`);
    prev = close;
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const imported = cli(['import-candles', '--file', csv, '--exchange', 'test', '--symbol', 'SYN/USDT', '--timeframe', '1h']);
  expect(imported.stdout).toContain('imported 1500 new candles');
}, 240_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('studies command', () => {
  it('exits 2 naming the field and value for bad input, and stores no study', () => {
    const bad = cli(studyArgs('{"fastPeriod":{"min":10,"max":5}}'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('studies: field "space.fastPeriod.min" was 10: empty range: min 10 is above max 5');
    const walk = cli([...studyArgs('{"fastPeriod":5,"slowPeriod":20,"atrPeriod":14,"atrStopMultiple":2}'), '--walk-forward', 'sideways:30:10']);
    expect(walk.code).toBe(2);
    expect(walk.stderr).toContain('studies: field "--walk-forward" was "sideways:30:10"');
    const models = cli([...studyArgs('{"fastPeriod":5,"slowPeriod":20,"atrPeriod":14,"atrStopMultiple":2}'), '--models', '{"stopDistance":true}']);
    expect(models.code).toBe(2);
    expect(models.stderr).toContain(
      'studies: field "models.stopDistance" was "deployed": no stop-distance model is deployed; train and deploy one on the Models page or run without it',
    );
    const modelsText = cli([...studyArgs('{"fastPeriod":5,"slowPeriod":20,"atrPeriod":14,"atrStopMultiple":2}'), '--models', '{volatility}']);
    expect(modelsText.code).toBe(2);
    expect(modelsText.stderr).toContain('studies: field "--models" was "{volatility}"');
    const missing = cli([...studyArgs('{"fastPeriod":5,"slowPeriod":20,"atrPeriod":14,"atrStopMultiple":2}'), '--models', 'no-such-models.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('studies: field "--models" was "no-such-models.json": expected JSON or a JSON file: ENOENT');
    const listed = cli(['studies', 'list', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  }, 240_000);

  it('runs a study on trial threads, reports it, lists, shows and applies it', () => {
    const run = cli(studyArgs('{"fastPeriod":{"values":[5,10]},"slowPeriod":{"values":[20,40]},"atrPeriod":14,"atrStopMultiple":2}'));
    expect(run.stderr).toContain('queued');
    expect(run.code).toBe(0);
    const [head] = run.stdout.split('\n');
    expect(head).toMatch(/^\S+ {2}completed {2}ma-crossover SYN\/USDT 1h {2}4\/4 {2}best /);
    expect(run.stdout).toContain('top 4 of 4 trials by netProfit:');
    expect(run.stdout).toContain('models: none (regime, volatility and stop-distance models off)');
    expect(run.stdout).toMatch(/PBO \d+\.\d%: /);
    const id = head.split(' ')[0];

    const listed = JSON.parse(cli(['studies', 'list', '--json']).stdout) as { id: string; status: string; best: { params: Record<string, unknown> } }[];
    expect(listed.map((s) => [s.id, s.status])).toEqual([[id, 'completed']]);
    const shown = JSON.parse(cli(['studies', 'show', '--id', id, '--json']).stdout) as { trials: unknown[] };
    expect(shown.trials.length).toBe(4);

    const applied = cli(['studies', 'apply', '--id', id]);
    expect(applied.code).toBe(0);
    const best = listed[0].best.params;
    expect(applied.stdout).toContain(`applied ${Object.entries(best).map(([k, v]) => `${k}=${String(v)}`).join(' ')} to ma-crossover in the strategy settings`);
    expect(cli(['studies', 'show', '--id', id]).stdout).toContain('applied to the strategy settings by cli at ');
    expect(cli(['studies', 'show', '--id', 'nope']).code).toBe(2);
  }, 480_000);
});
