/**
 * The journal's sort by net PnL (realized_pnl::float8 − fees::float8 − funding::float8, the engine's
 * tradeNetPnl) is served by trades_net_pnl_idx (migration 0022): its keyset pages read the index in
 * order instead of sorting every matching trade. Sequential and bitmap scans are switched off for the
 * plan, as the planner would prefer them on a table this small; without a matching index it would still sort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { TRADE_NET_PNL } from '../../db/repositories/journal-repository';
import { trades } from '../../db/schema';
import { rowsOf } from '../../db/repositories/sql-helpers';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

describe.each(TEST_DATABASE_BACKENDS)('net PnL index on $name', (backend) => {
  let database: Database;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
  }, 60_000);

  afterAll(async () => {
    await dispose?.();
  });

  async function plan(query: SQL): Promise<string> {
    return database.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_bitmapscan = off`);
      return rowsOf<{ 'QUERY PLAN': string }>(await tx.execute(sql`explain ${query}`)).map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it('serves the first page sorted by net PnL, highest first, from the index without a sort', async () => {
    const text = await plan(sql`select * from ${trades} order by ${TRADE_NET_PNL} desc, ${trades.id} desc limit 51`);
    expect(text).toContain('Index Scan Backward using trades_net_pnl_idx');
    expect(text).not.toMatch(/\bSort\b/);
  });

  it('serves a later page, lowest first, from the index with the cursor as the index condition', async () => {
    const text = await plan(sql`select * from ${trades} where (${TRADE_NET_PNL}, ${trades.id}) > (${'-5'}::float8, ${'t-9'}) order by ${TRADE_NET_PNL} asc, ${trades.id} asc limit 51`);
    expect(text).toContain('Index Scan using trades_net_pnl_idx');
    expect(text).toContain('Index Cond');
    expect(text).not.toMatch(/\bSort\b/);
  });
});
