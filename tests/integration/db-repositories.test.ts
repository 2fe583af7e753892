/**
 * Repository contract suite for the drizzle adapters, run unchanged against embedded
 * PGlite (temp dir) and a real PostgreSQL (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Each run lives in its own random schema,
 * dropped afterwards. An unreachable PostgreSQL fails this suite; it is never skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase, schemaVersion } from '../../db/migrate';
import { createBacktestRunRepository } from '../../db/repositories/backtest-run-repository';
import { createCandleRepository } from '../../db/repositories/candle-repository';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { createJournalRepository } from '../../db/repositories/journal-repository';
import { createRiskStateRepository } from '../../db/repositories/risk-state-repository';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import type { LiveSessionRecord } from '../../engine/live/live-session-manager';
import { backtestRunMetrics } from '../../engine/testing/backtest-run-metrics';
import type { RunSpec } from '../../engine/trading/run-spec';
import { rowsOf } from '../../db/repositories/sql-helpers';
import { NotFoundError, RepositoryError, StaleLeaseError, ValidationError } from '../../engine/core/errors';
import { createAccountRepository } from '../../db/repositories/account-repository';
import type { PaperExchangeState } from '../../engine/ports/accounts';
import type { DecisionRecord, JournalQuery, Page, TradeRecord } from '../../engine/ports/journal';
import type { CandleColumns, MarketKey } from '../../engine/core/types';

/** The newest migration in db/migrations, read from drizzle-kit's journal (not hard-coded, so new migrations need no test edit). */
const MIGRATION_JOURNAL = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../db/migrations/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
const LATEST_MIGRATION = {
  count: MIGRATION_JOURNAL.entries.length,
  tag: MIGRATION_JOURNAL.entries[MIGRATION_JOURNAL.entries.length - 1].tag,
  available: MIGRATION_JOURNAL.entries.length,
};

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = 1704067200000; // 2024-01-01T00:00:00.000Z
const MIN5 = 300_000;

function columnsOf(rows: [number, number, number, number, number, number][]): CandleColumns {
  const col = (i: number) => Float64Array.from(rows.map((r) => r[i]));
  return { length: rows.length, openTimeMs: col(0), open: col(1), high: col(2), low: col(3), close: col(4), volume: col(5) };
}

function plain(c: CandleColumns) {
  return {
    length: c.length,
    openTimeMs: Array.from(c.openTimeMs),
    open: Array.from(c.open),
    high: Array.from(c.high),
    low: Array.from(c.low),
    close: Array.from(c.close),
    volume: Array.from(c.volume),
  };
}

function trade(i: number, overrides: Partial<TradeRecord> = {}): TradeRecord {
  return {
    id: `t${String(i).padStart(4, '0')}`,
    runId: i % 3 === 0 ? 'run-a' : i % 3 === 1 ? 'run-b' : null,
    exchange: 'binance',
    symbol: i % 2 === 0 ? 'BTC/USDT' : 'ETH/USDT',
    strategy: i % 4 < 2 ? 'ema-cross' : 'breakout',
    side: i % 2 === 0 ? 'long' : 'short',
    amount: 0.1 + 0.2, // 0.30000000000000004: every binary digit must survive numeric storage
    entryPrice: 42283.58 + i,
    exitPrice: 42300.12 - i,
    // Pairs of trades share an exit time so the id tie-breaker is exercised.
    entryTimeMs: T0 + Math.floor(i / 2) * MIN5 - MIN5,
    exitTimeMs: T0 + Math.floor(i / 2) * MIN5,
    realizedPnl: i % 5 === 0 ? -12.345678901 : 7.5,
    fees: 0.0421,
    funding: i % 7 === 0 ? -0.00001 : 0,
    exitReason: i % 2 === 0 ? 'take_profit' : 'stop_loss',
    // Every fourth trade has no initial risk (null); the others a value whose binary digits must survive numeric storage.
    initialRisk: i % 4 === 3 ? null : (0.1 + 0.2) * (16.54 + i),
    ...overrides,
  };
}

function decision(i: number): DecisionRecord {
  return {
    id: `d${String(i).padStart(4, '0')}`,
    runId: i % 2 === 0 ? 'run-a' : null,
    exchange: 'binance',
    symbol: i % 3 === 0 ? 'SOL/USDT' : 'BTC/USDT',
    timeframe: '5m',
    strategy: i % 2 === 0 ? 'ema-cross' : 'breakout',
    timeMs: T0 + Math.floor(i / 3) * MIN5,
    outcome: i % 4 === 0 ? 'denied' : 'no_trade',
    side: i % 4 === 0 ? 'long' : 'flat',
    strength: i / 40,
    reason: i % 4 === 0 ? 'notional 1200 above cap 1000' : 'no signal',
    inputs: { rsi: 30 + i, adapters: ['ema', 'rsi'], veto: { confidence: 0.25, model: 'v1' } },
  };
}

/** Reference ordering and filtering, computed independently of SQL. */
function expected<T extends { id: string; symbol: string; strategy: string; runId: string | null }>(
  rows: T[],
  timeOf: (r: T) => number,
  q: JournalQuery,
): T[] {
  return rows
    .filter((r) => q.symbol === undefined || r.symbol === q.symbol)
    .filter((r) => q.strategy === undefined || r.strategy === q.strategy)
    .filter((r) => q.runId === undefined || r.runId === q.runId)
    .filter((r) => q.fromMs === undefined || timeOf(r) >= q.fromMs)
    .filter((r) => q.toMs === undefined || timeOf(r) < q.toMs)
    .sort((a, b) => timeOf(b) - timeOf(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

async function allPages<T>(list: (q: JournalQuery) => Promise<Page<T>>, q: JournalQuery): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list({ ...q, cursor });
    pages++;
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages < 100);
  return { items, pages };
}

interface Backend {
  name: string;
  open(schema: string): Promise<Database>;
  cleanup(): void;
}

const tempDirs: string[] = [];
const backends: Backend[] = [
  {
    name: 'PGlite',
    async open(schema) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-db-'));
      tempDirs.push(dataDir);
      return createDatabase({ dataDir, schema });
    },
    cleanup() {
      for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'PostgreSQL',
    async open(schema) {
      try {
        return await createDatabase({ url: POSTGRES_URL, dataDir: tmpdir(), schema });
      } catch (err) {
        throw new Error(
          `PostgreSQL integration tests need a server at ${POSTGRES_URL} (override with TEST_DATABASE_URL): ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
    cleanup() {},
  },
];

describe.each(backends)('drizzle repositories on $name', (backend) => {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  let opened: Database | undefined;
  let openError: unknown;
  // Every test fails with the connection error (rather than being skipped) when the database cannot be opened.
  const db = (): Database => {
    if (opened === undefined) throw openError ?? new Error(`${backend.name} database was not opened`);
    return opened;
  };

  beforeAll(async () => {
    try {
      opened = await backend.open(schema);
      await migrateDatabase(opened);
    } catch (err) {
      openError = err;
    }
  });

  afterAll(async () => {
    const database = opened;
    if (database) {
      await database.db.execute(sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      await database.close();
    }
    backend.cleanup();
  });

  describe('migrations', () => {
    it('apply once, report the latest tag, and are idempotent', async () => {
      expect(await schemaVersion(db())).toEqual(LATEST_MIGRATION);
      await migrateDatabase(db());
      expect(await schemaVersion(db())).toEqual(LATEST_MIGRATION);
    });

    it('create every table inside the isolated schema, including the migrations table', async () => {
      const rows = rowsOf<{ table_name: string }>(
        await db().db.execute(
          sql`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`,
        ),
      );
      expect(rows.map((r) => r.table_name)).toEqual([
        '__drizzle_migrations',
        'accounts',
        'api_tokens',
        'app_settings',
        'audit_log',
        'auth_rate_limits',
        'backtest_runs',
        'candles',
        // Monthly partitions (migration 0018): only the default ones until a month is created.
        'candles_default',
        'control_acks',
        'decision_log',
        'decision_log_default',
        'exchange_credentials',
        'journal_versions',
        'live_sessions',
        'login_failures',
        'model_files',
        'models',
        'notification_settings',
        'orders',
        'positions',
        'risk_state',
        'sessions',
        'snapshots',
        'strategy_rules',
        'studies',
        'study_trials',
        'tickets',
        'trades',
        'trading_accounts',
        'users',
        'verifications',
        'webhook_deliveries',
        'webhooks',
      ]);
    });

    it('answers a ping', async () => {
      expect(await db().ping()).toBe(true);
    });
  });

  describe('candles', () => {
    const key: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' };
    const rows: [number, number, number, number, number, number][] = [
      [T0, 42283.58, 42320, 42262.5, 42305.99, 155.25731],
      [T0 + MIN5, 0.00162, 0.00163, 0.0016, 0.00161, 0],
      [T0 + 2 * MIN5, 123456789.12345678, 123456790, 123456788, 123456789.5, 1e-8],
      [T0 + 3 * MIN5, 0.1 + 0.2, 0.5, 0.1, 0.3, 12345.678901234],
    ];

    it('inserts new candles once: a second identical insert adds none', async () => {
      const repo = createCandleRepository(db().db);
      expect(await repo.insertCandles(key, columnsOf(rows))).toEqual({ inserted: 4 });
      expect(await repo.insertCandles(key, columnsOf(rows))).toEqual({ inserted: 0 });
      expect(await repo.countCandles(key)).toBe(4);
    });

    it('counts only rows that are new when a batch overlaps stored candles', async () => {
      const repo = createCandleRepository(db().db);
      const k2 = { ...key, timeframe: '1h' as const };
      await repo.insertCandles(k2, columnsOf([[T0, 1, 2, 0.5, 1.5, 10]]));
      const batch = columnsOf([
        [T0, 9, 9, 9, 9, 9],
        [T0 + 3_600_000, 1.5, 3, 1, 2, 11],
      ]);
      expect(await repo.insertCandles(k2, batch)).toEqual({ inserted: 1 });
      // The existing row is left unchanged.
      expect(plain(await repo.loadCandles(k2, T0, T0 + 1))).toEqual(plain(columnsOf([[T0, 1, 2, 0.5, 1.5, 10]])));
    });

    it('loads exactly the stored values, ascending, with fromMs inclusive and toMs exclusive', async () => {
      const repo = createCandleRepository(db().db);
      expect(plain(await repo.loadCandles(key, 0, 2e12))).toEqual(plain(columnsOf(rows)));
      expect(plain(await repo.loadCandles(key, T0 + MIN5, T0 + 3 * MIN5))).toEqual(plain(columnsOf(rows.slice(1, 3))));
      expect((await repo.loadCandles({ ...key, symbol: 'ETH/USDT' }, 0, 2e12)).length).toBe(0);
    });

    it('aggregates candles into epoch-aligned buckets in the database, as downsampleCandles does', async () => {
      const repo = createCandleRepository(db().db);
      // Buckets of 10 minutes: [T0, T0+10m) holds rows 0 and 1, [T0+10m, T0+20m) rows 2 and 3 (T0 is a multiple of 10 min).
      const buckets = await repo.loadCandleBuckets(key, 0, 2e12, 2 * MIN5);
      expect(plain(buckets)).toEqual(
        plain(
          columnsOf([
            [T0, 42283.58, 42320, 0.0016, 0.00161, 155.25731],
            [T0 + 2 * MIN5, 123456789.12345678, 123456790, 0.1, 0.3, 12345.678901244],
          ]),
        ),
      );
      // The in-memory store (and so every test fake) answers the same, via downsampleCandles.
      const memory = createInMemoryCandleRepository();
      await memory.insertCandles(key, columnsOf(rows));
      expect(plain(await memory.loadCandleBuckets(key, 0, 2e12, 2 * MIN5))).toEqual(plain(buckets));
      // A range edge inside a bucket keeps only the candles in range; bucket = timeframe is the candles themselves.
      expect(plain(await repo.loadCandleBuckets(key, T0 + MIN5, T0 + 3 * MIN5, 2 * MIN5))).toEqual(
        plain(columnsOf([[T0, 0.00162, 0.00163, 0.0016, 0.00161, 0], [T0 + 2 * MIN5, 123456789.12345678, 123456790, 123456788, 123456789.5, 1e-8]])),
      );
      expect(plain(await repo.loadCandleBuckets(key, 0, 2e12, MIN5))).toEqual(plain(columnsOf(rows)));
      await expect(repo.loadCandleBuckets(key, 0, 2e12, 0)).rejects.toThrow('field "bucketMs" was 0: expected a whole number of milliseconds > 0');
    });

    it('leaves the table unchanged when a multi-chunk batch fails part-way', async () => {
      const repo = createCandleRepository(db().db);
      const k3 = { ...key, exchange: 'bad-batch' };
      const n = 25_000; // three INSERT chunks of up to 10000 rows
      const bad = Array.from({ length: n }, (_, i) => [T0 + i * MIN5, 1, 2, 0.5, 1.5, 3] as [number, number, number, number, number, number]);
      bad[22_000][5] = -1; // negative volume: the third chunk violates the table's check constraint
      const err = await repo.insertCandles(k3, columnsOf(bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RepositoryError);
      expect((err as Error).message).toMatch(/^inserting 25000 candles for bad-batch "BTC\/USDT" 5m failed: .*candles_ohlcv_check/);
      expect(await repo.countCandles(k3)).toBe(0);
    });

    it('rejects a non-finite price or a fractional open time before writing anything', async () => {
      const repo = createCandleRepository(db().db);
      const k4 = { ...key, exchange: 'invalid-batch' };
      await expect(repo.insertCandles(k4, columnsOf([[T0, Number.NaN, 1, 1, 1, 1]]))).rejects.toThrow(
        'field "open" was "NaN": not a finite number',
      );
      await expect(repo.insertCandles(k4, columnsOf([[T0 + 0.5, 1, 1, 1, 1, 1]]))).rejects.toThrow(
        'field "openTimeMs" was 1704067200000.5: not an integer of milliseconds',
      );
      expect(await repo.countCandles(k4)).toBe(0);
    });

    it('summarizes every stored stream with count and first/last open time', async () => {
      const repo = createCandleRepository(db().db);
      const summary = await repo.summarize();
      expect(summary).toEqual([
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', count: 2, firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 3_600_000 },
        { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', count: 4, firstOpenTimeMs: T0, lastOpenTimeMs: T0 + 3 * MIN5 },
      ]);
    });
  });

  describe('journal', () => {
    const trades = Array.from({ length: 40 }, (_, i) => trade(i));
    const decisions = Array.from({ length: 30 }, (_, i) => decision(i));

    beforeAll(async () => {
      if (opened === undefined) return; // each test then fails with the open error
      const repo = createJournalRepository(db().db);
      await repo.appendTrades(trades);
      await repo.appendDecisions(decisions);
    });

    it('round-trips decisions whose text holds quotes, backslashes, braces, commas and unicode', async () => {
      const repo = createJournalRepository(db().db);
      // Stored at t = 1 ms with no run, then pruned, so the paging tests below never see it.
      const awkward: DecisionRecord = {
        ...decision(999),
        id: 'd-awkward',
        runId: null,
        timeMs: 1,
        reason: 'denied: "quoted", back\\slash\\, {braces}, NULL, comma, é ✓',
        strength: 0.1 + 0.2,
        inputs: { note: 'a "b" \\ {c}', nested: [{ x: 'NULL' }, null, 1e-9] },
      };
      await repo.appendDecisions([awkward]);
      const page = await repo.listDecisions({ toMs: 2, limit: 10 });
      expect(page.items).toEqual([awkward]);
      expect(await repo.pruneDecisionsBefore(2)).toBe(1);
    });

    it('round-trips a trade with every field exact', async () => {
      const repo = createJournalRepository(db().db);
      const page = await repo.listTrades({ limit: 1000 });
      const stored = page.items.find((t) => t.id === 't0035');
      expect(stored).toEqual(trade(35));
      expect(stored?.amount).toBe(0.30000000000000004);
    });

    it('ignores a re-append of the same ids', async () => {
      const repo = createJournalRepository(db().db);
      await repo.appendTrades(trades.slice(0, 5));
      expect((await repo.listTrades({ limit: 1000 })).items).toHaveLength(40);
    });

    const tradeQueries: [string, JournalQuery][] = [
      ['no filter', {}],
      ['symbol', { symbol: 'ETH/USDT' }],
      ['strategy', { strategy: 'breakout' }],
      ['run id', { runId: 'run-a' }],
      ['time range', { fromMs: T0 + 3 * MIN5, toMs: T0 + 11 * MIN5 }],
      ['all filters', { symbol: 'BTC/USDT', strategy: 'ema-cross', runId: 'run-a', fromMs: T0 + MIN5 }],
    ];
    it.each(tradeQueries)('pages trades newest first with filter: %s', async (_name, q) => {
      const repo = createJournalRepository(db().db);
      const want = expected(trades, (t) => t.exitTimeMs, q);
      const { items, pages } = await allPages((x) => repo.listTrades(x), { ...q, limit: 7 });
      expect(items).toEqual(want);
      expect(pages).toBe(Math.max(1, Math.ceil(want.length / 7)));
    });

    it('returns a null cursor on the last page and a cursor while rows remain', async () => {
      const repo = createJournalRepository(db().db);
      const first = await repo.listTrades({ limit: 39 });
      expect(first.items.map((t) => t.id)).toEqual(expected(trades, (t) => t.exitTimeMs, {}).slice(0, 39).map((t) => t.id));
      expect(first.nextCursor).not.toBeNull();
      const last = await repo.listTrades({ limit: 39, cursor: first.nextCursor! });
      expect(last.items.map((t) => t.id)).toEqual(['t0000']);
      expect(last.nextCursor).toBeNull();
    });

    it('clamps the page size to 1..1000', async () => {
      const repo = createJournalRepository(db().db);
      expect((await repo.listTrades({ limit: 0 })).items).toHaveLength(1);
      expect((await repo.listTrades({ limit: -5 })).items).toHaveLength(1);
      expect((await repo.listTrades({ limit: 5000 })).items).toHaveLength(40);
    });

    it('rejects a cursor it did not issue', async () => {
      const repo = createJournalRepository(db().db);
      await expect(repo.listTrades({ cursor: 'not-a-cursor' })).rejects.toThrow(
        'field "cursor" was "not-a-cursor": not a cursor returned by a previous page',
      );
    });

    const decisionQueries: [string, JournalQuery][] = [
      ['no filter', {}],
      ['symbol', { symbol: 'SOL/USDT' }],
      ['strategy and run id', { strategy: 'ema-cross', runId: 'run-a' }],
      ['time range', { fromMs: T0 + 2 * MIN5, toMs: T0 + 6 * MIN5 }],
    ];
    it.each(decisionQueries)('pages decisions newest first with filter: %s', async (_name, q) => {
      const repo = createJournalRepository(db().db);
      const want = expected(decisions, (d) => d.timeMs, q);
      const { items } = await allPages((x) => repo.listDecisions(x), { ...q, limit: 4 });
      expect(items).toEqual(want);
    });

    it('iterates every matching trade across keyset pages of 1000', async () => {
      const repo = createJournalRepository(db().db);
      const many = Array.from({ length: 2345 }, (_, i) => trade(1000 + i, { runId: 'run-many', id: `m${String(i).padStart(5, '0')}` }));
      await repo.appendTrades(many);
      const seen: TradeRecord[] = [];
      for await (const t of repo.iterTrades({ runId: 'run-many' })) seen.push(t);
      expect(seen).toEqual(expected(many, (t) => t.exitTimeMs, {}));
      const filtered: string[] = [];
      for await (const t of repo.iterTrades({ runId: 'run-a', symbol: 'BTC/USDT' })) filtered.push(t.id);
      expect(filtered).toEqual(expected(trades, (t) => t.exitTimeMs, { runId: 'run-a', symbol: 'BTC/USDT' }).map((t) => t.id));
    });

    it('reads the db() clock within 5 seconds of this machine', async () => {
      const repo = createJournalRepository(db().db);
      const now = await repo.nowTs();
      expect(Number.isInteger(now)).toBe(true);
      expect(Math.abs(now - Date.now())).toBeLessThan(5000);
    });
  });

  describe('risk state', () => {
    it('round-trips a state and overwrites it on save', async () => {
      const repo = createRiskStateRepository(db().db);
      expect(await repo.load('acct-1')).toBeNull();
      const state = {
        accountId: 'acct-1',
        halted: false,
        haltReason: null,
        haltedAtMs: null,
        dayStartEquity: 10000.12,
        dayStartMs: T0,
        peakEquity: 10500.000001,
        updatedAtMs: T0 + 1234,
      };
      await repo.save(state);
      expect(await repo.load('acct-1')).toEqual({ ...state, haltVersion: 1 });
      const halted = { ...state, halted: true, haltReason: 'daily loss 5.2% above limit 5%', haltedAtMs: T0 + 999, updatedAtMs: T0 + 999 };
      await repo.save(halted);
      expect(await repo.load('acct-1')).toEqual({ ...halted, haltVersion: 2 });
      expect(await repo.load('acct-2')).toBeNull();
    });

    it('stores a save carrying a halt version only while the stored version equals it', async () => {
      const repo = createRiskStateRepository(db().db);
      const state = { accountId: 'acct-cas', halted: false, haltReason: null, haltedAtMs: null, dayStartEquity: 1000, dayStartMs: T0, peakEquity: 1000, updatedAtMs: T0 };
      await repo.save({ ...state, haltVersion: 0 }); // no row yet: stored at version 1
      await repo.save({ ...state, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 1 }); // control path: version 2
      // A session that last saw version 1 saves "not halted" and a new peak: refused, the halt stays.
      await repo.save({ ...state, peakEquity: 1100, updatedAtMs: T0 + 2, haltVersion: 1 });
      expect(await repo.load('acct-cas')).toEqual({ ...state, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 1, haltVersion: 2 });
      // Saving the same halt fields under the current version stores the equity and keeps the version.
      await repo.save({ ...state, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 1, peakEquity: 1100, updatedAtMs: T0 + 3, haltVersion: 2 });
      expect(await repo.load('acct-cas')).toMatchObject({ peakEquity: 1100, updatedAtMs: T0 + 3, haltVersion: 2 });
      // An operator's update in SQL counts too: the trigger moves the version.
      await db().db.execute(sql`update risk_state set halted = false, halt_reason = null, halted_at_ms = null where account_id = 'acct-cas'`);
      expect(await repo.load('acct-cas')).toMatchObject({ halted: false, haltVersion: 3 });
    });

    it('writes the halt fields alone on saveHalt, and a whole first row', async () => {
      const repo = createRiskStateRepository(db().db);
      const state = { accountId: 'acct-halt', halted: false, haltReason: null, haltedAtMs: null, dayStartEquity: 1000, dayStartMs: T0, peakEquity: 1050, updatedAtMs: T0 };
      await repo.saveHalt({ ...state, accountId: 'acct-new', halted: true, haltReason: 'manual: audit', haltedAtMs: T0 });
      expect(await repo.load('acct-new')).toEqual({ ...state, accountId: 'acct-new', halted: true, haltReason: 'manual: audit', haltedAtMs: T0, haltVersion: 1 });
      await repo.save(state);
      // A stale copy's day start and peak (900) are not written; the halt is, whatever version it carries.
      await repo.saveHalt({ ...state, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 5, dayStartEquity: 900, dayStartMs: T0 + 5, peakEquity: 900, updatedAtMs: T0 + 5, haltVersion: 7 });
      expect(await repo.load('acct-halt')).toEqual({ ...state, halted: true, haltReason: 'manual: audit', haltedAtMs: T0 + 5, updatedAtMs: T0 + 5, haltVersion: 2 });
      await repo.saveHalt({ ...state, dayStartEquity: 900, peakEquity: 900, updatedAtMs: T0 + 6 });
      // A resume writes the halt fields and clears day start (time 0) and peak (0): the next equity re-bases them.
      expect(await repo.load('acct-halt')).toEqual({ ...state, dayStartMs: 0, peakEquity: 0, updatedAtMs: T0 + 6, haltVersion: 3 });
    });
  });

  describe('backtest runs', () => {
    const base = {
      config: { strategy: 'ema-cross', fast: 12, slow: 26 },
      configHash: 'abc123',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m' as const,
      fromMs: T0,
      toMs: T0 + 86_400_000,
    };

    it('goes from running to complete with metrics and equity curve', async () => {
      const repo = createBacktestRunRepository(db().db);
      const created = await repo.create({ ...base, id: 'bt-1' });
      expect(created).toMatchObject({ ...base, id: 'bt-1', status: 'running', metrics: null, equity: null, error: null, finishedAtMs: null });
      expect(Math.abs(created.startedAtMs - Date.now())).toBeLessThan(5000);
      const equity = [
        { timeMs: T0, equity: 10000 },
        { timeMs: T0 + MIN5, equity: 10012.34 },
      ];
      // JSON has no NaN: a metric that was not finite (profit factor without trades) reads back as null
      await repo.complete('bt-1', { metrics: backtestRunMetrics({ sharpe: 1.25, maxDrawdown: 0.031, profitFactor: Number.NaN }), equity, tradeCount: 3, decisionCount: 288 });
      const done = await repo.get('bt-1');
      expect(done).toMatchObject({ status: 'complete', metrics: { ...backtestRunMetrics({ sharpe: 1.25, maxDrawdown: 0.031 }), profitFactor: null }, equity, tradeCount: 3, decisionCount: 288, error: null });
      expect(done!.finishedAtMs).toBeGreaterThanOrEqual(done!.startedAtMs);
    });

    it('refuses to finish a run twice or one that does not exist', async () => {
      const repo = createBacktestRunRepository(db().db);
      await expect(repo.fail('bt-1', 'late failure')).rejects.toBeInstanceOf(NotFoundError);
      await expect(repo.complete('missing', { metrics: backtestRunMetrics(), equity: [], tradeCount: 0, decisionCount: 0 })).rejects.toThrow(
        'backtest run "missing" does not exist or is not running',
      );
    });

    it('records a failure with its error', async () => {
      const repo = createBacktestRunRepository(db().db);
      await repo.create({ ...base, id: 'bt-2' });
      await repo.fail('bt-2', 'feed ended early');
      expect(await repo.get('bt-2')).toMatchObject({ status: 'failed', error: 'feed ended early', equity: null });
    });

    it('rejects a duplicate id as a repository error', async () => {
      const repo = createBacktestRunRepository(db().db);
      await expect(repo.create({ ...base, id: 'bt-1' })).rejects.toBeInstanceOf(RepositoryError);
    });

    it('marks stale running runs failed and counts them', async () => {
      const repo = createBacktestRunRepository(db().db);
      await repo.create({ ...base, id: 'bt-3' });
      await repo.create({ ...base, id: 'bt-4' });
      expect(await repo.markStaleRunningAsFailed('server restarted')).toBe(2);
      expect(await repo.get('bt-3')).toMatchObject({ status: 'failed', error: 'server restarted' });
      expect(await repo.markStaleRunningAsFailed('server restarted')).toBe(0);
      expect((await repo.get('bt-1'))?.status).toBe('complete');
    });

    it('fails only the running runs whose owner is gone (or unknown), never one another process still runs', async () => {
      const here = { host: 'host-a', pid: 100 };
      const alive = new Set(['host-a:200', 'host-b:300']);
      const repoOf = (owner: { host: string; pid: number }) =>
        createBacktestRunRepository(db().db, { owner, isOwnerAlive: (o) => alive.has(`${o.host}:${o.pid}`) });
      await repoOf({ host: 'host-a', pid: 200 }).create({ ...base, id: 'own-alive' });
      await repoOf({ host: 'host-b', pid: 300 }).create({ ...base, id: 'own-remote' });
      await repoOf({ host: 'host-a', pid: 999 }).create({ ...base, id: 'own-dead' });
      await createBacktestRunRepository(db().db).create({ ...base, id: 'own-unknown' });
      expect(await repoOf(here).markStaleRunningAsFailed('interrupted')).toBe(2);
      const statusOf = async (id: string) => (await repoOf(here).get(id))?.status;
      expect([await statusOf('own-alive'), await statusOf('own-remote'), await statusOf('own-dead'), await statusOf('own-unknown')]).toEqual(['running', 'running', 'failed', 'failed']);
      // Once its owner is gone, the next start fails it too.
      alive.delete('host-a:200');
      expect(await repoOf(here).markStaleRunningAsFailed('interrupted')).toBe(1);
      expect(await statusOf('own-alive')).toBe('failed');
      // These runs are not part of the listing fixtures below.
      await db().db.execute(sql`delete from backtest_runs where id like 'own-%'`);
    });

    it('lists runs newest first without equity, in keyset pages', async () => {
      const repo = createBacktestRunRepository(db().db);
      const all = await repo.list({ limit: 1000 });
      expect(all.items).toHaveLength(4);
      expect(all.items.every((r) => !('equity' in r))).toBe(true);
      const sorted = [...all.items].sort((a, b) => b.startedAtMs - a.startedAtMs || (a.id < b.id ? 1 : -1));
      expect(all.items.map((r) => r.id)).toEqual(sorted.map((r) => r.id));
      const first = await repo.list({ limit: 3 });
      const second = await repo.list({ limit: 3, cursor: first.nextCursor! });
      expect([...first.items, ...second.items].map((r) => r.id)).toEqual(all.items.map((r) => r.id));
      expect(second.nextCursor).toBeNull();
    });

    it('returns null for an unknown run', async () => {
      expect(await createBacktestRunRepository(db().db).get('nope')).toBeNull();
    });
  });

  describe('live sessions', () => {
    const spec: RunSpec = {
      accountId: 'default',
      strategies: ['donchian-breakout'],
      params: { 'donchian-breakout': { period: 10, atrPeriod: 5 } },
      provenance: [{ name: 'donchian-breakout', source: 'built-in', version: '1.0.0', sourceHash: 'ab12' }],
      fusion: { weights: { 'donchian-breakout': 2, external: 1 }, entryThreshold: 0.4, ttlMs: 7_200_000, cooldownMs: 0, vetoThreshold: 0.6 },
      veto: false,
      models: { regime: null, volatility: null, stopDistance: null },
      risk: { maxLeverage: 1, maxLossPctEquityPerTrade: 2, riskPerTradePct: 0.5, maxSymbolExposurePct: 95, maxOpenPositions: 1, atrStopMultiple: 2, dailyLossLimitPct: 5, maxDrawdownPct: 25, costs: { takerFeeBps: 5, spreadBps: 4, slippageBps: 1 } },
      paper: { marketType: 'spot', initialBalance: 10_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 4, slippageBps: 1, maxVolumeShare: 0.1 },
    };
    const record = (id: string, withSpec: RunSpec | null): LiveSessionRecord => ({
      id,
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '5m',
      config: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', accountId: 'default' },
      status: 'running',
      lastCandleMs: null,
      liveTrading: false,
      lastError: null,
      startedAtMs: 1_000,
      updatedAtMs: 1_000,
      spec: withSpec,
    });

    it('keeps the request as the config and round-trips the resolved spec beside it', async () => {
      const store = createLiveSessionRepository(db().db);
      await store.upsert(record('live:binance:BTC/USDT:5m', spec));
      await store.upsert(record('live:binance:ETH/USDT:5m', null));
      const unowned = { owner: null, expiresAtMs: null, token: 0 };
      expect(await store.get('live:binance:BTC/USDT:5m')).toEqual({ ...record('live:binance:BTC/USDT:5m', spec), lease: unowned });
      expect(await store.get('live:binance:ETH/USDT:5m')).toEqual({ ...record('live:binance:ETH/USDT:5m', null), lease: unowned });
      // A restart resumes from the config: it holds the request alone.
      expect((await store.list()).map((r) => Object.keys(r.config).sort())).toEqual([
        ['accountId', 'exchange', 'symbol', 'timeframe'],
        ['accountId', 'exchange', 'symbol', 'timeframe'],
      ]);
    });

    it('removes a session record with its checkpoint, and ignores an unknown id', async () => {
      const store = createLiveSessionRepository(db().db);
      await store.upsert(record('live:binance:SOL/USDT:5m', null));
      await store.save({ sessionId: 'live:binance:SOL/USDT:5m', lastCandleMs: 5_000, updatedAtMs: 6_000 });
      await store.remove('live:binance:SOL/USDT:5m');
      await store.remove('live:binance:NOPE/USDT:5m');
      expect(await store.get('live:binance:SOL/USDT:5m')).toBeNull();
      expect(await store.load('live:binance:SOL/USDT:5m')).toBeNull();
    });

    it('claims a lease only when nobody holds it, it expired or its holder is gone, adding 1 to the token each time', async () => {
      const store = createLiveSessionRepository(db().db);
      const id = 'live:binance:ADA/USDT:5m';
      expect(await store.claim(id, 'trader-a', 60_000)).toBeNull(); // no such session
      expect(await store.insertIfMissing(record(id, null))).toBe(true);
      expect(await store.insertIfMissing({ ...record(id, null), status: 'stopped' })).toBe(false);
      const before = Date.now();
      expect(await store.claim(id, 'trader-a', 60_000)).toBe(1);
      const lease = (await store.get(id))!.lease!;
      expect(lease.owner).toBe('trader-a');
      // The database's clock (this host's, here) plus 60 s, within the test's own span.
      expect(lease.expiresAtMs! - 60_000).toBeGreaterThanOrEqual(before - 1_000);
      expect(lease.expiresAtMs! - 60_000).toBeLessThanOrEqual(Date.now() + 1_000);
      expect(await store.claim(id, 'trader-b', 60_000)).toBeNull();
      expect(await store.claim(id, 'trader-b', 60_000, 'someone-else')).toBeNull();
      expect(await store.renew(id, 'trader-a', 1, 60_000)).toBe(true);
      expect(await store.renew(id, 'trader-b', 1, 60_000)).toBe(false);
      // trader-a is gone: taken over at once, token 2; trader-a's renewal and release then change nothing.
      expect(await store.claim(id, 'trader-b', 60_000, 'trader-a')).toBe(2);
      expect(await store.renew(id, 'trader-a', 1, 60_000)).toBe(false);
      await store.release(id, 'trader-a', 1);
      expect((await store.get(id))!.lease).toMatchObject({ owner: 'trader-b', token: 2 });
      // An upsert of the record (a status, a config) never touches the lease.
      await store.upsert({ ...record(id, null), status: 'starting' });
      expect((await store.get(id))!.lease).toMatchObject({ owner: 'trader-b', token: 2 });
      await store.release(id, 'trader-b', 2);
      expect((await store.get(id))!.lease).toEqual({ owner: null, expiresAtMs: null, token: 2 });
      expect(await store.claim(id, 'trader-c', 1)).toBe(3);
      // A lease of 1 ms has expired by the next statement.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await store.claim(id, 'trader-a', 60_000)).toBe(4);
    });

    it('reclaims a lease ending further ahead than any trader leases, and never claims a fencing token past the largest exact one', async () => {
      const store = createLiveSessionRepository(db().db);
      const id = 'live:binance:LTC/USDT:5m';
      await store.upsert({ ...record(id, null), config: { accountId: 'ltc-only' } });
      expect(await store.claim(id, 'trader-a', 60_000)).toBe(1);
      // Within MAX_SESSION_LEASE_MS (10 min) ahead: held.
      await db().db.execute(sql`update live_sessions set lease_expires_at_ms = (extract(epoch from clock_timestamp()) * 1000)::bigint + 590000 where id = ${id}`);
      expect(await store.claim(id, 'trader-b', 60_000)).toBeNull();
      // Years ahead (a restored backup, a clock far ahead): reclaimed at once; the holder's token 1 is fenced off.
      await db().db.execute(sql`update live_sessions set lease_expires_at_ms = ${Date.UTC(2034, 0, 1)} where id = ${id}`);
      expect(await store.claim(id, 'trader-b', 60_000)).toBe(2);
      expect(await store.renew(id, 'trader-a', 1, 60_000)).toBe(false);
      await expect(store.save({ sessionId: id, lastCandleMs: 5_000, updatedAtMs: 6_000 }, { sessionId: id, token: 1 })).rejects.toThrow(new StaleLeaseError(id, 1, 2));
      // Tokens at 2^53 - 1 or past it (2^60, a hand edit) are never claimed, expired or not.
      for (const token of ['9007199254740991', '1152921504606846976']) {
        await db().db.execute(sql`update live_sessions set fencing_token = ${token}::bigint, lease_owner = null, lease_expires_at_ms = null where id = ${id}`);
        expect(await store.claim(id, 'trader-c', 60_000)).toBeNull();
      }
      // A writer presenting 2^60 is refused too: a number past 2^53 - 1 does not carry the stored digits.
      await expect(store.save({ sessionId: id, lastCandleMs: 7_000, updatedAtMs: 8_000 }, { sessionId: id, token: 2 ** 60 })).rejects.toThrow(StaleLeaseError);
      await db().db.execute(sql`update live_sessions set fencing_token = 9007199254740990 where id = ${id}`);
      expect(await store.claim(id, 'trader-c', 60_000)).toBe(9_007_199_254_740_991);
    });

    it('claims the sessions of one account for one trader only, while its lease on a sibling is current', async () => {
      const store = createLiveSessionRepository(db().db);
      const of = (id: string, accountId: string | null) => ({ ...record(id, null), id, config: accountId === null ? {} : { accountId } });
      await store.upsert(of('paper:grouped:BTC', 'grouped'));
      await store.upsert(of('paper:grouped:ETH', 'grouped'));
      await store.upsert(of('paper:other:BTC', 'grouped-other'));
      expect(await store.claim('paper:grouped:BTC', 'trader-a', 60_000)).toBe(1);
      // trader-b may not take a sibling of trader-a's session, only another account's.
      expect(await store.claim('paper:grouped:ETH', 'trader-b', 60_000)).toBeNull();
      expect(await store.claim('paper:other:BTC', 'trader-b', 60_000)).toBe(1);
      expect(await store.claim('paper:grouped:ETH', 'trader-a', 60_000)).toBe(1);
      // trader-a gone: trader-b takes its sessions over one by one (the sibling held by the gone trader does not count).
      expect(await store.claim('paper:grouped:BTC', 'trader-b', 60_000, 'trader-a')).toBe(2);
      expect(await store.claim('paper:grouped:ETH', 'trader-b', 60_000, 'trader-a')).toBe(2);
      // Released leases and expired ones do not hold the account.
      await store.release('paper:grouped:BTC', 'trader-b', 2);
      await db().db.execute(sql`update live_sessions set lease_expires_at_ms = 0 where id = 'paper:grouped:ETH'`);
      expect(await store.claim('paper:grouped:BTC', 'trader-c', 60_000)).toBe(3);
      // A record stored before accounts (no accountId) trades "default": grouped with the sessions that name it.
      await store.upsert(of('paper:legacy:ETH', 'default'));
      await store.upsert(of('paper:legacy:BTC', null));
      expect(await store.claim('paper:legacy:ETH', 'trader-a', 60_000)).toBe(1);
      expect(await store.claim('paper:legacy:BTC', 'trader-e', 60_000)).toBeNull();
      expect(await store.claim('paper:legacy:BTC', 'trader-a', 60_000)).toBe(1);
    });

    it('refuses a checkpoint, an account state and journal rows written under a stale fencing token, and writes none of them', async () => {
      const store = createLiveSessionRepository(db().db);
      const accounts = createAccountRepository(db().db);
      const journal = createJournalRepository(db().db);
      const id = 'live:binance:DOT/USDT:5m';
      await store.upsert(record(id, null));
      expect(await store.claim(id, 'trader-a', 60_000)).toBe(1);
      await store.save({ sessionId: id, lastCandleMs: 5_000, updatedAtMs: 6_000 }, { sessionId: id, token: 1 });
      expect(await store.claim(id, 'trader-b', 60_000, 'trader-a')).toBe(2);
      const stale = { sessionId: id, token: 1 };
      const message = `session "${id}" is leased under fencing token 2: a write with token 1 was refused (another trader owns the session now)`;
      await expect(store.save({ sessionId: id, lastCandleMs: 10_000, updatedAtMs: 11_000 }, stale)).rejects.toThrow(new StaleLeaseError(id, 1, 2));
      expect((await store.load(id))!.lastCandleMs).toBe(5_000);
      await accounts.insert({ id: 'fenced', kind: 'paper', settings: { name: 'Fenced', marketType: 'spot', quoteCurrency: 'USDT', initialBalance: 1_000, makerFeeBps: 2, takerFeeBps: 5, spreadBps: 0, slippageBps: 0, maxVolumeShare: 1, leverage: 1, marginMode: 'isolated' }, riskLimits: null, createdAtMs: 1_000, updatedAtMs: 1_000, updatedBy: null });
      const state = { version: 1, wallet: 1_000 } as unknown as PaperExchangeState;
      const refusedState = await accounts.saveState('fenced', state, 12_000, undefined, stale).catch((e: unknown) => e);
      expect(refusedState).toBeInstanceOf(StaleLeaseError);
      expect((refusedState as Error).message).toBe(message);
      expect(await accounts.loadState('fenced')).toBeNull();
      await accounts.saveState('fenced', state, 12_000, undefined, { sessionId: id, token: 2 });
      expect(await accounts.loadState('fenced')).toEqual(state);
      const row = trade(9_001, { runId: null });
      await expect(journal.appendTrades([row], stale)).rejects.toThrow(message);
      expect(await journal.getTrade(row.id)).toBeNull();
      // The current token writes.
      await journal.appendTrades([row], { sessionId: id, token: 2 });
      expect((await journal.getTrade(row.id))?.id).toBe(row.id);
      await store.save({ sessionId: id, lastCandleMs: 10_000, updatedAtMs: 11_000 }, { sessionId: id, token: 2 });
      expect((await store.load(id))!.lastCandleMs).toBe(10_000);
      // A session that no longer exists refuses every fenced write.
      await expect(store.save({ sessionId: 'live:binance:GONE/USDT:5m', lastCandleMs: 1, updatedAtMs: 1 }, { sessionId: 'live:binance:GONE/USDT:5m', token: 1 })).rejects.toThrow(
        'session "live:binance:GONE/USDT:5m" no longer exists: a write with fencing token 1 was refused',
      );
    });
  });
});

describe('createDatabase', () => {
  it('keeps PGlite data under dataDir across reopen', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-db-'));
    try {
      const first = await createDatabase({ dataDir });
      await migrateDatabase(first);
      const key: MarketKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1d' };
      await createCandleRepository(first.db).insertCandles(key, columnsOf([[T0, 42283.58, 44184.1, 42180.77, 44179.55, 27174.29903]]));
      await first.close();
      await first.close();
      const second = await createDatabase({ dataDir });
      expect(await schemaVersion(second)).toEqual(LATEST_MIGRATION);
      expect(await createCandleRepository(second.db).countCandles(key)).toBe(1);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails with the URL (password hidden) when PostgreSQL cannot be reached', async () => {
    await expect(createDatabase({ url: 'postgres://app:secret@127.0.0.1:1/none', dataDir: tmpdir() })).rejects.toThrow(
      /^cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/none: /,
    );
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(createDatabase({ dataDir: tmpdir(), schema: 'Bad-Name' })).rejects.toThrow(
      'field "schema" was "Bad-Name": must be a lowercase identifier (a-z, 0-9, _)',
    );
  });
});
