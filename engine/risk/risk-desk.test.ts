import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { createInMemoryRiskStateRepository } from '../testing/in-memory-repositories';
import { createRiskDesk } from './risk-desk';
import type { PreTradeContext, RiskConfig } from './risk-engine';
import { tradingCostsOf } from './trading-costs';

const T0 = Date.UTC(2024, 0, 1);
const LIMITS: Omit<RiskConfig, 'accountId' | 'costs'> = {
  maxLeverage: 1,
  maxLossPctEquityPerTrade: 2,
  riskPerTradePct: 1,
  maxSymbolExposurePct: 95,
  maxOpenPositions: 1,
  atrStopMultiple: 2,
  dailyLossLimitPct: 5,
  maxDrawdownPct: 25,
};
const LONG: PreTradeContext = {
  symbol: 'BTC/USDT',
  side: 'long',
  price: 100,
  stopHint: 95,
  atr: Number.NaN,
  equity: 10_000,
  currentPositionNotional: 0,
  totalOpenNotional: 0,
  openPositions: 0,
};

describe('risk desk trading costs', () => {
  const costs = tradingCostsOf({ takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippageBps: 3 });

  it("sizes with the account's costs in the live engine and in what-if copies, and keeps them when the limits change", async () => {
    const desk = await createRiskDesk(LIMITS, { clock: createManualClock(T0), riskState: createInMemoryRiskStateRepository(), costs });
    // 1 % of 10,000 = 100; loss per unit 5.0975 + 0.001 x 195.0025 = 5.2925025 (entry 100.05, stop fill 94.9525)
    const live = desk.engine().evaluate(LONG);
    expect(live.approved && live.amount).toBeCloseTo(100 / 5.2925025, 12);
    expect(desk.copyAt(10_000).config.costs).toEqual(costs);
    desk.reconfigure({ ...LIMITS, riskPerTradePct: 0.5 });
    expect(desk.engine().config.costs).toEqual(costs);
    const copy = desk.copyAt(10_000).evaluate(LONG);
    expect(copy.approved && copy.amount).toBeCloseTo(50 / 5.2925025, 12);
  });

  it('ignores costs smuggled into the limits: they come from the account only', async () => {
    const desk = await createRiskDesk(LIMITS, { clock: createManualClock(T0), riskState: createInMemoryRiskStateRepository(), costs });
    desk.reconfigure({ ...LIMITS, costs: { takerFeeBps: 0, spreadBps: 0, slippageBps: 0 } } as typeof LIMITS);
    expect(desk.engine().config.costs).toEqual(costs);
  });

  it('assumes no costs when the account gives none', async () => {
    const desk = await createRiskDesk(LIMITS, { clock: createManualClock(T0), riskState: createInMemoryRiskStateRepository() });
    expect(desk.engine().config.costs).toEqual({ takerFeeBps: 0, spreadBps: 0, slippageBps: 0 });
    const decision = desk.engine().evaluate(LONG);
    expect(decision.approved && decision.amount).toBe(20);
  });
});
