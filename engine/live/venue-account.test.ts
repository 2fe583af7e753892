import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import type { Balance, Position } from '../ports/exchange';
import { createRiskEngine, type PreTradeContext } from '../risk/risk-engine';
import { createVenueAccount } from './venue-account';

const position = (symbol: string, side: 'long' | 'short', amount: number, markPrice: number): Position => ({
  symbol, side, amount, entryPrice: 100, markPrice, unrealizedPnl: 0, realizedPnl: 0, leverage: 2, marginMode: 'cross', margin: 0, liquidationPrice: NaN, feesPaid: 0, fundingPaid: 0, openedAtMs: 0,
});

const balanceOf = (equity: number): Balance => ({ currency: 'USDT', total: equity, free: equity, used: 0, equity });

describe('venue account', () => {
  it('serves the venue balance and positions fetched at the last refresh', async () => {
    let equity = 5_000;
    const venue = {
      fetchBalance: async (): Promise<Balance> => balanceOf(equity),
      fetchOpenPositions: async () => [position('BTC/USDT', 'short', 0.5, 60_000), position('ETH/USDT', 'long', 2, 3_000)],
    };
    const account = createVenueAccount(venue);
    expect(account.equity()).toBeNaN();
    expect(account.balance()).toBeNull();
    await account.refresh();
    expect(account.equity()).toBe(5_000);
    expect(account.positionAmountSigned('BTC/USDT')).toBe(-0.5);
    expect(account.positionAmountSigned('ETH/USDT')).toBe(2);
    expect(account.positionAmountSigned('SOL/USDT')).toBe(0);
    expect(account.openPositionCount()).toBe(2);
    // 0.5 x 60,000 + 2 x 3,000 = 36,000
    expect(account.grossNotional()).toBe(36_000);
    // The VaR / ES limits' exposures: signed notionals at the mark.
    expect(account.exposures()).toEqual([
      { symbol: 'BTC/USDT', notional: -30_000 },
      { symbol: 'ETH/USDT', notional: 6_000 },
    ]);
    equity = 4_000;
    expect(account.equity()).toBe(5_000);
    await account.refresh();
    expect(account.equity()).toBe(4_000);
  });

  it('counts every position of the venue account, also of symbols no session trades, read again at each refresh', async () => {
    // A BTC long opened by hand on the venue (or by a session that has stopped); the session trades ETH/USDT only.
    let held = [position('BTC/USDT', 'long', 0.5, 60_000), position('ETH/USDT', 'short', 2, 3_000)];
    let reads = 0;
    const venue = {
      fetchBalance: async () => balanceOf(10_000),
      fetchOpenPositions: async () => {
        reads++;
        return held;
      },
    };
    const account = createVenueAccount(venue);
    await account.refresh();
    expect(account.openPositionCount()).toBe(2);
    // 0.5 x 60,000 + 2 x 3,000 = 36,000
    expect(account.grossNotional()).toBe(36_000);
    expect(account.positionAmountSigned('BTC/USDT')).toBe(0.5);
    expect(account.positionAmountSigned('ETH/USDT')).toBe(-2);
    // The BTC long is closed on the venue: the next refresh no longer counts it.
    held = [position('ETH/USDT', 'short', 2, 3_000)];
    await account.refresh();
    expect(reads).toBe(2);
    expect(account.openPositionCount()).toBe(1);
    expect(account.grossNotional()).toBe(6_000);
    expect(account.positionAmountSigned('BTC/USDT')).toBe(0);
  });

  it('a hedge-mode pair of one symbol counts as one open position, nets its amount and adds both notionals', async () => {
    const account = createVenueAccount({
      fetchBalance: async () => balanceOf(10_000),
      fetchOpenPositions: async () => [position('BTC/USDT', 'long', 0.5, 60_000), position('BTC/USDT', 'short', 0.2, 60_000), position('ETH/USDT', 'long', 0, 3_000)],
    });
    await account.refresh();
    expect(account.openPositionCount()).toBe(1);
    expect(account.positionAmountSigned('BTC/USDT')).toBeCloseTo(0.3, 12);
    // (0.5 + 0.2) x 60,000; the zero ETH row counts nothing
    expect(account.grossNotional()).toBeCloseTo(42_000, 8);
  });

  it("the ETH session's pre-trade check is denied by the BTC position it does not trade", async () => {
    // Equity 10,000, max leverage 3 (30,000 of gross notional), at most 2 open positions; no trading costs.
    const risk = createRiskEngine(
      { accountId: 'venue', maxLeverage: 3, maxLossPctEquityPerTrade: 1, riskPerTradePct: 0.5, maxSymbolExposurePct: 100, maxOpenPositions: 2, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 10 },
      { clock: createManualClock(Date.UTC(2024, 0, 1)) },
    );
    /** The context the trading loop builds for an ETH/USDT short entry at 3,000 (ATR 50) from the account view. */
    const entryOn = async (held: Position[]): Promise<PreTradeContext> => {
      const account = createVenueAccount({ fetchBalance: async () => balanceOf(10_000), fetchOpenPositions: async () => held });
      await account.refresh();
      const price = 3_000;
      return {
        symbol: 'ETH/USDT',
        side: 'short',
        price,
        stopHint: NaN,
        atr: 50,
        equity: account.equity(),
        currentPositionNotional: account.positionAmountSigned('ETH/USDT') * price,
        totalOpenNotional: account.grossNotional(),
        openPositions: account.openPositionCount(),
      };
    };
    const eth = position('ETH/USDT', 'short', 2, 3_000);
    const btc = position('BTC/USDT', 'long', 0.5, 60_000);

    // Without the BTC position: stop 3,000 + 2 x 50 = 3,100, risk 0.5 % of 10,000 = 50 over 100 a unit: 0.5 ETH (1,500).
    const alone = risk.evaluate(await entryOn([eth]));
    expect(alone.approved).toBe(true);
    expect(alone.approved && [alone.amount, alone.stopPrice]).toEqual([0.5, 3_100]);
    // (6,000 + 1,500) / 10,000
    expect(alone.checks.find((c) => c.name === 'leverage_after')?.value).toBe(0.75);

    // With it: 36,000 of gross notional already exceeds 3 x 10,000, so no leverage is left for the order.
    const ctx = await entryOn([btc, eth]);
    expect([ctx.totalOpenNotional, ctx.openPositions, ctx.currentPositionNotional]).toEqual([36_000, 2, -6_000]);
    const decision = risk.evaluate(ctx);
    expect(decision.approved).toBe(false);
    if (decision.approved) return;
    // (36,000 + 0.5 x 3,000) / 10,000 = 3.75
    expect(decision.reason).toBe('leverage_after 3.75 exceeds maxLeverage 3');
    expect(decision.sizedAmount).toBe(0.5);
    expect(decision.checks.map((c) => [c.name, c.value, c.limit, c.passed])).toEqual([
      ['leverage_after', 3.75, 3, false],
      // 0.5 x 100 / 10,000
      ['est_loss_pct_equity', 0.5, 1, true],
      // |-6,000 - 1,500| / 10,000
      ['symbol_exposure_pct', 75, 100, true],
      // adds to the ETH short: no new position, 2 of 2
      ['open_positions', 2, 2, true],
    ]);
  });

  it("the ETH session's first position is denied by maxOpenPositions because of the BTC position it does not trade", async () => {
    const risk = createRiskEngine(
      { accountId: 'venue', maxLeverage: 5, maxLossPctEquityPerTrade: 1, riskPerTradePct: 0.5, maxSymbolExposurePct: 100, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 10 },
      { clock: createManualClock(Date.UTC(2024, 0, 1)) },
    );
    const entryOn = async (held: Position[]): Promise<PreTradeContext> => {
      const account = createVenueAccount({ fetchBalance: async () => balanceOf(10_000), fetchOpenPositions: async () => held });
      await account.refresh();
      return { symbol: 'ETH/USDT', side: 'long', price: 3_000, stopHint: NaN, atr: 50, equity: account.equity(), currentPositionNotional: account.positionAmountSigned('ETH/USDT') * 3_000, totalOpenNotional: account.grossNotional(), openPositions: account.openPositionCount() };
    };
    // Flat: a first position of 0.5 ETH (stop 2,900) is approved.
    const flat = risk.evaluate(await entryOn([]));
    expect(flat.approved && flat.amount).toBe(0.5);
    const decision = risk.evaluate(await entryOn([position('BTC/USDT', 'long', 0.5, 60_000)]));
    expect(decision.approved).toBe(false);
    if (decision.approved) return;
    expect(decision.reason).toBe('open_positions 2 exceeds maxOpenPositions 1');
    expect(decision.checks.map((c) => [c.name, c.value, c.limit, c.passed])).toEqual([
      // (30,000 + 1,500) / 10,000
      ['leverage_after', 3.15, 5, true],
      ['est_loss_pct_equity', 0.5, 1, true],
      ['symbol_exposure_pct', 15, 100, true],
      ['open_positions', 2, 1, false],
    ]);
  });
});
