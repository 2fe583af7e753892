/**
 * The trading loop reports orders, denials, venue closes and halt changes through EngineEvents,
 * once per event and never per quiet candle. Counts are checked against an independent spy on the
 * exchange and against the loop's own stats.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../engine/core/clock';
import type { CandleColumns } from '../../engine/core/types';
import { createPaperExchange } from '../../engine/execution/paper-exchange';
import type { Exchange, Order } from '../../engine/ports/exchange';
import { createTradingLoop, type ClosedTrade } from '../../engine/loop/trading-loop';
import { createRiskEngine } from '../../engine/risk/risk-engine';
import { tradingCostsOf } from '../../engine/risk/trading-costs';
import { createBuiltInCatalog } from '../../engine/strategies/built-in-strategies';
import type { EngineEvents } from '../../engine/ports/events';
import { toColumns } from '../../engine/testing/in-memory-repositories';

const T0 = Date.UTC(2024, 0, 1);
const FIVE_MIN = 300_000;

/**
 * Two overlaid waves with a slow decline, so adapters fire both ways and equity eventually draws
 * down; every 50th candle has 8 % wicks both ways, which trigger the stops of open positions.
 */
function waves(n: number): CandleColumns {
  const rows = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 * (1 + 0.08 * Math.sin(i / 40) + 0.03 * Math.sin(i / 7) - 0.0002 * i);
    const wick = i % 50 === 25 ? 0.08 : 0.001;
    rows.push({ openTimeMs: T0 + i * FIVE_MIN, open: prev, high: Math.max(prev, close) * (1 + wick), low: Math.min(prev, close) * (1 - wick), close, volume: 1_000 });
    prev = close;
  }
  return toColumns(rows);
}

async function drive(limits: { maxDrawdownPct?: number; dailyLossLimitPct?: number } = {}) {
  const { maxDrawdownPct = 95, dailyLossLimitPct = 90 } = limits;
  const clock = createManualClock(T0);
  let onClosed: (t: ClosedTrade) => void = () => undefined;
  const paperConfig = { marketType: 'futures', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 2, slippageBps: 1, maxVolumeShare: 1, leverage: 3 } as const;
  const paper = createPaperExchange(paperConfig, { clock, listener: { onTradeClosed: (t) => onClosed(t) } });
  const sentOrders: Order[] = [];
  const spy: Exchange = {
    ...paper,
    async createOrder(request) {
      const order = await paper.createOrder(request);
      sentOrders.push(order);
      return order;
    },
    cancelOrder: (id, symbol) => paper.cancelOrder(id, symbol),
  };
  const risk = createRiskEngine(
    { maxLeverage: 3, maxSymbolExposurePct: 150, riskPerTradePct: 2, maxLossPctEquityPerTrade: 3, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct, maxDrawdownPct, costs: tradingCostsOf(paperConfig) },
    { clock },
  );
  const log: string[] = [];
  const reported: Order[] = [];
  let venueCloses = 0;
  const events: EngineEvents = {
    onOrder: (order, purpose) => {
      reported.push(order);
      log.push(`order ${purpose}`);
    },
    onVenueClose: () => void venueCloses++,
    onDenied: (_symbol, code) => void log.push(`denied ${code}`),
    onAccount: () => void log.push('account'),
    onBreaker: (name, tripped, reason) => void log.push(`breaker ${name} ${tripped} ${reason}`),
    onHalt: () => void log.push('halt'),
    onJobEnd: () => void log.push('job'),
  };
  const loop = createTradingLoop(
    {
      market: { exchange: 'test', symbol: 'W/USDT', timeframe: '5m' },
      runId: null,
      strategies: [createBuiltInCatalog().create('ma-crossover', { fastPeriod: 3, slowPeriod: 8 }), createBuiltInCatalog().create('donchian-breakout', { period: 5 })],
      fusion: { weights: { 'ma-crossover': 1, 'donchian-breakout': 1 }, entryThreshold: 0.25, ttlMs: FIVE_MIN },
      decisionDetail: 'off',
      allowShort: true,
      capacityHint: 1_500,
    },
    { clock, exchange: spy, account: paper, simulator: paper, risk, journal: null, veto: null, newId: () => 'x', events },
  );
  const closes: ClosedTrade[] = [];
  onClosed = (t) => {
    closes.push(t);
    loop.onTradeClosed(t);
  };
  const candles = waves(1_500);
  for (let i = 0; i < candles.length; i++) {
    clock.set(candles.openTimeMs[i] + FIVE_MIN);
    const pending = loop.onCandle(candles, i);
    if (pending) await pending;
  }
  return { loop, risk, log, reported, sentOrders, venueCloses, closes };
}

describe('trading loop events', () => {
  it('reports every order the exchange answered, exactly once and as the same object', async () => {
    const { reported, sentOrders } = await drive();
    expect(sentOrders.length).toBeGreaterThan(10);
    expect(reported).toEqual(sentOrders);
    expect(reported.every((order, i) => order === sentOrders[i])).toBe(true);
  });

  it('reports one venue close per stop or liquidation and no breaker while none trips', async () => {
    const { log, venueCloses, closes } = await drive();
    expect(venueCloses).toBeGreaterThan(0);
    expect(venueCloses).toBe(closes.filter((t) => t.exitReason === 'stop' || t.exitReason === 'liquidation').length);
    expect(log.some((l) => l.startsWith('breaker'))).toBe(false);
  });

  it('reports daily-loss trips and their next-day clears alternately, and one denial per denied or rejected order', async () => {
    const { loop, log } = await drive({ dailyLossLimitPct: 1 });
    const stats = loop.stats();
    const breakers = log.filter((l) => l.startsWith('breaker'));
    expect(breakers.length).toBeGreaterThan(1);
    breakers.forEach((line, i) => {
      if (i % 2 === 0) expect(line).toMatch(/^breaker daily_loss true daily_loss: equity /);
      else expect(line).toBe('breaker daily_loss false resumed');
    });
    expect(stats.denied + stats.rejected).toBeGreaterThan(0);
    expect(log.filter((l) => l.startsWith('denied')).length).toBe(stats.denied + stats.rejected);
  });

  it('reports a drawdown breaker trip once, with the halt reason, then counts signals as halted denials', async () => {
    const { risk, log, loop } = await drive({ maxDrawdownPct: 2 });
    expect(risk.isHalted()).toBe(true);
    const trips = log.filter((l) => l.startsWith('breaker'));
    expect(trips).toEqual([`breaker max_drawdown true ${risk.state().haltReason}`]);
    const afterTrip = log.slice(log.indexOf(trips[0]) + 1);
    expect(afterTrip.length).toBeGreaterThan(0);
    expect(afterTrip.every((l) => l === 'denied halted' || l.startsWith('order exit') || l === 'account')).toBe(true);
    expect(log.filter((l) => l === 'denied halted').length).toBeGreaterThan(0);
    expect(log.filter((l) => l.startsWith('denied')).length).toBe(loop.stats().denied + loop.stats().rejected);
  });
});
