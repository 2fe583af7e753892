import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import {
  computeEquityReturnMetrics,
  computeReturnMetrics,
  computeTradeMetrics,
  createTradeTotalsAccumulator,
  tradeMetricsFromTotals,
  equityToReturns,
  riskFreePerPeriod,
  rollingSharpe,
} from './metrics';

/**
 * Reference values: empyrical's regression suite, `empyrical/tests/test_stats.py` class `TestStats`,
 * read at stefan-jansen/empyrical-reloaded commit 20aa2daab71b966057b896e8d0a7b307fe87936f (the maintained
 * continuation of quantopian/empyrical; same fixtures and expected values). Asserted to 1e-8 as there
 * (`DECIMAL_PLACES = 8`). Fixtures (percent / 100):
 *   positive_returns = [1, 2, 1, 1, 1, 1, 1, 1, 1]
 *   negative_returns = [0, -6, -7, -1, -9, -2, -6, -8, -5]
 *   mixed_returns    = [nan, 1, 10, -4, 2, 3, 2, 1, -10]   (daily, 252 periods a year)
 *   weekly_returns   = [0, 1, 10, -4, 2, 3, 2, 1, -10]     (52 a year)
 *   monthly_returns  = the same values                    (12 a year)
 * empyrical ignores the leading NaN of mixed_returns in its means and deviations (nanmean/nanstd), so its
 * Sharpe, volatility, Sortino and drawdown equal ours on the 8 finite values. Its annual_return counts the
 * NaN row as a period, so CAGR/Calmar are checked on weekly/monthly_returns, which have no NaN.
 */
const pct = (values: number[]) => Float64Array.from(values, (v) => v / 100);
const positiveReturns = pct([1, 2, 1, 1, 1, 1, 1, 1, 1]);
const negativeReturns = pct([0, -6, -7, -1, -9, -2, -6, -8, -5]);
const mixedReturnsFinite = pct([1, 10, -4, 2, 3, 2, 1, -10]);
const periodicReturns = pct([0, 1, 10, -4, 2, 3, 2, 1, -10]);
const DAILY = 252;
const WEEKLY = 52;
const MONTHLY = 12;
const DIGITS = 8;

describe('computeReturnMetrics against empyrical test_stats.py', () => {
  it('matches test_sharpe_ratio for positive, negative and mixed returns', () => {
    expect(computeReturnMetrics(positiveReturns, { periodsPerYear: DAILY }).sharpe).toBeCloseTo(52.915026221291804, DIGITS);
    expect(computeReturnMetrics(negativeReturns, { periodsPerYear: DAILY }).sharpe).toBeCloseTo(-24.406808633910085, DIGITS);
    expect(computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY }).sharpe).toBeCloseTo(1.7238613961706866, DIGITS);
  });

  it('matches test_annual_volatility for mixed, weekly and monthly returns', () => {
    expect(computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY }).annualVolatility).toBeCloseTo(0.9136465399704637, DIGITS);
    expect(computeReturnMetrics(periodicReturns, { periodsPerYear: WEEKLY }).annualVolatility).toBeCloseTo(0.38851569394870583, DIGITS);
    expect(computeReturnMetrics(periodicReturns, { periodsPerYear: MONTHLY }).annualVolatility).toBeCloseTo(0.18663690238892558, DIGITS);
  });

  it('matches test_sortino, including downside deviation taken over all periods', () => {
    expect(computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY }).sortino).toBeCloseTo(2.605531251673693, DIGITS);
    expect(computeReturnMetrics(negativeReturns, { periodsPerYear: DAILY }).sortino).toBeCloseTo(-13.532743075043401, DIGITS);
    expect(computeReturnMetrics(periodicReturns, { periodsPerYear: WEEKLY }).sortino).toBeCloseTo(1.1158901056866439, DIGITS);
    expect(computeReturnMetrics(periodicReturns, { periodsPerYear: MONTHLY }).sortino).toBeCloseTo(0.53605626741889756, DIGITS);
    expect(computeReturnMetrics(positiveReturns, { periodsPerYear: DAILY }).sortino).toBe(Infinity);
  });

  it('matches test_sortino with a 1 % per-period required return given as the equivalent annual rate', () => {
    // empyrical: (mixed_returns, flat_line_1, DAILY, -1.3934779588919977); flat_line_1 is 0.01 every period.
    const annualEquivalent = Math.pow(1.01, DAILY) - 1;
    expect(riskFreePerPeriod(annualEquivalent, DAILY)).toBeCloseTo(0.01, 15);
    const metrics = computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY, riskFreeRate: annualEquivalent });
    expect(metrics.sortino).toBeCloseTo(-1.3934779588919977, DIGITS);
  });

  it('matches test_max_drawdown for mixed, positive and negative returns', () => {
    expect(computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY }).maxDrawdown).toBeCloseTo(-0.1, DIGITS);
    expect(computeReturnMetrics(positiveReturns, { periodsPerYear: DAILY }).maxDrawdown).toBe(0);
    expect(computeReturnMetrics(negativeReturns, { periodsPerYear: DAILY }).maxDrawdown).toBeCloseTo(-0.36590730349873601, DIGITS);
    expect(computeReturnMetrics(pct([10, -10, 10]), { periodsPerYear: DAILY }).maxDrawdown).toBeCloseTo(-0.1, DIGITS);
  });

  it('matches test_annual_ret and test_calmar for weekly and monthly returns', () => {
    const weekly = computeReturnMetrics(periodicReturns, { periodsPerYear: WEEKLY });
    expect(weekly.cagr).toBeCloseTo(0.24690830513998208, DIGITS);
    expect(weekly.calmar).toBeCloseTo(2.4690830513998208, DIGITS);
    const monthly = computeReturnMetrics(periodicReturns, { periodsPerYear: MONTHLY });
    expect(monthly.cagr).toBeCloseTo(0.052242061386048144, DIGITS);
    expect(monthly.calmar).toBeCloseTo(0.52242061386048144, DIGITS);
  });

  it('matches test_cum_returns_final through totalReturn', () => {
    // empyrical test_cum_returns_final: mixed_returns -> 0.03893, negative_returns -> -0.36590 (4 decimals there).
    expect(computeReturnMetrics(mixedReturnsFinite, { periodsPerYear: DAILY }).totalReturn).toBeCloseTo(0.03893, 4);
    expect(computeReturnMetrics(negativeReturns, { periodsPerYear: DAILY }).totalReturn).toBeCloseTo(-0.3659, 4);
  });
});

describe('computeReturnMetrics edge cases', () => {
  it('counts the longest run of periods below a previous peak', () => {
    // Curve 1 -> 1.1 -> 0.99 -> 1.089 -> 1.2 -> 1.08 : under water for 2 periods, then 1 period at the end.
    const metrics = computeReturnMetrics(pct([10, -10, 10, (1.2 / 1.089 - 1) * 100, -10]), { periodsPerYear: 365 });
    expect(metrics.maxDrawdownDurationPeriods).toBe(2);
    expect(metrics.periods).toBe(5);
  });

  it('reports NaN ratios for one period and NaN Calmar without a drawdown', () => {
    const one = computeReturnMetrics(pct([1]), { periodsPerYear: DAILY });
    expect(one.sharpe).toBeNaN();
    expect(one.sortino).toBeNaN();
    expect(one.annualVolatility).toBeNaN();
    expect(one.maxDrawdown).toBe(0);
    expect(one.calmar).toBeNaN();
    expect(one.totalReturn).toBeCloseTo(0.01, 15);
  });

  it('reports periods 0 and NaN metrics for an empty series', () => {
    const empty = computeReturnMetrics(new Float64Array(0), { periodsPerYear: DAILY });
    expect(empty.periods).toBe(0);
    expect(empty.sharpe).toBeNaN();
    expect(empty.maxDrawdown).toBeNaN();
  });

  it('rejects a non-finite return naming its index', () => {
    expect(() => computeReturnMetrics(Float64Array.from([0.01, NaN]), { periodsPerYear: DAILY })).toThrow(
      'field "returns[1]" was null: expected a finite simple return >= -1',
    );
    expect(() => computeReturnMetrics(Float64Array.from([-1.5]), { periodsPerYear: DAILY })).toThrow(ValidationError);
  });

  it('rejects periodsPerYear of 0', () => {
    expect(() => computeReturnMetrics(positiveReturns, { periodsPerYear: 0 })).toThrow(
      'field "periodsPerYear" was 0: expected a finite number > 0',
    );
  });
});

describe('rollingSharpe', () => {
  it('equals the full-sample Sharpe of each trailing window and NaN before the first full window', () => {
    const returns = pct([1, 10, -4, 2, 3, 2, 1, -10, 0.5, -0.25, 4, -3]);
    const window = 8;
    const rolling = rollingSharpe(returns, window, DAILY);
    expect(rolling.length).toBe(returns.length);
    for (let i = 0; i < window - 1; i++) expect(rolling[i]).toBeNaN();
    // Window ending at index 7 is empyrical's mixed_returns without its NaN.
    expect(rolling[7]).toBeCloseTo(1.7238613961706866, 10);
    for (let i = window - 1; i < returns.length; i++) {
      const expected = computeReturnMetrics(returns.subarray(i - window + 1, i + 1), { periodsPerYear: DAILY }).sharpe;
      expect(rolling[i]).toBeCloseTo(expected, 10);
    }
  });

  it('rejects a window of 1', () => {
    expect(() => rollingSharpe(positiveReturns, 1, DAILY)).toThrow('field "window" was 1: expected an integer >= 2');
  });
});

describe('equityToReturns', () => {
  it('turns an equity curve into simple returns', () => {
    const returns = equityToReturns(Float64Array.from([100, 110, 99, 99]));
    expect(Array.from(returns)).toEqual([0.10000000000000009, -0.09999999999999998, 0]);
    expect(returns[0]).toBeCloseTo(0.1, 15);
    expect(returns[1]).toBeCloseTo(-0.1, 15);
  });

  it('returns an empty array for one point and rejects zero equity before the end', () => {
    expect(equityToReturns(Float64Array.from([100])).length).toBe(0);
    expect(() => equityToReturns(Float64Array.from([100, 0, 5]))).toThrow('field "equity[1]" was 0');
  });
});

describe('computeTradeMetrics', () => {
  const hour = 3_600_000;
  // Hand-computed: pnl 30, -10, 20, -20, 0 ; notional 1000 each ; equity 10 000 ; span 10 h.
  // Intervals [0,2h) [1h,3h) [5h,6h) [8h,9h) [8.5h,9h) -> union 3h + 1h + 1h = 5h -> 50 %.
  const trades = [
    { pnl: 30, entryTimeMs: 0, exitTimeMs: 2 * hour, notional: 1000 },
    { pnl: -10, entryTimeMs: 1 * hour, exitTimeMs: 3 * hour, notional: -1000 },
    { pnl: 20, entryTimeMs: 5 * hour, exitTimeMs: 6 * hour, notional: 1000 },
    { pnl: -20, entryTimeMs: 8 * hour, exitTimeMs: 9 * hour, notional: 1000 },
    { pnl: 0, entryTimeMs: 8.5 * hour, exitTimeMs: 9 * hour, notional: 1000 },
  ];

  it('computes win rate, profit factor, averages, expectancy, turnover and exposure by hand', () => {
    const metrics = computeTradeMetrics(trades, { spanMs: 10 * hour, equity: 10_000 });
    expect(metrics.trades).toBe(5);
    expect(metrics.winRate).toBe(0.4); // 2 winners of 5
    expect(metrics.profitFactor).toBeCloseTo(50 / 30, 15);
    expect(metrics.averageTrade).toBe(4); // 20 / 5
    expect(metrics.averageWin).toBe(25); // 50 / 2
    expect(metrics.averageLoss).toBe(-15); // -30 / 2
    expect(metrics.expectancy).toBeCloseTo(4 / 15, 15);
    expect(metrics.turnover).toBe(0.5); // 5000 / 10 000
    expect(metrics.exposureTimePct).toBe(50);
  });

  it('reports Infinity profit factor without losers and NaN statistics without trades', () => {
    const winners = computeTradeMetrics([trades[0]], { spanMs: 10 * hour, equity: 10_000 });
    expect(winners.profitFactor).toBe(Infinity);
    expect(winners.averageLoss).toBeNaN();
    const none = computeTradeMetrics([], { spanMs: hour, equity: 1 });
    expect(none.trades).toBe(0);
    expect(none.winRate).toBeNaN();
    expect(none.profitFactor).toBeNaN();
    expect(none.exposureTimePct).toBe(0);
  });

  it('rejects a trade that exits before it enters', () => {
    expect(() =>
      computeTradeMetrics([{ pnl: 1, entryTimeMs: 10, exitTimeMs: 5, notional: 1 }], { spanMs: 100, equity: 1 }),
    ).toThrow('field "trades[0].exitTimeMs" was 5: expected a time >= entryTimeMs 10');
  });
});

describe('createTradeTotalsAccumulator', () => {
  // Entry/exit in ms: [0, 10] and [5, 20] overlap (union 0..20), [30, 40] apart: exposure 20 + 10 = 30 ms.
  const trades = [
    { pnl: 5, entryTimeMs: 0, exitTimeMs: 10, notional: 100 },
    { pnl: -2, entryTimeMs: 5, exitTimeMs: 20, notional: -50 },
    { pnl: 3, entryTimeMs: 30, exitTimeMs: 40, notional: 80 },
  ];

  it('sums trades fed one by one to the totals computeTradeMetrics works from: 3 trades, 2 wins, exposure 30 ms', () => {
    const acc = createTradeTotalsAccumulator();
    for (const t of trades) acc.add(t);
    expect(acc.totals()).toEqual({ trades: 3, wins: 2, losses: 1, grossProfit: 8, grossLoss: 2, totalPnl: 6, notional: 230, exposureMs: 30 });
    const options = { spanMs: 100, equity: 1_000 };
    expect(tradeMetricsFromTotals(acc.totals(), options)).toEqual(computeTradeMetrics(trades, options));
  });

  it('refuses a trade entered before the current exposure interval, naming it', () => {
    const acc = createTradeTotalsAccumulator();
    acc.add(trades[2]);
    expect(() => acc.add(trades[0])).toThrow(/field "trades\[1\]\.entryTimeMs" was 0/);
  });
});

describe('computeEquityReturnMetrics', () => {
  it('gives bit for bit computeReturnMetrics of equityToReturns, on curves with gains, drawdowns, a flat stretch and a risk-free rate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.5, max: 1.5, noNaN: true }), { minLength: 0, maxLength: 300 }),
        fc.constantFrom(0, 0.03),
        (factors, riskFreeRate) => {
          const equity = new Float64Array(factors.length + 1);
          equity[0] = 10_000;
          for (let i = 0; i < factors.length; i++) equity[i + 1] = i % 7 === 3 ? equity[i] : equity[i] * factors[i];
          const options = { periodsPerYear: 105_120, riskFreeRate };
          expect(computeEquityReturnMetrics(equity, options)).toEqual(computeReturnMetrics(equityToReturns(equity), options));
        },
      ),
      { numRuns: 200, seed: 17 },
    );
  });

  it("gives bit for bit the same on curves that stay flat for long stretches (a backtest's idle candles), under water, at the start and at the end", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.record({ factor: fc.double({ min: 0.8, max: 1.2, noNaN: true }), flat: fc.integer({ min: 0, max: 60 }) }), { minLength: 0, maxLength: 40 }),
        fc.constantFrom(0, 0.03),
        (leading, moves, riskFreeRate) => {
          const points = [10_000];
          for (let k = 0; k < leading; k++) points.push(10_000);
          for (const { factor, flat } of moves) {
            points.push(points[points.length - 1] * factor);
            for (let k = 0; k < flat; k++) points.push(points[points.length - 1]);
          }
          const equity = Float64Array.from(points);
          const options = { periodsPerYear: 105_120, riskFreeRate };
          expect(computeEquityReturnMetrics(equity, options)).toEqual(computeReturnMetrics(equityToReturns(equity), options));
        },
      ),
      { numRuns: 300, seed: 23 },
    );
  });

  it('names the equity value, then the option, as the two functions in turn do', () => {
    expect(() => computeEquityReturnMetrics(Float64Array.of(100, 0, 50), { periodsPerYear: 365 })).toThrow('field "equity[1]" was 0');
    expect(() => computeEquityReturnMetrics(Float64Array.of(100, 110), { periodsPerYear: 0 })).toThrow('field "periodsPerYear" was 0');
    expect(computeEquityReturnMetrics(Float64Array.of(100), { periodsPerYear: 365 }).periods).toBe(0);
    expect(computeEquityReturnMetrics(Float64Array.of(100, 110, 99), { periodsPerYear: 365 }).maxDrawdown).toBeCloseTo(-0.1, 15);
  });
});
