/**
 * The look-ahead and recursion check end to end: the four built-in strategies on a real candle file
 * (the shared data folder, /work/shared/data or AETHELRED_SHARED_DATA; the suite says so when it is
 * absent) and on a synthetic random walk; the `strategy-check` job through the real queue and the
 * in-process runner on embedded PGlite and PostgreSQL (report stored as the ticket's result, progress
 * written, refused requests failing at once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createTicketRepository } from '../../db/repositories/ticket-repository';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import { ValidationError } from '../../engine/core/errors';
import { candleColumnsFromRows, type CandleColumns, type MarketKey } from '../../engine/core/types';
import { checkStrategy } from '../../engine/insight/lookahead-check';
import { runStrategyCheck } from '../../engine/insight/strategy-check';
import { bindJobHandlers, JOB_DEFINITIONS } from '../../engine/jobs/definitions';
import type { JobServices } from '../../engine/jobs/job-definition';
import { enqueueStrategyCheck } from '../../engine/jobs/strategy-check-job';
import { parseCandleCsv } from '../../engine/market/candle-csv';
import { createInProcessJobRunner } from '../../engine/orchestrator/in-process-runner';
import { createJobQueue, type Ticket } from '../../engine/orchestrator/job-queue';
import type { CandleRepository } from '../../engine/ports/candles';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import { createAdapterFromDefinition } from '../../engine/strategies/strategy-catalog';
import type { StrategyAdapter } from '../../engine/strategies/strategy-adapter';
import type { StrategyDefinition } from '../../engine/strategies/strategy-api';
import { CHECK_EXAMPLES } from '../../engine/testing/check-examples';
import bollingerReversion from '../../strategies/bollinger-reversion';
import higherTimeframeTrend from '../../strategies/higher-timeframe-trend';
import volatilityBreakout from '../../strategies/volatility-breakout';
import { sharedDataDir, sharedDataFile, syntheticCandles } from '../support/ml-candles';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1);
const H1 = 3_600_000;

const catalog = createBuiltInCatalog();
const BUILT_INS = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'];

/** Built-ins (the engine's catalog) plus the check's examples. */
const createWithExamples = (name: string, params: unknown): StrategyAdapter => CHECK_EXAMPLES[name] ?? catalog.create(name, params);

/**
 * The built-ins' startup history (`adapter.startupCandles`) = max(warm-up, convergenceWarmup of their
 * indicators), the seed's weight below 0.01 % (Wilder alpha 1/14: ceil(ln 1e-4 / ln(13/14)) = 125 steps;
 * EMA(50) alpha 2/51: ceil(ln 1e-4 / ln(49/51)) = ceil(9.2103 / 0.040005) = 231):
 * - ma-crossover: SMA(20/50) 49, ATR(14) 13 + 125 = 138 -> 138 (warm-up 50);
 * - rsi-mean-reversion: RSI(14) 14 + 125 = 139, ATR(14) 138 -> 139 (warm-up 15);
 * - ema-trend: EMA(50) 231, ATR(14) 138 -> 231 (warm-up 51);
 * - donchian-breakout: Donchian(20) 20, ATR(14) 138 -> 138 (warm-up 20).
 * With it as the declared history, every built-in passes both parts of the check.
 */
const BUILT_IN_STARTUP: Record<string, { warmup: number; startupCandles: number }> = {
  'ma-crossover': { warmup: 50, startupCandles: 138 },
  'rsi-mean-reversion': { warmup: 15, startupCandles: 139 },
  'ema-trend': { warmup: 51, startupCandles: 231 },
  'donchian-breakout': { warmup: 20, startupCandles: 138 },
};

function expectBuiltInsPass(candles: CandleColumns) {
  expect(catalog.names()).toEqual(BUILT_INS);
  for (const name of BUILT_INS) {
    const adapter = catalog.create(name, {});
    expect({ warmup: adapter.warmup, startupCandles: adapter.startupCandles }, name).toEqual(BUILT_IN_STARTUP[name]);
    const report = checkStrategy(adapter, candles);
    expect(report.lookAhead.findingCount, `${name} look-ahead`).toBe(0);
    expect(report.recursion.findings, `${name} recursion`).toEqual([]);
    expect(report.startupCandles).toBe(BUILT_IN_STARTUP[name].startupCandles);
    expect(report.passed, name).toBe(true);
  }
}

describe('built-in strategies under the check', () => {
  it('pass both parts on a real candle file with their startup history', async () => {
    const file = sharedDataFile('binance_BTC-USDT_1h.csv');
    if (!file) {
      console.log(`strategy-check: binance_BTC-USDT_1h.csv not found under ${sharedDataDir() ?? process.env.AETHELRED_SHARED_DATA ?? '/work/shared/data'}; the real-data check is skipped`);
      return;
    }
    const { columns } = await parseCandleCsv(file, '1h');
    expect(columns.length).toBe(5_980);
    expectBuiltInsPass(columns);
  });

  it('pass both parts on a synthetic random walk with their startup history', () => {
    expectBuiltInsPass(syntheticCandles(3_000, 11));
  });

  it('with only their warm-up as history, rsi-mean-reversion is flagged on RSI(14) and ATR(14) of the real file', async () => {
    const file = sharedDataFile('binance_BTC-USDT_1h.csv');
    if (!file) return; // said above
    const { columns } = await parseCandleCsv(file, '1h');
    const adapter = catalog.create('rsi-mean-reversion', {});
    const report = checkStrategy({ ...adapter, startupCandles: adapter.warmup }, columns);
    // Startup 15 (RSI(14) is seeded at row 14 of its history): 15 rows after a later start the seed still weighs (13/14)^1.
    expect(new Set(report.recursion.findings.map((f) => f.indicator))).toEqual(new Set(['rsi(14)', 'atr(14)']));
    for (const f of report.recursion.findings) expect(f.firstRow).toBe(f.historyStartRow + 15);
  });
});

describe('example strategy files under the check', () => {
  const examples = [bollingerReversion, higherTimeframeTrend, volatilityBreakout] as unknown as StrategyDefinition[];

  it('pass both parts on the real file and the synthetic walk with their startup history; recursion flags only their ATR/EMA with their warm-up alone', async () => {
    const file = sharedDataFile('binance_BTC-USDT_1h.csv');
    if (!file) console.log('strategy-check: binance_BTC-USDT_1h.csv not found; the examples are checked on the synthetic walk only');
    const series = [syntheticCandles(3_000, 11), ...(file ? [(await parseCandleCsv(file, '1h')).columns] : [])];
    for (const candles of series) {
      for (const definition of examples) {
        const adapter = createAdapterFromDefinition(definition, {});
        // Each reads ATR(14) (13 + 125 = 138) and nothing needing more: EMA(20) 20 - 1 and ceil(ln 1e-4 / ln(19/21)) = 93; SMA/stddev(20) 19.
        expect(adapter.startupCandles, definition.name).toBe(138);
        const report = checkStrategy(adapter, candles);
        expect(report.lookAhead.findingCount, `${definition.name} look-ahead`).toBe(0);
        expect(report.recursion.findings, `${definition.name} recursion`).toEqual([]);
        expect(report.passed, definition.name).toBe(true);
        // With only the warm-up as history, only seeded columns can differ (SMA and the rolling standard deviation never do).
        const short = checkStrategy({ ...adapter, startupCandles: adapter.warmup }, candles);
        for (const finding of short.recursion.findings) expect(['ema', 'atr'], `${definition.name} ${finding.indicator}`).toContain(finding.kind);
      }
    }
  });
});

/** Hourly candles 100 on rows 0..29 and 110 from row 30 (the leaky example fires at row 29 on the full range only). */
function stepCandles(count: number): CandleColumns {
  return candleColumnsFromRows(
    Array.from({ length: count }, (_, i) => {
      const close = i < 30 ? 100 : 110;
      return { openTimeMs: T0 + i * H1, open: close, high: close + 1, low: close - 1, close, volume: 1 };
    }),
  );
}

describe.each(TEST_DATABASE_BACKENDS)('strategy-check job on $name', (backend) => {
  let dispose: () => Promise<void>;
  let candles: CandleRepository;
  let run: (params: Record<string, unknown>) => Promise<Ticket>;
  let enqueue: (params: Record<string, unknown>) => Promise<string>;
  let progress: (id: string) => Promise<{ progress: number; message: string | null }>;
  const market: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

  beforeAll(async () => {
    const opened = await backend.open();
    dispose = opened.dispose;
    const db = opened.database.db;
    candles = createCandleRepository(db);
    await candles.insertCandles(market, stepCandles(60));
    const tickets = createTicketRepository(db);
    const clock = createManualClock(T0 + 100 * H1);
    const services = {
      checkStrategy: (request: unknown, onProgress?: (done: number, total: number) => Promise<void>) =>
        runStrategyCheck(request, { candles, createStrategy: createWithExamples }, onProgress),
    } as unknown as JobServices;
    const runner = createInProcessJobRunner(
      { concurrency: 1, pollIntervalMs: 60_000, backoff: { baseMs: 1, capMs: 1, jitterRatio: 0 }, leaseMs: 120_000 },
      { tickets, handlers: bindJobHandlers(services), clock, logger: silentLogger, random: () => 0.5 },
    );
    let n = 0;
    const queue = createJobQueue(
      { defaultMaxAttempts: 3 },
      { tickets, clock, newId: () => `check-${++n}`, dispatcher: { runner: 'in-process', dispatch: () => undefined }, definitions: JOB_DEFINITIONS, handlers: bindJobHandlers(services), logger: silentLogger },
    );
    await runner.start();
    enqueue = (params) => enqueueStrategyCheck(params, { candles, createStrategy: createWithExamples, enqueue: (job) => queue.enqueue(job) });
    run = async (params) => {
      const id = await queue.enqueue({ kind: 'strategy-check', params });
      await runner.pollNow();
      await runner.whenIdle();
      return (await queue.get(id))!;
    };
    progress = async (id) => {
      const t = (await queue.get(id))!;
      return { progress: t.progress, message: t.progressMessage };
    };
    const stop = dispose;
    dispose = async () => {
      await runner.stop();
      await stop();
    };
  }, 60_000);
  afterAll(async () => {
    await dispose?.();
  });

  it('stores the report as the ticket result: the leaky example flagged at 2024-01-02 05:00 UTC', async () => {
    const ticket = await run({ strategy: 'leaky-next-close', ...market, from: '2024-01-01', to: '2024-01-04' });
    expect(ticket.status).toBe('succeeded');
    expect(ticket.attempts).toBe(1);
    if (ticket.kind !== 'strategy-check' || !ticket.result) throw new Error('expected a strategy-check result');
    const report = ticket.result;
    // 60 stored candles, all inside 2024-01-01 .. 2024-01-04 (72 hours).
    expect(report).toMatchObject({ strategy: 'leaky-next-close', market, candles: 60, firstTimeMs: T0, lastTimeMs: T0 + 59 * H1, passed: false });
    expect(report.lookAhead.findingCount).toBe(1);
    expect(report.lookAhead.findings[0]).toEqual({
      row: 29,
      timeMs: T0 + 29 * H1,
      full: { side: 1, strength: 1, stopHint: 95, exit: 0, reason: 'leaky: next close is higher' },
      truncated: { side: 0, strength: 0, stopHint: null, exit: 0, reason: 'no signal' },
    });
    expect(await progress(ticket.id)).toEqual({ progress: 1, message: '60 candles checked: 1 finding' });
  });

  it('flags the short EMA warm-up with its first differing candle, and passes a clean strategy', async () => {
    const ema = await run({ strategy: 'short-warmup-ema', ...market });
    if (ema.kind !== 'strategy-check' || !ema.result) throw new Error('expected a strategy-check result');
    // 60 candles, warm-up 10: history starts at rows floor(j * 50 / 4) = 12, 25, 37 (rows 1..49 leave room).
    // Starts 12 and 25 lie in the flat part (closes 100): both EMAs are 100 until the jump and move alike after it.
    // Start 37 seeds with close[37] = 110 while the full EMA is 110 - 10 (9/11)^8 = 107.99: the difference
    // 10 (9/11)^(r-29) is compared from row 37 + 10 = 47 (10 (9/11)^18 = 0.271, 0.25 % of 109.73) and stays above
    // 0.1 % while r - 29 <= 22 (10 (9/11)^22 = 0.121 = 0.11 %; ^23: 0.099 = 0.09 %): rows 47..51.
    expect(ema.result.recursion.historyStartRows).toEqual([12, 25, 37]);
    expect(ema.result.recursion.findings).toEqual([
      expect.objectContaining({ indicator: 'ema(10)', historyStartRow: 37, historyStartMs: T0 + 37 * H1, firstRow: 47, firstTimeMs: T0 + 47 * H1, differingRows: 5, comparedRows: 13 }),
    ]);
    expect(ema.result.recursion.findings[0].difference).toBeCloseTo((10 * (9 / 11) ** 18) / (110 - 10 * (9 / 11) ** 18), 10);
    expect(ema.result.passed).toBe(false);

    const clean = await run({ strategy: 'close-above-sma', ...market });
    expect(clean).toMatchObject({ status: 'succeeded', result: { passed: true, lookAhead: { findingCount: 0 }, recursion: { findings: [] } } });
    expect(await progress(clean.id)).toEqual({ progress: 1, message: '60 candles checked: passed' });
  });

  it('fails at the first attempt when the range holds too few candles, with the reason', async () => {
    // ema-trend's startup history is 231 (EMA(50): ceil(ln 1e-4 / ln(49/51)) = 231): it needs 233 candles; the first day holds 24.
    const short = await run({ strategy: 'ema-trend', ...market, from: '2024-01-01', to: '2024-01-02' });
    expect(short).toMatchObject({ status: 'failed', attempts: 1 });
    expect(short.error).toBe(
      'strategy check refused: field "candles" was 24: binance BTC/USDT 1h has 24 stored candles in the range; ema-trend needs at least 233 (231 startup candles plus two rows to compare). Import or download candles first.',
    );
  });

  it('refuses at enqueue an unknown strategy, bad params, or a market without candles, naming the field', async () => {
    await expect(enqueue({ strategy: 'nope', ...market })).rejects.toMatchObject({ field: 'strategy', value: 'nope' });
    await expect(enqueue({ strategy: 'ema-trend', params: { period: 0 }, ...market })).rejects.toBeInstanceOf(ValidationError);
    await expect(enqueue({ strategy: 'ema-trend', ...market, symbol: 'ETH/USDT' })).rejects.toMatchObject({ field: 'symbol', value: 'ETH/USDT' });
    await expect(enqueue({ strategy: 'ema-trend', ...market, from: '2024-02-01', to: '2024-01-01' })).rejects.toMatchObject({ field: 'to', value: '2024-01-01' });
    await expect(enqueue({ strategy: 'ema-trend', ...market, startupCandles: -1 })).rejects.toMatchObject({ field: 'startupCandles', value: -1 });
    const id = await enqueue({ strategy: 'leaky-next-close', ...market });
    expect(id).toMatch(/^check-/);
  });
});
