/**
 * Per-tag analysis of the journal (`JournalRepository.breakdownTrades`): closed trades grouped by
 * strategy, exit reason, side, entry hour and entry weekday (UTC), each group with its count, wins
 * (net PnL > 0, net = realised − fees − funding), win rate, net PnL and average R (the mean of
 * net / initialRisk over the group's trades with initialRisk > 0; null when none). A port contract: the same
 * expectations run against the in-memory repository, embedded PGlite and a real PostgreSQL. Every
 * expected number is worked out by hand from the trades below.
 */
import { describe, expect, it } from 'vitest';
import type { TradeBreakdown, TradeRecord } from '../../engine/ports/journal';
import { JOURNAL_BACKENDS, useJournalBackend } from '../support/journal-backends';

const T0 = Date.UTC(2024, 0, 1); // Monday 2024-01-01 00:00 UTC (ISO weekday 1)
const H = 3_600_000;
const DAY = 24 * H;

interface TradeSpec {
  id: string;
  runId: string | null;
  symbol?: string;
  strategy: string;
  side: 'long' | 'short';
  entryTimeMs: number;
  exitTimeMs: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  exitReason: string;
  initialRisk?: number | null;
}

function trade(s: TradeSpec): TradeRecord {
  return { exchange: 'binance', symbol: 'BTC/USDT', amount: 1, entryPrice: 100, exitPrice: 100, ...s };
}

const TRADES: TradeRecord[] = [
  // Backtest run r1.
  trade({ id: 'A', runId: 'r1', strategy: 'ema-trend', side: 'long', entryTimeMs: T0 + 9 * H, exitTimeMs: T0 + 10 * H, realizedPnl: 100, fees: 2, funding: 1, exitReason: 'signal', initialRisk: 50 }), // Mon 09h, net 97: win; 97 / 50 = 1.94 R
  trade({ id: 'B', runId: 'r1', strategy: 'ema-trend', side: 'short', entryTimeMs: T0 + 9.5 * H, exitTimeMs: T0 + 11 * H, realizedPnl: 10, fees: 12, funding: 0, exitReason: 'stop', initialRisk: 4 }), // Mon 09h, net -2: a loss though its price PnL is positive; -2 / 4 = -0.5 R
  trade({ id: 'C', runId: 'r1', strategy: 'donchian-breakout', side: 'long', entryTimeMs: T0 + DAY + 14 * H, exitTimeMs: T0 + DAY + 16 * H, realizedPnl: -50, fees: 1, funding: -0.5, exitReason: 'stop', initialRisk: 50 }), // Tue 14h, net -50.5; -50.5 / 50 = -1.01 R
  trade({ id: 'D', runId: 'r1', strategy: 'donchian-breakout', side: 'long', entryTimeMs: T0 + 6 * DAY + 23 * H, exitTimeMs: T0 + 7 * DAY + 2 * H, realizedPnl: 20, fees: 0.5, funding: 0.25, exitReason: 'signal', initialRisk: null }), // Sun 23h (exits Monday), net 19.25: win; no initial risk, no R
  trade({ id: 'E', runId: 'r1', strategy: 'ema-trend', side: 'short', entryTimeMs: T0 + 6 * DAY, exitTimeMs: T0 + 6 * DAY + H, realizedPnl: 4, fees: 4, funding: 0, exitReason: 'liquidation', initialRisk: 0 }), // Sun 00h, net 0: break-even, not a win; initial risk 0 counts no R
  // Live trades (no run).
  trade({ id: 'L1', runId: null, symbol: 'ETH/USDT', strategy: 'ema-trend', side: 'long', entryTimeMs: T0 + 2 * DAY + 5 * H, exitTimeMs: T0 + 2 * DAY + 6 * H, realizedPnl: 30, fees: 1, funding: 0, exitReason: 'signal', initialRisk: 29 }), // Wed 05h, net 29; 1 R
  trade({ id: 'L2', runId: null, strategy: 'ema-trend', side: 'short', entryTimeMs: T0 + 3 * DAY + 5 * H, exitTimeMs: T0 + 3 * DAY + 7 * H, realizedPnl: -10, fees: 1, funding: 0, exitReason: 'stop', initialRisk: 11 }), // Thu 05h, net -11; -1 R
  trade({ id: 'L3', runId: null, strategy: 'ema-trend', side: 'long', entryTimeMs: T0 + 10 * DAY, exitTimeMs: T0 + 10 * DAY + 2 * H, realizedPnl: 5, fees: 0, funding: 0, exitReason: 'signal' }), // Thu 2024-01-11 00h, net 5
];

const g = <K extends string | number>(key: K, trades: number, wins: number, netPnl: number, averageR: number | null = null) => ({ key, trades, wins, winRate: wins / trades, netPnl, averageR });

const RUN: TradeBreakdown = {
  trades: 5,
  // Average R: donchian C only (D has none) -1.01; ema-trend (1.94 - 0.5) / 2 = 0.72 (E's risk is 0).
  strategy: [g('donchian-breakout', 2, 1, -50.5 + 19.25, -1.01), g('ema-trend', 3, 1, 97 - 2 + 0, 0.72)],
  // liquidation: E has risk 0, none; signal: A only, 1.94; stop: (-0.5 - 1.01) / 2 = -0.755.
  exitReason: [g('liquidation', 1, 0, 0), g('signal', 2, 2, 97 + 19.25, 1.94), g('stop', 2, 0, -2 - 50.5, -0.755)],
  // long: (1.94 - 1.01) / 2 = 0.465; short: B only, -0.5.
  side: [g('long', 3, 2, 97 - 50.5 + 19.25, 0.465), g('short', 2, 0, -2 + 0, -0.5)],
  hourOfDay: [g(0, 1, 0, 0), g(9, 2, 1, 95, 0.72), g(14, 1, 0, -50.5, -1.01), g(23, 1, 1, 19.25)],
  weekday: [g(1, 2, 1, 95, 0.72), g(2, 1, 0, -50.5, -1.01), g(7, 2, 1, 19.25)],
};

// L2 (-1 R) and L3 (no risk).
const LIVE_BTC: TradeBreakdown = {
  trades: 2,
  strategy: [g('ema-trend', 2, 1, -6, -1)],
  exitReason: [g('signal', 1, 1, 5), g('stop', 1, 0, -11, -1)],
  side: [g('long', 1, 1, 5), g('short', 1, 0, -11, -1)],
  hourOfDay: [g(0, 1, 1, 5), g(5, 1, 0, -11, -1)],
  weekday: [g(4, 2, 1, -6, -1)],
};

/** The breakdown with average R rounded to 1e-12 (the database averages floats in its own order). */
const rounded = (b: TradeBreakdown): TradeBreakdown => {
  const round = <G extends { averageR: number | null }>(groups: G[]) => groups.map((x) => ({ ...x, averageR: x.averageR === null ? null : Math.round(x.averageR * 1e12) / 1e12 }));
  return { trades: b.trades, strategy: round(b.strategy), exitReason: round(b.exitReason), side: round(b.side), hourOfDay: round(b.hourOfDay), weekday: round(b.weekday) };
};

const EMPTY: TradeBreakdown = { trades: 0, strategy: [], exitReason: [], side: [], hourOfDay: [], weekday: [] };

const countsOf = (b: TradeBreakdown) => [b.strategy, b.exitReason, b.side, b.hourOfDay, b.weekday].map((groups) => groups.reduce((n, x) => n + x.trades, 0));

describe.each(JOURNAL_BACKENDS)('per-tag trade breakdown on $name', (backend) => {
  const repo = useJournalBackend(backend, async (journal) => {
    await journal.appendTrades(TRADES);
  });

  it('groups one run by strategy, exit reason, side, entry hour and weekday, a win being net PnL > 0', async () => {
    const breakdown = await repo().breakdownTrades({ runId: 'r1' });
    expect(rounded(breakdown)).toEqual(rounded(RUN));
    expect(countsOf(breakdown)).toEqual([5, 5, 5, 5, 5]);
  });

  it('filters the live journal by symbol and exit-time range like the trade list', async () => {
    expect(rounded(await repo().breakdownTrades({ runId: null, symbol: 'BTC/USDT' }))).toEqual(rounded(LIVE_BTC));
    const fromDay5 = await repo().breakdownTrades({ runId: null, symbol: 'BTC/USDT', fromMs: T0 + 5 * DAY });
    expect(fromDay5).toEqual({ trades: 1, strategy: [g('ema-trend', 1, 1, 5)], exitReason: [g('signal', 1, 1, 5)], side: [g('long', 1, 1, 5)], hourOfDay: [g(0, 1, 1, 5)], weekday: [g(4, 1, 1, 5)] });
    const live = await repo().breakdownTrades({ runId: null, toMs: T0 + 3 * DAY + 7 * H });
    expect(live.trades).toBe(1); // L1 only: the range's end is exclusive
    expect(live.weekday).toEqual([g(3, 1, 1, 29, 1)]);
  });

  it('counts every trade once per dimension without a run filter', async () => {
    const all = await repo().breakdownTrades({});
    expect(all.trades).toBe(8);
    expect(countsOf(all)).toEqual([8, 8, 8, 8, 8]);
    // ema-trend's R: (1.94 - 0.5 + 1 - 1) / 4 = 0.36.
    expect(rounded({ ...all, strategy: all.strategy }).strategy).toEqual(rounded({ ...EMPTY, strategy: [g('donchian-breakout', 2, 1, -31.25, -1.01), g('ema-trend', 6, 3, 95 + 29 - 11 + 5, 0.36)] }).strategy);
  });

  it('filters wins by net PnL, so a trade with positive price PnL but a net loss is no win', async () => {
    const wins = await repo().breakdownTrades({ runId: 'r1', outcome: 'win' });
    expect(wins.trades).toBe(2); // A and D, not B
    expect(wins.side).toEqual([g('long', 2, 2, 116.25, 1.94)]);
    expect((await repo().breakdownTrades({ runId: 'r1', outcome: 'loss' })).trades).toBe(3);
  });

  it("stores each trade's initial risk, null when unknown", async () => {
    const page = await repo().listTrades({ runId: 'r1', limit: 10, sort: 'time', direction: 'asc' });
    expect(page.items.map((t) => [t.id, t.initialRisk])).toEqual([['A', 50], ['B', 4], ['C', 50], ['E', 0], ['D', null]]);
  });

  it('is empty for a run without trades', async () => {
    expect(await repo().breakdownTrades({ runId: 'no-such-run' })).toEqual(EMPTY);
  });

  it('names a side trades cannot have', async () => {
    await expect(repo().breakdownTrades({ runId: 'r1', side: 'flat' })).rejects.toThrow('field "side" was "flat"');
  });
});
