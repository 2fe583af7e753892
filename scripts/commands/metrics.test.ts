import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMetricsCommand } from './metrics';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aethelred-metrics-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeReturns(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text, 'utf8');
  return file;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) } };
}

// empyrical test_stats.py weekly_returns (stefan-jansen/empyrical-reloaded @ 20aa2da): annual_return
// 0.24690830513998208, annual_volatility 0.38851569394870583, calmar 2.4690830513998208, sortino 1.1158901056866439.
const weeklyReturns = '0\n0.01\n0.1\n-0.04\n\n0.02\n0.03\r\n0.02\n0.01\n-0.1\n\n';

describe('runMetricsCommand', () => {
  it('prints empyrical-matching metrics as JSON, ignoring blank lines and CRLF', async () => {
    const file = await writeReturns('weekly.csv', weeklyReturns);
    const { out, err, io } = capture();
    const code = await runMetricsCommand({ returnsFile: file, periodsPerYear: 52, riskFree: 0, json: true }, io);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.file).toBe(file);
    expect(parsed.periodsPerYear).toBe(52);
    expect(parsed.metrics.periods).toBe(9);
    expect(parsed.metrics.cagr).toBeCloseTo(0.24690830513998208, 8);
    expect(parsed.metrics.annualVolatility).toBeCloseTo(0.38851569394870583, 8);
    expect(parsed.metrics.calmar).toBeCloseTo(2.4690830513998208, 8);
    expect(parsed.metrics.sortino).toBeCloseTo(1.1158901056866439, 8);
    expect(parsed.metrics.maxDrawdown).toBeCloseTo(-0.1, 12);
  });

  it('prints a readable table without --json', async () => {
    const file = await writeReturns('weekly-table.csv', weeklyReturns);
    const { out, io } = capture();
    const code = await runMetricsCommand({ returnsFile: file, periodsPerYear: 52, riskFree: 0, json: false }, io);
    expect(code).toBe(0);
    const table = out.join('\n');
    expect(table).toContain('(52 periods a year, risk-free 0 a year)');
    expect(table).toMatch(/CAGR\s+24\.69%/);
    expect(table).toMatch(/max drawdown\s+-10\.00%/);
    expect(table).toMatch(/Sortino\s+1\.1159/);
  });

  it('writes JSON null for an undefined ratio', async () => {
    const file = await writeReturns('rising.csv', '0.01\n0.02\n');
    const { out, io } = capture();
    await runMetricsCommand({ returnsFile: file, periodsPerYear: 365, riskFree: 0, json: true }, io);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.metrics.calmar).toBeNull();
    expect(parsed.metrics.sortino).toBeNull();
  });

  it('exits 2 naming file, line and value for a line that is not a number', async () => {
    const file = await writeReturns('bad.csv', '0.01\n\nabc\n0.02\n');
    const { out, err, io } = capture();
    const code = await runMetricsCommand({ returnsFile: file, periodsPerYear: 365, riskFree: 0, json: true }, io);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`${file}:3: field "return" was "abc": not a number`]);
  });

  it('exits 2 for a return below -1', async () => {
    const file = await writeReturns('too-low.csv', '-1.5\n');
    const { err, io } = capture();
    const code = await runMetricsCommand({ returnsFile: file, periodsPerYear: 365, riskFree: 0, json: false }, io);
    expect(code).toBe(2);
    expect(err[0]).toBe(`${file}:1: field "return" was "-1.5": below -1 (a simple return cannot lose more than 100%)`);
  });

  it('exits 2 for an empty file and for a missing file', async () => {
    const empty = await writeReturns('empty.csv', '\n\n');
    const first = capture();
    expect(await runMetricsCommand({ returnsFile: empty, periodsPerYear: 365, riskFree: 0, json: false }, first.io)).toBe(2);
    expect(first.err[0]).toBe(`${empty}: no returns found (expected one simple return per line)`);

    const missing = path.join(dir, 'missing.csv');
    const second = capture();
    expect(await runMetricsCommand({ returnsFile: missing, periodsPerYear: 365, riskFree: 0, json: false }, second.io)).toBe(2);
    expect(second.err[0]).toMatch(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read returns file: ENOENT`));
  });

  it('writes errors to stdout when no stderr sink is given', async () => {
    const file = await writeReturns('bad-stdout.csv', 'x\n');
    const out: string[] = [];
    const code = await runMetricsCommand(
      { returnsFile: file, periodsPerYear: 365, riskFree: 0, json: false },
      { stdout: (s) => out.push(s) },
    );
    expect(code).toBe(2);
    expect(out).toEqual([`${file}:1: field "return" was "x": not a number`]);
  });
});
