/**
 * The worker-thread trial pool against the inline runner: the same study trials (shared candles,
 * strategies rebuilt in each thread: a built-in, a rule strategy and a strategy file) give exactly the same outcomes,
 * bit for bit; trials run on several threads at once; a refused candidate fails as the same
 * ValidationError; two sessions at once share the threads; a stopped pool refuses new sessions.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@/engine/core/clock';
import { ValidationError } from '@/engine/core/errors';
import { candleColumnsFromRows } from '@/engine/core/types';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { ruleCatalogEntry } from '@/engine/strategies/rules/rule-strategy-service';
import { createInlineTrialRunner, type TrialSessionInput } from '@/engine/research/trial-runner';
import type { TrialTask } from '@/engine/research/study-trial';
import { waveCandles } from '@/engine/testing/wave-candles';
import { loadStrategyFiles } from '@/engine/strategies/strategy-files';
import { createJitiStrategyImporter } from '../jiti-strategy-importer';
import { createTrialWorkerPool } from './trial-worker-pool';
import { ModelKind } from '@/engine/ports/model-kind';
import { buildVolatilityDataset } from '@/engine/ml/dataset';
import { trainModel } from '@/engine/ml/model-training';
import { exportOnnx } from '@/engine/ml/onnx-export';
import type { LoopModelFile } from '@/engine/decision/loop-models';
import { syntheticCandles } from '../../../tests/support/ml-candles';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const COLUMNS = candleColumnsFromRows(waveCandles({ count: 30 * 24, startMs: START, timeframeMs: HOUR, amplitude: 0.05 }));
const BACKTEST = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', strategies: ['ma-crossover'], risk: {}, paper: {}, fusion: {}, veto: false, closeAtEnd: true };

const tasks: TrialTask[] = [4, 6, 8, 10, 12, 14].map((fastPeriod, i) => ({
  key: `full:-:-:${i}`,
  params: { fastPeriod, slowPeriod: 24, atrPeriod: 14, atrStopMultiple: 2 },
  fromMs: START + 3 * 24 * HOUR,
  toMs: START + 30 * 24 * HOUR - (i % 2) * 24 * HOUR,
  keepEquity: i % 2 === 0,
}));

const pool = createTrialWorkerPool({ size: 2, root: process.cwd() }, { logger: silentLogger });
afterAll(() => pool.stop());

describe('trial worker pool', () => {
  it('gives exactly the outcomes of the inline runner, two threads at once', async () => {
    const input: TrialSessionInput = { setup: { backtest: BACKTEST, strategy: 'ma-crossover', objective: 'sharpe', minTrades: 1 }, columns: COLUMNS, strategy: { kind: 'built-in', name: 'ma-crossover' } };
    const catalog = createBuiltInCatalog();
    const inline = await createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }).open(input);
    const expected = [];
    for (const task of tasks) expected.push(await inline.run(task));
    expect(expected.some((outcome) => outcome.metrics.trades > 0)).toBe(true);

    const session = await pool.open(input);
    let running = 0;
    let peak = 0;
    const outcomes = await Promise.all(
      tasks.map(async (task) => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await session.run(task);
        } finally {
          running--;
        }
      }),
    );
    await session.close();
    expect(outcomes).toEqual(expected);
    expect(peak).toBeGreaterThan(1);
  }, 120_000);

  it('serves two sessions at once (two studies, or two Inngest steps of one), each its own trials on the shared threads', async () => {
    const input: TrialSessionInput = { setup: { backtest: BACKTEST, strategy: 'ma-crossover', objective: 'sharpe', minTrades: 1 }, columns: COLUMNS, strategy: { kind: 'built-in', name: 'ma-crossover' } };
    const catalog = createBuiltInCatalog();
    const inline = await createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }).open(input);
    const expected = [];
    for (const task of tasks) expected.push(await inline.run(task));
    const [first, second] = await Promise.all([pool.open(input), pool.open(input)]);
    // Each session queues more trials than there are threads, so one waits for threads the other releases.
    const [a, b] = await Promise.all([Promise.all(tasks.slice(0, 3).map((task) => first.run(task))), Promise.all(tasks.slice(3).map((task) => second.run(task)))]);
    await Promise.all([first.close(), second.close()]);
    expect([...a, ...b]).toEqual(expected);
  }, 60_000);

  it('rebuilds a rule strategy in its threads from the stored definition', async () => {
    const definition = {
      name: 'close-over-sma',
      long: { all: [{ left: { indicator: 'sma', period: 6 }, op: 'crossesAbove', right: { indicator: 'sma', period: 18 } }] },
      stop: { atrMultiple: 2 },
    };
    const entry = ruleCatalogEntry({ name: 'close-over-sma', version: 1, definition, createdBy: null, createdAtMs: 0 });
    if (entry.loadError) throw new Error(entry.loadError);
    const catalog = createBuiltInCatalog();
    catalog.replaceSource('rule', [entry]);
    const input: TrialSessionInput = {
      setup: { backtest: { ...BACKTEST, strategies: ['close-over-sma'] }, strategy: 'close-over-sma', objective: 'netProfit', minTrades: 0 },
      columns: COLUMNS,
      strategy: { kind: 'rule', name: 'close-over-sma', version: 1, definition },
    };
    const task = { ...tasks[0], params: {} };
    const expected = await (await createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }).open(input)).run(task);
    const session = await pool.open(input);
    expect(await session.run(task)).toEqual(expected);
    await session.close();
  }, 120_000);

  it('rebuilds a strategy file in its threads and refuses one that changed since the study saw it', async () => {
    const dir = path.resolve(process.cwd(), 'strategies');
    const catalog = createBuiltInCatalog();
    const reservedNames = new Map(catalog.names().map((name) => [name, 'built-in strategy'] as const));
    catalog.replaceSource('file', await loadStrategyFiles(dir, { importer: createJitiStrategyImporter(dir), reservedNames }));
    const entry = catalog.get('volatility-breakout');
    if (!entry) throw new Error('strategies/volatility-breakout.ts did not load');
    const input: TrialSessionInput = {
      setup: { backtest: { ...BACKTEST, strategies: ['volatility-breakout'] }, strategy: 'volatility-breakout', objective: 'sharpe', minTrades: 0 },
      columns: COLUMNS,
      strategy: { kind: 'file', name: 'volatility-breakout', dir, sourceHash: entry.sourceHash },
    };
    const task = { ...tasks[0], params: catalog.defaults('volatility-breakout') };
    const expected = await (await createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger }).open(input)).run(task);
    const session = await pool.open(input);
    expect(await session.run(task)).toEqual(expected);
    await session.close();
    await expect(pool.open({ ...input, strategy: { ...input.strategy, sourceHash: 'f'.repeat(64) } as TrialSessionInput['strategy'] })).rejects.toThrow(
      'strategy file of "volatility-breakout" changed since the study started; start the study again',
    );
  }, 120_000);

  it('fails a refused candidate with the same ValidationError as inline', async () => {
    const input: TrialSessionInput = { setup: { backtest: BACKTEST, strategy: 'ma-crossover', objective: 'sharpe', minTrades: 1 }, columns: COLUMNS, strategy: { kind: 'built-in', name: 'ma-crossover' } };
    const session = await pool.open(input);
    const error = await session.run({ ...tasks[0], params: { fastPeriod: 30, slowPeriod: 10 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toMatch(/^params\.ma-crossover/);
    await session.close();
  }, 120_000);

  it('opens the study model files in each thread: the same outcomes as inline, different from the model-free ones; a file not made for the loop is refused', async () => {
    const dataset = buildVolatilityDataset(syntheticCandles(900, 21), { timeframe: '1h', horizon: 12 });
    const { model } = await trainModel(ModelKind.Volatility, dataset, { folds: 1, seed: 1 });
    const file: LoopModelFile = { key: 'volatility', label: 'volatility@v1', featureNames: dataset.featureNames, bytes: exportOnnx(model, { kind: ModelKind.Volatility }) };
    const plain: TrialSessionInput = { setup: { backtest: BACKTEST, strategy: 'ma-crossover', objective: 'netProfit', minTrades: 0 }, columns: COLUMNS, strategy: { kind: 'built-in', name: 'ma-crossover' } };
    const withModel: TrialSessionInput = {
      ...plain,
      setup: { ...plain.setup, backtest: { ...BACKTEST, models: { volatility: { version: 1, targetVolatility: 0.0001, minScale: 0.25, maxScale: 1 } } } },
      models: [file],
    };
    const catalog = createBuiltInCatalog();
    const inlineRunner = createInlineTrialRunner({ catalog: () => catalog, logger: silentLogger });
    const inline = await inlineRunner.open(withModel);
    const expected = [];
    for (const task of tasks.slice(0, 2)) expected.push(await inline.run(task));
    await inline.close();
    const bare = await inlineRunner.open(plain);
    const without = [];
    for (const task of tasks.slice(0, 2)) without.push(await bare.run(task));
    // The model sizes every entry at the floor (a quarter): same trades, other results.
    expect(expected.map((o) => o.metrics.trades)).toEqual(without.map((o) => o.metrics.trades));
    expect(expected[0].metrics.trades).toBeGreaterThan(0);
    expect(expected.map((o) => o.metrics.netProfit)).not.toEqual(without.map((o) => o.metrics.netProfit));

    const session = await pool.open(withModel);
    expect(await Promise.all(tasks.slice(0, 2).map((task) => session.run(task)))).toEqual(expected);
    await session.close();

    // Trials whose request turns the model on but were given no file: refused, naming the option.
    const unserved = await inlineRunner.open({ ...withModel, models: [] });
    await expect(unserved.run(tasks[0])).rejects.toThrow('field "models.volatility" was 1: the study\'s trials were given no volatility model; run the study again');
    // A file whose features are not the ones the loop feeds the kind.
    await expect(pool.open({ ...withModel, models: [{ ...file, featureNames: ['close'] }] })).rejects.toThrow(
      'field "models.volatility" was "volatility@v1": model volatility@v1 takes the features close; the loop feeds',
    );
  }, 120_000);
});
