import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { ValidationError } from '../core/errors';
import {
  createRiskDecisionBuffer,
  createRiskEngine,
  RISK_LIMIT_TOLERANCE,
  type PreTradeContext,
  type RiskConfig,
  type RiskDecision,
} from './risk-engine';
import type { PortfolioRiskInput } from './value-at-risk';
import { denialCodeOf } from '../telemetry/metrics-sink';

const baseConfig: RiskConfig = {
  accountId: 'acct-1',
  maxLeverage: 3,
  maxLossPctEquityPerTrade: 1,
  riskPerTradePct: 0.5,
  maxSymbolExposurePct: 50,
  maxOpenPositions: 3,
  atrStopMultiple: 2,
  dailyLossLimitPct: 5,
  maxDrawdownPct: 10,
};

const baseContext: PreTradeContext = {
  symbol: 'BTC/USDT',
  side: 'long',
  price: 100,
  stopHint: NaN,
  atr: 2.5,
  equity: 10_000,
  currentPositionNotional: 0,
  totalOpenNotional: 0,
  openPositions: 0,
};

const DAY0 = Date.UTC(2024, 0, 1); // 2024-01-01T00:00Z
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function build(overrides: Partial<RiskConfig> = {}) {
  const clock = createManualClock(DAY0);
  return { clock, risk: createRiskEngine({ ...baseConfig, ...overrides }, { clock }) };
}

function approved(decision: RiskDecision) {
  if (!decision.approved) throw new Error(`expected approval, got "${decision.reason}"`);
  return decision;
}

function denied(decision: RiskDecision) {
  if (decision.approved) throw new Error(`expected denial, got amount ${decision.amount}`);
  return decision;
}

const check = (decision: RiskDecision, name: string) => decision.checks.find((c) => c.name === name)?.value;

describe('risk engine sizing', () => {
  it('sizes a long from an ATR stop so the stop loses riskPerTradePct of equity', () => {
    // stop = 100 - 2 * 2.5 = 95 ; budget = 10 000 * 0.5 % = 50 ; amount = 50 / 5 = 10 (notional 1000).
    const { risk } = build();
    const decision = approved(risk.evaluate(baseContext));
    expect(decision.amount).toBe(10);
    expect(decision.stopPrice).toBe(95);
    expect(check(decision, 'leverage_after')).toBe(0.1);
    expect(check(decision, 'est_loss_pct_equity')).toBe(0.5);
    expect(check(decision, 'symbol_exposure_pct')).toBe(10);
    expect(check(decision, 'open_positions')).toBe(1);
  });

  it('uses the signal stop hint for a short', () => {
    // stop 204 above price 200 ; amount = 50 / 4 = 12.5 (notional 2500 = 25 % of equity).
    const { risk } = build();
    const decision = approved(risk.evaluate({ ...baseContext, side: 'short', price: 200, stopHint: 204 }));
    expect(decision.amount).toBe(12.5);
    expect(decision.stopPrice).toBe(204);
    expect(check(decision, 'symbol_exposure_pct')).toBe(25);
  });

  it('shrinks the order to the symbol exposure cap', () => {
    // Holding 4000 long (40 %). Target 50 / 1 = 50 units (5000) ; room = (5000 - 4000) / 100 = 10 units.
    const { risk } = build();
    const decision = approved(
      risk.evaluate({ ...baseContext, atr: 0.5, currentPositionNotional: 4000, totalOpenNotional: 4000, openPositions: 1 }),
    );
    expect(decision.amount).toBe(10);
    expect(check(decision, 'symbol_exposure_pct')).toBe(50);
    expect(check(decision, 'est_loss_pct_equity')).toBe(0.1);
    expect(check(decision, 'open_positions')).toBe(1);
  });

  it('shrinks the order to the leverage cap', () => {
    // 29 000 open ; room = (3 * 10 000 - 29 000) / 100 = 10 units ; leverage after = 3.
    const { risk } = build();
    const decision = approved(risk.evaluate({ ...baseContext, stopHint: 99, totalOpenNotional: 29_000, openPositions: 2 }));
    expect(decision.amount).toBe(10);
    expect(check(decision, 'leverage_after')).toBe(3);
  });

  it('includes both adverse fills and both taker fees in sizing and in the estimated loss of a long', () => {
    // taker 10 bps, spread 4 bps, slippage 3 bps: fills move 4 / 2 + 3 = 5 bps against the trader.
    // entry fill 100 x 1.0005 = 100.05 ; stop fill 95 x 0.9995 = 94.9525 ; distance 5.0975
    // fees 0.001 x (100.05 + 94.9525) = 0.1950025 ; loss per unit 5.2925025 ; amount = 50 / 5.2925025.
    const { risk } = build({ costs: { takerFeeBps: 10, spreadBps: 4, slippageBps: 3 } });
    const decision = approved(risk.evaluate(baseContext));
    expect(decision.stopPrice).toBe(95);
    expect(decision.amount).toBeCloseTo(50 / 5.2925025, 12);
    expect(check(decision, 'est_loss_pct_equity')).toBeCloseTo(0.5, 12);
  });

  it('includes both adverse fills and both taker fees in sizing a short', () => {
    // entry fill 200 x 0.9995 = 199.9 ; stop fill 204 x 1.0005 = 204.102 ; distance 4.202
    // fees 0.001 x (199.9 + 204.102) = 0.404002 ; loss per unit 4.606002 ; amount = 50 / 4.606002.
    const { risk } = build({ costs: { takerFeeBps: 10, spreadBps: 4, slippageBps: 3 } });
    const decision = approved(risk.evaluate({ ...baseContext, side: 'short', price: 200, stopHint: 204 }));
    expect(decision.amount).toBeCloseTo(50 / 4.606002, 12);
    expect(check(decision, 'est_loss_pct_equity')).toBeCloseTo(0.5, 12);
  });

  it('denies when the loss at the stop, costs included, exceeds maxLossPctEquityPerTrade even though the distance alone fits', () => {
    // Budget 5 % = 500. Without costs the order capped by the symbol cap (50 % -> 50 units) loses 50 x 1 = 0.5 %.
    // With a 100 bps taker fee and 20 bps slippage: entry fill 100.2, stop fill 99 x 0.998 = 98.802,
    // loss per unit 1.398 + 0.01 x 199.002 = 3.38802 ; 500 / 3.38802 = 147.6 units, capped to 50, which lose
    // 169.401 = 1.69401 % of equity > 1 %.
    const limits = { riskPerTradePct: 5, maxLossPctEquityPerTrade: 1 };
    expect(approved(build(limits).risk.evaluate({ ...baseContext, stopHint: 99 })).amount).toBe(50);
    const { risk } = build({ ...limits, costs: { takerFeeBps: 100, spreadBps: 0, slippageBps: 20 } });
    const decision = denied(risk.evaluate({ ...baseContext, stopHint: 99 }));
    expect(decision.reason).toBe('est_loss_pct_equity 1.694 exceeds maxLossPctEquityPerTrade 1');
  });

  it('drops a legacy feeRateBps from the input instead of sizing with it', () => {
    const { risk } = build({ feeRateBps: 10 } as Partial<RiskConfig>);
    expect(risk.config).not.toHaveProperty('feeRateBps');
    expect(risk.config.costs).toEqual({ takerFeeBps: 0, spreadBps: 0, slippageBps: 0 });
    expect(approved(risk.evaluate(baseContext)).amount).toBe(10);
  });

  it('names an invalid cost field and its value', () => {
    const clock = createManualClock(0);
    expect(() => createRiskEngine({ ...baseConfig, costs: { takerFeeBps: 10, spreadBps: -1, slippageBps: 0 } }, { clock })).toThrow(
      'field "costs.spreadBps" was -1: must be >= 0',
    );
  });

  it('approves an add to an existing position when the open positions cap is reached', () => {
    const { risk } = build();
    const decision = approved(
      risk.evaluate({ ...baseContext, currentPositionNotional: 500, totalOpenNotional: 3000, openPositions: 3 }),
    );
    expect(check(decision, 'open_positions')).toBe(3);
  });
});

describe('risk engine evaluateInto', () => {
  it('sizes into a reused decision and rewrites the same check records on the next entry', () => {
    const { risk } = build();
    const out = createRiskDecisionBuffer();
    // As "sizes a long from an ATR stop": stop 95, amount 50 / 5 = 10, leverage 0.1, loss 0.5 %, exposure 10 %.
    expect(risk.evaluateInto(baseContext, out, false)).toBe(out);
    expect([out.approved, out.amount, out.stopPrice, out.reason]).toEqual([true, 10, 95, '']);
    expect(out.checks.map((c) => [c.name, c.value, c.passed])).toEqual([
      ['leverage_after', 0.1, true],
      ['est_loss_pct_equity', 0.5, true],
      ['symbol_exposure_pct', 10, true],
      ['open_positions', 1, true],
    ]);
    const records = [...out.checks];
    // As "uses the signal stop hint for a short": stop 204, amount 50 / 4 = 12.5, exposure 25 %.
    risk.evaluateInto({ ...baseContext, side: 'short', price: 200, stopHint: 204 }, out, false);
    expect([out.approved, out.amount, out.stopPrice]).toEqual([true, 12.5, 204]);
    expect(out.checks.map((c) => c.value)).toEqual([0.25, 0.5, 25, 1]);
    expect(out.checks.every((c, k) => c === records[k])).toBe(true);
  });

  it('builds a denial reason only when asked to describe it, and keeps the checks written before the failing one', () => {
    const { risk } = build();
    const out = createRiskDecisionBuffer();
    const full = { ...baseContext, openPositions: 3, totalOpenNotional: 3000 };
    risk.evaluateInto(full, out, false);
    expect([out.approved, out.amount, out.stopPrice, out.reason]).toEqual([false, NaN, NaN, '']);
    expect(out.checks.map((c) => [c.name, c.passed])).toEqual([
      ['leverage_after', true],
      ['est_loss_pct_equity', true],
      ['symbol_exposure_pct', true],
      ['open_positions', false],
    ]);
    risk.evaluateInto(full, out, true);
    expect(out.reason).toBe('open_positions 4 exceeds maxOpenPositions 3');
    risk.halt('maintenance');
    risk.evaluateInto(baseContext, out, true);
    expect([out.approved, out.reason, out.checks.length]).toEqual([false, 'halted: manual: maintenance', 0]);
  });
});

describe('risk engine denials', () => {
  const cases: { title: string; overrides?: Partial<RiskConfig>; ctx: Partial<PreTradeContext>; reason: string }[] = [
    {
      title: 'denies when leverage after the order exceeds maxLeverage',
      // No leverage room: amount stays 50 units ; (30 500 + 5000) / 10 000 = 3.55.
      ctx: { stopHint: 99, totalOpenNotional: 30_500, openPositions: 1, currentPositionNotional: 0 },
      reason: 'leverage_after 3.55 exceeds maxLeverage 3',
    },
    {
      title: 'denies a requested venue leverage above maxLeverage',
      ctx: { leverageRequested: 5 },
      reason: 'leverage_requested 5 exceeds maxLeverage 3',
    },
    {
      title: 'denies when the symbol is already above its exposure cap',
      // Holding 5200 (52 %): amount 50 units ; (5200 + 5000) / 10 000 = 102 %.
      ctx: { stopHint: 99, currentPositionNotional: 5200, totalOpenNotional: 5200, openPositions: 1 },
      reason: 'symbol_exposure_pct 102 exceeds maxSymbolExposurePct 50',
    },
    {
      title: 'denies when the estimated loss at the stop exceeds maxLossPctEquityPerTrade',
      // Sizing target 2 %: 200 / 2 = 100 units (10 000 notional, within the 300 % exposure cap) -> 2 % loss.
      overrides: { riskPerTradePct: 2, maxSymbolExposurePct: 300 },
      ctx: { stopHint: 98 },
      reason: 'est_loss_pct_equity 2 exceeds maxLossPctEquityPerTrade 1',
    },
    {
      title: 'denies a new position beyond maxOpenPositions',
      ctx: { openPositions: 3, totalOpenNotional: 3000 },
      reason: 'open_positions 4 exceeds maxOpenPositions 3',
    },
    {
      title: 'denies when there is neither a stop hint nor an ATR',
      ctx: { atr: NaN },
      reason: 'no usable stop: stopHint NaN and atr NaN',
    },
    {
      title: 'denies a long whose stop is above the price',
      ctx: { stopHint: 101 },
      reason: 'stop 101 is on the wrong side of price 100 for a long',
    },
    {
      title: 'denies a short whose stop is below the price',
      ctx: { side: 'short', stopHint: 99 },
      reason: 'stop 99 is on the wrong side of price 100 for a short',
    },
    {
      title: 'denies when equity is not positive',
      ctx: { equity: 0 },
      reason: 'equity 0 is not positive',
    },
  ];

  for (const c of cases) {
    it(c.title, () => {
      const { risk } = build(c.overrides);
      const decision = denied(risk.evaluate({ ...baseContext, ...c.ctx }));
      expect(decision.reason).toBe(c.reason);
    });
  }

  it('reports every computed check with the denial', () => {
    const { risk } = build();
    const decision = denied(risk.evaluate({ ...baseContext, openPositions: 3, totalOpenNotional: 3000 }));
    expect(decision.checks.map((c) => [c.name, c.passed])).toEqual([
      ['leverage_after', true],
      ['est_loss_pct_equity', true],
      ['symbol_exposure_pct', true],
      ['open_positions', false],
    ]);
  });

  it('denies while manually halted and quotes the reason', () => {
    const { risk } = build();
    risk.halt('exchange maintenance');
    expect(denied(risk.evaluate(baseContext)).reason).toBe('halted: manual: exchange maintenance');
    risk.resume();
    expect(risk.evaluate(baseContext).approved).toBe(true);
  });

  it('throws a ValidationError for a corrupt price instead of denying', () => {
    const { risk } = build();
    expect(() => risk.evaluate({ ...baseContext, price: NaN })).toThrow(ValidationError);
  });
});

describe('risk engine breakers', () => {
  it('trips the daily loss breaker at 5 % below the day start and resumes at the next UTC day', () => {
    const { risk } = build();
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + HOUR, 9600);
    const [daily, drawdown] = risk.breakers();
    expect(daily).toEqual({
      name: 'daily_loss',
      tripped: false,
      limitPct: 5,
      currentPct: 4,
      headroomPct: 1,
      tripEquity: 9500,
      headroomEquity: 100,
    });
    expect(drawdown).toMatchObject({ name: 'max_drawdown', tripped: false, currentPct: 4, headroomPct: 6, tripEquity: 9000, headroomEquity: 600 });

    risk.onEquity(DAY0 + 2 * HOUR, 9500);
    expect(risk.isHalted()).toBe(true);
    expect(denied(risk.evaluate(baseContext)).reason).toBe(
      'halted: daily_loss: equity 9500 is 5% below day start 10000 (limit 5%)',
    );
    expect(risk.breakers()[0].tripped).toBe(true);

    risk.onEquity(DAY0 + 23 * HOUR, 9700);
    expect(risk.isHalted()).toBe(true);

    risk.onEquity(DAY0 + DAY, 9650);
    expect(risk.isHalted()).toBe(false);
    expect(risk.state()).toMatchObject({ dayStartEquity: 9650, dayStartMs: DAY0 + DAY, peakEquity: 10_000 });
    expect(risk.evaluate(baseContext).approved).toBe(true);
  });

  it('resumes a daily halt by hand and re-bases the day start so it does not re-trip at once', () => {
    const { risk } = build();
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + HOUR, 9400);
    expect(risk.isHalted()).toBe(true);
    risk.resume();
    risk.onEquity(DAY0 + 2 * HOUR, 9350);
    expect(risk.isHalted()).toBe(false);
    expect(risk.state().dayStartEquity).toBe(9400);
  });

  it('trips the drawdown breaker at 10 % below the peak and keeps it across UTC days until a manual resume', () => {
    const { risk, clock } = build();
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + DAY, 9600);
    risk.onEquity(DAY0 + 2 * DAY, 9200);
    expect(risk.isHalted()).toBe(false);
    risk.onEquity(DAY0 + 3 * DAY, 9000);
    expect(risk.state()).toMatchObject({
      halted: true,
      haltReason: 'max_drawdown: equity 9000 is 10% below peak 10000 (limit 10%)',
      haltedAtMs: DAY0 + 3 * DAY,
    });
    risk.onEquity(DAY0 + 4 * DAY, 9100);
    expect(risk.isHalted()).toBe(true);

    clock.set(DAY0 + 4 * DAY + HOUR);
    risk.resume();
    expect(risk.isHalted()).toBe(false);
    expect(risk.state()).toMatchObject({ peakEquity: 9100, updatedAtMs: DAY0 + 4 * DAY + HOUR });
    risk.onEquity(DAY0 + 4 * DAY + 2 * HOUR, 9050);
    expect(risk.isHalted()).toBe(false);
  });

  it('lets a drawdown trip replace a daily halt, which the next day then does not lift', () => {
    const { risk } = build();
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + HOUR, 9400); // daily 6 %
    risk.onEquity(DAY0 + 2 * HOUR, 8900); // drawdown 11 %
    expect(risk.state().haltReason).toBe('max_drawdown: equity 8900 is 11% below peak 10000 (limit 10%)');
    risk.onEquity(DAY0 + DAY, 8950);
    expect(risk.isHalted()).toBe(true);
  });

  it('does not let a breaker overwrite a manual halt', () => {
    const { risk } = build();
    risk.onEquity(DAY0, 10_000);
    risk.halt('operator');
    risk.onEquity(DAY0 + HOUR, 8000);
    risk.onEquity(DAY0 + DAY, 8000);
    expect(risk.state().haltReason).toBe('manual: operator');
  });

  it('records the equity curve in typed arrays that grow past the initial capacity', () => {
    const { risk } = build({ maxDrawdownPct: 100, dailyLossLimitPct: 100 });
    for (let i = 0; i < 3000; i++) risk.onEquity(DAY0 + i * 60_000, 10_000 + i);
    const curve = risk.equityCurve();
    expect(curve.timeMs).toBeInstanceOf(Float64Array);
    expect(curve.equity.length).toBe(3000);
    expect(curve.timeMs[2999]).toBe(DAY0 + 2999 * 60_000);
    expect(curve.equity[0]).toBe(10_000);
    expect(curve.equity[2999]).toBe(12_999);
  });

  it('rejects equity reported back in time', () => {
    const { risk } = build();
    risk.onEquity(DAY0 + HOUR, 10_000);
    expect(() => risk.onEquity(DAY0, 10_000)).toThrow(`field "timeMs" was ${DAY0}`);
  });
});

describe('risk engine steady equity in bulk', () => {
  const curveOf = (risk: ReturnType<typeof build>['risk']) => ({ timeMs: Array.from(risk.equityCurve().timeMs), equity: Array.from(risk.equityCurve().equity) });

  it('appends the points one by one would only append, and stops at the end of the UTC day', () => {
    const bulk = build().risk;
    const one = build().risk;
    const values = Float64Array.of(NaN, 10_000);
    // Hourly candles by open time; a point is recorded at the close (open + 1 h).
    const openTimes = Float64Array.from({ length: 24 }, (_, k) => DAY0 + k * HOUR);
    // Before any point nothing is steady: the first point sets the day and the peak.
    expect(bulk.steadyEquityRows(openTimes, 0, 24, HOUR, values)).toBe(0);
    for (const risk of [bulk, one]) {
      risk.onEquity(DAY0 + HOUR, 10_000);
      risk.onEquity(DAY0 + 2 * HOUR, 9_500); // 5 % down: the daily-loss halt trips
    }
    values[1] = 9_500;
    // A trip is a change: the next point at the same equity settles the breakers again.
    expect(bulk.steadyEquityRows(openTimes, 2, 24, HOUR, values)).toBe(0);
    for (const risk of [bulk, one]) risk.onEquity(DAY0 + 3 * HOUR, 9_500);
    // Candles 3..22 close at 4 h .. 23 h, in the day; candle 23 closes at midnight, a new day (it lifts the daily halt).
    expect(bulk.steadyEquityRows(openTimes, 3, 24, HOUR, values)).toBe(20);
    values[1] = 9_499.99;
    expect(bulk.steadyEquityRows(openTimes, 3, 24, HOUR, values)).toBe(0);
    values[1] = 9_500;
    bulk.recordSteadyEquity(openTimes, 3, 23, HOUR, values);
    for (let k = 3; k < 23; k++) one.onEquity(openTimes[k] + HOUR, 9_500);
    expect(curveOf(bulk)).toEqual(curveOf(one));
    expect(curveOf(bulk).timeMs).toHaveLength(23);
    expect(bulk.state()).toEqual(one.state());
    expect(bulk.isHalted()).toBe(true);
    expect(bulk.steadyEquityRows(openTimes, 23, 24, HOUR, values)).toBe(0);
    expect(() => bulk.recordSteadyEquity(openTimes, 22, 24, HOUR, values)).toThrow(RangeError);
    expect(curveOf(bulk).timeMs).toHaveLength(23);
    for (const risk of [bulk, one]) risk.onEquity(DAY0 + DAY, 9_500);
    expect(bulk.isHalted()).toBe(false);
    expect(bulk.state()).toEqual(one.state());
  });

  it('counts no point before the last one as steady', () => {
    const { risk } = build();
    risk.onEquity(DAY0 + 2 * HOUR, 10_000);
    risk.onEquity(DAY0 + 3 * HOUR, 10_000);
    const values = Float64Array.of(NaN, 10_000);
    const openTimes = Float64Array.of(DAY0 + 3 * HOUR, DAY0 + 4 * HOUR, DAY0 + HOUR);
    // 3 h and 4 h are steady; 1 h goes back in time: onEquityFrom refuses it (one by one).
    expect(risk.steadyEquityRows(openTimes, 0, 3, 0, values)).toBe(2);
    expect(() => risk.recordSteadyEquity(openTimes, 0, 3, 0, values)).toThrow(RangeError);
    expect(() => risk.onEquity(DAY0 + HOUR, 10_000)).toThrow(`field "timeMs" was ${DAY0 + HOUR}`);
  });
});

describe('risk engine persistence', () => {
  it('restores a daily halt after a restart and still auto-resumes on the next UTC day', () => {
    const first = build();
    first.risk.onEquity(DAY0, 10_000);
    first.risk.onEquity(DAY0 + HOUR, 9400); // 6 % daily loss
    const saved = first.risk.state();
    expect(saved).toEqual({
      accountId: 'acct-1',
      halted: true,
      haltReason: 'daily_loss: equity 9400 is 6% below day start 10000 (limit 5%)',
      haltedAtMs: DAY0 + HOUR,
      dayStartEquity: 10_000,
      dayStartMs: DAY0,
      peakEquity: 10_000,
      updatedAtMs: DAY0,
    });

    const second = build();
    second.risk.restore(saved);
    expect(denied(second.risk.evaluate(baseContext)).reason).toBe(`halted: ${saved.haltReason}`);
    second.risk.onEquity(DAY0 + 5 * HOUR, 9500);
    expect(second.risk.isHalted()).toBe(true);
    second.risk.onEquity(DAY0 + DAY, 9500);
    expect(second.risk.isHalted()).toBe(false);
  });

  it('trips the drawdown breaker on an unchanged equity once a restore raised the peak', () => {
    const { risk } = build();
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + HOUR, 10_000);
    expect(risk.isHalted()).toBe(false);
    risk.restore({ ...risk.state(), peakEquity: 12_000 });
    // Same equity, same day: (12000 - 10000) / 12000 = 16.6667 % below the restored peak, over the 10 % limit.
    risk.onEquity(DAY0 + 2 * HOUR, 10_000);
    expect(risk.state().haltReason).toBe('max_drawdown: equity 10000 is 16.6667% below peak 12000 (limit 10%)');
    expect(risk.equityCurve().equity).toEqual(Float64Array.of(10_000, 10_000, 10_000));
  });

  it('restores a manual halt that survives the next UTC day', () => {
    const first = build();
    first.risk.halt('kill switch');
    const second = build();
    second.risk.restore(first.risk.state());
    second.risk.onEquity(DAY0 + DAY, 10_000);
    expect(second.risk.state().haltReason).toBe('manual: kill switch');
  });

  it('refuses a record of another account', () => {
    const { risk } = build();
    expect(() => risk.restore({ ...risk.state(), accountId: 'other' })).toThrow(
      'field "accountId" was "other": expected "acct-1"',
    );
  });
});

describe('risk config validation', () => {
  it('names the field and value of an invalid limit', () => {
    const clock = createManualClock(0);
    try {
      createRiskEngine({ ...baseConfig, maxLeverage: -1 }, { clock });
      expect.unreachable('config was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('maxLeverage');
      expect((error as ValidationError).value).toBe(-1);
      expect((error as Error).message).toMatch(/^field "maxLeverage" was -1: /);
    }
  });

  it('rejects a fractional maxOpenPositions', () => {
    const clock = createManualClock(0);
    expect(() => createRiskEngine({ ...baseConfig, maxOpenPositions: 2.5 }, { clock })).toThrow(
      /field "maxOpenPositions" was 2.5/,
    );
  });
});

describe('risk engine invariants (property)', () => {
  it('never approves an order that breaks leverage, exposure, loss or position caps', () => {
    const configArb = fc.record({
      maxLeverage: fc.double({ min: 0.5, max: 20, noNaN: true }),
      maxLossPctEquityPerTrade: fc.double({ min: 0.1, max: 5, noNaN: true }),
      riskPerTradePct: fc.double({ min: 0.05, max: 5, noNaN: true }),
      maxSymbolExposurePct: fc.double({ min: 5, max: 500, noNaN: true }),
      maxOpenPositions: fc.integer({ min: 1, max: 10 }),
      atrStopMultiple: fc.double({ min: 0.5, max: 5, noNaN: true }),
      costs: fc.record({
        takerFeeBps: fc.double({ min: 0, max: 20, noNaN: true }),
        spreadBps: fc.double({ min: 0, max: 50, noNaN: true }),
        slippageBps: fc.double({ min: 0, max: 50, noNaN: true }),
      }),
    });
    const contextArb = fc
      .record({
        side: fc.constantFrom('long' as const, 'short' as const),
        price: fc.double({ min: 0.001, max: 100_000, noNaN: true }),
        // Stop distance as a fraction of price, on the protective side (wrong-side stops are covered above).
        stopFraction: fc.option(fc.double({ min: 0.0001, max: 0.5, noNaN: true }), { nil: undefined }),
        atrFraction: fc.option(fc.double({ min: 0, max: 0.2, noNaN: true }), { nil: undefined }),
        equity: fc.double({ min: 1, max: 10_000_000, noNaN: true }),
        positionMultiple: fc.double({ min: -3, max: 3, noNaN: true }),
        otherMultiple: fc.double({ min: 0, max: 25, noNaN: true }),
        openPositions: fc.integer({ min: 0, max: 12 }),
      })
      .map((r): PreTradeContext => {
        const currentPositionNotional = r.positionMultiple * r.equity;
        return {
          symbol: 'X/USDT',
          side: r.side,
          price: r.price,
          stopHint: r.stopFraction === undefined ? NaN : r.price * (1 - (r.side === 'long' ? 1 : -1) * r.stopFraction),
          atr: r.atrFraction === undefined ? NaN : r.price * r.atrFraction,
          equity: r.equity,
          currentPositionNotional,
          totalOpenNotional: Math.abs(currentPositionNotional) + r.otherMultiple * r.equity,
          openPositions: r.openPositions,
        };
      });

    let approvals = 0;
    const numRuns = 2000;
    fc.assert(
      fc.property(configArb, contextArb, (limits, ctx) => {
        const clock = createManualClock(0);
        const config = { ...baseConfig, ...limits };
        const decision = createRiskEngine(config, { clock }).evaluate(ctx);
        if (!decision.approved) return;
        approvals++;
        const slack = 1 + RISK_LIMIT_TOLERANCE;
        const direction = ctx.side === 'long' ? 1 : -1;
        const notional = decision.amount * ctx.price;
        // Recomputed from the approved amount, not read from the engine's checks.
        expect(decision.amount).toBeGreaterThan(0);
        expect(direction * (ctx.price - decision.stopPrice)).toBeGreaterThan(0);
        expect((ctx.totalOpenNotional + notional) / ctx.equity).toBeLessThanOrEqual(config.maxLeverage * slack);
        expect((Math.abs(ctx.currentPositionNotional + direction * notional) / ctx.equity) * 100).toBeLessThanOrEqual(
          config.maxSymbolExposurePct * slack,
        );
        // Entry and stop fills moved against the trader by half the spread plus slippage; taker fee on both.
        const adjust = (config.costs.spreadBps / 2 + config.costs.slippageBps) / 10_000;
        const entryFill = ctx.price * (1 + direction * adjust);
        const stopFill = decision.stopPrice * (1 - direction * adjust);
        const lossPerUnit = direction * (entryFill - stopFill) + ((entryFill + stopFill) * config.costs.takerFeeBps) / 10_000;
        expect(((decision.amount * lossPerUnit) / ctx.equity) * 100).toBeLessThanOrEqual(
          config.maxLossPctEquityPerTrade * slack,
        );
        const positionsAfter = ctx.openPositions + (ctx.currentPositionNotional === 0 ? 1 : 0);
        expect(positionsAfter).toBeLessThanOrEqual(config.maxOpenPositions);
      }),
      { numRuns, seed: 20240101 },
    );
    // The property is not vacuous: a good share of the random orders is approved.
    expect(approvals).toBeGreaterThan(numRuns / 10);
  });
});

describe('risk engine riskScale (the loop models scale the sizing budget)', () => {
  it('scales the sizing budget and leaves the caps in force', () => {
    const { risk } = build();
    // stop 95, budget 10 000 x 0.5 % x 0.4 = 20, amount 20 / 5 = 4.
    expect(approved(risk.evaluate({ ...baseContext, riskScale: 0.4 })).amount).toBeCloseTo(4, 12);
    // x 2: budget 100, amount 20 (notional 2 000, within the 5 000 exposure cap); loss 100 = 1 %, at the limit.
    expect(approved(risk.evaluate({ ...baseContext, riskScale: 2 })).amount).toBeCloseTo(20, 12);
    // x 4: budget 200, amount 40; the loss at the stop, 200 = 2 % of equity, is past maxLossPctEquityPerTrade 1 %: denied.
    expect(denied(risk.evaluate({ ...baseContext, riskScale: 4 })).reason).toBe('est_loss_pct_equity 2 exceeds maxLossPctEquityPerTrade 1');
  });

  it('refuses a scale that is not a finite number above 0, naming it', () => {
    const { risk } = build();
    for (const riskScale of [0, -1, NaN, Infinity]) expect(() => risk.evaluate({ ...baseContext, riskScale })).toThrow(ValidationError);
    expect(() => risk.evaluate({ ...baseContext, riskScale: 0 })).toThrow('field "riskScale" was 0: expected a finite multiplier > 0');
  });
});

describe('risk engine portfolio VaR / ES limits', () => {
  // 20 candle returns of BTC/USDT (the series of value-at-risk.test.ts).
  const R20 = [0.01, -0.02, 0.005, -0.035, 0.012, 0.003, -0.01, 0.02, -0.05, 0.007, 0, -0.004, 0.015, -0.012, 0.008, -0.025, 0.011, 0.002, -0.006, 0.009];
  const portfolio = (exposures: PortfolioRiskInput['exposures'], returns = R20): PortfolioRiskInput => ({
    exposures,
    timeframe: '1h',
    history: { symbols: ['BTC/USDT'], returns: [Float64Array.from(returns)], length: returns.length, openTimeMs: Float64Array.from(returns, (_, t) => t * HOUR) },
  });
  const varConfig = { varConfidence: 0.9, varLookbackCandles: 20 };
  // The base order: amount 10 at 100 = notional 1000 long. Its scenario PnLs are 1000 r_t; sorted, the two worst are
  // -50 and -35, so at c = 0.9 (k = ceil(20 x 0.1) = 2): VaR = 35 = 0.0035 of equity 10 000, ES = (50 + 35) / 2 = 42.5 = 0.00425.

  it('approves an order whose VaR after it equals the limit and denies it with the figures when the limit is just below', () => {
    const atLimit = approved(build({ ...varConfig, maxVarFraction: 0.0035 }).risk.evaluate({ ...baseContext, portfolio: portfolio([]) }));
    expect(atLimit.amount).toBe(10);
    expect(check(atLimit, 'var_fraction')).toBeCloseTo(0.0035, 15);
    const below = denied(build({ ...varConfig, maxVarFraction: 0.0035 * (1 - 1e-6) }).risk.evaluate({ ...baseContext, portfolio: portfolio([]) }));
    expect(below.reason).toBe('var_fraction 0.0035 of equity exceeds maxVarFraction 0.0035 (VaR 35 and ES 42.5 at 90% over 20 candles of 1h)');
    expect(below.checks.at(-1)).toEqual({ name: 'var_fraction', value: expect.closeTo(0.0035, 15), limit: 0.0035 * (1 - 1e-6), passed: false });
    expect(denialCodeOf(below.reason, below.checks)).toBe('risk_limit:var_fraction');
  });

  it('denies on expected shortfall when VaR passes', () => {
    const decision = denied(build({ ...varConfig, maxVarFraction: 0.004, maxExpectedShortfallFraction: 0.004 }).risk.evaluate({ ...baseContext, portfolio: portfolio([]) }));
    expect(decision.reason).toBe('es_fraction 0.0043 of equity exceeds maxExpectedShortfallFraction 0.004 (VaR 35 and ES 42.5 at 90% over 20 candles of 1h)');
    expect(decision.checks.slice(-2).map((c) => [c.name, c.passed])).toEqual([
      ['var_fraction', true],
      ['es_fraction', false],
    ]);
  });

  it('adds the order to the position already held', () => {
    // Held 500 + order 1000 = 1500 long: VaR = 1.5 x 35 = 52.5 = 0.00525 of equity.
    const decision = denied(build({ ...varConfig, maxVarFraction: 0.005 }).risk.evaluate({ ...baseContext, currentPositionNotional: 500, portfolio: portfolio([{ symbol: 'BTC/USDT', notional: 500 }]) }));
    expect(check(decision, 'var_fraction')).toBeCloseTo(0.00525, 15);
    // A short of 1000 held (short 1000 is a hedge the long order closes to flat: VaR 0).
    const flat = approved(build({ ...varConfig, maxVarFraction: 0 }).risk.evaluate({ ...baseContext, currentPositionNotional: -1000, portfolio: portfolio([{ symbol: 'BTC/USDT', notional: -1000 }]) }));
    expect(check(flat, 'var_fraction')).toBe(0);
  });

  it('uses only the newest varLookbackCandles returns', () => {
    // Lookback 10: 1000 x the last ten returns = 0, -4, 15, -12, 8, -25, 11, 2, -6, 9; c = 0.9 -> k = 1 -> VaR 25 = 0.0025.
    const decision = approved(build({ varConfidence: 0.9, varLookbackCandles: 10, maxVarFraction: 0.01 }).risk.evaluate({ ...baseContext, portfolio: portfolio([]) }));
    expect(check(decision, 'var_fraction')).toBeCloseTo(0.0025, 15);
  });

  it('denies when a limit is set but the history is missing or shorter than the lookback', () => {
    const { risk } = build({ ...varConfig, maxVarFraction: 0.5 });
    const none = denied(risk.evaluate(baseContext));
    expect(none.reason).toBe('var: not enough return history: no return history was supplied to evaluate the VaR / ES limits');
    expect(denialCodeOf(none.reason, none.checks)).toBe('no_return_history');
    const short = denied(risk.evaluate({ ...baseContext, portfolio: portfolio([], R20.slice(1)) }));
    expect(short.reason).toBe('var: not enough return history: 19 of the 20 candle returns (1h) of BTC/USDT that the VaR / ES limits need');
  });

  it('ignores the portfolio when no VaR / ES limit is set', () => {
    const decision = approved(build(varConfig).risk.evaluate(baseContext));
    expect(decision.checks.map((c) => c.name)).not.toContain('var_fraction');
  });

  it('rejects VaR limits outside 0..1 and a confidence level of 0 or 1, naming the field and value', () => {
    const clock = createManualClock(0);
    const cases: [Partial<RiskConfig>, RegExp][] = [
      [{ maxVarFraction: 1.5 }, /^field "maxVarFraction" was 1.5: /],
      [{ maxVarFraction: -0.01 }, /^field "maxVarFraction" was -0.01: /],
      [{ maxExpectedShortfallFraction: 2 }, /^field "maxExpectedShortfallFraction" was 2: /],
      [{ varConfidence: 0 }, /^field "varConfidence" was 0: /],
      [{ varConfidence: 1 }, /^field "varConfidence" was 1: /],
      [{ varLookbackCandles: 0 }, /^field "varLookbackCandles" was 0: /],
    ];
    for (const [overrides, message] of cases) {
      expect(() => createRiskEngine({ ...baseConfig, ...overrides }, { clock })).toThrow(ValidationError);
      expect(() => createRiskEngine({ ...baseConfig, ...overrides }, { clock })).toThrow(message);
    }
    // Defaults: off, 99 %, 500 candles.
    const { maxVarFraction, maxExpectedShortfallFraction, varConfidence, varLookbackCandles } = createRiskEngine(baseConfig, { clock }).config;
    expect({ maxVarFraction, maxExpectedShortfallFraction, varConfidence, varLookbackCandles }).toEqual({ maxVarFraction: null, maxExpectedShortfallFraction: null, varConfidence: 0.99, varLookbackCandles: 500 });
  });
});

describe('clearEquityCurve', () => {
  it('forgets the recorded points while the drawdown breaker keeps its peak: 10,000 then 8,900 trips the 10 % limit', () => {
    const { risk } = build({ dailyLossLimitPct: 100 });
    risk.onEquity(DAY0, 10_000);
    risk.onEquity(DAY0 + 2 * DAY, 9_500);
    expect(risk.equityCurve().equity).toEqual(Float64Array.of(10_000, 9_500));
    risk.clearEquityCurve();
    expect(risk.equityCurve().timeMs).toHaveLength(0);
    // Peak 10,000 from before the clear: 8,900 is 11 % below it (a peak of 9,500 would make it 6.3 %, no trip).
    risk.onEquity(DAY0 + 4 * DAY, 8_900);
    expect(risk.isHalted()).toBe(true);
    expect(risk.state().haltReason).toMatch(/^max_drawdown: equity 8900 is 11% below peak 10000/);
    expect(risk.equityCurve().equity).toEqual(Float64Array.of(8_900));
  });
});
