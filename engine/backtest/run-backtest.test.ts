import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';
import { createPaperExchange } from '../execution/paper-exchange';
import type { Exchange, OrderRequest } from '../ports/exchange';
import { parseCandleCsv } from '../market/candle-csv';
import { createRiskEngine, type RiskDecision, type RiskEngine } from '../risk/risk-engine';
import { tradingCostsOf } from '../risk/trading-costs';
import { createBuiltInCatalog } from '../strategies/built-in-strategies';
import { createStrategyCatalog } from '../strategies/strategy-catalog';
import { COMMON_REASONS, defineStrategy, Direction, setFlat, z } from '../strategies/strategy-api';
import { createTradingLoop, type ClosedTrade } from '../loop/trading-loop';
import {
  createInMemoryBacktestRunRepository,
  createInMemoryCandleRepository,
  createInMemoryJournalRepository,
  toColumns,
} from '../testing/in-memory-repositories';
import { describeBacktestWarmup, JOURNAL_BACKLOG_BATCHES, resolveBacktest, runBacktest, simulate, type BacktestResult } from './run-backtest';

const T0 = Date.UTC(2024, 0, 1);
const FIVE_MIN = 300_000;
/** A length of the synthetic series at which the last position has been closed. */
const FLAT_AT = 2_900;
const ALL = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'];

/** A deterministic synthetic series: two overlaid waves plus drift, so every adapter fires. */
function syntheticCandles(n: number, start = 100): CandleColumns {
  const rows = [];
  let prev = start;
  for (let i = 0; i < n; i++) {
    const close = start * (1 + 0.08 * Math.sin(i / 40) + 0.03 * Math.sin(i / 7) + 0.0001 * i);
    const open = prev;
    rows.push({ openTimeMs: T0 + i * FIVE_MIN, open, high: Math.max(open, close) * 1.001, low: Math.min(open, close) * 0.999, close, volume: 1_000 });
    prev = close;
  }
  return toColumns(rows);
}

async function setup(candles: CandleColumns, symbol = 'SYN/USDT') {
  const repo = createInMemoryCandleRepository();
  await repo.insertCandles({ exchange: 'test', symbol, timeframe: '5m' }, candles);
  let id = 0;
  const deps = {
    candles: repo,
    journal: createInMemoryJournalRepository(),
    runs: createInMemoryBacktestRunRepository(),
    logger: silentLogger,
    newId: () => `id-${++id}`,
  };
  return deps;
}

const baseRequest = {
  exchange: 'test',
  symbol: 'SYN/USDT',
  timeframe: '5m',
  from: '2024-01-01',
  to: '2024-02-01',
  strategies: ALL,
  fusion: { entryThreshold: 0.25 },
};

/** Everything a run produced except ids, as one string. */
const fingerprint = (r: BacktestResult) =>
  JSON.stringify({ m: r.returnMetrics, t: r.tradeMetrics, trades: r.trades, equity: r.equity, stats: r.stats, final: r.finalEquity });

/** `journal` with the size of every decision write it receives recorded in `appended`. */
function recordingDecisionWrites(inner: ReturnType<typeof createInMemoryJournalRepository>) {
  const appended: number[] = [];
  const journal = { ...inner, appendDecisions: (rows: Parameters<typeof inner.appendDecisions>[0]) => (appended.push(rows.length), inner.appendDecisions(rows)) };
  return { journal, appended };
}

describe('runBacktest', () => {
  it('gives byte-identical results for the same config on the same data', async () => {
    const candles = syntheticCandles(3_000);
    const a = await runBacktest(baseRequest, await setup(candles));
    const b = await runBacktest(baseRequest, await setup(candles));
    expect(a.trades.length).toBeGreaterThan(3);
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('records the run as complete with its metrics, trades and decisions journaled under the run id', async () => {
    const deps = await setup(syntheticCandles(3_000));
    const result = await runBacktest(baseRequest, deps);
    const run = deps.runs.runs.get(result.runId)!;
    expect(run.status).toBe('complete');
    expect(run.tradeCount).toBe(result.trades.length);
    expect(run.metrics).toMatchObject({ finalEquity: result.finalEquity, sharpe: result.returnMetrics.sharpe });
    expect(deps.journal.trades).toHaveLength(result.trades.length);
    expect(deps.journal.trades.every((t) => t.runId === result.runId)).toBe(true);
    // The returned trades (kept in typed columns during the run) are the journaled ones, field for field, in order.
    expect(result.trades.every((t) => t.initialRisk === null || (t.initialRisk ?? 0) > 0)).toBe(true);
    expect(result.trades).toEqual(
      deps.journal.trades.map(({ symbol, side, amount, entryPrice, exitPrice, entryTimeMs, exitTimeMs, realizedPnl, fees, funding, exitReason, initialRisk }) => ({
        symbol,
        side,
        amount,
        entryPrice,
        exitPrice,
        entryTimeMs,
        exitTimeMs,
        realizedPnl,
        fees,
        funding,
        exitReason,
        initialRisk,
      })),
    );
    expect(deps.journal.decisions.length).toBe(result.stats.decisions);
    expect(deps.journal.decisions.filter((d) => d.outcome === 'executed').length).toBe(result.stats.entries + result.stats.exits);
  });

  it('waits for the journal every few batches, so a run that journals every decision never holds them all', async () => {
    const candles = syntheticCandles(9_000);
    const all = { ...baseRequest, decisionDetail: 'all' as const };
    const reference = await runBacktest(all, await setup(candles));
    const deps = await setup(candles);
    const { journal, appended } = recordingDecisionWrites(deps.journal);
    // Batches of 100: the run waits once its writer holds JOURNAL_BACKLOG_BATCHES (4) of them, 400 rows.
    const result = await runBacktest(all, { ...deps, journal, journalBatchSize: 100 });
    expect(JOURNAL_BACKLOG_BATCHES).toBe(4);
    // One decision per candle of January (31 days of 5m candles), every one stored.
    expect(result.stats.candles).toBe(31 * 288);
    expect(deps.journal.decisions).toHaveLength(result.stats.decisions);
    expect(appended.reduce((a, b) => a + b, 0)).toBe(result.stats.decisions);
    // No write ever carried more than the backlog and one candle's few records: the writer never held the run's decisions.
    expect(Math.max(...appended)).toBeLessThan(400 + 5);
    expect(appended.length).toBeGreaterThanOrEqual(Math.floor(result.stats.decisions / 405));
    // Waiting changes nothing the run computes.
    expect(fingerprint(result)).toBe(fingerprint(reference));
  });

  it('waits for the journal in a portfolio run too', async () => {
    const candles = syntheticCandles(9_000);
    const deps = await setup(candles);
    await deps.candles.insertCandles({ exchange: 'test', symbol: 'TWO/USDT', timeframe: '5m' }, syntheticCandles(9_000, 50));
    const { journal, appended } = recordingDecisionWrites(deps.journal);
    const { symbol: _symbol, ...rest } = baseRequest;
    const result = await runBacktest({ ...rest, symbols: ['SYN/USDT', 'TWO/USDT'], decisionDetail: 'all' }, { ...deps, journal, journalBatchSize: 100 });
    // Two markets, one decision per candle each.
    expect(result.stats.candles).toBe(2 * 31 * 288);
    expect(appended.reduce((a, b) => a + b, 0)).toBe(result.stats.decisions);
    expect(deps.journal.decisions).toHaveLength(result.stats.decisions);
    expect(Math.max(...appended)).toBeLessThan(400 + 5);
  });

  it('records when and why the drawdown breaker halted the run, and enters nothing after it', async () => {
    const deps = await setup(syntheticCandles(3_000));
    const result = await runBacktest({ ...baseRequest, risk: { maxDrawdownPct: 0.2 } }, deps);
    // The drawdown breaker needs a manual resume, so the run holds one halt to its end.
    expect(result.halts).toHaveLength(1);
    const [halt] = result.halts;
    expect(halt.reason).toMatch(/^max_drawdown: equity [\d.,]+ is [\d.]+% below peak [\d.,]+ \(limit 0\.2%\)$/);
    expect(halt.resumedAtMs).toBeNull();
    expect((halt.timeMs - T0) % FIVE_MIN).toBe(0);
    expect(result.trades.length).toBeGreaterThan(0);
    expect(result.trades.every((t) => t.entryTimeMs <= halt.timeMs)).toBe(true);
    expect(deps.runs.runs.get(result.runId)!.metrics?.halts).toEqual(result.halts);
    // Without the breaker the same run trades on after that time.
    const free = await runBacktest(baseRequest, await setup(syntheticCandles(3_000)));
    expect(free.halts).toEqual([]);
    expect(free.trades.some((t) => t.entryTimeMs > halt.timeMs)).toBe(true);
  });

  it('accounts every dollar: a flat book ends at initial balance plus the net of its closed trades', async () => {
    // FLAT_AT candles end just after an exit, so the spot book is flat at the end.
    const deps = await setup(syntheticCandles(FLAT_AT));
    const result = await runBacktest(baseRequest, deps);
    const net = result.trades.reduce((sum, t) => sum + t.realizedPnl - t.fees - t.funding, 0);
    expect(result.stats.entries).toBe(result.trades.length);
    expect(result.finalEquity).toBeCloseTo(10_000 + net, 6);
  });

  it('refuses bad requests with the field and value, writing nothing', async () => {
    const deps = await setup(syntheticCandles(100));
    const cases: [Record<string, unknown>, string, string][] = [
      [{ strategies: ['moon-shot'] }, 'strategies', 'strategy "moon-shot" is not known'],
      [{ from: '2024-02-01', to: '2024-01-01' }, 'to', 'the date range is empty'],
      [{ from: '2025-01-01', to: '2025-02-01' }, 'from', 'no test SYN/USDT 5m candles between'],
      // A bare year is not January 1970 (epoch milliseconds), nor is epoch seconds.
      [{ from: '2024' }, 'from', 'was "2024": expected a UTC date (2024-01-01)'],
      [{ to: '1704067200' }, 'to', 'or epoch milliseconds (13 digits)'],
      [{ params: { 'ma-crossover': { fastPeriod: -3 } } }, 'params.ma-crossover.fastPeriod', '-3'],
      [{ params: { 'ma-crossover': { fastPeriod: 50, slowPeriod: 20 } } }, 'params.ma-crossover.fastPeriod', 'was 50: fastPeriod (50) must be below slowPeriod (20)'],
      [{ timeframe: '7m' }, 'timeframe', 'expected one of'],
      [{ paper: { marketType: 'futures', leverage: 200 } }, 'paper.leverage', 'exceeds the venue maximum of 125x'],
      [{ paper: { takerFeeBps: -1 } }, 'paper.takerFeeBps', ''],
      [{ risk: { maxLeverage: 0 } }, 'risk.maxLeverage', 'was 0: '],
      [{ risk: { costs: { takerFeeBps: 0, spreadBps: 0, slippageBps: 0 } } }, 'risk.costs', 'costs come from the paper venue'],
      [{ risk: { maxLeverag: 3 } }, 'risk.maxLeverag', 'not a risk setting; expected one of accountId, maxLeverage,'],
      [{ fusion: { entryTreshold: 0.3 } }, 'fusion.entryTreshold', 'not a fusion setting; expected one of weights, entryThreshold, ttlMs, cooldownMs, vetoThreshold'],
      [{ fusion: { entryThreshold: 2 } }, 'fusion.entryThreshold', 'entryThreshold (2) must be a number in 0..1'],
      [{ decisions: 'all' }, 'decisions', 'was "all": unknown field'],
    ];
    for (const [patch, field, text] of cases) {
      const error = await runBacktest({ ...baseRequest, ...patch }, deps).catch((e: unknown) => e);
      expect(error, JSON.stringify(patch)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect((error as Error).message).toContain(text);
    }
    expect(deps.runs.runs.size).toBe(0);
    expect(deps.journal.decisions).toHaveLength(0);
  });

  it("sizes with the paper venue's costs and drops a legacy risk.feeRateBps", () => {
    const spec = resolveBacktest({ ...baseRequest, risk: { feeRateBps: 3 }, paper: { takerFeeBps: 7, makerFeeBps: 1, spreadBps: 6, slippageBps: 4 } });
    expect(spec.risk.costs).toEqual({ takerFeeBps: 7, makerFeeBps: 1, spreadBps: 6, slippageBps: 4 });
    expect(spec.risk).not.toHaveProperty('feeRateBps');
    expect(spec.canonical.risk).toEqual(spec.risk);
    // The defaults: DEFAULT_PAPER's 10 bps taker fee, 2 bps spread and 2 bps slippage.
    expect(resolveBacktest(baseRequest).risk.costs).toEqual({ takerFeeBps: 10, makerFeeBps: 2, spreadBps: 2, slippageBps: 2 });
  });

  it('marks the run failed when the simulation breaks midway', async () => {
    const deps = await setup(syntheticCandles(500));
    const journal = { ...deps.journal, appendDecisions: async () => Promise.reject(new Error('disk full')) };
    const error = await runBacktest({ ...baseRequest, decisionDetail: 'all' }, { ...deps, journal }).catch((e: unknown) => e);
    // An unclassified error counts as retryable: the writer keeps the rows, and the run fails with the flush.
    // 450 = 449 decisions of the 500 candles (one per candle from the warm-up on, plus entries and exits)
    // + 1 for the end-of-run close of the position still open after the last candle.
    const message = 'journal write failed, 450 rows kept for a retry: disk full';
    expect((error as Error).message).toBe(message);
    const [run] = [...deps.runs.runs.values()];
    expect(run).toMatchObject({ status: 'failed', error: message });
  });
});

/** The paper venue of the random-walk runs; the risk engine sizes with its costs. */
const RANDOM_WALK_PAPER = { marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 2, slippageBps: 1, maxVolumeShare: 1, leverage: 5 } as const;

describe('trading loop and the risk gate', () => {
  /** Drives the live loop over a random walk with spies on risk and the exchange. */
  async function drive(steps: number[], risk: RiskEngine) {
    const rows = [];
    let price = 100;
    for (let i = 0; i < steps.length; i++) {
      const open = price;
      price = Math.max(1, price * (1 + steps[i]));
      rows.push({ openTimeMs: T0 + i * FIVE_MIN, open, high: Math.max(open, price) * 1.002, low: Math.min(open, price) * 0.998, close: price, volume: 50 });
    }
    const candles = toColumns(rows);
    const clock = createManualClock(T0);
    const decisions: RiskDecision[] = [];
    const entries: { request: OrderRequest; decision: RiskDecision | undefined; equity: number; price: number }[] = [];
    let onClosed: (t: ClosedTrade) => void = () => undefined;
    const paper = createPaperExchange(RANDOM_WALK_PAPER, { clock, listener: { onTradeClosed: (t) => onClosed(t) } });
    const spyRisk: RiskEngine = {
      ...risk,
      evaluate(ctx) {
        const d = risk.evaluate(ctx);
        decisions.push(d);
        return d;
      },
      evaluateInto(ctx, out, describe) {
        risk.evaluateInto(ctx, out, describe);
        const checks = out.checks.map((c) => ({ ...c }));
        decisions.push(out.approved ? { approved: true, amount: out.amount, stopPrice: out.stopPrice, checks } : { approved: false, reason: out.reason, checks, sizedAmount: out.sizedAmount });
        return out;
      },
    };
    const spyExchange: Exchange = {
      ...paper,
      createOrder(request) {
        if (!request.reduceOnly) entries.push({ request, decision: decisions.at(-1), equity: paper.equity(), price: paper.lastPrice('RW/USDT') });
        return paper.createOrder(request);
      },
      cancelOrder: (id, symbol) => paper.cancelOrder(id, symbol),
    };
    const loop = createTradingLoop(
      {
        market: { exchange: 'test', symbol: 'RW/USDT', timeframe: '5m' },
        runId: null,
        strategies: [createBuiltInCatalog().create('ma-crossover', { fastPeriod: 3, slowPeriod: 8 }), createBuiltInCatalog().create('donchian-breakout', { period: 5 })],
        fusion: { weights: { 'ma-crossover': 1, 'donchian-breakout': 1 }, entryThreshold: 0.25, ttlMs: FIVE_MIN },
        decisionDetail: 'off',
        allowShort: true,
        capacityHint: steps.length,
      },
      { clock, exchange: spyExchange, account: paper, simulator: paper, risk: spyRisk, journal: null, veto: null, newId: () => 'x' },
    );
    onClosed = (t) => loop.onTradeClosed(t);
    for (let i = 0; i < candles.length; i++) {
      clock.set(candles.openTimeMs[i] + FIVE_MIN);
      const pending = loop.onCandle(candles, i);
      if (pending) await pending;
    }
    return { entries, decisions };
  }

  it('sends only approved entries to the exchange, each within every risk cap', async () => {
    let approvedSeen = 0;
    let deniedSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: -0.03, max: 0.03, noNaN: true }), { minLength: 60, maxLength: 200 }),
        fc.record({
          maxLeverage: fc.double({ min: 0.2, max: 3, noNaN: true }),
          maxSymbolExposurePct: fc.double({ min: 5, max: 150, noNaN: true }),
          riskPerTradePct: fc.double({ min: 0.1, max: 3, noNaN: true }),
          maxLossPctEquityPerTrade: fc.double({ min: 0.1, max: 3, noNaN: true }),
        }),
        async (steps, limits) => {
          const risk = createRiskEngine(
            { ...limits, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, costs: tradingCostsOf(RANDOM_WALK_PAPER) },
            { clock: createManualClock(T0) },
          );
          const { entries, decisions } = await drive(steps, risk);
          approvedSeen += decisions.filter((d) => d.approved).length;
          deniedSeen += decisions.filter((d) => !d.approved).length;
          expect(entries.length).toBe(decisions.filter((d) => d.approved).length);
          for (const entry of entries) {
            expect(entry.decision?.approved).toBe(true);
            if (!entry.decision?.approved) continue;
            expect(entry.request.amount).toBe(entry.decision.amount);
            for (const check of entry.decision.checks) expect(check.value).toBeLessThanOrEqual(check.limit * (1 + 1e-9));
            const notional = entry.request.amount * entry.price;
            expect((notional / entry.equity) * 100).toBeLessThanOrEqual(limits.maxSymbolExposurePct * (1 + 1e-9));
            expect(notional / entry.equity).toBeLessThanOrEqual(limits.maxLeverage * (1 + 1e-9));
          }
        },
      ),
      { numRuns: 60, seed: 20240101 },
    );
    expect(approvedSeen).toBeGreaterThan(10);
    expect(deniedSeen).toBeGreaterThan(0);
  });
});

const dataDir = process.env.AETHELRED_SHARED_DATA ?? path.resolve(import.meta.dirname, '../../../shared/data');
const btcFile = path.join(dataDir, 'binance_BTC-USDT_5m.csv');

describe('backtest over real Binance BTC/USDT 5m candles', () => {
  if (!existsSync(btcFile)) {
    it('is not run without the shared data folder', () => {
      console.log(`shared data not found at ${btcFile}: real-data backtest suite not run`);
      expect(existsSync(btcFile)).toBe(false);
    });
    return;
  }

  it('runs January to March 2024 deterministically and journals every trade', async () => {
    const { columns } = await parseCandleCsv(btcFile, '5m');
    const deps = await setup(columns, 'BTC/USDT');
    const request = { ...baseRequest, symbol: 'BTC/USDT', from: '2024-01-01', to: '2024-03-01' };
    const a = await runBacktest(request, deps);
    const b = await runBacktest(request, await setup(columns, 'BTC/USDT'));
    // 2024-01-01T00:00Z to 2024-03-01T00:00Z is 60 days of 288 five-minute candles.
    expect(a.candles).toBe(60 * 288);
    expect(a.trades.length).toBeGreaterThan(5);
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(deps.journal.trades).toHaveLength(a.trades.length);
    const spec = resolveBacktest(request);
    expect(a.equity[0].timeMs).toBe(spec.fromMs + FIVE_MIN);
    for (const t of a.trades) {
      expect(t.entryTimeMs).toBeGreaterThanOrEqual(spec.fromMs);
      expect(t.exitTimeMs).toBeLessThanOrEqual(spec.toMs);
      expect(t.exitTimeMs).toBeGreaterThanOrEqual(t.entryTimeMs);
    }
  });
});

const btc1hFile = path.join(dataDir, 'binance_BTC-USDT_1h.csv');

describe('stop-outs on real Binance BTC/USDT 1h candles', () => {
  if (!existsSync(btc1hFile)) {
    it('is not run without the shared data folder', () => {
      console.log(`shared data not found: skipping the stop-out budget backtest (${btc1hFile}; set AETHELRED_SHARED_DATA)`);
      expect(existsSync(btc1hFile)).toBe(false);
    });
    return;
  }

  /**
   * The loss of every stop-out as a percent of the equity at its entry. Spot and one position at a time, so the
   * book is flat at each entry and its equity is the initial balance plus the net of the trades closed before.
   */
  function stopOutLossesPct(result: BacktestResult, initialBalance: number): number[] {
    const losses: number[] = [];
    let equity = initialBalance;
    for (const t of result.trades) {
      const net = t.realizedPnl - t.fees - t.funding;
      if (t.exitReason === 'stop') losses.push((-net / equity) * 100);
      equity += net;
    }
    return losses;
  }

  // With the former fee-only sizing, these runs lost up to 1.052 % (default costs) and 1.173 % (wide costs) of the
  // equity at entry on a stop-out (checked by running this test against the previous risk engine).
  it.each([
    { costs: 'the default paper costs', paper: {} },
    { costs: 'a 10 bps spread and 5 bps slippage', paper: { takerFeeBps: 10, spreadBps: 10, slippageBps: 5 } },
  ])('never loses more than riskPerTradePct of the equity at entry on a stop-out, with $costs', async ({ paper }) => {
    const { columns } = await parseCandleCsv(btc1hFile, '1h');
    const request = {
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      from: columns.openTimeMs[0],
      to: columns.openTimeMs[columns.length - 1] + 3_600_000,
      strategies: ALL,
      fusion: { entryThreshold: 0.25 },
      risk: { riskPerTradePct: 1 },
      paper,
      decisionDetail: 'off',
    };
    const spec = resolveBacktest(request);
    expect(spec.paper.spreadBps).toBeGreaterThan(0);
    expect(spec.paper.slippageBps).toBeGreaterThan(0);
    const result = await simulate(spec, columns, null, { journal: createInMemoryJournalRepository(), logger: silentLogger, newId: () => 'x' });
    const losses = stopOutLossesPct(result, spec.paper.initialBalance);
    expect(losses.length).toBeGreaterThan(20);
    for (const loss of losses) expect(loss).toBeLessThanOrEqual(1 + 1e-9);
    // Not merely conservative: a stop-out spends the whole budget unless the exposure cap (95 %) shrank the order.
    expect(losses.filter((loss) => loss >= 1 - 1e-9).length).toBeGreaterThan(losses.length * 0.8);
  });
});

/** Long while the close is above SMA(3) (warm-up 2 = SMA's own), declaring 5 startup candles; stop 2 % below the close. */
const aboveSma3 = defineStrategy({
  name: 'above-sma3',
  version: '1.0.0',
  summary: 'Long while the close is above SMA(3).',
  params: z.object({}),
  indicators: () => ({ sma: [3] }),
  warmup: () => 2,
  startupCandles: () => 5,
  evaluate(f, i, out) {
    if (i >= 2 && f.close[i] > f.sma[3][i]) {
      out.side = Direction.Long;
      out.strength = 1;
      out.stopHint = f.close[i] * 0.98;
      out.reason = 'close above SMA(3)';
      out.exit = Direction.Flat;
    } else setFlat(out, COMMON_REASONS.NoSignal);
  },
});

describe('warm-up history before from', () => {
  /** 160 rising 5-minute candles from T0: close 100 + i. */
  const rising = () =>
    toColumns(Array.from({ length: 160 }, (_, i) => ({ openTimeMs: T0 + i * FIVE_MIN, open: 100 + i, high: 101 + i, low: 99 + i, close: 100 + i, volume: 1_000 })));
  const request = (fromRow: number) => ({
    exchange: 'test',
    symbol: 'SYN/USDT',
    timeframe: '5m',
    from: T0 + fromRow * FIVE_MIN,
    to: T0 + 160 * FIVE_MIN,
    strategies: ['above-sma3'],
    decisionDetail: 'all' as const,
  });
  /** The first journaled decision of a run, as (candle close time - T0) / 5 min, and its outcome. */
  const firstDecision = (deps: Awaited<ReturnType<typeof setup>>, runId: string) => {
    const d = deps.journal.decisions.filter((x) => x.runId === runId).sort((a, b) => a.timeMs - b.timeMs)[0];
    return { closeRow: (d.timeMs - T0) / FIVE_MIN, outcome: d.outcome };
  };

  it('feeds the startup history before from to the loop (no decisions, no equity), so the first candle of the range trades', async () => {
    const deps = { ...(await setup(rising())), strategies: createStrategyCatalog([aboveSma3]) };
    // Needed: max(strategy startup 5, the loop's risk ATR(14) converged: 13 + ceil(ln 1e-4 / ln(13/14)) = 13 + 125 = 138).
    const r = await runBacktest(request(150), deps);
    expect(r.warmup).toEqual({ candles: 138, needed: 138 });
    // Rows 150..159 traded: 10 candles, 10 equity points from the close of row 150 on.
    expect(r.stats.candles).toBe(10);
    expect(r.equity[0].timeMs).toBe(T0 + 151 * FIVE_MIN);
    // Row 150 (close 250 > SMA(3) 249) enters at once: its decision is stamped at the candle's close, 151.
    expect(firstDecision(deps, r.runId)).toEqual({ closeRow: 151, outcome: 'executed' });
    expect(deps.runs.runs.get(r.runId)!.metrics).toMatchObject({ warmup: { candles: 138, needed: 138 } });
  });

  it('runs with what is stored when fewer candles precede from, and records N of M', async () => {
    const deps = { ...(await setup(rising())), strategies: createStrategyCatalog([aboveSma3]) };
    // 8 candles stored before row 8: the loop's first decision row is 14 (its ATR(14) needs rows 0..13),
    // so the first decision is at row 14 (stamped 15), as with no history at all (from row 0).
    const short = await runBacktest(request(8), deps);
    expect(short.warmup).toEqual({ candles: 8, needed: 138 });
    expect(short.stats.candles).toBe(152);
    expect(firstDecision(deps, short.runId)).toEqual({ closeRow: 15, outcome: 'executed' });
    const cold = await runBacktest(request(0), deps);
    expect(cold.warmup).toEqual({ candles: 0, needed: 138 });
    expect(firstDecision(deps, cold.runId)).toEqual({ closeRow: 15, outcome: 'executed' });
    expect(describeBacktestWarmup(short.warmup)).toBe('8 of the 138 candles the strategies need, stored before the range (its first candles trade on indicators that still depend on where the history began)');
    expect(describeBacktestWarmup({ candles: 1, needed: 1 })).toBe('1 candle before the range, all the strategies need');
  });
});

describe('runBacktest with portfolio VaR limits', () => {
  const closes = syntheticCandles(3_000).close;
  /**
   * Second implementation of the check, from the candles alone: the journaled entry at close time `timeMs` holds
   * a long of |notional| = symbol_exposure_pct % of equity, so its VaR fraction is that share times minus the k-th
   * smallest of the last 100 close-to-close returns, k = ceil(100 x (1 - 0.9)) = 10.
   */
  function expectedVarFraction(timeMs: number, exposurePct: number): number {
    const row = (timeMs - FIVE_MIN - T0) / FIVE_MIN;
    const returns: number[] = [];
    for (let t = row - 99; t <= row; t++) returns.push(closes[t] / closes[t - 1] - 1);
    returns.sort((a, b) => a - b);
    return (exposurePct / 100) * -returns[9];
  }
  const checksOf = (d: { inputs: unknown }) => ((d.inputs as { risk?: { name: string; value: number; limit: number; passed: boolean }[] }).risk ?? []);

  it('checks the VaR of the position after each entry on the loop’s own candles, as computed from the closes', async () => {
    const deps = await setup(syntheticCandles(3_000));
    const result = await runBacktest({ ...baseRequest, risk: { maxVarFraction: 1, varConfidence: 0.9, varLookbackCandles: 100 } }, deps);
    const entries = deps.journal.decisions.filter((d) => d.outcome === 'executed' && d.reason.startsWith('entered'));
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.length).toBe(result.stats.entries);
    for (const entry of entries) {
      const checks = checksOf(entry);
      const exposure = checks.find((c) => c.name === 'symbol_exposure_pct')!.value;
      const check = checks.find((c) => c.name === 'var_fraction')!;
      expect(check.value).toBeCloseTo(expectedVarFraction(entry.timeMs, exposure), 12);
      expect(check).toMatchObject({ limit: 1, passed: true });
    }
    // A limit of 1 (VaR up to all of equity) changes nothing.
    const free = await runBacktest(baseRequest, await setup(syntheticCandles(3_000)));
    expect(result.trades).toEqual(free.trades);
  });

  it('denies every entry with the figures when the VaR limit is 0', async () => {
    const deps = await setup(syntheticCandles(3_000));
    const result = await runBacktest({ ...baseRequest, risk: { maxVarFraction: 0, varConfidence: 0.9, varLookbackCandles: 100 } }, deps);
    expect(result.trades).toEqual([]);
    const denied = deps.journal.decisions.filter((d) => d.outcome === 'denied');
    expect(denied.length).toBeGreaterThan(3);
    for (const d of denied) {
      expect(d.reason).toMatch(/^var_fraction [\d.]+ of equity exceeds maxVarFraction 0 \(VaR [\d.]+ and ES [\d.]+ at 90% over 100 candles of 5m\)$/);
      const checks = checksOf(d);
      const exposure = checks.find((c) => c.name === 'symbol_exposure_pct')!.value;
      expect(checks.find((c) => c.name === 'var_fraction')!.value).toBeCloseTo(expectedVarFraction(d.timeMs, exposure), 12);
    }
  });

  it('names the field of a VaR limit outside 0..1 or a confidence level of 0 or 1', async () => {
    const deps = await setup(syntheticCandles(100));
    await expect(runBacktest({ ...baseRequest, risk: { maxVarFraction: 1.5 } }, deps)).rejects.toThrow(/field "risk\.maxVarFraction" was 1\.5/);
    await expect(runBacktest({ ...baseRequest, risk: { varConfidence: 1 } }, deps)).rejects.toThrow(/field "risk\.varConfidence" was 1/);
    await expect(runBacktest({ ...baseRequest, risk: { varConfidence: 0 } }, deps)).rejects.toThrow(/field "risk\.varConfidence" was 0/);
  });
});

describe('the market symbol of a backtest request', () => {
  /** The ValidationError a request throws: its field, value and message. */
  const refusal = (request: Record<string, unknown>) => {
    try {
      resolveBacktest({ ...baseRequest, ...request });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { field: error.field, value: error.value, message: error.message };
    }
    throw new Error(`expected ${JSON.stringify(request)} to be refused`);
  };

  it('refuses a symbol outside the one rule (upper-case BASE/QUOTE), naming the field and the value; takes BTC/USDT', () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      expect(refusal({ symbol: bad })).toEqual({
        field: 'symbol',
        value: bad,
        message: `field "symbol" was "${bad}": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)`,
      });
    }
    expect(resolveBacktest({ ...baseRequest, symbol: 'BTC/USDT' }).market.symbol).toBe('BTC/USDT');
  });

  it('refuses such a symbol in a portfolio run\'s symbols, naming its place in the list', () => {
    expect(refusal({ symbol: undefined, symbols: ['BTC/USDT', 'eth/usdt'] })).toMatchObject({ field: 'symbols.1', value: 'eth/usdt' });
    expect(refusal({ symbol: undefined, symbols: ['ETHUSDT', 'BTC/USDT'] })).toMatchObject({ field: 'symbols.0', value: 'ETHUSDT' });
    expect(resolveBacktest({ ...baseRequest, symbol: undefined, symbols: ['BTC/USDT', 'ETH/USDT'] }).markets?.map((m) => m.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
  });
});
