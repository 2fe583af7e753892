/**
 * The chart's marker query on a portfolio run (two markets, one account, one run id): each market's
 * markers are exactly that market's journaled trades and vetoed/denied/executed decisions of the run,
 * with their journaled times and prices, and the end-of-run close (timed at the clock after the last
 * candle, the window's end) is among them. Synthetic wave candles, not market data.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { CandleColumns, MarketKey } from '../core/types';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import type { Order } from '../ports/exchange';
import { createInMemoryBacktestRunRepository, createInMemoryCandleRepository, createInMemoryJournalRepository, toColumns } from '../testing/in-memory-repositories';
import { runBacktest } from '../backtest/run-backtest';
import { loadChartMarkers, runSymbols, type ChartMarkers } from './chart';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const CANDLES = 584;
/** The clock after the last candle: where the run ends and its end-of-run close is timed (AAA/USDT holds a position then). */
const END_MS = T0 + CANDLES * HOUR;
const SYMBOLS = ['AAA/USDT', 'BBB/USDT'];

/** A deterministic wave with drift; `phase` shifts it so the two markets trade at different times. */
function waveCandles(start: number, phase: number): CandleColumns {
  const rows = [];
  let prev = start;
  for (let i = 0; i < CANDLES; i++) {
    const close = start * (1 + 0.08 * Math.sin((i + phase) / 40) + 0.03 * Math.sin((i + phase) / 7) + 0.0001 * i);
    rows.push({ openTimeMs: T0 + i * HOUR, open: prev, high: Math.max(prev, close) * 1.001, low: Math.min(prev, close) * 0.999, close, volume: 1_000_000 });
    prev = close;
  }
  return toColumns(rows);
}

/** The chart's view of a journaled trade, written out field by field (netPnl = realised − fees − funding). */
const asMarker = (t: TradeRecord) => ({
  id: t.id,
  side: t.side,
  amount: t.amount,
  entryTimeMs: t.entryTimeMs,
  entryPrice: t.entryPrice,
  exitTimeMs: t.exitTimeMs,
  exitPrice: t.exitPrice,
  exitReason: t.exitReason,
  strategy: t.strategy,
  netPnl: t.realizedPnl - t.fees - t.funding,
});
const byTime = <T extends { id: string }>(key: (x: T) => number) => (a: T, b: T) => key(a) - key(b) || a.id.localeCompare(b.id);

async function portfolioRun() {
  const candles = createInMemoryCandleRepository();
  for (const [i, symbol] of SYMBOLS.entries()) await candles.insertCandles({ exchange: 'binance', symbol, timeframe: '1h' }, waveCandles(100 * (i + 1), 25 * i));
  const journal = createInMemoryJournalRepository();
  let id = 0;
  const result = await runBacktest(
    {
      exchange: 'binance',
      symbols: SYMBOLS,
      timeframe: '1h',
      from: T0,
      to: END_MS,
      strategies: ['ma-crossover', 'ema-trend'],
      fusion: { entryThreshold: 0.25, cooldownMs: 0 },
      // Room for one position: the second market's entries are denied while the first holds one.
      risk: { riskPerTradePct: 0.25, maxSymbolExposurePct: 30, maxLeverage: 3, dailyLossLimitPct: 100, maxDrawdownPct: 100, maxOpenPositions: 1 },
      paper: { marketType: 'spot', initialBalance: 10_000 },
      exits: {},
      decisionDetail: 'signals',
    },
    { candles, journal, runs: createInMemoryBacktestRunRepository(), logger: silentLogger, newId: () => `id-${++id}` },
  );
  return { journal, runId: result.runId };
}

describe('chart markers of a portfolio run', () => {
  it("shows each market's own trades and decisions of the run, the end-of-run close at the window's end included", async () => {
    const { journal, runId } = await portfolioRun();
    // Every market traded, some entries were denied, and a position still open at the end was closed then.
    expect(new Set(journal.trades.map((t) => t.symbol))).toEqual(new Set(SYMBOLS));
    expect(journal.decisions.some((d) => d.outcome === 'denied')).toBe(true);
    const endOfRun = journal.trades.filter((t) => t.exitReason === 'end-of-run');
    expect(endOfRun.length).toBeGreaterThan(0);
    // The close is timed at the clock after the last candle: exactly the end of a window reaching the stream's end.
    for (const t of endOfRun) expect(t.exitTimeMs).toBe(END_MS);

    const seen: ChartMarkers[] = [];
    for (const symbol of SYMBOLS) {
      const markers = await loadChartMarkers({ journal }, { key: { exchange: 'binance', symbol, timeframe: '1h' }, fromMs: T0, toMs: END_MS, runId });
      seen.push(markers);
      const trades = journal.trades.filter((t) => t.symbol === symbol && t.runId === runId);
      expect(trades.length).toBeGreaterThan(0);
      expect([...markers.trades].sort(byTime((t) => t.exitTimeMs))).toEqual(trades.map(asMarker).sort(byTime((t) => t.exitTimeMs)));
      const shown = (d: DecisionRecord) => d.symbol === symbol && d.runId === runId && (d.outcome === 'executed' || d.outcome === 'vetoed' || d.outcome === 'denied');
      expect(markers.decisions.map((d) => d.id).sort()).toEqual(journal.decisions.filter(shown).map((d) => d.id).sort());
      expect(markers.stops).toEqual([]);
    }
    // The markets' markers split the run's trades: none shows on both, none is missing.
    const ids = seen.flatMap((m) => m.trades.map((t) => t.id));
    expect(new Set(ids).size).toBe(journal.trades.length);
    // The end-of-run exits are in the windows that end at the stream's end.
    expect(seen.flatMap((m) => m.trades.filter((t) => t.exitReason === 'end-of-run')).map((t) => t.id).sort()).toEqual(endOfRun.map((t) => t.id).sort());
  });

  it('leaves out an event one millisecond after the window and keeps one at its start', async () => {
    const { journal, runId } = await portfolioRun();
    const [last] = journal.trades.filter((t) => t.symbol === SYMBOLS[0]).sort((a, b) => b.exitTimeMs - a.exitTimeMs);
    const key: MarketKey = { exchange: 'binance', symbol: SYMBOLS[0], timeframe: '1h' };
    const before = await loadChartMarkers({ journal }, { key, fromMs: T0, toMs: last.exitTimeMs - 1, runId });
    expect(before.trades.map((t) => t.id)).not.toContain(last.id);
    const at = await loadChartMarkers({ journal }, { key, fromMs: last.exitTimeMs, toMs: last.exitTimeMs + 1, runId });
    expect(at.trades.map((t) => t.id)).toContain(last.id);
  });

  it("shows one account's session rows and that account's stops, and refuses an account given with a run", async () => {
    const journal = createInMemoryJournalRepository();
    const key: MarketKey = { exchange: 'binance', symbol: 'AAA/USDT', timeframe: '1h' };
    const trade = (id: string, accountId: string): TradeRecord => ({
      id, runId: null, accountId, exchange: 'binance', symbol: 'AAA/USDT', strategy: 'ma-crossover', side: 'long', amount: 2,
      entryPrice: 100, exitPrice: 103, entryTimeMs: T0 + HOUR, exitTimeMs: T0 + 3 * HOUR, realizedPnl: 6, fees: 0.5, funding: 0.25, exitReason: 'signal',
    });
    const decision = (id: string, accountId: string): DecisionRecord => ({
      id, runId: null, accountId, exchange: 'binance', symbol: 'AAA/USDT', timeframe: '1h', strategy: 'ma-crossover',
      timeMs: T0 + HOUR, outcome: 'executed', side: 'long', strength: 1, reason: `entry of ${accountId}`, inputs: { stopPrice: 97 },
    });
    await journal.appendTrades([trade('t-desk', 'desk'), trade('t-default', 'default')]);
    await journal.appendDecisions([decision('d-desk', 'desk'), decision('d-default', 'default')]);
    const stop = (id: string, stopPrice: number) => ({ id, type: 'stop', side: 'sell', stopPrice, amount: 2, filled: 0.5 }) as unknown as Order;
    const books: Record<string, Order[]> = { desk: [stop('desk-stop', 97)], default: [stop('default-stop', 90)] };
    const deps = { journal, exchangeOf: async (id: string) => ({ openOrders: () => books[id] ?? [] }) };
    const desk = await loadChartMarkers(deps, { key, fromMs: T0, toMs: T0 + 4 * HOUR, accountId: 'desk' });
    // Net 6 - 0.5 - 0.25 = 5.25; 2 - 0.5 filled = 1.5 left on the stop.
    expect(desk.trades).toEqual([{ id: 't-desk', side: 'long', amount: 2, entryTimeMs: T0 + HOUR, entryPrice: 100, exitTimeMs: T0 + 3 * HOUR, exitPrice: 103, exitReason: 'signal', strategy: 'ma-crossover', netPnl: 5.25 }]);
    expect(desk.decisions).toEqual([{ id: 'd-desk', timeMs: T0 + HOUR, outcome: 'executed', side: 'long', reason: 'entry of desk', stopPrice: 97 }]);
    expect(desk.stops).toEqual([{ orderId: 'desk-stop', side: 'sell', stopPrice: 97, amount: 1.5 }]);
    const mine = await loadChartMarkers(deps, { key, fromMs: T0, toMs: T0 + 4 * HOUR, accountId: 'default' });
    expect(mine.trades.map((t) => t.id)).toEqual(['t-default']);
    expect(mine.stops).toEqual([{ orderId: 'default-stop', side: 'sell', stopPrice: 90, amount: 1.5 }]);
    // Without an account: every account's live rows, and no account's stops beside them.
    const live = await loadChartMarkers(deps, { key, fromMs: T0, toMs: T0 + 4 * HOUR });
    expect(live.trades.map((t) => t.id).sort()).toEqual(['t-default', 't-desk']);
    expect(live.decisions.map((d) => d.id).sort()).toEqual(['d-default', 'd-desk']);
    expect(live.stops).toEqual([]);
    await expect(loadChartMarkers(deps, { key, fromMs: T0, toMs: T0 + 4 * HOUR, accountId: 'desk', runId: 'run-1' })).rejects.toThrow(/field "accountId" was "desk".*not both/);
  });

  it('refuses an empty range naming toMs', async () => {
    const journal = createInMemoryJournalRepository();
    await expect(loadChartMarkers({ journal }, { key: { exchange: 'binance', symbol: 'AAA/USDT', timeframe: '1h' }, fromMs: T0, toMs: T0 })).rejects.toThrow(ValidationError);
  });
});

describe('runSymbols', () => {
  it("lists a portfolio run's markets in order and a single-market run's one symbol", () => {
    expect(runSymbols({ symbol: 'BTC/USDT,ETH/USDT' })).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(runSymbols({ symbol: 'BTC/USDT' })).toEqual(['BTC/USDT']);
  });
});
