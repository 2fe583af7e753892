/**
 * The trading loop on a real venue (no simulator) notices a position the venue closed on its own:
 * the protective stop triggered, a liquidation or a close by hand. A scripted strategy enters on one
 * candle; a fake venue fills market orders at a set price with a 10 bps taker fee and lets the test
 * trigger the stop or flatten the position between candles, as a venue does while the loop waits.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../core/clock';
import { ValidationError } from '../core/errors';
import type { DecisionRecord, TradeRecord } from '../ports/journal';
import { candleColumnsFromRows, type Candle } from '../core/types';
import type { JournalWriter } from '../ports/journal-writer';
import { createRiskEngine } from '../risk/risk-engine';
import { Direction, setFlat, type AdapterOutput, type StrategyAdapter } from '../strategies/strategy-adapter';
import { createFakeVenue, type FakeVenue } from '../testing/fake-venue';
import { createTradingLoop, type TradingLoop } from './trading-loop';
import type { VenuePosition } from '../ports/live-sessions';

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'SYN/USDT';
const FEE_RATE = 0.001;
/** The row whose close the scripted strategy enters on (the loop trades from row 14, after ATR(14)). */
const ENTRY_ROW = 15;

/**
 * Candles with a constant 2-wide range around 100 (not market data); the closes of rows 16 and 17
 * are set per test.
 */
function candles(closes: Record<number, number> = {}) {
  const rows: Candle[] = Array.from({ length: 20 }, (_, i) => {
    const close = closes[i] ?? 100;
    return { openTimeMs: T0 + i * TF, open: close, high: close + 1, low: close - 1, close, volume: 10 };
  });
  return candleColumnsFromRows(rows);
}

/** Goes long (or short) with strength 1 and a stop hint 4 below (above) the close on ENTRY_ROW only. */
function scripted(side: Direction): StrategyAdapter {
  return {
    name: 'scripted',
    config: {},
    features: {},
    warmup: 0,
    evaluate(f, i, out: AdapterOutput) {
      if (i !== ENTRY_ROW) return setFlat(out, 'no signal');
      out.side = side;
      out.strength = 1;
      out.stopHint = f.close[i] - side * 4;
      out.reason = 'scripted';
    },
  };
}

function journal() {
  const trades: TradeRecord[] = [];
  const decisions: DecisionRecord[] = [];
  const writer: JournalWriter = {
    recordTrade: (t) => void trades.push(t),
    recordDecision: (d) => void decisions.push(d),
    pending: () => 0,
    flush: async () => {},
    status: () => ({ failing: false, lastError: null, refusedRows: 0, pending: 0 }),
  };
  return { writer, trades, decisions };
}

function build(venue: FakeVenue, clock: ManualClock, side: Direction, j = journal()) {
  let ids = 0;
  const loop = createTradingLoop(
    { market: { exchange: 'fake', symbol: SYMBOL, timeframe: '1m' }, runId: null, clientIdPrefix: 's1', strategies: [scripted(side)], fusion: { weights: { scripted: 1 }, ttlMs: TF }, decisionDetail: 'signals', allowShort: true, capacityHint: 32 },
    {
      clock,
      exchange: venue.exchange,
      account: venue.account,
      simulator: null,
      // Exposure cap 20 % of 10 000 = 2 000 USDT, 20 units at 100: it binds before the 1 % risk budget (100 / 4 = 25 units).
      risk: createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 20, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, accountId: 's1' }, { clock }),
      journal: j.writer,
      veto: null,
      newId: () => `t${++ids}`,
    },
  );
  return { loop, journal: j };
}

/** Runs rows [from, to] as a live session would: the clock at each close plus `lagMs`, awaiting only when the loop asks. */
async function run(loop: TradingLoop, clock: ManualClock, columns: ReturnType<typeof candles>, from: number, to: number, lagMs = 500) {
  const awaited: number[] = [];
  for (let row = from; row <= to; row++) {
    clock.set(columns.openTimeMs[row] + TF + lagMs);
    const pending = loop.onCandle(columns, row);
    if (pending) {
      awaited.push(row);
      await pending;
    }
  }
  return awaited;
}

const ENTRY_TIME = T0 + (ENTRY_ROW + 1) * TF + 500;

describe('trading loop on a real venue: closes it did not send', () => {
  it('journals a triggered stop with its fill price, fees and time, and clears the position and the stop', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { feeRate: FEE_RATE });
    const { loop, journal: j } = build(venue, clock, Direction.Long);
    const columns = candles({ 16: 97 });
    expect(await run(loop, clock, columns, 0, ENTRY_ROW)).toEqual([ENTRY_ROW]);
    expect(venue.requests.map((r) => [r.type, r.side, r.amount, r.stopPrice])).toEqual([
      ['market', 'buy', 20, undefined],
      ['stop', 'sell', 20, 96],
    ]);
    // The checkpoint keeps the stop placed at entry (96), the trade's initial risk.
    expect(loop.venuePosition()).toEqual({ side: 'long', amount: 20, price: 100, fee: 2, timeMs: ENTRY_TIME, strategy: 'scripted', stopOrderId: '2', stopFilledJournaled: 0, initialStop: 96 });

    // The market falls through the stop between candles; it fills at 95.5 (slipped below 96).
    const stopTime = ENTRY_TIME + 30_000;
    clock.set(stopTime);
    venue.triggerStop(95.5);
    expect(await run(loop, clock, columns, 16, 18)).toEqual([16]);
    expect(venue.fetched).toEqual(['2']);
    expect(j.trades).toHaveLength(1);
    const t = j.trades[0];
    // t1 is the entry's executed decision.
    expect([t.id, t.runId, t.exchange, t.symbol, t.strategy, t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.funding, t.exitReason]).toEqual([
      't2', null, 'fake', SYMBOL, 'scripted', 'long', 20, 100, 95.5, ENTRY_TIME, stopTime, 0, 'stop',
    ]);
    // (95.5 - 100) x 20
    expect(t.realizedPnl).toBeCloseTo(-90, 10);
    // entry 20 x 100 x 0.001 = 2, stop 20 x 95.5 x 0.001 = 1.91
    expect(t.fees).toBeCloseTo(3.91, 10);
    expect(loop.venuePosition()).toBeNull();
    // The finished stop is not cancelled again, and nothing else was sent.
    expect(venue.cancelled).toEqual([]);
    expect(venue.requests).toHaveLength(2);
  });

  it('journals a short the venue closed by itself as a venue exit at the candle close, entry fee only, and cancels the idle stop', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { feeRate: FEE_RATE });
    const { loop, journal: j } = build(venue, clock, Direction.Short);
    const columns = candles({ 16: 103 });
    await run(loop, clock, columns, 0, ENTRY_ROW);
    expect(venue.requests.map((r) => [r.type, r.side, r.amount, r.stopPrice])).toEqual([
      ['market', 'sell', 20, undefined],
      ['stop', 'buy', 20, 104],
    ]);
    venue.flatten();
    expect(await run(loop, clock, columns, 16, 17)).toEqual([16]);
    expect(j.trades).toHaveLength(1);
    const t = j.trades[0];
    expect([t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.exitReason]).toEqual(['short', 20, 100, 103, ENTRY_TIME, T0 + 17 * TF, 'venue']);
    // (103 - 100) x 20 x -1 for a short
    expect(t.realizedPnl).toBeCloseTo(-60, 10);
    // Only the entry's 20 x 100 x 0.001: the venue's own close fee is unknown.
    expect(t.fees).toBeCloseTo(2, 10);
    expect(venue.cancelled).toEqual(['2']);
    expect(venue.orders.get('2')?.status).toBe('cancelled');
    expect(loop.venuePosition()).toBeNull();
  });

  it('reads a finished stop by cancelling it when the venue has no fetchOrder', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { fetchOrder: false, feeRate: FEE_RATE });
    const { loop, journal: j } = build(venue, clock, Direction.Long);
    const columns = candles();
    await run(loop, clock, columns, 0, ENTRY_ROW);
    clock.set(ENTRY_TIME + 10_000);
    venue.triggerStop(96);
    await run(loop, clock, columns, 16, 16);
    expect(venue.cancelled).toEqual(['2']);
    expect(j.trades.map((t) => [t.exitReason, t.exitPrice, t.exitTimeMs])).toEqual([['stop', 96, ENTRY_TIME + 10_000]]);
    // (96 - 100) x 20; fees 2 + 20 x 96 x 0.001 = 1.92
    expect(j.trades[0].realizedPnl).toBeCloseTo(-80, 10);
    expect(j.trades[0].fees).toBeCloseTo(3.92, 10);
  });

  it('journals the stop of a position resumed from a checkpoint against the checkpointed entry', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { feeRate: FEE_RATE });
    const first = build(venue, clock, Direction.Long);
    const columns = candles();
    await run(first.loop, clock, columns, 0, ENTRY_ROW);
    // What a live session stores after the candle, through JSON as the database does.
    const checkpoint = JSON.parse(JSON.stringify(first.loop.venuePosition())) as VenuePosition;

    // Restart: a fresh loop that entered nothing itself; the stop fires while it is down.
    const second = build(venue, clock, Direction.Long);
    for (let row = 0; row <= ENTRY_ROW; row++) second.loop.warmUp(columns, row);
    second.loop.resumeVenuePosition(checkpoint);
    const stopTime = ENTRY_TIME + 45_000;
    clock.set(stopTime);
    venue.triggerStop(95);
    expect(await run(second.loop, clock, columns, 16, 17)).toEqual([16]);
    expect(first.journal.trades).toEqual([]);
    const t = second.journal.trades[0];
    expect([second.journal.trades.length, t.strategy, t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.exitReason]).toEqual([
      1, 'scripted', 'long', 20, 100, 95, ENTRY_TIME, stopTime, 'stop',
    ]);
    // (95 - 100) x 20; fees 2 + 20 x 95 x 0.001 = 1.9
    expect(t.realizedPnl).toBeCloseTo(-100, 10);
    expect(t.fees).toBeCloseTo(3.9, 10);
    expect(second.loop.venuePosition()).toBeNull();
  });

  it('treats a checkpointed stop the venue no longer knows as a venue close', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { feeRate: FEE_RATE });
    const { loop, journal: j } = build(venue, clock, Direction.Long);
    const columns = candles({ 16: 98 });
    for (let row = 0; row <= ENTRY_ROW; row++) loop.warmUp(columns, row);
    loop.resumeVenuePosition({ side: 'long', amount: 20, price: 100, fee: 2, timeMs: ENTRY_TIME, strategy: 'scripted', stopOrderId: '999', stopFilledJournaled: 0 });
    // The account shows flat: the position is gone, its stop unknown.
    await run(loop, clock, columns, 16, 16);
    expect(venue.fetched).toEqual(['999']);
    expect(j.trades.map((t) => [t.exitReason, t.exitPrice, t.exitTimeMs, t.realizedPnl, t.fees])).toEqual([['venue', 98, T0 + 17 * TF, -40, 2]]);
  });

  it('does not await or journal while the venue still holds the position', async () => {
    const clock = createManualClock(T0);
    const venue = createFakeVenue(clock, { feeRate: FEE_RATE });
    const { loop, journal: j } = build(venue, clock, Direction.Long);
    const columns = candles();
    await run(loop, clock, columns, 0, ENTRY_ROW);
    expect(await run(loop, clock, columns, 16, 19)).toEqual([]);
    expect(venue.fetched).toEqual([]);
    expect(j.trades).toEqual([]);
    expect(loop.venuePosition()?.amount).toBe(20);
  });

  it('refuses a malformed checkpointed position, naming the field', () => {
    const clock = createManualClock(T0);
    const { loop } = build(createFakeVenue(clock, { feeRate: FEE_RATE }), clock, Direction.Long);
    const good: VenuePosition = { side: 'long', amount: 1, price: 100, fee: 0, timeMs: T0, strategy: 'scripted', stopOrderId: null, stopFilledJournaled: 0 };
    expect(() => loop.resumeVenuePosition({ ...good, amount: -1 })).toThrow(ValidationError);
    expect(() => loop.resumeVenuePosition({ ...good, amount: -1 })).toThrow('field "venuePosition.amount" was -1');
    expect(() => loop.resumeVenuePosition({ ...good, side: 'up' as 'long' })).toThrow('field "venuePosition.side" was "up"');
    expect(() => loop.resumeVenuePosition({ ...good, stopOrderId: '' })).toThrow('venuePosition.stopOrderId');
    loop.resumeVenuePosition(good);
    expect(loop.venuePosition()).toEqual(good);
  });
});
