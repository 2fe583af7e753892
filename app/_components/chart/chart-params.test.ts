import { describe, expect, it } from 'vitest';
import { chartQuery, readChartParams } from './chart-params';

describe('chart URL state', () => {
  it('reads a run link centred on a trade, with times in epoch ms', () => {
    const search = Object.fromEntries(new URLSearchParams(chartQuery({ runId: 'r1', fromMs: 1_000, toMs: 5_000, atMs: 3_000 })));
    expect(readChartParams(search)).toEqual({ stream: undefined, runId: 'r1', sessionId: undefined, accountId: undefined, allAccounts: false, fromMs: 1_000, toMs: 5_000, atMs: 3_000 });
  });

  it('takes the picker source over run and session, and "live" clears both', () => {
    expect(readChartParams({ run: 'r1', source: 'session:s1' })).toMatchObject({ runId: undefined, sessionId: 's1' });
    expect(readChartParams({ session: 's1', source: 'run:r2' })).toMatchObject({ runId: 'r2', sessionId: undefined });
    expect(readChartParams({ source: 'session:s1' })).toMatchObject({ runId: undefined, sessionId: 's1' });
    expect(readChartParams({ run: 'r1', source: 'live' })).toMatchObject({ runId: undefined, sessionId: undefined, accountId: undefined, allAccounts: true });
  });

  it("reads one account's live markers from a link or the picker, which a run or a session overrides", () => {
    const link = Object.fromEntries(new URLSearchParams(chartQuery({ exchange: 'binance', symbol: 'DOT/USDT', accountId: 'desk', atMs: 9 })));
    expect(link).toEqual({ stream: 'binance|DOT/USDT|', account: 'desk', at: '9' });
    expect(readChartParams(link)).toMatchObject({ runId: undefined, sessionId: undefined, accountId: 'desk', allAccounts: false, atMs: 9 });
    expect(readChartParams({ account: 'desk', source: 'account:swing' })).toMatchObject({ accountId: 'swing', allAccounts: false });
    expect(readChartParams({ account: 'desk', source: 'live' })).toMatchObject({ accountId: undefined, allAccounts: true });
    expect(readChartParams({ account: 'desk', run: 'r1' })).toMatchObject({ runId: 'r1', accountId: undefined });
    expect(readChartParams({ account: 'desk', source: 'session:s1' })).toMatchObject({ sessionId: 's1', accountId: undefined });
    // A run's link never names an account (its rows have none).
    expect(chartQuery({ runId: 'r1', accountId: 'desk' })).toBe('run=r1');
  });

  it('reads ISO dates as UTC and builds a market without a timeframe as a prefix', () => {
    expect(readChartParams({ at: '2024-02-05' }).atMs).toBe(Date.UTC(2024, 1, 5));
    expect(readChartParams({ at: 'yesterday' }).atMs).toBeNull();
    expect(readChartParams({ exchange: 'binance', symbol: 'ETH/USDT' }).stream).toBe('binance|ETH/USDT|');
    expect(chartQuery({ exchange: 'binance', symbol: 'ETH/USDT', timeframe: '5m', atMs: 7 })).toBe('stream=binance%7CETH%2FUSDT%7C5m&at=7');
  });
});
