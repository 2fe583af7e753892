/**
 * The journal's trade summary (what the dashboard overview aggregates instead of loading trades):
 * counts, wins/losses by net PnL (realised − fees − funding), gross profit/loss, entry notional,
 * first entry, exposure as the union of [entry, exit] intervals, and net PnL per UTC exit day.
 * Run unchanged against the in-memory repository, embedded PGlite and a real PostgreSQL. Every
 * expected number is worked out by hand from the trades below.
 */
import { describe, expect, it } from 'vitest';
import type { TradeRecord, TradeSummary } from '../../engine/ports/journal';
import { JOURNAL_BACKENDS, useJournalBackend } from '../support/journal-backends';

const T0 = 1704067200000; // 2024-01-01T00:00:00.000Z
const H = 3_600_000;
const DAY = 24 * H;

function trade(id: string, runId: string | null, entryTimeMs: number, exitTimeMs: number, amount: number, entryPrice: number, realizedPnl: number, fees: number, funding: number): TradeRecord {
  return { id, runId, exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ema-trend', side: 'long', amount, entryPrice, exitPrice: entryPrice, entryTimeMs, exitTimeMs, realizedPnl, fees, funding, exitReason: 'signal' };
}

const TRADES: TradeRecord[] = [
  // live, day 1: L1 and L2 overlap (01:00-03:00, 02:00-04:00 -> 3 h), L3 alone (05:00-06:00, 1 h) and break-even
  trade('L1', null, T0 + H, T0 + 3 * H, 2, 100, 50, 2, 1), // net 47, notional 200
  trade('L2', null, T0 + 2 * H, T0 + 4 * H, 1.5, 200, -20, 1, -0.5), // net -20.5, notional 300
  trade('L3', null, T0 + 5 * H, T0 + 6 * H, 1, 50, 0, 0, 0), // net 0, notional 50
  // live, crossing midnight into day 2 (23:00-02:00, 3 h), with L5 inside it (adds no time)
  trade('L4', null, T0 + 23 * H, T0 + DAY + 2 * H, 0.5, 400, 10, 0.5, 0.25), // net 9.25, notional 200
  trade('L5', null, T0 + DAY + H, T0 + DAY + H + 1_800_000, 3, 10, -8, 0.5, 0), // net -8.5, notional 30
  // backtest run r1: never in the live summary; R2 exits exactly at midnight, so on day 2
  trade('R1', 'r1', T0, T0 + 10 * H, 1, 100, 1000, 0, 0), // net 1000
  trade('R2', 'r1', T0 + 20 * H, T0 + DAY, 1, 100, -40, 0, 0), // net -40
];

const LIVE: TradeSummary = {
  trades: 5,
  wins: 2, // L1, L4
  losses: 2, // L2, L5 (L3 breaks even)
  grossProfit: 47 + 9.25,
  grossLoss: 20.5 + 8.5,
  netPnl: 47 - 20.5 + 0 + 9.25 - 8.5, // 27.25
  entryNotional: 200 + 300 + 50 + 200 + 30,
  firstEntryMs: T0 + H,
  exposureMs: 3 * H + H + 3 * H,
  daily: [
    { dayStartMs: T0, netPnl: 47 - 20.5 + 0 }, // 26.5
    { dayStartMs: T0 + DAY, netPnl: 9.25 - 8.5 }, // 0.75
  ],
};

const RUN: TradeSummary = {
  trades: 2,
  wins: 1,
  losses: 1,
  grossProfit: 1000,
  grossLoss: 40,
  netPnl: 960,
  entryNotional: 200,
  firstEntryMs: T0,
  exposureMs: 10 * H + 4 * H, // [00:00, 10:00] and [20:00, 24:00]
  daily: [
    { dayStartMs: T0, netPnl: 1000 },
    { dayStartMs: T0 + DAY, netPnl: -40 },
  ],
};

describe.each(JOURNAL_BACKENDS)('trade summary on $name', (backend) => {
  const repo = useJournalBackend(backend);

  it('is empty before anything is journaled', async () => {
    expect(await repo().summarizeTrades({ runId: null })).toEqual({
      trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, netPnl: 0, entryNotional: 0, firstEntryMs: null, exposureMs: 0, daily: [],
    });
  });

  it('aggregates the live trades only, merging overlapping intervals and grouping by UTC exit day', async () => {
    await repo().appendTrades(TRADES);
    expect(await repo().summarizeTrades({ runId: null })).toEqual(LIVE);
  });

  it('aggregates one backtest run, an exit at midnight belonging to the new day', async () => {
    expect(await repo().summarizeTrades({ runId: 'r1' })).toEqual(RUN);
    expect((await repo().summarizeTrades({ runId: 'no-such-run' })).trades).toBe(0);
  });

  it('names a bad run id', async () => {
    await expect(repo().summarizeTrades({ runId: '' })).rejects.toThrow('field "runId" was ""');
  });
});
