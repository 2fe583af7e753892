import { describe, expect, it } from 'vitest';
import { chartQuery, readChartParams } from './chart-params';

describe('chart URL state', () => {
  it('reads a run link centred on a trade, with times in epoch ms', () => {
    const search = Object.fromEntries(new URLSearchParams(chartQuery({ runId: 'r1', fromMs: 1_000, toMs: 5_000, atMs: 3_000 })));
    expect(readChartParams(search)).toEqual({ stream: undefined, runId: 'r1', sessionId: undefined, fromMs: 1_000, toMs: 5_000, atMs: 3_000 });
  });

  it('takes the picker source over run and session, and "live" clears both', () => {
    expect(readChartParams({ run: 'r1', source: 'session:s1' })).toMatchObject({ runId: undefined, sessionId: 's1' });
    expect(readChartParams({ session: 's1', source: 'run:r2' })).toMatchObject({ runId: 'r2', sessionId: undefined });
    expect(readChartParams({ source: 'session:s1' })).toMatchObject({ runId: undefined, sessionId: 's1' });
    expect(readChartParams({ run: 'r1', source: 'live' })).toMatchObject({ runId: undefined, sessionId: undefined });
  });

  it('reads ISO dates as UTC and builds a market without a timeframe as a prefix', () => {
    expect(readChartParams({ at: '2024-02-05' }).atMs).toBe(Date.UTC(2024, 1, 5));
    expect(readChartParams({ at: 'yesterday' }).atMs).toBeNull();
    expect(readChartParams({ exchange: 'binance', symbol: 'ETH/USDT' }).stream).toBe('binance|ETH/USDT|');
    expect(chartQuery({ exchange: 'binance', symbol: 'ETH/USDT', timeframe: '5m', atMs: 7 })).toBe('stream=binance%7CETH%2FUSDT%7C5m&at=7');
  });
});
