import { describe, expect, it } from 'vitest';
import { compareLiveToBacktest, type DriftTrade } from './live-drift';

const trade = (p: Partial<DriftTrade>): DriftTrade => ({ side: 'long', amount: 1, entryPrice: 100, exitPrice: 110, entryTimeMs: 0, exitTimeMs: 1_000, realizedPnl: 10, fees: 0.2, funding: 0, ...p });

describe('live versus backtest drift', () => {
  it('splits the PnL difference per trade into entry fill, exit fill, fees, funding and timing', () => {
    const simulated = [
      trade({ entryTimeMs: 0, entryPrice: 100, exitPrice: 110, realizedPnl: 20, amount: 2, fees: 0.42 }),
      trade({ side: 'short', entryTimeMs: 10_000, entryPrice: 120, exitPrice: 115, realizedPnl: 5, fees: 0.235 }),
      trade({ entryTimeMs: 50_000, realizedPnl: 3, fees: 0.1 }),
    ];
    const live = [
      // Filled 0.5 worse on entry (100.5) and 0.3 worse on exit (109.7), 2 units, fees 0.5, 2 s late.
      trade({ entryTimeMs: 2_000, entryPrice: 100.5, exitPrice: 109.7, amount: 2, realizedPnl: 18.4, fees: 0.5 }),
      // The short: entered 0.2 better (120.2), exited as simulated; funding 0.1 paid.
      trade({ side: 'short', entryTimeMs: 9_000, entryPrice: 120.2, exitPrice: 115, realizedPnl: 5.2, fees: 0.235, funding: 0.1 }),
      // A live trade the simulation never made.
      trade({ entryTimeMs: 90_000, realizedPnl: -4, fees: 0.1 }),
    ];
    const report = compareLiveToBacktest(live, simulated, 5_000);
    expect(report.rows).toHaveLength(2);
    const [long, short] = report.rows;
    // Long: entry 1 x (100 - 100.5) x 2 = -1; exit 1 x (109.7 - 110) x 2 = -0.6; fees 0.42 - 0.5 = -0.08.
    expect(long.entryDelayMs).toBe(2_000);
    expect(long.entryFill).toBeCloseTo(-1, 12);
    expect(long.exitFill).toBeCloseTo(-0.6, 12);
    expect(long.fees).toBeCloseTo(-0.08, 12);
    // Net: (18.4 - 0.5) - (20 - 0.42) = -1.68 = -1 - 0.6 - 0.08.
    expect(long.pnl).toBeCloseTo(-1.68, 12);
    // Short: entry -1 x (120 - 120.2) x 1 = +0.2; funding 0 - 0.1 = -0.1; net (5.2 - 0.235 - 0.1) - (5 - 0.235) = 0.1.
    expect(short.entryFill).toBeCloseTo(0.2, 12);
    expect(short.funding).toBeCloseTo(-0.1, 12);
    expect(short.pnl).toBeCloseTo(0.1, 12);
    // Timing: the live-only trade nets -4.1, the simulated-only one 2.9: -4.1 - 2.9 = -7.
    expect(report.onlyLive).toHaveLength(1);
    expect(report.onlySimulated).toHaveLength(1);
    expect(report.totals.timing).toBeCloseTo(-7, 12);
    expect(report.totals.entryFill).toBeCloseTo(-0.8, 12);
    expect(report.totals.pnl).toBeCloseTo(-1.68 + 0.1 - 7, 12);
  });
});
