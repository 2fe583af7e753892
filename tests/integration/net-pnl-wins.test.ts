/**
 * One definition of a winning trade: net PnL (realized − fees − funding) > 0. The journal's win and
 * loss filters (computed in the database), the pnl sort, the trade summary and a backtest run's
 * win rate all classify a trade with positive gross but negative net PnL as a loss. Run against
 * the in-memory repository, embedded PGlite and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/core/clock';
import type { CandleColumns } from '../../engine/core/types';
import type { JournalRepository, TradeRecord } from '../../engine/ports/journal';
import { isWinningTrade, tradeNetPnl } from '../../engine/insight/trade-outcome';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createBacktestRunRepository } from '../../db/repositories/backtest-run-repository';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository, toColumns } from '../../engine/testing/in-memory-repositories';
import type { BacktestDeps } from '../../engine/backtest/run-backtest';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1);
const M = 60_000;

function trade(id: string, realizedPnl: number, fees: number, funding: number, exitMinute: number): TradeRecord {
  return { id, runId: 'r-net', exchange: 'test', symbol: 'SYN/USDT', strategy: 'ema-trend', side: 'long', amount: 1, entryPrice: 100, exitPrice: 101, entryTimeMs: T0, exitTimeMs: T0 + exitMinute * M, realizedPnl, fees, funding, exitReason: 'signal' };
}

const TRADES: TradeRecord[] = [
  trade('gross-win-net-loss', 5, 6, 0, 1), // net -1: a loss
  trade('funding-eats-it', 3, 1, 2.5, 2), // net -0.5: a loss
  trade('break-even', 2, 1, 1, 3), // net 0: a loss
  trade('net-win', 10, 1, -1, 4), // net 10: a win
  trade('small-net-win', 0.5, 0.2, 0.1, 5), // net 0.2: a win
];

/** Synthetic five-minute candles (not market data): two overlaid waves, so the strategies trade often. */
function syntheticCandles(n: number): CandleColumns {
  const rows = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 * (1 + 0.08 * Math.sin(i / 40) + 0.03 * Math.sin(i / 7) + 0.0001 * i);
    rows.push({ openTimeMs: T0 + i * 300_000, open: prev, high: Math.max(prev, close) * 1.001, low: Math.min(prev, close) * 0.999, close, volume: 1_000 });
    prev = close;
  }
  return toColumns(rows);
}

interface Backend {
  name: string;
  open(): Promise<{ deps: Omit<BacktestDeps, 'logger' | 'newId'>; dispose(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'in-memory',
    open: async () => ({ deps: { candles: createInMemoryCandleRepository(), journal: createInMemoryJournalRepository(), runs: createInMemoryBacktestRunRepository() }, dispose: async () => undefined }),
  },
  ...TEST_DATABASE_BACKENDS.map((b) => ({
    name: b.name,
    async open() {
      const { database, dispose } = await b.open();
      return { deps: { candles: createCandleRepository(database.db), journal: createJournalRepository(database.db), runs: createBacktestRunRepository(database.db) }, dispose };
    },
  })),
];

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

describe.each(BACKENDS)('winning trades by net PnL on $name', (backend) => {
  let deps: Omit<BacktestDeps, 'logger' | 'newId'>;
  let journal: JournalRepository;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ deps, dispose } = await backend.open());
    journal = deps.journal;
    await journal.appendTrades(TRADES);
  }, 60_000);

  afterAll(async () => {
    await dispose?.();
  });

  it('filters a trade with positive gross but negative net pnl as a loss', async () => {
    const wins = (await journal.listTrades({ runId: 'r-net', outcome: 'win' })).items;
    const losses = (await journal.listTrades({ runId: 'r-net', outcome: 'loss' })).items;
    expect(ids(wins)).toEqual(['net-win', 'small-net-win']);
    expect(ids(losses)).toEqual(['break-even', 'funding-eats-it', 'gross-win-net-loss']);
    expect(ids(wins)).toEqual(ids(TRADES.filter(isWinningTrade)));
  });

  it('sorts by net pnl, across keyset pages', async () => {
    const order: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await journal.listTrades({ runId: 'r-net', sort: 'pnl', direction: 'asc', limit: 2, cursor });
      order.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(order).toEqual(['gross-win-net-loss', 'funding-eats-it', 'break-even', 'small-net-win', 'net-win']);
  });

  it('counts the same wins in the trade summary', async () => {
    const summary = await journal.summarizeTrades({ runId: 'r-net' });
    expect(summary.wins).toBe(2);
    expect(summary.losses).toBe(2);
    expect(summary.netPnl).toBeCloseTo(-1 - 0.5 + 0 + 10 + 0.2, 10);
  });

  it("gives a backtest run the win rate of the journal's win filter, with fees turning gross wins into losses", async () => {
    await deps.candles.insertCandles({ exchange: 'test', symbol: 'SYN/USDT', timeframe: '5m' }, syntheticCandles(3_000));
    let n = 0;
    const result = await runBacktest(
      {
        exchange: 'test',
        symbol: 'SYN/USDT',
        timeframe: '5m',
        from: '2024-01-01',
        to: '2024-01-11',
        strategies: ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'],
        fusion: { entryThreshold: 0.25 },
        // Fees high enough that some trades win on price and lose after fees.
        paper: { takerFeeBps: 300 },
      },
      { ...deps, logger: silentLogger, newId: () => `${backend.name}-${++n}` },
    );
    const all: TradeRecord[] = [];
    for await (const t of journal.iterTrades({ runId: result.runId })) all.push(t);
    expect(all.length).toBe(result.tradeMetrics.trades);
    expect(all.length).toBeGreaterThan(5);
    const grossWinNetLoss = all.filter((t) => t.realizedPnl > 0 && tradeNetPnl(t) <= 0);
    expect(grossWinNetLoss.length).toBeGreaterThan(0);

    const wins = (await journal.listTrades({ runId: result.runId, outcome: 'win', limit: 1000 })).items;
    const losses = (await journal.listTrades({ runId: result.runId, outcome: 'loss', limit: 1000 })).items;
    expect(wins.length + losses.length).toBe(all.length);
    expect(result.tradeMetrics.winRate).toBe(wins.length / all.length);
    const lossIds = new Set(losses.map((t) => t.id));
    for (const t of grossWinNetLoss) expect(lossIds.has(t.id)).toBe(true);
    expect((await journal.summarizeTrades({ runId: result.runId })).wins).toBe(wins.length);
  }, 120_000);
});
