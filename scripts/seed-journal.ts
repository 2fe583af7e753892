/**
 * `npm run seed:journal -- --trades 1000000 --decisions 5000000 [--batch 20000]`: bulk-loads
 * synthetic trades and decisions into PostgreSQL (DATABASE_URL required; DATABASE_SCHEMA
 * optional) with COPY ... FROM STDIN, for the API benchmark (`npm run bench:api`). Migrates
 * first. Rows are deterministic per `--seed` (default 1) but ids carry a random batch prefix, so
 * seeding twice adds a second set instead of failing on duplicate ids. Ends with ANALYZE. The loader
 * is exported as `seedJournal` (used by `npm run bench:web-scale`).
 *
 * Data shape: 12 symbols, 4 strategies, long/short, pnl from -60 to +60 (about 45% wins), exits
 * one minute apart going back from 2025-01-01, 60% of rows in 20 backtest runs and 40% live;
 * decisions spread over the seven outcomes with adapter/fusion/risk inputs like the loop's.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import postgres from 'postgres';
import { createDatabase } from '@/db/client';
import { migrateDatabase } from '@/db/migrate';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT', 'ADA/USDT', 'DOGE/USDT', 'AVAX/USDT', 'LINK/USDT', 'DOT/USDT', 'LTC/USDT', 'TRX/USDT'];
const STRATEGIES = ['ma-crossover', 'rsi-mean-reversion', 'ema-trend', 'donchian-breakout'];
const OUTCOMES = ['no_trade', 'no_trade', 'no_trade', 'signal', 'vetoed', 'denied', 'denied', 'expired', 'cooldown', 'executed'];
const END_MS = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;

function fail(message: string): never {
  process.stderr.write(`seed:journal: ${message}\n`);
  process.exit(2);
}

/** mulberry32: a small deterministic PRNG so the same --seed gives the same rows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} was "${value}": expected a whole number >= 0`);
  return n;
}

/** COPY text format: tab-separated, `\N` for null; our values never hold tabs, newlines or backslashes. */
const row = (fields: (string | number | null)[]) => `${fields.map((f) => (f === null ? '\\N' : String(f))).join('\t')}\n`;

/** A progress bar, or nothing when seeding quietly. */
interface Progress {
  update(value: number): void;
  stop(): void;
}

async function copyRows(
  sql: postgres.Sql,
  table: 'trades' | 'decision_log',
  columns: string,
  total: number,
  batch: number,
  make: (i: number) => string,
  bar: Progress,
): Promise<void> {
  const stream = (await sql.unsafe(`copy ${table} (${columns}) from stdin`).writable()) as Writable;
  const finished = once(stream, 'finish');
  for (let start = 0; start < total; start += batch) {
    let chunk = '';
    const end = Math.min(total, start + batch);
    for (let i = start; i < end; i++) chunk += make(i);
    if (!stream.write(chunk)) await once(stream, 'drain');
    bar.update(end);
  }
  stream.end();
  await finished;
}

/** What {@link seedJournal} loads, and where. */
export interface SeedJournalOptions {
  /** PostgreSQL URL of the database to seed (migrated first). */
  url: string;
  /** Schema to seed in (search_path); default the database's default. */
  schema?: string;
  /** Trades to insert (>= 0). */
  trades: number;
  /** Decisions to insert (>= 0). */
  decisions: number;
  /** Rows per COPY chunk (>= 1). */
  batch: number;
  /** PRNG seed: the same seed gives the same rows (ids aside). */
  seed: number;
  /** Progress bars and the summary line on stdout; default true. */
  progress?: boolean;
}

/**
 * Migrates the database at `options.url`, then bulk-loads synthetic trades and decisions with COPY
 * and analyzes both tables. Returns the random id prefix of the rows it wrote.
 */
export async function seedJournal(options: SeedJournalOptions): Promise<{ prefix: string }> {
  const { url, schema, trades, decisions, batch } = options;
  const showProgress = options.progress ?? true;
  const random = prng(options.seed);
  const prefix = `seed-${randomBytes(3).toString('hex')}`;

  const database = await createDatabase({ url, dataDir: '.data', schema });
  await migrateDatabase(database);
  await database.close();

  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: schema ? { search_path: schema } : {} });
  const barFor = (name: string, total: number): Progress => {
    if (!showProgress) return { update: () => {}, stop: () => {} };
    const bar = new cliProgress.SingleBar({ format: `${name} {bar} {percentage}% | {value}/{total} rows | {duration}s`, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0);
    return bar;
  };
  const started = Date.now();
  try {
    const tradeBar = barFor('trades   ', trades);
    await copyRows(
      sql,
      'trades',
      'id, run_id, exchange, symbol, strategy, side, amount, entry_price, exit_price, realized_pnl, fees, funding, entry_time_ms, exit_time_ms, exit_reason',
      trades,
      batch,
      (i) => {
        const exit = END_MS - i * MINUTE;
        const entry = exit - (5 + Math.floor(random() * 600)) * MINUTE;
        const price = 100 + random() * 50_000;
        const pnl = Math.round((random() * 120 - 54) * 1e4) / 1e4;
        const run = random() < 0.6 ? `${prefix}-run-${Math.floor(random() * 20)}` : null;
        return row([
          `${prefix}-t${i}`,
          run,
          'binance',
          SYMBOLS[Math.floor(random() * SYMBOLS.length)],
          STRATEGIES[Math.floor(random() * STRATEGIES.length)],
          random() < 0.55 ? 'long' : 'short',
          Math.round(random() * 1e6) / 1e6 + 0.001,
          price.toFixed(2),
          (price * (1 + (random() - 0.5) / 50)).toFixed(2),
          pnl,
          (random() * 2).toFixed(4),
          0,
          entry,
          exit,
          random() < 0.5 ? 'signal' : 'stop',
        ]);
      },
      tradeBar,
    );
    tradeBar.stop();
    const decisionBar = barFor('decisions', decisions);
    await copyRows(
      sql,
      'decision_log',
      'id, run_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs',
      decisions,
      batch,
      (i) => {
        const outcome = OUTCOMES[Math.floor(random() * OUTCOMES.length)];
        const side = outcome === 'no_trade' ? 'flat' : random() < 0.55 ? 'long' : 'short';
        const strength = Math.round(random() * 1000) / 1000;
        const reason =
          outcome === 'denied' ? 'notional 1200 above cap 1000' : outcome === 'vetoed' ? 'veto model v1 gave loss probability 0.7100 >= 0.6' : outcome === 'no_trade' ? 'no fused signal' : `${outcome} ${side}`;
        const inputs = JSON.stringify({
          adapters: [{ strategy: 'ma-crossover', side, strength, stopHint: null, reason: 'seeded' }],
          fused: { side, strength, stopHint: null },
          ...(outcome === 'vetoed' ? { veto: { modelVersion: 'v1', lossProbability: 0.71, threshold: 0.6 } } : {}),
          ...(outcome === 'denied' ? { risk: [{ name: 'notional', value: 1200, limit: 1000, passed: false }] } : {}),
        });
        return row([
          `${prefix}-d${i}`,
          random() < 0.6 ? `${prefix}-run-${Math.floor(random() * 20)}` : null,
          'binance',
          SYMBOLS[Math.floor(random() * SYMBOLS.length)],
          '5m',
          STRATEGIES[Math.floor(random() * STRATEGIES.length)],
          END_MS - Math.floor((i * MINUTE) / 5),
          outcome,
          side,
          strength,
          reason,
          inputs,
        ]);
      },
      decisionBar,
    );
    decisionBar.stop();
    if (showProgress) process.stdout.write('analyzing…\n');
    await sql`analyze trades`;
    await sql`analyze decision_log`;
    if (showProgress) process.stdout.write(`seeded ${trades} trades and ${decisions} decisions (ids "${prefix}-…") in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return { prefix };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main() {
  const { values } = parseArgs({
    options: { trades: { type: 'string' }, decisions: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' } },
    allowPositionals: false,
  });
  const url = process.env.DATABASE_URL;
  if (!url) fail('DATABASE_URL is not set: seeding needs PostgreSQL (postgres://user@host:5432/db)');
  await seedJournal({
    url,
    schema: process.env.DATABASE_SCHEMA,
    trades: count('trades', values.trades, 1_000_000),
    decisions: count('decisions', values.decisions, 5_000_000),
    batch: Math.max(1, count('batch', values.batch, 20_000)),
    seed: count('seed', values.seed, 1),
  });
}

// Run as a command only (`tsx scripts/seed-journal.ts`), not when imported (bench-web-scale imports seedJournal).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`seed:journal failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
