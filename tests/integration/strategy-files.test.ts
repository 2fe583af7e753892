/**
 * Strategy files on a real root (embedded PGlite and PostgreSQL): files of the folder
 * AETHELRED_STRATEGIES_DIR names (a temporary one here) join the catalog when the root is built —
 * listed by GET /api/v1/strategies with their version and the sha256 of their text, backtested through
 * POST /api/v1/backtests and traded by a replay session — while a file with a syntax error, one that
 * throws while loading, one that exports nothing and one that takes a built-in's name are listed with
 * their error naming the path, and the rest still load. The strategy file is the README's example
 * ("Writing a strategy"), so the documentation's code is what is tested. In development
 * (NODE_ENV=development) a file saved while the server runs joins the catalog without a restart.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waveCsv } from '../../engine/testing/wave-candles';
import type { BacktestState } from '../../engine/backtest/backtest-jobs';
import { ValidationError } from '../../engine/core/errors';
import { apiV1Client, type ApiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';
import { until } from '../support/until';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const N = 3_000;

/** The example file of the README's "Writing a strategy" section, as printed there. */
function readmeExample(): string {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const match = /```ts\n\/\/ strategies\/close-above-sma\.ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no "// strategies/close-above-sma.ts" example');
  return match[1];
}

const BROKEN = {
  'broken.ts': 'export default defineStrategy({ name: "broken", ;\n',
  'throws.ts': "import { z } from 'aethelred/strategy';\nz.object({});\nthrow new Error('the exchange calendar is missing');\n",
  'empty.ts': 'export const notAStrategy = 42;\n',
  'my-ema.ts': [
    "import { defineStrategy, z, setFlat } from 'aethelred/strategy';",
    "export default defineStrategy({ name: 'ema-trend', version: '9.9.9', summary: 'a copy', params: z.object({}),",
    "  indicators: () => ({}), warmup: () => 0, evaluate: (f, i, out) => setFlat(out, 'never') });",
    '',
  ].join('\n'),
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'aethelred-strategies-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function clients(app: AuthTestRoot): Promise<{ trader: ApiV1Client; viewer: ApiV1Client }> {
  const trader = apiV1Client(app.root, { cookie: (await app.signedInAs('trader')).cookie });
  const viewer = apiV1Client(app.root, { cookie: (await app.signedInAs('viewer')).cookie });
  return { trader, viewer };
}

interface Listed {
  name: string;
  source: string;
  version: string;
  sourceHash: string;
  file?: string;
  loadError?: string;
  defaults: Record<string, unknown>;
}

describe.each(AUTH_TEST_BACKENDS)('strategy files on $name', { timeout: 180_000 }, (backend) => {
  const roots = useAuthTestRoots(backend);

  it('lists a strategy file with its version and sha256, and each broken file with its path and reason', async () => {
    const example = readmeExample();
    writeFileSync(path.join(dir, 'close-above-sma.ts'), example);
    for (const [file, text] of Object.entries(BROKEN)) writeFileSync(path.join(dir, file), text);
    writeFileSync(path.join(dir, '_helpers.ts'), 'export const skipped = true;\n');
    writeFileSync(path.join(dir, 'close-above-sma.test.ts'), 'throw new Error("tests are not strategies");\n');
    const app = await roots.open({ AETHELRED_STRATEGIES_DIR: dir });
    const { viewer } = await clients(app);

    const listed = (await viewer.call<{ items: Listed[] }>('listStrategies')).body.items;
    expect(listed.filter((s) => s.source === 'built-in').map((s) => s.name)).toEqual(['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout']);
    const files = listed.filter((s) => s.source === 'file');
    expect(files.find((s) => s.name === 'close-above-sma')).toMatchObject({
      version: '1.0.0',
      sourceHash: sha256(example),
      file: 'close-above-sma.ts',
      defaults: { period: 50, atrStopMultiple: 2 },
    });
    expect(files.find((s) => s.name === 'close-above-sma')!.loadError).toBeUndefined();
    const errors = Object.fromEntries(files.filter((s) => s.loadError).map((s) => [s.file, s.loadError]));
    const at = (file: string) => `${path.join(dir, file)}: `;
    expect(Object.keys(errors).sort()).toEqual(['broken.ts', 'empty.ts', 'my-ema.ts', 'throws.ts']);
    expect(errors['broken.ts']).toMatch(new RegExp(`^${escape(at('broken.ts'))}failed to compile or load: .*broken\\.ts:1:`));
    expect(errors['throws.ts']).toBe(`${at('throws.ts')}failed to compile or load: the exchange calendar is missing`);
    expect(errors['empty.ts']).toBe(`${at('empty.ts')}exports no strategy: expected \`export default defineStrategy({...})\` (or \`export const strategy = defineStrategy({...})\`)`);
    expect(errors['my-ema.ts']).toBe(`${at('my-ema.ts')}strategy name "ema-trend" is already taken by the built-in strategy; rename it`);
    // The built-in keeps its name and its own version.
    expect(listed.filter((s) => s.name === 'ema-trend').map((s) => [s.source, s.version])).toEqual([['built-in', '1.0.0']]);
    expect(app.root.engine.strategies.provenance('ema-trend').source).toBe('built-in');
  });

  it('backtests a strategy file through POST /api/v1/backtests, refuses params outside its schema, and trades it in a replay session', async () => {
    writeFileSync(path.join(dir, 'close-above-sma.ts'), readmeExample());
    const app = await roots.open({ AETHELRED_STRATEGIES_DIR: dir });
    const { trader, viewer } = await clients(app);
    const imported = await trader.call('importCandles', { query: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, body: waveCsv({ count: N, startMs: T0, timeframeMs: TF }) });
    expect(imported.status).toBe(200);

    const request = {
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      from: '2024-01-01',
      to: '2024-01-10',
      strategies: ['close-above-sma'],
      params: { 'close-above-sma': { period: 10 } },
    };
    const queued = await trader.call<{ id: string }>('startBacktest', { body: request });
    expect(queued.status).toBe(202);
    let state: BacktestState | undefined;
    await until('the backtest to finish', async () => {
      state = (await viewer.call<BacktestState>('getBacktest', { path: { id: queued.body.id } })).body;
      return state.status === 'complete' || state.status === 'failed';
    }, 60_000);
    if (state?.status !== 'complete') throw new Error(`expected a complete backtest, got ${JSON.stringify(state)}`);
    expect(state.trades.length).toBeGreaterThan(2);
    expect(new Set(state.trades.map((t) => t.strategy))).toEqual(new Set(['close-above-sma']));
    // The run records which file it traded: source, version and the sha256 of the file's text.
    expect(state.config).toMatchObject({
      strategies: ['close-above-sma'],
      params: { 'close-above-sma': { period: 10, atrStopMultiple: 2 } },
      provenance: [{ name: 'close-above-sma', source: 'file', version: '1.0.0', sourceHash: sha256(readmeExample()) }],
    });

    // A params value outside the file's schema: 400 naming the field and the value, nothing queued.
    const refused = await trader.call('startBacktest', { body: { ...request, params: { 'close-above-sma': { period: 1 } } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.fieldErrors).toEqual({
      'params.close-above-sma.period': ['field "params.close-above-sma.period" was 1: close-above-sma parameter period: Too small: expected number to be >=2'],
    });
    // The engine refuses it the same way: a ValidationError naming the field and the value.
    const direct = await app.root.engine.runBacktest({ ...request, params: { 'close-above-sma': { period: 1 } } }).catch((error: unknown) => error);
    expect(direct).toBeInstanceOf(ValidationError);
    expect(direct).toMatchObject({ field: 'params.close-above-sma.period', value: 1 });

    const started = await trader.call('startSession', {
      body: { accountId: 'default', mode: 'replay', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: ['close-above-sma'], params: { 'close-above-sma': { period: 10 } }, from: T0 + 100 * TF, speed: 150, veto: 'off' },
    });
    expect(started.status).toBe(201);
    await until('an entry by the file strategy', async () => {
      await app.root.engine.journal.flush();
      const page = await app.root.engine.listDecisions({ symbol: 'BTC/USDT', outcome: 'executed', limit: 100 } as never).catch(() => ({ items: [] }));
      return page.items.some((d: { reason: string }) => d.reason.startsWith('entered'));
    });
    expect((await trader.call('stopSession', { path: { id: started.body.id } })).status).toBe(200);
  });

  it('in development, a file saved while the server runs joins the catalog without a restart', async () => {
    const app = await roots.open({ AETHELRED_STRATEGIES_DIR: dir, NODE_ENV: 'development' });
    expect(app.root.engine.strategies.list().filter((e) => e.source === 'file')).toEqual([]);
    const example = readmeExample();
    writeFileSync(path.join(dir, 'close-above-sma.ts'), example);
    await until('the saved file in the catalog', async () => app.root.engine.strategies.get('close-above-sma') !== undefined, 10_000);
    expect(app.root.engine.strategies.provenance('close-above-sma')).toEqual({ name: 'close-above-sma', source: 'file', version: '1.0.0', sourceHash: sha256(example) });
    writeFileSync(path.join(dir, 'close-above-sma.ts'), example.replace("version: '1.0.0'", "version: '1.1.0'"));
    await until('the edited file in the catalog', async () => app.root.engine.strategies.get('close-above-sma')?.version === '1.1.0', 10_000);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
