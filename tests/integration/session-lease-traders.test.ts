/**
 * Two trader processes (real child processes, AETHELRED_ROLE=trader) and a web root on one real
 * PostgreSQL database of their own (127.0.0.1:5432, created and dropped here). The web root stores two
 * replay sessions; the traders claim them by lease, each session with exactly one owner; `kill -9` of
 * one session's owner hands it to the other trader within the lease time, under the next fencing token,
 * with no client order id twice; a write under the old token is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Root } from '../../app/_server/root';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import { createAccountRepository } from '../../db/repositories/account-repository';
import { StaleLeaseError } from '../../engine/core/errors';
import { waveCsv } from '../../engine/testing/wave-candles';
import { REPO_DIR, useScratchPostgres } from '../support/scratch-postgres';

const scratch = useScratchPostgres('lease');
const DATABASE_URL = scratch.url;
const LEASE_MS = 4_000;
const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const N = 20_000;
const env = { ...process.env, DATABASE_URL, AETHELRED_ROLE: 'trader', AETHELRED_SESSION_LEASE_MS: String(LEASE_MS), AETHELRED_DATA_DIR: scratch.dataDir, AETHELRED_MARKET_TYPE: 'futures', LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;

interface Report {
  pid: number;
  owner: string | null;
  running: { id: string; lastCandleMs: number | null }[];
}

/** A trader child and the last line it printed. */
interface Trader {
  child: ChildProcess;
  last: Report | null;
  stderr: string;
  exited: Promise<void>;
}

function startTrader(): Trader {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/trader-child.ts'], { cwd: REPO_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const trader: Trader = { child, last: null, stderr: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) trader.last = JSON.parse(line) as Report;
  });
  child.stderr!.on('data', (d: Buffer) => (trader.stderr = (trader.stderr + d.toString()).slice(-4_000)));
  return trader;
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs` with `what`. */
async function until<T>(what: () => string, timeoutMs: number, check: () => T | null | Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let web: Root;
const traders: Trader[] = [];

beforeAll(async () => {
  // The web process: migrates the database, stores candles, an account and two sessions (a web root never runs them).
  web = await scratch.rootOf('web');
  await web.start();
}, 120_000);

// Runs before the scratch database's own afterAll (hooks run last registered first), which stops `web` and drops it.
afterAll(async () => {
  for (const t of traders) t.child.kill('SIGKILL');
  await Promise.all(traders.map((t) => t.exited));
}, 60_000);

describe('two traders sharing one PostgreSQL database', () => {
  it('gives each session one owner, hands a killed owner\'s session to the other trader within the lease, and refuses the old token', async () => {
    for (const [symbol, phase] of [['BTC/USDT', 0], ['ETH/USDT', 7]] as const) {
      await web.engine.importCandleText({ csv: waveCsv({ count: N, startMs: T0, timeframeMs: TF, phase }), key: { exchange: 'binance', symbol, timeframe: '5m' }, name: `wave ${symbol}` });
    }
    await web.engine.accounts.create({ id: 'second', name: 'Second', marketType: 'futures', initialBalance: 10_000, maxVolumeShare: 1 }, 'test');
    const session = (symbol: string, accountId: string) => ({
      mode: 'replay',
      accountId,
      exchange: 'binance',
      symbol,
      timeframe: '5m',
      strategies: ['ma-crossover'],
      params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } },
      fusion: { entryThreshold: 0.05 },
      from: T0 + 400 * TF,
      speed: 100,
      veto: 'off',
    });
    const btc = await web.engine.startLiveSession(session('BTC/USDT', 'default'));
    const eth = await web.engine.startLiveSession(session('ETH/USDT', 'second'));
    // The web process stored them for a trader: nobody runs them yet.
    expect([btc.status, eth.status]).toEqual(['starting', 'starting']);
    expect((await web.engine.listLiveSessions()).every((s) => s.state === null && s.lease?.owner === null)).toBe(true);
    expect(await web.health()).toMatchObject({ status: 'ok', role: 'web', runs: { jobs: false, sessions: false }, leases: null });

    traders.push(startTrader(), startTrader());
    // Throughout: no session is in the running list of two live traders at once.
    const doubled = new Set<string>();
    const monitor = setInterval(() => {
      const seen = new Set<string>();
      for (const t of traders.filter((t) => t.child.exitCode === null && t.child.signalCode === null)) {
        for (const r of t.last?.running ?? []) {
          if (seen.has(r.id)) doubled.add(r.id);
          seen.add(r.id);
        }
      }
    }, 50);
    const describeTraders = () => JSON.stringify(traders.map((t) => ({ last: t.last, stderr: t.stderr.slice(-1_000) })));
    // Each session runs in exactly one trader, and its lease names that trader.
    const owners = await until(() => `both sessions running once: ${describeTraders()}`, 90_000, () => {
      const byId = new Map<string, string[]>();
      for (const t of traders) for (const r of t.last?.running ?? []) byId.set(r.id, [...(byId.get(r.id) ?? []), t.last!.owner!]);
      return byId.size === 2 && [...byId.values()].every((o) => o.length === 1) ? byId : null;
    });
    const store = createLiveSessionRepository(web.database.db);
    for (const [id, [owner]] of owners) expect((await store.get(id))!.lease).toMatchObject({ owner, token: 1 });
    // Let both trade a while, then kill -9 the trader of the BTC session.
    // (The first trader up may have claimed both sessions; the other then holds none until the kill.)
    await until(() => `both traders reporting: ${describeTraders()}`, 90_000, () => (traders.every((t) => t.last !== null) ? true : null));
    const victimIndex = traders.findIndex((t) => t.last!.owner === owners.get(btc.id)![0]);
    const victim = traders[victimIndex];
    const survivor = traders[1 - victimIndex];
    const ethTokenAfter = owners.get(eth.id)![0] === survivor.last!.owner ? 1 : 2;
    await until(() => `the BTC session past 300 candles: ${describeTraders()}`, 90_000, async () => {
      const r = await store.get(btc.id);
      return r?.lastCandleMs !== null && r!.lastCandleMs! >= T0 + 700 * TF ? r : null;
    });
    const accounts = createAccountRepository(web.database.db);
    victim.child.kill('SIGKILL');
    const killedAtMs = Date.now();
    await victim.exited;
    const beforeHandover = await store.get(btc.id);
    const ordersBefore = (await accounts.loadState('default'))!.orders.map((o) => o.clientOrderId);
    expect(ordersBefore.length).toBeGreaterThan(0);

    // The survivor claims it (its holder's pid is gone on this host) within the lease time, under token 2.
    const claimed = await until(() => `the survivor to claim ${btc.id}: ${describeTraders()}`, 30_000, async () => {
      const r = await store.get(btc.id);
      return r?.lease?.owner === survivor.last!.owner ? { record: r, atMs: Date.now() } : null;
    });
    expect(claimed.atMs - killedAtMs).toBeLessThanOrEqual(LEASE_MS);
    expect(claimed.record.lease!.token).toBe(2);
    // It trades on after the checkpoint, and still runs its own session.
    const checkpoint = beforeHandover!.lastCandleMs!;
    await until(() => `the BTC session 100 candles past the handover checkpoint ${checkpoint}: ${describeTraders()}`, 90_000, async () => {
      const r = await store.get(btc.id);
      return r!.lastCandleMs! >= checkpoint + 100 * TF ? r : null;
    });
    expect(survivor.last!.running.map((r) => r.id).sort()).toEqual([btc.id, eth.id].sort());
    expect((await store.get(eth.id))!.lease).toMatchObject({ owner: survivor.last!.owner, token: ethTokenAfter });

    clearInterval(monitor);
    expect([...doubled]).toEqual([]);

    // No client order id twice on the account, and the orders from before the kill are still known.
    const ids = (await accounts.loadState('default'))!.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => ordersBefore.includes(id)).length).toBeGreaterThan(0);

    // The dead owner's token is refused: its checkpoint would have rolled the session back.
    const stale = await store.save({ sessionId: btc.id, lastCandleMs: checkpoint, updatedAtMs: Date.now() }, { sessionId: btc.id, token: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleLeaseError);
    expect((stale as Error).message).toBe(`session "${btc.id}" is leased under fencing token 2: a write with token 1 was refused (another trader owns the session now)`);
    expect((await store.get(btc.id))!.lastCandleMs!).toBeGreaterThanOrEqual(checkpoint + 100 * TF);
  }, 300_000);
});
