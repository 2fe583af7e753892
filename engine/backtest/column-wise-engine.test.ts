/**
 * The column-wise engine against the per-candle one on every real candle file in ../shared/data: a chunk size
 * of 1 is the per-candle engine (each candle's features pushed alone, each adapter evaluated on that row,
 * fusion on its outputs), larger chunks compute features, adapter outputs and fusion for up to that many
 * candles ahead in one pass each. The runs must agree exactly: every trade, every journaled decision (with
 * the adapters' outputs and the fused signal it records), the equity curve, the metrics and the counters.
 * Chunk 97 puts chunk boundaries at odd places (mid warm-up, mid position); 4096 is the backtest default.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import { candleColumnsFromRows, type CandleColumns, type Timeframe } from '../core/types';
import type { VetoModel } from '../decision/veto-model';
import { parseCandleCsv } from '../market/candle-csv';
import { INTENT_FEATURE_NAMES } from '../ml/market-features';
import { createInMemoryJournalRepository } from '../testing/in-memory-repositories';
import { waveCandles } from '../testing/wave-candles';
import { resolveBacktest, simulate, simulatePortfolio, type BacktestResult } from './run-backtest';

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const STRATEGIES = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'];
const CHUNK_SIZES = [1, 97, 4_096];

/** exchange_BASE-QUOTE[-PERP]_timeframe.csv, as the files in ../shared/data are named. */
function describeFile(name: string): { symbol: string; timeframe: Timeframe; futures: boolean } {
  const [, pair, timeframe] = /^[a-z]+_(.+)_(\w+)\.csv$/.exec(name) ?? [];
  if (!pair || !timeframe) throw new Error(`unexpected candle file name ${name}`);
  return { symbol: pair.replace(/-PERP$/, '').replace('-', '/'), timeframe: timeframe as Timeframe, futures: pair.endsWith('-PERP') };
}

/** A run's observable outcome, with the journal's random-free parts (ids come from a counter per run). */
async function runWith(
  chunkSize: number,
  run: (deps: { journal: ReturnType<typeof createInMemoryJournalRepository>; newId: () => string }, chunkSize: number) => Promise<BacktestResult>,
) {
  const journal = createInMemoryJournalRepository();
  let id = 0;
  const result = await run({ journal, newId: () => `id-${++id}` }, chunkSize);
  const { runId: _runId, ...rest } = result;
  return { result: rest, decisions: journal.decisions, trades: journal.trades };
}

/**
 * A stand-in veto model whose loss probability depends on every intent feature of the row it is given, so an
 * entry judged on another row's features (a chunk read at the wrong row) would change the outcome.
 */
const featureVeto: VetoModel = {
  version: 'feature-hash',
  featureNames: INTENT_FEATURE_NAMES,
  async predictLossProbability(features) {
    let sum = 0;
    for (let k = 0; k < features.length; k++) sum += features[k] * (k + 1);
    return Math.abs(Math.sin(sum * 1_000));
  },
};

function requestFor(columns: CandleColumns, file: { symbol: string; timeframe: Timeframe; futures: boolean }) {
  return {
    exchange: 'binance',
    symbol: file.symbol,
    timeframe: file.timeframe,
    from: columns.openTimeMs[0],
    to: columns.openTimeMs[columns.length - 1] + 1,
    strategies: STRATEGIES,
    fusion: { entryThreshold: 0.25 },
    decisionDetail: 'signals' as const,
    ...(file.futures ? { paper: { marketType: 'futures', leverage: 3 } } : {}),
  };
}

describe('chunk size', () => {
  const columns = candleColumnsFromRows(waveCandles({ count: 3_000 }));
  const request = { exchange: 'test', symbol: 'WAVE/USDT', timeframe: '5m', from: columns.openTimeMs[0], to: columns.openTimeMs[columns.length - 1] + 1, strategies: STRATEGIES, fusion: { entryThreshold: 0.25 } };

  it.each([0, 1.5, -4])('is refused at %s by the request, naming chunkSize and the value', (chunkSize) => {
    const error = (() => {
      try {
        resolveBacktest({ ...request, chunkSize });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('chunkSize');
    expect((error as ValidationError).value).toBe(chunkSize);
  });

  it.each([0, 2.5])('is refused at %s by the trading loop, naming chunkSize and the value', async (chunkSize) => {
    const spec = { ...resolveBacktest(request), chunkSize };
    await expect(simulate(spec, columns, null, { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' })).rejects.toThrow(
      new ValidationError('chunkSize', chunkSize, `chunkSize (${chunkSize}) must be an integer >= 1`),
    );
  });

  it('is not part of the stored config: a run with chunks of 7 has the config and results of one without', async () => {
    const plain = resolveBacktest(request);
    const chunked = resolveBacktest({ ...request, chunkSize: 7 });
    expect(chunked.chunkSize).toBe(7);
    expect(chunked.canonical).toEqual(plain.canonical);
    const deps = () => ({ journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'id' });
    const [a, b] = [await simulate(plain, columns, null, deps()), await simulate(chunked, columns, null, deps())];
    expect(a.trades.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});

const files = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.endsWith('.csv')).sort() : [];

describe('column-wise and per-candle engines', () => {
  if (files.length === 0) {
    it('are not compared without the shared data folder', () => {
      console.log(`shared data not found at ${dataDir}: column-wise versus per-candle comparison not run (set AETHELRED_SHARED_DATA)`);
      expect(files).toHaveLength(0);
    });
    return;
  }

  it.each(files)('give the same trades, decisions, equity and metrics on %s', async (name) => {
    const file = describeFile(name);
    const { columns } = await parseCandleCsv(path.join(dataDir, name), file.timeframe);
    const spec = resolveBacktest(requestFor(columns, file));
    const outcomes = [];
    for (const chunkSize of CHUNK_SIZES) {
      outcomes.push(await runWith(chunkSize, (deps, size) => simulate({ ...spec, chunkSize: size }, columns, null, { ...deps, logger: silentLogger })));
    }
    const [perCandle, ...chunked] = outcomes;
    expect(perCandle.result.candles).toBe(columns.length);
    expect(perCandle.decisions.length).toBe(perCandle.result.stats.decisions);
    // Every file gives signals to compare (the shortest, 1d and PERP 1h files, a few dozen decisions).
    expect(perCandle.decisions.length).toBeGreaterThan(0);
    console.log(`${name}: ${columns.length} candles, ${perCandle.trades.length} trades, ${perCandle.decisions.length} decisions alike with chunks of ${CHUNK_SIZES.join(', ')}`);
    for (const outcome of chunked) {
      expect(outcome.trades).toEqual(perCandle.trades);
      expect(outcome.decisions).toEqual(perCandle.decisions);
      expect(outcome.result).toEqual(perCandle.result);
    }
  });

  it('give the same results and counters with the journal off (the benchmark run), where signals refused without a trace are stepped over in bulk', async () => {
    // Without a journal a signal the flat account refuses (any entry while halted, a short on spot) is counted and
    // stepped over with the idle candles around it; one candle at a time (chunk 1) refuses each on its own.
    let denied = 0;
    let spotSignals = 0;
    for (const name of files) {
      const file = describeFile(name);
      const { columns } = await parseCandleCsv(path.join(dataDir, name), file.timeframe);
      const spec = resolveBacktest({ ...requestFor(columns, file), decisionDetail: 'off' });
      const [perCandle, chunked] = await Promise.all(
        [1, 4_096].map((chunkSize) => runWith(chunkSize, (deps, size) => simulate({ ...spec, chunkSize: size }, columns, null, { ...deps, logger: silentLogger }))),
      );
      expect(perCandle.decisions).toEqual([]);
      expect(chunked.result).toEqual(perCandle.result);
      expect(chunked.trades).toEqual(perCandle.trades);
      denied += perCandle.result.stats.denied;
      if (!file.futures) spotSignals += perCandle.result.stats.signals;
    }
    // The files hold both kinds: halted stretches (a breaker tripped) with signals in them, and spot markets' shorts.
    expect(denied).toBeGreaterThan(0);
    expect(spotSignals).toBeGreaterThan(0);
  });

  it('give the same veto decisions, judged on the entry row features, on binance_BTC-USDT_1h.csv', async (context) => {
    const name = 'binance_BTC-USDT_1h.csv';
    if (!files.includes(name)) context.skip(`${name} is not in ${dataDir}`);
    const file = describeFile(name);
    const { columns } = await parseCandleCsv(path.join(dataDir, name), file.timeframe);
    const spec = resolveBacktest({ ...requestFor(columns, file), veto: true });
    const [perCandle, chunked] = await Promise.all(
      [1, 4_096].map((chunkSize) => runWith(chunkSize, (deps, size) => simulate({ ...spec, chunkSize: size }, columns, null, { ...deps, logger: silentLogger, vetoModel: featureVeto }))),
    );
    const vetoed = perCandle.decisions.filter((d) => d.outcome === 'vetoed').length;
    expect(vetoed).toBeGreaterThan(0);
    expect(perCandle.result.stats.vetoed).toBe(vetoed);
    expect(chunked.decisions).toEqual(perCandle.decisions);
    expect(chunked.trades).toEqual(perCandle.trades);
    expect(chunked.result).toEqual(perCandle.result);
  });

  it('give the same portfolio run of BTC/USDT and ETH/USDT 1h sharing one account', async (context) => {
    const names = ['binance_BTC-USDT_1h.csv', 'binance_ETH-USDT_1h.csv'];
    if (!names.every((n) => files.includes(n))) context.skip(`${names.join(' and ')} are not both in ${dataDir}`);
    const markets = await Promise.all(names.map(async (n) => ({ columns: (await parseCandleCsv(path.join(dataDir, n), '1h')).columns })));
    const from = Math.min(...markets.map((m) => m.columns.openTimeMs[0]));
    const to = Math.max(...markets.map((m) => m.columns.openTimeMs[m.columns.length - 1])) + 1;
    const spec = resolveBacktest({ ...requestFor(markets[0].columns, describeFile(names[0])), symbol: undefined, symbols: ['BTC/USDT', 'ETH/USDT'], from, to });
    const outcomes = [];
    for (const chunkSize of CHUNK_SIZES) {
      outcomes.push(await runWith(chunkSize, (deps, size) => simulatePortfolio({ ...spec, chunkSize: size }, markets, null, { ...deps, logger: silentLogger })));
    }
    const [perCandle, ...chunked] = outcomes;
    expect(perCandle.result.portfolio?.markets.map((m) => m.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(perCandle.result.portfolio?.markets.every((m) => m.trades > 0)).toBe(true);
    for (const outcome of chunked) {
      expect(outcome.trades).toEqual(perCandle.trades);
      expect(outcome.decisions).toEqual(perCandle.decisions);
      expect(outcome.result).toEqual(perCandle.result);
    }
  });
});
