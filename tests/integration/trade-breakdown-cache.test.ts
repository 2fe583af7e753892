/**
 * The journal repository caches `breakdownTrades` per filter and trades version
 * (db/migrations/0022_trades_version_net_pnl_index.sql): a page view reuses the grouping computed at the current
 * version, and any committed change to trades, by this server or another one on the same database,
 * shows in the next breakdown. Two repositories over one database stand for two web servers.
 * Expected numbers are worked out by hand from the trades below (net = realised − fees − funding).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import type { JournalRepository, TradeRecord } from '../../engine/ports/journal';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1); // Monday 00:00 UTC
const H = 3_600_000;

function trade(id: string, runId: string | null, realizedPnl: number, exitHours: number): TradeRecord {
  return { id, runId, exchange: 'binance', symbol: 'BTC/USDT', strategy: 'ema-trend', side: 'long', amount: 1, entryPrice: 100, exitPrice: 100, entryTimeMs: T0 + (exitHours - 1) * H, exitTimeMs: T0 + exitHours * H, realizedPnl, fees: 1, funding: 0, exitReason: 'signal', initialRisk: null };
}

/** Trades, wins and net PnL of the one strategy group (every trade here is ema-trend). */
async function totals(repo: JournalRepository, filter: Parameters<JournalRepository['breakdownTrades']>[0]) {
  const b = await repo.breakdownTrades(filter);
  return { trades: b.trades, wins: b.strategy[0]?.wins ?? 0, net: b.strategy[0]?.netPnl ?? 0 };
}

describe.each(TEST_DATABASE_BACKENDS)('cached trade breakdown on $name', (backend) => {
  let database: Database;
  let dispose: (() => Promise<void>) | undefined;
  let serverA: JournalRepository;
  let serverB: JournalRepository;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
    serverA = createJournalRepository(database.db);
    serverB = createJournalRepository(database.db);
    await serverA.appendTrades([trade('a1', null, 11, 1), trade('a2', null, -4, 2)]); // nets 10 and -5
  }, 60_000);

  afterAll(async () => {
    await dispose?.();
  });

  it('serves a repeated breakdown from the cache while trades are unchanged', async () => {
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 2, wins: 1, net: 5 });
    // A row slipped in behind the version counter's back (trigger off) is not seen: the cache answered.
    await database.db.execute(sql`alter table trades disable trigger trades_version_bump`);
    try {
      await database.db.execute(sql`insert into trades (id, run_id, exchange, symbol, strategy, side, amount, entry_price, exit_price, realized_pnl, fees, funding, entry_time_ms, exit_time_ms, exit_reason) values ('hidden', null, 'binance', 'BTC/USDT', 'ema-trend', 'long', 1, 100, 100, 1000, 0, 0, ${T0}, ${T0 + H}, 'signal')`);
    } finally {
      await database.db.execute(sql`alter table trades enable trigger trades_version_bump`);
    }
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 2, wins: 1, net: 5 });
    await database.db.execute(sql`delete from trades where id = 'hidden'`); // bumps the version
  });

  it('shows a trade appended by another server in the next breakdown', async () => {
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 2, wins: 1, net: 5 });
    await serverB.appendTrades([trade('b1', null, 21, 3)]); // net 20
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 3, wins: 2, net: 25 });
  });

  it('shows a changed trade in the next breakdown', async () => {
    await database.db.execute(sql`update trades set realized_pnl = 1 where id = 'a1'`); // net 0: no longer a win
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 3, wins: 1, net: 15 });
  });

  it('keeps one cache entry per filter', async () => {
    await serverA.appendTrades([trade('r1', 'run-1', 6, 4)]); // net 5
    expect(await totals(serverA, { runId: 'run-1' })).toEqual({ trades: 1, wins: 1, net: 5 });
    expect(await totals(serverA, { runId: null })).toEqual({ trades: 3, wins: 1, net: 15 });
    expect(await totals(serverA, {})).toEqual({ trades: 4, wins: 2, net: 20 });
    expect(await totals(serverA, { runId: null, fromMs: T0 + 2 * H })).toEqual({ trades: 2, wins: 1, net: 15 });
  });

  it('drops deleted trades from the next breakdown', async () => {
    expect(await totals(serverB, {})).toEqual({ trades: 4, wins: 2, net: 20 });
    await database.db.execute(sql`delete from trades where run_id = 'run-1'`);
    expect(await totals(serverB, {})).toEqual({ trades: 3, wins: 1, net: 15 });
  });

  it('does not keep a refused filter', async () => {
    await expect(serverA.breakdownTrades({ runId: null, side: 'flat' })).rejects.toThrow('field "side" was "flat"');
    await expect(serverA.breakdownTrades({ runId: null, side: 'flat' })).rejects.toThrow('field "side" was "flat"');
  });
});
