import { describe, expect, it, vi } from 'vitest';
import { createEngine } from './engine';
import { type BackgroundWorker } from './ports/lifecycle';
import { createManualClock, silentLogger } from './core/clock';
import type { Exchange } from './ports/exchange';
import type { DecisionRecord } from './ports/journal';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  toColumns,
  createInMemoryJournalRepository,
  createInMemoryRiskStateRepository,
} from './testing/in-memory-repositories';

function closeCountingExchange(): Exchange & { closes: number } {
  const unused = () => Promise.reject(new Error('not used in this test'));
  return {
    id: 'fake',
    closes: 0,
    fetchOhlcv: unused,
    createOrder: unused,
    cancelOrder: unused,
    fetchBalance: unused,
    fetchPosition: unused,
    fetchOpenPositions: unused,
    async close() {
      this.closes++;
    },
  };
}

function decision(id: string): DecisionRecord {
  return {
    id,
    runId: null,
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '5m',
    strategy: 'ma-crossover',
    timeMs: 1_704_067_200_000,
    outcome: 'no_trade',
    side: 'flat',
    strength: 0,
    reason: 'no adapter fired',
    inputs: {},
  };
}

function build(workers: BackgroundWorker[] = []) {
  const journal = createInMemoryJournalRepository();
  const exchange = closeCountingExchange();
  const candles = createInMemoryCandleRepository();
  const engine = createEngine(
    {
      clock: createManualClock(0),
      logger: silentLogger,
      candles,
      journal,
      riskState: createInMemoryRiskStateRepository(),
      backtestRuns: createInMemoryBacktestRunRepository(),
      newId: () => 'id',
      exchange,
      workers,
    },
    { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
  );
  return { engine, journal, exchange, candles };
}

describe('engine lifecycle', () => {
  it('starts its workers once however often start is called', async () => {
    let starts = 0;
    const worker: BackgroundWorker = { name: 'w', start: () => void starts++, stop: async () => undefined };
    const { engine } = build([worker]);
    await engine.start();
    await engine.start();
    expect(starts).toBe(1);
    expect(engine.state()).toBe('running');
    await engine.stop();
  });

  it('names the workers whose start resolved, in order, only while running', async () => {
    let releaseSecond!: () => void;
    const first: BackgroundWorker = { name: 'first', start: () => undefined, stop: async () => undefined };
    const second: BackgroundWorker = { name: 'second', start: () => new Promise<void>((resolve) => (releaseSecond = resolve)), stop: async () => undefined };
    const { engine } = build([first, second]);
    expect(engine.startedWorkers()).toEqual([]);
    const starting = engine.start();
    await vi.waitFor(() => expect(releaseSecond).toBeTypeOf('function'));
    // The engine is running, but the second worker's start has not resolved yet.
    expect(engine.state()).toBe('running');
    expect(engine.startedWorkers()).toEqual(['first']);
    releaseSecond();
    await starting;
    expect(engine.startedWorkers()).toEqual(['first', 'second']);
    await engine.stop();
    expect(engine.startedWorkers()).toEqual([]);
  });

  it('writes journal rows still queued when it stops', async () => {
    const { engine, journal } = build();
    await engine.start();
    engine.journal.recordDecision(decision('d1'));
    engine.journal.recordDecision(decision('d2'));
    expect(journal.decisions).toHaveLength(0);
    expect(engine.journal.pending()).toBe(2);
    await engine.stop();
    expect(journal.decisions.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(engine.journal.pending()).toBe(0);
  });

  it('stops workers, closes the exchange once, and tolerates a second stop', async () => {
    let stops = 0;
    const worker: BackgroundWorker = { name: 'w', start: () => undefined, stop: async () => void stops++ };
    const { engine, exchange } = build([worker]);
    await engine.start();
    await Promise.all([engine.stop(), engine.stop()]);
    await engine.stop();
    expect(stops).toBe(1);
    expect(exchange.closes).toBe(1);
    expect(engine.state()).toBe('stopped');
  });

  it('refuses to start again after stopping', async () => {
    const { engine } = build();
    await engine.start();
    await engine.stop();
    await expect(engine.start()).rejects.toThrow('engine cannot start from state "stopped"');
  });
});

describe('journal lists', () => {
  it('answers an empty page for a known symbol and names a symbol no trade or decision has', async () => {
    const { engine, journal } = build();
    await journal.appendDecisions([decision('d1')]);
    expect(await engine.listDecisions({ symbol: 'BTC/USDT', outcome: 'denied' })).toEqual({ items: [], nextCursor: null });
    // BTC/USDT has a decision but no trade: an empty trade page, not an error.
    expect(await engine.listTrades({ symbol: 'BTC/USDT' })).toEqual({ items: [], nextCursor: null });
    await expect(engine.listTrades({ symbol: 'BTCUSDT' })).rejects.toThrow(
      'field "symbol" was "BTCUSDT": no trade or decision in the journal has this symbol (symbols are case-sensitive, like "BTC/USDT")',
    );
    await expect(engine.listDecisions({ symbol: 'btc/usdt' })).rejects.toMatchObject({ field: 'symbol' });
    expect((await engine.listDecisions({ symbol: 'BTC/USDT' })).items.map((d) => d.id)).toEqual(['d1']);
  });
});

describe('market precision', () => {
  it("reads a market's price decimals from its stored candles before a time, and null without candles", async () => {
    const { engine, candles } = build();
    const market = { exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' } as const;
    const rows = [64168.67, 64170.5, 64169].map((close, i) => ({ openTimeMs: i * 300_000, open: close, high: close + 0.01, low: close - 0.01, close, volume: 1.23456 }));
    await candles.insertCandles(market, toColumns(rows));
    expect(await engine.marketPriceDecimals(market, 900_000)).toBe(2);
    expect(await engine.marketPriceDecimals(market, 0)).toBeNull();
    expect(await engine.marketPriceDecimals({ ...market, symbol: 'NONE/USDT' }, 900_000)).toBeNull();
  });
});

describe('backtest runs interrupted by a database outage', () => {
  it('marks a run failed once the database answers again, instead of leaving it running until the next start', async () => {
    const candles = createInMemoryCandleRepository();
    const runs = createInMemoryBacktestRunRepository();
    const database = { up: true };
    const whileUp = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => (database.up ? fn(...args) : Promise.reject(new Error('connection refused')));
    const journal = createInMemoryJournalRepository();
    const engine = createEngine(
      {
        clock: createManualClock(0),
        logger: silentLogger,
        candles,
        // The database goes away while the run journals its decisions; marking the run failed fails too.
        journal: { ...journal, appendDecisions: async () => { database.up = false; throw new Error('connection refused'); } },
        riskState: createInMemoryRiskStateRepository(),
        backtestRuns: { ...runs, fail: whileUp(runs.fail) },
        newId: () => 'run-1',
        exchange: closeCountingExchange(),
      },
      { journalBatchSize: 100, journalFlushIntervalMs: 20 },
    );
    const T0 = Date.UTC(2024, 0, 1);
    const n = 300;
    const openTimeMs = Float64Array.from({ length: n }, (_, i) => T0 + i * 300_000);
    const close = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 10));
    await candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, { length: n, openTimeMs, open: close, high: close.map((c) => c + 1), low: close.map((c) => c - 1), close, volume: close.map(() => 10) });
    await engine.start({ workers: false });
    const error = await engine
      .runBacktest({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m', from: T0, to: T0 + n * 300_000, strategies: ['ma-crossover'], decisionDetail: 'all' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('journal write failed, 250 rows kept for a retry: connection refused');
    expect(runs.runs.get('run-1')?.status).toBe('running');
    database.up = true;
    for (let i = 0; i < 100 && runs.runs.get('run-1')?.status === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(runs.runs.get('run-1')).toMatchObject({ status: 'failed', error: 'journal write failed, 250 rows kept for a retry: connection refused' });
    await engine.stop();
  });
});

describe('run analysis', () => {
  it("loads a completed run's candles once for its analysis, not on every page view, and forgets a deleted run", async () => {
    const candles = createInMemoryCandleRepository();
    let candleLoads = 0;
    const engine = createEngine(
      {
        clock: createManualClock(0),
        logger: silentLogger,
        candles: { ...candles, loadCandles: (...args: Parameters<typeof candles.loadCandles>) => (candleLoads++, candles.loadCandles(...args)) },
        journal: createInMemoryJournalRepository(),
        riskState: createInMemoryRiskStateRepository(),
        backtestRuns: createInMemoryBacktestRunRepository(),
        newId: () => 'run-1',
        exchange: closeCountingExchange(),
      },
      { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
    );
    const T0 = Date.UTC(2024, 0, 1);
    const n = 300;
    const openTimeMs = Float64Array.from({ length: n }, (_, i) => T0 + i * 300_000);
    const close = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 10));
    await candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, { length: n, openTimeMs, open: close, high: close.map((c) => c + 1), low: close.map((c) => c - 1), close, volume: close.map(() => 10) });
    await engine.start({ workers: false });
    await engine.runBacktest({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m', from: T0, to: T0 + n * 300_000, strategies: ['ma-crossover'] });
    const before = candleLoads;
    const first = await engine.backtestAnalysis('run-1');
    expect(first?.benchmark.length).toBeGreaterThan(0);
    expect(await engine.backtestAnalysis('run-1')).toBe(first);
    expect(candleLoads - before).toBe(1);
    await engine.deleteBacktestRun('run-1');
    expect(await engine.backtestAnalysis('run-1')).toBeNull();
    await engine.stop();
  });
});
