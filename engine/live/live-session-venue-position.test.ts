/**
 * A live session on a real venue checkpoints the position it holds (entry fills, strategy, stop id)
 * after each candle, and a restarted session resumes it: a stop that fired while the process was
 * down is journaled against the checkpointed entry. The venue is a fake that fills market orders at a
 * set price with a 10 bps taker fee and lets the test trigger the stop.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock, silentLogger, type ManualClock } from '../core/clock';
import type { TradeRecord } from '../ports/journal';
import type { Candle } from '../core/types';
import type { Order } from '../ports/exchange';
import type { JournalWriter } from '../ports/journal-writer';
import { createRiskEngine } from '../risk/risk-engine';
import { createFakeVenue, type FakeVenue } from '../testing/fake-venue';
import { createInMemoryRiskStateRepository } from '../testing/in-memory-repositories';
import { createLiveSession } from './live-session';
import type { LiveCheckpoint, LiveCheckpointStore } from '../ports/live-sessions';

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const FEE_RATE = 0.001;

/**
 * Synthetic one-minute candles (not market data): 100 (range 99-101), candle 19 closes at 99, candle 20
 * jumps to 125, then 125. SMA(2) - SMA(3) is 0 until candle 18, 99.5 - 99.67 < 0 at candle 19 and
 * 112 - 108 > 0 at candle 20: the only cross (long). (Equal averages that then part are not a cross.)
 */
const CANDLES: Candle[] = Array.from({ length: 40 }, (_, i) => {
  if (i < 20) return { openTimeMs: T0 + i * TF, open: 100, high: 101, low: 99, close: i === 19 ? 99 : 100, volume: 10 };
  if (i === 20) return { openTimeMs: T0 + i * TF, open: 100, high: 126, low: 99, close: 125, volume: 10 };
  return { openTimeMs: T0 + i * TF, open: 125, high: 126, low: 124, close: 125, volume: 10 };
});

function memoryCheckpoints(): LiveCheckpointStore & { saved: LiveCheckpoint[] } {
  const saved: LiveCheckpoint[] = [];
  return {
    saved,
    load: async (id) => structuredClone([...saved].reverse().find((c) => c.sessionId === id) ?? null),
    save: async (c) => void saved.push(structuredClone(c)),
  };
}

/** Runs one session from `startAt` until the clock passes `stopAt`. */
async function runSession(venue: FakeVenue, clock: ManualClock, checkpoints: ReturnType<typeof memoryCheckpoints>, stopAt: number) {
  const trades: TradeRecord[] = [];
  const journal: JournalWriter = { recordTrade: (t) => void trades.push(t), recordDecision() {}, pending: () => 0, flush: async () => {}, status: () => ({ failing: false, lastError: null, refusedRows: 0, pending: 0 }) };
  let ids = 0;
  const session = createLiveSession(
    {
      id: 'venue-s1',
      market: { exchange: 'fake', symbol: 'SYN/USDT', timeframe: '1m' },
      strategies: [{ name: 'ma-crossover', params: { fastPeriod: 2, slowPeriod: 3 } }],
      fusion: { weights: { 'ma-crossover': 1 }, ttlMs: TF },
      decisionDetail: 'off',
      allowShort: false,
      warmupCandles: 15,
      pollIntervalMs: 10_000,
    },
    {
      clock,
      logger: silentLogger,
      feed: { fetchOhlcv: async (_s, _tf, since = 0, limit = 500) => CANDLES.filter((c) => c.openTimeMs >= since && c.openTimeMs <= clock.nowMs()).slice(0, limit) },
      exchange: venue.exchange,
      account: venue.account,
      simulator: null,
      // Exposure cap 20 % of 10 000 at 125 = 16 units; the 5 % risk budget (500 / a stop ~7.6 away) allows more.
      risk: createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 5, maxSymbolExposurePct: 20, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, accountId: 'venue-s1' }, { clock }),
      riskState: createInMemoryRiskStateRepository(),
      checkpoints,
      journal,
      veto: null,
      newId: () => `t${++ids}`,
      async sleep(ms) {
        clock.advance(Math.max(ms, 1));
        if (clock.nowMs() >= stopAt) queueMicrotask(() => void session.stop());
      },
      random: () => 1,
    },
  );
  await session.start();
  await session.done();
  return { trades, state: session.state() };
}

describe('live session on a real venue: the open position across a restart', () => {
  it('checkpoints the entry and, after a restart, journals the stop that fired meanwhile against it', async () => {
    const clock = createManualClock(T0 + 20 * TF + 1_000);
    const venue = createFakeVenue(clock, { price: 125, feeRate: FEE_RATE });
    const checkpoints = memoryCheckpoints();
    const first = await runSession(venue, clock, checkpoints, T0 + 21 * TF + 5_000);
    expect(first.state.lastCandleMs).toBe(T0 + 20 * TF);
    expect(first.trades).toEqual([]);
    const entry = venue.orders.get('1') as Order;
    // The session sleeps until candle 20 closes (T0 + 21 x TF) and polls then: the entry fills at that time.
    const entryTimeMs = T0 + 21 * TF;
    expect([entry.side, entry.amount, entry.updatedAtMs]).toEqual(['buy', 16, entryTimeMs]);
    const last = checkpoints.saved.at(-1) as LiveCheckpoint;
    // 16 x 125 x 0.001 = 2 USDT entry fee; the stop is order "2", and its price is the initial stop kept for the trade's initial risk.
    const stopPrice = (venue.orders.get('2') as Order).stopPrice as number;
    expect([last.lastCandleMs, last.venuePosition]).toEqual([
      T0 + 20 * TF,
      { side: 'long', amount: 16, price: 125, fee: 2, timeMs: entryTimeMs, strategy: 'ma-crossover', stopOrderId: '2', stopFilledJournaled: 0, initialStop: stopPrice },
    ]);

    // Down: the stop fills at 117.
    const stopTime = T0 + 21 * TF + 30_000;
    clock.set(stopTime);
    venue.triggerStop(117);

    clock.set(T0 + 22 * TF + 1_000);
    const second = await runSession(venue, clock, checkpoints, T0 + 22 * TF + 5_000);
    expect(second.state.lastCandleMs).toBe(T0 + 21 * TF);
    expect(second.trades).toHaveLength(1);
    const t = second.trades[0];
    expect([t.strategy, t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.exitReason]).toEqual(['ma-crossover', 'long', 16, 125, 117, entryTimeMs, stopTime, 'stop']);
    // (117 - 125) x 16
    expect(t.realizedPnl).toBeCloseTo(-128, 10);
    // 2 + 16 x 117 x 0.001 = 1.872
    expect(t.fees).toBeCloseTo(3.872, 10);
    expect(checkpoints.saved.at(-1)?.venuePosition).toBeNull();
    expect(venue.orders.size).toBe(2);
  });
});
