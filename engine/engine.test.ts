import { describe, expect, it } from 'vitest';
import { createEngine, type BackgroundWorker } from './engine';
import { createManualClock, silentLogger } from './core/clock';
import type { Exchange } from './execution/exchange';
import type { DecisionRecord } from './core/ports';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
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
  const engine = createEngine(
    {
      clock: createManualClock(0),
      logger: silentLogger,
      candles: createInMemoryCandleRepository(),
      journal,
      riskState: createInMemoryRiskStateRepository(),
      backtestRuns: createInMemoryBacktestRunRepository(),
      newId: () => 'id',
      exchange,
      workers,
    },
    { journalBatchSize: 100, journalFlushIntervalMs: 60_000 },
  );
  return { engine, journal, exchange };
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
