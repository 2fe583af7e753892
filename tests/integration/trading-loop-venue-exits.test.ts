/**
 * Exits on a real venue: the trading loop with an exit policy, trading Binance USDⓈ-M through the ccxt
 * adapter (ccxt unmodified) on the loopback Binance replay server. At entry the loop sends the protective
 * stop and the take-profit as reduce-only orders (a STOP_MARKET algo order and a LIMIT order); the
 * trailing stop is the stop cancelled and replaced with a client id of its candle; the strategy's exit
 * instruction cancels both and closes with a reduce-only MARKET order; the close is journaled from the
 * venue's fills with its reason and initial risk.
 *
 * Hand-made candles (not market data) around 42 000 with a 40-wide range (ATR 40); the scripted strategy
 * goes long on row 15's close with a stop hint 200 below. Risk: a 21 % exposure cap of the 10 000 USDT
 * wallet binds (2 100 / 42 000 = 0.05 BTC) before the 1 % risk budget (100 / 200 = 0.5 BTC).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../engine/core/clock';
import type { Logger } from '../../engine/core/logger';
import { candleColumnsFromRows, type Candle } from '../../engine/core/types';
import { createCcxtExchange, type CcxtExchange } from '../../engine/execution/ccxt-exchange';
import { createVenueAccount, type VenueAccount } from '../../engine/live/venue-account';
import { createTradingLoop, type TradingLoop } from '../../engine/loop/trading-loop';
import type { TradeRecord } from '../../engine/ports/journal';
import type { JournalWriter } from '../../engine/ports/journal-writer';
import { createRiskEngine } from '../../engine/risk/risk-engine';
import { ExitPolicySchema } from '../../engine/strategies/exit-policy';
import { Direction, setFlat, type StrategyAdapter } from '../../engine/strategies/strategy-adapter';
import { startBinanceReplayServer, type BinanceReplayServer } from '../support/binance-replay-server';

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const ENTRY_ROW = 15;
const EXIT_ROW = 17;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Rows 0-15 at 42 000 (high + 20, low − 20); row 16 rises to a high of 42 100 and closes 42 080; row 17 closes at `close17`. */
function candles(close17: number) {
  const rows: Candle[] = Array.from({ length: ENTRY_ROW + 1 }, (_, i) => ({ openTimeMs: T0 + i * TF, open: 42_000, high: 42_020, low: 41_980, close: 42_000, volume: 100 }));
  rows.push({ openTimeMs: T0 + 16 * TF, open: 42_000, high: 42_100, low: 42_000, close: 42_080, volume: 100 });
  rows.push({ openTimeMs: T0 + 17 * TF, open: 42_080, high: 42_090, low: 42_040, close: close17, volume: 100 });
  return candleColumnsFromRows(rows);
}

/** Long on ENTRY_ROW with a stop hint 200 below the close; asks to close the long on EXIT_ROW. */
const scripted: StrategyAdapter = {
  name: 'scripted',
  config: {},
  features: {},
  warmup: 0,
  evaluate(f, i, out) {
    setFlat(out, 'no signal');
    if (i === EXIT_ROW) out.exit = Direction.Long;
    if (i !== ENTRY_ROW) return;
    out.side = Direction.Long;
    out.strength = 1;
    out.stopHint = f.close[i] - 200;
    out.reason = 'scripted';
  },
};

describe('trading loop exits on a ccxt venue (Binance USDⓈ-M replay)', () => {
  let server: BinanceReplayServer;
  let exchange: CcxtExchange;

  beforeEach(async () => {
    server = await startBinanceReplayServer({ nowMs: T0 + 20 * TF });
    server.setPrice('BTCUSDT', 42_000);
  });
  afterEach(async () => {
    await exchange?.close();
    await server.close();
  });

  /** Runs the 18 candles, the venue's price at each close; returns the order requests and the journaled trades. */
  async function run(close17: number) {
    const clock = createManualClock(T0);
    exchange = createCcxtExchange(
      { exchangeId: 'binanceusdm', apiKey: 'replay-api-key', secret: 'replay-secret-value', urls: server.urls, marketType: 'futures', retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } },
      { clock, logger: silent, sleep: async () => {}, random: () => 0.5 },
    );
    const account: VenueAccount = createVenueAccount(exchange);
    const trades: TradeRecord[] = [];
    const writer: JournalWriter = {
      recordTrade: (t) => void trades.push(t),
      recordDecision: () => {},
      pending: () => 0,
      flush: async () => {},
      status: () => ({ failing: false, lastError: null, refusedRows: 0, pending: 0 }),
    };
    let ids = 0;
    const loop: TradingLoop = createTradingLoop(
      {
        market: { exchange: 'binanceusdm', symbol: 'BTC/USDT', timeframe: '1m' },
        runId: null,
        clientIdPrefix: 's1',
        strategies: [scripted],
        fusion: { weights: { scripted: 1 }, ttlMs: TF },
        decisionDetail: 'signals',
        allowShort: true,
        capacityHint: 32,
        // Half at 1 R; the stop trails 0.1 % under the best high.
        exits: ExitPolicySchema.parse({ takeProfit: [{ r: 1, fraction: 0.5 }], trailingStop: { percent: 0.1 } }),
      },
      {
        clock,
        exchange,
        account,
        simulator: null,
        risk: createRiskEngine({ maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 1, maxSymbolExposurePct: 21, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 50, maxDrawdownPct: 90, accountId: 's1' }, { clock }),
        journal: writer,
        veto: null,
        newId: () => `t${++ids}`,
      },
    );
    const columns = candles(close17);
    const orderRequests = () => server.requests.filter((r) => r.method !== 'GET' && (r.path === '/fapi/v1/order' || r.path === '/fapi/v1/algoOrder'));
    for (let row = 0; row < columns.length; row++) {
      server.setPrice('BTCUSDT', columns.close[row]);
      clock.set(columns.openTimeMs[row] + TF + 500);
      await account.refresh();
      await loop.onCandle(columns, row);
      if (row === ENTRY_ROW) {
        // Entry 0.05 at 42 000; stop 42 000 − 200 = 41 800 (R = 200); take-profit 0.025 (half) at 42 000 + 200 = 42 200.
        expect(orderRequests().map((r) => [r.method, r.path, r.params.type, r.params.side, r.params.quantity, r.params.price ?? r.params.triggerPrice ?? null, r.params.reduceOnly ?? null])).toEqual([
          ['POST', '/fapi/v1/order', 'MARKET', 'BUY', '0.05', null, null],
          ['POST', '/fapi/v1/algoOrder', 'STOP_MARKET', 'SELL', '0.05', '41800', 'true'],
          ['POST', '/fapi/v1/order', 'LIMIT', 'SELL', '0.025', '42200', 'true'],
        ]);
      }
    }
    return { requests: orderRequests(), trades };
  }

  it('sends the stop and the take-profit reduce-only, trails the stop by cancel and replace, and closes on the exit signal', async () => {
    const { requests, trades } = await run(42_070);
    // Row 16: best high 42 100 → trailing level 42 100 − 42 100 × 0.1 % = 42 057.9: the stop is cancelled and
    // replaced under the candle's client id. Row 17 closes at 42 070 (above the stop): the exit instruction
    // cancels the stop and the take-profit and closes 0.05 with a reduce-only market order.
    expect(requests.slice(3).map((r) => [r.method, r.path, r.params.type ?? null, r.params.side ?? null, r.params.quantity ?? null, r.params.triggerPrice ?? null, r.params.reduceOnly ?? null])).toEqual([
      ['DELETE', '/fapi/v1/algoOrder', null, null, null, null, null],
      ['POST', '/fapi/v1/algoOrder', 'STOP_MARKET', 'SELL', '0.05', '42057.9', 'true'],
      ['DELETE', '/fapi/v1/algoOrder', null, null, null, null, null],
      ['DELETE', '/fapi/v1/order', null, null, null, null, null],
      ['POST', '/fapi/v1/order', 'MARKET', 'SELL', '0.05', null, 'true'],
    ]);
    expect(requests[4].params.clientAlgoId).toBe(`s1-trail-${T0 + 17 * TF}`);
    expect(server.orders.filter((o) => o.status === 'NEW')).toEqual([]);
    // Journaled from the venue's fills: gross (42 070 − 42 000) × 0.05 = 3.5; fees 0.05 % of 2 100 + 0.05 % of 2 103.5
    // = 1.05 + 1.05175; initial risk 200 × 0.05 = 10.
    expect(trades.map((t) => [t.side, t.amount, t.entryPrice, t.exitPrice, t.exitReason])).toEqual([['long', 0.05, 42_000, 42_070, 'exit-signal']]);
    expect(trades[0].realizedPnl).toBeCloseTo(3.5, 9);
    expect(trades[0].fees).toBeCloseTo(2.10175, 9);
    expect(trades[0].initialRisk).toBeCloseTo(10, 9);
  });

  it('journals the moved stop that the venue filled as trailing-stop and cancels the take-profit left over', async () => {
    // The price falls to 42 050 after row 17: the venue triggers the stop at 42 057.9 and fills it at 42 050.
    const { requests, trades } = await run(42_050);
    expect(requests.slice(5).map((r) => [r.method, r.path])).toEqual([['DELETE', '/fapi/v1/order']]);
    expect(server.orders.filter((o) => o.status === 'NEW')).toEqual([]);
    // Gross (42 050 − 42 000) × 0.05 = 2.5; fees 1.05 + 0.05 % of 2 102.5 = 1.05125.
    expect(trades.map((t) => [t.amount, t.exitPrice, t.exitReason])).toEqual([[0.05, 42_050, 'trailing-stop']]);
    expect(trades[0].realizedPnl).toBeCloseTo(2.5, 9);
    expect(trades[0].fees).toBeCloseTo(2.10125, 9);
    expect(trades[0].initialRisk).toBeCloseTo(10, 9);
  });
});
