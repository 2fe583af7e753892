/**
 * The journal records whose session traded: live, paper and replay trades and decisions carry their account,
 * a backtest's rows carry none. An account's trades are listed, summarised and grouped apart from every other
 * account's (what its overview, snapshots, drift view and the journal's account filter show), on the in-memory
 * repository, embedded PGlite and a real PostgreSQL. Migration 0023 attributes the live rows journaled before it
 * to the default account and leaves a backtest's rows without one. Every figure is worked out by hand.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { rowsOf } from '../../db/repositories/sql-helpers';
import type { DecisionRecord, TradeRecord } from '../../engine/ports/journal';
import { JOURNAL_BACKENDS, useJournalBackend } from '../support/journal-backends';
import { POSTGRES_URL } from '../support/ml-databases';

const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00.000Z
const H = 3_600_000;

function trade(id: string, owner: { runId: string } | { accountId: string }, exitTimeMs: number, realizedPnl: number, fees: number): TradeRecord {
  return {
    id,
    runId: 'runId' in owner ? owner.runId : null,
    ...('accountId' in owner ? { accountId: owner.accountId } : {}),
    exchange: 'binance',
    symbol: 'BTC/USDT',
    strategy: 'ema-trend',
    side: 'long',
    amount: 1,
    entryPrice: 100,
    exitPrice: 100,
    entryTimeMs: exitTimeMs - H,
    exitTimeMs,
    realizedPnl,
    fees,
    funding: 0,
    exitReason: 'signal',
    initialRisk: null,
  };
}

function decision(id: string, owner: { runId: string } | { accountId: string } | null, timeMs: number): DecisionRecord {
  return {
    id,
    runId: owner && 'runId' in owner ? owner.runId : null,
    ...(owner && 'accountId' in owner ? { accountId: owner.accountId } : {}),
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    strategy: 'ema-trend',
    timeMs,
    outcome: 'no_trade',
    side: 'flat',
    strength: 0,
    reason: 'flat',
    inputs: {},
  };
}

const DEFAULT = { accountId: 'default' };
const DESK = { accountId: 'swing-desk' };
const RUN = { runId: 'run-1' };

const TRADES: TradeRecord[] = [
  trade('d1', DEFAULT, T0 + H, 30, 1), // net 29
  trade('d2', DEFAULT, T0 + 2 * H, -10, 1), // net -11
  trade('s1', DESK, T0 + 3 * H, 500, 0), // net 500, another account's session
  trade('r1', RUN, T0 + 4 * H, 1_000, 0), // a backtest's
];

const DECISIONS: DecisionRecord[] = [
  decision('dd1', DEFAULT, T0 + H),
  decision('sd1', DESK, T0 + 2 * H),
  decision('rd1', RUN, T0 + 3 * H),
  decision('webhook', null, T0 + 4 * H), // an outside alert no account's session made
];

describe.each(JOURNAL_BACKENDS)('journal rows of one account on $name', (backend) => {
  const repo = useJournalBackend(backend, async (journal) => {
    await journal.appendTrades(TRADES);
    await journal.appendDecisions(DECISIONS);
  });

  it("lists an account's trades and decisions only, reading back whose they are; a backtest's rows carry no account", async () => {
    const mine = await repo().listTrades({ accountId: 'default', sort: 'time', direction: 'asc' });
    expect(mine.items).toEqual([TRADES[0], TRADES[1]]);
    expect((await repo().listTrades({ accountId: 'swing-desk' })).items.map((t) => t.id)).toEqual(['s1']);
    expect((await repo().listTrades({ accountId: 'nobody' })).items).toEqual([]);
    const backtest = await repo().getTrade('r1');
    expect(backtest).toEqual(TRADES[3]);
    expect(backtest).not.toHaveProperty('accountId');
    expect((await repo().listDecisions({ accountId: 'default' })).items).toEqual([DECISIONS[0]]);
    expect((await repo().listDecisions({ accountId: 'swing-desk' })).items.map((d) => d.id)).toEqual(['sd1']);
    // Without an account filter every live row is listed, the outside alert's too.
    expect((await repo().listDecisions({ runId: null, sort: 'time', direction: 'asc' })).items.map((d) => d.id)).toEqual(['dd1', 'sd1', 'webhook']);
    const exported: string[] = [];
    for await (const t of repo().iterTrades({ accountId: 'default', direction: 'asc' })) exported.push(t.id);
    expect(exported).toEqual(['d1', 'd2']);
  });

  it("summarises and groups an account's trades apart from the other account's and the backtest's", async () => {
    const mine = await repo().summarizeTrades({ runId: null, accountId: 'default' });
    expect(mine).toMatchObject({ trades: 2, wins: 1, losses: 1, grossProfit: 29, grossLoss: 11, netPnl: 18, firstEntryMs: T0, exposureMs: 2 * H });
    expect(mine.daily).toEqual([{ dayStartMs: T0, netPnl: 18 }]);
    expect(await repo().summarizeTrades({ runId: null, accountId: 'swing-desk' })).toMatchObject({ trades: 1, wins: 1, netPnl: 500 });
    // Every live trade, as before accounts were recorded: both accounts' (29 - 11 + 500).
    expect(await repo().summarizeTrades({ runId: null })).toMatchObject({ trades: 3, netPnl: 518 });
    const groups = await repo().breakdownTrades({ accountId: 'default' });
    expect(groups.trades).toBe(2);
    expect(groups.strategy).toEqual([{ key: 'ema-trend', trades: 2, wins: 1, winRate: 0.5, netPnl: 18, averageR: null }]);
    expect((await repo().breakdownTrades({ accountId: 'swing-desk' })).trades).toBe(1);
  });

  it('names a bad account id and an account given with a run id', async () => {
    await expect(repo().listTrades({ accountId: 'Not An Id' })).rejects.toThrow('field "accountId" was "Not An Id"');
    await expect(repo().listDecisions({ accountId: '' })).rejects.toThrow('field "accountId" was ""');
    await expect(repo().summarizeTrades({ runId: null, accountId: 'BAD!' })).rejects.toThrow('field "accountId" was "BAD!"');
    await expect(repo().summarizeTrades({ runId: 'run-1', accountId: 'default' })).rejects.toThrow(/field "accountId" was "default".*give runId null with it, not "run-1"/);
  });
});

const MIGRATIONS = path.resolve(import.meta.dirname, '../../db/migrations');
const TAGS = (JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);

/** The migrations up to and including `tag` (a database written by the build before it). */
function migrationsUpTo(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const file = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag) + 1);
  writeFileSync(file, JSON.stringify(journal));
  return dir;
}

const DATABASES: { name: string; open(dataDir: string, schema: string): Promise<Database> }[] = [
  { name: 'PGlite', open: (dataDir, schema) => createDatabase({ dataDir, schema }) },
  { name: 'PostgreSQL', open: (dataDir, schema) => createDatabase({ url: POSTGRES_URL, dataDir, schema }) },
];

describe.each(DATABASES)('migration 0023 on $name', { timeout: 120_000 }, (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-journal-accounts-'));
  const before = migrationsUpTo('0022_trades_version_net_pnl_index');
  let database: Database;

  beforeAll(async () => {
    expect(TAGS).toContain('0023_journal_account');
    database = await backend.open(dataDir, schema);
    await migrateDatabase(database, { migrationsFolder: before });
  });
  afterAll(async () => {
    if (backend.name === 'PostgreSQL') await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(before, { recursive: true, force: true });
  });

  it("attributes the live rows journaled before it to the default account and leaves a backtest's rows without one", async () => {
    const db = database.db;
    // Rows as the build before it wrote them: no account column.
    await db.execute(sql`insert into trades (id, run_id, exchange, symbol, strategy, side, amount, entry_price, exit_price, realized_pnl, fees, funding, entry_time_ms, exit_time_ms, exit_reason)
      values ('old-live', null, 'binance', 'BTC/USDT', 'ema-trend', 'long', 1, 100, 101, 1, 0, 0, ${T0}, ${T0 + H}, 'signal'),
             ('old-run', 'run-1', 'binance', 'BTC/USDT', 'ema-trend', 'long', 1, 100, 101, 1, 0, 0, ${T0}, ${T0 + H}, 'signal')`);
    await db.execute(sql`insert into decision_log (id, run_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
      values ('old-live-d', null, 'binance', 'BTC/USDT', '1h', 'ema-trend', ${T0}, 'no_trade', 'flat', 0, 'flat', '{}'::jsonb),
             ('old-run-d', 'run-1', 'binance', 'BTC/USDT', '1h', 'ema-trend', ${T0}, 'no_trade', 'flat', 0, 'flat', '{}'::jsonb)`);
    await migrateDatabase(database);
    const trades = rowsOf<{ id: string; account_id: string | null }>(await db.execute(sql`select id, account_id from trades order by id`));
    expect(trades).toEqual([
      { id: 'old-live', account_id: 'default' },
      { id: 'old-run', account_id: null },
    ]);
    const decisions = rowsOf<{ id: string; account_id: string | null }>(await db.execute(sql`select id, account_id from decision_log order by id`));
    expect(decisions).toEqual([
      { id: 'old-live-d', account_id: 'default' },
      { id: 'old-run-d', account_id: null },
    ]);
    const repo = createJournalRepository(db);
    expect((await repo.summarizeTrades({ runId: null, accountId: 'default' })).trades).toBe(1);
    expect((await repo.getTrade('old-live'))?.accountId).toBe('default');
  });
});
