import { describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/engine';
import { runLiveCommand } from './live';

type Listed = Awaited<ReturnType<Engine['listLiveSessions']>>[number];

const session = (over: Partial<Listed>): Listed =>
  ({ id: 'x', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', config: {}, status: 'running', lastCandleMs: null, liveTrading: false, lastError: null, startedAtMs: 0, updatedAtMs: 0, state: null, ...over }) as Listed;

describe('live list', () => {
  it("names each session's mode and account as the Live page does: replay, paper, LIVE; older records by their flags", async () => {
    const out: string[] = [];
    const sessions = [
      session({ id: 'replay:desk:binance:BTC/USDT:5m', config: { mode: 'replay', accountId: 'desk' }, lastCandleMs: Date.UTC(2024, 6, 8, 20, 40) }),
      // Stored before modes and accounts: paper on the default account, or live when it traded the venue.
      session({ id: 'live:binance:ETH/USDT:5m', status: 'stopped' }),
      session({ id: 'live:binance-usdm:BTC/USDT:1h', config: { accountId: 'usdm' }, liveTrading: true, lastError: 'venue down' }),
    ];
    const code = await runLiveCommand(['list'], {
      engine: { listLiveSessions: async () => sessions } as never,
      stdout: (s) => out.push(s),
      stderr: () => undefined,
      untilInterrupted: async () => undefined,
    });
    expect(code).toBe(0);
    expect(out).toEqual([
      'replay:desk:binance:BTC/USDT:5m  running      replay desk  last candle 2024-07-08T20:40:00.000Z',
      'live:binance:ETH/USDT:5m  stopped      paper  default  no candle yet',
      'live:binance-usdm:BTC/USDT:1h  running      LIVE   usdm  no candle yet  error: venue down',
    ]);
  });
});

describe('live run', () => {
  it('waits for a replay to complete and says how it ended: completed, the candles it traded and its last candle', async () => {
    const out: string[] = [];
    const id = 'replay:default:binance:BTC/USDT:5m';
    const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' as const };
    const lastCandleMs = Date.UTC(2024, 0, 6, 4, 55);
    let polls = 0;
    const code = await runLiveCommand(['run', '--mode', 'replay', '--from', '2024-01-02', '--speed', 'max', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m'], {
      engine: {
        startLiveSession: async () => ({ id, market, status: 'running', lastCandleMs: null, candlesProcessed: 0, reconnects: 0, lastError: null }),
        // Running at the first poll, completed at the second.
        listLiveSessions: async () => [session({ id, status: ++polls >= 2 ? 'completed' : 'running' })],
        stopLiveSession: async () => ({ id, market, status: 'completed', lastCandleMs, candlesProcessed: 1_212, reconnects: 0, lastError: null }),
      } as never,
      stdout: (s) => out.push(s),
      stderr: () => undefined,
      untilInterrupted: () => new Promise(() => undefined),
    });
    expect(code).toBe(0);
    expect(out).toEqual([
      `session ${id} running (replay of stored candles); Ctrl-C stops it`,
      `live session ${id} completed after 1212 candles (last candle 2024-01-06T04:55:00.000Z)`,
    ]);
  });
});
