/**
 * Exits of a position in the one trading loop, on the PaperExchange: take-profit levels (by R and by
 * percent, partial), the trailing stop (percent, ATR with activation), the time stop, the minimal-ROI
 * table, a strategy's exit instruction, the close at the end of a run, and the intrabar rule when a
 * stop and a take-profit are both touched in one candle.
 *
 * Hand-made candles (not market data): rows 0-15 close at 100 with a 2-wide range (ATR 2); a scripted
 * strategy goes long on row 15's close with a stop hint of 96. The paper venue is spot, 10 000 USDT,
 * no spread or slippage, taker 10 bps, maker 2 bps. Risk: 1 % of equity at risk (100 / 4 = 25 units)
 * capped by a 20 % exposure limit (2 000 / 100 = 20 units), so every test holds 20 units bought at 100
 * with an entry fee of 20 × 100 × 0.001 = 2 USDT, and R = 100 − 96 = 4 per unit (initial risk 80).
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { candleColumnsFromRows, type Candle } from '../core/types';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import type { JournalWriter } from '../ports/journal-writer';
import { createPaperExchange } from '../execution/paper-exchange';
import { createRiskEngine } from '../risk/risk-engine';
import { ExitPolicySchema, type ExitPolicyInput } from '../strategies/exit-policy';
import { Direction, setFlat, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';
import { createTradingLoop, type ClosedTrade } from './trading-loop';

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'SYN/USDT';
const ENTRY_ROW = 15;
/** Close time of the entry candle: the entry's fill time. */
const ENTRY_TIME = T0 + (ENTRY_ROW + 1) * TF;

type Bar = [open: number, high: number, low: number, close: number];

/** Rows 0-15 flat at 100 (high 101, low 99), then `after` from row 16 on, each with volume 1 000. */
function candles(after: Bar[]) {
  const rows: Candle[] = Array.from({ length: ENTRY_ROW + 1 }, (_, i) => ({ openTimeMs: T0 + i * TF, open: 100, high: 101, low: 99, close: 100, volume: 1_000 }));
  after.forEach(([open, high, low, close], k) => rows.push({ openTimeMs: T0 + (ENTRY_ROW + 1 + k) * TF, open, high, low, close, volume: 1_000 }));
  return candleColumnsFromRows(rows);
}

/** Long (or short) with strength 1 and a stop hint 4 below (above) the close on ENTRY_ROW; `exit` closing it on `exitRow`. */
function scripted(exitRow = -1, side: Direction = Direction.Long): StrategyAdapter {
  return {
    name: 'scripted',
    config: {},
    features: {},
    warmup: 0,
    evaluate(f, i, out: AdapterOutput) {
      setFlat(out, 'no signal');
      if (i === exitRow) out.exit = side;
      if (i !== ENTRY_ROW) return;
      out.side = side;
      out.strength = 1;
      out.stopHint = f.close[i] - side * 4;
      out.reason = 'scripted';
    },
  };
}

async function run(after: Bar[], exits: ExitPolicyInput | null, options: { exitRow?: number; closeAtEnd?: boolean; short?: boolean; idle?: boolean; chunkSize?: number } = {}) {
  const clock = createManualClock(T0);
  const trades: TradeRecord[] = [];
  const decisions: DecisionRecord[] = [];
  const writer: JournalWriter = {
    recordTrade: (t) => void trades.push(t),
    recordDecision: (d) => void decisions.push(d),
    pending: () => 0,
    flush: async () => {},
    status: () => ({ failing: false, lastError: null, refusedRows: 0, pending: 0 }),
  };
  let onClosed: (t: ClosedTrade) => void = () => undefined;
  const paper = createPaperExchange(
    { marketType: options.short ? 'futures' : 'spot', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
    { clock, listener: { onTradeClosed: (t) => onClosed(t) } },
  );
  let ids = 0;
  const risk = createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 20, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, accountId: 'run-1' }, { clock });
  const loop = createTradingLoop(
    {
      market: { exchange: 'paper', symbol: SYMBOL, timeframe: '1m' },
      runId: 'run-1',
      strategies: [scripted(options.exitRow, options.short ? Direction.Short : Direction.Long)],
      fusion: { weights: { scripted: 1 }, ttlMs: TF },
      decisionDetail: 'signals',
      allowShort: options.short === true,
      capacityHint: 32,
      chunkSize: options.chunkSize,
      exits: exits === null ? null : ExitPolicySchema.parse(exits),
    },
    {
      clock,
      exchange: paper,
      account: paper,
      simulator: paper,
      risk,
      journal: writer,
      veto: null,
      newId: () => `t${++ids}`,
    },
  );
  onClosed = (t) => void loop.onTradeClosed(t);
  const columns = candles(after);
  // With `idle`, as a backtest feeds one market: after each candle, the idle ones that follow go in one step.
  const idleRuns: [row: number, count: number][] = [];
  for (let row = 0; row < columns.length; row++) {
    clock.set(columns.openTimeMs[row] + TF);
    const pending = loop.onCandle(columns, row);
    if (pending) await pending;
    const idle = options.idle ? loop.onIdleCandles(columns, row + 1, columns.length) : 0;
    if (idle > 0) {
      idleRuns.push([row + 1, idle]);
      row += idle;
      clock.set(columns.openTimeMs[row] + TF);
    }
  }
  if (options.closeAtEnd) await loop.closeOpenPosition('end-of-run');
  const rows = trades.map((t) => ({ amount: t.amount, entryPrice: t.entryPrice, exitPrice: t.exitPrice, exitTimeMs: t.exitTimeMs, realizedPnl: t.realizedPnl, fees: t.fees, initialRisk: t.initialRisk, exitReason: t.exitReason }));
  return { paper, loop, risk, trades, rows, decisions, idleRuns };
}

/** Close time of row `row`. */
const closeOf = (row: number) => T0 + (row + 1) * TF;

describe('trading loop exits on the paper venue', () => {
  it('takes profit at 2 R with a resting reduce-only limit and cancels the stop afterwards', async () => {
    // TP at 100 + 2 × 4 = 108. Row 16 is bullish (path open 100 → low 99 → high 109): the stop at 96 is
    // not reached, the limit fills at 108 as a maker: fee 20 × 108 × 0.0002 = 0.432; gross (108 − 100) × 20 = 160.
    const { rows, paper } = await run([[100, 109, 99, 107], [107, 108, 106, 107]], { takeProfit: [{ r: 2 }] });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 20, entryPrice: 100, exitPrice: 108, exitTimeMs: T0 + 16 * TF, realizedPnl: 160, exitReason: 'take-profit', initialRisk: 80 });
    expect(rows[0].fees).toBeCloseTo(2.432, 10); // 2 entry + 0.432 exit
    // The stop left with nothing to protect is cancelled on the next candle.
    expect(paper.openOrders(SYMBOL)).toEqual([]);
  });

  it('takes profit at a percent of the entry', async () => {
    // TP at 100 × 1.05 = 105; row 16 reaches 106. Gross 5 × 20 = 100; fees 2 + 20 × 105 × 0.0002 = 2.42.
    const { rows } = await run([[100, 106, 99.5, 105.5]], { takeProfit: [{ percent: 5 }] });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 20, exitPrice: 105, realizedPnl: 100, exitReason: 'take-profit', initialRisk: 80 });
    expect(rows[0].fees).toBeCloseTo(2.42, 10);
  });

  it('closes half at 1 R, then the stop closes the rest: one journal row per part', async () => {
    // Level 1: 10 units (0.5 × 20) at 100 + 4 = 104. Row 16 (bullish, high 104.5) fills it: gross 4 × 10 = 40,
    // fees = half the entry fee (1) + 10 × 104 × 0.0002 = 0.208 → 1.208; initial risk 4 × 10 = 40.
    // Row 17 is bearish (open 103 → high 103.5 → low 95): the stop at 96 fills the 10 left at 96 as a taker:
    // gross −4 × 10 = −40, fees = the other half of the entry fee (1) + 10 × 96 × 0.001 = 0.96 → 1.96.
    const { rows, paper } = await run([[100, 104.5, 99.5, 103], [103, 103.5, 95, 96]], { takeProfit: [{ r: 1, fraction: 0.5 }] });
    expect(rows.map((r) => [r.amount, r.entryPrice, r.exitPrice, r.realizedPnl, r.initialRisk, r.exitReason, r.exitTimeMs])).toEqual([
      [10, 100, 104, 40, 40, 'take-profit', T0 + 16 * TF],
      [10, 100, 96, -40, 40, 'stop', T0 + 17 * TF],
    ]);
    expect(rows[0].fees).toBeCloseTo(1.208, 10);
    expect(rows[1].fees).toBeCloseTo(1.96, 10);
    // The journal accounts for the whole equity change: 10 000 + 40 − 1.208 − 40 − 1.96 = 9 996.832.
    expect(paper.equity()).toBeCloseTo(9_996.832, 9);
  });

  it('trails the stop 2 % under the best high, cancel and replace once per candle, and journals its fill as trailing-stop', async () => {
    // Row 16: best high 105 → stop 105 × 0.98 = 102.9. Row 17: best 106 → 103.88. Row 18 is bearish
    // (open 105.5 → high 105.8 → low 103): the stop fills at 103.88; gross 3.88 × 20 = 77.6,
    // fees 2 + 20 × 103.88 × 0.001 = 2.0776.
    const { rows, decisions } = await run([[100, 105, 99.5, 104], [104, 106, 103.5, 105.5], [105.5, 105.8, 103, 103.2]], { trailingStop: { percent: 2 } });
    const moves = decisions.filter((d) => d.reason.startsWith('trailing stop moved'));
    expect(moves.map((d) => d.timeMs)).toEqual([closeOf(16), closeOf(17)]);
    const levels = moves.map((d) => Number(d.reason.slice('trailing stop moved to '.length)));
    expect(levels[0]).toBeCloseTo(102.9, 10);
    expect(levels[1]).toBeCloseTo(103.88, 10);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 20, exitReason: 'trailing-stop', initialRisk: 80, exitTimeMs: T0 + 18 * TF });
    expect(rows[0].exitPrice).toBeCloseTo(103.88, 10);
    expect(rows[0].realizedPnl).toBeCloseTo(77.6, 9);
    expect(rows[0].fees).toBeCloseTo(4.0776, 10);
  });

  it('trails by 1 × ATR once the position is 1 R in profit', async () => {
    // Every candle's true range is 2 (high − low = 2 and the previous close inside it), so ATR(14) stays 2.
    // Row 16: best 102, gain 2 < 1 R (4): not active. Row 17: best 104, gain 4: active, stop 104 − 2 = 102.
    // Row 18: best 105 → 103. Row 19 is bearish (high 104.6 first, then low 102.6): fills at 103.
    // Gross 3 × 20 = 60; fees 2 + 20 × 103 × 0.001 = 2.06.
    const { rows, decisions } = await run(
      [[100, 102, 100, 102], [102, 104, 102, 103.5], [103.5, 105, 103, 104.5], [104.5, 104.6, 102.6, 102.8]],
      { trailingStop: { atrMultiple: 1, activateAtR: 1 } },
    );
    const moves = decisions.filter((d) => d.reason.startsWith('trailing stop moved'));
    expect(moves.map((d) => [d.timeMs, d.reason])).toEqual([
      [closeOf(17), 'trailing stop moved to 102'],
      [closeOf(18), 'trailing stop moved to 103'],
    ]);
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason, r.exitTimeMs])).toEqual([[20, 103, 60, 'trailing-stop', T0 + 19 * TF]]);
    expect(rows[0].fees).toBeCloseTo(4.06, 10);
  });

  it('trails a short 2 % above the best low and takes it out on the way up', async () => {
    // Futures, short 20 at 100 with the stop hint at 104 (R = 4). Row 16: best low 95 → stop 95 + 1.9 = 96.9,
    // under the 104 of the entry. Row 17 is bullish (open 96 → low 95.5 → high 97.5): the buy stop fills at 96.9.
    // Gross (100 − 96.9) × 20 = 62; fees 2 + 20 × 96.9 × 0.001 = 1.938.
    const { rows } = await run([[100, 100.5, 95, 96], [96, 97.5, 95.5, 97]], { trailingStop: { percent: 2 } }, { short: true });
    expect(rows.map((r) => [r.amount, r.entryPrice, r.exitReason, r.initialRisk, r.exitTimeMs])).toEqual([[20, 100, 'trailing-stop', 80, T0 + 17 * TF]]);
    expect(rows[0].exitPrice).toBeCloseTo(96.9, 10);
    expect(rows[0].realizedPnl).toBeCloseTo(62, 9);
    expect(rows[0].fees).toBeCloseTo(3.938, 10);
  });

  it('takes profit on a short below the entry', async () => {
    // Short 20 at 100, take-profit at 1 R = 96; row 16 (bullish: low 95.5 first) fills the buy limit at 96 as a maker.
    // Gross 4 × 20 = 80; fees 2 + 20 × 96 × 0.0002 = 0.384.
    const { rows } = await run([[100, 100.5, 95.5, 100.2]], { takeProfit: [{ r: 1 }] }, { short: true });
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason])).toEqual([[20, 96, 80, 'take-profit']]);
    expect(rows[0].fees).toBeCloseTo(2.384, 10);
  });

  it('closes after the time stop bars at the candle close with a market order', async () => {
    // Entry on row 15's close; 3 bars later is row 18's close, at 102: gross 2 × 20 = 40, fees 2 + 20 × 102 × 0.001 = 2.04.
    const { rows } = await run([[100, 101, 99, 100], [100, 101, 99, 100.5], [100.5, 102.5, 100, 102], [102, 103, 101, 102]], { timeStop: { bars: 3 } });
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason, r.exitTimeMs])).toEqual([[20, 102, 40, 'time-stop', closeOf(18)]]);
    expect(rows[0].fees).toBeCloseTo(4.04, 10);
  });

  it('closes when the minimal-ROI row for the holding time is reached', async () => {
    // 1-minute candles. Row 16 closes 1 min after entry: the 0-min row (5 %) applies, 103 is +3 %: hold.
    // Row 17 closes 2 min after entry: the 2-min row (1 %) applies, 101.5 is +1.5 %: close at 101.5.
    // Gross 1.5 × 20 = 30; fees 2 + 20 × 101.5 × 0.001 = 2.03.
    const { rows } = await run([[100, 103.5, 99.5, 103], [103, 103.2, 101, 101.5], [101.5, 102, 101, 101.5]], {
      minimalRoi: [{ afterMinutes: 2, profitPercent: 1 }, { afterMinutes: 0, profitPercent: 5 }],
    });
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason, r.exitTimeMs])).toEqual([[20, 101.5, 30, 'roi', closeOf(17)]]);
    expect(rows[0].fees).toBeCloseTo(4.03, 10);
  });

  it("closes on the strategy's own exit instruction, with no exit policy", async () => {
    // Row 17 says exit (1 closes a long); close 101: gross 20, fees 2 + 20 × 101 × 0.001 = 2.02.
    const { rows } = await run([[100, 101, 99, 100.5], [100.5, 101.5, 100, 101], [101, 102, 100, 101]], null, { exitRow: 17 });
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason, r.exitTimeMs, r.initialRisk])).toEqual([[20, 101, 20, 'exit-signal', closeOf(17), 80]]);
    expect(rows[0].fees).toBeCloseTo(4.02, 10);
  });

  it('closes what is still open at the end of the run at the last close, so the trades sum to the equity change', async () => {
    // Last close 100.5: gross 0.5 × 20 = 10, fees 2 + 20 × 100.5 × 0.001 = 2.01; equity 10 000 + 10 − 4.01 = 10 005.99.
    const { rows, paper } = await run([[100, 101, 99, 100.5]], { takeProfit: [{ r: 3 }] }, { closeAtEnd: true });
    expect(rows.map((r) => [r.amount, r.exitPrice, r.realizedPnl, r.exitReason, r.exitTimeMs])).toEqual([[20, 100.5, 10, 'end-of-run', closeOf(16)]]);
    expect(rows[0].fees).toBeCloseTo(4.01, 10);
    expect(paper.equity()).toBeCloseTo(10_005.99, 9);
    // The take-profit order is cancelled with the close.
    expect(paper.openOrders(SYMBOL)).toEqual([]);
  });

  it('fills a stop and a take-profit touched in one candle in path order: low first when bullish, high first when bearish', async () => {
    // Stop 96, take-profit at 1 R = 104; the candle reaches both (low 95, high 105).
    // Bullish (close 101 >= open 100): open → low → high, the stop fills first at 96: gross −80, fees 2 + 1.92.
    const bullish = await run([[100, 105, 95, 101]], { takeProfit: [{ r: 1 }] });
    expect(bullish.rows.map((r) => [r.exitPrice, r.realizedPnl, r.exitReason])).toEqual([[96, -80, 'stop']]);
    expect(bullish.rows[0].fees).toBeCloseTo(3.92, 10);
    // Bearish (close 99 < open 100): open → high → low, the take-profit fills first at 104: gross 80, fees 2 + 0.416.
    const bearish = await run([[100, 105, 95, 99]], { takeProfit: [{ r: 1 }] });
    expect(bearish.rows.map((r) => [r.exitPrice, r.realizedPnl, r.exitReason])).toEqual([[104, 80, 'take-profit']]);
    expect(bearish.rows[0].fees).toBeCloseTo(2.416, 10);
  });

  it('fills a stop gapped through at the open', async () => {
    // Row 16 opens at 94, under the stop at 96: it fills at the open, 94. Gross −6 × 20 = −120, fees 2 + 1.88.
    const { rows } = await run([[94, 95, 93, 94.5]], { takeProfit: [{ r: 1 }] });
    expect(rows.map((r) => [r.exitPrice, r.realizedPnl, r.exitReason])).toEqual([[94, -120, 'stop']]);
    expect(rows[0].fees).toBeCloseTo(3.88, 10);
  });

  it('settles the idle candles in bulk (onIdleCandles) exactly as one by one: same trades, journal, equity curve, venue state and counters', async () => {
    // Rows 16-18 hold the position (take-profit half at 104 on row 16, the stop at 96 on row 18); row 30's exit
    // instruction finds it flat. Then 12 flat rows. Chunks of 32 rows (capacityHint 32): rows 0-31, then 32-39.
    const after: Bar[] = [[100, 104.5, 99.5, 103], [103, 103.5, 100, 101], [101, 101.5, 95, 96]];
    for (let k = 0; k < 21; k++) after.push([96, 96.5, 95.5, 96]);
    const options = { exitRow: 30, chunkSize: 64 };
    const one = await run(after, { takeProfit: [{ r: 1, fraction: 0.5 }] }, options);
    const bulk = await run(after, { takeProfit: [{ r: 1, fraction: 0.5 }] }, { ...options, idle: true });
    expect(one.rows).toHaveLength(2);
    expect(bulk.rows).toEqual(one.rows);
    expect(bulk.decisions).toEqual(one.decisions);
    expect(bulk.loop.stats()).toEqual(one.loop.stats());
    expect(bulk.loop.stats().candles).toBe(40);
    const curve = (r: typeof one) => ({ timeMs: Array.from(r.risk.equityCurve().timeMs), equity: Array.from(r.risk.equityCurve().equity) });
    expect(curve(bulk)).toEqual(curve(one));
    expect(curve(bulk).timeMs).toHaveLength(40);
    expect(bulk.risk.state()).toEqual(one.risk.state());
    expect(bulk.paper.exportState()).toEqual(one.paper.exportState());
    // Idle: rows 1-14 (warm-up, flat); row 15 is the entry, rows 16-18 hold the position (the stop fills on row 18 before
    // its equity point, so that point is already the flat account's); rows 19-31 are idle to the chunk's end; row 32
    // computes the next chunk, rows 33-39 are idle.
    expect(bulk.idleRuns).toEqual([
      [1, 14],
      [19, 13],
      [33, 7],
    ]);
  });
});

