import { describe, expect, it } from 'vitest';
import type { DecisionRecord, TradeRecord } from '../core/ports';
import { computeOverviewMetrics, dailyCloses, equityFromTrades, latestLiveDecisions, withDrawdown } from './account-overview';

const DAY = 86_400_000;
const D0 = 1_704_067_200_000; // 2024-01-01T00:00Z

function trade(id: string, entryTimeMs: number, exitTimeMs: number, realizedPnl: number, fees = 0): TradeRecord {
  return { id, runId: null, exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ma-crossover', side: 'long', amount: 1, entryPrice: 1_000, exitPrice: 1_000 + realizedPnl, entryTimeMs, exitTimeMs, realizedPnl, fees, funding: 0, exitReason: 'signal' };
}

describe('account overview', () => {
  it('rebuilds equity from net trade PnL, starting at the first entry and ending at now', () => {
    const trades = [trade('b', D0 + DAY, D0 + DAY + 3_600_000, -50, 10), trade('a', D0 + 1_000, D0 + 2_000, 100)];
    expect(equityFromTrades(trades, 10_000, D0 + 2 * DAY, 10_030)).toEqual([
      { timeMs: D0 + 1_000, equity: 10_000 },
      { timeMs: D0 + 2_000, equity: 10_100 },
      { timeMs: D0 + DAY + 3_600_000, equity: 10_040 },
      { timeMs: D0 + 2 * DAY, equity: 10_030 },
    ]);
  });

  it('is a single point at now when nothing has traded', () => {
    expect(equityFromTrades([], 10_000, D0, 10_000)).toEqual([{ timeMs: D0, equity: 10_000 }]);
  });

  it('marks drawdown below the running peak in percent', () => {
    const curve = withDrawdown([
      { timeMs: 1, equity: 100 },
      { timeMs: 2, equity: 120 },
      { timeMs: 3, equity: 90 },
      { timeMs: 4, equity: 130 },
    ]);
    expect(curve.map((p) => p.drawdownPct)).toEqual([0, 0, -25, 0]);
  });

  it('takes end-of-day equity and carries it over days without points', () => {
    const closes = dailyCloses([
      { timeMs: D0 + 10, equity: 100 },
      { timeMs: D0 + 20, equity: 110 },
      { timeMs: D0 + 2 * DAY + 5, equity: 99 },
    ]);
    expect(Array.from(closes)).toEqual([110, 110, 99]);
  });

  it('computes the headline metrics by hand', () => {
    const trades = [trade('a', D0, D0 + DAY, 200), trade('b', D0 + DAY, D0 + 2 * DAY, -100)];
    const nowMs = D0 + 2 * DAY + DAY / 2;
    const curve = withDrawdown(equityFromTrades(trades, 1_000, nowMs, 1_150));
    // points: D0 1000, D0+1d 1200, D0+2d 1100, now 1150
    const m = computeOverviewMetrics(curve, trades, { initialBalance: 1_000, nowMs });
    expect(m.trades).toBe(2);
    expect(m.winRatePct).toBe(50);
    // average trade 50 / |average loss| 100
    expect(m.expectancy).toBe(0.5);
    // open 2 of 2.5 days
    expect(m.exposurePct).toBe(80);
    // notional 1 x 1000 twice / 1000
    expect(m.turnover).toBe(2);
    // deepest: 1100 vs peak 1200
    expect(m.maxDrawdownPct).toBeCloseTo((-100 / 1_200) * 100, 12);
    // day start of now: last point before D0+2d is 1200 (the 1100 point is exactly at D0+2d, i.e. today)
    expect(m.pnlToday).toBe(-50);
    // daily closes 1000, 1200, 1150 -> returns 0.2, -0.0416667: mean/sd x sqrt(365)
    const r = [0.2, 1_150 / 1_200 - 1];
    const mean = (r[0] + r[1]) / 2;
    const sd = Math.sqrt(((r[0] - mean) ** 2 + (r[1] - mean) ** 2) / 1);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365), 10);
  });

  it('leaves every metric undefined before the first trade', () => {
    const m = computeOverviewMetrics(withDrawdown([{ timeMs: D0, equity: 10_000 }]), [], { initialBalance: 10_000, nowMs: D0 });
    expect(m).toEqual({ trades: 0, sharpe: NaN, sortino: NaN, maxDrawdownPct: 0, winRatePct: NaN, expectancy: NaN, exposurePct: NaN, turnover: NaN, pnlToday: 0 });
  });

  it('lists live decisions newest first, without backtest rows', () => {
    const d = (id: string, timeMs: number, runId: string | null) => ({ id, timeMs, runId }) as DecisionRecord;
    expect(latestLiveDecisions([d('a', 1, null), d('b', 3, 'run'), d('c', 2, null)], 5).map((x) => x.id)).toEqual(['c', 'a']);
  });
});
