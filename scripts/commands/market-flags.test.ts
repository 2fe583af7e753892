import { describe, expect, it } from 'vitest';
import { marketFlagError, parseStringFlags } from './market-flags';

describe('parseStringFlags', () => {
  it('returns the given flags, names the first missing required one, and refuses unknown flags and positionals', () => {
    expect(parseStringFlags(['--symbol', 'BTC/USDT', '--since', '2024-01-01'], ['symbol', 'since', 'until'], ['symbol', 'since'])).toEqual({ values: { symbol: 'BTC/USDT', since: '2024-01-01' } });
    expect(parseStringFlags(['--symbol', 'BTC/USDT', '--since', ''], ['symbol', 'since'], ['symbol', 'since'])).toEqual({ error: 'missing --since' });
    expect(parseStringFlags(['--since', 'x'], ['symbol', 'since'], ['symbol', 'since'])).toEqual({ error: 'missing --symbol' });
    const unknown = parseStringFlags(['--symbol', 'BTC/USDT', '--venue', 'x'], ['symbol'], ['symbol']);
    expect('error' in unknown && unknown.error).toMatch(/Unknown option '--venue'/);
    const positional = parseStringFlags(['BTC/USDT'], ['symbol'], []);
    expect('error' in positional && positional.error).toMatch(/Unexpected argument 'BTC\/USDT'/);
  });
});

describe('marketFlagError', () => {
  it('names a bad timeframe with the list, a bad symbol, and takes a settle currency only when asked', () => {
    expect(marketFlagError('BTC/USDT', '5m')).toBeNull();
    expect(marketFlagError('BTC/USDT', '7m')).toBe('--timeframe "7m" is not supported; expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 1w');
    expect(marketFlagError('btc-usdt', '1h')).toBe('--symbol "btc-usdt" is not a market symbol like BTC/USDT (upper-case BASE/QUOTE, no settle suffix)');
    // Candles stored under a settle suffix would be a market nothing trades (sessions, downloads and backtests use BASE/QUOTE).
    expect(marketFlagError('BTC/USDT:USDT', '1h')).toBe('--symbol "BTC/USDT:USDT" is not a market symbol like BTC/USDT (upper-case BASE/QUOTE, no settle suffix)');
  });
});
