import { describe, expect, it } from 'vitest';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import { runStrategiesListCommand } from './strategies-list';

function run(args: string[]) {
  const catalog = createBuiltInCatalog();
  catalog.replaceSource('file', [{ name: 'broken', source: 'file', version: '', sourceHash: 'ab'.repeat(32), summary: '', path: '/s/broken.ts', loadError: '/s/broken.ts: bad export' }]);
  const out: string[] = [];
  const err: string[] = [];
  return runStrategiesListCommand(args, { describeStrategies: () => catalog.describe(), stdout: (s) => out.push(s), stderr: (s) => err.push(s) }).then((code) => ({ code, out, err }));
}

describe('strategies command', () => {
  it('prints one line per catalog strategy with source, version, hash prefix and defaults or load error', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(0);
    expect(out).toEqual([
      // hash prefix of sha256("built-in:ma-crossover@1.0.0")
      'ma-crossover             built-in 1.0.0      7bbc455dc131  fastPeriod=20 slowPeriod=50 atrPeriod=14 atrStopMultiple=2',
      expect.stringMatching(/^rsi-mean-reversion {7}built-in 1\.0\.0 {6}[0-9a-f]{12} {2}period=14 oversold=30 overbought=70 atrPeriod=14 atrStopMultiple=2$/),
      expect.stringMatching(/^ema-trend {16}built-in 1\.0\.0 {6}[0-9a-f]{12} {2}period=50 atrPeriod=14 atrStopMultiple=2$/),
      expect.stringMatching(/^donchian-breakout {8}built-in 1\.0\.0 {6}[0-9a-f]{12} {2}period=20 atrPeriod=14$/),
      'broken                   file     -          abababababab  failed to load: /s/broken.ts: bad export',
    ]);
  });

  it('prints the catalog as JSON with --json and refuses unknown flags', async () => {
    const json = await run(['--json']);
    expect(JSON.parse(json.out[0]).map((s: { name: string; source: string }) => [s.name, s.source])).toEqual([
      ['ma-crossover', 'built-in'],
      ['rsi-mean-reversion', 'built-in'],
      ['ema-trend', 'built-in'],
      ['donchian-breakout', 'built-in'],
      ['broken', 'file'],
    ]);
    const bad = await run(['--all']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/^strategies: Unknown option '--all'/);
  });
});
