/**
 * Live versus backtest drift: pairs each trade a live (or paper) session made with the trade a
 * backtest replay of the same period and config made, and splits the PnL difference by cause:
 * entry fill, exit fill, fees, funding, and timing (trades that happened in one and not the other).
 *
 * Signs: every amount is live minus simulated, in quote currency, so a negative entry/exit figure
 * is money the live fills cost compared with the simulation.
 */
import type { TradeRecord } from '../ports/journal';

/** The fields of a round trip the comparison needs (journal trades and backtest trades both fit). */
export type DriftTrade = Omit<TradeRecord, 'id' | 'runId' | 'exchange' | 'strategy' | 'symbol' | 'exitReason'>;

export interface DriftRow {
  live: DriftTrade;
  simulated: DriftTrade;
  /** live entry time - simulated entry time, ms. */
  entryDelayMs: number;
  /** PnL effect of the entry price difference on the live amount: side x (sim entry - live entry) x amount. */
  entryFill: number;
  /** PnL effect of the exit price difference: side x (live exit - sim exit) x amount. */
  exitFill: number;
  /** Fees: sim fees - live fees (negative when live paid more). */
  fees: number;
  funding: number;
  /** Net PnL live - simulated. */
  pnl: number;
}

export interface DriftReport {
  rows: DriftRow[];
  /** Live trades with no simulated counterpart (and the reverse): timing drift. */
  onlyLive: DriftTrade[];
  onlySimulated: DriftTrade[];
  totals: { entryFill: number; exitFill: number; fees: number; funding: number; timing: number; pnl: number };
}

const net = (t: DriftTrade) => t.realizedPnl - t.fees - t.funding;
const sign = (t: DriftTrade) => (t.side === 'long' ? 1 : -1);

/**
 * Pairs trades greedily in entry-time order: a live trade matches the earliest unmatched simulated
 * trade of the same side whose entry is within `toleranceMs`. Pure; O(n x m) for the small trade
 * counts of a session.
 */
export function compareLiveToBacktest(live: readonly DriftTrade[], simulated: readonly DriftTrade[], toleranceMs: number): DriftReport {
  const sims = [...simulated].sort((a, b) => a.entryTimeMs - b.entryTimeMs);
  const used = new Set<number>();
  const rows: DriftRow[] = [];
  const onlyLive: DriftTrade[] = [];
  for (const l of [...live].sort((a, b) => a.entryTimeMs - b.entryTimeMs)) {
    let best = -1;
    for (let k = 0; k < sims.length; k++) {
      if (used.has(k) || sims[k].side !== l.side) continue;
      const d = Math.abs(sims[k].entryTimeMs - l.entryTimeMs);
      if (d <= toleranceMs && (best < 0 || d < Math.abs(sims[best].entryTimeMs - l.entryTimeMs))) best = k;
    }
    if (best < 0) {
      onlyLive.push(l);
      continue;
    }
    used.add(best);
    const s = sims[best];
    const entryFill = sign(l) * (s.entryPrice - l.entryPrice) * l.amount;
    const exitFill = sign(l) * (l.exitPrice - s.exitPrice) * l.amount;
    rows.push({ live: l, simulated: s, entryDelayMs: l.entryTimeMs - s.entryTimeMs, entryFill, exitFill, fees: s.fees - l.fees, funding: s.funding - l.funding, pnl: net(l) - net(s) });
  }
  const onlySimulated = sims.filter((_, k) => !used.has(k));
  const sum = (f: (r: DriftRow) => number) => rows.reduce((acc, r) => acc + f(r), 0);
  const matchedPnl = sum((r) => r.pnl);
  const timing = onlyLive.reduce((a, t) => a + net(t), 0) - onlySimulated.reduce((a, t) => a + net(t), 0);
  return {
    rows,
    onlyLive,
    onlySimulated,
    totals: { entryFill: sum((r) => r.entryFill), exitFill: sum((r) => r.exitFill), fees: sum((r) => r.fees), funding: sum((r) => r.funding), timing, pnl: matchedPnl + timing },
  };
}
