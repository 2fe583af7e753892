import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock';
import { silentLogger } from '../core/clock';
import type { Candle } from '../core/types';
import { createPaperExchange } from '../execution/paper-exchange';
import type { Exchange, OrderRequest } from '../ports/exchange';
import { createRiskEngine } from '../risk/risk-engine';
import { createInMemoryRiskStateRepository } from '../testing/in-memory-repositories';
import { createLiveSession } from './live-session';
import type { LiveCheckpoint } from '../ports/live-sessions';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
/** Flat closes (the MA crossover never fires) with a 0.2 % range, so ATR gives the risk gate a stop. */
const CANDLES: Candle[] = Array.from({ length: 400 }, (_, i) => ({ openTimeMs: T0 + i * TF, open: 100, high: 100.1, low: 99.9, close: 100, volume: 1_000 }));

function session(acceptExternalSignals: boolean) {
  const clock = createManualClock(T0 + 300 * TF + 1_000);
  const paper = createPaperExchange(
    { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 10, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1 },
    { clock },
  );
  const orders: OrderRequest[] = [];
  const exchange: Exchange = { ...paper, createOrder: (r) => (orders.push(r), paper.createOrder(r)), cancelOrder: (id, s) => paper.cancelOrder(id, s) };
  const saved: LiveCheckpoint[] = [];
  const live = createLiveSession(
    {
      id: 'live-ext',
      market: { exchange: 'test', symbol: 'BTC/USDT', timeframe: '5m' },
      strategies: [{ name: 'ma-crossover', params: { fastPeriod: 5, slowPeriod: 20 } }],
      fusion: { weights: { 'ma-crossover': 1, external: 1 }, ttlMs: TF },
      decisionDetail: 'off',
      allowShort: false,
      warmupCandles: 100,
      pollIntervalMs: 60_000,
      acceptExternalSignals,
    },
    {
      clock,
      logger: silentLogger,
      feed: { fetchOhlcv: async (_s, _t, since = 0, limit = 500) => CANDLES.filter((c) => c.openTimeMs >= since && c.openTimeMs <= clock.nowMs()).slice(0, limit) },
      exchange,
      account: paper,
      simulator: paper,
      risk: createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 90, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90 }, { clock }),
      riskState: createInMemoryRiskStateRepository(),
      checkpoints: { load: async () => null, save: async (c) => void saved.push(c) },
      journal: null,
      veto: null,
      newId: () => 'id',
      sleep: async (ms) => {
        clock.advance(Math.max(ms, 1));
        if (clock.nowMs() >= T0 + 303 * TF) queueMicrotask(() => void live.stop());
      },
      random: () => 1,
    },
  );
  return { live, orders, paper };
}

describe('an outside alert in a live session', () => {
  it('enters through fusion and the risk gate at the next candle close, sized by risk', async () => {
    const { live, orders, paper } = session(true);
    await live.start();
    expect(live.pushExternalSignal({ side: 'long', strength: 1, stopHint: NaN })).toBe(true);
    await live.done();
    // Fusion: (1 x 1 + 1 x 0) / 2 = 0.5 >= the 0.5 entry threshold. Risk sizes from ATR: stop 2 x 0.2 = 0.4 below 100,
    // 1 % of 10,000 = 100 at risk -> 250 units, capped by the 90 % exposure cap at 9,000 / 100 = 90 (less fees).
    const entry = orders.find((o) => o.clientOrderId.startsWith('live-ext-entry-'));
    expect(entry).toMatchObject({ side: 'buy', type: 'market' });
    expect(entry!.amount).toBeGreaterThan(89);
    expect(entry!.amount).toBeLessThanOrEqual(90);
    expect(paper.positionAmountSigned('BTC/USDT')).toBeCloseTo(entry!.amount, 9);
    expect(orders.some((o) => o.type === 'stop' && o.reduceOnly)).toBe(true);
  });

  it('is refused by a session that takes no outside alerts, and nothing is ordered', async () => {
    const { live, orders } = session(false);
    await live.start();
    expect(live.pushExternalSignal({ side: 'long', strength: 1, stopHint: NaN })).toBe(false);
    await live.done();
    expect(orders).toEqual([]);
  });
});
