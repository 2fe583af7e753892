import { describe, expect, it } from 'vitest';
import type { TradeSummary } from '../ports/journal';
import { computeOverviewMetrics, dailyCloses, equityFromDailyPnl, withDrawdown } from './account-overview';

const DAY = 86_400_000;
const D0 = 1_704_067_200_000; // 2024-01-01T00:00Z

const EMPTY: TradeSummary = { trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, netPnl: 0, entryNotional: 0, firstEntryMs: null, exposureMs: 0, daily: [] };

describe('account overview', () => {
  it('rebuilds equity from net PnL per UTC day, starting at the first entry and ending at now', () => {
    // day D0: +100 net; day D0+1d: -50 realised - 10 fees = -60 net
    const summary = { firstEntryMs: D0 + 1_000, daily: [{ dayStartMs: D0, netPnl: 100 }, { dayStartMs: D0 + DAY, netPnl: -60 }] };
    expect(equityFromDailyPnl(summary, 10_000, D0 + 2 * DAY, 10_030)).toEqual([
      { timeMs: D0 + 1_000, equity: 10_000 },
      { timeMs: D0 + DAY - 1, equity: 10_100 },
      { timeMs: D0 + 2 * DAY - 1, equity: 10_040 },
      { timeMs: D0 + 2 * DAY, equity: 10_030 },
    ]);
  });

  it('lets the point at now stand for a day that has not ended', () => {
    const summary = { firstEntryMs: D0 + 1_000, daily: [{ dayStartMs: D0, netPnl: 100 }, { dayStartMs: D0 + DAY, netPnl: -60 }] };
    expect(equityFromDailyPnl(summary, 10_000, D0 + DAY + 3_600_000, 10_055)).toEqual([
      { timeMs: D0 + 1_000, equity: 10_000 },
      { timeMs: D0 + DAY - 1, equity: 10_100 },
      { timeMs: D0 + DAY + 3_600_000, equity: 10_055 },
    ]);
  });

  it('is a single point at now when nothing has traded', () => {
    expect(equityFromDailyPnl(EMPTY, 10_000, D0, 10_000)).toEqual([{ timeMs: D0, equity: 10_000 }]);
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
    // Two trades of notional 1 x 1000: a [D0, D0+1d] +200, b [D0+1d, D0+2d] -100.
    const summary: TradeSummary = {
      trades: 2,
      wins: 1,
      losses: 1,
      grossProfit: 200,
      grossLoss: 100,
      netPnl: 100,
      entryNotional: 2_000,
      firstEntryMs: D0,
      exposureMs: 2 * DAY,
      // a exits at D0+1d (that day), b at D0+2d (today)
      daily: [{ dayStartMs: D0 + DAY, netPnl: 200 }, { dayStartMs: D0 + 2 * DAY, netPnl: -100 }],
    };
    const nowMs = D0 + 2 * DAY + DAY / 2;
    const curve = withDrawdown(equityFromDailyPnl(summary, 1_000, nowMs, 1_150));
    // points: D0 1000, D0+2d-1ms 1200 (end of day 1), now 1150 (today has not ended: no point of its own)
    expect(curve.map((p) => [p.timeMs, p.equity])).toEqual([[D0, 1_000], [D0 + 2 * DAY - 1, 1_200], [nowMs, 1_150]]);
    const m = computeOverviewMetrics(curve, summary, { initialBalance: 1_000, nowMs });
    expect(m.trades).toBe(2);
    expect(m.winRatePct).toBe(50);
    // average trade 50 / |average loss| 100
    expect(m.expectancy).toBe(0.5);
    // open 2 of 2.5 days
    expect(m.exposurePct).toBe(80);
    // notional 2000 / 1000
    expect(m.turnover).toBe(2);
    // deepest on the daily curve: 1150 now vs peak 1200 (b's intraday 1100 is not a point)
    expect(m.maxDrawdownPct).toBeCloseTo((-50 / 1_200) * 100, 12);
    // day start of now: last point before D0+2d is 1200
    expect(m.pnlToday).toBe(-50);
    // daily closes 1000, 1200, 1150 -> returns 0.2, -0.0416667: mean/sd x sqrt(365)
    const r = [0.2, 1_150 / 1_200 - 1];
    const mean = (r[0] + r[1]) / 2;
    const sd = Math.sqrt(((r[0] - mean) ** 2 + (r[1] - mean) ** 2) / 1);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365), 10);
    // downside deviation sqrt(r1^2 / 2); sortino = mean x 365 / (dd x sqrt(365))
    expect(m.sortino).toBeCloseTo((mean * 365) / (Math.sqrt(r[1] ** 2 / 2) * Math.sqrt(365)), 10);
  });

  it('follows the expectancy rules of the trade metrics without losing trades', () => {
    const base = { ...EMPTY, firstEntryMs: D0, exposureMs: DAY, entryNotional: 500, daily: [{ dayStartMs: D0, netPnl: 30 }] };
    const curve = withDrawdown(equityFromDailyPnl(base, 1_000, D0 + 2 * DAY, 1_030));
    // one winner (+30) and one break-even trade: no loss -> Infinity; win rate 1 of 2
    const winners = computeOverviewMetrics(curve, { ...base, trades: 2, wins: 1, grossProfit: 30, netPnl: 30 }, { initialBalance: 1_000, nowMs: D0 + 2 * DAY });
    expect([winners.expectancy, winners.winRatePct, winners.exposurePct, winners.turnover]).toEqual([Infinity, 50, 50, 0.5]);
    // only break-even trades: NaN
    const flat = computeOverviewMetrics(curve, { ...base, trades: 1, netPnl: 0 }, { initialBalance: 1_000, nowMs: D0 + 2 * DAY });
    expect(flat.expectancy).toBeNaN();
    expect(flat.winRatePct).toBe(0);
  });

  it('leaves every metric undefined before the first trade', () => {
    const m = computeOverviewMetrics(withDrawdown([{ timeMs: D0, equity: 10_000 }]), EMPTY, { initialBalance: 10_000, nowMs: D0 });
    expect(m).toEqual({ trades: 0, sharpe: NaN, sortino: NaN, maxDrawdownPct: 0, winRatePct: NaN, expectancy: NaN, expectancyQuote: NaN, exposurePct: NaN, turnover: NaN, pnlToday: 0 });
  });
});
