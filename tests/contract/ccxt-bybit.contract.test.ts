/**
 * The Exchange contract against CcxtExchange on Bybit linear perpetuals (unmodified ccxt 4.5, class
 * `bybit`, unified account) on the loopback Bybit v5 replay server, plus what is Bybit's own: client ids
 * re-encoded to `orderLinkId`, leverage and account-wide margin mode, reduce-only exits, conditional stops,
 * fees in `cumFeeDetail`, funding, candles, and the failure classes of Bybit's retCodes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../engine/core/logger';
import { ExchangeError, FailureClass, ValidationError } from '../../engine/core/errors';
import { createCcxtExchange, type CcxtExchange, type CcxtExchangeConfig } from '../../engine/execution/ccxt-exchange';
import { startBybitReplayServer, type BybitReplayServer } from '../support/bybit-replay-server';
import { runExchangeContract } from './exchange-contract';

const NOW = Date.UTC(2024, 0, 2);
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function build(server: BybitReplayServer, overrides: Partial<CcxtExchangeConfig> = {}, sleeps: number[] = []): CcxtExchange {
  return createCcxtExchange(
    {
      exchangeId: 'bybit',
      apiKey: 'replay-api-key',
      secret: 'replay-secret-value',
      urls: server.urls,
      marketType: 'futures',
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
      ...overrides,
    },
    { clock: { nowMs: () => NOW }, logger: silent, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  );
}

runExchangeContract(
  'CcxtExchange on the Bybit replay server',
  async () => {
    const server = await startBybitReplayServer({ nowMs: NOW });
    const exchange = build(server);
    return {
      exchange,
      symbol: 'BTC/USDT',
      smallAmount: 0.004,
      restingBuyPrice: 30_000,
      hugeAmount: 100,
      candles: { timeframe: '5m', sinceMs: Date.UTC(2024, 0, 1) },
      close: async () => {
        await exchange.close();
        await server.close();
      },
    };
  },
  ['futures'],
);

describe('CcxtExchange on the Bybit replay server', () => {
  let server: BybitReplayServer;
  let sleeps: number[];
  let bybit: CcxtExchange;
  const sent = (path: string) => server.requests.filter((r) => r.method === 'POST' && r.path === path).map((r) => r.params);

  beforeEach(async () => {
    server = await startBybitReplayServer({ nowMs: NOW });
    sleeps = [];
    bybit = build(server, {}, sleeps);
  });
  afterEach(async () => {
    await bybit.close();
    await server.close();
  });

  it('fills a market buy with the taker fee read from the order and the wallet', async () => {
    const order = await bybit.createOrder({ clientOrderId: 'bybit-1', symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', amount: 0.0109 });
    // qty step 0.001 truncates 0.0109 to 0.010
    expect(sent('/v5/order/create')).toEqual([{ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', orderLinkId: 'bybit-1', qty: '0.01' }]);
    expect(order).toMatchObject({ clientOrderId: 'bybit-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled', amount: 0.01, filled: 0.01, averagePrice: 42_000, reduceOnly: false, reason: null });
    // 0.01 x 42 000 x 0.055 %
    expect(order.fee).toBeCloseTo(0.231, 10);
    const balance = await bybit.fetchBalance();
    // wallet 10 000 - 0.231; used = initial margin 0.01 x 42 000 / 10 (default leverage)
    expect(balance.currency).toBe('USDT');
    expect(balance.total).toBeCloseTo(9_999.769, 8);
    expect(balance.used).toBeCloseTo(42, 8);
    expect(balance.free).toBeCloseTo(9_957.769, 8);
    expect(balance.equity).toBeCloseTo(9_999.769, 8);
    // equity follows the unrealised PnL: 0.01 x (42 500 - 42 000) = 5
    server.setPrice('BTCUSDT', 42_500);
    expect((await bybit.fetchBalance()).equity).toBeCloseTo(10_004.769, 8);
  });

  it('sends a client id outside Bybit\'s charset as a reversible orderLinkId and reports the engine id back, also after a restart', async () => {
    const order = await bybit.createOrder({ clientOrderId: 'live:usdm-entry-1704067500000', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.01, price: 30_000 });
    expect(sent('/v5/order/create')[0].orderLinkId).toBe('live_cusdm-entry-1704067500000');
    expect(order.clientOrderId).toBe('live:usdm-entry-1704067500000');
    const restarted = build(server);
    const snapshot = await restarted.reconcile(['BTC/USDT']);
    expect(snapshot.openOrders.map((o) => [o.id, o.clientOrderId, o.status, o.price])).toEqual([[order.id, 'live:usdm-entry-1704067500000', 'new', 30_000]]);
    // the restarted session replays the candle: Bybit refuses the duplicate orderLinkId and the existing order is returned
    const again = await restarted.createOrder({ clientOrderId: 'live:usdm-entry-1704067500000', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.01, price: 30_000 });
    expect([again.id, again.clientOrderId, again.status]).toEqual([order.id, 'live:usdm-entry-1704067500000', 'new']);
    expect(server.orders.filter((o) => o.orderLinkId === 'live_cusdm-entry-1704067500000')).toHaveLength(1);
    await restarted.close();
  });

  it('hashes a client id whose escaped form is longer than 36 characters, the same way every time', async () => {
    // 36 characters with three escapes = 39: first 26 characters with punctuation as "-", "_x", FNV-1a 32 of the id
    const clientOrderId = 'sess.v2/BTC:USDT-entry-1704067500000';
    const first = await bybit.createOrder({ clientOrderId, symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.001 });
    expect(sent('/v5/order/create')[0].orderLinkId).toBe('sess-v2-BTC-USDT-entry-170_x001c4409');
    expect(first.clientOrderId).toBe(clientOrderId);
    const restarted = build(server);
    const again = await restarted.createOrder({ clientOrderId, symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.001 });
    expect(again.id).toBe(first.id);
    expect(server.orders).toHaveLength(1);
    await restarted.close();
  });

  it('sets leverage and the account margin mode, treats an unchanged leverage as set, and reports them on the position', async () => {
    await bybit.setMarginMode('BTC/USDT', 'isolated');
    await bybit.setLeverage('BTC/USDT', 5);
    await bybit.setLeverage('BTC/USDT', 5);
    expect(sent('/v5/account/set-margin-mode')).toEqual([{ setMarginMode: 'ISOLATED_MARGIN' }]);
    expect(sent('/v5/position/set-leverage')).toEqual([
      { symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5', category: 'linear' },
      { symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5', category: 'linear' },
    ]);
    await bybit.createOrder({ clientOrderId: 'lev-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.01 });
    const p = await bybit.fetchPosition('BTC/USDT');
    expect([p?.symbol, p?.side, p?.amount, p?.entryPrice, p?.leverage, p?.marginMode]).toEqual(['BTC/USDT', 'long', 0.01, 42_000, 5, 'isolated']);
    // 0.01 x 42 000 / 5
    expect(p?.margin).toBeCloseTo(84, 8);
  });

  it('lists every open position of the account in one position/list call by settle coin (Bybit takes one symbol per call)', async () => {
    expect(await bybit.fetchOpenPositions()).toEqual([]);
    await bybit.createOrder({ clientOrderId: 'all-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.01 });
    await bybit.createOrder({ clientOrderId: 'all-2', symbol: 'ETH/USDT', side: 'sell', type: 'market', amount: 0.2 });
    const before = server.requests.filter((r) => r.path === '/v5/position/list').length;
    const positions = (await bybit.fetchOpenPositions()).sort((a, b) => a.symbol.localeCompare(b.symbol));
    expect(positions.map((p) => [p.symbol, p.side, p.amount, p.entryPrice])).toEqual([
      ['BTC/USDT', 'long', 0.01, 42_000],
      ['ETH/USDT', 'short', 0.2, 2_500],
    ]);
    const asked = server.requests.filter((r) => r.path === '/v5/position/list').slice(before);
    expect(asked.map((r) => [r.params.symbol, r.params.settleCoin, r.params.category])).toEqual([[undefined, 'USDT', 'linear']]);
    expect(await bybit.fetchPosition('ETH/USDT')).toEqual(positions[1]);
  });

  it("refuses leverage above the first risk tier's maximum before sending anything", async () => {
    const err = (await bybit.setLeverage('BTC/USDT', 101).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('field "leverage" was 101: bybit allows at most 100x on BTC/USDT:USDT');
    expect(server.hits('/v5/position/set-leverage')).toBe(0);
    expect(server.hits('/v5/market/risk-limit')).toBe(1);
  });

  it('applies the configured leverage and margin mode once before the first order of a symbol', async () => {
    const configured = build(server, { defaultLeverage: 3, marginMode: 'cross' });
    await configured.createOrder({ clientOrderId: 'cfg-1', symbol: 'ETH/USDT', side: 'buy', type: 'market', amount: 0.1 });
    await configured.createOrder({ clientOrderId: 'cfg-2', symbol: 'ETH/USDT', side: 'buy', type: 'market', amount: 0.1 });
    expect(sent('/v5/position/set-leverage').map((p) => [p.symbol, p.buyLeverage])).toEqual([['ETHUSDT', '3']]);
    expect(sent('/v5/account/set-margin-mode')).toEqual([{ setMarginMode: 'REGULAR_MARGIN' }]);
    const position = await configured.fetchPosition('ETH/USDT');
    // 0.2 ETH at 2 500, 3x: margin 166.666…
    expect([position?.amount, position?.leverage, position?.marginMode]).toEqual([0.2, 3, 'cross']);
    expect(position?.margin).toBeCloseTo(500 / 3, 8);
    await configured.close();
  });

  it('closes a long with a reduce-only market sell and refuses a reduce-only order with nothing to reduce', async () => {
    await bybit.createOrder({ clientOrderId: 'entry-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.01 });
    server.setPrice('BTCUSDT', 43_000);
    const exit = await bybit.createOrder({ clientOrderId: 'exit-1', symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: 0.01, reduceOnly: true });
    expect(sent('/v5/order/create')[1]).toMatchObject({ side: 'Sell', orderType: 'Market', qty: '0.01', reduceOnly: 'true', orderLinkId: 'exit-1' });
    expect([exit.status, exit.filled, exit.averagePrice, exit.reduceOnly]).toEqual(['filled', 0.01, 43_000, true]);
    // 0.01 x 43 000 x 0.055 %
    expect(exit.fee).toBeCloseTo(0.2365, 10);
    expect(await bybit.fetchPosition('BTC/USDT')).toBeNull();
    // 10 000 - 0.231 + 0.01 x (43 000 - 42 000) - 0.2365
    expect((await bybit.fetchBalance()).total).toBeCloseTo(10_009.5325, 8);
    const nothing = await bybit.createOrder({ clientOrderId: 'exit-2', symbol: 'BTC/USDT', side: 'sell', type: 'market', amount: 0.01, reduceOnly: true });
    expect(nothing.status).toBe('rejected');
    expect(nothing.reason).toMatch(/110017.*Reduce-only rule not satisfied/);
  });

  it('places a stop as a falling conditional order that fills under its own id when the price reaches it', async () => {
    await bybit.createOrder({ clientOrderId: 'stop-entry', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.01 });
    const stop = await bybit.createOrder({ clientOrderId: 'stop-1', symbol: 'BTC/USDT', side: 'sell', type: 'stop', amount: 0.01, stopPrice: 41_000.04, reduceOnly: true });
    expect(sent('/v5/order/create')[1]).toMatchObject({ side: 'Sell', orderType: 'Market', qty: '0.01', triggerPrice: '41000', triggerDirection: '2', reduceOnly: 'true' });
    expect([stop.type, stop.status, stop.stopPrice, stop.filled, stop.clientOrderId]).toEqual(['stop', 'new', 41_000, 0, 'stop-1']);
    server.setPrice('BTCUSDT', 40_800);
    const fired = await bybit.fetchOrder(stop.id, 'BTC/USDT');
    expect([fired.id, fired.type, fired.status, fired.filled, fired.averagePrice, fired.stopPrice]).toEqual([stop.id, 'stop', 'filled', 0.01, 40_800, 41_000]);
    // 0.01 x 40 800 x 0.055 %
    expect(fired.fee).toBeCloseTo(0.2244, 10);
    expect(await bybit.fetchPosition('BTC/USDT')).toBeNull();
  });

  it('returns a stop that would trigger at once as rejected with the venue reason', async () => {
    await bybit.createOrder({ clientOrderId: 'stop-entry-2', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.01 });
    const stop = await bybit.createOrder({ clientOrderId: 'stop-2', symbol: 'BTC/USDT', side: 'sell', type: 'stop', amount: 0.01, stopPrice: 43_000, reduceOnly: true });
    expect(stop.status).toBe('rejected');
    expect(stop.reason).toMatch(/110093.*expect Falling/);
  });

  it('names an order beyond the available balance as insufficient funds', async () => {
    const order = await bybit.createOrder({ clientOrderId: 'huge-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 10 });
    expect(order.status).toBe('rejected');
    expect(order.reason).toMatch(/^insufficient funds: bybit createOrder failed: .*"retCode":110007/);
    expect(server.orders).toHaveLength(0);
  });

  it('reads the funding rate and the next settlement from the ticker', async () => {
    expect(await bybit.fetchFundingRate('BTC/USDT')).toEqual({ symbol: 'BTC/USDT', rate: 0.0001, markPrice: 42_000, nextFundingTimeMs: NOW + 8 * 3_600_000, timeMs: NOW });
  });

  it('maps klines (newest first on Bybit) to ascending candles', async () => {
    const candles = await bybit.fetchOhlcv('BTC/USDT', '5m', Date.UTC(2024, 0, 1), 3);
    const klineRequest = server.requests.find((r) => r.path === '/v5/market/kline')!;
    expect(klineRequest.params).toEqual({ symbol: 'BTCUSDT', start: String(Date.UTC(2024, 0, 1)), limit: '3', interval: '5', category: 'linear' });
    // the saw-tooth: open 40 000 + (i mod 50) x 10 with i = openTime / 5 min, close open + 5, high close + 7, low open - 3, volume 1 + (i mod 7)
    expect(candles).toEqual([
      { openTimeMs: Date.UTC(2024, 0, 1, 0, 0), open: 40_240, high: 40_252, low: 40_237, close: 40_245, volume: 5 },
      { openTimeMs: Date.UTC(2024, 0, 1, 0, 5), open: 40_250, high: 40_262, low: 40_247, close: 40_255, volume: 6 },
      { openTimeMs: Date.UTC(2024, 0, 1, 0, 10), open: 40_260, high: 40_272, low: 40_257, close: 40_265, volume: 7 },
    ]);
  });

  it('retries a 10006 rate-limit answer after a jittered backoff', async () => {
    server.inject({ method: 'GET', path: '/v5/account/wallet-balance' }, { kind: 'rate_limit' });
    expect((await bybit.fetchBalance()).total).toBe(10_000);
    expect(server.hits('/v5/account/wallet-balance')).toBe(2);
    // equal jitter with random 0.5: 100 ms x (1 + 0.5) / 2
    expect(sleeps).toEqual([75]);
  });

  it('treats an invalid API key (10003) as fatal without retrying and keeps the secret out of the message', async () => {
    server.inject({ method: 'GET', path: '/v5/account/wallet-balance' }, { kind: 'auth' });
    const error = (await bybit.fetchBalance().catch((e: unknown) => e)) as ExchangeError;
    expect(error).toBeInstanceOf(ExchangeError);
    expect(error.failure).toBe(FailureClass.Fatal);
    expect(error.message).not.toContain('replay-secret-value');
    expect(server.hits('/v5/account/wallet-balance')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('does not double an order when the answer to createOrder is lost to a timeout', async () => {
    const quick = build(server, { timeoutMs: 200 }, sleeps);
    await quick.fetchBalance();
    server.inject({ method: 'POST', path: '/v5/order/create' }, { kind: 'delay', delayMs: 600, process: true });
    const order = await quick.createOrder({ clientOrderId: 'lost-answer-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: 0.003 });
    expect([order.status, order.clientOrderId, order.filled]).toEqual(['filled', 'lost-answer-1', 0.003]);
    expect(server.orders.filter((o) => o.orderLinkId === 'lost-answer-1')).toHaveLength(1);
    expect(server.hits('/v5/order/create')).toBe(1);
    expect(sleeps).toEqual([75]);
    await quick.close();
  });
});
