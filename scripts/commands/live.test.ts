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
