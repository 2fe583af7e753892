/**
 * Portfolio backtests against single-market runs of the same markets: with caps that never bind the
 * portfolio trades exactly what the single runs trade; with `maxOpenPositions: 1` it differs exactly
 * where the cap binds. Runs on real Binance BTC/USDT and ETH/USDT 1h candles from the shared data
 * folder when it exists, and always on a synthetic pair.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';
import { parseCandleCsv } from '../market/candle-csv';
import type { DecisionRecord } from '../ports/journal';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { runBacktest, type BacktestResult } from './run-backtest';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const BTC = 'BTC/USDT';
const ETH = 'ETH/USDT';

/** A deterministic wave with drift; `phase` shifts it so two markets trade at different times. */
function syntheticCandles(n: number, start: number, phase: number): CandleColumns {
  const rows = [];
  let prev = start;
  for (let i = 0; i < n; i++) {
    const close = start * (1 + 0.08 * Math.sin((i + phase) / 40) + 0.03 * Math.sin((i + phase) / 7) + 0.0001 * i);
    rows.push({ openTimeMs: T0 + i * HOUR, open: prev, high: Math.max(prev, close) * 1.001, low: Math.min(prev, close) * 0.999, close, volume: 1_000_000 });
    prev = close;
  }
  return toColumns(rows);
}

async function storeOf(markets: Record<string, CandleColumns>) {
  const candles = createInMemoryCandleRepository();
  for (const [symbol, columns] of Object.entries(markets)) await candles.insertCandles({ exchange: 'binance', symbol, timeframe: '1h' }, columns);
  let id = 0;
  return {
    candles,
    journal: createInMemoryJournalRepository(),
    runs: createInMemoryBacktestRunRepository(),
    logger: silentLogger,
    newId: () => `id-${++id}`,
  };
}

/**
 * A trade as the caps cannot change it: its size follows the shared account's equity, so amount, fees and
 * PnL may differ, and its average fill price in the last bits (fill notional / amount); prices are
 * compared to 12 significant digits.
 */
const identity = (t: BacktestResult['trades'][number]) => ({
  symbol: t.symbol,
  side: t.side,
  entryTimeMs: t.entryTimeMs,
  exitTimeMs: t.exitTimeMs,
  entryPrice: Number(t.entryPrice.toPrecision(12)),
  exitPrice: Number(t.exitPrice.toPrecision(12)),
  exitReason: t.exitReason,
});
type Position = ReturnType<typeof identity>;

/** Spot, one trade per position (no partial exits), caps loose enough for both markets at once. */
function requestOf(from: number, to: number, risk: Record<string, number>) {
  return {
    exchange: 'binance',
    timeframe: '1h',
    from,
    to,
    strategies: ['ma-crossover', 'ema-trend'],
    fusion: { entryThreshold: 0.25, cooldownMs: 0 },
    // Positions of at most 30 % of equity each, so two fit in a spot account's cash.
    risk: { riskPerTradePct: 0.25, maxSymbolExposurePct: 30, maxLeverage: 3, dailyLossLimitPct: 100, maxDrawdownPct: 100, ...risk },
    paper: { marketType: 'spot', initialBalance: 10_000 },
    exits: {},
    decisionDetail: 'signals',
  };
}

/**
 * Whether `other`'s position is open when market `myIndex` processes its candle closing at `timeMs`.
 * Markets of one candle time run in the listed order (index), so at `timeMs` a position of an
 * earlier-listed market already reflects that candle and one of a later-listed market does not yet.
 * Entries and the loop's exits fill at the close of the candle that decided them (the time they
 * carry); a stop fills inside a later candle and carries that candle's OPEN time (the paper venue's
 * event-time rule), so it closed the position when that candle was processed, one timeframe later.
 */
function openAt(other: Position, otherIndex: number, timeMs: number, myIndex: number): boolean {
  const closedAtMs = other.exitReason === 'stop' ? other.exitTimeMs + HOUR : other.exitTimeMs;
  const entered = other.entryTimeMs < timeMs || (other.entryTimeMs === timeMs && otherIndex < myIndex);
  const stillOpen = closedAtMs > timeMs || (closedAtMs === timeMs && otherIndex > myIndex);
  return entered && stillOpen;
}

/**
 * The positions a portfolio with room for one position would trade up to the first denial, computed
 * from the two single runs alone: replay their entries in time order (ties in listed order), keep one
 * while no kept position of the other market is open, and stop at the first that is not kept.
 */
function firstDenial(single: Position[][]): { kept: Position[]; denied: Position } | null {
  const entries = single.flatMap((positions, index) => positions.map((p) => ({ p, index }))).sort((x, y) => x.p.entryTimeMs - y.p.entryTimeMs || x.index - y.index);
  const kept: { p: Position; index: number }[] = [];
  for (const e of entries) {
    if (kept.some((k) => k.index !== e.index && openAt(k.p, k.index, e.p.entryTimeMs, e.index))) return { kept: kept.map((k) => k.p), denied: e.p };
    kept.push(e);
  }
  return null;
}

async function comparePortfolio(name: string, markets: Record<string, CandleColumns>, from: number, to: number) {
  const symbols = Object.keys(markets);
  const loose = requestOf(from, to, { maxOpenPositions: 10 });

  it(`trades exactly what two single-market runs trade when its caps never bind (${name})`, async () => {
    const singles: BacktestResult[] = [];
    for (const symbol of symbols) singles.push(await runBacktest({ ...loose, symbol }, await storeOf(markets)));
    const deps = await storeOf(markets);
    const portfolio = await runBacktest({ ...loose, symbols }, deps);

    for (const [k, symbol] of symbols.entries()) {
      expect(singles[k].trades.length, `${symbol} trades`).toBeGreaterThan(3);
      expect(portfolio.trades.filter((t) => t.symbol === symbol).map(identity)).toEqual(singles[k].trades.map(identity));
    }
    // The shared account did hold both markets at once (so a cap of one position would have bound).
    const [a, b] = singles.map((s) => s.trades.map(identity));
    expect(a.some((p) => b.some((q) => p.entryTimeMs < q.exitTimeMs && q.entryTimeMs < p.exitTimeMs))).toBe(true);

    // The run is one run: stored once with both symbols, every trade journaled under it with its symbol.
    const run = deps.runs.runs.get(portfolio.runId)!;
    expect(run.symbol).toBe(symbols.join(','));
    expect(run.config).toMatchObject({ symbols });
    expect(run.config).not.toHaveProperty('symbol');
    expect(deps.journal.trades.map((t) => t.symbol).sort()).toEqual(portfolio.trades.map((t) => t.symbol).sort());
    expect(new Set(deps.journal.trades.map((t) => t.runId))).toEqual(new Set([portfolio.runId]));
    // Per-market breakdown: counts and sums of the market's own trades; contributions add up to the equity change.
    const breakdown = run.metrics!.portfolio!;
    expect(breakdown.markets.map((m) => [m.symbol, m.trades, m.candles])).toEqual(symbols.map((s) => [s, portfolio.trades.filter((t) => t.symbol === s).length, markets[s].openTimeMs.filter((ms) => ms >= from && ms < to).length]));
    for (const m of breakdown.markets) {
      const own = portfolio.trades.filter((t) => t.symbol === m.symbol);
      const net = own.map((t) => t.realizedPnl - t.fees - t.funding);
      expect(m.netPnl).toBeCloseTo(net.reduce((s, x) => s + x, 0), 8);
      expect(m.winRate).toBe(net.filter((x) => x > 0).length / own.length);
      expect(m.fees).toBeCloseTo(own.reduce((s, t) => s + t.fees, 0), 8);
      // Every position is closed at the end, so what the market added to equity is its trades' net.
      expect(m.contribution).toBeCloseTo(m.netPnl, 6);
      expect(m.maxDrawdown).toBeGreaterThan(0);
    }
    expect(breakdown.markets.reduce((s, m) => s + m.contribution, 0)).toBeCloseTo(portfolio.finalEquity - 10_000, 6);
    const r = breakdown.correlation.matrix[0][1];
    expect(breakdown.correlation.matrix[1][0]).toBe(r);
    expect(r).not.toBeNull();
    expect(Math.abs(r!)).toBeLessThanOrEqual(1);
    // One equity point per candle time of the merged timeline.
    expect(portfolio.equity.length).toBeGreaterThan(0);
    expect(new Set(portfolio.equity.map((p) => p.timeMs)).size).toBe(portfolio.equity.length);
  });

  it(`differs from the single runs exactly where max open positions 1 binds, journaling the denial (${name})`, async () => {
    const capped = requestOf(from, to, { maxOpenPositions: 1 });
    const single: Position[][] = [];
    for (const symbol of symbols) single.push((await runBacktest({ ...capped, symbol }, await storeOf(markets))).trades.map(identity));
    const deps = await storeOf(markets);
    const portfolio = await runBacktest({ ...capped, symbols }, deps);
    const trades = portfolio.trades.map(identity);

    const expected = firstDenial(single);
    if (expected === null) throw new Error('the single runs never overlap: the cap cannot bind on this data');
    const { kept, denied } = expected;
    const byTime = (x: Position, y: Position) => x.entryTimeMs - y.entryTimeMs || symbols.indexOf(x.symbol) - symbols.indexOf(y.symbol);
    // Before the first denial the portfolio traded exactly the single runs' positions...
    expect(trades.filter((t) => t.entryTimeMs < denied.entryTimeMs).sort(byTime)).toEqual(kept.filter((t) => t.entryTimeMs < denied.entryTimeMs).sort(byTime));
    // ...and the denied entry is not among its trades: the cap denied it, with the reason journaled.
    expect(trades).not.toContainEqual(denied);
    const denials = deps.journal.decisions.filter((d: DecisionRecord) => d.outcome === 'denied');
    expect(denials.length).toBeGreaterThan(0);
    const first = denials[0];
    expect([first.symbol, first.timeMs, first.side, first.reason]).toEqual([denied.symbol, denied.entryTimeMs, denied.side, 'open_positions 2 exceeds maxOpenPositions 1']);
    // Every denial is the cap binding: the other market held its position then, and no two positions overlap.
    for (const d of denials) {
      expect(d.reason).toBe('open_positions 2 exceeds maxOpenPositions 1');
      const mine = symbols.indexOf(d.symbol);
      expect(trades.some((t) => t.symbol !== d.symbol && openAt(t, symbols.indexOf(t.symbol), d.timeMs, mine))).toBe(true);
    }
    for (const t of trades) {
      const index = symbols.indexOf(t.symbol);
      expect(trades.some((o) => o.symbol !== t.symbol && openAt(o, symbols.indexOf(o.symbol), t.entryTimeMs, index))).toBe(false);
    }
    const breakdown = deps.runs.runs.get(portfolio.runId)!.metrics!.portfolio!;
    expect(breakdown.markets.reduce((s, m) => s + m.denied, 0)).toBe(denials.length);
  });
}

describe('portfolio backtest over a synthetic pair', () => {
  const n = 2_000;
  comparePortfolio('synthetic', { [BTC]: syntheticCandles(n, 40_000, 0), [ETH]: syntheticCandles(n, 2_000, 60) }, T0, T0 + n * HOUR);
});

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const btcFile = path.join(dataDir, 'binance_BTC-USDT_1h.csv');
const ethFile = path.join(dataDir, 'binance_ETH-USDT_1h.csv');

describe('portfolio backtest over real Binance BTC/USDT and ETH/USDT 1h candles', async () => {
  if (!existsSync(btcFile) || !existsSync(ethFile)) {
    it('is not run without the shared data folder', () => {
      console.log(`shared data not found at ${dataDir}: the real-data portfolio comparison was not run (the synthetic pair was)`);
      expect(existsSync(btcFile) && existsSync(ethFile)).toBe(false);
    });
    return;
  }
  const [btc, eth] = await Promise.all([parseCandleCsv(btcFile, '1h'), parseCandleCsv(ethFile, '1h')]);
  comparePortfolio('real', { [BTC]: btc.columns, [ETH]: eth.columns }, Date.UTC(2024, 0, 1), Date.UTC(2024, 4, 1));
});

describe('portfolio request checks', () => {
  const markets = { [BTC]: syntheticCandles(300, 40_000, 0), [ETH]: syntheticCandles(300, 2_000, 60) };
  const request = requestOf(T0, T0 + 300 * HOUR, { maxOpenPositions: 2 });

  it('refuses an unstored or duplicate symbol, both symbol and symbols, and markets with no common time, writing nothing', async () => {
    const deps = await storeOf(markets);
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `C${i}/USDT`);
    const cases: [unknown, string, unknown][] = [
      [{ ...request, symbols: [BTC, 'SOL/USDT'] }, 'symbols', 'SOL/USDT'],
      [{ ...request, symbols: [BTC, ETH, BTC] }, 'symbols', BTC],
      [{ ...request, symbol: BTC, symbols: [BTC, ETH] }, 'symbols', [BTC, ETH]],
      [{ ...request, symbols: [BTC] }, 'symbols', [BTC]],
      [{ ...request, symbols: fiftyOne }, 'symbols', fiftyOne],
      [{ ...request, symbols: 'some' }, 'symbols', 'some'],
    ];
    const messages: string[] = [];
    for (const [input, field, value] of cases) {
      const error = await runBacktest(input, deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect([(error as ValidationError).field, (error as ValidationError).value]).toEqual([field, value]);
      messages.push((error as ValidationError).message.replace(/^field "symbols" was .*?: /, ''));
    }
    expect(messages).toEqual([
      'no 1h candles are stored for "SOL/USDT" on "binance"; import or download them first',
      `"${BTC}" is listed twice`,
      'give either "symbol" (one market) or "symbols" (a portfolio), not both',
      'expected at least 2 symbols (use "symbol" for one market)',
      'expected at most 50 symbols',
      'expected a list of symbols or "all"',
    ]);
    // ETH's candles end before BTC's start: no time in common.
    const apart = await storeOf({ [BTC]: shifted(syntheticCandles(100, 40_000, 0), 200), [ETH]: syntheticCandles(100, 2_000, 0) });
    const error = await runBacktest({ ...request, symbols: [BTC, ETH] }, apart).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect([(error as ValidationError).field, (error as ValidationError).value]).toEqual(['symbols', `${BTC},${ETH}`]);
    expect((error as ValidationError).message).toContain(`${ETH} ends at 2024-01-05T03:00:00.000Z, before ${BTC} starts at 2024-01-09T08:00:00.000Z`);
    expect(deps.runs.runs.size + apart.runs.runs.size).toBe(0);
  });

  it('expands "all" to every market stored for the exchange and timeframe, sorted, leaving out one stored under a key the symbol rule refuses', async () => {
    // `ada/usdt` stands for a market stored before the symbol rule: left out, not a refused run.
    const deps = await storeOf({ ...markets, 'ADA/USDT': syntheticCandles(300, 1, 20), 'ada/usdt': syntheticCandles(300, 1, 20) });
    const result = await runBacktest({ ...request, symbols: 'all' }, deps);
    expect(result.config).toMatchObject({ symbols: ['ADA/USDT', BTC, ETH] });
    expect(result.portfolio!.markets.map((m) => m.symbol)).toEqual(['ADA/USDT', BTC, ETH]);
    const lonely = await storeOf({ [BTC]: markets[BTC] });
    const error = await runBacktest({ ...request, symbols: 'all' }, lonely).catch((e: unknown) => e);
    expect([(error as ValidationError).field, (error as ValidationError).value]).toEqual(['symbols', 'all']);
  });

  it('lets a market whose data starts later join the run then', async () => {
    const late = shifted(syntheticCandles(200, 2_000, 60), 100);
    const deps = await storeOf({ [BTC]: markets[BTC], [ETH]: late });
    const result = await runBacktest({ ...request, symbols: [BTC, ETH] }, deps);
    const eth = result.portfolio!.markets[1];
    expect([eth.candles, eth.firstOpenTimeMs]).toEqual([200, T0 + 100 * HOUR]);
    expect(result.candles).toBe(300 + 200);
    expect(result.trades.filter((t) => t.symbol === ETH).every((t) => t.entryTimeMs > T0 + 100 * HOUR)).toBe(true);
  });
});

/** The candles moved `hours` later. */
function shifted(columns: CandleColumns, hours: number): CandleColumns {
  const rows = [];
  for (let i = 0; i < columns.length; i++) {
    rows.push({ openTimeMs: columns.openTimeMs[i] + hours * HOUR, open: columns.open[i], high: columns.high[i], low: columns.low[i], close: columns.close[i], volume: columns.volume[i] });
  }
  return toColumns(rows);
}
