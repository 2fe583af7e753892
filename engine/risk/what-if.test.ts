import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { ValidationError } from '../core/errors';
import { DEFAULT_MARGIN_TIERS } from '../execution/margin-tiers';
import { createRiskEngine, type RiskConfig } from './risk-engine';
import { computeWhatIf, whatIfOrderSchema, type WhatIfAccount } from './what-if';
import { parseManualOrder } from '../account/manual-order';

const T0 = 1_704_067_200_000;
const limits: RiskConfig = {
  maxLeverage: 3,
  maxLossPctEquityPerTrade: 2,
  riskPerTradePct: 1,
  maxSymbolExposurePct: 200,
  maxOpenPositions: 3,
  atrStopMultiple: 2,
  dailyLossLimitPct: 5,
  maxDrawdownPct: 20,
};

function riskAt(equity: number, config: Partial<RiskConfig> = {}) {
  const risk = createRiskEngine({ ...limits, ...config }, { clock: createManualClock(T0) });
  risk.onEquity(T0, equity);
  return risk;
}

const futures: WhatIfAccount = {
  equity: 10_000,
  walletBalance: 10_000,
  marketType: 'futures',
  marginMode: 'isolated',
  leverage: 2,
  currentPositionNotional: 0,
  totalOpenNotional: 0,
  openPositions: 0,
  tiers: DEFAULT_MARGIN_TIERS,
};

const order = (o: Record<string, unknown>) => whatIfOrderSchema.parse({ symbol: 'BTC/USDT', side: 'long', price: 100, leverage: 2, ...o });

describe('computeWhatIf', () => {
  it('sizes a long so the stop loses 1 % of equity and reports margin, liquidation and breaker headroom', () => {
    const result = computeWhatIf(order({ stopPrice: 95 }), futures, riskAt(10_000));
    // budget 1 % x 10,000 = 100; stop distance 5 -> 20 units; notional 2,000; margin 2,000 / 2 = 1,000
    expect(result.approved).toBe(true);
    expect(result.amount).toBe(20);
    expect(result.sizedAmount).toBe(20);
    expect(result.notional).toBe(2_000);
    expect(result.marginUsed).toBe(1_000);
    expect(result.stopPrice).toBe(95);
    // Isolated LP = (1,000 - 20 x 100) / (20 x 0.004 - 20) = -1,000 / -19.92 (tier 1, MMR 0.4 %)
    expect(result.liquidationPrice).toBeCloseTo(1_000 / 19.92, 10);
    expect(result.lossAtStop).toBe(100);
    expect(result.lossAtStopPctEquity).toBe(1);
    const [daily, drawdown] = result.breakers;
    // daily: trips at 9,500, 500 of room now, 400 after a 100 loss (5 % -> 4 % of the 10,000 day start)
    expect(daily).toMatchObject({ name: 'daily_loss', tripEquity: 9_500, headroomPct: 5, headroomEquity: 500, headroomAfterStopEquity: 400 });
    expect(daily.headroomAfterStopPct).toBeCloseTo(4, 12);
    expect(drawdown).toMatchObject({ name: 'max_drawdown', tripEquity: 8_000, headroomPct: 20, headroomEquity: 2_000, headroomAfterStopEquity: 1_900 });
    expect(drawdown.headroomAfterStopPct).toBeCloseTo(19, 12);
    expect(result.checks.map((c) => [c.name, c.value, c.passed])).toEqual([
      ['leverage_requested', 2, true],
      ['leverage_after', 0.2, true],
      ['est_loss_pct_equity', 1, true],
      ['symbol_exposure_pct', 20, true],
      ['open_positions', 1, true],
    ]);
  });

  it('puts an ATR stop two ATRs away and includes spread, slippage and both taker fees in the loss', () => {
    const costs = { takerFeeBps: 10, spreadBps: 4, slippageBps: 3 };
    const result = computeWhatIf(order({ atr: 2.5 }), futures, riskAt(10_000, { costs }));
    // stop 100 - 2 x 2.5 = 95; fills move 4 / 2 + 3 = 5 bps against the trader: entry 100.05, stop 94.9525;
    // loss per unit 5.0975 + 0.001 x 195.0025 = 5.2925025; amount 100 / 5.2925025
    expect(result.stopPrice).toBe(95);
    expect(result.amount).toBeCloseTo(100 / 5.2925025, 12);
    expect(result.lossAtStop).toBeCloseTo(100, 9);
    expect(result.lossAtStopPctEquity).toBeCloseTo(1, 11);
    expect(result.costs).toEqual(costs);
  });

  it('reports no liquidation price and the full notional as cash for spot', () => {
    const result = computeWhatIf(order({ stopPrice: 90, leverage: 1 }), { ...futures, marketType: 'spot' }, riskAt(10_000));
    // 100 / 10 = 10 units, 1,000 notional
    expect(result.amount).toBe(10);
    expect(result.marginUsed).toBe(1_000);
    expect(result.liquidationPrice).toBeNaN();
  });

  it('returns the denial with zero size when the account is halted', () => {
    const risk = riskAt(10_000);
    risk.halt('test');
    const result = computeWhatIf(order({ stopPrice: 95 }), futures, risk);
    expect(result).toMatchObject({ approved: false, reason: 'halted: manual: test', amount: 0, lossAtStop: 0, marginUsed: 0 });
    // Denied before any sizing: no refused size to show.
    expect(result.sizedAmount).toBeNaN();
  });

  it('reports the size a limit refused, the size its checks quote', () => {
    // Loss budget 1 % of 10,000 = 100 at a stop 0.5 away: 200 units, notional 20,000 = leverage 2 after. The symbol
    // exposure cap (150 % = 15,000 of notional) shrinks it to 150 units; est. loss 150 x 0.5 = 75 = 0.75 % of equity.
    // An account already holding its maxOpenPositions (3) then denies it: the size refused is 150, not the 0 the order is left at.
    const result = computeWhatIf(order({ stopPrice: 99.5 }), { ...futures, openPositions: 3 }, riskAt(10_000, { maxSymbolExposurePct: 150 }));
    expect(result).toMatchObject({ approved: false, reason: 'open_positions 4 exceeds maxOpenPositions 3', amount: 0, notional: 0, lossAtStop: 0 });
    expect(result.sizedAmount).toBe(150);
    expect(result.checks.map((c) => [c.name, c.value])).toEqual([
      ['leverage_requested', 2],
      ['leverage_after', 1.5],
      ['est_loss_pct_equity', 0.75],
      ['symbol_exposure_pct', 150],
      ['open_positions', 4],
    ]);
  });

  it('denies a requested leverage above the limit, quoting both numbers', () => {
    const result = computeWhatIf(order({ stopPrice: 95, leverage: 5 }), futures, riskAt(10_000));
    expect(result.approved).toBe(false);
    expect(result.reason).toBe('leverage_requested 5 exceeds maxLeverage 3');
  });

  it("evaluates an order that gives no leverage at the account's, the leverage its venue opens positions at", () => {
    const { leverage: _omitted, ...noLeverage } = order({ stopPrice: 95 });
    expect(noLeverage).not.toHaveProperty('leverage');
    // Same 20 units as at 2x (the size is the stop's), margin 2,000 / 2.5 = 800 on an account at 2.5x.
    const result = computeWhatIf(noLeverage, { ...futures, leverage: 2.5 }, riskAt(10_000));
    expect(result.leverage).toBe(2.5);
    expect(result.amount).toBe(20);
    expect(result.marginUsed).toBe(800);
    expect(result.checks[0]).toMatchObject({ name: 'leverage_requested', value: 2.5, passed: true });
    // An account at 4x is over the 3x limit whatever the ticket leaves out; the order's own leverage is a what-if.
    const over = computeWhatIf(noLeverage, { ...futures, leverage: 4 }, riskAt(10_000));
    expect(over.reason).toBe('leverage_requested 4 exceeds maxLeverage 3');
    expect(computeWhatIf(order({ stopPrice: 95, leverage: 3 }), { ...futures, leverage: 4 }, riskAt(10_000))).toMatchObject({ approved: true, leverage: 3, marginUsed: 2_000 / 3 });
    // Spot: always 1.
    expect(computeWhatIf(noLeverage, { ...futures, marketType: 'spot', leverage: 1 }, riskAt(10_000))).toMatchObject({ leverage: 1, marginUsed: 2_000 });
  });

  it('rejects leverage on a spot account', () => {
    expect(() => computeWhatIf(order({ stopPrice: 95, leverage: 2 }), { ...futures, marketType: 'spot' }, riskAt(10_000))).toThrow(ValidationError);
  });
});

describe('whatIfOrderSchema', () => {
  it('requires a stop price or an ATR, reported on stopPrice', () => {
    const parsed = whatIfOrderSchema.safeParse({ symbol: 'BTC/USDT', side: 'long', price: 100 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['stopPrice', 'give a stop price or an ATR']]);
  });

  it('refuses a symbol outside the one rule (upper-case BASE/QUOTE), naming the field and the value; takes BTC/USDT', () => {
    for (const bad of ['btc/usdt', 'BTCUSDT']) {
      let error: unknown = null;
      try {
        parseManualOrder({ symbol: bad, side: 'long', price: 100, stopPrice: 95 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'symbol', value: bad, message: `field "symbol" was "${bad}": expected a market symbol like BTC/USDT (upper-case BASE/QUOTE)` });
    }
    expect(parseManualOrder({ symbol: 'BTC/USDT', side: 'long', price: 100, stopPrice: 95 }).symbol).toBe('BTC/USDT');
  });
});
