import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(repo, 'node_modules/.bin/depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string, targets: string[]): Promise<Violation[]> {
  const { stdout } = await run(
    depcruise,
    [...targets, '--config', path.join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string; stderr?: string }) => {
    if (!error.stdout) throw new Error(`depcruise failed: ${error.stderr ?? String(error)}`);
    return { stdout: error.stdout };
  });
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

describe('import boundaries', () => {
  it('finds no violation in the repository (engine stays pure, no cycles)', async () => {
    const rooms = ['app', 'engine', 'db', 'inngest', 'scripts', 'strategies', 'instrumentation.ts'].filter((p) => existsSync(path.join(repo, p)));
    const violations = await cruise(repo, rooms);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('flags an engine module that imports next, and an import cycle', async () => {
    const violations = await cruise(path.join(repo, 'tests/fixtures/lint-violation'), ['engine']);
    const names = violations.map((v) => `${v.rule.name}: ${v.from}`).sort();
    expect(names).toContain('engine-stays-pure: engine/uses-next.ts');
    expect(names.some((n) => n.startsWith('no-circular: engine/cycle-'))).toBe(true);
  });

  it('flags engine/core importing another engine folder and engine/ports importing anything but engine/core', async () => {
    const violations = await cruise(path.join(repo, 'tests/fixtures/lint-violation'), ['engine']);
    const names = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(names).toContain('engine-core-is-the-floor: engine/core/uses-ports.ts -> engine/ports/uses-account.ts');
    expect(names).toContain('engine-ports-only-core: engine/ports/uses-account.ts -> engine/account/account.ts');
    expect(names.filter((n) => n.includes('engine/account/account.ts ->'))).toEqual([]);
  });

  it('flags settings importing the run spec, the run spec importing accounts and insight importing sessions', async () => {
    const violations = await cruise(path.join(repo, 'tests/fixtures/lint-violation'), ['engine']);
    const names = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(names).toContain('engine-settings-below-trading: engine/settings/uses-trading.ts -> engine/trading/uses-account.ts');
    expect(names).toContain('engine-trading-below-accounts: engine/trading/uses-account.ts -> engine/account/account.ts');
    expect(names).toContain('engine-insight-stays-low: engine/insight/uses-live.ts -> engine/live/live.ts');
  });

  it('flags a strategy file that imports engine internals instead of the strategy API', async () => {
    const violations = await cruise(path.join(repo, 'tests/fixtures/lint-violation'), ['strategies']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([
      'strategy-files-use-the-strategy-api: strategies/uses-engine-internals.ts -> engine/account/account.ts',
    ]);
  });
});
