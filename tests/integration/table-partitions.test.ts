/**
 * Monthly partitions of `candles` and `decision_log` (migration 0018), on embedded PGlite and on the
 * real PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), each in its own
 * schema: rows written before the migration survive it exactly (counts and an md5 over every row), the
 * rollover job drops a whole month partition of live decisions (gone from pg_inherits) and keeps a month
 * holding backtest decisions, and the repositories create the month partition of the candles and
 * decisions they insert on demand (rows of that month waiting in the default partition move in).
 * An unreachable PostgreSQL fails this suite; it is never skipped.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createSnapshotRepository } from '../../db/repositories/snapshot-repository';
import { createPartitionRepository } from '../../db/repositories/partition-repository';
import { rowsOf } from '../../db/repositories/sql-helpers';
import { runRolloverJob } from '../../engine/jobs/account-jobs';
import { createManualClock, silentLogger } from '../../engine/core/clock';
import type { DecisionRecord } from '../../engine/ports/journal';
import type { JobContext } from '../../engine/jobs/job-context';
import { POSTGRES_URL } from '../support/ml-databases';

const MIGRATIONS = path.resolve(import.meta.dirname, '../../db/migrations');
const JAN = Date.UTC(2024, 0, 1);
const FEB = Date.UTC(2024, 1, 1);
const MAR = Date.UTC(2024, 2, 1);
const HOUR = 3_600_000;

/** The migrations folder as it was before 0018 (a database written by the previous version). */
function migrationsBefore0018(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  // The previous version had none of 0018 and what came after it (drizzle applies only migrations newer than the last applied).
  journal.entries = journal.entries.filter((e) => e.tag < '0018_');
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

function decision(id: string, timeMs: number, runId: string | null = null): DecisionRecord {
  return { id, runId, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', strategy: 'ema-trend', timeMs, outcome: 'no_trade', side: 'flat', strength: 0.25, reason: `flat at ${timeMs}`, inputs: { close: timeMs / 1e9, nested: { ok: true } } };
}

const context: JobContext = { ticketId: 't-1', attempt: 1, signal: new AbortController().signal, logger: silentLogger, reportProgress: async () => undefined } as unknown as JobContext;

interface Backend {
  name: string;
  open(migrationsFolder: string): Promise<{ database: Database; reopen(): Promise<Database>; dispose(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'PGlite',
    async open(migrationsFolder) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-partitions-'));
      let database = await createDatabase({ dataDir });
      await migrateDatabase(database, { migrationsFolder });
      return {
        database,
        async reopen() {
          await database.close();
          database = await createDatabase({ dataDir });
          return database;
        },
        async dispose() {
          await database.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open(migrationsFolder) {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const database = await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
      await migrateDatabase(database, { migrationsFolder });
      return {
        database,
        reopen: async () => database,
        async dispose() {
          await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
          await database.close();
        },
      };
    },
  },
];

const oldMigrations = migrationsBefore0018();
afterAll(() => rmSync(oldMigrations, { recursive: true, force: true }));

describe.each(BACKENDS)('monthly partitions on $name', { timeout: 120_000 }, (backend) => {
  /**
   * Row count and md5 over every row in key order (the same text before and after the migration), without the
   * account column a later migration (0023, tests/integration/journal-accounts.test.ts) adds and fills.
   */
  async function fingerprint(database: Database, table: 'candles' | 'decision_log') {
    const order = table === 'candles' ? 'exchange, symbol, timeframe, open_time_ms' : 'id';
    const rows = rowsOf<{ n: number; digest: string }>(
      await database.db.execute(sql.raw(`select count(*)::int as n, md5(string_agg((to_jsonb(t) - 'account_id')::text, '|' order by ${order})) as digest from ${table} t`)),
    );
    return rows[0];
  }
  const partitionsOf = async (database: Database, table: string) =>
    rowsOf<{ name: string }>(await database.db.execute(sql.raw(`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = '${table}'::regclass order by 1`))).map((r) => r.name);
  const tableOf = async (database: Database, id: string) =>
    rowsOf<{ name: string }>(await database.db.execute(sql`select tableoid::regclass::text as name from decision_log where id = ${id}`)).map((r) => r.name);

  it('keeps every candle and decision through the migration, in month partitions plus a default', async () => {
    const { database: before, reopen, dispose } = await backend.open(oldMigrations);
    try {
      const candles = createCandleRepository(before.db);
      // 1 000 hourly candles from 2024-01-01: January (744), February (256).
      const n = 1_000;
      const openTimeMs = Float64Array.from({ length: n }, (_, i) => JAN + i * HOUR);
      const close = Float64Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 7) * 3 + 0.123456789);
      await candles.insertCandles(
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
        { length: n, openTimeMs, open: close, high: close.map((c) => c + 1), low: close.map((c) => c - 1), close, volume: close.map((c) => c * 10) },
      );
      // Written as the build of that schema wrote them (today's repository also writes the account, migration 0023).
      for (const d of [decision('d-jan', JAN + 5), decision('d-feb', FEB + 5), decision('d-mar-bt', MAR + 5, 'run-1')]) {
        await before.db.execute(sql`insert into decision_log (id, run_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
          values (${d.id}, ${d.runId}, ${d.exchange}, ${d.symbol}, ${d.timeframe}, ${d.strategy}, ${d.timeMs}, ${d.outcome}, ${d.side}, ${d.strength}, ${d.reason}, ${JSON.stringify(d.inputs)}::jsonb)`);
      }
      const candlesBefore = await fingerprint(before, 'candles');
      const decisionsBefore = await fingerprint(before, 'decision_log');
      expect(candlesBefore.n).toBe(1_000);
      expect(decisionsBefore.n).toBe(3);

      const database = await reopen();
      await migrateDatabase(database, { migrationsFolder: MIGRATIONS });
      expect(await fingerprint(database, 'candles')).toEqual(candlesBefore);
      expect(await fingerprint(database, 'decision_log')).toEqual(decisionsBefore);
      expect(await partitionsOf(database, 'candles')).toEqual(['candles_default', 'candles_p202401', 'candles_p202402']);
      expect(await partitionsOf(database, 'decision_log')).toEqual(['decision_log_default', 'decision_log_p202401', 'decision_log_p202402', 'decision_log_p202403']);
      const perMonth = rowsOf<{ name: string; n: number }>(await database.db.execute(sql`select tableoid::regclass::text as name, count(*)::int as n from candles group by 1 order by 1`));
      expect(perMonth).toEqual([{ name: 'candles_p202401', n: 744 }, { name: 'candles_p202402', n: 256 }]);
      // The repositories read through the parent as before.
      const loaded = await createCandleRepository(database.db).loadCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' } as never, JAN, JAN + n * HOUR);
      expect(loaded.length).toBe(1_000);
      expect(Array.from(loaded.close)).toEqual(Array.from(close));
    } finally {
      await dispose();
    }
  });

  it('rollover drops a month partition of live decisions and keeps one holding backtest decisions', async () => {
    const { database, dispose } = await backend.open(MIGRATIONS);
    try {
      const journal = createJournalRepository(database.db);
      const partitions = createPartitionRepository(database.db);
      await partitions.ensureMonths(JAN, 2);
      await journal.appendDecisions([decision('jan-1', JAN + 1), decision('jan-2', JAN + 2 * HOUR), decision('feb-live', FEB + 1), decision('feb-bt', FEB + 2, 'run-1'), decision('mar-1', MAR + 1)]);
      // Now 2024-04-15: retention 30 days from midnight -> cutoff 2024-03-16; January and February end before it.
      const clock = createManualClock(Date.UTC(2024, 3, 15, 0, 5));
      const result = await runRolloverJob({ retentionDays: 30 }, context, {
        journal,
        snapshots: createSnapshotRepository(database.db),
        account: async () => ({ accountId: 'default', equity: 1_000, walletBalance: 1_000, openPositionCount: 0, positions: [], openOrderCount: 0 }),
        clock,
        newId: () => 'snap-1',
        partitions,
      });
      // 2 rows in the dropped January partition + February's live row deleted row-wise + March's row (before the cutoff).
      expect(result).toMatchObject({ prunedDecisions: 4, pruneBeforeMs: Date.UTC(2024, 2, 16), droppedPartitions: ['decision_log_p202401'] });
      const left = await partitionsOf(database, 'decision_log');
      expect(left).not.toContain('decision_log_p202401');
      expect(left).toEqual(expect.arrayContaining(['decision_log_default', 'decision_log_p202402', 'decision_log_p202403', 'decision_log_p202404', 'decision_log_p202407']));
      expect(rowsOf<{ id: string }>(await database.db.execute(sql`select id from decision_log order by id`)).map((r) => r.id)).toEqual(['feb-bt']);
    } finally {
      await dispose();
    }
  });

  it('creates the month partition of journaled decisions on demand, moving a row that waited in the default partition', async () => {
    const { database, dispose } = await backend.open(MIGRATIONS);
    try {
      const far = Date.UTC(2031, 4, 20);
      // A row of May 2031 left in the default partition (written past the repository, as an older build did).
      await database.db.execute(
        sql`insert into decision_log (id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs) values ('waiting', 'binance', 'BTC/USDT', '1h', 'ema-trend', ${far - HOUR}, 'no_trade', 'flat', 0, 'old', '{}')`,
      );
      expect(await tableOf(database, 'waiting')).toEqual(['decision_log_default']);
      const journal = createJournalRepository(database.db);
      // A backtest of 2019 and a decision of May 2031: each lands in its month's partition.
      const old = Date.UTC(2019, 2, 31, 23);
      await journal.appendDecisions([decision('old-1', old, 'run-2019'), decision('old-2', old + HOUR, 'run-2019'), decision('far', far)]);
      expect(await tableOf(database, 'old-1')).toEqual(['decision_log_p201903']);
      expect(await tableOf(database, 'old-2')).toEqual(['decision_log_p201904']);
      expect(await tableOf(database, 'far')).toEqual(['decision_log_p203105']);
      expect(await tableOf(database, 'waiting')).toEqual(['decision_log_p203105']);
      expect(rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from decision_log_default`))[0].n).toBe(0);
      expect((await journal.listDecisions({ limit: 10 } as never)).items.map((d) => d.id).sort()).toEqual(['far', 'old-1', 'old-2', 'waiting']);
      expect(await createPartitionRepository(database.db).ensureMonths(far, 0)).toEqual(['decision_log_p203105']);
      // Idempotent: asking again changes nothing.
      expect(await createPartitionRepository(database.db).ensureMonths(far, 0)).toEqual(['decision_log_p203105']);
      const refused = await database.db.execute(sql`select aethelred_month_partition('trades', 0)`).then(
        () => null,
        (error: Error) => error,
      );
      expect((refused?.cause as Error | undefined)?.message).toBe('table "trades" has no monthly partitions (candles, decision_log have)');
    } finally {
      await dispose();
    }
  });

  it('creates the month partitions of imported candles on demand, moving candles that waited in the default partition', async () => {
    const { database, dispose } = await backend.open(MIGRATIONS);
    try {
      const key = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' } as const;
      const APR_2019 = Date.UTC(2019, 3, 1);
      // Two candles of April 2019 an older build left in the default partition.
      await database.db.execute(
        sql`insert into candles (exchange, symbol, timeframe, open_time_ms, open, high, low, close, volume) values ('binance', 'ETH/USDT', '1h', ${APR_2019}, 10, 11, 9, 10, 1), ('binance', 'ETH/USDT', '1h', ${APR_2019 + HOUR}, 10, 11, 9, 10, 1)`,
      );
      // 48 hourly candles from 2019-03-31 00:00: 24 in March, 24 in April (the first two of April are there already).
      const n = 48;
      const openTimeMs = Float64Array.from({ length: n }, (_, i) => APR_2019 - 24 * HOUR + i * HOUR);
      const price = new Float64Array(n).fill(10);
      const result = await createCandleRepository(database.db).insertCandles(key as never, { length: n, openTimeMs, open: price, high: price.map((p) => p + 1), low: price.map((p) => p - 1), close: price, volume: new Float64Array(n).fill(1) });
      expect(result).toEqual({ inserted: 46 });
      const perPartition = rowsOf<{ name: string; n: number }>(await database.db.execute(sql`select tableoid::regclass::text as name, count(*)::int as n from candles group by 1 order by 1`));
      expect(perPartition).toEqual([{ name: 'candles_p201903', n: 24 }, { name: 'candles_p201904', n: 24 }]);
    } finally {
      await dispose();
    }
  });
});

// Two connections at once: PGlite has one, so this runs on PostgreSQL only.
describe('creating a month partition on PostgreSQL while another transaction writes that month', { timeout: 120_000 }, () => {
  it('waits for the writer to commit and moves its row in, instead of failing the attach', async () => {
    const { database, dispose } = await BACKENDS.find((b) => b.name === 'PostgreSQL')!.open(MIGRATIONS);
    try {
      const month = Date.UTC(2027, 6, 1);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const inFlight = new Promise<void>((resolve) => (written = resolve));
      // A writer (an import, a journal flush) has put a row of July 2027 into the default partition and not committed yet.
      const writer = database.db.transaction(async (tx) => {
        await tx.execute(
          sql`insert into decision_log (id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs) values ('in-flight', 'binance', 'BTC/USDT', '1h', 'ema-trend', ${month + 5}, 'no_trade', 'flat', 0, 'x', '{}')`,
        );
        written();
        await released;
      });
      await inFlight;
      const creating = database.db.execute(sql`select aethelred_month_partition('decision_log', ${month}::bigint) as name`).then(
        (result) => rowsOf<{ name: string }>(result)[0].name,
        (error: Error) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // the creation now waits on the writer
      release();
      await writer;
      expect(await creating).toBe('decision_log_p202707');
      expect(rowsOf<{ name: string }>(await database.db.execute(sql`select tableoid::regclass::text as name from decision_log where id = 'in-flight'`)).map((r) => r.name)).toEqual(['decision_log_p202707']);
    } finally {
      await dispose();
    }
  });
});
