/**
 * The journal's JSON list endpoints and CSV export (and the ticket and audit lists) through the gate on a real root, on embedded
 * PGlite and on PostgreSQL: malformed query parameters (bad dates, an inverted range, an unknown
 * symbol, offset paging such as `page=-1`, a page size of 1e9, unknown parameters) answer 400 with
 * the field named, never a 500 and never a silently ignored filter; good queries answer the rows
 * worked out by hand from the four trades and three decisions below.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as auditRoute from '../../app/api/audit/route';
import * as decisionsRoute from '../../app/api/decisions/route';
import * as ticketsRoute from '../../app/api/tickets/route';
import * as exportRoute from '../../app/api/trades/export/route';
import * as tradesRoute from '../../app/api/trades/route';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import type { DecisionRecord, TradeRecord } from '../../engine/ports/journal';
import { AUTH_TEST_BACKENDS, createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

const T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

const trade = (id: string, symbol: string, side: 'long' | 'short', realizedPnl: number, exitDay: number): TradeRecord => ({
  id,
  runId: null,
  exchange: 'binance',
  symbol,
  strategy: 'ema-trend',
  side,
  amount: 0.5,
  entryPrice: 100,
  exitPrice: 101,
  entryTimeMs: T0 + exitDay * DAY - 60_000,
  exitTimeMs: T0 + exitDay * DAY,
  realizedPnl,
  fees: 0.1,
  funding: 0,
  exitReason: 'signal',
});
const TRADES = [trade('t1', 'BTC/USDT', 'long', 10, 1), trade('t2', 'BTC/USDT', 'short', -4, 3), trade('t3', 'ETH/USDT', 'long', 2.5, 2), trade('t4', 'BTC/USDT', 'long', 1, 10)];
const decision = (id: string, symbol: string, day: number, outcome: DecisionRecord['outcome']): DecisionRecord => ({
  id,
  runId: null,
  exchange: 'binance',
  symbol,
  timeframe: '1h',
  strategy: 'ema-trend',
  timeMs: T0 + day * DAY,
  outcome,
  side: 'long',
  strength: 0.5,
  reason: outcome === 'denied' ? 'notional above cap' : 'fused signal',
  inputs: {},
});
/** SOL/USDT appears only in the decision log. */
const DECISIONS = [decision('d1', 'BTC/USDT', 1, 'executed'), decision('d2', 'SOL/USDT', 2, 'denied'), decision('d3', 'BTC/USDT', 3, 'no_trade')];

describe.each(AUTH_TEST_BACKENDS)('journal, ticket and audit list routes on $name', (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  let app: AuthTestRoot;
  let viewer: string;
  let admin: string;

  const call = (module: { GET: unknown }, path: string, cookie = viewer) =>
    (gateMetaOf(module.GET) as RouteGateMeta).run(app.root, new Request(`${TEST_ORIGIN}${path}`, { headers: { cookie } }), {});
  const json = async (module: { GET: unknown }, path: string, cookie = viewer) => {
    const response = await call(module, path, cookie);
    return { status: response.status, body: (await response.json()) as { items?: { id: string }[]; nextCursor?: string | null; error?: { code: string; message: string; fieldErrors?: Record<string, string[]> } } };
  };
  /** Status and the one field the 400 names, with its message. */
  const refusal = async (module: { GET: unknown }, path: string, cookie = viewer) => {
    const { status, body } = await json(module, path, cookie);
    const fields = Object.entries(body.error?.fieldErrors ?? {});
    return { status, code: body.error?.code, fields: fields.map(([field, messages]) => `${field}: ${messages.join(', ')}`) };
  };
  /** Each `[path, "field: message"]` answers 400 naming exactly that field. */
  const expectRefusals = async (module: { GET: unknown }, cases: [string, string][]) => {
    for (const [path, field] of cases) {
      expect({ path, ...(await refusal(module, path)) }).toEqual({ path, status: 400, code: 'bad_request:input', fields: [field] });
    }
  };

  beforeAll(async () => {
    app = await createAuthTestRoot(backend.env(schema));
    viewer = (await app.signedInAs('viewer')).cookie;
    admin = (await app.signedInAs('admin')).cookie;
    const journal = createJournalRepository(app.root.database.db);
    await journal.appendTrades(TRADES);
    await journal.appendDecisions(DECISIONS);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await backend.dropSchema(schema);
  });

  it('lists trades newest first, filtered by symbol, side and an inclusive date range', async () => {
    expect((await json(tradesRoute, '/api/trades')).body.items?.map((t) => t.id)).toEqual(['t4', 't2', 't3', 't1']);
    expect((await json(tradesRoute, '/api/trades?symbol=BTC%2FUSDT&side=long')).body.items?.map((t) => t.id)).toEqual(['t4', 't1']);
    // to=2024-01-04 includes that whole day (t2 exits 2024-01-04T00:00Z); from is inclusive.
    expect((await json(tradesRoute, '/api/trades?from=2024-01-03&to=2024-01-04')).body.items?.map((t) => t.id)).toEqual(['t2', 't3']);
    // A known symbol whose filters match nothing is an empty page, not an error.
    expect(await json(tradesRoute, '/api/trades?symbol=ETH%2FUSDT&side=short')).toEqual({ status: 200, body: { items: [], nextCursor: null } });
    // The framework's own parameters (_rsc on client navigations) pass.
    expect((await json(tradesRoute, '/api/trades?_rsc=1x2y&limit=1')).body.items?.map((t) => t.id)).toEqual(['t4']);
  });

  it('answers 400 naming the field for malformed trade list parameters', async () => {
    const cases: [string, string][] = [
      ['/api/trades?from=2024-13-45', 'from: expected a date like 2024-01-31 or an ISO time'],
      ['/api/trades?to=yesterday', 'to: expected a date like 2024-01-31 or an ISO time'],
      ['/api/trades?from=2024-02-01&to=2024-01-31', 'to: "2024-01-31" ends before from "2024-02-01" starts'],
      ['/api/trades?limit=1e9', 'limit: at most 1000'],
      ['/api/trades?limit=0', 'limit: at least 1'],
      ['/api/trades?limit=2.5', 'limit: expected a whole number'],
      ['/api/trades?sort=evil', 'sort: Invalid option: expected one of "time"|"pnl"|"symbol"'],
      ['/api/trades?outcome=maybe', 'outcome: Invalid option: expected one of "win"|"loss"'],
      ["/api/trades?page=-1", "page: not a parameter here: pages are keyset cursors (pass the previous answer's nextCursor as cursor; limit sets the page size)"],
      ['/api/trades?limt=5', 'limt: not a parameter here; expected one of symbol, strategy, run, account, from, to, dir, limit, cursor, sort, side, outcome'],
      ['/api/trades?account=Desk%201', 'account: expected an account id like "default"'],
      ['/api/trades?account=desk&run=r1', 'account: an account\'s rows come from its sessions, a run\'s from its backtest: give account "desk" or run "r1", not both'],
      ['/api/trades?cursor=garbage', 'cursor: field "cursor" was "garbage": not a cursor returned by a previous page with this sort'],
      ['/api/trades?symbol=BTCUSDT', 'symbol: field "symbol" was "BTCUSDT": no trade or decision in the journal has this symbol (symbols are case-sensitive, like "BTC/USDT")'],
      ['/api/trades?symbol=btc%2Fusdt', 'symbol: field "symbol" was "btc/usdt": no trade or decision in the journal has this symbol (symbols are case-sensitive, like "BTC/USDT")'],
    ];
    await expectRefusals(tradesRoute, cases);
  });

  it('applies the same rules to the decision log, where a symbol seen only in decisions is known', async () => {
    expect((await json(decisionsRoute, '/api/decisions?symbol=SOL%2FUSDT')).body.items?.map((d) => d.id)).toEqual(['d2']);
    expect((await json(decisionsRoute, '/api/decisions?outcome=executed')).body.items?.map((d) => d.id)).toEqual(['d1']);
    // SOL/USDT has a decision but no trade: the trade list is empty, not an error.
    expect(await json(tradesRoute, '/api/trades?symbol=SOL%2FUSDT')).toEqual({ status: 200, body: { items: [], nextCursor: null } });
    const cases: [string, string][] = [
      ['/api/decisions?outcome=bogus', 'outcome: Invalid option: expected one of "no_trade"|"signal"|"vetoed"|"denied"|"expired"|"cooldown"|"executed"'],
      ['/api/decisions?sort=pnl', 'sort: Invalid option: expected one of "time"|"symbol"'],
      ['/api/decisions?offset=100', "offset: not a parameter here: pages are keyset cursors (pass the previous answer's nextCursor as cursor; limit sets the page size)"],
      ['/api/decisions?symbol=NOPE%2FUSDT', 'symbol: field "symbol" was "NOPE/USDT": no trade or decision in the journal has this symbol (symbols are case-sensitive, like "BTC/USDT")'],
    ];
    await expectRefusals(decisionsRoute, cases);
  });

  it('exports the filtered trades as CSV, and refuses bad filters with a 400 before any row is sent', async () => {
    const response = await call(exportRoute, '/api/trades/export?symbol=BTC%2FUSDT&sort=pnl&dir=asc');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await response.text()).trim().split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['t2', 't4', 't1']);
    expect(await refusal(exportRoute, '/api/trades/export?symbol=NOPE%2FUSDT')).toMatchObject({ status: 400, fields: [expect.stringContaining('symbol: field "symbol" was "NOPE/USDT"')] });
    expect(await refusal(exportRoute, '/api/trades/export?from=31%2F01%2F2024')).toMatchObject({ status: 400, fields: ['from: expected a date like 2024-01-31 or an ISO time'] });
  });

  it('refuses offset paging and unknown parameters on the ticket and audit lists too', async () => {
    const offset = "not a parameter here: pages are keyset cursors (pass the previous answer's nextCursor as cursor; limit sets the page size)";
    expect(await refusal(ticketsRoute, '/api/tickets?page=-1')).toEqual({ status: 400, code: 'bad_request:input', fields: [`page: ${offset}`] });
    expect(await refusal(ticketsRoute, '/api/tickets?state=queued')).toEqual({ status: 400, code: 'bad_request:input', fields: ['state: not a parameter here; expected one of status, kind, limit, cursor'] });
    expect(await json(ticketsRoute, '/api/tickets?status=queued&limit=5')).toEqual({ status: 200, body: { items: [], nextCursor: null } });
    expect(await refusal(auditRoute, '/api/audit?per_page=100', admin)).toEqual({ status: 400, code: 'bad_request:input', fields: [`per_page: ${offset}`] });
    expect((await json(auditRoute, '/api/audit?limit=1', admin)).status).toBe(200);
  });
});
