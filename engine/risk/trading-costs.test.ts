import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { ValidationError } from '../core/errors';
import { createPaperExchange, type PaperExchangeConfig } from '../execution/paper-exchange';
import { DEFAULT_PAPER } from '../backtest/run-backtest';
import { createRiskEngine, RiskCheckName, type RiskConfig, type RiskDecision } from './risk-engine';
import { stopLossPerUnit, takerAdjustOf, tradingCostsOf, type TradingCosts } from './trading-costs';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'X/USDT';

describe('tradingCostsOf', () => {
  it('takes the fee, spread and slippage of a paper venue config and nothing else', () => {
    const costs = tradingCostsOf(DEFAULT_PAPER);
    expect(costs).toEqual({ takerFeeBps: 10, makerFeeBps: 2, spreadBps: 2, slippageBps: 2 });
    expect(Object.isFrozen(costs)).toBe(true);
  });

  it('leaves the maker fee out when the fee model has none', () => {
    expect(tradingCostsOf({ takerFeeBps: 4, spreadBps: 1, slippageBps: 0.5 })).toEqual({ takerFeeBps: 4, spreadBps: 1, slippageBps: 0.5 });
  });

  it('names the invalid field and its value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ takerFeeBps: -1, spreadBps: 0, slippageBps: 0 }, 'field "takerFeeBps" was -1: must be >= 0'],
      [{ takerFeeBps: 10, spreadBps: 20_000, slippageBps: 0 }, 'field "spreadBps" was 20000: must be < 10000'],
      [{ takerFeeBps: 10, spreadBps: 0, slippageBps: '2' }, 'field "slippageBps" was "2": expected a number'],
      [{ takerFeeBps: 10, makerFeeBps: -150, spreadBps: 0, slippageBps: 0 }, 'field "makerFeeBps" was -150: must be >= -100'],
      [{ takerFeeBps: 10, spreadBps: 9_000, slippageBps: 6_000 }, 'field "slippageBps" was 6000: spreadBps / 2 + slippageBps must stay below 10000'],
    ];
    for (const [model, message] of cases) {
      expect(() => tradingCostsOf(model as never), JSON.stringify(model)).toThrow(ValidationError);
      expect(() => tradingCostsOf(model as never)).toThrow(message);
    }
    expect(() => tradingCostsOf(null as never)).toThrow('field "feeModel" was null');
    const nan = (() => {
      try {
        tradingCostsOf({ takerFeeBps: 10, spreadBps: Number.NaN, slippageBps: 0 });
      } catch (error) {
        return error as ValidationError;
      }
    })();
    expect(nan).toBeInstanceOf(ValidationError);
    expect(nan?.field).toBe('spreadBps');
    expect(nan?.value).toBeNaN();
  });
});

describe('stopLossPerUnit', () => {
  const costs: TradingCosts = { takerFeeBps: 10, spreadBps: 4, slippageBps: 3 };

  it('moves both fills against the trader by half the spread plus slippage and charges the taker fee on both', () => {
    expect(takerAdjustOf(costs)).toBe(0.0005);
    // long 100 -> 95: fills 100.05 and 94.9525, distance 5.0975, fees 0.001 x 195.0025 = 0.1950025
    expect(stopLossPerUnit('long', 100, 95, costs)).toBeCloseTo(5.2925025, 12);
    // short 200 -> 204: fills 199.9 and 204.102, distance 4.202, fees 0.001 x 404.002 = 0.404002
    expect(stopLossPerUnit('short', 200, 204, costs)).toBeCloseTo(4.606002, 12);
  });

  it('is the bare stop distance without costs', () => {
    expect(stopLossPerUnit('long', 100, 95, { takerFeeBps: 0, spreadBps: 0, slippageBps: 0 })).toBe(5);
    expect(stopLossPerUnit('short', 200, 204, { takerFeeBps: 0, spreadBps: 0, slippageBps: 0 })).toBe(4);
  });
});

/** A futures paper venue that never limits the trade: huge tier, no funding, the whole candle volume. */
function paperVenue(fees: Pick<PaperExchangeConfig, 'takerFeeBps' | 'makerFeeBps' | 'spreadBps' | 'slippageBps'>, initialBalance: number, marketType: 'spot' | 'futures' = 'futures'): PaperExchangeConfig {
  return {
    marketType,
    initialBalance,
    ...fees,
    maxVolumeShare: 1,
    ...(marketType === 'futures'
      ? {
          leverage: 100,
          fundingRatePerInterval: 0,
          tiers: { '*': [{ bracket: 1, notionalFloor: 0, notionalCap: 1e18, maxLeverage: 125, maintMarginRatio: 0.004, cum: 0 }] },
        }
      : {}),
  };
}

/**
 * Evaluates an entry at `price` with the risk engine, sends the approved market entry and its reduce-only stop
 * to a real PaperExchange, then feeds a candle that opens at `nextOpen` (not beyond the stop) and trades through
 * the stop. Returns the decision, the equity at entry and the wallet change (fees included).
 */
async function stopOutThroughPaper(args: {
  side: 'long' | 'short';
  price: number;
  stopHint: number;
  nextOpen: number;
  /** Extreme of the stop-out candle beyond the stop, fraction of the stop price. */
  overshoot: number;
  venue: PaperExchangeConfig;
  risk: RiskConfig;
}): Promise<{ decision: RiskDecision; equityAtEntry: number; loss: number; flat: boolean; entryPrice: number; exitPrice: number }> {
  const clock = createManualClock(T0);
  const exchange = createPaperExchange(args.venue, { clock });
  const volume = 1e30;
  exchange.onCandle(SYMBOL, T0, args.price, args.price, args.price, args.price, volume);
  clock.set(T0 + HOUR);
  const risk = createRiskEngine(args.risk, { clock });
  const equityAtEntry = exchange.equity();
  const decision = risk.evaluate({
    symbol: SYMBOL,
    side: args.side,
    price: exchange.lastPrice(SYMBOL),
    stopHint: args.stopHint,
    atr: Number.NaN,
    equity: equityAtEntry,
    currentPositionNotional: 0,
    totalOpenNotional: 0,
    openPositions: 0,
  });
  if (!decision.approved) return { decision, equityAtEntry, loss: 0, flat: true, entryPrice: Number.NaN, exitPrice: Number.NaN };
  const long = args.side === 'long';
  const entry = await exchange.createOrder({ clientOrderId: 'entry', symbol: SYMBOL, side: long ? 'buy' : 'sell', type: 'market', amount: decision.amount });
  expect(entry.status, entry.reason ?? '').toBe('filled');
  const stop = await exchange.createOrder({
    clientOrderId: 'stop',
    symbol: SYMBOL,
    side: long ? 'sell' : 'buy',
    type: 'stop',
    amount: decision.amount,
    stopPrice: decision.stopPrice,
    reduceOnly: true,
  });
  expect(stop.status, stop.reason ?? '').toBe('new');
  const beyond = decision.stopPrice * (1 - (long ? 1 : -1) * args.overshoot);
  const high = long ? Math.max(args.nextOpen, args.price) : beyond;
  const low = long ? beyond : Math.min(args.nextOpen, args.price);
  exchange.onCandle(SYMBOL, T0 + HOUR, args.nextOpen, high, low, long ? low : high, volume);
  const filledStop = await exchange.fetchOrder(stop.id, SYMBOL);
  return {
    decision,
    equityAtEntry,
    loss: equityAtEntry - exchange.walletBalance(),
    flat: exchange.positionAmountSigned(SYMBOL) === 0,
    entryPrice: entry.averagePrice,
    exitPrice: filledStop.averagePrice,
  };
}

const LIMITS: RiskConfig = {
  maxLeverage: 1,
  maxLossPctEquityPerTrade: 2,
  riskPerTradePct: 1,
  maxSymbolExposurePct: 95,
  maxOpenPositions: 1,
  atrStopMultiple: 2,
  dailyLossLimitPct: 5,
  maxDrawdownPct: 25,
};

describe('sizing with the cost rule against the PaperExchange', () => {
  const fees = { takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippageBps: 3 };

  it('loses exactly 1 % of equity when a spot long is stopped out (hand-computed)', async () => {
    // budget 1 % x 10,000 = 100; entry fill 100 x 1.0005 = 100.05, stop fill 95 x 0.9995 = 94.9525;
    // loss per unit 5.0975 + 0.001 x (100.05 + 94.9525) = 5.2925025; amount 100 / 5.2925025 = 18.89465...
    const venue = paperVenue(fees, 10_000, 'spot');
    const result = await stopOutThroughPaper({ side: 'long', price: 100, stopHint: 95, nextOpen: 99, overshoot: 0.01, venue, risk: { ...LIMITS, costs: tradingCostsOf(venue) } });
    expect(result.decision.approved && result.decision.amount).toBeCloseTo(100 / 5.2925025, 12);
    expect(result.entryPrice).toBeCloseTo(100.05, 12);
    expect(result.exitPrice).toBeCloseTo(94.9525, 12);
    expect(result.flat).toBe(true);
    expect(result.loss).toBeCloseTo(100, 9);
  });

  it('loses exactly 1 % of equity when a futures short is stopped out (hand-computed)', async () => {
    // entry fill 200 x 0.9995 = 199.9, stop fill 204 x 1.0005 = 204.102; loss per unit 4.202 + 0.404002 = 4.606002
    const venue = paperVenue(fees, 10_000);
    const result = await stopOutThroughPaper({ side: 'short', price: 200, stopHint: 204, nextOpen: 201, overshoot: 0.002, venue, risk: { ...LIMITS, costs: tradingCostsOf(venue) } });
    expect(result.decision.approved && result.decision.amount).toBeCloseTo(100 / 4.606002, 12);
    expect(result.entryPrice).toBeCloseTo(199.9, 12);
    expect(result.exitPrice).toBeCloseTo(204.102, 12);
    expect(result.loss).toBeCloseTo(100, 9);
  });

  it('overshoots the budget when sizing counts the taker fee but not spread and slippage (the defect this rule fixes)', async () => {
    // Sized for 100 / (5 + 0.001 x 195) = 19.2493 units; each really loses 5.2925025: 101.877 = 1.0188 % of equity.
    const venue = paperVenue(fees, 10_000, 'spot');
    const feeOnly = tradingCostsOf({ takerFeeBps: fees.takerFeeBps, spreadBps: 0, slippageBps: 0 });
    const result = await stopOutThroughPaper({ side: 'long', price: 100, stopHint: 95, nextOpen: 99, overshoot: 0.01, venue, risk: { ...LIMITS, costs: feeOnly } });
    expect(result.loss).toBeCloseTo((100 / 5.195) * 5.2925025, 9);
    expect(result.loss).toBeGreaterThan(101.8);
  });

  it('never loses more than riskPerTradePct of equity at the stop, and spends the whole budget when no cap binds (property)', async () => {
    const caseArb = fc.record({
      side: fc.constantFrom('long' as const, 'short' as const),
      price: fc.double({ min: 0.01, max: 100_000, noNaN: true }),
      stopFraction: fc.double({ min: 0.001, max: 0.3, noNaN: true }),
      /** Where the stop-out candle opens, between the stop (excluded) and the entry price: 1 = at the entry price. */
      openFraction: fc.double({ min: 0.01, max: 1, noNaN: true }),
      overshoot: fc.double({ min: 0, max: 0.05, noNaN: true }),
      takerFeeBps: fc.double({ min: 0, max: 30, noNaN: true }),
      makerFeeBps: fc.double({ min: -2, max: 10, noNaN: true }),
      spreadBps: fc.double({ min: 0, max: 60, noNaN: true }),
      slippageBps: fc.double({ min: 0, max: 60, noNaN: true }),
      equity: fc.double({ min: 100, max: 10_000_000, noNaN: true }),
      riskPerTradePct: fc.double({ min: 0.05, max: 3, noNaN: true }),
      lossCapSlack: fc.double({ min: 0, max: 1, noNaN: true }),
      maxLeverage: fc.double({ min: 1, max: 50, noNaN: true }),
      maxSymbolExposurePct: fc.double({ min: 100, max: 5_000, noNaN: true }),
    });
    let approved = 0;
    let uncapped = 0;
    let capped = 0;
    const numRuns = 400;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const direction = c.side === 'long' ? 1 : -1;
        const stopHint = c.price * (1 - direction * c.stopFraction);
        const venue = paperVenue({ takerFeeBps: c.takerFeeBps, makerFeeBps: c.makerFeeBps, spreadBps: c.spreadBps, slippageBps: c.slippageBps }, c.equity);
        const risk: RiskConfig = {
          ...LIMITS,
          riskPerTradePct: c.riskPerTradePct,
          maxLossPctEquityPerTrade: Math.min(100, c.riskPerTradePct * (1 + c.lossCapSlack)),
          maxLeverage: c.maxLeverage,
          maxSymbolExposurePct: c.maxSymbolExposurePct,
          costs: tradingCostsOf(venue),
        };
        const nextOpen = stopHint + c.openFraction * (c.price - stopHint);
        const result = await stopOutThroughPaper({ side: c.side, price: c.price, stopHint, nextOpen, overshoot: c.overshoot, venue, risk });
        if (!result.decision.approved) return;
        approved++;
        const budget = (c.equity * c.riskPerTradePct) / 100;
        expect(result.flat).toBe(true);
        expect(result.loss).toBeLessThanOrEqual(budget * (1 + 1e-9));
        // A cap binds when the order was shrunk to the leverage or symbol exposure limit (read from the checks).
        const atLimit = (name: string) => result.decision.checks.some((k) => k.name === name && k.value >= k.limit * (1 - 1e-9));
        if (atLimit(RiskCheckName.LeverageAfter) || atLimit(RiskCheckName.SymbolExposurePct)) {
          capped++;
          expect(result.loss).toBeGreaterThan(0);
        } else {
          uncapped++;
          expect(result.loss).toBeGreaterThanOrEqual(budget * (1 - 1e-9));
        }
      }),
      { numRuns, seed: 20261204 },
    );
    // Not vacuous: most cases trade, with and without a binding cap.
    expect(approved).toBeGreaterThan(numRuns * 0.9);
    expect(uncapped).toBeGreaterThan(numRuns / 4);
    expect(capped).toBeGreaterThan(numRuns / 20);
  });
});
