/**
 * Journal query contract: filters (symbol, strategy, run, side, outcome, time), server-side sorts
 * (time, pnl, symbol; both directions) with keyset pages, the decision chain of a trade and the
 * streamed CSV export. Run unchanged against the in-memory repository, embedded PGlite and a real
 * PostgreSQL (TEST_DATABASE_URL; its own schema, dropped afterwards). Expected orders below were
 * worked out by hand from the six trades and eight decisions listed here.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../engine/core/errors';
import type { DecisionRecord, JournalQuery, Page, TradeRecord } from '../../engine/ports/journal';
import { loadDecisionChain } from '../../engine/journal/decision-chain';
import { TRADE_CSV_COLUMNS, tradesToCsv } from '../../engine/journal/trade-csv';
import { JOURNAL_BACKENDS, useJournalBackend } from '../support/journal-backends';

const T0 = 1704067200000; // 2024-01-01T00:00:00.000Z
const M = 60_000;

function trade(id: string, symbol: string, side: 'long' | 'short', realizedPnl: number, exitMinute: number, runId: string | null, strategy = 'ema-trend'): TradeRecord {
  return {
    id,
    runId,
    exchange: 'binance',
    symbol,
    strategy,
    side,
    amount: 0.5,
    entryPrice: 100,
    exitPrice: 101,
    entryTimeMs: T0 + (exitMinute - 1) * M,
    exitTimeMs: T0 + exitMinute * M,
    realizedPnl,
    fees: 0.1,
    funding: 0,
    exitReason: 'signal',
  };
}

const TRADES: TradeRecord[] = [
  trade('a1', 'BTC/USDT', 'long', 12.5, 3, 'r1'),
  trade('a2', 'ETH/USDT', 'short', -3.25, 1, 'r1', 'ma-crossover'),
  trade('a3', 'BTC/USDT', 'short', 0, 2, null),
  trade('a4', 'SOL/USDT', 'long', 100.1, 2, 'r1'),
  trade('a5', 'ETH/USDT', 'long', -50, 5, null, 'ma-crossover'),
  { ...trade('a6', 'BTC/USDT', 'long', 7.75, 4, 'r1'), exitReason: 'stop, "gap" down' },
];

function decision(id: string, symbol: string, minute: number, outcome: DecisionRecord['outcome'], side: DecisionRecord['side'], runId: string | null, reason: string, inputs: Record<string, unknown> = {}): DecisionRecord {
  return { id, runId, exchange: 'binance', symbol, timeframe: '1m', strategy: 'ema-trend', timeMs: T0 + minute * M, outcome, side, strength: 0.5, reason, inputs };
}

/** The chain trade: BTC long in run r2, entry fill 5 s after the 10:03 decision, exit at 10:06. */
const CHAIN_TRADE: TradeRecord = { ...trade('c1', 'BTC/USDT', 'long', 4, 106, 'r2'), entryTimeMs: T0 + 103 * M + 5_000 };
const DECISIONS: DecisionRecord[] = [
  decision('d1', 'BTC/USDT', 101, 'no_trade', 'flat', 'r2', 'no fused signal'),
  decision('d2', 'BTC/USDT', 102, 'vetoed', 'long', 'r2', 'veto model v3 gave loss probability 0.8100 >= 0.6', { veto: { confidence: 0.81 } }),
  decision('d3', 'BTC/USDT', 103, 'executed', 'long', 'r2', 'entered long 0.5 at ~100', { orderId: 'o-entry', risk: [{ check: 'notional', ok: true }] }),
  decision('d4', 'ETH/USDT', 103, 'denied', 'short', 'r2', 'notional 1200 above cap 1000'),
  decision('d5', 'BTC/USDT', 106, 'executed', 'short', 'r2', 'exit long: fused signal turned short', { orderId: 'o-exit' }),
  decision('d6', 'BTC/USDT', 104, 'denied', 'long', null, 'halted: daily loss limit'),
  decision('d7', 'BTC/USDT', 109, 'executed', 'long', 'r2', 'entered long 0.4 at ~99'),
  decision('d8', 'BTC/USDT', 105, 'cooldown', 'long', 'r2', 'symbol in cooldown for 600000 ms after the last entry'),
];

/** 2 500 generated trades: more than two export pages of 1 000. */
const MANY = Array.from({ length: 2_500 }, (_, i) => ({
  ...trade(`m${String(i).padStart(5, '0')}`, 'XRP/USDT', i % 2 === 0 ? 'long' : 'short', (i % 7) - 3, 1_000 + Math.floor(i / 3), 'bulk'),
}));

async function allPages<T>(list: (q: JournalQuery) => Promise<Page<T>>, q: JournalQuery): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ ...q, cursor });
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 50);
  return pages;
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe.each(JOURNAL_BACKENDS)('journal queries on $name', (backend) => {
  const repo = useJournalBackend(backend, async (journal) => {
    await journal.appendTrades([...TRADES, CHAIN_TRADE]);
    await journal.appendDecisions(DECISIONS);
    await journal.appendTrades(MANY);
  });

  const small = { toMs: T0 + 100 * M };

  describe('trades', () => {
    it('lists newest exit first by default, breaking a time tie by id descending', async () => {
      expect(ids((await repo().listTrades(small)).items)).toEqual(['a5', 'a6', 'a1', 'a4', 'a3', 'a2']);
    });

    it('sorts by net pnl both ways across keyset pages without gaps or repeats', async () => {
      expect(ids((await repo().listTrades({ ...small, sort: 'pnl' })).items)).toEqual(['a4', 'a1', 'a6', 'a3', 'a2', 'a5']);
      const pages = await allPages((q) => repo().listTrades(q), { ...small, sort: 'pnl', direction: 'asc', limit: 2 });
      expect(pages.map(ids)).toEqual([['a5', 'a2'], ['a3', 'a6'], ['a1', 'a4']]);
    });

    it('sorts by symbol, then exit time, then id, in the requested direction', async () => {
      expect(ids((await repo().listTrades({ ...small, sort: 'symbol', direction: 'asc' })).items)).toEqual(['a3', 'a1', 'a6', 'a2', 'a5', 'a4']);
      const pages = await allPages((q) => repo().listTrades(q), { ...small, sort: 'symbol', limit: 4 });
      expect(pages.map(ids)).toEqual([['a4', 'a5', 'a2', 'a6'], ['a1', 'a3']]);
    });

    it('filters wins (net pnl > 0) and losses (net pnl <= 0, break-even included)', async () => {
      expect(ids((await repo().listTrades({ ...small, outcome: 'win' })).items)).toEqual(['a6', 'a1', 'a4']);
      expect(ids((await repo().listTrades({ ...small, outcome: 'loss' })).items)).toEqual(['a5', 'a3', 'a2']);
    });

    it('knows a symbol that any trade or decision has, exactly as written', async () => {
      expect(await repo().hasSymbol('SOL/USDT')).toBe(true); // trades only
      expect(await repo().hasSymbol('ETH/USDT')).toBe(true);
      expect(await repo().hasSymbol('sol/usdt')).toBe(false);
      expect(await repo().hasSymbol('SOLUSDT')).toBe(false);
      expect(await repo().hasSymbol('ADA/USDT')).toBe(false);
    });

    it('filters by side, strategy, live-only run and time range', async () => {
      expect(ids((await repo().listTrades({ ...small, side: 'short' })).items)).toEqual(['a3', 'a2']);
      expect(ids((await repo().listTrades({ ...small, strategy: 'ma-crossover' })).items)).toEqual(['a5', 'a2']);
      expect(ids((await repo().listTrades({ ...small, runId: null })).items)).toEqual(['a5', 'a3']);
      expect(ids((await repo().listTrades({ fromMs: T0 + 2 * M, toMs: T0 + 4 * M })).items)).toEqual(['a1', 'a4', 'a3']);
    });

    it('combines filters with a non-default sort', async () => {
      expect(ids((await repo().listTrades({ symbol: 'BTC/USDT', outcome: 'win', sort: 'pnl', direction: 'asc', ...small })).items)).toEqual(['a6', 'a1']);
    });

    it('pages 2 500 rows by pnl with every row exactly once, in order', async () => {
      const pages = await allPages((q) => repo().listTrades(q), { runId: 'bulk', sort: 'pnl', limit: 1000 });
      expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500]);
      const rows = pages.flat();
      expect(new Set(ids(rows)).size).toBe(2_500);
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [rows[i - 1], rows[i]];
        expect(a.realizedPnl > b.realizedPnl || (a.realizedPnl === b.realizedPnl && a.id > b.id), `${a.id} before ${b.id}`).toBe(true);
      }
    });

    it('reads one trade by id and null for an unknown id', async () => {
      // Written without an initial risk, it reads back with initialRisk null.
      expect(await repo().getTrade('a6')).toEqual({ ...TRADES[5], initialRisk: null });
      expect(await repo().getTrade('nope')).toBeNull();
    });

    it('rejects an outcome, side or cursor that does not fit, naming the field', async () => {
      await expect(repo().listTrades({ outcome: 'vetoed' })).rejects.toBeInstanceOf(ValidationError);
      await expect(repo().listTrades({ outcome: 'vetoed' })).rejects.toMatchObject({ field: 'outcome' });
      await expect(repo().listTrades({ side: 'flat' })).rejects.toMatchObject({ field: 'side' });
      const pnlPage = await repo().listTrades({ ...small, sort: 'pnl', limit: 1 });
      await expect(repo().listTrades({ ...small, cursor: pnlPage.nextCursor! })).rejects.toMatchObject({ field: 'cursor' });
    });
  });

  describe('decisions', () => {
    it('filters by outcome and live-only run, newest first, keeping denial reasons', async () => {
      const denied = (await repo().listDecisions({ outcome: 'denied' })).items;
      expect(denied.map((d) => [d.id, d.reason])).toEqual([
        ['d6', 'halted: daily loss limit'],
        ['d4', 'notional 1200 above cap 1000'],
      ]);
      expect(ids((await repo().listDecisions({ outcome: 'denied', runId: null })).items)).toEqual(['d6']);
    });

    it('filters by side and sorts by symbol', async () => {
      expect(ids((await repo().listDecisions({ side: 'flat' })).items)).toEqual(['d1']);
      expect(ids((await repo().listDecisions({ sort: 'symbol', direction: 'asc', runId: 'r2' })).items)).toEqual(['d1', 'd2', 'd3', 'd8', 'd5', 'd7', 'd4']);
    });

    it('rejects a pnl sort and a trade outcome, naming the field', async () => {
      await expect(repo().listDecisions({ sort: 'pnl' })).rejects.toMatchObject({ field: 'sort' });
      await expect(repo().listDecisions({ outcome: 'win' })).rejects.toMatchObject({ field: 'outcome' });
    });
  });

  describe('decision chain', () => {
    it('runs from the entry decision to the exit on the same symbol and run, oldest first', async () => {
      const chain = await loadDecisionChain(repo(), 'c1');
      expect(chain).not.toBeNull();
      expect(chain!.entryDecisionTimeMs).toBe(T0 + 103 * M);
      expect(ids(chain!.decisions)).toEqual(['d3', 'd8', 'd5']);
      expect(chain!.decisions[0].inputs).toEqual({ orderId: 'o-entry', risk: [{ check: 'notional', ok: true }] });
      expect(chain!.truncated).toBe(false);
      expect(await loadDecisionChain(repo(), 'missing')).toBeNull();
    });
  });

  describe('CSV export', () => {
    async function csvOf(query: Omit<JournalQuery, 'cursor' | 'limit'>): Promise<string> {
      let text = '';
      for await (const chunk of tradesToCsv(repo().iterTrades(query))) text += chunk;
      return text;
    }

    it('writes the header and one quoted-as-needed line per filtered trade', async () => {
      const lines = (await csvOf({ symbol: 'BTC/USDT', toMs: T0 + 100 * M })).split('\r\n');
      expect(lines).toEqual([
        TRADE_CSV_COLUMNS.join(','),
        // No initial risk journaled for these trades: empty initial_risk and r_multiple.
        'a6,r1,,binance,BTC/USDT,ema-trend,long,0.5,100,101,2024-01-01T00:03:00.000Z,2024-01-01T00:04:00.000Z,7.75,0.1,0,7.65,"stop, ""gap"" down",,',
        'a1,r1,,binance,BTC/USDT,ema-trend,long,0.5,100,101,2024-01-01T00:02:00.000Z,2024-01-01T00:03:00.000Z,12.5,0.1,0,12.4,signal,,',
        'a3,,,binance,BTC/USDT,ema-trend,short,0.5,100,101,2024-01-01T00:01:00.000Z,2024-01-01T00:02:00.000Z,0,0.1,0,-0.1,signal,,',
        '',
      ]);
    });

    it('streams 2 500 trades across keyset pages: header plus 2 500 lines', async () => {
      const lines = (await csvOf({ runId: 'bulk' })).split('\r\n').filter((l) => l !== '');
      expect(lines).toHaveLength(2_501);
      expect(lines[0]).toBe('id,run_id,account_id,exchange,symbol,strategy,side,amount,entry_price,exit_price,entry_time,exit_time,realized_pnl,fees,funding,net_pnl,exit_reason,initial_risk,r_multiple');
      expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(2_500);
    });
  });
});
