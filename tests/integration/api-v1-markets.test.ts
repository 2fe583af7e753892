/**
 * GET /api/v1/markets (viewer) and POST /api/v1/candles (trader) on a real root, on embedded PGlite
 * and on PostgreSQL: a CSV body is imported whole or refused whole (400 naming the line and the
 * field), re-imports add nothing, gaps come back as warnings, oversized bodies get 413, and the
 * stored streams are listed with their first and last open time and count.
 */
import { describe, expect, it } from 'vitest';
import { apiV1Client } from '../support/api-v1-client';
import { AUTH_TEST_BACKENDS, useAuthTestRoots, type AuthTestRoot } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1); // 1704067200000
const HOUR = 3_600_000;
const QUERY = { exchange: 'testex', symbol: 'BTC/USDT', timeframe: '1h' };

/** Three 1h candles; the one at 02:00 is missing (a gap of 1 candle before 03:00). */
const CSV = ['timestamp_ms,open,high,low,close,volume', `${T0},100,110,95,105,10`, `${T0 + HOUR},105,112,101,110,12`, `${T0 + 3 * HOUR},110,111,100,102,8`].join('\n');

async function clients(app: AuthTestRoot) {
  const trader = await app.signedInAs('trader');
  const viewer = await app.signedInAs('viewer');
  const { token } = await app.root.auth.issueToken({ userId: trader.userId, name: 'api-v1 import', role: 'trader' });
  return { trader: apiV1Client(app.root, { bearer: token }), viewer: apiV1Client(app.root, { cookie: viewer.cookie }) };
}

describe.each(AUTH_TEST_BACKENDS)('markets and candle import on $name', (backend) => {
  const roots = useAuthTestRoots(backend);

  it('imports a CSV body, answers the counts and gap warnings, and lists the stored stream', async () => {
    const app = await roots.open();
    const { trader, viewer } = await clients(app);
    expect(await viewer.call('listMarkets')).toMatchObject({ status: 200, body: { items: [] } });

    const first = await trader.call('importCandles', { query: QUERY, body: CSV });
    expect({ status: first.status, body: first.body }).toEqual({
      status: 200,
      body: { ...QUERY, parsed: 3, inserted: 3, warnings: ['body:4: gap of 1 candle before 2024-01-01T03:00:00.000Z'], warningCount: 1 },
    });
    // Importing the same file again stores nothing new.
    expect((await trader.call('importCandles', { query: QUERY, body: CSV })).body).toMatchObject({ parsed: 3, inserted: 0 });

    expect((await viewer.call('listMarkets')).body).toEqual({
      items: [{ exchange: 'testex', symbol: 'BTC/USDT', timeframe: '1h', count: 3, firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 3 * HOUR }],
    });
    const audit = await app.root.auth.audit.list({ action: 'candles.import', limit: 2 });
    expect(audit.items.map((e) => [e.outcome, e.target, e.after])).toEqual([
      ['ok', 'testex BTC/USDT 1h', { parsed: 3, inserted: 0 }],
      ['ok', 'testex BTC/USDT 1h', { parsed: 3, inserted: 3 }],
    ]);
  });

  it('refuses a file with one bad row whole: 400 naming the line and field, nothing stored', async () => {
    const app = await roots.open();
    const { trader, viewer } = await clients(app);
    const bad = CSV.replace(`${T0 + HOUR},105,112,`, `${T0 + HOUR},105,abc,`);
    const answer = await trader.call('importCandles', { query: QUERY, body: bad });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: { error: { code: 'bad_request:input', message: 'body:3: field "high" was "abc": not a number', fieldErrors: { 'line 3': ['field "high" was "abc": not a number'] } } },
    });
    const noHeader = await trader.call('importCandles', { query: QUERY, body: `${T0},100,110,95,105,10\n` });
    expect(noHeader.body).toMatchObject({ error: { fieldErrors: { 'line 1': [`unexpected column "${T0}"; expected timestamp_ms,open,high,low,close,volume`] } } });
    const misaligned = await trader.call('importCandles', { query: { ...QUERY, timeframe: '4h' }, body: CSV });
    expect(misaligned.body).toMatchObject({ error: { fieldErrors: { 'line 3': [`field "timestamp_ms" was "${T0 + HOUR}": not aligned to the 4h timeframe (14400000 ms)`] } } });
    expect((await viewer.call('listMarkets')).body).toEqual({ items: [] });
  });

  it('answers 400 naming each bad query parameter and its value', async () => {
    const app = await roots.open();
    const { trader } = await clients(app);
    const fields = async (query: Record<string, string>) => {
      const answer = await trader.call('importCandles', { query, body: CSV });
      expect(answer.status).toBe(400);
      return answer.body.error.fieldErrors;
    };
    const timeframes = '"1m"|"3m"|"5m"|"15m"|"30m"|"1h"|"2h"|"4h"|"6h"|"8h"|"12h"|"1d"|"1w"';
    expect(await fields({ exchange: 'testex', symbol: 'BTC/USDT' })).toEqual({ timeframe: [`Invalid option: expected one of ${timeframes} (missing)`] });
    expect(await fields({ ...QUERY, timeframe: '7m' })).toEqual({ timeframe: [`Invalid option: expected one of ${timeframes} (got "7m")`] });
    expect(await fields({ ...QUERY, exchange: '' })).toEqual({ exchange: ['Too small: expected string to have >=1 characters (got "")'] });
    expect(await fields({ ...QUERY, file: 'x.csv' })).toEqual({ file: ['not a parameter here; expected one of exchange, symbol, timeframe (got "x.csv")'] });
    // A key that sessions, downloads and backtests would refuse is refused here too, so nothing is stored under it.
    for (const symbol of ['btc/usdt', 'BTCUSDT', 'BTC/USDT:USDT']) {
      expect(await fields({ ...QUERY, symbol })).toEqual({ symbol: [`expected a market symbol like BTC/USDT (upper-case BASE/QUOTE) (got "${symbol}")`] });
    }
    expect((await trader.call('listMarkets')).body).toEqual({ items: [] });
  });

  it('refuses a body over 50 MiB with 413 and stores nothing; a viewer may not import', async () => {
    const app = await roots.open();
    const { trader, viewer } = await clients(app);
    const huge = `${CSV}\n${' '.repeat(50 * 1024 * 1024)}`;
    const tooLarge = await trader.call('importCandles', { query: QUERY, body: huge });
    expect({ status: tooLarge.status, body: tooLarge.body }).toEqual({
      status: 413,
      body: { error: { code: 'payload_too_large:input', message: 'the body is larger than the 52428800 bytes this operation accepts' } },
    });
    const denied = await viewer.call('importCandles', { query: QUERY, body: CSV });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'forbidden:auth' } } });
    expect((await viewer.call('listMarkets')).body).toEqual({ items: [] });
  });
});
