/**
 * A keyed real-venue live session, end to end through the composition root: an admin's API keys are
 * stored encrypted (as the credentials page stores them) and live trading is enabled for
 * binanceusdm; `engine.startLiveSession({ liveTrading: true })` then trades on the loopback Binance
 * replay server (ccxt unmodified; only its URLs come from AETHELRED_CCXT_URLS), with the candle feed
 * on the same server. Scripted one-minute klines make the MA crossover (2/3) enter long on one
 * candle and exit two candles later; a manual clock (the root's test seam) closes the candles.
 *
 * Runs against embedded PGlite and against PostgreSQL (TEST_DATABASE_URL, own schema, dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoot, type Root } from '../../app/_server/root';
import { loadConfig } from '../../app/_server/config';
import { createDatabase } from '../../db/client';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import { createManualClock, type ManualClock } from '../../engine/core/clock';
import type { TradeRecord } from '../../engine/ports/journal';
import { clientIdPrefixOf } from '../../engine/live/live-session';
import { startBinanceReplayServer, type BinanceReplayServer, type ScriptedKline } from '../support/binance-replay-server';
import { POSTGRES_URL } from '../support/ml-databases';

const TF = 60_000;
/** Open time of the candle on which the fast SMA crosses above the slow one. */
const K = Date.UTC(2024, 0, 2, 12, 0);
/** Open time of the second cross above (the stop case): ten candles after K. */
const K2 = K + 10 * TF;
/** Third and fourth crosses above (the venue account's halt, resume and force exit): ten candles apart. */
const K3 = K2 + 10 * TF;
const K4 = K3 + 10 * TF;
const API_KEY = 'replay-key-7f3a9c2e1b5d';
const SECRET = 'replay-secret-4e8b0d6f2a9c1e7b';

/**
 * Every candle has a 40 USDT range and opens at the previous close, so each true range is 40 and
 * ATR(14) is exactly 40. Closes: 42 000 until K, then 42 030 (K), 42 000 (K+1), 41 990 (K+2).
 * SMA(2) - SMA(3): 0 before K; +5 at K (cross above: long, strength 0.5 + 0.5 x 20/40 = 0.75);
 * +5 at K+1; 41 995 - 42 006.67 < 0 at K+2 (cross below: short, the exit). Then 41 990 (fast and
 * slow meet at 0 from K+4, no cross) until K2 closes at 42 020 (true range still 40): SMA(2) - SMA(3) =
 * 42 005 - 42 000 = +5, a cross above again; K2+1 closes at 42 000 (+6.67, no cross).
 */
function scriptedKline(symbol: string, openTimeMs: number): ScriptedKline | null {
  if (symbol === 'ETHUSDT') return ethKline(openTimeMs);
  if (symbol !== 'BTCUSDT') return null;
  if (openTimeMs < K) return { open: 42_000, high: 42_020, low: 41_980, close: 42_000, volume: 5 };
  if (openTimeMs === K) return { open: 42_000, high: 42_040, low: 42_000, close: 42_030, volume: 5 };
  if (openTimeMs === K + TF) return { open: 42_030, high: 42_040, low: 42_000, close: 42_000, volume: 5 };
  if (openTimeMs === K2) return { open: 41_990, high: 42_030, low: 41_990, close: 42_020, volume: 5 };
  if (openTimeMs === K2 + TF) return { open: 42_020, high: 42_030, low: 41_990, close: 42_000, volume: 5 };
  return { open: 42_000, high: 42_000, low: 41_960, close: 41_990, volume: 5 };
}

/**
 * ETH/USDT's price steps: 2 000 before K3, 2 004 from K3, 2 008 from K4. Each step closes above the
 * highest high of the two candles before it (2 002, then 2 006): a Donchian(2) breakout long; flat
 * candles close inside their channel, so nothing else fires. (An SMA cross would not fire at K4: the
 * averages met again at 2 004 from above, which the cross rule does not count as a cross.)
 */
const ethLevel = (openTimeMs: number) => (openTimeMs < K3 ? 2_000 : openTimeMs < K4 ? 2_004 : 2_008);
function ethKline(openTimeMs: number): ScriptedKline {
  const open = ethLevel(openTimeMs - TF);
  const close = ethLevel(openTimeMs);
  return { open, high: Math.max(open, close) + 2, low: Math.min(open, close) - 2, close, volume: 50 };
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const BACKENDS = [
  { name: 'PGlite', env: (): Record<string, string> => ({}) },
  { name: 'PostgreSQL', env: (): Record<string, string> => ({ DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: `test_${randomBytes(6).toString('hex')}` }) },
];

for (const backend of BACKENDS) {
  describe(`a keyed live session on the Binance replay server (${backend.name})`, () => {
    let server: BinanceReplayServer;
    let clock: ManualClock;
    let root: Root;
    let dataDir: string;
    let env: Record<string, string>;
    const logLines: string[] = [];
    // Live sessions trade the venue account that wraps the stored keys.
    const sessionId = 'live:usdm:binanceusdm:BTC/USDT:1m';
    const prefix = clientIdPrefixOf(sessionId);

    beforeAll(async () => {
      // Candle K-1 has just closed; candle K is forming.
      clock = createManualClock(K + 500);
      server = await startBinanceReplayServer({ clock: () => clock.nowMs(), apiKey: API_KEY, klines: scriptedKline });
      server.setPrice('BTCUSDT', 42_000);
      dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-live-venue-'));
      env = backend.env();
      const config = loadConfig({ AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'debug', AETHELRED_CCXT_URLS: JSON.stringify(server.urls), AETHELRED_JOB_SCHEDULES: '{"daily-snapshot":"off","rollover":"off"}', ...env }, process.cwd());
      const logDestination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
          done();
        },
      });
      root = await buildRoot(config, { clock, logDestination });
      await root.start();
      // What the admin credentials page does: encrypt the keys with the root's secret box, store them.
      const ciphertext = root.auth.secretBox.encrypt(JSON.stringify({ apiKey: API_KEY, secret: SECRET }));
      await root.auth.credentials.put({ exchange: 'binanceusdm', ciphertext, keyIdLast4: API_KEY.slice(-4), setAtMs: clock.nowMs(), setBy: 'admin@example.test' });
      expect(await root.liveTrading.setEnabled('binanceusdm', true, 'admin@example.test')).toBe(false);
      // The venue account: linking reads the venue wallet (the replay server starts with 10 000 USDT).
      // Positions open at 2x isolated: the session sets them on the venue (the replay server starts every symbol at 20x cross).
      const linked = await root.engine.accounts.create({ id: 'usdm', kind: 'venue', venue: 'binanceusdm', name: 'USD-M keys', takerFeeBps: 5, makerFeeBps: 2, spreadBps: 0, slippageBps: 0, leverage: 2, marginMode: 'isolated' }, 'admin@example.test');
      expect([linked.kind, linked.venue, linked.settings.marketType, linked.settings.quoteCurrency, linked.settings.initialBalance]).toEqual(['venue', 'binanceusdm', 'futures', 'USDT', 10_000]);
    }, 60_000);

    afterAll(async () => {
      await root?.stop();
      if (env?.DATABASE_SCHEMA) {
        const database = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema: env.DATABASE_SCHEMA });
        await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${env.DATABASE_SCHEMA}" CASCADE`));
        await database.close();
      }
      await server?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('reconciles, enters and exits on the venue with the session client ids, journals the venue fills and leaves no open order', async () => {
      const started = await root.engine.startLiveSession({
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT',
        timeframe: '1m',
        strategies: ['ma-crossover'],
        params: { 'ma-crossover': { fastPeriod: 2, slowPeriod: 3 } },
        // The session also takes outside alerts; with none expected, they weigh nothing here.
        fusion: { weights: { 'ma-crossover': 1, external: 0 } },
        liveTrading: true,
        veto: 'off',
      });
      expect([started.id, started.status, started.lastCandleMs]).toEqual([sessionId, 'running', K - TF]);

      // Reconciliation (keyed open orders, open stops, positions, balance) ran before the first candle request.
      const keyed = (i: number) => server.requests[i].apiKey === API_KEY;
      const firstIndex = (p: string, keyedOnly = false) => server.requests.findIndex((r, i) => r.path === p && (!keyedOnly || keyed(i)));
      const firstKlines = firstIndex('/fapi/v1/klines');
      expect(firstKlines).toBeGreaterThan(0);
      for (const p of ['/fapi/v1/openOrders', '/fapi/v1/openAlgoOrders', '/fapi/v3/positionRisk', '/fapi/v3/account']) {
        const index = firstIndex(p, true);
        expect(index, p).toBeGreaterThanOrEqual(0);
        expect(index, p).toBeLessThan(firstKlines);
      }
      // The public feed sends no key; every private request carries the stored one.
      expect(server.requests[firstKlines].apiKey).toBeNull();
      expect(server.requests.filter((r) => r.path !== '/fapi/v1/klines' && r.path !== '/fapi/v1/exchangeInfo').every((r) => r.apiKey === API_KEY)).toBe(true);
      expect(server.orders).toEqual([]);

      // Candle K closes: long entry at the venue's 42 030 and a reduce-only stop at 42 030 - 2 x ATR 40.
      server.setPrice('BTCUSDT', 42_030);
      const accountReadsBefore = server.hits('/fapi/v3/account', 'GET');
      clock.set(K + TF + 500);
      await waitFor('the entry and its stop', () => server.algoOrders.length === 1);
      const entryId = `${prefix}-entry-${K + TF}`;
      const stopId = `${prefix}-stop-${K + TF}`;
      // Sized from the venue's equity: 95 % exposure cap 9 500 / 42 030 = 0.22603 BTC, truncated to the 0.001 step.
      expect(server.orders.map((o) => [o.clientOrderId, o.side, o.type, o.status, o.origQty, o.cumQuote / o.executedQty])).toEqual([[entryId, 'BUY', 'MARKET', 'FILLED', 0.226, 42_030]]);
      expect(server.algoOrders.map((a) => [a.clientAlgoId, a.side, a.orderType, a.quantity, a.triggerPrice, a.reduceOnly, a.algoStatus])).toEqual([[stopId, 'SELL', 'STOP_MARKET', 0.226, 41_950, true, 'NEW']]);
      // The account was read from the venue before the candle (balance and position).
      expect(server.hits('/fapi/v3/account', 'GET')).toBeGreaterThan(accountReadsBefore);

      // Candles K+1 and K+2 close: the cross below exits at 41 990; the stop is cancelled first.
      server.setPrice('BTCUSDT', 41_990);
      clock.set(K + 3 * TF + 500);
      await waitFor('the exit', () => server.orders.length === 2);
      const exitId = `${prefix}-exit-${K + 3 * TF}`;
      expect(server.orders[1]).toMatchObject({ clientOrderId: exitId, side: 'SELL', type: 'MARKET', status: 'FILLED', origQty: 0.226, reduceOnly: true });
      expect(server.algoOrders[0].algoStatus).toBe('CANCELED');
      for (const id of [entryId, stopId, exitId]) expect(id.length).toBeLessThanOrEqual(36);

      const stopped = await root.engine.stopLiveSession(sessionId);
      expect([stopped.status, stopped.lastCandleMs]).toEqual(['stopped', K + 2 * TF]);

      // Nothing is left working at the venue, and the position is flat.
      expect(server.orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).toEqual([]);
      expect(server.algoOrders.filter((a) => a.algoStatus === 'NEW')).toEqual([]);

      // The journal holds the round trip with the venue's fills and fees.
      const journal = createJournalRepository(root.database.db);
      const trades = (await journal.listTrades({ symbol: 'BTC/USDT', runId: null })).items as TradeRecord[];
      expect(trades).toHaveLength(1);
      const t = trades[0];
      expect([t.exchange, t.symbol, t.strategy, t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.exitReason, t.funding]).toEqual([
        'binanceusdm', 'BTC/USDT', 'ma-crossover', 'long', 0.226, 42_030, 41_990, K + TF + 500, K + 3 * TF + 500, 'signal', 0,
      ]);
      // (41 990 - 42 030) x 0.226
      expect(t.realizedPnl).toBeCloseTo(-9.04, 8);
      // taker 0.05 %: 0.226 x 42 030 x 0.0005 = 4.749390 plus 0.226 x 41 990 x 0.0005 = 4.744870
      expect(t.fees).toBeCloseTo(9.49426, 8);
      const decisions = (await journal.listDecisions({ symbol: 'BTC/USDT', runId: null, outcome: 'executed' })).items;
      expect(decisions.map((d) => [d.timeMs, d.side])).toEqual([[K + 3 * TF, 'short'], [K + TF, 'long']]);
    }, 90_000);

    it('journals the trade of a venue stop that fired while the session was stopped, against the checkpointed entry', async () => {
      const request = {
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT',
        timeframe: '1m',
        strategies: ['ma-crossover'],
        params: { 'ma-crossover': { fastPeriod: 2, slowPeriod: 3 } },
        fusion: { weights: { 'ma-crossover': 1, external: 0 } },
        liveTrading: true,
        veto: 'off',
      };
      const sessionState = async () => (await root.engine.listLiveSessions()).find((s) => s.id === sessionId)?.state ?? null;
      // Resume after K+2 with candle K2-1 just closed: the flat candles between trade nothing.
      server.setPrice('BTCUSDT', 42_020);
      clock.set(K2 + 500);
      await root.engine.startLiveSession(request);
      await waitFor('the candles up to K2-1', async () => (await sessionState())?.lastCandleMs === K2 - TF);

      // Candle K2 closes: long entry at 42 020 and its stop at 42 020 - 2 x ATR 40 = 41 940. Equity after
      // the first round trip: 10 000 - 9.04 - 9.49426 = 9 981.46574; 95 % of it / 42 020 = 0.225664 -> 0.225 BTC.
      clock.set(K2 + TF + 500);
      await waitFor('the second entry and its stop', () => server.algoOrders.length === 2);
      const entryId = `${prefix}-entry-${K2 + TF}`;
      const stopId = `${prefix}-stop-${K2 + TF}`;
      expect(server.orders.slice(2).map((o) => [o.clientOrderId, o.side, o.status, o.origQty, o.cumQuote / o.executedQty])).toEqual([[entryId, 'BUY', 'FILLED', 0.225, 42_020]]);
      expect([server.algoOrders[1].clientAlgoId, server.algoOrders[1].triggerPrice, server.algoOrders[1].quantity, server.algoOrders[1].algoStatus]).toEqual([stopId, 41_940, 0.225, 'NEW']);
      await waitFor('the checkpoint of candle K2', async () => (await sessionState())?.lastCandleMs === K2);

      // The process goes down with the position open (a fresh loop and venue client on restart); the
      // checkpoint keeps the entry's fills (fee 0.225 x 42 020 x 0.0005 = 4.72725) and the stop's id.
      await root.engine.stopLiveSession(sessionId);
      const checkpoints = createLiveSessionRepository(root.database.db);
      const saved = (await checkpoints.load(sessionId))?.venuePosition;
      expect(saved).toMatchObject({ side: 'long', amount: 0.225, price: 42_020, timeMs: K2 + TF + 500, strategy: 'ma-crossover', stopOrderId: String(server.algoOrders[1].algoId), stopFilledJournaled: 0 });
      expect(saved?.fee).toBeCloseTo(4.72725, 8);
      // Meanwhile the price falls through the stop: the venue fills it at 41 930.
      const stopFillMs = K2 + TF + 20_000;
      clock.set(stopFillMs);
      server.setPrice('BTCUSDT', 41_930);
      expect(server.algoOrders[1].algoStatus).toBe('FINISHED');
      expect(server.orders.at(-1)).toMatchObject({ side: 'SELL', type: 'MARKET', status: 'FILLED', origQty: 0.225, reduceOnly: true });

      // Restart after K2+1 has closed: the loop sees the account flat and reads the stop's fills.
      clock.set(K2 + 2 * TF + 500);
      await root.engine.startLiveSession(request);
      await waitFor('candle K2+1', async () => (await sessionState())?.lastCandleMs === K2 + TF);
      await root.engine.stopLiveSession(sessionId);
      // Nothing new was sent: no exit, no second stop.
      expect(server.orders).toHaveLength(4);
      expect(server.algoOrders).toHaveLength(2);

      const journal = createJournalRepository(root.database.db);
      const trades = (await journal.listTrades({ symbol: 'BTC/USDT', runId: null, fromMs: K2 })).items as TradeRecord[];
      expect(trades).toHaveLength(1);
      const t = trades[0];
      expect([t.exchange, t.strategy, t.side, t.amount, t.entryPrice, t.exitPrice, t.entryTimeMs, t.exitTimeMs, t.exitReason, t.funding]).toEqual([
        'binanceusdm', 'ma-crossover', 'long', 0.225, 42_020, 41_930, K2 + TF + 500, stopFillMs, 'stop', 0,
      ]);
      // (41 930 - 42 020) x 0.225
      expect(t.realizedPnl).toBeCloseTo(-20.25, 8);
      // taker 0.05 %: 0.225 x 42 020 x 0.0005 = 4.727250 plus 0.225 x 41 930 x 0.0005 = 4.717125
      expect(t.fees).toBeCloseTo(9.444375, 8);
      // The checkpoint holds no position any more.
      expect((await checkpoints.load(sessionId))?.venuePosition).toBeNull();
    }, 90_000);

    it('trades the venue account: its view comes from the venue, its halt stops the entries of its session, resume and force exit reach the venue', async () => {
      const journal = createJournalRepository(root.database.db);
      const ethSession = 'live:usdm:binanceusdm:ETH/USDT:1m';
      // Without an accountId a live session takes the venue account of its exchange; a paper account cannot trade live.
      const onPaper = (await root.engine.startLiveSession({ exchange: 'binanceusdm', symbol: 'ETH/USDT', timeframe: '1m', strategies: ['ma-crossover'], liveTrading: true, accountId: 'default' }).catch((e: unknown) => e)) as Error;
      expect(onPaper.message).toContain('account "default" is a paper account; a live session on "binanceusdm" trades that venue\'s account');
      server.setPrice('ETHUSDT', 2_000);
      clock.set(K3 - TF + 500);
      const started = await root.engine.startLiveSession({
        exchange: 'binanceusdm',
        symbol: 'ETH/USDT',
        timeframe: '1m',
        strategies: ['donchian-breakout'],
        params: { 'donchian-breakout': { period: 2 } },
        fusion: { weights: { 'donchian-breakout': 1, external: 0 } },
        liveTrading: true,
        veto: 'off',
      });
      expect(started.id).toBe(ethSession);
      // Before trading, the venue opens ETH/USDT at the venue account's margin mode and leverage, as the operator set them.
      const setOnVenue = server.requests.filter((r) => r.method === 'POST' && (r.path === '/fapi/v1/marginType' || r.path === '/fapi/v1/leverage') && r.params.symbol === 'ETHUSDT');
      expect(setOnVenue.map((r) => [r.path, r.params.marginType ?? r.params.leverage])).toEqual([
        ['/fapi/v1/marginType', 'ISOLATED'],
        ['/fapi/v1/leverage', '2'],
      ]);
      const state = async () => (await root.engine.listLiveSessions()).find((s) => s.id === ethSession)?.state ?? null;

      // Halt the venue account (as POST /api/v1/accounts/usdm/halt does): the breakout at K3 is denied.
      const halted = await root.engine.accounts.halt('usdm', 'CPI at 14:30');
      expect([halted.halted, halted.haltReason]).toEqual([true, 'manual: CPI at 14:30']);
      server.setPrice('ETHUSDT', 2_004);
      clock.set(K3 + TF + 500);
      await waitFor('candle K3', async () => (await state())?.lastCandleMs === K3);
      const deniedNow = async () => (await journal.listDecisions({ symbol: 'ETH/USDT', runId: null, outcome: 'denied' }).catch(() => ({ items: [] }))).items;
      await waitFor('the denial journaled', async () => (await deniedNow()).length > 0);
      const denied = await deniedNow();
      expect(denied.map((d) => [d.timeMs, d.side, d.reason])).toEqual([[K3 + TF, 'long', 'halted: manual: CPI at 14:30']]);
      expect(server.orders.filter((o) => o.symbol === 'ETHUSDT')).toEqual([]);

      // Resume: the next breakout (K4) enters at the venue with a reduce-only stop.
      const resumed = await root.engine.accounts.resume('usdm');
      expect(resumed.halted).toBe(false);
      server.setPrice('ETHUSDT', 2_008);
      clock.set(K4 + TF + 500);
      await waitFor('the ETH entry and its stop', () => server.algoOrders.some((a) => a.symbol === 'ETHUSDT' && a.algoStatus === 'NEW'));
      const ethOrders = () => server.orders.filter((o) => o.symbol === 'ETHUSDT');
      expect(ethOrders().map((o) => [o.side, o.type, o.status])).toEqual([['BUY', 'MARKET', 'FILLED']]);
      const bought = ethOrders()[0].executedQty;
      // Sized from the venue wallet after the two BTC round trips, 10 000 - 9.04 - 9.49426 - 20.25 - 9.444375 =
      // 9 951.771365, at the 95 % exposure cap: 9 454.1828 / 2 008 = 4.70826 -> 4.708 ETH (0.001 step).
      expect(bought).toBe(4.708);

      // The account's view is read from the venue: wallet, the open position and its working stop.
      const view = await root.engine.accounts.view('usdm');
      expect(view.source).toBe('venue');
      expect(view.account.kind).toBe('venue');
      expect(view.positions.map((p) => [p.symbol, p.side, p.amount, p.entryPrice])).toEqual([['ETH/USDT', 'long', bought, 2_008]]);
      expect(view.openOrders.map((o) => [o.symbol, o.side, o.reduceOnly, o.status])).toEqual([['ETH/USDT', 'sell', true, 'new']]);
      expect(view.risk.halted).toBe(false);
      expect(view.walletBalance).toBeCloseTo(10_000 - 9.04 - 9.49426 - 20.25 - 9.444375 - bought * 2_008 * 0.0005, 6);

      // Force exit through the account (as POST /api/v1/accounts/usdm/positions/close does): its stop is
      // cancelled and a reduce-only market sell closes the position at the venue; the exit is journaled.
      await root.engine.stopLiveSession(ethSession);
      const closed = await root.engine.accounts.closePosition('usdm', { symbol: 'ETH/USDT' }, 'trader@example.test');
      expect([closed.order.side, closed.order.type, closed.order.status, closed.order.reduceOnly, closed.order.filled, closed.remaining]).toEqual(['sell', 'market', 'filled', true, bought, 0]);
      expect(closed.cancelledStopIds).toHaveLength(1);
      expect(server.algoOrders.filter((a) => a.symbol === 'ETHUSDT').map((a) => a.algoStatus)).toEqual(['CANCELED']);
      expect(ethOrders().at(-1)).toMatchObject({ side: 'SELL', type: 'MARKET', status: 'FILLED', reduceOnly: true, origQty: bought });
      const forced = (await journal.listDecisions({ symbol: 'ETH/USDT', runId: null, outcome: 'executed' })).items.find((d) => d.id === closed.decisionId);
      expect([forced?.exchange, forced?.reason]).toEqual(['binanceusdm', 'force exit by trader@example.test']);
      const after = await root.engine.accounts.view('usdm');
      expect(after.positions).toEqual([]);
      expect(after.openOrders).toEqual([]);
      // Manual orders are refused for a venue account, naming it.
      const manual = (await root.engine.accounts.placeOrder('usdm', { symbol: 'ETH/USDT', side: 'buy', type: 'market', amount: 1 }, 'trader@example.test').catch((e: unknown) => e)) as Error;
      expect(manual.message).toContain('account "usdm" is the venue account of "binanceusdm": manual orders are not taken for venue accounts yet');
    }, 90_000);

    it('at start cancels its own stale entry and leaves a foreign order with a warning; with reconcile "cancel" cancels the foreign one too; journals both', async () => {
      const request = {
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT',
        timeframe: '1m',
        strategies: ['ma-crossover'],
        params: { 'ma-crossover': { fastPeriod: 2, slowPeriod: 3 } },
        fusion: { weights: { 'ma-crossover': 1, external: 0 } },
        liveTrading: true,
        veto: 'off',
      };
      // Left on the venue while the (flat) BTC session was stopped: a limit entry with the session's id
      // and a limit buy placed by hand; an ETH order by hand is on another symbol.
      const placed = (orderId: number, clientOrderId: string, symbol: string) => ({
        orderId, clientOrderId, symbol, market: 'futures' as const, side: 'BUY' as const, type: 'LIMIT', status: 'NEW' as const, price: 40_000, stopPrice: 0,
        origQty: 0.01, executedQty: 0, cumQuote: 0, reduceOnly: false, timeMs: clock.nowMs(), updateTimeMs: clock.nowMs(), workingTimeMs: clock.nowMs(),
      });
      const ownEntry = `${prefix}-entry-${K4}`;
      server.orders.push(placed(900_001, ownEntry, 'BTCUSDT'), placed(900_002, 'web_manual_7', 'BTCUSDT'), placed(900_003, 'web_manual_8', 'ETHUSDT'));
      const statusOf = (orderId: number) => server.orders.find((o) => o.orderId === orderId)?.status;
      const journal = createJournalRepository(root.database.db);
      const reconciled = async () => (await journal.listDecisions({ symbol: 'BTC/USDT', runId: null, strategy: 'reconcile' })).items;

      await root.engine.startLiveSession(request);
      await root.engine.stopLiveSession(sessionId);
      expect([statusOf(900_001), statusOf(900_002), statusOf(900_003)]).toEqual(['CANCELED', 'NEW', 'NEW']);
      expect(logLines.some((line) => line.includes('foreign open orders on the session symbol are left on the venue') && line.includes('web_manual_7'))).toBe(true);
      expect((await reconciled()).map((d) => [d.outcome, d.reason])).toEqual([['executed', `start-up reconciliation: cancelled ${ownEntry}; left foreign web_manual_7`]]);

      // One second later (the journal lists newest first; no candle closes in between).
      clock.set(clock.nowMs() + 1_000);
      await root.engine.startLiveSession({ ...request, reconcile: 'cancel' });
      await root.engine.stopLiveSession(sessionId);
      expect([statusOf(900_002), statusOf(900_003)]).toEqual(['CANCELED', 'NEW']);
      expect((await reconciled()).map((d) => [d.outcome, d.reason, d.inputs.reconcile])).toEqual([
        ['executed', 'start-up reconciliation: cancelled web_manual_7', 'cancel'],
        ['executed', `start-up reconciliation: cancelled ${ownEntry}; left foreign web_manual_7`, 'adopt'],
      ]);
    }, 90_000);

    it('never writes the API key, the secret or the stored ciphertext to the logs', async () => {
      const all = logLines.join('\n');
      expect(all).toContain('reconciled with the venue before trading');
      expect(all).toContain('live session started');
      expect(all).not.toContain(API_KEY);
      expect(all).not.toContain(SECRET);
      const ciphertext = await root.auth.credentials.getCiphertext('binanceusdm');
      expect(ciphertext).not.toBeNull();
      expect(all).not.toContain(ciphertext as string);
    });
  });
}
